#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The validator's scenario matrix in the VM: loading qspin_lockcheck.ko
# (selftests/lockcheck/, the qspin flavour) runs every case (lib/locking-
# selftest.c's families on qspinlock_t) and logs a table and KTAP; this
# relays the KTAP as its own TAP, one line per case, so the runner counts
# each. A case passes when qspin's report of the expected type appears, and
# no other (or none, for the cases that must stay silent).
#
# Environment: QSPIN_LOCKCHECK_CASES (the module's cases=, default all).
# Exit: 0 pass, 1 fail, 4 skip (module not installed: the validator is not
# in this tree yet).
# POSIX sh: the VM runs BusyBox ash.

cases=${QSPIN_LOCKCHECK_CASES:-all}
ksft_skip=4

if ! modinfo qspin_lockcheck >/dev/null 2>&1; then
	echo "1..0 # SKIP qspin_lockcheck.ko not installed"
	exit $ksft_skip
fi
modprobe qspin || { echo "1..0 # SKIP modprobe qspin failed"; exit 1; }

marker="qspin_lockcheck.sh: begin $$"
echo "$marker" > /dev/kmsg
if ! modprobe qspin_lockcheck cases="$cases"; then
	echo "not ok 1 modprobe qspin_lockcheck cases=$cases"
	echo "1..1"
	exit 1
fi
rmmod qspin_lockcheck

# The module's lines since the marker, without timestamp and prefix.
out=$(dmesg | sed -n "/$marker/,\$p" | sed -n 's/^\[[ 0-9.]*\] lockcheck: //p')
# The table, as diagnostics.
echo "$out" | sed -n '/^case  /,/testcases passed$/p' | sed 's/^/# /'
tap=$(echo "$out" | sed -n '/^KTAP version 1$/,$p' | grep -E '^(1\.\.[0-9]+|(not )?ok [0-9]+ )')
if [ -z "$tap" ]; then
	echo "not ok 1 qspin_lockcheck printed no results"
	echo "1..1"
	exit 1
fi
echo "TAP version 13"
echo "$tap"
echo "$tap" | grep -q '^not ok' && exit 1
# Every planned case reported.
plan=$(echo "$tap" | sed -n 's/^1\.\.//p')
seen=$(echo "$tap" | grep -cE '^(not )?ok ')
[ "$plan" = "$seen" ] || { echo "# planned $plan cases, $seen reported"; exit 1; }
exit 0
