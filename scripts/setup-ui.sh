#!/bin/sh
# Set-up for the UI and accessibility suite (homolog.suites.ui).
#
# - installs Debian's Chromium and its headless shell (what UI checks launch) when missing
#   (Playwright cannot download its own browsers on the machines we target);
# - fetches the pinned axe-core from the npm registry into the homolog cache
#   (~/.cache/homolog/axe-core-<version>/axe.min.js, or $XDG_CACHE_HOME/homolog/...).
#
# Idempotent: each step is skipped when its result is already present.
set -eu

AXE_VERSION="4.14.1"
# dist.integrity of axe-core@4.14.1 on the npm registry: the tarball must match it.
AXE_INTEGRITY="sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/homolog"
AXE_DIR="$CACHE_ROOT/axe-core-$AXE_VERSION"

missing=""
[ -x /usr/bin/chromium ] || missing="$missing chromium"
[ -x /usr/bin/chromium-headless-shell ] || missing="$missing chromium-headless-shell"
if [ -n "$missing" ]; then
    echo "setup-ui: installing$missing (apt)"
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -q
    # shellcheck disable=SC2086 # one word per package
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q $missing
else
    echo "setup-ui: chromium present ($(/usr/bin/chromium-headless-shell --version 2>/dev/null || echo unknown))"
fi

if [ -s "$AXE_DIR/axe.min.js" ]; then
    echo "setup-ui: axe-core $AXE_VERSION present in $AXE_DIR"
else
    echo "setup-ui: fetching axe-core $AXE_VERSION from the npm registry"
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    # npm pack downloads the published tarball (nothing is installed or executed); its
    # sha512 is then checked against the pinned integrity above.
    (cd "$tmp" && npm pack --silent "axe-core@$AXE_VERSION" >/dev/null)
    got="sha512-$(openssl dgst -sha512 -binary "$tmp/axe-core-$AXE_VERSION.tgz" | base64 | tr -d '\n')"
    if [ "$got" != "$AXE_INTEGRITY" ]; then
        echo "setup-ui: axe-core tarball integrity mismatch ($got)" >&2
        exit 1
    fi
    tar -xzf "$tmp/axe-core-$AXE_VERSION.tgz" -C "$tmp"
    mkdir -p "$AXE_DIR"
    cp "$tmp/package/axe.min.js" "$AXE_DIR/axe.min.js.part"
    cp "$tmp/package/LICENSE" "$AXE_DIR/LICENSE" 2>/dev/null || true
    mv "$AXE_DIR/axe.min.js.part" "$AXE_DIR/axe.min.js"
    echo "setup-ui: axe-core installed at $AXE_DIR/axe.min.js"
fi
