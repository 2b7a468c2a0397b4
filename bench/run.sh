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
apt_install_missing "${BUILD_PACKAGES[@]}" curl ca-certificates time
pip_install_requirements "$PYTHON"

echo "building the release binary" >&2
swift build "${RELEASE_BUILD_ARGS[@]}" >&2
exec "$PYTHON" bench/bench.py --binary "$(swift build "${RELEASE_BUILD_ARGS[@]}" --show-bin-path)/gitlab-oidc-aws" "$@"
