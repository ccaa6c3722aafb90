#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make check: install what is missing, build, run every suite, add them up.
# Each suite writes build/results/<suite>.txt (scripts/lib/results.sh); a
# suite that dies before writing its results counts as one failure.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
rm -rf build/results
mkdir -p build/results build/logs

step() {
	local suite=$1
	shift
	printf '\n==== %s: %s\n' "$suite" "$*"
	local t0=$SECONDS
	if ! "$@"; then
		# A suite that failed without recording why still counts.
		grep -q '^FAIL' "build/results/$suite.txt" 2>/dev/null ||
			echo "FAIL $suite # exited non-zero" >> "build/results/$suite.txt"
	fi
	printf '==== %s done in %ds\n' "$suite" $((SECONDS - t0))
}

scripts/deps.sh || { echo "FAIL deps # scripts/deps.sh failed" > build/results/deps.txt; }
step host-tests scripts/host-tests.sh
step kernel-checks bash -c 'make -s vm-modules >build/logs/vm-modules.log 2>&1 || { cat build/logs/vm-modules.log; exit 1; }; scripts/kernel-checks.sh'
step vm-selftests scripts/vm-selftests.sh
step demo-lockup scripts/demo-lockup-test.sh
printf '\n'
exec scripts/summary.sh
