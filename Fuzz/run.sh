#!/usr/bin/env bash
# Fuzzes one entry point of gitlab-oidc-aws with libFuzzer for a bounded time.
#
#   Fuzz/run.sh TARGET SECONDS [libFuzzer options...]
#
# TARGET is token, key-set, key-set-cache, sts-answer, iam-get-role, env-file, credential-cache,
# mapping or pattern (the test-only target Tests/FuzzTargets/), or toml (the TOML reader:
# Tests/TOMLTestSupport/TOMLFuzz.swift). Builds Fuzz/ (release, -sanitize=fuzzer,address)
# into .build-fuzz,
# starts from the seed corpus Fuzz/corpus/TARGET plus what earlier runs found
# (fuzz-out/corpus/TARGET), and writes crashing inputs to fuzz-out/artifacts/TARGET/.
# One fuzzing process at a time. Prints the number of executions and the findings; exits 1
# when an input crashed. FUZZ_NO_BUILD=1 reuses the binary built before.
#
# Keep a crashing input as a regression test by copying it into Fuzz/corpus/TARGET/ (the
# unit tests replay that folder) once the crash is fixed. See Fuzz/README.md.
set -euo pipefail

usage() { echo "usage: $0 TARGET SECONDS [libFuzzer options...]" >&2; exit 64; }
[ "$#" -ge 2 ] || usage
target="$1"
seconds="$2"
shift 2
case "$target" in
  token) max_len=24000 ;;
  key-set | key-set-cache) max_len=16384 ;;
  sts-answer | iam-get-role | mapping) max_len=8192 ;;
  env-file | credential-cache) max_len=4096 ;;
  pattern) max_len=1024 ;;
  toml) max_len=16384 ;;
  *) usage ;;
esac
case "$seconds" in '' | *[!0-9]*) usage ;; esac

root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/fuzz-out"
corpus="$out/corpus/$target"
artifacts="$out/artifacts/$target"
mkdir -p "$corpus" "$artifacts"
before="$(mktemp)"
trap 'rm -f "$before"' EXIT
find "$artifacts" -type f | sort >"$before"

build=(swift build -c "${FUZZ_CONFIGURATION:-release}" --scratch-path "$root/.build-fuzz")
if [ -z "${FUZZ_NO_BUILD:-}" ]; then
  echo "==> building the fuzzer" >&2
  # SwiftPM keeps the root package's file list in these plans; new source files need a new one.
  rm -f "$root/.build-fuzz/"*.yaml
  # ld.gold warns about every ASan helper symbol; the rest of the output is kept.
  (cd "$root/Fuzz" && "${build[@]}" -Xswiftc -sanitize=fuzzer,address -Xswiftc -g \
    -Xcc -fsanitize=fuzzer-no-link,address -Xcxx -fsanitize=fuzzer-no-link,address 2>&1 |
    { grep -v "Cannot export local symbol" || true; } >&2)
fi
binary="$(cd "$root/Fuzz" && "${build[@]}" --show-bin-path)/gitlab-oidc-aws-fuzz"

dictionary=()
[ -f "$root/Fuzz/dict/$target.dict" ] && dictionary=("-dict=$root/Fuzz/dict/$target.dict")
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$root/scripts/lsan-suppressions.txt:print_suppressions=0}"
log="$out/$target.log"
echo "==> fuzzing $target for $seconds s (log: $log)" >&2
status=0
(cd "$out" && FUZZ_TARGET="$target" "$binary" \
  -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$artifacts/" "${dictionary[@]}" "$@" "$corpus" "$root/Fuzz/corpus/$target") \
  >"$log" 2>&1 || status=$?

# Executions: the final statistics, or the last status line (#N: ...).
runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
[ -n "$runs" ] || runs="$(sed -n 's/^#\([0-9]*\):.*/\1/p' "$log" | tail -1)"
coverage="$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)"
new="$(find "$artifacts" -type f | sort | comm -13 "$before" -)"
found="$(printf '%s' "$new" | grep -c . || true)"
echo "$target: ${runs:-?} executions in $seconds s, ${coverage:-cov: ?}, corpus $(find "$corpus" -type f | wc -l) files, $found new findings in $artifacts"
if [ "$status" -ne 0 ]; then
  echo "$target: the fuzzer found a crash; the end of $log:" >&2
  tail -40 "$log" >&2
  exit 1
fi
