#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The switches, switched over and over under load (issue 13): validate off
# and on QSPIN_TOGGLES times (default 20) while a torture runs and three
# loops fork, exec, read /proc and debugfs (allocations, exits, returns to
# user space: every hook the validator adds), with lock_stat and qspin's
# trace events switched with it every 4th round.
#
#   each round   the write succeeds and validate reads back what was written
#   after        the validator still names a mistake (test_qspin_mistakes'
#                "leak": its report, once), the torture SUCCESS at its
#                rmmod, qspin.ko unloads, no splat
#
# Switching validate registers and removes kprobes and tracepoints: kernel
# text patched each time (jump labels, ftrace call sites). QEMU 7.2's
# multi-threaded TCG runs stale translations of such text now and then
# (README, "The emulator's own fault"): the first switches under this load
# killed the guest in kmem_cache_alloc_bulk() (a call into a freed ftrace
# trampoline) or left vCPUs looping on an int3 in do_exit() or at
# should_failslab+0x0; under single-threaded TCG it passes. So make check
# runs this test in a boot of its
# own under "-accel tcg,thread=single" (scripts/check.sh, suite vm-toggle),
# and qspin_fuzz.sh leaves validate out.
#
# Expected console output: one "lock held when returning to user space"
# report (the planted leak); nothing else of note.
# Exit: 0 pass, 1 fail, 4 skip. POSIX sh: the VM runs BusyBox ash.

. "$(dirname "$0")/qspin_tap.sh"
. "$(dirname "$0")/qspin_clients.sh"

echo "TAP version 13"
tap_need qspin qspin-torture

ROUNDS=${QSPIN_TOGGLES:-20}
Q=/sys/kernel/debug/qspin
P=/sys/module/qspin/parameters
EV=/sys/kernel/tracing/events/qspin/enable

unload_all || { nok "unload qspin and its clients first"; tap_done; }
mark start
modprobe qspin || { nok "modprobe qspin"; tap_done; }
check "validate on at load" cond '[ "$(cat $Q/validate)" = on ]'
check "torture loaded" \
	modprobe qspin-torture nwriters=2 stat_interval=0 irq_interval_us=0 nest=0

# Load: exits and execs, /proc and debugfs reads.
( while :; do cat /proc/self/status > /dev/null; ls $Q > /dev/null; done ) &
l1=$!
( while :; do cat /proc/meminfo > /dev/null; done ) &
l2=$!
( while :; do /bin/true; done ) &
l3=$!

mark toggles
t0=$(cut -d. -f1 /proc/uptime)
i=1 good=0
while [ $i -le "$ROUNDS" ]; do
	r=ok
	echo off > $Q/validate || r="write off"
	[ "$(cat $Q/validate)" = off ] || r="$r; reads $(cat $Q/validate) after off"
	if [ $((i % 4)) = 0 ]; then
		echo 1 > $P/lock_stat || r="$r; lock_stat=1"
		[ -e $EV ] && { echo 1 > $EV || r="$r; events on"; }
	fi
	echo on > $Q/validate || r="$r; write on"
	[ "$(cat $Q/validate)" = on ] || r="$r; reads $(cat $Q/validate) after on"
	if [ $((i % 4)) = 0 ]; then
		[ -e $EV ] && { echo 0 > $EV || r="$r; events off"; }
		echo 0 > $P/lock_stat || r="$r; lock_stat=0"
	fi
	if [ "$r" = ok ]; then good=$((good + 1)); else log "round $i: $r"; fi
	i=$((i + 1))
done
t1=$(cut -d. -f1 /proc/uptime)
kill $l1 $l2 $l3
wait 2>/dev/null
log "$ROUNDS rounds of validate off/on in $((t1 - t0)) s"
check "$ROUNDS rounds: every write took, every read-back right ($good good)" \
	[ "$good" = "$ROUNDS" ]
check "lock_stat off, validate on after them" \
	cond '[ "$(cat $P/lock_stat)" = 0 ] && [ "$(cat $Q/validate)" = on ]'
check "rounds: no splat" clean toggles

# The validator still works: one planted leak, one report.
mark leak
if modprobe test_qspin_mistakes; then
	echo 1 > /sys/kernel/debug/test_qspin_mistakes/leak
	sleep 1
	check "after the rounds, a planted leak is reported once" \
		cond '[ "$(since leak | grep -c "qspin: WARNING: lock held when returning to user space!")" = 1 ]'
	rmmod test_qspin_mistakes
else
	nok "modprobe test_qspin_mistakes"
fi

rmmod qspin-torture
check "torture: SUCCESS at its rmmod" cond 'since start | grep -q "End of test: SUCCESS"'
check "rmmod qspin" rmmod qspin
check "whole test: no splat but the planted leak's report" \
	cond '! since start | sed "/qspin: WARNING: lock held when returning to user space!/,/end of qspin report/d" |
		no_kcsan | grep -Eq "BUG:|WARNING:|Oops|soft lockup|rcu: INFO|general protection|qspin: possible"'
modprobe qspin
tap_done
