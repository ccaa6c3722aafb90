#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# qspin-demo's mistake lessons in safe mode: recursion, irq-inconsistent,
# sleep-under-lock, leaked-lock. Each runs its bug and its fix every
# iteration (kmod/demo/mistake.c): once, with its counters and the exact
# qspin report text; then 100 times, with exact counters every time, every
# sighting of the bug counted and no new report printed; and refused
# (skipped, with the reason) while qspin's validator is off. Every run goes
# through the demo runner (qspin-demo.sh), whose transcript the checks read.
#
# Expected console output (scripts/vm-selftests.sh knows it), once each:
#   qspin: WARNING: possible recursive locking detected
#   qspin: WARNING: inconsistent lock state
#   qspin: BUG: sleeping function called from invalid context
#   qspin: WARNING: qspin-demo/CPU/PID still has locks held!
# Nothing else.
#
# Environment: QSPIN_DEMO_RUNS (repetitions, default 100).
# Exit: 0 pass, 1 fail, 4 skip (qspin-demo.ko not installed).
# POSIX sh: the VM runs BusyBox ash.

D=/sys/kernel/debug/qspin-demo
Q=/sys/kernel/debug/qspin
reps=${QSPIN_DEMO_RUNS:-100}
runner=$(dirname "$0")/qspin-demo.sh
. "$(dirname "$0")/qspin_tap.sh"
. "$(dirname "$0")/qspin_alloc_hooks.sh"

echo "TAP version 13"
modinfo qspin-demo >/dev/null 2>&1 || tap_skip_all "qspin-demo.ko not installed"
[ -f "$runner" ] || { nok "no demo runner at $runner"; tap_done; }

snap=/tmp/qspin_demo_mistakes.$$
last() { sed -n "s/^$1 //p" "$D/last"; }
has() { grep -q -- "$1" "$snap"; }
hasnot() { ! grep -q -- "$1" "$snap"; }
count() { [ "$(grep -c -- "$1" "$snap")" = "$2" ]; }
hits() { sed -n "s/^hits $2 //p" "$Q/$1"; }
titles='qspin: WARNING: possible recursive locking detected$\|qspin: WARNING: inconsistent lock state$\|qspin: BUG: sleeping function called from invalid context$\|still has locks held!$'
# No kernel trouble but the titles these lessons provoke, and the kernel's
# own report of the same sleeping allocation where it has one
# (CONFIG_DEBUG_ATOMIC_SLEEP: the sanitizer kernels; never Debian's).
clean() {
	! grep -v "$titles" "$snap" | grep -v 'BUG: sleeping function called from invalid context at ' |
		no_kcsan | grep -Eq 'BUG:|WARNING:|Oops|soft lockup|rcu: INFO|general protection|scheduling while atomic'
}

# demo [-n RUNS] NAME: the runner on the loaded module; its transcript in
# $snap, its status in $st (0 PASS, 1 another verdict, 3 refused)
demo() {
	sh "$runner" --no-load "$@" > "$snap" 2>&1
	st=$?
}

modprobe qspin || { nok "modprobe qspin"; tap_done; }
[ "$(cat $Q/validate)" = on ] || echo on > $Q/validate
rmmod qspin-demo 2>/dev/null
check "modprobe qspin-demo" modprobe qspin-demo
for f in reset deadlocks sleeping leaked; do echo reset > "$Q/$f"; done

lessons="recursion irq-inconsistent sleep-under-lock leaked-lock"
for s in $lessons; do
	check "list names $s" grep -q "^$s " "$D/list"
done

# single NAME EXPECTED_COUNTER LEAKS: once, its counters, its report
single() {
	s=$1 e=$2 k=$3
	demo "$s"
	log "$s: $(grep 'qspin_demo: result' "$snap" | sed 's/.*qspin_demo: //')"
	check "$s: verdict PASS (runner status $st, $(last verdict): $(last why))" \
		cond '[ $st = 0 ] && [ "$(last scenario)" = "$s" ] && [ "$(last verdict)" = PASS ]'
	check "$s: counter exact (expected $e, actual $(last actual))" \
		cond '[ "$(last expected)" = "$e" ] && [ "$(last actual)" = "$e" ]'
	check "$s: the bug seen once, the fix never ($(last bug_reports), $(last fix_reports))" \
		cond '[ "$(last bug_reports)" = 1 ] && [ "$(last fix_reports)" = 0 ]'
	check "$s: leaked $k, released by the harness" cond '[ "$(last leaked)" = "$k" ]'
	check "$s: result line" has "qspin_demo: result $s: PASS, counter expected $e actual $e, runs 1"
	check "$s: one report" count "$titles" 1
	check "$s: no kernel warning" clean
}

# repeated NAME EXPECTED_COUNTER BUG_REPORTS LEAKS: $reps times
repeated() {
	s=$1 e=$(($2 * reps)) b=$3 k=$4
	demo -n "$reps" "$s"
	log "$s x$reps: $(grep 'qspin_demo: result' "$snap" | sed 's/.*qspin_demo: //')"
	check "$s x$reps: every run PASS ($(last pass)/$(last runs), $(last why))" \
		cond '[ $st = 0 ] && [ "$(last verdict)" = PASS ] && [ "$(last runs)" = "$reps" ] && [ "$(last pass)" = "$reps" ]'
	check "$s x$reps: counters exact (expected $e, actual $(last actual))" \
		cond '[ "$(last expected)" = "$e" ] && [ "$(last actual)" = "$e" ]'
	check "$s x$reps: the bug seen $b times, the fix never ($(last bug_reports), $(last fix_reports))" \
		cond '[ "$(last bug_reports)" = "$b" ] && [ "$(last fix_reports)" = 0 ]'
	check "$s x$reps: leaked $k, all released" cond '[ "$(last leaked)" = "$k" ]'
	check "$s x$reps: no new report printed" hasnot "$titles"
	check "$s x$reps: no kernel warning" clean
}

# ---- recursion ---------------------------------------------------------------
single recursion 3 0
check "recursion: the title" has 'qspin: WARNING: possible recursive locking detected$'
check "recursion: certain deadlock" \
	has 'qspin: the same lock taken again in task context, which already holds it: certain deadlock'
check "recursion: names the lock" has 'qspin:  lock: recursion_lock \[qspin_demo\]'
check "recursion: where it was taken first" \
	has 'qspin:  held by: task context (qspin-demo/[0-9]*, pid [0-9]*) on CPU [0-9]*, taken at recursion_bug+'
check "recursion: where it is taken again" \
	has 'qspin:  taken again: task context on CPU [0-9]*, in recursion_add_one+'
check "recursion: the fix" has 'qspin:  fix: release it before taking it again'
check "recursion: -EDEADLK, nothing hangs" \
	has 'qspin:  qspin_lock_checked() at recursion_add_one+.* returns -EDEADLK instead of spinning'
check "recursion: the stack" has 'Call Trace:'
repeated recursion 3 "$reps" 0
check "recursion: deadlocks: one report, every hit counted ($((reps + 1)))" \
	grep -q "^recursive holder=task waiter=task .* hits=$((reps + 1)) backed_off=$((reps + 1)) lock=\"recursion_lock \[qspin_demo\]\"" "$Q/deadlocks"

# ---- irq-inconsistent ----------------------------------------------------------
single irq-inconsistent 4 0
check "irq-inconsistent: the title" has 'qspin: WARNING: inconsistent lock state$'
check "irq-inconsistent: the usages" has 'qspin:  inconsistent {HARDIRQ-ON} -> {IN-HARDIRQ} usage.'
check "irq-inconsistent: names the lock" has 'qspin:  lock: irq_inconsistent_lock$'
check "irq-inconsistent: the task's site" \
	has 'qspin:  {HARDIRQ-ON} state was registered at: irq_inconsistent_bug+'
check "irq-inconsistent: the handler's site" \
	has 'qspin:  {IN-HARDIRQ} state was registered at: irq_inconsistent_handler+'
check "irq-inconsistent: the fix" \
	has 'qspin:  fix: take irq_inconsistent_lock with qspin_lock_irqsave() in irq_inconsistent_bug(), because irq_inconsistent_handler() takes it in hardirq context'
check "irq-inconsistent: no collision (no same-CPU deadlock)" hasnot 'possible same-CPU deadlock'
check "irq-inconsistent: the handler ran ($(last handler_cpu))" cond '[ "$(last handler_cpu)" -ge 0 ]'
# The class's usage is learnt once: no more sightings after the first.
repeated irq-inconsistent 4 0 0

# ---- sleep-under-lock ---------------------------------------------------------
single sleep-under-lock 2 0
check "sleep-under-lock: the title" has 'qspin: BUG: sleeping function called from invalid context$'
check "sleep-under-lock: the allocation and its caller" \
	has 'qspin:  an allocation that may sleep (GFP_KERNEL) at sleep_bug+0x[0-9a-f]*/0x[0-9a-f]* \[qspin_demo\]'
check "sleep-under-lock: the lock and where it was taken" \
	has 'qspin:  while holding lock sleep_lock (sleep_lock \[qspin_demo\]), taken at sleep_bug+'
check "sleep-under-lock: seen by $slab_hook, $when" has "qspin:  seen by $slab_hook, $when"
check "sleep-under-lock: the fix" has "$sleep_fix"
check "sleep-under-lock: nothing for the GFP_ATOMIC fix" hasnot 'while holding lock sleep_fixed_lock'
repeated sleep-under-lock 2 "$reps" 0
check "sleep-under-lock: reports: one entry, every sighting counted ($((reps + 1)))" \
	grep -q "^sleep $((reps + 1)) \"sleep_bug+.*\" \"sleep_lock\"" $Q/reports
check "sleep-under-lock: $slab_hook hits $((reps + 1))" \
	cond '[ "$(hits sleeping $slab_hook)" = $((reps + 1)) ]'

# ---- leaked-lock ------------------------------------------------------------------
single leaked-lock 2 1
check "leaked-lock: the title (lockdep's words)" \
	has 'qspin: WARNING: qspin-demo/[0-9]*/[0-9]* still has locks held!$'
check "leaked-lock: the function and the lock" \
	has 'qspin:  leaked_lock_bug \[qspin_demo\] returned holding lock leaked_lock (leaked_lock \[qspin_demo\])'
check "leaked-lock: where it was taken" has 'qspin:  taken at leaked_lock_bug+'
check "leaked-lock: the fix" has 'qspin:  fix: release it on every path, e.g. goto unlock'
check "leaked-lock: nothing for the fix" hasnot 'holding lock leaked_fixed_lock'
check "leaked-lock: released (no record left)" cond '! grep -q "leaked_lock " $Q/held'
repeated leaked-lock 2 "$reps" "$reps"
check "leaked-lock: leaked hits return $((reps + 1))" \
	cond '[ "$(hits leaked return)" = $((reps + 1)) ]'

# ---- refused, with the reason, while the validator is off -----------------------
echo off > $Q/validate
for s in $lessons; do
	demo "$s"
	check "validate off: $s refused, not passed (runner status $st)" \
		cond '[ $st = 4 ] && has "verdict: SKIPPED (qspin.ko.s validator is off"'
done
echo on > $Q/validate

check "rmmod qspin-demo" rmmod qspin-demo
rm -f "$snap"
tap_done
