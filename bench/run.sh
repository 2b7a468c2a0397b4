#!/usr/bin/env bash
# Benchmark: the hook against the AWS CLI recipe and bare curl, in a reproduced runner stage.
# One command from a fresh clone: installs what is missing (Debian and PyPI packages),
# builds the release binary (incremental when it exists), runs bench/bench.py, and rewrites
# the results section of docs/performance.md and docs/performance.png.
# Arguments go to bench/bench.py, e.g. bench/run.sh --rounds 10 --rules 10,10000 --no-write
set -euo pipefail
cd "$(dirname "$0")/.."
PROG=bench/run.sh
# shellcheck source=scripts/common.sh
. scripts/common.sh

PYTHON="${PYTHON:-python3}"
APT_PACKAGES=(libcurl4-openssl-dev libjansson-dev libssl-dev pkg-config curl ca-certificates time)
PIP_PACKAGES=(awscli cryptography rsa matplotlib)
PY_IMPORTS="import awscli, cryptography, rsa, matplotlib"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
if ! "$PYTHON" -c "$PY_IMPORTS" 2>/dev/null; then
  "$PYTHON" -m pip install -q "${PIP_PACKAGES[@]}"
fi

echo "building the release binary" >&2
swift build "${RELEASE_BUILD_ARGS[@]}" >&2
exec "$PYTHON" bench/bench.py --binary "$(swift build "${RELEASE_BUILD_ARGS[@]}" --show-bin-path)/gitlab-oidc-aws" "$@"
