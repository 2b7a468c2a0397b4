#!/usr/bin/env bash
# Runs every test of gitlab-oidc-aws on a fresh Debian 12 machine that has Swift:
# installs what is missing (Debian and PyPI packages), builds the debug binary and the release
# binary (which the bundle and Debian package tests package), runs the Swift tests, then the
# Python integration tests.
# Extra arguments are passed to pytest, e.g. ./test.sh -k stage -x
# RUN_ASAN=1 then runs everything once more with AddressSanitizer (scripts/asan-test.sh).
set -euo pipefail
cd "$(dirname "$0")"
PROG=test.sh
COMMAND=./test.sh
# shellcheck source=scripts/common.sh
. scripts/common.sh

PYTHON="${PYTHON:-python3}"
# Beyond the build packages: the shells and tools the integration tests run, and what the
# bundle and package tests build and check with (job-image roots are made from Debian
# packages the tests download themselves: musl, busybox-static, libc6).
TEST_PACKAGES=(dash curl ca-certificates patchelf gcc libc6-dev libcurl4 dpkg-dev lintian python3)

section() { printf '\n==> %s\n' "$*"; }

section "system packages"
apt_install_missing "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}"

section "python packages"
pip_install_requirements "$PYTHON"

section "swift build"
swift build
BIN="$(swift build --show-bin-path)/gitlab-oidc-aws"
test -x "$BIN"

section "swift build (release, for the bundle and the Debian package)"
# shellcheck disable=SC2153 # RELEASE_BUILD_ARGS comes from scripts/common.sh
swift build "${RELEASE_BUILD_ARGS[@]}" --product gitlab-oidc-aws
RELEASE_BIN="$(swift build "${RELEASE_BUILD_ARGS[@]}" --show-bin-path)/gitlab-oidc-aws"
test -x "$RELEASE_BIN"

section "swift test"
swift test

section "integration tests"
GITLAB_OIDC_AWS_BIN="$BIN" GITLAB_OIDC_AWS_RELEASE_BIN="$RELEASE_BIN" "$PYTHON" -m pytest -q Tests/integration "$@"

if [ "${RUN_ASAN:-0}" = 1 ]; then
  section "AddressSanitizer (RUN_ASAN=1)"
  scripts/asan-test.sh "$@"
fi
