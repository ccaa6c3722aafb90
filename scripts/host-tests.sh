#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Host tests: configure and build core/ (plain, TSan, ASan+UBSan and the
# mutants), run every CTest test, record one result per test.
#
#   scripts/host-tests.sh            build into build/host, run ctest
#   JOBS=N scripts/host-tests.sh     parallel build/test jobs (default: nproc)
#
# Results: build/results/host-tests.txt (scripts/lib/results.sh);
# ctest's log: build/logs/host-ctest.log.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
source scripts/lib/results.sh
results_init host-tests

build=build/host
jobs=${JOBS:-$(nproc)}
t0=$SECONDS
mkdir -p build/logs
log() { printf '[host-tests %3ds] %s\n' $((SECONDS - t0)) "$*" >&2; }

log "configure $build"
if ! cmake -S core -B "$build" -DCMAKE_BUILD_TYPE=Release \
	>build/logs/host-configure.log 2>&1; then
	cat build/logs/host-configure.log >&2
	result FAIL host-tests.configure "cmake configure failed"
	exit 1
fi

log "build (-j$jobs): unit, stress, tsan, asan, 5 mutants, bench"
if ! cmake --build "$build" -j"$jobs" >build/logs/host-build.log 2>&1; then
	grep -E 'error|Error' build/logs/host-build.log | head -n 40 >&2
	result FAIL host-tests.build "build failed, see build/logs/host-build.log"
	exit 1
fi

log "ctest (-j$jobs)"
ctest --test-dir "$build" -j"$jobs" --output-on-failure 2>&1 |
	tee build/logs/host-ctest.log |
	grep -E --line-buffered '^ *[0-9]+/[0-9]+ Test|tests passed|tests failed'
ctest_rc=${PIPESTATUS[0]}

# One result line per CTest test, read from ctest's own progress lines
# ("  3/58 Test  #3: unit.Layout.x ....   Passed    0.01 sec"); plain
# bash, so nothing beyond ctest is needed to count. The plan is the number
# of tests ctest knows of (ctest -N): fewer results than that fail.
planned=$(ctest --test-dir "$build" -N 2>/dev/null | sed -n 's/^Total Tests: *\([0-9]*\)$/\1/p')
results_plan "${planned:-0}"
fails=0 seen=0
while IFS= read -r line; do
	# Name: the first word after "#N:" (a parameterised test adds
	# "  # GetParam() = 2" after it); status and time end the line.
	[[ $line =~ ^\ *[0-9]+/[0-9]+\ Test\ +#[0-9]+:\ ([^ ]+)\ .*[\ .*]([A-Z][A-Za-z]*( Run)?)(:[^0-9]*)?\ +([0-9.]+)\ sec$ ]] || continue
	name=${BASH_REMATCH[1]} status=${BASH_REMATCH[2]} secs=${BASH_REMATCH[5]}
	seen=$((seen + 1))
	case $status in
	Passed) result PASS "$name" "${secs}s" ;;
	Skipped|Disabled) result SKIP "$name" "$status" ;;
	*) result FAIL "$name" "$status ${secs}s"; fails=$((fails + 1)) ;;
	esac
done < build/logs/host-ctest.log
if [ "$seen" -eq 0 ] || [ "$seen" -ne "${planned:-0}" ]; then
	result FAIL host-tests.count "ctest knows ${planned:-?} tests, $seen reported a result"
	fails=$((fails + 1))
fi

log "done: $fails failed (ctest exit $ctest_rc), total $((SECONDS - t0))s"
[ "$ctest_rc" -eq 0 ] && [ "$fails" -eq 0 ]
