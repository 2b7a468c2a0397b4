# shellcheck shell=bash disable=SC1090,SC2034
# Shell helpers shared by install.sh, test.sh, bench/run.sh and demo/run.sh
# (sourced, not run).
#
# The caller sets PROG (its name, for messages) before sourcing this file.

# Debian packages needed to build (and so to run) gitlab-oidc-aws.
BUILD_PACKAGES=(libcurl4-openssl-dev libjansson-dev libssl-dev pkg-config binutils)

# `swift build` arguments of the release binary as shipped: the Swift runtime linked in, and
# a position-dependent executable, which spares the dynamic loader 40,000 relocations per run
# (docs/performance.md; docs/security.md says why that is safe). Only with the static Swift
# runtime: against the shared one the loader warns about protected symbols.
RELEASE_BUILD_ARGS=(-c release --static-swift-stdlib -Xswiftc -Xclang-linker -Xswiftc -no-pie)

say() { printf '%s: %s\n' "$PROG" "$*"; }
warn() { printf '%s: warning: %s\n' "$PROG" "$*" >&2; }

# die MESSAGE [STATUS]: print an error and exit with STATUS (default 1).
die() {
  printf '%s: error: %s\n' "$PROG" "$1" >&2
  exit "${2:-1}"
}

require_root() {
  [ "$(id -u)" -eq 0 ] ||
    die "must run as root: $1 (use sudo, and keep Swift on PATH: sudo env \"PATH=\$PATH\" ${COMMAND:-$PROG} ...)"
}

# Succeeds on Debian and distributions derived from it (they share apt and the package
# names above); dies with the reason otherwise. OS_RELEASE_FILE overrides /etc/os-release.
require_debian() {
  local file="${OS_RELEASE_FILE:-/etc/os-release}" id="" id_like="" pretty=""
  [ -r "$file" ] || die "unsupported distribution: $file is missing; $PROG supports Debian 12 and its derivatives (apt)"
  id="$(. "$file" && printf '%s' "${ID:-}")"
  id_like="$(. "$file" && printf '%s' "${ID_LIKE:-}")"
  pretty="$(. "$file" && printf '%s' "${PRETTY_NAME:-${ID:-unknown}}")"
  case " $id $id_like " in
    *" debian "*) ;;
    *) die "unsupported distribution: $pretty; $PROG supports Debian 12 and its derivatives (apt). Elsewhere build by hand: swift build ${RELEASE_BUILD_ARGS[*]} (needs libcurl, jansson and OpenSSL development files)" ;;
  esac
  command -v apt-get >/dev/null 2>&1 || die "unsupported distribution: $pretty has no apt-get"
}

package_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

# apt_install_missing PACKAGE...: installs the packages that are not installed yet (and runs
# `apt-get update` only when there is something to install).
apt_install_missing() {
  local missing=() pkg
  for pkg in "$@"; do
    package_installed "$pkg" || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "missing Debian packages: ${missing[*]}; install them as root: apt-get install ${missing[*]}"
  say "installing Debian packages: ${missing[*]}"
  apt-get -o DPkg::Lock::Timeout=300 update -qq || die "apt-get update failed; check the apt sources and the network"
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" ||
    die "apt-get install ${missing[*]} failed"
}

# The Python packages of the tests, the benchmark and the demo, and the folder that holds the
# shared test servers (the `testkit` package), which every Python entry point imports by name.
REQUIREMENTS="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/Tests/requirements.txt"
TESTKIT_PATH="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/Tests"

# pip_install_requirements PYTHON: pip-installs Tests/requirements.txt unless every requirement
# in it is already satisfied, and makes `import testkit` work for PYTHON's children.
pip_install_requirements() {
  local python="$1"
  export PYTHONPATH="$TESTKIT_PATH${PYTHONPATH:+:$PYTHONPATH}"
  if ! "$python" -m pip --version >/dev/null 2>&1; then
    apt_install_missing python3-pip
  fi
  if "$python" - "$REQUIREMENTS" <<'PY' 2>/dev/null; then
import sys
from importlib.metadata import PackageNotFoundError, version
from pip._vendor.packaging.requirements import Requirement
for line in open(sys.argv[1]):
    line = line.split("#", 1)[0].strip()
    if not line:
        continue
    requirement = Requirement(line)
    try:
        installed = version(requirement.name)
    except PackageNotFoundError:
        sys.exit(1)
    if not requirement.specifier.contains(installed, prereleases=True):
        sys.exit(1)
PY
    return 0
  fi
  say "installing Python packages from $REQUIREMENTS"
  "$python" -m pip install -q -r "$REQUIREMENTS" 2>/dev/null ||
    "$python" -m pip install -q --break-system-packages -r "$REQUIREMENTS" ||
    die "pip install -r $REQUIREMENTS failed"
}

# Prints the swift driver to use: $SWIFT, else the one on PATH.
find_swift() {
  if [ -n "${SWIFT:-}" ]; then
    [ -x "$SWIFT" ] || die "SWIFT=$SWIFT is not an executable"
    printf '%s\n' "$SWIFT"
    return
  fi
  command -v swift 2>/dev/null ||
    die "swift not found on PATH. Install a Swift 6 toolchain for Linux and put its usr/bin on PATH (sudo resets PATH: run sudo env \"PATH=\$PATH\" ${COMMAND:-$PROG} ...), or set SWIFT=/path/to/usr/bin/swift"
}
