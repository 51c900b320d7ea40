#!/bin/sh
# Replays every file of fuzz/regressions/ through the berth binary (`berth -f FILE config`).
# Errors are fine (most of these inputs are invalid on purpose); what fails the check is a run
# that dies of a signal (stack overflow, abort, out of memory), panics (exit 101) or takes longer
# than 5 seconds.
#
# Usage: fuzz/check-regressions.sh [BERTH]
#   (default: target/<host tuple>/debug/berth, where cargo builds it, built if missing)
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
host=$(rustc -vV | sed -n 's/^host: //p')
berth=${1:-${CARGO_TARGET_DIR:-$root/target}/${CARGO_BUILD_TARGET:-$host}/debug/berth}
if [ ! -x "$berth" ] && [ -z "${1:-}" ]; then
    (cd "$root" && cargo build --bin berth) || exit 2
fi
# Each run happens inside fuzz/regressions/: make the binary's path absolute first.
case $berth in /*) ;; *) berth=$(pwd)/$berth ;; esac
if [ ! -x "$berth" ]; then
    echo "no berth binary at $berth" >&2
    exit 2
fi
limit=5
failures=0
total=0
for file in "$here"/regressions/*; do
    [ -f "$file" ] || continue
    total=$((total + 1))
    name=${file#"$here"/regressions/}
    start=$(date +%s%N)
    # The files refer to their neighbours (include, extends) by relative path.
    (cd "$here/regressions" && env -i PATH="$PATH" HOME="$HOME" \
        timeout -s KILL "$limit" "$berth" -p regression -f "$file" config >/dev/null 2>"$here/.stderr")
    status=$?
    milliseconds=$((($(date +%s%N) - start) / 1000000))
    if [ "$status" -eq 137 ] && [ "$milliseconds" -ge $((limit * 1000)) ]; then
        verdict="FAIL: still running after ${limit} s"
    elif [ "$status" -gt 128 ]; then
        verdict="FAIL: killed by signal $((status - 128))"
    elif [ "$status" -eq 101 ]; then
        verdict="FAIL: panicked"
    else
        verdict="ok (exit $status)"
    fi
    message=$(head -c 120 "$here/.stderr" | tr '\n' ' ')
    printf '%-32s %6d ms  %s  %s\n' "$name" "$milliseconds" "$verdict" "$message"
    case $verdict in FAIL*) failures=$((failures + 1)) ;; esac
done
rm -f "$here/.stderr"
echo "$failures of $total regression inputs failed"
[ "$failures" -eq 0 ]
