#!/usr/bin/env bash
# Runs every test of gitlab-oidc-aws on a fresh Debian 12 machine that has Swift:
# installs what is missing (Debian and PyPI packages), builds the debug binary, runs the
# Swift tests, then the Python integration tests against that binary.
# Extra arguments are passed to pytest, e.g. ./test.sh -k stage -x
# RUN_ASAN=1 then runs everything once more with AddressSanitizer (scripts/asan-test.sh).
set -euo pipefail
cd "$(dirname "$0")"

PYTHON="${PYTHON:-python3}"
APT_PACKAGES=(libcurl4-openssl-dev libjansson-dev libssl-dev pkg-config dash curl ca-certificates patchelf binutils)
PIP_PACKAGES=("moto[server]>=5,<6" awscli boto3 cryptography joserfc rsa pytest python-hcl2)
PY_IMPORTS="import moto, moto.server, flask, awscli, boto3, cryptography, joserfc, rsa, pytest, hcl2"

section() { printf '\n==> %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

installed() {
  dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed'
}

section "system packages"
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  installed "$pkg" || missing+=("$pkg")
done
if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
  missing+=(python3-pip)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
else
  echo "all present"
fi

section "python packages"
if "$PYTHON" -c "$PY_IMPORTS" 2>/dev/null; then
  echo "all present"
else
  "$PYTHON" -m pip install -q "${PIP_PACKAGES[@]}" ||
    "$PYTHON" -m pip install -q --break-system-packages "${PIP_PACKAGES[@]}"
  "$PYTHON" -c "$PY_IMPORTS"
fi

section "swift build"
swift build
BIN="$(swift build --show-bin-path)/gitlab-oidc-aws"
test -x "$BIN"

section "swift test"
if find Tests -path Tests/integration -prune -o -name '*.swift' -print | grep -q .; then
  swift test
else
  echo "no Swift test files yet: skipped"  # swift test would fail with "no tests found"
fi

section "integration tests"
# toml-decoder: the TOML reader's test decoder, for the differential test against tomllib.
TOML_DECODER="$(swift build --show-bin-path)/toml-decoder"
test -x "$TOML_DECODER"
GITLAB_OIDC_AWS_BIN="$BIN" TOML_DECODER_BIN="$TOML_DECODER" "$PYTHON" -m pytest -q Tests/integration "$@"

if [ "${RUN_ASAN:-0}" = 1 ]; then
  section "AddressSanitizer (RUN_ASAN=1)"
  scripts/asan-test.sh "$@"
fi
