#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# qspin-demo's PREEMPT_RT lesson, rt-sleeping-lock, in safe mode: a hard
# irq_work takes a spinlock_t (rt_spin_lock() there, a sleeping lock) while
# it is free, and a qspin lock, the fix, after the task's
# qspin_lock_irqsave() section. Once, with its counters and the lesson's
# lines (spin_lock() is rt_spin_lock(); the owner it took is the task the
# interrupt interrupted; the fix's interrupt ran after the unlock); then
# 100 times with exact counters; no kernel splat (the contended case, the
# real "BUG: scheduling while atomic", is make demo-lockup KERNEL=rt's).
#
# On a kernel without PREEMPT_RT the lesson does not apply: the module must
# say so ("rt-sleeping-lock: skipped: not a PREEMPT_RT kernel ...", the
# runner's status 4), and the test is a SKIP with that reason.
#
# Expected console output: none (nothing but the lesson's info lines).
# Environment: QSPIN_DEMO_RUNS (repetitions, default 100).
# Exit: 0 pass, 1 fail, 4 skip (not PREEMPT_RT, or qspin-demo.ko missing).
# POSIX sh: the VM runs BusyBox ash.

D=/sys/kernel/debug/qspin-demo
reps=${QSPIN_DEMO_RUNS:-100}
runner=$(dirname "$0")/qspin-demo.sh
s=rt-sleeping-lock
. "$(dirname "$0")/qspin_tap.sh"

echo "TAP version 13"
modinfo qspin-demo >/dev/null 2>&1 || tap_skip_all "qspin-demo.ko not installed"
[ -f "$runner" ] || { nok "no demo runner at $runner"; tap_done; }

snap=/tmp/qspin_demo_rt.$$
last() { sed -n "s/^$1 //p" "$D/last"; }
has() { grep -q -- "$1" "$snap"; }
# No kernel trouble in the transcript's kernel lines ("    | "). The
# lesson's own lines (they name it) explain "scheduling while atomic"
# without provoking it: left out.
clean() { ! grep '^    | ' "$snap" | grep -v 'rt-sleeping-lock' | grep -Eq 'BUG:|WARNING:|Oops|soft lockup|rcu: INFO|detected stalls|general protection|scheduling while atomic'; }
demo() {
	sh "$runner" --no-load "$@" > "$snap" 2>&1
	st=$?
}

modprobe qspin || { nok "modprobe qspin"; tap_done; }
rmmod qspin-demo 2>/dev/null
modprobe qspin-demo || { nok "modprobe qspin-demo"; tap_done; }
grep -q "^$s " "$D/list" || { nok "list names $s"; tap_done; }

case $(uname -v) in
*PREEMPT_RT*) ;;
*)
	demo "$s"
	why=$(sed -n 's/.*verdict: SKIPPED (\(.*\))$/\1/p' "$snap")
	if [ "$st" = 4 ] && [ -n "$why" ] && clean; then
		rmmod qspin-demo
		tap_skip_all "$s: $why"
	fi
	nok "$s on a kernel without PREEMPT_RT: expected the module's skip (runner status 4 and the reason), got status $st"
	sed 's/^/# /' "$snap"
	tap_done ;;
esac

ok "list names $s"

# Once: the counters, the lesson's lines, nothing else of note.
demo "$s"
v=$(last verdict) e=$(last expected) a=$(last actual)
log "$(grep "qspin_demo: result $s" "$snap" | sed 's/.*qspin_demo: //')"
check "$s: verdict PASS ($v, runner status $st)" \
	cond '[ "$(last scenario)" = $s ] && [ "$v" = PASS ] && [ "$st" = 0 ]'
check "$s: counter exact (expected 4, actual $a)" cond '[ "$e" = 4 ] && [ "$a" = 4 ]'
check "$s: spin_lock() is rt_spin_lock(), an rt_mutex" has \
	"qspin_demo: rt-sleeping-lock: spin_lock() is rt_spin_lock() here: spinlock_t is an rt_mutex"
check "$s: the hard interrupt's owner is the task it interrupted" has \
	"qspin_demo: rt-sleeping-lock: bug, uncontended: the hard interrupt's spin_lock_irqsave() took the lock silently; its owner is sh/[0-9]*, the task the interrupt interrupted"
check "$s: the contended case is named, not run" has \
	"qspin_demo: rt-sleeping-lock: bug, contended (not in safe mode)"
check "$s: the fix's interrupt ran after the unlock" has \
	"qspin_demo: rt-sleeping-lock: fix: qspin_lock_irqsave() kept interrupts off, the hard interrupt ran after the unlock"
check "$s: result line in dmesg" has \
	"qspin_demo: result $s: PASS, counter expected 4 actual 4, runs 1 (pass 1, inconclusive 0, fail 0), source hard irq_work (self-IPI)"
check "$s: no kernel splat" clean

# reps times: exact every time.
demo -n "$reps" "$s"
v=$(last verdict) e=$(last expected) a=$(last actual) p=$(last pass)
log "$(grep "qspin_demo: result $s" "$snap" | sed 's/.*qspin_demo: //')"
check "$s x$reps: verdict PASS ($v, pass $p, runner status $st)" \
	cond '[ "$v" = PASS ] && [ "$p" = "$reps" ] && [ "$st" = 0 ]'
check "$s x$reps: counter exact (expected $((4 * reps)), actual $a)" \
	cond '[ "$e" = $((4 * reps)) ] && [ "$a" = $((4 * reps)) ]'
check "$s x$reps: no kernel splat" clean

check "rmmod qspin-demo" rmmod qspin-demo
rm -f "$snap"
tap_done
