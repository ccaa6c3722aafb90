#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# qspin-demo in safe mode: every scenario once, with its counters and the
# exact qspin report text; then every scenario 100 times with exact
# counters every time and no stray report or warning; the other interrupt
# sources (irq_work fallback, edu INTx); the load-time scenario= parameter;
# and the system alive and the module unloadable afterwards. Every run goes
# through the demo runner (qspin-demo.sh, installed beside this test from
# scripts/), which takes the scenarios from the module's debugfs list; its
# transcript (the kernel lines of the run) is what the checks read.
#
# Expected console output: for each of irq-deadlock and bh-deadlock, two
# qspin reports. First the validator's, as soon as the handler takes the
# lock that the task took with interrupts (softirqs) on: it names the bug
# from the two uses alone, collision or not,
#   qspin: WARNING: inconsistent lock state
# then, because in the demo the handler does interrupt the holder, the
# collision itself, with a dump_stack() ("Call Trace:"),
#   qspin: possible same-CPU deadlock: lock taken in hardirq context is held by interrupted task context
#   qspin: possible same-CPU deadlock: lock taken in softirq context is held by interrupted task context
# (once each per module load of the irq_work/INTx passes too: unloading
# the demo forgets its classes, and the deadlock table is reset before each
# pass). Nothing else: no BUG:, no other WARNING:.
#
# On PREEMPT_RT bh-deadlock does not apply, and each of its checks says so
# (SKIP): softirqs run in threads there, never at interrupt exit, so none
# interrupts a task holding a spinning lock with preemption off.
#
# Environment: QSPIN_DEMO_RUNS (repetitions, default 100).
# Exit: 0 pass, 1 fail, 4 skip (qspin-demo.ko not installed).
# POSIX sh: the VM runs BusyBox ash.

D=/sys/kernel/debug/qspin-demo
Q=/sys/kernel/debug/qspin
reps=${QSPIN_DEMO_RUNS:-100}
runner=$(dirname "$0")/qspin-demo.sh
. "$(dirname "$0")/qspin_tap.sh"

echo "TAP version 13"
if ! modinfo qspin-demo >/dev/null 2>&1; then
	tap_skip_all "qspin-demo.ko not installed"
fi
[ -f "$runner" ] || { echo "not ok 1 no demo runner at $runner"; echo "1..1"; exit 1; }


# mark NAME, run things, snap NAME: the dmesg lines since the mark, kept in
# $snap for has/hasnot/clean (one dmesg per step: TCG is slow); a run
# through the runner (demo) keeps its transcript there instead
snap=/tmp/qspin_demo.$$
mark() { echo "qspin_demo.sh: mark $1 $$" > /dev/kmsg; }
snap() { dmesg | sed -n "/qspin_demo.sh: mark $1 $$/,\$p" > "$snap"; }
last() { sed -n "s/^$1 //p" "$D/last"; }
has() { grep -q -- "$1" "$snap"; }
hasnot() { ! grep -q -- "$1" "$snap"; }
# No kernel trouble since the mark (the qspin reports' own title and stack
# aside: the deadlock scenarios provoke them, single() checks their text).
clean() { ! grep -v 'qspin: WARNING: inconsistent lock state$' "$snap" | no_kcsan | grep -Eq 'BUG:|WARNING:|Oops|soft lockup|rcu: INFO|detected stalls|general protection'; }
# Any qspin report: the deadlock detector's or the validator's.
report='qspin: possible\|qspin: WARNING:'
# first A B: a line matching A comes before the first line matching B
first() { awk -v a="$1" -v b="$2" '$0 ~ a && !sa { sa = NR } $0 ~ b && !sb { sb = NR } END { exit !(sa && sb && sa < sb) }' "$snap"; }

cpus=$(grep -c '^processor' /proc/cpuinfo)

# A clean start: qspin with detection on, the demo freshly loaded.
rmmod qspin-demo 2>/dev/null
if [ "$(cat /sys/module/qspin/parameters/detect 2>/dev/null)" = N ]; then
	rmmod qspin 2>/dev/null || { echo "1..0 # SKIP qspin loaded with detect=0 and in use"; exit $ksft_skip; }
fi
modprobe qspin || { nok "modprobe qspin"; echo "1..$n"; exit 1; }

# rt_na NAME CHECK: on PREEMPT_RT, CHECK of scenario NAME is a SKIP, with
# the reason, when NAME needs a softirq to interrupt a task (status 0).
rt_na() {
	case $(uname -v):$1 in
	*PREEMPT_RT*:bh-deadlock)
		ok "$2 # SKIP PREEMPT_RT: softirqs run in threads, not at interrupt exit; none interrupts a task holding a spinning lock with preemption off, so $1 cannot happen"
		return 0 ;;
	esac
	return 1
}

# load [PARAMS...]: (re)load the demo, forget earlier reports
load() {
	rmmod qspin-demo 2>/dev/null
	modprobe qspin-demo "$@" || return 1
	echo reset > "$Q/deadlocks"
}

# demo [-n RUNS] NAME: the runner on the loaded module, its transcript in
# $snap; sets $st to its status: 0 PASS, 1 another verdict, 3 refused
demo() {
	sh "$runner" --no-load "$@" > "$snap" 2>&1
	st=$?
}
ran() { [ "$st" = 0 ] || [ "$st" = 1 ]; }

# single NAME: run once and check counters, verdict and dmesg
single() {
	s=$1
	rt_na "$s" "$s: verdict PASS" && return
	demo "$s"
	if ! ran; then
		nok "$s: run failed (runner status $st)"
		return
	fi
	v=$(last verdict) e=$(last expected) a=$(last actual) l=$(last lost)
	log "$s: $(grep 'qspin_demo: result' "$snap" | sed 's/.*qspin_demo: //')"
	check "$s: verdict PASS ($(last scenario) $v, runner status $st)" \
		cond '[ "$(last scenario)" = "$s" ] && [ "$v" = PASS ] && [ $st = 0 ]'
	case $s in
	*-deadlock)
		check "$s: counter one short (expected 1, actual $a, lost $l)" \
			cond '[ "$e" = 1 ] && [ "$a" = 1 ] && [ "$l" = 1 ]'
		;;
	*)
		check "$s: counter exact (expected 2, actual $a)" \
			cond '[ "$e" = 2 ] && [ "$a" = 2 ] && [ "$l" = 0 ]'
		;;
	esac
	check "$s: result line in dmesg" has \
		"qspin_demo: result $s: PASS, counter expected $e actual $a"
	case $s in
	irq-deadlock)
		check "$s: validator names the bug" has 'qspin: WARNING: inconsistent lock state'
		check "$s: inconsistent: the usages" has \
			'qspin:  inconsistent {HARDIRQ-ON} -> {IN-HARDIRQ} usage.'
		check "$s: inconsistent: names the lock" has 'qspin:  lock: irq_deadlock_lock$'
		check "$s: inconsistent: the task's site" has \
			'qspin:  {HARDIRQ-ON} state was registered at: irq_deadlock_task+'
		check "$s: inconsistent: the handler's site" has \
			'qspin:  {IN-HARDIRQ} state was registered at: irq_deadlock_handler+'
		check "$s: inconsistent: the fix" has \
			'qspin:  fix: take irq_deadlock_lock with qspin_lock_irqsave() in irq_deadlock_task(), because irq_deadlock_handler() takes it in hardirq context'
		check "$s: inconsistent state reported before the collision" \
			first 'qspin: WARNING: inconsistent lock state' 'qspin: possible same-CPU deadlock'
		check "$s: report title" has \
			'qspin: possible same-CPU deadlock: lock taken in hardirq context is held by interrupted task context'
		check "$s: report names the lock" has 'qspin:  lock: irq_deadlock_lock \[qspin_demo\]'
		check "$s: report names the holder" has \
			'qspin:  held by: task context (qspin-demo/[0-9]*, pid [0-9]*) on CPU [0-9]*, taken at irq_deadlock_task+'
		check "$s: report names the interrupting handler" has \
			'qspin:  interrupted by: hardirq context on CPU [0-9]*, in irq_deadlock_handler+'
		check "$s: report scenario table" has 'qspin:   <Interrupt>'
		check "$s: report gives the fix" has \
			'qspin:  fix: take this lock with qspin_lock_irqsave() in process context, because irq_deadlock_handler+.* takes it in hardirq context'
		check "$s: report says -EDEADLK" has 'returns -EDEADLK instead of spinning'
		check "$s: report has the stack" has 'Call Trace:'
		;;
	bh-deadlock)
		check "$s: validator names the bug" has 'qspin: WARNING: inconsistent lock state'
		check "$s: inconsistent: the usages" has \
			'qspin:  inconsistent {SOFTIRQ-ON} -> {IN-SOFTIRQ} usage.'
		check "$s: inconsistent: names the lock" has 'qspin:  lock: bh_deadlock_lock$'
		check "$s: inconsistent: the fix" has \
			'qspin:  fix: take bh_deadlock_lock with qspin_lock_bh() in bh_deadlock_task(), because bh_deadlock_handler() takes it in softirq context'
		check "$s: inconsistent state reported before the collision" \
			first 'qspin: WARNING: inconsistent lock state' 'qspin: possible same-CPU deadlock'
		check "$s: report title" has \
			'qspin: possible same-CPU deadlock: lock taken in softirq context is held by interrupted task context'
		check "$s: report names its own lock" has 'qspin:  lock: bh_deadlock_lock \[qspin_demo\]'
		check "$s: report names the holder" has \
			'qspin:  held by: task context (qspin-demo/[0-9]*, pid [0-9]*) on CPU [0-9]*, taken at bh_deadlock_task+'
		check "$s: report scenario table" has 'qspin:   <Softirq>'
		check "$s: report gives the fix" has \
			'qspin:  fix: take this lock with qspin_lock_bh() in process context, because bh_deadlock_handler+.* takes it in softirq context'
		check "$s: report has the stack" has 'Call Trace:'
		;;
	*)
		check "$s: no qspin report" hasnot "$report"
		;;
	esac
	check "$s: no kernel warning" clean
}

# repeated NAME: run $reps times in one go: exact counters every time
repeated() {
	s=$1
	rt_na "$s" "$s x$reps: every run PASS" && return
	t0=$(cut -d' ' -f1 /proc/uptime)
	demo -n "$reps" "$s"
	if ! ran; then
		nok "$s x$reps: run failed (runner status $st)"
		return
	fi
	t1=$(cut -d' ' -f1 /proc/uptime)
	v=$(last verdict) r=$(last runs) p=$(last pass) f=$(last fail)
	e=$(last expected) a=$(last actual)
	log "$s x$reps: verdict $v, pass $p, inconclusive $(last inconclusive), fail $f, counter expected $e actual $a, $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2fs", b - a }')"
	if [ "$s" = cross-cpu ]; then
		# The handler may arrive late on a loaded host: inconclusive
		# is allowed, a wrong counter is not.
		check "$s x$reps: no failure, >= 90% conclusive" \
			cond '[ "$r" = "$reps" ] && [ "$f" = 0 ] && [ "$p" -ge $((reps * 9 / 10)) ]'
	else
		check "$s x$reps: every run PASS ($v, $p/$r)" \
			cond '[ "$v" = PASS ] && [ "$r" = "$reps" ] && [ "$p" = "$reps" ]'
	fi
	check "$s x$reps: counters exact every time ($e = $a)" \
		cond '[ "$(last scenario)" = "$s" ] && [ "$e" = "$a" ] && [ "$f" = 0 ]'
	check "$s x$reps: no new report, no warning" hasnot "$report"
	check "$s x$reps: no kernel warning" clean
}

# What the module must list first, in this order; the runs below take the
# list from the module through the runner. The two-CPU lessons after them
# (abba, stuck-holder) are qspin_watchdog.sh's.
expected="irq-deadlock irq-fixed bh-deadlock bh-fixed cross-cpu shared-helper"

# ---- the edu device (or whatever auto finds) ---------------------------
check "modprobe qspin-demo" load
src=$(sed -n 's/^source //p' "$D/status")
log "interrupt source: $src, $cpus CPUs"
for s in $expected; do
	check "list names $s" grep -q "^$s " "$D/list"
done
# The lessons that follow them have tests of their own (abba and
# stuck-holder: qspin_watchdog.sh; the mistakes: qspin_demo_mistakes.sh;
# irq-threaded and rt-sleeping-lock: qspin_demo_rt.sh): here the first six.
scenarios=$(sh "$runner" --no-load names | head -n 6 | tr '\n' ' ')
check "the runner lists the module's first six scenarios, in order ($scenarios)" \
	cond '[ "$(echo $scenarios)" = "$expected" ]'
for s in $scenarios; do
	if [ "$s" = cross-cpu ] && [ "$cpus" -lt 2 ]; then
		ok "$s # SKIP needs 2 CPUs"
		continue
	fi
	single "$s"
done
for s in $scenarios; do
	[ "$s" = cross-cpu ] && [ "$cpus" -lt 2 ] && continue
	repeated "$s"
done
check "deadlocks: hardirq pair reported once, every hit counted" \
	grep -q "holder=task waiter=hardirq .* hits=$((reps + 1)) backed_off=$((reps + 1)) lock=\"irq_deadlock_lock \[qspin_demo\]\"" "$Q/deadlocks"
rt_na bh-deadlock "deadlocks: softirq pair reported once, every hit counted" ||
check "deadlocks: softirq pair reported once, every hit counted" \
	grep -q "holder=task waiter=softirq .* hits=$((reps + 1)) backed_off=$((reps + 1)) lock=\"bh_deadlock_lock \[qspin_demo\]\"" "$Q/deadlocks"
check "no stray interrupts" grep -q '^stray_hardirqs 0$' "$D/status"

# ---- alive afterwards -------------------------------------------------
mark alive
u0=$(cut -d' ' -f1 /proc/uptime)
sleep 1
u1=$(cut -d' ' -f1 /proc/uptime)
check "alive: time goes on ($u0 -> $u1)" awk -v a="$u0" -v b="$u1" 'BEGIN { exit !(b > a + 0.5) }'
check "alive: irq-fixed still passes" cond 'demo irq-fixed; [ $st = 0 ]'
check "alive: every CPU online" cond '[ "$cpus" = 1 ] || [ "$(cat /sys/devices/system/cpu/online)" = "0-$((cpus - 1))" ]'
check "rmmod qspin-demo" rmmod qspin-demo

# ---- the other interrupt sources ------------------------------------------
others=irq_work
[ "$src" = edu-msi ] && others="irq_work edu-intx"
for o in $others; do
	if ! load source="$o"; then
		nok "modprobe qspin-demo source=$o"
		continue
	fi
	check "source=$o: status says $o" grep -q "^source $o\$" "$D/status"
	# The kernel's own word that the device's INTx has no route (its
	# ACPI _PRT aborted: under KASAN and TCG on a loaded host the AML
	# interpreter ran past its 30 s loop limit, AE_AML_LOOP_TIMEOUT):
	# no interrupt can arrive, on any lock.
	unrouted=
	[ "$o" = edu-intx ] && dmesg | grep -q "qspin_demo [0-9a-f:.]*: can't derive routing for PCI INT" &&
		unrouted="the kernel could not route the edu device's INTx ($(dmesg | grep -o 'ACPI Error: Method execution failed [^ ]* due to previous error ([A-Z_]*)' | tail -n 1))"
	for s in $scenarios; do
		[ "$s" = cross-cpu ] && [ "$cpus" -lt 2 ] && continue
		rt_na "$s" "source=$o $s x20: PASS, counters exact" && continue
		demo -n 20 "$s"
		v=$(last verdict) e=$(last expected) a=$(last actual) f=$(last fail)
		log "source=$o $s x20: verdict $v, counter expected $e actual $a, source $(last source)"
		what="PASS, counters exact"
		[ "$s" = cross-cpu ] && what="counters exact, no failure"
		if [ -n "$unrouted" ] && [ "$(last why)" = "the handler never ran" ]; then
			ok "source=$o $s x20: $what # SKIP the handler never ran: $unrouted"
		elif [ "$s" = cross-cpu ]; then
			check "source=$o $s x20: $what" cond 'ran && [ "$(last scenario)" = "$s" ] && [ "$e" = "$a" ] && [ "$f" = 0 ]'
		else
			check "source=$o $s x20: $what" cond 'ran && [ "$(last scenario)" = "$s" ] && [ "$v" = PASS ] && [ "$e" = "$a" ]'
		fi
		check "source=$o $s: no kernel warning" clean
	done
	check "source=$o: rmmod" rmmod qspin-demo
done

# ---- scenario= at load time ---------------------------------------------
mark loadtime
check "modprobe qspin-demo scenario=irq-fixed runs=5" load scenario=irq-fixed runs=5
snap loadtime
check "load-time scenario: result line" has \
	'qspin_demo: result irq-fixed: PASS, counter expected 10 actual 10, runs 5'
check "load-time scenario: rmmod" rmmod qspin-demo

rm -f "$snap"
tap_done
