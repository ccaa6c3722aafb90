#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Load and unload (issue 13): 100 cycles of loading and unloading qspin.ko's
# client modules while a torture runs on its own locks the whole time.
#
#   one cycle   qspin-demo (source=irq_work: the edu device's PCI probe costs
#               seconds under TCG; one irq-fixed run every 10th cycle), then
#               one of test_qspin_mistakes, qspin_lockcheck cases=none,
#               qspin-compat-sample (a short workload; not on PREEMPT_RT)
#               and qspin-bench (a tiny run, stopped by rmmod) in turn: 25
#               cycles each, 200 loads and unloads in all, each checked gone
#               (QSPIN_CYCLES_ALL=1: all four every cycle, 500 in all; a
#               module load costs about a second under TCG on a busy host)
#   refusal     rmmod qspin while a client is loaded fails: kmod's rmmod
#               names the users ("in use by: qspin_torture", read from
#               sysfs), and the kernel itself (BusyBox rmmod calls
#               delete_module() directly) says
#               EAGAIN (EWOULDBLOCK: "Resource temporarily unavailable"),
#               before qspin's exit can run; the same while a client holds
#               a qspin lock (a demo run in progress). qspin.ko stays loaded
#               and says nothing: its exit never ran.
#   no leak     memory counted before the cycles (after one warm-up cycle,
#               caches dropped) and after: /proc/meminfo Slab within 512 kB
#               (other kernel activity moves it; a leak of 5 kB per cycle
#               would not fit), Percpu within 64 kB, VmallocUsed (module
#               memory is vmalloc()ed; kernel stacks come and go) within
#               128 kB, /proc/modules sizes equal
#   torture     one writer on the shared locks, sleeping every other
#               acquisition (with more, every module load waits seconds for
#               its RCU grace periods and IPIs under TCG); still SUCCESS at
#               its rmmod: no lock broken by the cycles
#
# Why not -EBUSY: the kernel decides a module's unload in delete_module()
# before its exit function runs (module_exit returns void): the only "no"
# a module can give is its reference count, and the kernel's answer to that
# is -EWOULDBLOCK. Every qspin lock is held by code of a loaded client
# (qspin's own code only runs called from one), and a client's link to
# qspin.ko's exports holds qspin.ko: so a held lock is always refused this
# way. A lock still held after its module went is leaked: the validator
# reports it ("held lock freed!"), and nobody can ever release it.
#
# Expected console output: none of note (vm-selftests.sh checks this test's
# part of the console strictly).
# Exit: 0 pass, 1 fail, 4 skip (qspin.ko or the torture not installed).
# POSIX sh: the VM runs BusyBox ash.

. "$(dirname "$0")/qspin_tap.sh"
. "$(dirname "$0")/qspin_clients.sh"

echo "TAP version 13"
tap_need qspin qspin-torture

CYCLES=${QSPIN_CYCLES:-100}
D=/sys/kernel/debug/qspin-demo

for m in $CLIENTS qspin; do
	loaded "$m" && rmmod "$m"
done
sample=
/sbin/modprobe -n -q qspin-compat-sample 2>/dev/null && sample=1

# one_cycle I: the demo, and one other client in turn (QSPIN_CYCLES_ALL=1:
# every client every cycle); status 0 if every load and unload went
one_cycle() {
	modprobe qspin-demo source=irq_work || return 1
	if [ $(($1 % 10)) = 0 ]; then
		printf irq-fixed > "$D/run" || return 1
	fi
	rmmod qspin-demo || return 1
	turn=$(($1 % 4))
	[ -n "${QSPIN_CYCLES_ALL:-}" ] && turn=all
	case $turn in 0|all)
		modprobe test_qspin_mistakes && loaded test_qspin_mistakes &&
			rmmod test_qspin_mistakes || return 1
	esac
	case $turn in 1|all)
		modprobe qspin_lockcheck cases=none && rmmod qspin_lockcheck || return 1
	esac
	case $turn in 2|all)
		if [ -n "$sample" ]; then
			modprobe qspin-compat-sample iterations=20 rounds=2 &&
				rmmod qspin-compat-sample || return 1
		fi
	esac
	case $turn in 3|all)
		modprobe qspin-bench rounds=1 tests=1 types=1 variants=1 batches=1 \
			batch_iters=10 && rmmod qspin-bench || return 1
	esac
	for m in qspin_demo test_qspin_mistakes qspin_lockcheck \
		qspin_compat_sample qspin_bench; do
		loaded "$m" && return 1
	done
	return 0
}

# memory: "SLAB_KB PERCPU_KB VMALLOC_KB MODULES_BYTES", caches dropped
memory() {
	sync
	echo 3 > /proc/sys/vm/drop_caches
	slab=$(sed -n 's/^Slab: *\([0-9]*\) kB/\1/p' /proc/meminfo)
	percpu=$(sed -n 's/^Percpu: *\([0-9]*\) kB/\1/p' /proc/meminfo)
	# Module memory is vmalloc()ed: the kernel's total (kB), module areas
	# and all (/proc/vmallocinfo hides its addresses from this test).
	vm=$(sed -n 's/^VmallocUsed: *\([0-9]*\) kB/\1/p' /proc/meminfo)
	mods=$(awk '{ s += $2 } END { print s + 0 }' /proc/modules)
	echo "$slab $percpu $vm $mods"
}

mark start
modprobe qspin || { nok "modprobe qspin"; tap_done; }
check "torture loaded, running for the whole test" \
	modprobe qspin-torture nwriters=1 stat_interval=0 irq_interval_us=0 nest=0 \
		sleep_freq=2 long_hold_freq=0

# ---- rmmod qspin refused while a client is loaded ----------------------------
msg=$(rmmod qspin 2>&1)
rc=$?
check "rmmod qspin with the torture loaded: refused ($msg)" \
	cond '[ $rc != 0 ] && echo "$msg" | grep -Eq "in use by: qspin_torture|Resource temporarily unavailable"'
msg=$(/sbin/rmmod qspin 2>&1)
rc=$?
check "kmod's rmmod qspin names the user ($msg)" \
	cond '[ $rc != 0 ] && echo "$msg" | grep -q "in use by: qspin_torture"'
msg=$(busybox rmmod qspin 2>&1)
rc=$?
check "delete_module(qspin) with the torture loaded: EAGAIN ($msg)" \
	cond '[ $rc != 0 ] && echo "$msg" | grep -q "Resource temporarily unavailable"'
check "qspin.ko still loaded, its exit never ran" \
	cond 'loaded qspin && ! since start | grep -q "qspin: unloaded"'

# ---- and while a client holds a qspin lock -------------------------------------
modprobe qspin-demo source=irq_work
( printf 'irq-fixed 100' > "$D/run" ) 2>/dev/null &
wpid=$!
sleep 1
if kill -0 $wpid 2>/dev/null; then
	msg=$(busybox rmmod qspin 2>&1)
	rc=$?
	check "delete_module(qspin) during a demo run (locks taken and held): EAGAIN ($msg)" \
		cond '[ $rc != 0 ] && echo "$msg" | grep -q "Resource temporarily unavailable"'
else
	ok "delete_module(qspin) during a demo run # SKIP the run ended within 1s"
fi
wait $wpid
check "the demo run finished and passed" grep -q '^verdict PASS$' "$D/last"
rmmod qspin-demo

# ---- the cycles --------------------------------------------------------------------
one_cycle 1 || nok "warm-up cycle"
before=$(memory)
mark cycles
t0=$(cut -d. -f1 /proc/uptime)
i=1 good=0
while [ $i -le "$CYCLES" ]; do
	[ $i = 11 ] && log "10 cycles in $(($(cut -d. -f1 /proc/uptime) - t0)) s"
	if one_cycle $i; then
		good=$((good + 1))
	else
		log "cycle $i failed"
		for m in qspin_demo test_qspin_mistakes qspin_lockcheck \
			qspin_compat_sample qspin_bench; do
			loaded "$m" && rmmod "$m"
		done
	fi
	i=$((i + 1))
done
t1=$(cut -d. -f1 /proc/uptime)
after=$(memory)
log "$CYCLES cycles in $((t1 - t0)) s; memory before: $before; after: $after (Slab kB, Percpu kB, VmallocUsed kB, /proc/modules bytes)"
check "$CYCLES cycles of clients loaded and unloaded ($good good)" [ "$good" = "$CYCLES" ]
check "the torture ran through them (still loaded, no failure)" \
	cond 'loaded qspin_torture && ! since start | grep -q "End of test: FAILURE"'

set -- $before
b_slab=$1 b_pcpu=$2 b_vm=$3 b_mods=$4
set -- $after
a_slab=$1 a_pcpu=$2 a_vm=$3 a_mods=$4
check "Slab within 512 kB (before $b_slab kB, after $a_slab kB)" \
	cond '[ $((a_slab - b_slab)) -le 512 ]'
check "Percpu within 64 kB (before $b_pcpu kB, after $a_pcpu kB)" \
	cond '[ $((a_pcpu - b_pcpu)) -le 64 ]'
check "VmallocUsed within 128 kB (before $b_vm kB, after $a_vm kB)" \
	cond '[ "$b_vm" -gt 0 ] && [ $((a_vm - b_vm)) -le 128 ]'
check "/proc/modules sizes equal (before $b_mods, after $a_mods bytes)" [ "$a_mods" = "$b_mods" ]
check "cycles: no splat" clean cycles

rmmod qspin-torture
check "torture: SUCCESS at its rmmod" cond 'since start | grep -q "End of test: SUCCESS"'
check "rmmod qspin once nothing uses it" rmmod qspin
check "qspin.ko gone, its exit said so" cond '! loaded qspin && since start | grep -q "qspin: unloaded"'
modprobe qspin
check "whole test: no splat, no qspin report" clean start
tap_done
