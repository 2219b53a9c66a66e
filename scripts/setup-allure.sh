#!/bin/sh
# Installs the Allure 3 command-line tool (npm package `allure`, no Java) into the homolog
# cache, for turning Allure results (`homolog run --alluredir DIR`) into Allure's HTML:
#
#   sh scripts/setup-allure.sh      ->  ~/.cache/homolog/allure-<version>/node_modules/.bin/allure
#   ALLURE=$(sh scripts/setup-allure.sh --print)   # the path only (installs if needed)
#   "$ALLURE" generate allure-results -o allure-report
#
# The version is pinned; npm checks each tarball against the registry's integrity
# record. Idempotent: nothing is fetched when the tool is already there.
set -eu

ALLURE_VERSION="3.18.0"
CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/homolog"
DIR="$CACHE_ROOT/allure-$ALLURE_VERSION"
BIN="$DIR/node_modules/.bin/allure"

say() { [ "${1:-}" = "--print" ] || echo "setup-allure: $2"; }
mode="${1:-}"

if [ -x "$BIN" ]; then
    say "$mode" "allure $ALLURE_VERSION present in $DIR"
else
    command -v npm >/dev/null 2>&1 || { echo "setup-allure: npm is needed (apt-get install npm)" >&2; exit 1; }
    say "$mode" "installing allure $ALLURE_VERSION from the npm registry into $DIR"
    tmp="$DIR.part"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    npm install --silent --no-audit --no-fund --prefix "$tmp" "allure@$ALLURE_VERSION" >/dev/null
    rm -rf "$DIR"
    mv "$tmp" "$DIR"
fi
if [ "$mode" = "--print" ]; then echo "$BIN"; fi
