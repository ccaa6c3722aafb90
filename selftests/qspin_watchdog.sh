#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# qspin's lockup watchdog and checked waiters (kmod/qspin/watchdog.c), through
# the demo's two-CPU lessons and the torture's checked mode:
#   - spin_timeout_ms: out-of-range and malformed values rejected with
#     EINVAL and a dmesg line giving the range; the value unchanged;
#   - stuck-holder once: exact counters, the report naming the lock, the
#     waiter, the holder and its function, the holder's stack by NMI, the
#     fix; then a few times more (each waits spin_timeout_ms): every wait
#     counted in debugfs qspin/lockups, no second report;
#   - abba once and 100 times: the ABBA report ("CPU0 holds A and waits for
#     B; CPU1 holds B and waits for A", *** DEADLOCK ***, -EDEADLK), the
#     checked side backing off every time;
#   - the torture's checked mode: successes, -EDEADLK and -ETIMEDOUT
#     counted, the pair's lock words free and every queue node free;
#   - after each: the scenario's lock words 0, queue_nodes_busy 0.
# The tests run with spin_timeout_ms=100 (restored afterwards).
#
# Expected console output (scripts/vm-selftests.sh checks this test's part
# of the console on its own, between the begin and end marks below):
#   qspin: BUG: spinlock lockup suspected on CPU#N, ...   (stuck-holder; and
#       the checked waiter's -ETIMEDOUT)
#   qspin: BUG: circular locking deadlock in progress on CPU#N, ...  (abba and
#       the torture's checked pair)
#   qspin: WARNING: possible circular locking dependency detected  (the
#       validator predicts the same ABBA from the two orders)
# and nothing else.
#
# Environment: QSPIN_WATCHDOG_RUNS (abba repetitions, default 100),
# QSPIN_WATCHDOG_TORTURE (torture seconds, default 15).
# Exit: 0 pass, 1 fail, 4 skip (qspin-demo.ko not installed).
# POSIX sh: the VM runs BusyBox ash.

D=/sys/kernel/debug/qspin-demo
Q=/sys/kernel/debug/qspin
P=/sys/module/qspin/parameters/spin_timeout_ms
reps=${QSPIN_WATCHDOG_RUNS:-100}
tsecs=${QSPIN_WATCHDOG_TORTURE:-15}
runner=$(dirname "$0")/qspin-demo.sh
. "$(dirname "$0")/qspin_tap.sh"

echo "TAP version 13"
if ! modinfo qspin-demo >/dev/null 2>&1; then
	tap_skip_all "qspin-demo.ko not installed"
fi
[ -f "$runner" ] || { echo "not ok 1 no demo runner at $runner"; echo "1..1"; exit 1; }
grep -q ' /sys/kernel/debug ' /proc/mounts || mount -t debugfs debugfs /sys/kernel/debug

# The console checker's marks (scripts/vm-selftests.sh): this test's part.
echo "kselftest: qspin_watchdog.sh begin" > /dev/kmsg
finish() {
	echo "kselftest: qspin_watchdog.sh end" > /dev/kmsg
	tap_done
}

snap=/tmp/qspin_watchdog.$$
mark() { echo "qspin_watchdog.sh: mark $1 $$" > /dev/kmsg; }
snap() { dmesg | sed -n "/qspin_watchdog.sh: mark $1 $$/,\$p" > "$snap"; }
has() { grep -q -- "$1" "$snap"; }
count() { grep -c -- "$1" "$snap"; }
last() { sed -n "s/^$1 //p" "$D/last"; }
lk() { sed -n "s/^$1 //p" "$Q/lockups"; }
# No kernel trouble but the expected reports (their titles, their stacks);
# clean_torture: the validator's reports too (the torture takes its nest
# locks in every context on purpose; qspin_torture.sh's run provokes the same).
clean_torture() { ! grep -v -E 'qspin: BUG: (spinlock lockup suspected|circular locking deadlock in progress)|qspin: WARNING: ' "$snap" |
	no_kcsan | grep -Eq 'BUG:|WARNING:|Oops|soft lockup|rcu: INFO|detected stalls|general protection'; }
clean() { ! grep -v -E 'qspin: BUG: (spinlock lockup suspected|circular locking deadlock in progress)|qspin: WARNING: possible circular locking dependency detected' "$snap" |
	no_kcsan | grep -Eq 'BUG:|WARNING:|Oops|soft lockup|rcu: INFO|detected stalls|general protection'; }

rmmod qspin-demo 2>/dev/null
if [ "$(cat /sys/module/qspin/parameters/detect 2>/dev/null)" = N ]; then
	rmmod qspin 2>/dev/null || { echo "1..0 # SKIP qspin loaded with detect=0 and in use"; exit $ksft_skip; }
fi
modprobe qspin || { nok "modprobe qspin"; finish; }
cpus=$(grep -c '^processor' /proc/cpuinfo)
old=$(cat "$P")
log "spin_timeout_ms was $old; max_wait_us so far (every test before this one): $(lk max_wait_us)"

# ---- spin_timeout_ms: bad input ----------------------------------------
for bad in 0 9 10001 4294967296 -1 abc; do
	mark "bad$bad"
	if printf '%s' "$bad" > "$P" 2>/dev/null; then
		nok "spin_timeout_ms='$bad' rejected"
	else
		ok "spin_timeout_ms='$bad' rejected"
	fi
	snap "bad$bad"
	check "spin_timeout_ms='$bad': dmesg gives the range" has \
		"qspin: spin_timeout_ms=$bad rejected: must be 10..10000 ms"
	check "spin_timeout_ms='$bad': value unchanged ($(cat $P))" cond '[ "$(cat $P)" = "$old" ]'
done
check "spin_timeout_ms=100 accepted" cond 'echo 100 > $P && [ "$(cat $P)" = 100 ]'
check "debugfs lockups: a bad command is EINVAL" cond '! echo bogus > $Q/lockups 2>/dev/null'
check "debugfs lockups: reset" cond 'echo reset > $Q/lockups && [ "$(lk reports)" = 0 ]'

rmmod qspin-demo 2>/dev/null
check "modprobe qspin-demo" modprobe qspin-demo
log "$cpus CPUs"

# demo NAME [RUNS]: the runner; its transcript in $snap, status in $st
seq=0
demo() {
	seq=$((seq + 1))
	mark "$1.$seq"
	sh "$runner" --no-load -n "${2:-1}" "$1" > /dev/null 2>&1
	st=$?
	snap "$1.$seq"
}
# after NAME: the lock words and the queue nodes clean
after() {
	check "$1: every queue node free (queue_nodes_busy $(lk queue_nodes_busy))" \
		cond '[ "$(lk queue_nodes_busy)" = 0 ]'
}

# ---- stuck-holder --------------------------------------------------------
if [ "$cpus" -lt 2 ]; then
	demo stuck-holder
	check "stuck-holder # SKIP needs two CPUs: refused ($st) with the reason" \
		cond '[ $st = 4 ] && has "stuck-holder: skipped: needs two online CPUs"'
else
	t0=$(cut -d' ' -f1 /proc/uptime)
	demo stuck-holder
	t1=$(cut -d' ' -f1 /proc/uptime)
	steps=3 left=1
	log "stuck-holder: $(grep 'qspin_demo: result' "$snap" | sed 's/.*qspin_demo: //') ($(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2fs", b - a }'))"
	check "stuck-holder: PASS (runner status $st)" cond '[ $st = 0 ] && [ "$(last verdict)" = PASS ]'
	check "stuck-holder: counters exact ($(last expected) = $(last actual) + $(last lost))" \
		cond '[ "$(last expected)" = $((2 * steps)) ] && [ "$(last actual)" = $((2 * steps - left)) ] && [ "$(last lost)" = $left ]'
	check "stuck-holder: the watchdog judged $((1 + left)) wait(s) ($(last lockups))" \
		cond '[ "$(last lockups)" = $((1 + left)) ]'
	check "stuck-holder: report title" has 'qspin: BUG: spinlock lockup suspected on CPU#[0-9]*, qspin-demo/Y[0-9]*/[0-9]*$'
	check "stuck-holder: report names the lock" has 'qspin:  lock: stuck_holder_lock, .word: 0x101$'
	check "stuck-holder: report names the waiter" has \
		'qspin:  waiter: CPU [0-9]*, task context (qspin-demo/Y[0-9]*, pid [0-9]*), in stuck_holder_waiter+0x[0-9a-f]*/0x[0-9a-f]* \[qspin_demo\], spinning for [0-9]* ms (spin_timeout_ms 100)'
	check "stuck-holder: report names the holder and its function" has \
		'qspin:  held by: CPU [0-9]*, task context, taken at stuck_holder_bug+0x'
	check "stuck-holder: the wait-for chain ends at the running holder" has \
		'qspin:   CPU[0-9]* holds stuck_holder_lock (task context, taken at stuck_holder_bug+0x.*) and is not waiting for a qspin lock: it runs and does not release it'
	check "stuck-holder: the fix names the holder" has \
		'qspin:  fix: the holder at stuck_holder_bug+0x[0-9a-f]*/0x[0-9a-f]* \[qspin_demo\] does not release it: release stuck_holder_lock before'
	check "stuck-holder: the waiter keeps spinning" has 'qspin:  the waiter keeps spinning (qspin_lock() cannot fail)'
	check "stuck-holder: the holder's stack, by NMI" has "qspin:  the holder's stack (NMI backtrace for cpu [0-9]*):"
	check "stuck-holder: the holder's stack is in its function" has 'qspin:   stuck_holder_bug+0x'
	check "stuck-holder: the waiter's stack" has 'stuck_holder_waiter+0x'
	ms=$(sed -n 's/.*spinning for \([0-9]*\) ms (spin_timeout_ms 100).*/\1/p' "$snap" | head -n 1)
	log "stuck-holder: reported after ${ms:-?} ms of spinning (spin_timeout_ms 100)"
	check "stuck-holder: reported within 100..400 ms (${ms:-?})" cond '[ -n "$ms" ] && [ "$ms" -ge 100 ] && [ "$ms" -lt 400 ]'
	check "stuck-holder, checked: -ETIMEDOUT reported" has 'qspin_lock_checked() returns -ETIMEDOUT instead of spinning'
	check "stuck-holder: lockups table (hits 1, holder named)" grep -q \
		'^kind=lockup cpu=[0-9]* hits=1 left=0 lock="stuck_holder_lock" waiter=stuck_holder_waiter+.* holder=stuck_holder_bug+' "$Q/lockups"
	check "stuck-holder: no other kernel trouble" clean
	after stuck-holder

	sr=3
	demo stuck-holder $sr
	check "stuck-holder x$sr: PASS every run ($(last pass)/$(last runs))" \
		cond '[ $st = 0 ] && [ "$(last pass)" = $sr ] && [ "$(last runs)" = $sr ]'
	check "stuck-holder x$sr: counters exact ($(last expected) = $(last actual) + $(last lost))" \
		cond '[ "$(last expected)" = $((2 * steps * sr)) ] && [ "$(last actual)" = $((sr * (2 * steps - left))) ]'
	check "stuck-holder x$sr: every wait counted ($(last lockups))" cond '[ "$(last lockups)" = $((sr * (1 + left))) ]'
	check "stuck-holder x$sr: no new report" cond '[ "$(count "qspin: BUG:")" = 0 ]'
	check "stuck-holder x$sr: lockups table counts hits=$((sr + 1))" grep -q \
		"^kind=lockup cpu=[0-9]* hits=$((sr + 1)) left=0 lock=\"stuck_holder_lock\"" "$Q/lockups"
	check "stuck-holder x$sr: no kernel trouble" clean
	after "stuck-holder x$sr"
fi

# ---- abba ------------------------------------------------------------------
demo abba
if [ "$cpus" -lt 2 ]; then
	why=$(sed -n 's/.*qspin_demo: abba: skipped: //p' "$snap" | head -n 1)
	check "abba: skipped, with the reason in dmesg (runner status $st)" cond '[ $st = 4 ] && [ -n "$why" ]'
	ok "abba # SKIP ${why:-no reason given}"
else
	log "abba: $(grep 'qspin_demo: result' "$snap" | sed 's/.*qspin_demo: //')"
	check "abba: PASS (runner status $st)" cond '[ $st = 0 ] && [ "$(last verdict)" = PASS ]'
	e=$(last expected) a=$(last actual) l=$(last lost)
	check "abba: counters exact ($e = $a + $l, at least 2 backed off)" \
		cond '[ "$e" = 6 ] && [ $((a + l)) = 6 ] && [ "$l" -ge 2 ]'
	# Every backing off is counted; a plain waiter that spun past the
	# timeout before the cycle closed (a loaded host) adds one per step.
	check "abba: the watchdog counted every backing off ($l <= $(last lockups) <= $((l + 2)))" \
		cond '[ "$(last lockups)" -ge "$l" ] && [ "$(last lockups)" -le $((l + 2)) ]'
	check "abba: report title" has 'qspin: BUG: circular locking deadlock in progress on CPU#[0-9]*, qspin-demo/[XY][0-9]*/[0-9]*$'
	check "abba: CPU Y holds b and waits for a" has \
		'qspin:   CPU[0-9]* holds abba_lock_b and waits for abba_lock_a (task context, in abba_take_both+'
	check "abba: CPU X holds a and waits for b" has \
		'qspin:   CPU[0-9]* holds abba_lock_a and waits for abba_lock_b (task context, in abba_take_both+'
	check "abba: named ABBA" has 'qspin:  ABBA deadlock in progress'
	check "abba: scenario table" has 'qspin:  Possible unsafe locking scenario, happening now:'
	check "abba: *** DEADLOCK ***" has 'qspin:  \*\*\* DEADLOCK \*\*\*'
	check "abba: the fix" has 'qspin:  fix: take the locks in one order everywhere'
	check "abba: -EDEADLK" has 'qspin:  qspin_lock_checked() returns -EDEADLK instead of spinning'
	check "abba: the validator predicted it" has 'qspin: WARNING: possible circular locking dependency detected'
	check "abba: no other kernel trouble" clean
	after abba
	demo abba "$reps"
	check "abba x$reps: PASS every run ($(last pass)/$(last runs))" \
		cond '[ $st = 0 ] && [ "$(last pass)" = "$reps" ] && [ "$(last runs)" = "$reps" ]'
	e=$(last expected) a=$(last actual) l=$(last lost)
	check "abba x$reps: counters exact ($e = $a + $l)" cond '[ "$e" = $((6 * reps)) ] && [ $((a + l)) = "$e" ] && [ "$l" -ge $((2 * reps)) ]'
	check "abba x$reps: every backing off counted ($l <= $(last lockups) <= $((l + 2 * reps)))" \
		cond '[ "$(last lockups)" -ge "$l" ] && [ "$(last lockups)" -le $((l + 2 * reps)) ]'
	check "abba x$reps: no kernel trouble" clean
	after "abba x$reps"
fi
check "rmmod qspin-demo" rmmod qspin-demo

# ---- the torture's checked mode ---------------------------------------------
if modinfo qspin-torture >/dev/null 2>&1; then
	mark torture
	echo reset > "$Q/lockups"
	if modprobe qspin-torture duration="$tsecs" stat_interval=0 checked=3 checked_long_freq=40; then
		waited=0
		while ! dmesg | sed -n "/qspin_watchdog.sh: mark torture $$/,\$p" | grep -q -- '--- End of test'; do
			sleep 2
			waited=$((waited + 2))
			[ $waited -ge $((tsecs + 120)) ] && break
		done
		rmmod qspin_torture
		snap torture
		grep -E 'Checked:|End of test|Writes:|not free|counter|nodes' "$snap" | sed 's/.*qspin-torture: /# /'
		check "torture checked: End of test: SUCCESS" has -- '--- End of test: SUCCESS'
		line=$(grep 'Checked: ok' "$snap" | tail -n 1)
		okn=$(echo "$line" | sed -n 's/.*Checked: ok \([0-9]*\) .*/\1/p')
		dl=$(echo "$line" | sed -n 's/.* edeadlk \([0-9]*\) .*/\1/p')
		to=$(echo "$line" | sed -n 's/.* etimedout \([0-9]*\) .*/\1/p')
		check "torture checked: acquisitions counted (ok ${okn:-?} edeadlk ${dl:-?} etimedout ${to:-?})" \
			cond '[ "${okn:-0}" -gt 0 ] && echo "$line" | grep -q " other 0 "'
		check "torture checked: deadlocks and timeouts happened and were left" \
			cond '[ "${dl:-0}" -gt 0 ] && [ "${to:-0}" -gt 0 ]'
		check "torture checked: queue nodes free at the end" has 'queue nodes busy 0)'
		check "torture checked: no kernel trouble" clean_torture
		log "torture checked: max_wait_us $(lk max_wait_us) with spin_timeout_ms 100"
	else
		nok "modprobe qspin-torture checked=3"
	fi
	after "torture checked"
else
	ok "torture checked # SKIP qspin-torture.ko not installed"
fi

check "spin_timeout_ms restored to $old" cond 'echo "$old" > $P && [ "$(cat $P)" = "$old" ]'
rm -f "$snap"
finish
