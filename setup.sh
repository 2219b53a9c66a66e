#!/usr/bin/env bash
# homolog set-up for a fresh Debian/Ubuntu machine, then the built-in demo.
#
#   ./setup.sh               install everything, then run `homolog demo`
#   ./setup.sh --no-demo     install only
#   ./setup.sh --with-allure also install the Allure 3 command-line tool (npm; scripts/setup-allure.sh)
#
# Installs: Debian's Chromium (the browser and its headless shell) and poppler-utils (apt), a virtualenv in .venv with
# homolog and its development tools (pip, editable), the pinned axe-core (npm registry),
# the test Express application's pinned dependencies (npm ci),
# the pinned published material when the network allows (homolog materials fetch).
# Idempotent: a second run only checks. Needs root or sudo for apt.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

demo=1
allure=0
for arg in "$@"; do
    case "$arg" in
        --no-demo) demo=0 ;;
        --with-allure) allure=1 ;;
        *) echo "setup: unknown option $arg (--no-demo, --with-allure)" >&2; exit 1 ;;
    esac
done

if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
packages=()
[ -x /usr/bin/chromium ] || packages+=(chromium)
[ -x /usr/bin/chromium-headless-shell ] || packages+=(chromium-headless-shell)   # what UI checks launch
command -v pdftoppm >/dev/null 2>&1 || packages+=(poppler-utils)
command -v openssl >/dev/null 2>&1 || packages+=(openssl)   # axe-core's integrity check
fc-list 2>/dev/null | grep -qi dejavu || packages+=(fonts-dejavu-core)
if [ "${#packages[@]}" -gt 0 ]; then
    echo "setup: apt-get install ${packages[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${packages[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv"
    python3 -m venv .venv
fi
echo "setup: installing homolog and its dependencies into .venv"
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'
# An editable install leaves homolog's own modules uncompiled, and where PYTHONDONTWRITEBYTECODE
# is set Python never caches them: every process (each `homolog run`, pytest worker, demo
# system) would compile them again, about 0.25 CPU-s each. Compiled once here instead;
# a module edited later is compiled again from its source, as Python always does.
.venv/bin/python -m compileall -q -j 0 runner suites reports fixtures counterparts referentials tests bench >/dev/null || true  # (a file that does not compile is not set-up's business)

sh scripts/setup-ui.sh

# The Express application the security checks' integration test runs (Node, its pinned
# dependencies from the npm registry; tests/suites/security/expressapp.py). Installed
# again only when its lock file changed.
express=tests/suites/security/express
lock_sum="$(sha256sum "$express/package-lock.json" | cut -d' ' -f1)"
if [ "$(cat "$express/node_modules/.homolog-lock" 2>/dev/null)" != "$lock_sum" ]; then
    echo "setup: installing the test Express application's dependencies (npm ci)"
    (cd "$express" && npm ci --silent --no-audit --no-fund >/dev/null)
    echo "$lock_sum" > "$express/node_modules/.homolog-lock"
fi
if [ "$allure" -eq 1 ]; then sh scripts/setup-allure.sh; fi

# Published material homolog does not ship: the ANS CDA material (its licence does not
# allow it) and FHIR dependency packages. Fetched (pinned, SHA-256 verified) when the
# network allows, in a few seconds at most when it does not; then ../shared/data beside
# the checkout, when present, serves the demo instead.
echo "setup: fetching published material (homolog materials fetch cda fhir)"
.venv/bin/homolog materials fetch cda fhir --timeout 3 || true
if ! .venv/bin/python -c 'import sys; from homolog import installed_material; sys.exit(installed_material("cda") is None)'; then
    if [ -d ../shared/data/cda ]; then
        echo "setup: the CDA material was not fetched; the demo uses ../shared/data/cda"
    else
        echo "setup: warning: no CDA material (not fetched, no ../shared/data): documents.cda.conforms" \
            "reports error until 'homolog materials fetch cda' succeeds" >&2
    fi
fi

.venv/bin/homolog --version
if [ "$demo" -eq 1 ]; then
    echo "setup: running the built-in demo (homolog demo)"
    out="homolog-runs/demo-$(date +%Y%m%d-%H%M%S)"
    status=0
    .venv/bin/homolog demo --out "$out" || status=$?
    # 0 compliant, 100 non-compliant, 101 incomplete (manual items await attestations):
    # all three mean the demo ran; anything else is a failure of the set-up.
    case "$status" in
        0|100|101) echo "setup: done. Reports: $out/reports/" ;;
        *) echo "setup: the demo failed (exit $status)" >&2; exit "$status" ;;
    esac
fi
