#!/usr/bin/env bash
# Installs gitlab-oidc-aws on a GitLab Runner host, or builds the portable bundle for the
# docker and kubernetes executors. Run as root from a clone of the repository on Debian 12
# with a Swift 6 toolchain on PATH. Safe to run again (upgrades the binary, keeps the mapping).
#
#   ./install.sh                         build, install /usr/local/bin/gitlab-oidc-aws, put the
#                                        example mapping at /etc/gitlab-runner/oidc-aws.toml if
#                                        there is none, print the runner snippet, check
#   ./install.sh --bundle /opt/gitlab-oidc-aws    the bundle for container executors
#   ./install.sh --uninstall             remove what the install put there (never a mapping)
#
# ./install.sh --help lists every option; docs/admin-guide.md explains them.
set -euo pipefail

PROG=install.sh
COMMAND=./install.sh
REPO="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=scripts/common.sh
. "$REPO/scripts/common.sh"

NAME=gitlab-oidc-aws
HOST_CA_FILE=/etc/ssl/certs/ca-certificates.crt
EXAMPLE="$REPO/runner-config/oidc-aws.toml"
# Libraries of the C library itself: a bundle uses the job image's (they must match each other).
GLIBC_LIBRARIES='^(ld-linux.*|libc|libm|libmvec|libpthread|libdl|librt|libresolv|libutil|libanl|libnsl|libBrokenLocale|libthread_db|libnss_.*|libcrypt)\.so'

usage() {
  cat <<EOF
usage: ./install.sh [--prefix DIR] [--mapping FILE] [--binary FILE]
       ./install.sh --uninstall [--prefix DIR]
       ./install.sh --bundle DIR [--binary FILE]

Install (the default):
  builds a release binary (swift build -c release --static-swift-stdlib), installs it as
  PREFIX/bin/$NAME, installs the commented example mapping at FILE only when FILE does
  not exist, prints the runner's pre_build_script, and runs \`$NAME version\` and
  \`$NAME check\` on the mapping. Debian packages it needs are installed first.

Options:
  --prefix DIR     install under DIR (default /usr/local)
  --mapping FILE   the mapping file (default /etc/gitlab-runner/oidc-aws.toml); never
                   overwritten, never removed
  --binary FILE    install this already built binary instead of building one
  --uninstall      remove the binary and the files an earlier install under PREFIX recorded
                   in PREFIX/share/$NAME/installed-files; the mapping stays
  --bundle DIR     build the portable bundle for container executors in DIR: DIR/$NAME,
                   the libraries it needs beyond the C library in DIR/lib, a copy of the
                   host's CA certificates, and BUNDLE-INFO (the glibc version it needs)
  -h, --help       this text

Exit status: 0 done, 1 failed (the message says why), 64 bad usage.
Environment: SWIFT=/path/to/swift (default: swift on PATH).
EOF
}

usage_error() {
  printf '%s: %s\n' "$PROG" "$1" >&2
  printf 'Run ./install.sh --help for the options.\n' >&2
  exit 64
}

PREFIX=/usr/local
MAPPING=/etc/gitlab-runner/oidc-aws.toml
BINARY=""
BUNDLE=""
ACTION=install

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix | --mapping | --binary | --bundle)
      [ $# -ge 2 ] && [ -n "$2" ] || usage_error "$1 needs a value"
      case "$1" in
        --prefix) PREFIX="$2" ;;
        --mapping) MAPPING="$2" ;;
        --binary) BINARY="$2" ;;
        --bundle)
          [ "$ACTION" = install ] || usage_error "--bundle and --uninstall cannot be combined"
          ACTION=bundle BUNDLE="$2"
          ;;
      esac
      shift 2
      ;;
    --uninstall)
      [ "$ACTION" = install ] || usage_error "--bundle and --uninstall cannot be combined"
      ACTION=uninstall
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) usage_error "unknown argument: $1" ;;
  esac
done

absolute() {
  case "$1" in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s/%s\n' "$(pwd)" "$1" ;;
  esac
}

PREFIX="$(absolute "$PREFIX")"
PREFIX="${PREFIX%/}"
MAPPING="$(absolute "$MAPPING")"
BIN_DIR="$PREFIX/bin"
SHARE_DIR="$PREFIX/share/$NAME"
MANIFEST="$SHARE_DIR/installed-files"
TARGET="$BIN_DIR/$NAME"

# Temporary files and directories, removed on exit.
CLEANUP=()
cleanup() {
  local path
  for path in "${CLEANUP[@]+"${CLEANUP[@]}"}"; do rm -rf -- "$path"; done
}
trap cleanup EXIT

# --- building ----------------------------------------------------------------------------

# Prints the path of the binary to install: --binary, or a fresh release build.
release_binary() {
  if [ -n "$BINARY" ]; then
    [ -f "$BINARY" ] && [ -x "$BINARY" ] || die "--binary $BINARY is not an executable file"
    absolute "$BINARY"
    return
  fi
  local swift bin_path
  swift="$(find_swift)"
  say "building the release binary (swift build ${RELEASE_BUILD_ARGS[*]}); the first build takes a few minutes" >&2
  (cd "$REPO" && "$swift" build "${RELEASE_BUILD_ARGS[@]}" --product "$NAME" >&2) ||
    die "the release build failed (the compiler's messages are above); fix the cause and run $PROG again"
  bin_path="$(cd "$REPO" && "$swift" build "${RELEASE_BUILD_ARGS[@]}" --show-bin-path)" ||
    die "swift build --show-bin-path failed"
  [ -x "$bin_path/$NAME" ] || die "the build reported success but $bin_path/$NAME is missing"
  printf '%s\n' "$bin_path/$NAME"
}

# copy_stripped SOURCE DEST: a stripped copy of an ELF file (DEST must not exist).
copy_stripped() {
  strip -o "$2" "$1" 2>/dev/null || cp "$1" "$2"
}

# --- the manifest of installed files ------------------------------------------------------

MANIFEST_LINES=()

# record KIND PATH: remember a file or a created directory for --uninstall.
record() {
  local line="$1 $2" existing
  for existing in "${MANIFEST_LINES[@]+"${MANIFEST_LINES[@]}"}"; do
    [ "$existing" = "$line" ] && return 0
  done
  MANIFEST_LINES+=("$line")
}

# make_dir DIR: mkdir -p, recording each directory it creates.
make_dir() {
  local dir="$1" missing=()
  while [ ! -d "$dir" ]; do
    missing=("$dir" "${missing[@]+"${missing[@]}"}")
    dir="$(dirname "$dir")"
  done
  for dir in "${missing[@]+"${missing[@]}"}"; do
    mkdir -m 0755 "$dir" || die "cannot create $dir"
    record dir "$dir"
  done
}

read_manifest() {
  [ -f "$MANIFEST" ] || return 0
  local line
  while IFS= read -r line; do
    case "$line" in
      "file /"* | "dir /"*) MANIFEST_LINES+=("$line") ;;
    esac
  done <"$MANIFEST"
}

write_manifest() {
  local tmp
  tmp="$(mktemp "$SHARE_DIR/.installed-files.XXXXXX")"
  CLEANUP+=("$tmp")
  {
    printf '# Written by install.sh: what ./install.sh --uninstall --prefix %s removes.\n' "$PREFIX"
    printf '%s\n' "${MANIFEST_LINES[@]}"
  } >"$tmp"
  chmod 0644 "$tmp"
  mv -f "$tmp" "$MANIFEST"
}

# install_file SOURCE DEST MODE [strip]: replace DEST atomically (a job may be running it).
install_file() {
  local tmp
  tmp="$(mktemp "$(dirname "$2")/.$NAME.XXXXXX")"
  CLEANUP+=("$tmp")
  rm -f "$tmp"
  if [ "${4:-}" = strip ]; then copy_stripped "$1" "$tmp"; else cp "$1" "$tmp"; fi
  chmod "$3" "$tmp"
  mv -f "$tmp" "$2"
  record file "$2"
}

# --- install -------------------------------------------------------------------------------

runner_snippet() {
  cat <<EOF
[[runners]]
  pre_build_script = '''
$TARGET hook --config $MAPPING
while read -r line; do export "\$line"; done < "\$GITLAB_ENV"
'''
EOF
}

# Warns when the runner's job user cannot read the mapping (shell executor).
check_runner_user_access() {
  id gitlab-runner >/dev/null 2>&1 || return 0
  command -v runuser >/dev/null 2>&1 || return 0
  runuser -u gitlab-runner -- test -r "$MAPPING" && return 0
  warn "the gitlab-runner user cannot read $MAPPING, so shell-executor jobs (which run as that user) will fail with exit 2.
  The runner package makes $(dirname "$MAPPING") mode 0700. Either let others through it without listing it
  (chmod o+x $(dirname "$MAPPING"); config.toml stays 0600) or keep the mapping elsewhere: $PROG --mapping /etc/$NAME.toml"
}

do_install() {
  require_root "it installs Debian packages and writes $BIN_DIR and $(dirname "$MAPPING")"
  require_debian
  [ -f "$EXAMPLE" ] || die "$EXAMPLE is missing: run $PROG from a complete clone of the repository"
  apt_install_missing "${BUILD_PACKAGES[@]}"
  local built
  built="$(release_binary)"

  read_manifest
  make_dir "$BIN_DIR"
  make_dir "$SHARE_DIR"
  install_file "$built" "$TARGET" 0755 strip
  install_file "$EXAMPLE" "$SHARE_DIR/oidc-aws.example.toml" 0644
  write_manifest
  say "installed $TARGET"

  if [ -e "$MAPPING" ] || [ -L "$MAPPING" ]; then
    say "kept the existing mapping $MAPPING (the current example is $SHARE_DIR/oidc-aws.example.toml)"
  else
    mkdir -p "$(dirname "$MAPPING")" || die "cannot create $(dirname "$MAPPING")"
    local tmp
    tmp="$(mktemp "$(dirname "$MAPPING")/.oidc-aws.XXXXXX")"
    CLEANUP+=("$tmp")
    cp "$EXAMPLE" "$tmp"
    chmod 0644 "$tmp"
    mv -n "$tmp" "$MAPPING"
    say "installed the example mapping $MAPPING: edit it (issuer, rules) before jobs use it"
  fi
  check_runner_user_access

  cat <<EOF

Add this to each [[runners]] section of the runner's config.toml (shell executor; for the
docker and kubernetes executors see runner-config/ and docs/admin-guide.md). If the runner
already has a pre_build_script, put these two lines first:

$(runner_snippet)

Then: gitlab-oidc-aws trust-policy --config $MAPPING   prints the IAM trust policy of each role.

EOF
  "$TARGET" version || die "$TARGET does not run"
  if ! "$TARGET" check --config "$MAPPING"; then
    die "$MAPPING is not valid (see above): the hook exits 2 with it and every job that runs it fails. Fix it, then run $TARGET check --config $MAPPING"
  fi
}

# --- uninstall -----------------------------------------------------------------------------

do_uninstall() {
  require_root "it removes files under $PREFIX"
  if [ ! -f "$MANIFEST" ]; then
    say "nothing to uninstall under $PREFIX (no $MANIFEST)"
    return 0
  fi
  read_manifest
  local line kind path index
  for line in "${MANIFEST_LINES[@]+"${MANIFEST_LINES[@]}"}"; do
    kind="${line%% *}" path="${line#* }"
    if [ "$kind" = file ] && { [ -f "$path" ] || [ -L "$path" ]; }; then
      rm -f -- "$path"
      say "removed $path"
    fi
  done
  rm -f -- "$MANIFEST"
  # Directories the install created, deepest first, if nothing else is in them now.
  for ((index = ${#MANIFEST_LINES[@]} - 1; index >= 0; index--)); do
    line="${MANIFEST_LINES[$index]}"
    kind="${line%% *}" path="${line#* }"
    if [ "$kind" = dir ] && [ -d "$path" ]; then
      rmdir -- "$path" 2>/dev/null && say "removed $path/" || true
    fi
  done
  say "kept the mapping file(s) and the Debian packages; remove the pre_build_script lines from config.toml"
}

# --- bundle --------------------------------------------------------------------------------

# Prints "SONAME PATH" for each library the ELF file loads, excluding the C library's own.
bundle_libraries() {
  local output
  output="$(ldd "$1")" || die "ldd $1 failed"
  if grep -q 'not found' <<<"$output"; then
    die "ldd finds no file for some libraries of $1:
$(grep 'not found' <<<"$output")"
  fi
  awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' <<<"$output" | grep -Ev "$GLIBC_LIBRARIES" || true
}

# The file the dynamic loader would load for SONAME on this machine.
library_path() {
  ldconfig -p | awk -v soname="$1" -v arch="$(uname -m | tr _ -)" \
    '$1 == soname && index($0, arch) { print $NF; exit }'
}

# Prints "SONAME PATH" for every library a bundle needs: the binary's own (ldd), and libcurl,
# which the binary loads with dlopen on its first request, with its libraries.
runtime_libraries() {
  local curl
  curl="$(library_path libcurl.so.4)"
  [ -n "$curl" ] || die "libcurl.so.4 is not installed: apt-get install libcurl4"
  {
    bundle_libraries "$1"
    printf 'libcurl.so.4 %s\n' "$curl"
    bundle_libraries "$curl"
  } | sort -u -k1,1
}

# Prints the newest GLIBC_x.y symbol version the files need.
glibc_needed() {
  objdump -T "$@" 2>/dev/null | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/^GLIBC_//' | sort -uV | tail -n 1
}

# Fails when a library of the bundled binary, or of the bundled libcurl it loads, would come
# from outside DIR/lib.
verify_bundle() {
  local dir soname path
  dir="$(realpath "$1")"
  [ -f "$dir/lib/libcurl.so.4" ] || die "bundle check failed: $dir/lib/libcurl.so.4 is missing"
  while read -r soname path; do
    path="$(realpath -m "$path")"
    case "$path" in
      "$dir/lib/"*) ;;
      *) die "bundle check failed: $soname resolves to $path, not to $dir/lib" ;;
    esac
  done < <(bundle_libraries "$dir/$NAME"; bundle_libraries "$dir/lib/libcurl.so.4")
  env -i "$dir/$NAME" version >/dev/null || die "bundle check failed: $dir/$NAME version does not run"
}

do_bundle() {
  require_root "it installs Debian packages (patchelf and the build dependencies)"
  require_debian
  apt_install_missing "${BUILD_PACKAGES[@]}" patchelf ca-certificates
  local dir parent built stage soname path glibc libs=() version
  dir="$(absolute "$BUNDLE")"
  dir="${dir%/}"
  if [ -e "$dir" ] && [ ! -f "$dir/BUNDLE-INFO" ] && [ -n "$(ls -A "$dir" 2>/dev/null || echo x)" ]; then
    die "$dir exists and is not a bundle made by $PROG; give an empty or new directory"
  fi
  built="$(release_binary)"
  parent="$(dirname "$dir")"
  mkdir -p "$parent"
  stage="$(mktemp -d "$parent/.$NAME-bundle.XXXXXX")"
  CLEANUP+=("$stage")
  mkdir "$stage/lib"

  copy_stripped "$built" "$stage/$NAME"
  chmod 0755 "$stage/$NAME"
  while read -r soname path; do
    cp -L "$path" "$stage/lib/$soname"
    chmod 0644 "$stage/lib/$soname"
    # DT_RPATH, unlike DT_RUNPATH, also applies to libraries loaded on behalf of this one and
    # comes before LD_LIBRARY_PATH, so the job's environment cannot swap a library in.
    # shellcheck disable=SC2016 # $ORIGIN is for the dynamic loader, not the shell
    patchelf --force-rpath --set-rpath '$ORIGIN' "$stage/lib/$soname"
    libs+=("$soname")
  done < <(runtime_libraries "$built")
  # The run path also finds lib/libcurl.so.4 when the binary loads it with dlopen.
  # shellcheck disable=SC2016
  patchelf --force-rpath --set-rpath '$ORIGIN/lib' "$stage/$NAME"

  # Trusted CAs for job images that have none where the bundled libcurl looks (ca_file).
  [ -r "$HOST_CA_FILE" ] || die "$HOST_CA_FILE is missing: apt-get install ca-certificates"
  cp -L "$HOST_CA_FILE" "$stage/ca-certificates.crt"
  chmod 0644 "$stage/ca-certificates.crt"

  glibc="$(glibc_needed "$stage/$NAME" "$stage"/lib/*)"
  version="$("$stage/$NAME" version)" || die "the bundled binary does not run on this machine"
  cat >"$stage/BUNDLE-INFO" <<EOF
$version, bundled by install.sh on $(. /etc/os-release && printf '%s' "${PRETTY_NAME:-$ID}") ($(uname -m)).

Needs in the job image: glibc $glibc or newer ($(uname -m)), nothing else. The libraries below come
from this directory (lib/, found through the run path \$ORIGIN/lib), not from the image.
Mount this directory read-only into job containers; see docs/admin-guide.md.
ca-certificates.crt is this host's $HOST_CA_FILE: for job images without CA certificates
at that path, set ca_file = "$dir/ca-certificates.crt" in the mapping.

Libraries: ${libs[*]}
EOF
  chmod 0644 "$stage/BUNDLE-INFO"
  chmod 0755 "$stage" "$stage/lib"
  verify_bundle "$stage"

  # Swap the new bundle in; running jobs keep the old files they have open.
  if [ -e "$dir" ]; then
    mv "$dir" "$stage.old"
    CLEANUP+=("$stage.old")
  fi
  mv "$stage" "$dir"
  say "bundle ready in $dir: $NAME, lib/ (${#libs[@]} libraries), ca-certificates.crt, BUNDLE-INFO; needs glibc $glibc or newer in the job image"
}

case "$ACTION" in
  install) do_install ;;
  uninstall) do_uninstall ;;
  bundle) do_bundle ;;
esac
