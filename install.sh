#!/usr/bin/env bash
# Installs gitlab-oidc-aws on a GitLab Runner host, builds the self-contained bundle for the
# docker and kubernetes executors, or builds a Debian package. Run as root from a clone of the
# repository on Debian 12 with a Swift 6 toolchain on PATH. Safe to run again (upgrades the
# binary, keeps the mapping).
#
#   ./install.sh                         build, install /usr/local/bin/gitlab-oidc-aws, put the
#                                        example mapping at /etc/gitlab-runner/oidc-aws.toml if
#                                        there is none, print the runner snippet, check
#   ./install.sh --bundle /opt/gitlab-oidc-aws    the bundle for container executors
#   ./install.sh --deb DIR               DIR/gitlab-oidc-aws_<version>_amd64.deb
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
# The library the binary loads with dlopen on its first request, and the dynamic loader.
CURL_SONAME=libcurl.so.4
LOADER=ld-linux-x86-64.so.2
# Beyond the build packages: what the bundle and the package are made of and with.
BUNDLE_PACKAGES=(gcc libc6-dev libcurl4 ca-certificates patchelf python3)
DEB_PACKAGES=(dpkg-dev)
# The package's mapping (a conffile): not in /etc/gitlab-runner, see docs/admin-guide.md.
DEB_MAPPING=/etc/gitlab-oidc-aws/oidc-aws.toml

usage() {
  cat <<EOF
usage: ./install.sh [--prefix DIR] [--mapping FILE] [--binary FILE]
       ./install.sh --uninstall [--prefix DIR]
       ./install.sh --bundle DIR [--mount-path PATH] [--binary FILE]
       ./install.sh --deb DIR [--binary FILE]

Install (the default):
  builds a release binary (swift build -c release --static-swift-stdlib), installs it as
  PREFIX/bin/$NAME, installs the commented example mapping at FILE only when FILE does
  not exist, prints the runner's pre_build_script, and runs \`$NAME version\` and
  \`$NAME check\` on the mapping. Debian packages it needs are installed first.

Options:
  --prefix DIR       install under DIR (default /usr/local)
  --mapping FILE     the mapping file (default /etc/gitlab-runner/oidc-aws.toml); never
                     overwritten, never removed
  --binary FILE      use this already built binary instead of building one
  --uninstall        remove the binary and the files an earlier install under PREFIX recorded
                     in PREFIX/share/$NAME/installed-files; the mapping stays
  --bundle DIR       build the self-contained bundle for container executors in DIR: a
                     static launcher DIR/$NAME, the program with its own dynamic
                     loader, C library and every library it loads in DIR/lib, Debian's CA
                     certificates, the libraries' licences and BUNDLE-INFO. It runs in any
                     x86_64 Linux image (glibc, musl or no C library), without /proc,
                     wherever it is mounted
  --mount-path PATH  where job containers will see the bundle, for the printed snippet
                     (default /opt/$NAME)
  --deb DIR          build DIR/${NAME}_<version>_amd64.deb: /usr/bin/$NAME,
                     the bundle in /opt/$NAME, the example mapping as the
                     conffile $DEB_MAPPING, docs
  -h, --help         this text

Exit status: 0 done, 1 failed (the message says why), 64 bad usage.
Environment: SWIFT=/path/to/swift (default: swift on PATH); DEBFULLNAME and DEBEMAIL name
the package's maintainer (default: the author of the repository's last commit).
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
DEB_DIR=""
MOUNT_PATH=/opt/$NAME
ACTION=install

# set_action ACTION OPTION: one of --bundle, --deb and --uninstall.
set_action() {
  [ "$ACTION" = install ] || usage_error "$2 cannot be combined with --$ACTION"
  ACTION="$1"
}

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix | --mapping | --binary | --bundle | --deb | --mount-path)
      [ $# -ge 2 ] && [ -n "$2" ] || usage_error "$1 needs a value"
      case "$1" in
        --prefix) PREFIX="$2" ;;
        --mapping) MAPPING="$2" ;;
        --binary) BINARY="$2" ;;
        --bundle) set_action bundle "$1" && BUNDLE="$2" ;;
        --deb) set_action deb "$1" && DEB_DIR="$2" ;;
        --mount-path)
          case "$2" in
            /*) MOUNT_PATH="${2%/}" ;;
            *) usage_error "--mount-path must be an absolute path: $2" ;;
          esac
          ;;
      esac
      shift 2
      ;;
    --uninstall)
      set_action uninstall "$1"
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

# runner_snippet BINARY MAPPING: the [[runners]] lines for config.toml. The same lines are in
# README.md, docs/, runner-config/ and the Debian package's README.Debian (a test compares
# them); docs/admin-guide.md explains each.
runner_snippet() {
  cat <<EOF
[[runners]]
  pre_build_script = '''
$1 hook --config $2 || { hook_rc=\$?
  if [ \$hook_rc -lt 126 ]; then exit \$hook_rc; fi
  if [ -n "\$AWS_ID_TOKEN" ]; then echo "gitlab-oidc-aws: cannot start the hook (exit \$hook_rc): tell the runner administrator" >&2; exit \$hook_rc; fi; }
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

$(runner_snippet "$TARGET" "$MAPPING")

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

# Prints the absolute path of every shared library FILE loads, as this machine's loader finds
# them (the whole dependency tree, the loader itself included). Dies when one is not found.
library_closure() {
  local output
  output="$(ldd "$1")" || die "ldd $1 failed"
  if grep -q 'not found' <<<"$output"; then
    die "ldd finds no file for some libraries of $1:
$(grep 'not found' <<<"$output")"
  fi
  awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<<"$output"
}

# The file the dynamic loader would load for SONAME on this machine.
library_path() {
  ldconfig -p | awk -v soname="$1" -v arch="$(uname -m | tr _ -)" \
    '$1 == soname && index($0, arch) { print $NF; exit }'
}

# Prints "NAME PATH" for every library the bundle needs: the binary's own and libcurl's (the
# binary loads libcurl with dlopen on its first request), the C library and the dynamic
# loader included. NAME is the file name the loader looks for.
runtime_libraries() {
  local curl path
  curl="$(library_path "$CURL_SONAME")"
  [ -n "$curl" ] || die "$CURL_SONAME is not installed: apt-get install libcurl4"
  {
    library_closure "$1"
    printf '%s\n' "$curl"
    library_closure "$curl"
  } | while read -r path; do printf '%s %s\n' "$(basename "$path")" "$path"; done | sort -u -k1,1
}

# bundle_launcher OUTPUT: compiles bundle/launcher.c, the bundle's static entry point.
bundle_launcher() {
  gcc -Os -static -nostdlib -ffreestanding -fno-stack-protector -fno-asynchronous-unwind-tables \
    -fno-pie -no-pie -Wall -Wextra -Werror -Wl,--build-id=none -s -o "$1" "$REPO/bundle/launcher.c" ||
    die "compiling bundle/launcher.c failed (see above)"
}

# The Debian package and version a file comes from, e.g. "libcurl4 7.88.1-10+deb12u14".
package_of() {
  local package
  package="$(dpkg -S "$(realpath "$1")" 2>/dev/null | head -n 1 | cut -d: -f1)" ||
    package="$(dpkg -S "$1" 2>/dev/null | head -n 1 | cut -d: -f1)" || true
  if [ -n "$package" ]; then
    printf '%s %s' "$package" "$(dpkg-query -W -f='${Version}' "$package" 2>/dev/null)"
  else
    printf 'not from a Debian package'
  fi
}

# The bundled dynamic loader must not read the image's /etc/ld.so.preload, which would load a
# library of the image into the bundle's process whatever the environment says: its copy
# gets another file name of the same length, one that cannot exist.
patch_loader() {
  python3 - "$1" <<'PY' || die "cannot patch the bundled loader $1"
import sys
path = sys.argv[1]
data = open(path, "rb").read()
old, new = b"/etc/ld.so.preload\0", b"/dev/null/-/-/-/-/\0"
assert len(old) == len(new)
if data.count(old) != 1:
    sys.exit(f"{path}: expected the string {old!r} once, found it {data.count(old)} times")
open(path, "wb").write(data.replace(old, new))
PY
}

# Fails when the bundle in DIR does not start, or loads a library from outside DIR.
verify_bundle() {
  local dir="$1" output outside
  output="$(env -i LD_DEBUG=libs "$dir/$NAME" version 2>&1)" ||
    die "bundle check failed: $dir/$NAME version does not run:
$output"
  outside="$(grep -oE 'calling init: /[^ ]*' <<<"$output" | awk '{ print $3 }' | grep -v "^$dir/" || true)"
  [ -z "$outside" ] || die "bundle check failed: the bundle loaded libraries from outside $dir: $outside"
}

do_bundle() {
  require_root "it installs Debian packages (the build dependencies, gcc, libcurl4, ca-certificates)"
  require_debian
  apt_install_missing "${BUILD_PACKAGES[@]}" "${BUNDLE_PACKAGES[@]}"
  local dir parent built stage
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
  make_bundle "$built" "$stage"

  # Swap the new bundle in; running jobs keep the old files they have open.
  if [ -e "$dir" ]; then
    mv "$dir" "$stage.old"
    CLEANUP+=("$stage.old")
  fi
  mv "$stage" "$dir"
  say "bundle ready in $dir: $NAME (the launcher), lib/ (the program, its loader and libraries), ca-certificates.crt, BUNDLE-INFO"
  cat <<EOF

Mount $dir read-only at $MOUNT_PATH in every job container (docker executor: the volume
"$dir:$MOUNT_PATH:ro"; see runner-config/ and docs/admin-guide.md) and use this
pre_build_script:

$(runner_snippet "$MOUNT_PATH/$NAME" "$MAPPING")

EOF
}

# make_bundle BINARY DIR: the bundle's files in the empty folder DIR.
make_bundle() {
  local built="$1" stage="$2" name path package libs=() version glibc
  mkdir -p "$stage/lib"
  bundle_launcher "$stage/$NAME"
  copy_stripped "$built" "$stage/lib/$NAME"
  mkdir "$stage/licenses"
  while read -r name path; do
    copy_stripped "$path" "$stage/lib/$name"
    package="$(package_of "$path")"
    libs+=("$name ($package)")
    package="${package%% *}"
    if [ -f "/usr/share/doc/$package/copyright" ] && [ ! -e "$stage/licenses/$package" ]; then
      cp -L "/usr/share/doc/$package/copyright" "$stage/licenses/$package"
    fi
  done < <(runtime_libraries "$built")
  [ -f "$stage/lib/$LOADER" ] && [ -f "$stage/lib/libc.so.6" ] ||
    die "ldd did not report $LOADER and libc.so.6 for $built: is it a dynamically linked glibc program?"
  patch_loader "$stage/lib/$LOADER"
  # Search paths written into the files (e.g. the Swift toolchain's) would name folders of the
  # job image; the launcher gives the loader the bundle's lib/ instead.
  for path in "$stage/lib"/*; do
    if [ -n "$(patchelf --print-rpath "$path" 2>/dev/null)" ]; then
      patchelf --remove-rpath "$path" || die "patchelf --remove-rpath $path failed"
    fi
  done

  # Trusted CAs for job images that have no system CA file (docs/supported-images.md).
  [ -r "$HOST_CA_FILE" ] || die "$HOST_CA_FILE is missing: apt-get install ca-certificates"
  cp -L "$HOST_CA_FILE" "$stage/ca-certificates.crt"

  find "$stage" -type f -exec chmod 0644 {} +
  find "$stage" -type d -exec chmod 0755 {} +
  chmod 0755 "$stage/$NAME" "$stage/lib/$NAME" "$stage/lib/$LOADER"
  version="$("$stage/$NAME" version)" || die "the bundled program does not run on this machine"
  glibc="$(dpkg-query -W -f='${Version}' libc6)"
  {
    printf '%s, bundled by install.sh on %s (%s).\n\n' "$version" \
      "$(. /etc/os-release && printf '%s' "${PRETTY_NAME:-$ID}")" "$(uname -m)"
    cat <<EOF
A self-contained folder for container executors: mount it read-only in every job container
(at $MOUNT_PATH, or any other path: it finds its own files) and run $NAME in it. It
runs in any $(uname -m) Linux image whatever its C library (glibc of any age, musl, none at
all), without /proc, and loads no library of the image: $NAME is a small static launcher
that starts lib/$NAME with the bundle's own dynamic loader and libraries (Debian's glibc
$glibc). See docs/supported-images.md.

ca-certificates.crt: Debian's CA bundle, used when the job image has no system CA file.
licenses/: the copyright and licence files of the Debian packages the libraries come from.

Files in lib/ and the Debian packages they come from:
EOF
    printf '  %s\n' "${libs[@]}"
  } >"$stage/BUNDLE-INFO"
  chmod 0644 "$stage/BUNDLE-INFO"
  verify_bundle "$stage"
}

# --- Debian package ------------------------------------------------------------------------

# deb_depends ROOT: the Depends field. dpkg-shlibdeps computes it for the binary and for a
# stand-in that links libcurl like the binary would if it did not load it with dlopen; the
# libcurl4 version is raised to 7.85.0, the first with CURLOPT_PROTOCOLS_STR, which the
# binary sets (dlopen hides that from dpkg-shlibdeps).
deb_depends() {
  local root="$1" work field
  work="$(mktemp -d)"
  CLEANUP+=("$work")
  mkdir "$work/debian"
  printf 'Source: %s\n\nPackage: %s\nArchitecture: amd64\n' "$NAME" "$NAME" >"$work/debian/control"
  cat >"$work/curl-stand-in.c" <<'EOF'
#include <curl/curl.h>
void *goa_curl_functions[] = {(void *)curl_global_init, (void *)curl_easy_init, (void *)curl_easy_cleanup,
                              (void *)curl_easy_reset, (void *)curl_easy_perform, (void *)curl_easy_strerror,
                              (void *)curl_easy_setopt, (void *)curl_easy_getinfo, (void *)curl_slist_append,
                              (void *)curl_slist_free_all};
EOF
  gcc -shared -fPIC -o "$work/curl-stand-in.so" "$work/curl-stand-in.c" -lcurl ||
    die "cannot build the libcurl stand-in for dpkg-shlibdeps"
  field="$(cd "$work" && dpkg-shlibdeps -O -e "$root/usr/bin/$NAME" -e "$work/curl-stand-in.so" 2>"$work/log")" ||
    die "dpkg-shlibdeps failed: $(cat "$work/log")"
  field="${field#shlibs:Depends=}"
  printf '%s\n' "$field" | tr ',' '\n' | sed 's/^ *//' | while read -r dependency; do
    case "$dependency" in
      "libcurl4 (>= "*)
        local version="${dependency#libcurl4 (>= }"
        version="${version%)}"
        if dpkg --compare-versions "$version" lt 7.85.0; then dependency="libcurl4 (>= 7.85.0)"; fi
        ;;
    esac
    printf '%s\n' "$dependency"
  done | paste -sd, - | sed 's/,/, /g'
}

# man_page VERSION BINARY: a manual page made from the commands' --help.
man_page() {
  local version="$1" binary="$2" command date
  date="$(date -u -d "@$SOURCE_DATE_EPOCH" '+%Y-%m-%d')"
  roff_text() { sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/"; }
  printf '.TH GITLAB\\-OIDC\\-AWS 1 "%s" "%s" "User Commands"\n' "$date" "$version"
  printf '.SH NAME\ngitlab\\-oidc\\-aws \\- GitLab Runner pre\\-build hook: AWS credentials from a job'"'"'s OIDC ID token\n'
  printf '.SH DESCRIPTION\n.nf\n'
  "$binary" --help | roff_text
  printf '.fi\n'
  for command in hook check explain trust-policy credential-process version; do
    "$binary" "$command" --help >/dev/null 2>&1 || continue
    printf '.SH "%s"\n.nf\n' "$(printf '%s' "$command" | tr '[:lower:]-' '[:upper:] ')"
    "$binary" "$command" --help | roff_text
    printf '.fi\n'
  done
  printf '.SH FILES\n.TP\n%s\nthe example mapping (a conffile); see /usr/share/doc/%s/README.Debian\n' "$DEB_MAPPING" "$NAME"
  printf '.TP\n/opt/%s\nthe self\\-contained bundle that container executors mount into job containers\n' "$NAME"
}

do_deb() {
  require_root "it installs Debian packages (the build dependencies, dpkg-dev) and sets file owners"
  require_debian
  apt_install_missing "${BUILD_PACKAGES[@]}" "${BUNDLE_PACKAGES[@]}" "${DEB_PACKAGES[@]}"
  [ -f "$EXAMPLE" ] || die "$EXAMPLE is missing: run $PROG from a complete clone of the repository"
  local out built version work root doc maintainer depends deb
  out="$(absolute "$DEB_DIR")"
  mkdir -p "$out" || die "cannot create $out"
  built="$(release_binary)"
  version="$("$built" version | awk '{ print $2 }')"
  [ -n "$version" ] || die "$built version printed no version"
  SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git -C "$REPO" log -1 --format=%ct 2>/dev/null || date +%s)}"
  export SOURCE_DATE_EPOCH
  # Who built it: DEBFULLNAME and DEBEMAIL, as for Debian's own tools, else the author of the
  # repository's last commit.
  maintainer="$(git -C "$REPO" log -1 --format='%an <%ae>' 2>/dev/null || true)"
  if [ -n "${DEBEMAIL:-}" ]; then maintainer="${DEBFULLNAME:-$NAME maintainers} <$DEBEMAIL>"; fi
  [ -n "$maintainer" ] || die "set DEBEMAIL (and DEBFULLNAME) to the maintainer's address: the package must name one"
  work="$(mktemp -d)"
  CLEANUP+=("$work")
  root="$work/root"
  doc="$root/usr/share/doc/$NAME"
  mkdir -p "$root/DEBIAN" "$root/usr/bin" "$root/etc/$NAME" "$doc" "$root/usr/share/man/man1" \
    "$root/usr/share/lintian/overrides"

  copy_stripped "$built" "$root/usr/bin/$NAME"
  MOUNT_PATH="/opt/$NAME" make_bundle "$built" "$root/opt/$NAME"
  install -m 0644 "$EXAMPLE" "$root$DEB_MAPPING"
  sed "s/@YEARS@/$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y)/" "$REPO/packaging/copyright" >"$doc/copyright"
  chmod 0644 "$doc/copyright"
  install -m 0644 "$REPO/packaging/lintian-overrides" "$root/usr/share/lintian/overrides/$NAME"
  {
    sed -n '1,/^---$/p' "$REPO/packaging/README.Debian" | sed '$d'
    printf '```toml\n%s\n```\n\n' "$(runner_snippet "/usr/bin/$NAME" "$DEB_MAPPING")"
    printf 'Docker executor: mount the bundle and the mapping into every job container, with the\n'
    printf 'volumes "/opt/%s:/opt/%s:ro" and "/etc/%s:/etc/%s:ro" in\n' "$NAME" "$NAME" "$NAME" "$NAME"
    printf '[runners.docker], and use (kubernetes: see docs/admin-guide.md):\n\n'
    printf '```toml\n%s\n```\n' "$(runner_snippet "/opt/$NAME/$NAME" "$DEB_MAPPING")"
    sed -n '/^---$/,$p' "$REPO/packaging/README.Debian" | sed '1d'
  } >"$doc/README.Debian"
  install -m 0644 "$REPO/README.md" "$doc/README.md"
  {
    printf '%s (%s) unstable; urgency=medium\n\n' "$NAME" "$version"
    printf '  * Built by install.sh --deb; the repository history lists the changes.\n\n'
    printf ' -- %s  %s\n' "$maintainer" "$(date -u -R -d "@$SOURCE_DATE_EPOCH")"
  } | gzip -9n >"$doc/changelog.Debian.gz"
  man_page "$NAME $version" "$root/usr/bin/$NAME" | gzip -9n >"$root/usr/share/man/man1/$NAME.1.gz"

  depends="$(deb_depends "$root")"
  printf '%s\n' "$DEB_MAPPING" >"$root/DEBIAN/conffiles"
  cat >"$root/DEBIAN/control" <<EOF
Package: $NAME
Version: $version
Architecture: amd64
Maintainer: $maintainer
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $depends
Section: admin
Priority: optional
Description: GitLab Runner pre-build hook: AWS credentials from a job's OIDC token
 gitlab-oidc-aws turns a GitLab CI job's signed OIDC ID token into short-lived
 AWS credentials, written to the job's environment file, for the IAM role that
 a mapping file assigns to the job's project, branch or environment.
 .
 This package holds the binary for the shell executor (/usr/bin), the
 self-contained bundle that docker and kubernetes executors mount into
 job containers (/opt/$NAME), and an example mapping
 in /etc/$NAME.
EOF
  (cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
  find "$root" -type d -exec chmod 0755 {} +
  chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums"
  deb="$out/${NAME}_${version}_amd64.deb"
  dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null || die "dpkg-deb --build failed"
  say "built $deb (Depends: $depends)"
}

case "$ACTION" in
  install) do_install ;;
  uninstall) do_uninstall ;;
  bundle) do_bundle ;;
  deb) do_deb ;;
esac
