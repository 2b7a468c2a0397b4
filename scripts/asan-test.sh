#!/usr/bin/env bash
# Runs the tests with AddressSanitizer: the Swift unit tests (`swift test --sanitize=address`),
# then the integration tests against a hook binary built with AddressSanitizer, so that the
# real libcurl and OpenSSL paths run instrumented too. Builds into .build-asan (a
# full build, several minutes). Extra arguments go to pytest, e.g. scripts/asan-test.sh -k faults
#
# A sanitizer report makes the process exit with an error, which fails the test that ran it.
# Leaks are reported too (scripts/lsan-suppressions.txt lists the test runner's own).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
scratch=(--scratch-path .build-asan)
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$PWD/scripts/lsan-suppressions.txt:print_suppressions=0}"

echo "==> swift test with AddressSanitizer"
swift test "${scratch[@]}" --sanitize=address

echo "==> hook binary with AddressSanitizer"
swift build "${scratch[@]}" --sanitize=address
BIN="$(swift build "${scratch[@]}" --sanitize=address --show-bin-path)/gitlab-oidc-aws"
test -x "$BIN"

echo "==> integration tests against it"
# install.sh strips the binary it installs, which LeakSanitizer's reports could not name;
# the installer is tested in the normal run.
# The bundle and package tests check the release binary, not this build.
GITLAB_OIDC_AWS_BIN="$BIN" "$PYTHON" -m pytest -q Tests/integration --ignore=Tests/integration/test_install.py \
  --ignore=Tests/integration/test_bundle.py --ignore=Tests/integration/test_deb.py "$@"
