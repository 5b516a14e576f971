#!/usr/bin/env bash
# Build the `compressed_image` Python wheel (crates/python, pyo3 + maturin, abi3) and run its
# pytest suite against the installed wheel:
#   1. create (or reuse) a venv with pinned maturin, numpy and pytest from PyPI;
#   2. cargo fmt --check and clippy -D warnings for crates/python (its own workspace, so the main
#      workspace's checks never build pyo3);
#   3. maturin build, pip install the wheel into the venv;
#   4. pytest crates/python/tests.
# Location of the venv: $COMPRESSED_IMAGE_VENV, default <repo>/.venv-py (gitignored). Needs
# python3 (>= 3.10) with pip or virtualenv, cargo, and PyPI/crates.io access. Idempotent: a venv
# whose stamp matches the pins is reused.
# The wheel is built with the dev profile into the main workspace's target/ (both workspaces
# define the same dev profile), so the registry crates that `cargo test --workspace` compiled
# (structured-zstd alone takes minutes) are not compiled again. PYTHON_TEST_PROFILE=release
# tests the release build instead, in crates/python/target.
# Extra arguments go to pytest (e.g. tools/python-test.sh -k chunk -x).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CRATE="$REPO/crates/python"
VENV="${COMPRESSED_IMAGE_VENV:-$REPO/.venv-py}"
PYTHON="${PYTHON:-python3}"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
# No __pycache__ in the work tree from the tests.
export PYTHONDONTWRITEBYTECODE=1
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# Direct pins plus pytest's dependencies as resolved for Python 3.11, so a later release of any
# of them cannot change or break the environment. numpy matches tools/setup-venv.sh.
REQUIREMENTS="maturin==1.16.0
numpy==2.4.6
pytest==9.2.0
iniconfig==2.3.1
packaging==26.3
pluggy==1.7.0
Pygments==2.21.0"

STAMP="$VENV/.python-test-requirements"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

step() { printf -- '--- python-test: %s (%ss)\n' "$*" "$SECONDS"; }

if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$REQUIREMENTS" ] \
    && "$VENV/bin/python" -c 'import numpy, pytest' >/dev/null 2>&1 \
    && [ -x "$VENV/bin/maturin" ]; then
    step "reusing $VENV"
else
    if [ ! -x "$VENV/bin/python" ]; then
        step "creating $VENV"
        if ! "$PYTHON" -m venv "$VENV" >/dev/null 2>&1; then
            # Some distributions ship python3 without ensurepip (Debian's python3-venv);
            # fall back to virtualenv from PyPI, installed into a throwaway directory.
            rm -rf "$VENV"
            PIP_BREAK_SYSTEM_PACKAGES=1 "$PYTHON" -m pip install --quiet --target "$TMP/ve" virtualenv
            PYTHONPATH="$TMP/ve" "$PYTHON" -m virtualenv --quiet "$VENV"
        fi
    fi
    step "installing pinned packages into $VENV"
    printf '%s\n' "$REQUIREMENTS" >"$TMP/requirements.txt"
    "$VENV/bin/python" -m pip install --quiet --only-binary=:all: -r "$TMP/requirements.txt"
    printf '%s' "$REQUIREMENTS" >"$STAMP"
fi

# pyo3's build script and maturin use the venv's interpreter.
export PYO3_PYTHON="$VENV/bin/python"

step "cargo fmt --check (crates/python)"
cargo fmt --manifest-path "$CRATE/Cargo.toml" -- --check

step "clippy -D warnings (crates/python)"
# Its own target dir: maturin sets PYO3_* variables that clippy's build would otherwise undo,
# rebuilding pyo3 and everything above it on every run.
cargo clippy --manifest-path "$CRATE/Cargo.toml" --target-dir "$CRATE/target/clippy" --release \
    --all-targets --quiet -- -D warnings

PROFILE="${PYTHON_TEST_PROFILE:-dev}"
if [ "$PROFILE" = dev ]; then
    TARGET_DIR="$REPO/target"
else
    TARGET_DIR="$CRATE/target"
fi
step "maturin build --profile $PROFILE (target dir $TARGET_DIR)"
"$VENV/bin/maturin" build --profile "$PROFILE" --quiet --manifest-path "$CRATE/Cargo.toml" \
    --target-dir "$TARGET_DIR" --interpreter "$VENV/bin/python" --out "$TMP/wheels"
ls "$TMP/wheels"

step "pip install the wheel"
"$VENV/bin/python" -m pip install --quiet --no-deps --force-reinstall "$TMP"/wheels/*.whl

step "pytest"
# From the crate directory, so `python/compressed_image` (the sources) cannot shadow the
# installed package; -p no:cacheprovider keeps the work tree clean.
cd "$CRATE"
"$VENV/bin/python" -m pytest -p no:cacheprovider -ra "$@" tests
