#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The seed's common mistakes made for real (test_qspin_mistakes.ko), each
# caught where it is made, with its exact counters and report text:
#  - kmalloc(GFP_KERNEL) under a lock: reported BEFORE the allocation, by
#    the kprobe on should_failslab() (the hook is asserted); once, then 100
#    more counted as repeats; __get_free_page(GFP_KERNEL): by the kprobe on
#    should_fail_alloc_page();
#  - a write(2) that returns to user space holding a lock: reported at the
#    return (raw_syscalls:sys_exit), released, the preempt count repaired,
#    and no "scheduling while atomic" afterwards; 100 more times (the lock
#    is taken again each time: it was released);
#  - a kernel thread that exits holding a lock: "still has locks held!";
#  - msleep() under a lock: qspin's report from a kprobe on
#    __schedule_bug() (sched_switch would miss a sleep whose wake-up came
#    first: no switch happens), then the kernel's own "BUG: scheduling
#    while atomic"; the unlock afterwards leaves the preempt count at 0
#    (the write would fail otherwise) and no second splat follows;
#  - a leak whose preempt count was repaired, after the task left its CPU
#    (its records parked at sched_switch): reported at the return to user
#    space; the same lock released by qspin_unlock() instead: no preempt
#    count underflow;
#  - a module's init that returns holding a lock: the kernel repairs the
#    preempt count, qspin reports the lock at modprobe's return to user
#    space, releases it and leaves the count alone;
#  - validation off: no probe is left registered, nothing is reported.
#
# Expected console output (scripts/vm-selftests.sh knows it): qspin's
#   qspin: BUG: sleeping function called from invalid context   (3)
#   qspin: WARNING: lock held when returning to user space!     (1)
#   qspin: WARNING: tqm-leaker/PID still has locks held!        (1)
#   qspin: WARNING: lock held when returning to user space!     (leak_at_init)
#   qspin: BUG: sleeping function called from invalid context   (the module
#                          loader's allocations while leak_at_init's lock is held)
# and the kernel's
#   BUG: scheduling while atomic: sh/PID/0x00000002
#   WARNING: ... do_one_initcall (initcall ... returned with preemption imbalance)
# Nothing else.
#
# Exit: 0 pass, 1 fail, 4 skip (test_qspin_mistakes.ko not installed).
# POSIX sh: the VM runs BusyBox ash.

Q=/sys/kernel/debug/qspin
T=/sys/kernel/debug/test_qspin_mistakes
reps=${QSPIN_MISTAKES_RUNS:-100}
. "$(dirname "$0")/qspin_tap.sh"
. "$(dirname "$0")/qspin_alloc_hooks.sh"

echo "TAP version 13"
modinfo test_qspin_mistakes >/dev/null 2>&1 ||
	tap_skip_all "test_qspin_mistakes.ko not installed"
modprobe qspin || { nok "modprobe qspin"; tap_done; }
if [ "$(cat $Q/validate)" != on ]; then
	echo on > $Q/validate || { nok "validation on"; tap_done; }
fi
modprobe test_qspin_mistakes || { nok "modprobe test_qspin_mistakes"; tap_done; }

snap=/tmp/qspin_mistakes.$$
mark() { echo "qspin_mistakes.sh: mark $1 $$" > /dev/kmsg; }
snap() { dmesg | sed -n "/qspin_mistakes.sh: mark $1 $$/,\$p" > "$snap"; }
has() { grep -q -- "$1" "$snap"; }
hasnot() { ! grep -q -- "$1" "$snap"; }
count() { [ "$(grep -c -- "$1" "$snap")" = "$2" ]; }
field() { sed -n "s/^$1 //p" "$2"; }
# A counter of debugfs sleeping / leaked: "hits HOOK N" lines.
hits() { sed -n "s/^hits $2 //p" "$Q/$1"; }
# No kernel trouble since the mark but the reports this step provokes, and
# the kernel's own report of the same sleep where it has one
# (CONFIG_DEBUG_ATOMIC_SLEEP: the sanitizer kernels; never Debian's).
clean() { ! grep -v -e 'qspin: BUG: sleeping function called from invalid context$' \
	-e 'qspin: WARNING: lock held when returning to user space!$' \
	-e 'still has locks held!$' \
	-e 'BUG: sleeping function called from invalid context at ' "$snap" |
	no_kcsan | grep -Eq 'BUG:|WARNING:|Oops|soft lockup|rcu: INFO|general protection|underflow'; }
title_sleep='qspin: BUG: sleeping function called from invalid context'
title_leak='qspin: WARNING: lock held when returning to user space!'
reset() { echo reset > $Q/reset; echo reset > $Q/sleeping; echo reset > $Q/leaked; }

# ---- the hooks in use ------------------------------------------------------
check "slab allocations hooked ($slab_way)" grep -q "^slab $slab_way\$" $Q/sleeping
check "page allocations hooked ($page_way)" grep -q "^page $page_way\$" $Q/sleeping
check "sleeps hooked where the scheduler finds them atomic (kprobe:__schedule_bug)" \
	grep -q '^sleep kprobe:__schedule_bug$' $Q/sleeping
check "records parked at tracepoint:sched_switch" \
	grep -q '^switch tracepoint:sched_switch$' $Q/sleeping
check "returns to user space hooked at tracepoint:sys_exit" \
	grep -q '^syscall tracepoint:sys_exit$' $Q/leaked
check "task exits hooked at tracepoint:sched_process_exit" \
	grep -q '^exit tracepoint:sched_process_exit$' $Q/leaked

# ---- kmalloc(GFP_KERNEL) under a lock ----------------------------------------
reset
mark alloc
check "sleep_alloc: the write succeeds" sh -c "echo 1 > $T/sleep_alloc"
snap alloc
check "sleep_alloc: report title" count "$title_sleep\$" 1
check "sleep_alloc: the allocation and its caller" \
	has 'qspin:  an allocation that may sleep (GFP_KERNEL) at tqm_sleep_alloc+0x[0-9a-f]*/0x[0-9a-f]* \[test_qspin_mistakes\]'
check "sleep_alloc: the lock and where it was taken" \
	has 'qspin:  while holding lock tqm_alloc_lock (tqm_alloc_lock \[test_qspin_mistakes\]), taken at tqm_sleep_alloc+'
check "sleep_alloc: seen by $slab_hook, $when" has "qspin:  seen by $slab_hook, $when"
check "sleep_alloc: the fix" has "$sleep_fix"
check "sleep_alloc: the stack" has 'Call Trace:'
[ "$slab_hook" != kprobe:should_failslab ] ||
	check "sleep_alloc: the report came before the allocator ran (should_failslab on the stack)" \
		has 'should_failslab'
check "sleep_alloc: end line counts it" has 'end of qspin report: sleep #1'
check "sleep_alloc: $slab_hook hits 1" cond '[ "$(hits sleeping $slab_hook)" = 1 ]'
check "sleep_alloc: no kernel warning" clean
i=0
while [ $i -lt "$reps" ]; do echo 1 > $T/sleep_alloc || break; i=$((i + 1)); done
snap alloc
check "sleep_alloc x$reps: every write succeeded ($i)" cond '[ $i = "$reps" ]'
check "sleep_alloc x$reps: still one report" count "$title_sleep\$" 1
check "sleep_alloc x$reps: every one counted (hits $(hits sleeping $slab_hook))" \
	cond '[ "$(hits sleeping $slab_hook)" = $((reps + 1)) ]'
check "sleep_alloc x$reps: reports: one entry, $((reps + 1)) seen" \
	grep -q "^sleep $((reps + 1)) \"tqm_sleep_alloc+.*\" \"tqm_alloc_lock\"" $Q/reports
check "sleep_alloc x$reps: no kernel warning" clean

# ---- __get_free_page(GFP_KERNEL) under a lock --------------------------------
mark page
check "sleep_page: the write succeeds" sh -c "echo 1 > $T/sleep_page"
snap page
check "sleep_page: report title" count "$title_sleep\$" 1
check "sleep_page: seen by $page_hook, $when" has "qspin:  seen by $page_hook, $when"
check "sleep_page: the allocation and its caller" \
	has 'qspin:  a page allocation that may sleep (GFP_KERNEL, order 0) at tqm_sleep_page+'
check "sleep_page: names tqm_page_lock" has 'while holding lock tqm_page_lock '
check "sleep_page: $page_hook hits 1" cond '[ "$(hits sleeping $page_hook)" = 1 ]'
check "sleep_page: no kernel warning" clean

# ---- a lock leaked to user space -------------------------------------------------
mark leak
check "leak: the write succeeds" sh -c "echo 1 > $T/leak"
sleep 1
snap leak
check "leak: report title" count "$title_leak\$" 1
check "leak: returning from write(2) (system call 1)" \
	has 'qspin:  sh/[0-9]* is returning from system call 1 to user space holding lock tqm_leak_lock (tqm_leak_lock \[test_qspin_mistakes\])'
check "leak: where it was taken" has 'qspin:  taken at tqm_leak+0x'
check "leak: released" has 'qspin releases it and gives back its preemption'
check "leak: the fix" has 'qspin:  fix: release it on every path, e.g. goto unlock'
check "leak: no scheduling while atomic afterwards" hasnot 'scheduling while atomic'
check "leak: counters (syscall 1, released 1, preempt repaired 1)" \
	cond '[ "$(hits leaked syscall)" = 1 ] && [ "$(field released $Q/leaked)" = 1 ] && [ "$(field preempt_repaired $Q/leaked)" = 1 ]'
check "leak: no record left" cond '! grep -q tqm_leak_lock $Q/held'
check "leak: no kernel warning" clean
i=0
while [ $i -lt "$reps" ]; do echo 1 > $T/leak || break; i=$((i + 1)); done
sleep 1
snap leak
check "leak x$reps: every write took the lock again ($i)" cond '[ $i = "$reps" ]'
check "leak x$reps: still one report" count "$title_leak\$" 1
check "leak x$reps: every one counted and released" \
	cond '[ "$(hits leaked syscall)" = $((reps + 1)) ] && [ "$(field released $Q/leaked)" = $((reps + 1)) ]'
check "leak x$reps: no scheduling while atomic" hasnot 'scheduling while atomic'
check "leak x$reps: no kernel warning" clean

# ---- a kernel thread that exits holding a lock ---------------------------------
mark kthread
check "kthread_leak: the write succeeds" sh -c "echo 1 > $T/kthread_leak"
sleep 1
snap kthread
check "kthread_leak: report title (lockdep's words)" \
	has 'qspin: WARNING: tqm-leaker/[0-9]* still has locks held!$'
check "kthread_leak: the thread and the lock" \
	has 'qspin:  kernel thread tqm-leaker/[0-9]* is exiting holding lock tqm_kthread_lock'
check "kthread_leak: where it was taken" has 'qspin:  taken at tqm_kthread_fn+'
check "kthread_leak: the fix" has 'qspin:  fix: release it on every path, e.g. goto unlock'
check "kthread_leak: no scheduling while atomic" hasnot 'scheduling while atomic'
check "kthread_leak: counted (exit 1)" cond '[ "$(hits leaked exit)" = 1 ]'
check "kthread_leak: no kernel warning" clean

# ---- msleep() under a lock: a real sleep --------------------------------------
mark real
check "sleep_real: the write succeeds (preempt count 0 after the unlock)" \
	sh -c "echo 1 > $T/sleep_real"
sleep 1
snap real
check "sleep_real: the kernel's own BUG, once" \
	count 'BUG: scheduling while atomic: sh/' 1
check "sleep_real: and qspin's report, once" count "$title_sleep\$" 1
check "sleep_real: the task and the lock" \
	has 'qspin:  sh/[0-9]* slept on CPU [0-9]* holding lock tqm_sleep_lock (tqm_sleep_lock \[test_qspin_mistakes\]), taken at tqm_sleep_real+'
check "sleep_real: the call that slept" \
	has 'qspin:  the call that slept: msleep+0x[0-9a-f]*/0x[0-9a-f]*, called from tqm_sleep_real+'
check "sleep_real: seen by kprobe:__schedule_bug" has 'qspin:  seen by kprobe:__schedule_bug'
check "sleep_real: the fix" has 'qspin:  fix: never sleep under a spinlock'
check "sleep_real: counted (kprobe:__schedule_bug 1)" \
	cond '[ "$(hits sleeping kprobe:__schedule_bug)" = 1 ]'
check "sleep_real: no record left, none parked" \
	cond '! grep -q tqm_sleep_lock $Q/held && grep -q "^# parked 0 " $Q/held'
check "sleep_real: no other splat (no underflow, no second BUG)" \
	cond '! grep -v -e "BUG: scheduling while atomic: sh/" -e "$title_sleep\$" "$snap" | no_kcsan | grep -Eq "BUG:|WARNING:|underflow"'

# ---- a leak whose preempt count was repaired, after the task left its CPU ----------
mark moved
r0=$(field preempt_repaired $Q/leaked)
check "leak_moved: the write succeeds" sh -c "echo 1 > $T/leak_moved"
sleep 1
snap moved
check "leak_moved: reported at the return to user space, parked on the way" \
	has 'qspin:  taken at tqm_repaired_and_moved+0x[0-9a-f]*/0x[0-9a-f]* \[test_qspin_mistakes\] (then the task left its CPU: its records were parked)'
check "leak_moved: names tqm_moved_lock" has 'to user space holding lock tqm_moved_lock'
check "leak_moved: released, the count left alone" \
	cond '! grep -q tqm_moved_lock $Q/held && grep -q "^# parked 0 " $Q/held && [ "$(field preempt_repaired $Q/leaked)" = "$r0" ]'
check "leak_moved: no scheduling while atomic" hasnot 'scheduling while atomic'
mark unlock_moved
check "unlock_moved: qspin_unlock() of a parked lock leaves the preempt count at 0" \
	sh -c "echo 1 > $T/unlock_moved"
snap unlock_moved
check "unlock_moved: nothing reported (the unlock released it)" cond '! grep -q "qspin: \(BUG\|WARNING\)" "$snap"'
check "unlock_moved: nothing left parked" cond '! grep -q tqm_moved_lock $Q/held'

# ---- a lock leaked by a module's init -------------------------------------------
# The kernel repairs the preempt count after the initcall (its WARNING:
# "returned with preemption imbalance"); modprobe goes on, may be switched
# out (its records parked) or sleep, allocating with GFP_KERNEL (reported:
# the lock is held), and returns to user space: reported there and
# released, the count left as the kernel repaired it.
rmmod test_qspin_mistakes
mark init
r0=$(field preempt_repaired $Q/leaked)
check "leak_at_init: modprobe succeeds" modprobe test_qspin_mistakes leak_at_init=1
sleep 1
snap init
check "leak_at_init: the kernel repaired the count" \
	has 'initcall tqm_init+0x0/0x[0-9a-f]* \[test_qspin_mistakes\] returned with preemption imbalance'
check "leak_at_init: reported at modprobe's return to user space" \
	has 'qspin:  modprobe/[0-9]* is returning from system call [0-9]* to user space holding lock tqm_init_lock'
check "leak_at_init: where it was taken" has 'qspin:  taken at tqm_init+'
check "leak_at_init: released (no record left, none parked)" \
	cond '! grep -q tqm_init_lock $Q/held && grep -q "^# parked 0 " $Q/held'
check "leak_at_init: the repaired count left alone (preempt_repaired $r0 -> $(field preempt_repaired $Q/leaked))" \
	cond '[ "$(field preempt_repaired $Q/leaked)" = "$r0" ]'
check "leak_at_init: no scheduling while atomic, no underflow" \
	cond '! grep -Eq "scheduling while atomic|underflow" "$snap"'
log "leak_at_init: $(grep -c "$title_sleep" "$snap") sleeping reports while modprobe held it; parked on the way: $(grep -c 'records were parked' "$snap")"
rmmod test_qspin_mistakes
modprobe test_qspin_mistakes

# ---- validation off: the probes go --------------------------------------------
echo off > $Q/validate
check "validate off: no allocation hook left" \
	cond 'grep -q "^slab none$" $Q/sleeping && grep -q "^page none$" $Q/sleeping && grep -q "^sleep none$" $Q/sleeping && grep -q "^switch none$" $Q/sleeping'
check "validate off: no leak hook left" \
	cond 'grep -q "^syscall none$" $Q/leaked && grep -q "^exit none$" $Q/leaked'
mark off
echo 1 > $T/sleep_alloc
snap off
check "validate off: nothing reported" hasnot 'qspin: BUG'
echo on > $Q/validate
check "validate on again: $slab_way back" grep -q "^slab $slab_way\$" $Q/sleeping
check "rmmod test_qspin_mistakes" rmmod test_qspin_mistakes
reset
rm -f "$snap"
tap_done
