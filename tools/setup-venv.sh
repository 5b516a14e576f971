#!/usr/bin/env bash
# Create (or reuse) the Python venv used for compatibility testing against the C libraries:
#   blosc2==4.14.1  (python-blosc2, bundles C-Blosc2 3.3.5)
#   blosc==1.11.4   (python-blosc,  bundles C-Blosc 1.21.7.dev)
#   numpy==2.4.6
# Location: $BLOCKCODEC_VENV, default <repo>/.venv (gitignored). Needs python3 (>= 3.11) and
# PyPI access. Idempotent: a venv whose stamp matches the pins is left alone. Prints the venv path.
#
# Usage: tools/setup-venv.sh && .venv/bin/python crates/blockcodec/tests/data/generate_reference.py
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${BLOCKCODEC_VENV:-$REPO/.venv}"
PYTHON="${PYTHON:-python3}"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore

# Direct pins plus the transitive dependencies of blosc2 4.14.1 as resolved for Python 3.11,
# so a later release of a dependency cannot change or break the environment.
REQUIREMENTS="blosc2==4.14.1
blosc==1.11.4
numpy==2.4.6
msgpack==1.2.4
ndindex==1.10.1
numexpr==2.14.2
threadpoolctl==3.8.0
httpx==0.28.1
httpcore==1.0.9
h11==0.16.0
h2==4.4.1
hpack==4.2.0
hyperframe==6.1.0
anyio==4.16.0
idna==3.20
certifi==2026.10.18
pydantic==2.14.3
pydantic_core==2.50.4
annotated-types==0.8.0
typing_extensions==4.16.0
typing-inspection==0.4.5
rich==15.0.0
markdown-it-py==4.3.0
mdurl==0.1.2
Pygments==2.21.0"

STAMP="$VENV/.blockcodec-requirements"

# Fast path: venv exists, stamp matches and the pinned packages import.
if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$REQUIREMENTS" ] \
    && "$VENV/bin/python" -c 'import blosc2, blosc, numpy' >/dev/null 2>&1; then
    echo "$VENV"
    exit 0
fi

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

if [ ! -x "$VENV/bin/python" ]; then
    echo "setup-venv: creating $VENV" >&2
    if ! "$PYTHON" -m venv "$VENV" >/dev/null 2>&1; then
        # Some distributions ship python3 without ensurepip (Debian's python3-venv);
        # fall back to virtualenv from PyPI, installed into a throwaway directory.
        # (PEP 668 guards the system site-packages; --target does not touch them.)
        rm -rf "$VENV"
        PIP_BREAK_SYSTEM_PACKAGES=1 "$PYTHON" -m pip install --quiet --target "$TMP/ve" virtualenv
        PYTHONPATH="$TMP/ve" "$PYTHON" -m virtualenv --quiet "$VENV"
    fi
fi

echo "setup-venv: installing pinned packages into $VENV" >&2
printf '%s\n' "$REQUIREMENTS" >"$TMP/requirements.txt"
"$VENV/bin/python" -m pip install --quiet --only-binary=:all: -r "$TMP/requirements.txt"

# Verify the interpreter sees exactly the pinned versions before stamping.
"$VENV/bin/python" - <<'EOF'
import blosc, blosc2, numpy
got = {"blosc2": blosc2.__version__, "blosc": blosc.__version__, "numpy": numpy.__version__}
want = {"blosc2": "4.14.1", "blosc": "1.11.4", "numpy": "2.4.6"}
if got != want:
    raise SystemExit(f"setup-venv: version mismatch: got {got}, want {want}")
EOF
printf '%s' "$REQUIREMENTS" >"$STAMP"
echo "$VENV"
