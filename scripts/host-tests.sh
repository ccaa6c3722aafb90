#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Host tests: configure and build core/ (plain, TSan, ASan+UBSan and the
# mutants), run every CTest test, record one result per test.
#
#   scripts/host-tests.sh            build into build/host, run ctest
#   JOBS=N scripts/host-tests.sh     parallel build/test jobs (default: nproc)
#
# Results: build/results/host-tests.txt (scripts/lib/results.sh);
# ctest's log and JUnit report: build/logs/host-ctest.{log,xml}.
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
junit=$top/build/logs/host-ctest.xml
rm -f "$junit"
ctest --test-dir "$build" -j"$jobs" --output-on-failure \
	--output-junit "$junit" 2>&1 | tee build/logs/host-ctest.log |
	grep -E --line-buffered '^ *[0-9]+/[0-9]+ Test|tests passed|tests failed'
ctest_rc=${PIPESTATUS[0]}

# One result line per CTest test, from the JUnit report.
if [ ! -s "$junit" ]; then
	result FAIL host-tests.ctest "no JUnit report (ctest exit $ctest_rc)"
	exit 1
fi
fails=0
while IFS=$'\t' read -r verdict name detail; do
	result "$verdict" "$name" "$detail"
	[ "$verdict" = FAIL ] && fails=$((fails + 1))
done < <(python3 - "$junit" <<'PY'
import sys, xml.etree.ElementTree as ET
for tc in ET.parse(sys.argv[1]).getroot().iter('testcase'):
    name = tc.get('name').split(' ')[0]
    t = float(tc.get('time') or 0)
    st = tc.get('status', '')
    if tc.find('failure') is not None or tc.find('error') is not None or st == 'fail':
        v = 'FAIL'
    elif tc.find('skipped') is not None or st in ('notrun', 'disabled'):
        v = 'SKIP'
    else:
        v = 'PASS'
    print(f"{v}\t{name}\t{t:.2f}s")
PY
)

log "done: $fails failed (ctest exit $ctest_rc), total $((SECONDS - t0))s"
[ "$ctest_rc" -eq 0 ] && [ "$fails" -eq 0 ]
