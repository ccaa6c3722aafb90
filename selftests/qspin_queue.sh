#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# qspin's debugfs "queue" (kmod/qspin/queueview.c), read while a known queue
# stands (test_qspin_queue.ko: "build", then "release"):
#  - tqq_lock: held by CPU 0's task, its pending byte held by the test, CPU 1's
#    then CPU 2's task queued at node 0: the word decoded, the holder (cpu 0,
#    task, tqq_holder_fn), the queue head to tail (cpu 1 then cpu 2, node 0,
#    task, tqq_waiter_fn), the head waiting longer than the tail;
#  - tqq_irq_lock: held by CPU 0, CPU 1's hardirq the pending waiter, CPU 2's
#    hardirq queued at node 1 (its task holds node 0): pending cpu=1
#    ctx=hardirq, queued cpu=2 node=1 ctx=hardirq, the pending waiter waiting
#    longest;
#  - a class name written shows that class alone, an address that lock alone
#    (also when nobody waits: word 0, holder none); "all" goes back;
#  - released, each waiter got its lock in queue order (the module checks)
#    and the view shows no contended lock;
#  - garbage written gets -EINVAL and a dmesg line; the filter stays;
#  - reading "queue" in a loop during a 30 s torture run (CPUs entering and
#    leaving queues in every context) fails no read and splats nothing; some
#    reads saw queued waiters.
#
# While the queue stands every CPU but one spins, the reader's: the file is
# read with the shell's builtins only (no fork, no exec), then checked.
# Environment: QSPIN_QUEUE_STRESS (seconds of torture, default 30).
# Exit: 0 pass, 1 fail, 4 skip. POSIX sh: the VM runs BusyBox ash.

Q=/sys/kernel/debug/qspin
T=/sys/kernel/debug/test_qspin_queue
timeout_param=/sys/module/qspin/parameters/spin_timeout_ms
stress=${QSPIN_QUEUE_STRESS:-30}
tmp=/tmp/qspin_queue.$$
. "$(dirname "$0")/qspin_tap.sh"

echo "TAP version 13"
modinfo test_qspin_queue >/dev/null 2>&1 ||
	tap_skip_all "test_qspin_queue.ko not installed"
[ "$(cat /sys/devices/system/cpu/online)" = 0-3 ] ||
	tap_skip_all "needs CPUs 0-3 online (a holder, two waiters, the reader)"
modprobe qspin || { nok "modprobe qspin"; tap_done; }
modprobe test_qspin_queue || { nok "modprobe test_qspin_queue"; tap_done; }
mkdir -p $tmp

mark() { echo "qspin_queue.sh: mark $1 $$" > /dev/kmsg; }
since() { dmesg | sed -n "/qspin_queue.sh: mark $1 $$/,\$p"; }
# No kernel trouble since mark $1 (but lines matching ERE $2).
clean() {
	! since "$1" | grep -Ev -- "${2:-^\$}" |
		no_kcsan | grep -Eq 'BUG:|WARNING:|Oops|soft lockup|rcu: INFO|self-detected stall|general protection|Call Trace'
}
# The file, by builtins only: safe while every other CPU spins.
snap() { : > "$2"; while IFS= read -r l; do echo "$l" >> "$2"; done < "$1"; }
# One lock's lines (from its "lock NAME" line to the next lock).
block() { awk -v n="$1" '/^lock /{ on = ($2 == n) } on' "$2"; }
# A field's value on the line matching ERE: field KEY ERE FILE.
field() { grep -E -- "$2" "$3" | head -n 1 | tr ' ' '\n' | sed -n "s/^$1=//p"; }
# Writing $1 to the view fails with EINVAL.
rejects() { ! printf '%s\n' "$1" > $Q/queue 2>/dev/null; }

old_timeout=$(cat $timeout_param)
validate_was=$(cat $Q/validate)
# Wait records and held records come from the validator.
[ "$validate_was" = on ] || echo on > $Q/validate
# The waiters wait while the queue is read: no lockup report meanwhile.
echo 10000 > $timeout_param

# ---- idle --------------------------------------------------------------
mark idle
check "queue is root only (0600)" cond "ls -l $Q/queue | grep -q '^-rw------- '"
if echo all > $Q/queue; then ok "written all: accepted"; else nok "written all: accepted"; fi
snap $Q/queue $tmp/idle
check "idle: filter all" grep -qx 'filter all' $tmp/idle
check "idle: no contended lock" grep -qx 'no contended lock' $tmp/idle

# ---- bad input -----------------------------------------------------------
mark badinput
long=$(printf '%070d' 0)
for w in '' 0xzz 0x 0x1 0x2 0x1000 0xffffffffffff0000 no_such_lock_class \
		'all all' "$long" "$(printf 'a\tb')"; do
	check "garbage '$w' rejected with EINVAL" rejects "$w"
done
check "garbage: dmesg says what was wrong" \
	cond "since badinput | grep -q 'qspin: queue: \"0xzz\" rejected: not the address'"
check "garbage: dmesg says an empty write was rejected" \
	cond "since badinput | grep -q 'qspin: queue: write rejected: empty'"
check "garbage: dmesg names an unknown class" \
	cond "since badinput | grep -q 'qspin: queue: \"no_such_lock_class\" rejected: no lock class'"
snap $Q/queue $tmp/after_garbage
check "garbage: the filter is still all" grep -qx 'filter all' $tmp/after_garbage

# ---- the known queue, read while it stands ------------------------------
mark chain
if echo build > $T/chain; then
	ok "build: holder on CPU 0, tasks on CPUs 1, 2, hardirqs on CPUs 1, 2"
	snap $Q/queue $tmp/built
	echo tqq_lock > $Q/queue
	snap $Q/queue $tmp/class
	addr=
	while read -r a b c rest; do
		[ "$a $b" = "lock tqq_irq_lock" ] && addr=$c
	done < $tmp/built
	echo "$addr" > $Q/queue
	snap $Q/queue $tmp/addr
	echo all > $Q/queue
	if echo release > $T/chain; then
		ok "release: every waiter got its lock, in queue order"
	else
		nok "release: every waiter got its lock, in queue order"
	fi
else
	nok "build: holder on CPU 0, tasks on CPUs 1, 2, hardirqs on CPUs 1, 2"
	: > $tmp/built; : > $tmp/class; : > $tmp/addr
fi
sed 's/^/# /' $tmp/built

block tqq_lock $tmp/built > $tmp/L
block tqq_irq_lock $tmp/built > $tmp/M
check "tqq_lock: word locked=1 pending=1 tail_cpu=2 tail_idx=0" \
	grep -Eq '^lock tqq_lock 0x[0-9a-f]+ word=0x[0-9a-f]{8} locked=1 pending=1 tail_cpu=2 tail_idx=0$' $tmp/L
check "tqq_lock: holder cpu 0, task, tqq_holder_fn" \
	grep -Eq '^  holder cpu=0 ctx=task ip=tqq_holder_fn\+' $tmp/L
check "tqq_lock: head cpu 1 node 0 task, tqq_waiter_fn" \
	grep -Eq '^  queued pos=1 cpu=1 node=0 ctx=task waited_us=[0-9]+ ip=tqq_waiter_fn\+' $tmp/L
check "tqq_lock: tail cpu 2 node 0 task, tqq_waiter_fn" \
	grep -Eq '^  queued pos=2 cpu=2 node=0 ctx=task waited_us=[0-9]+ ip=tqq_waiter_fn\+' $tmp/L
check "tqq_lock: two queued, the walk reached the head" \
	cond "[ \$(grep -c '^  queued ' $tmp/L) = 2 ] && grep -qx '  queue 2 waiters, head reached' $tmp/L"
check "tqq_lock: no pending waiter (the test holds the byte)" \
	cond "! grep -Eq '^  (pending|entering) ' $tmp/L"
h=$(field waited_us 'queued pos=1 ' $tmp/L)
t=$(field waited_us 'queued pos=2 ' $tmp/L)
log "tqq_lock waited_us: head ${h:-?} tail ${t:-?}"
check "tqq_lock: the head waited longer than the tail (by the 50 ms steps)" \
	cond "[ -n '$t' ] && [ '${h:-0}' -gt '$t' ] && [ '$t' -gt 0 ]"

check "tqq_irq_lock: word locked=1 pending=1 tail_cpu=2 tail_idx=1" \
	grep -Eq '^lock tqq_irq_lock 0x[0-9a-f]+ word=0x[0-9a-f]{8} locked=1 pending=1 tail_cpu=2 tail_idx=1$' $tmp/M
check "tqq_irq_lock: holder cpu 0, task, tqq_holder_fn" \
	grep -Eq '^  holder cpu=0 ctx=task ip=tqq_holder_fn\+' $tmp/M
check "tqq_irq_lock: pending waiter cpu 1, hardirq, tqq_hardirq" \
	grep -Eq '^  pending cpu=1 ctx=hardirq waited_us=[0-9]+ ip=tqq_hardirq\+' $tmp/M
check "tqq_irq_lock: head cpu 2 node 1 hardirq (its task holds node 0)" \
	grep -Eq '^  queued pos=1 cpu=2 node=1 ctx=hardirq waited_us=[0-9]+ ip=tqq_hardirq\+' $tmp/M
check "tqq_irq_lock: one queued, the walk reached the head" \
	cond "[ \$(grep -c '^  queued ' $tmp/M) = 1 ] && grep -qx '  queue 1 waiter, head reached' $tmp/M"
p=$(field waited_us '^  pending ' $tmp/M)
q=$(field waited_us 'queued pos=1 ' $tmp/M)
log "tqq_irq_lock waited_us: pending ${p:-?} head ${q:-?}"
check "tqq_irq_lock: the pending waiter waited longer than the head" \
	cond "[ -n '$q' ] && [ '${p:-0}' -gt '$q' ] && [ '$q' -gt 0 ]"
check "tqq_lock's head waited longer than tqq_irq_lock's pending waiter" \
	cond "[ -n '$p' ] && [ '${h:-0}' -gt '$p' ]"

check "class filter: 'filter class tqq_lock', tqq_lock alone" \
	cond "grep -qx 'filter class tqq_lock' $tmp/class && [ \$(grep -c '^lock ' $tmp/class) = 1 ] && grep -q '^lock tqq_lock ' $tmp/class"
check "address filter: 'filter lock ADDR', tqq_irq_lock alone, its queue" \
	cond "[ -n '$addr' ] && grep -qx 'filter lock $addr' $tmp/addr && [ \$(grep -c '^lock ' $tmp/addr) = 1 ] && grep -q '^  queued pos=1 cpu=2 node=1 ctx=hardirq' $tmp/addr"

snap $Q/queue $tmp/released
check "released: no contended lock" grep -qx 'no contended lock' $tmp/released
if [ -n "$addr" ]; then
	echo "$addr" > $Q/queue
	snap $Q/queue $tmp/free
	echo all > $Q/queue
	sed 's/^/# /' $tmp/free
	check "a free lock by address: word 0, holder none, no queue" \
		cond "grep -q '^lock tqq_irq_lock $addr word=0x00000000 locked=0 pending=0 tail_cpu=-1 tail_idx=0\$' $tmp/free && grep -qx '  holder none' $tmp/free && grep -qx '  queue 0 waiters, no queue' $tmp/free"
else
	nok "a free lock by address: word 0, holder none, no queue # no address"
fi
check "build, read, release: no splat, no lockup report" clean chain

# ---- stress: read while CPUs enter and leave queues ---------------------
# Builtins only in the loop: a fork per read would leave few reads under a
# torture that keeps every CPU busy. A read counts as good when it is whole:
# "filter all" first, and last "no contended lock" or a lock's "  queue" line.
mark stress
reads=0 failed=0 seen=0 sample=
now() { read -r up _ < /proc/uptime; up=${up%.*}; }
if modprobe qspin-torture torture_type=qspin duration="$stress" stat_interval=10; then
	now
	end=$((up + stress))
	while [ "$up" -lt "$end" ]; do
		first= last= queued=0 text=
		while IFS= read -r l; do
			[ -n "$first" ] || first=$l
			last=$l
			text="$text# $l
"
			case $l in "  queued pos="*) queued=1 ;; esac
		done < $Q/queue
		[ $queued = 1 ] && [ -z "$sample" ] && sample=$text
		case $first:$last in
		"filter all:no contended lock"|"filter all:  queue "*)
			reads=$((reads + 1)) seen=$((seen + queued)) ;;
		*)	failed=$((failed + 1))
			log "stress: a read ended badly: first '$first' last '$last'" ;;
		esac
		now
	done
	waited=0
	while ! since stress | grep -q -- '--- End of test' && [ $waited -lt 120 ]; do
		sleep 2
		waited=$((waited + 2))
	done
	rmmod qspin_torture
	log "stress: $reads reads, $seen with a queue, $failed bad; the first with a queue:"
	printf '%s' "$sample"
	check "stress: torture run passed" \
		cond "since stress | grep -q -- '--- End of test: SUCCESS'"
	# At least 5: under TCG on a loaded host the shell may get little CPU.
	check "stress: every read whole (at least 5)" cond "[ $failed = 0 ] && [ $reads -ge 5 ]"
	check "stress: some reads saw queued waiters" cond "[ $seen -gt 0 ]"
else
	nok "stress: modprobe qspin-torture"
fi
# The torture's own locks, taken in every context with plain qspin_lock()
# on purpose, get the validator's "inconsistent lock state" (as in
# qspin_torture.sh); anything else is a splat.
check "stress: no splat" clean stress 'qspin: WARNING: inconsistent lock state$'

echo "$old_timeout" > $timeout_param
[ "$validate_was" = on ] || echo "$validate_was" > $Q/validate
rmmod test_qspin_queue
rm -rf $tmp
tap_done
