#!/usr/bin/env bash
# One-time setup on a fresh Debian/Ubuntu x86_64 machine (as root, or with sudo available):
# a Python >= 3.11 venv with rvwheels, its runtime and test tools, then `rvwheels setup`
# (apt packages, qemu binfmt for riscv64, and the Debian roots, cached in ~/.cache/rvwheels).
set -euo pipefail
cd "$(dirname "$0")"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

python=""
for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
        python=$candidate; break
    fi
done
if [ -z "$python" ] || ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv
    python=python3
fi

[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test]" -e ./runtime
# The test reference for the LaMa runtime (CPU build); tests that need it skip without it.
.venv/bin/python -m pip install -q "torch==2.13.0" ||
    echo "setup: torch 2.13.0 not installable here; the runtime's torch reference tests will skip"

# Debian's chromium for the eraser page's end-to-end test (Playwright drives it; no download).
if ! command -v chromium >/dev/null; then
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
fi

# sudo resets HOME: keep the cache where the user's later `rvwheels build` will look for it.
$SUDO env RVWHEELS_CACHE="${RVWHEELS_CACHE:-$HOME/.cache/rvwheels}" .venv/bin/rvwheels setup
echo "setup done: activate with 'source .venv/bin/activate', then 'rvwheels build numpy'"
