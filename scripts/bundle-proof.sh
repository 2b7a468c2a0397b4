#!/usr/bin/env bash
# Proves that the portable bundle is all a job container needs: builds the bundle, makes a
# minimal Debian root file system with debootstrap (no libcurl, no jansson, no Swift, no CA
# certificates), and runs simulated docker-executor jobs in it (chroot in a private mount
# namespace, bundle and mapping mounted read-only) whose pre_build_script is the bundled hook,
# against a local OIDC issuer (HTTP and HTTPS) and moto's STS on 127.0.0.1.
#
#   sudo env "PATH=$PATH" scripts/bundle-proof.sh [--rootfs DIR] [--bundle DIR] [--binary FILE]
#
#   --rootfs DIR   keep the root file system in DIR and reuse it on later runs (making it takes
#                  a minute or two and downloads about 40 MB from this machine's Debian mirror);
#                  default: a temporary directory, removed at the end
#   --bundle DIR   test this bundle (made by ./install.sh --bundle) instead of building one
#   --binary FILE  bundle this binary instead of building a release binary
#
# Exit status: 0 proof passed, 1 failed, 64 bad usage. See docs/admin-guide.md.
set -euo pipefail

PROG=bundle-proof.sh
COMMAND=scripts/bundle-proof.sh
REPO="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/common.sh
. "$REPO/scripts/common.sh"

ROOTFS=""
BUNDLE=""
BINARY=""
PYTHON="${PYTHON:-python3}"
while [ $# -gt 0 ]; do
  case "$1" in
    --rootfs | --bundle | --binary)
      if [ $# -lt 2 ] || [ -z "$2" ]; then
        printf '%s: %s needs a value\n' "$PROG" "$1" >&2
        exit 64
      fi
      case "$1" in
        --rootfs) ROOTFS="$(realpath -m "$2")" ;;
        --bundle) BUNDLE="$(realpath -m "$2")" ;;
        --binary) BINARY="$(realpath -m "$2")" ;;
      esac
      shift 2
      ;;
    -h | --help)
      sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      printf '%s: unknown argument: %s (see --help)\n' "$PROG" "$1" >&2
      exit 64
      ;;
  esac
done

require_root "debootstrap, chroot and mounts need it"
require_debian
for tool in unshare chroot mount; do
  command -v "$tool" >/dev/null || die "$tool is missing (util-linux, coreutils)"
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/gitlab-oidc-aws-proof.XXXXXX")"
trap 'rm -rf -- "$WORK"' EXIT

# The suite and the Debian mirror this machine's apt already uses.
SUITE="$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-}")"
[ -n "$SUITE" ] || die "/etc/os-release names no VERSION_CODENAME"
debian_mirror() {
  local file
  for file in /etc/apt/sources.list.d/*.sources; do
    [ -f "$file" ] || continue
    awk -v suite="$SUITE" '
      /^[ \t]*$/ { if (uri != "" && ok && deb) { print uri; exit } uri = ""; ok = 0; deb = 0; next }
      /^URIs:/ { uri = $2 }
      /^Types:/ { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) ok = 1 }
      END { if (uri != "" && ok && deb) print uri }' "$file" | head -n 1
  done
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$file" ] || continue
    awk -v suite="$SUITE" '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i == suite) { print ($2 ~ /^\[/ ? $3 : $2); exit } }' "$file"
  done
}
MIRROR="$(debian_mirror | head -n 1)"
[ -n "$MIRROR" ] || die "no apt source for '$SUITE' in /etc/apt/sources.list*: debootstrap needs this machine's Debian mirror"

apt_install_missing debootstrap
pip_install_requirements "$PYTHON"

if [ -z "$BUNDLE" ]; then
  BUNDLE="$WORK/bundle"
  "$REPO/install.sh" --bundle "$BUNDLE" ${BINARY:+--binary "$BINARY"}
fi
[ -f "$BUNDLE/BUNDLE-INFO" ] || die "$BUNDLE is not a bundle made by ./install.sh --bundle"

if [ -z "$ROOTFS" ]; then
  ROOTFS="$WORK/rootfs"
fi
if [ -f "$ROOTFS/.gitlab-oidc-aws-rootfs" ]; then
  say "reusing the root file system in $ROOTFS"
else
  [ ! -e "$ROOTFS" ] || [ -z "$(ls -A "$ROOTFS")" ] || die "$ROOTFS is not empty and was not made by $PROG"
  say "making a minimal $SUITE root file system in $ROOTFS from $MIRROR"
  debootstrap --variant=minbase "$SUITE" "$ROOTFS" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
    die "debootstrap failed; its log:
$(tail -n 20 "$WORK/debootstrap.log")"
  touch "$ROOTFS/.gitlab-oidc-aws-rootfs"
fi

say "running the jobs"
cd "$REPO"
GITLAB_OIDC_AWS_BUNDLE="$BUNDLE" GITLAB_OIDC_AWS_ROOTFS="$ROOTFS" \
  "$PYTHON" -m pytest -q -p no:cacheprovider Tests/integration/test_bundle_proof.py ||
  die "the bundle proof failed (see above)"
say "passed: the bundle runs in a job image that has only glibc ($(grep -o 'glibc [0-9.]*' "$BUNDLE/BUNDLE-INFO") or newer)"
