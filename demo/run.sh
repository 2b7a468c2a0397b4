#!/usr/bin/env bash
# The local demo: a CI job gets AWS credentials from gitlab-oidc-aws, without GitLab and
# without AWS. Starts a local OIDC issuer (playing GitLab) and moto (playing AWS STS) on
# 127.0.0.1, runs a simulated job through a reproduction of the runner's stage script with
# the hook as pre_build_script, and shows the job's `aws sts get-caller-identity` answer.
# Everything stops by itself at the end.
#
#   demo/run.sh
#
# Installs what is missing first: Debian build packages (needs root), Python packages (pip),
# and the debug binary (swift build). GITLAB_OIDC_AWS_BIN=/path/to/binary uses that binary.
set -euo pipefail

PROG=demo/run.sh
COMMAND=demo/run.sh
REPO="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/common.sh
. "$REPO/scripts/common.sh"
PYTHON="${PYTHON:-python3}"

pip_install_requirements "$PYTHON"

BIN="${GITLAB_OIDC_AWS_BIN:-}"
if [ -z "$BIN" ]; then
  apt_install_missing "${BUILD_PACKAGES[@]}"
  SWIFT_BIN="$(find_swift)"
  say "building the debug binary (swift build; the first build takes a minute or two)"
  (cd "$REPO" && "$SWIFT_BIN" build --product gitlab-oidc-aws >&2) || die "swift build failed (see above)"
  BIN="$(cd "$REPO" && "$SWIFT_BIN" build --show-bin-path)/gitlab-oidc-aws"
fi
[ -x "$BIN" ] || die "$BIN is not an executable"

exec "$PYTHON" "$REPO/demo/demo.py" "$BIN"
