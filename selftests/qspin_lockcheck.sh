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

# Locks freed while held (qspin_lockcheck.ko leak=, no case run): each must
# give qspin's "held lock freed!" naming the lock, and leave no record in
# /sys/kernel/debug/qspin/held. Results as TAP lines after the matrix's.
held=/sys/kernel/debug/qspin/held
extra=""
n_extra=0
check() {	# check DESCRIPTION COMMAND...: one TAP line, numbered later
	desc=$1
	shift
	n_extra=$((n_extra + 1))
	if "$@"; then
		extra="$extra
ok @ $desc"
	else
		extra="$extra
not ok @ $desc"
	fi
}
# Records now, not a lock's comment lines (a racy snapshot: normally none).
held_records() { grep -vc '^#' "$held"; }
# cond_not_held LOCK: no record of LOCK in held.
cond_not_held() { ! grep -q "$1" "$held"; }
# log_has MARKER PATTERN: the kernel log since MARKER has PATTERN.
log_has() { dmesg | sed -n "/$1/,\$p" | grep -q "$2"; }

m1="qspin_lockcheck.sh: leak=1 $$"
echo "$m1" > /dev/kmsg
before=$(held_records)
modprobe qspin_lockcheck leak=1 cases=none
# The lock left held by the module's init is caught when modprobe returns
# to user space (qspin's raw_syscalls:sys_exit probe), reported and
# released: nothing is left for rmmod to find. Until then the kernel's
# module loader allocates with GFP_KERNEL while it is held: qspin reports
# those as sleeping under a lock too (they are).
check "leak=1: modprobe's return to user space reports qspin: WARNING: lock held when returning to user space!" \
	log_has "$m1" 'qspin: WARNING: lock held when returning to user space!'
check "leak=1: the report names the lock and where it was taken" \
	log_has "$m1" 'to user space holding lock lc_leaked_lock .*'
check "leak=1: released: held no longer lists the lock" \
	cond_not_held lc_leaked_lock
rmmod qspin_lockcheck
check "leak=1: rmmod has nothing more to report (no held lock freed!)" \
	sh -c "! dmesg | sed -n '/$m1/,\$p' | grep -q 'qspin: WARNING: held lock freed!'"
check "leak=1: held no longer lists the lock" [ "$(held_records)" -le "$before" ]

m2="qspin_lockcheck.sh: leak=2 $$"
echo "$m2" > /dev/kmsg
before=$(held_records)
modprobe qspin_lockcheck leak=2 cases=none
rmmod qspin_lockcheck
check "leak=2: kfree() of a held lock reports qspin: WARNING: held lock freed!" \
	log_has "$m2" 'qspin: WARNING: held lock freed!'
check "leak=2: the report names the freeing call site and the lock" \
	log_has "$m2" 'freed at lc_kfree_held[.+].* holds lock &bad->lock (.*), held by CPU [0-9]* in task context'
check "leak=2: the report says the fix" \
	log_has "$m2" 'fix: release the lock before freeing its memory'
check "leak=2: one report only: none for the lock released before kfree()" \
	[ "$(dmesg | sed -n "/$m2/,\$p" | grep -c 'qspin: WARNING: held lock freed!')" = 1 ]
addr=$(dmesg | sed -n "/$m2/,\$p" | sed -n 's/.*freeing lc_boxed_lock \([0-9a-f]*\) while held.*/\1/p')
check "leak=2: the report is for the lock freed while held ($addr)" \
	log_has "$m2" "holds lock .* (${addr:-none}), held by"
check "leak=2: held no longer lists the lock" [ "$(held_records)" -le "$before" ]

m3="qspin_lockcheck.sh: leak=3 $$"
echo "$m3" > /dev/kmsg
before=$(held_records)
modprobe qspin_lockcheck leak=3 cases=none
rmmod qspin_lockcheck
check "leak=3: kmem_cache_free() of a held lock reports it at lc_cache_free_held" \
	log_has "$m3" 'freed at lc_cache_free_held[.+].* holds lock &bad->lock (.*), held by CPU'
check "leak=3: held no longer lists the lock" [ "$(held_records)" -le "$before" ]

plan=$(echo "$tap" | sed -n 's/^1\.\.//p')
seen=$(echo "$tap" | grep -cE '^(not )?ok ')
echo "TAP version 13"
echo "1..$((plan + n_extra))"
echo "$tap" | grep -v '^1\.\.'
k=$seen
echo "$extra" | sed '/^$/d' | while read -r line; do
	k=$((k + 1))
	echo "$line" | sed "s/@/$k/"
done
status=0
echo "$tap" | grep -q '^not ok' && status=1
echo "$extra" | grep -q '^not ok' && status=1
# Every planned case reported.
[ "$plan" = "$seen" ] || { echo "# planned $plan cases, $seen reported"; status=1; }
exit $status
