#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# qspin-demo's PREEMPT_RT lessons in safe mode. rt-sleeping-lock: a hard
# irq_work takes a spinlock_t (rt_spin_lock() there, a sleeping lock) while
# it is free, and a qspin lock, the fix, after the task's
# qspin_lock_irqsave() section. Once, with its counters and the lesson's
# lines (spin_lock() is rt_spin_lock(); the owner it took is the task the
# interrupt interrupted; the fix's interrupt ran after the unlock); then
# 100 times with exact counters; no kernel splat (the contended case, the
# real "BUG: scheduling while atomic", is make demo-lockup KERNEL=rt's).
# irq-threaded: irq-deadlock's bug line with the edu handler registered by a
# plain request_irq(), which RT forces into a thread: it runs after the
# unlock, in task context, counter exact (2), no qspin report; once and
# 100 times. And irq-deadlock's transcript says why its handler is hard.
#
# On a kernel without PREEMPT_RT the lessons do not apply: the module must
# say so for each ("NAME: skipped: not a PREEMPT_RT kernel ...", the
# runner's status 4), and the test is a SKIP with those reasons.
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
clean() { ! grep '^    | ' "$snap" | grep -v 'rt-sleeping-lock' | no_kcsan | grep -Eq 'BUG:|WARNING:|Oops|soft lockup|rcu: INFO|detected stalls|general protection|scheduling while atomic'; }
demo() {
	sh "$runner" --no-load "$@" > "$snap" 2>&1
	st=$?
}

modprobe qspin || { nok "modprobe qspin"; tap_done; }
rmmod qspin-demo 2>/dev/null
modprobe qspin-demo || { nok "modprobe qspin-demo"; tap_done; }
for l in irq-threaded $s; do
	grep -q "^$l " "$D/list" || { nok "list names $l"; tap_done; }
done

case $(uname -v) in
*PREEMPT_RT*) ;;
*)
	demo irq-threaded "$s"
	why=$(sed -n 's/.*verdict: SKIPPED (\(.*\))$/\1/p' "$snap" | awk 'NR > 1 { printf "; " } { printf "%s", $0 }')
	if [ "$st" = 4 ] && [ "$(grep -c 'verdict: SKIPPED (not a PREEMPT_RT kernel' "$snap")" = 2 ] &&
	   clean; then
		rmmod qspin-demo
		tap_skip_all "irq-threaded, $s: $why"
	fi
	nok "irq-threaded, $s on a kernel without PREEMPT_RT: expected the module's two skips (runner status 4 and the reasons), got status $st"
	sed 's/^/# /' "$snap"
	tap_done ;;
esac

ok "list names irq-threaded, $s"

# irq-threaded: the handler is a thread, no deadlock, and said so.
demo irq-threaded
v=$(last verdict) e=$(last expected) a=$(last actual) l=$(last lost)
log "$(grep "qspin_demo: result irq-threaded" "$snap" | sed 's/.*qspin_demo: //')"
check "irq-threaded: verdict PASS ($v, runner status $st)" \
	cond '[ "$(last scenario)" = irq-threaded ] && [ "$v" = PASS ] && [ "$st" = 0 ]'
check "irq-threaded: counter exact (expected 2, actual $a, lost $l)" \
	cond '[ "$e" = 2 ] && [ "$a" = 2 ] && [ "$l" = 0 ]'
check "irq-threaded: the handler registered without IRQF_NO_THREAD" has \
	'qspin_demo: irq [0-9]*: handler registered again without IRQF_NO_THREAD (PREEMPT_RT forces it into a thread)'
check "irq-threaded: and back with IRQF_NO_THREAD afterwards" has \
	'qspin_demo: irq [0-9]*: handler registered again with IRQF_NO_THREAD (a hard handler)'
check "irq-threaded: says why there is no deadlock" has \
	'qspin_demo: result irq-threaded: PASS, counter expected 2 actual 2, .*no deadlock: the handler is a thread (PREEMPT_RT), it cannot interrupt the holder; it ran [0-9]*us after qspin_unlock()'
check "irq-threaded: no qspin report, no kernel splat" \
	cond '! grep -q "qspin: possible\|qspin: WARNING:" "$snap" && clean'
demo -n "$reps" irq-threaded
v=$(last verdict) e=$(last expected) a=$(last actual) p=$(last pass)
check "irq-threaded x$reps: verdict PASS ($v, pass $p, runner status $st)" \
	cond '[ "$v" = PASS ] && [ "$p" = "$reps" ] && [ "$st" = 0 ]'
check "irq-threaded x$reps: counter exact (expected $((2 * reps)), actual $a)" \
	cond '[ "$e" = $((2 * reps)) ] && [ "$a" = $((2 * reps)) ]'
# irq-deadlock's handler is hard on RT too: its transcript says why.
demo irq-deadlock
check "irq-deadlock on PREEMPT_RT: verdict PASS, the transcript says its handler is hard ($(last verdict), runner status $st)" \
	cond '[ "$(last verdict)" = PASS ] && [ "$st" = 0 ] && has "on PREEMPT_RT: the edu handler is registered IRQF_NO_THREAD, a hard handler,"'

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
