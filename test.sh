#!/usr/bin/env bash
# Runs every test of gitlab-oidc-aws on a fresh Debian 12 machine that has Swift:
# installs what is missing (Debian and PyPI packages), fetches AWS's SigV4 test suite, builds
# the debug binary and the release binary (which the bundle and Debian package tests package),
# runs the Swift tests, then the Python integration tests.
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

section "AWS SigV4 test suite"
# AWS's own SigV4 test suite ships in botocore's source distribution; the Swift tests read it
# from AWS4_TESTSUITE_DIR. Fetched once per botocore version into .build/test-data (git-ignored).
fetch_aws4_testsuite() {
  local version data=.build/test-data
  version="$("$PYTHON" -c 'import botocore; print(botocore.__version__)')"
  export AWS4_TESTSUITE_DIR="$PWD/$data/aws4_testsuite"
  [ "$(cat "$data/aws4_testsuite.version" 2>/dev/null)" = "$version" ] && return 0
  rm -rf "$AWS4_TESTSUITE_DIR" "$data/sdist"
  mkdir -p "$data/sdist"
  "$PYTHON" -m pip download -q --no-deps --no-binary :all: "botocore==$version" -d "$data/sdist" ||
    die "cannot download botocore $version's source distribution (it holds AWS's SigV4 test suite)"
  tar -xzf "$data/sdist/botocore-$version.tar.gz" -C "$data" --strip-components=4 \
    "botocore-$version/tests/unit/auth/aws4_testsuite"
  printf '%s\n' "$version" >"$data/aws4_testsuite.version"
  rm -rf "$data/sdist"
}
fetch_aws4_testsuite

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
# toml-decoder: the TOML reader's test decoder, for the differential test against tomllib.
TOML_DECODER="$(swift build --show-bin-path)/toml-decoder"
test -x "$TOML_DECODER"
GITLAB_OIDC_AWS_BIN="$BIN" GITLAB_OIDC_AWS_RELEASE_BIN="$RELEASE_BIN" TOML_DECODER_BIN="$TOML_DECODER" \
  "$PYTHON" -m pytest -q Tests/integration "$@"

if [ "${RUN_ASAN:-0}" = 1 ]; then
  section "AddressSanitizer (RUN_ASAN=1)"
  scripts/asan-test.sh "$@"
fi
