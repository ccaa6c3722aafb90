#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Host-side test of the real lockup (suite "demo-lockup", for make check):
# boots the VM once per scenario with qspin.ko detect=0 and qspin-demo
# allow_lockup=1 (through scripts/demo.sh --lockup --no-build, which runs the
# demo runner scripts/qspin-demo.sh --lockup): the lesson's bug line runs
# with nothing to catch it. Asserts that the kernel's own detector reported
# it, with the right frames, within a bounded time:
#
#  irq-deadlock  "rcu: INFO: rcu_preempt detected stalls on CPUs/tasks", the
#                NMI backtrace of the stuck CPU: RIP in qspin's slow path,
#                the lesson's handler (irq_deadlock_handler, called from
#                demo_hardirq) inside <IRQ>, the lesson's process-context
#                function (irq_deadlock_task) inside <TASK>; then "Kernel
#                panic - not syncing: RCU Stall".
#  bh-deadlock   "watchdog: BUG: soft lockup - CPU#N stuck", its trace: RIP in
#                qspin's slow path, the lesson's tasklet handler
#                (bh_deadlock_handler, from demo_tasklet_fn, tasklet_action)
#                inside <IRQ>, bh_deadlock_task inside <TASK>; then "Kernel
#                panic - not syncing: softlockup".
#  rt-sleeping-lock  (PREEMPT_RT kernels only: KERNEL=rt, 6.12-rt; SKIP
#                with the reason elsewhere) "BUG: scheduling while atomic",
#                then "Kernel panic - not syncing: scheduling while atomic"
#                (panic_on_warn=1), whose trace has rt_spin_lock(),
#                rtlock_slowlock_locked() and schedule_rtlock() under the
#                lesson's hard irq_work handler (rt_sleeping_handler) inside
#                <IRQ>, and the lesson's run (rt_sleeping_run) inside <TASK>.
#
# Plus: no qspin report (detection is off), the report comes within 15 s (guest time) of the run, and the console
# holds no other splat (scripts/check-console.sh with only these expected).
#
#   scripts/demo-lockup-test.sh [irq-deadlock|bh-deadlock|rt-sleeping-lock]...
# (default: irq-deadlock bh-deadlock; with KERNEL=rt or 6.12-rt,
# irq-deadlock rt-sleeping-lock)
# Needs the modules built for the VM (make vm-modules).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
qspin_top=$top
cd "$top"
# shellcheck source=scripts/lib/results.sh
. "$top/scripts/lib/results.sh"

scen=("$@")
if [ ${#scen[@]} -eq 0 ]; then
	case ${KERNEL:-} in
	*rt) scen=(irq-deadlock rt-sleeping-lock) ;;
	*) scen=(irq-deadlock bh-deadlock) ;;
	esac
fi
results_init demo-lockup
limit_s=15

if [ ! -f kmod/demo/qspin-demo.ko ]; then
	result FAIL demo-lockup "no kmod/demo/qspin-demo.ko (make vm-modules)"
	exit 1
fi

# section LOG HEADLINE: the trace block that starts at the first line
# matching HEADLINE, up to its </TASK>, as "PART<TAB>line" with PART one of
# head (before <IRQ>), irq, task
section() {
	awk -v h="$2" '
		!on && $0 ~ h { on = 1; part = "head" }
		!on { next }
		/<IRQ>/ { part = "irq" }
		/<\/IRQ>/ { part = "mid" }
		/<TASK>/ { part = "task" }
		{ print part "\t" $0 }
		/<\/TASK>/ { exit }' "$1"
}

# The printk time of a line, also when the guest's own output was written
# into the start of the same console line ("qspin-demo: irq-[    7.1] rcu: ...").
stamp() { sed -n 's/.*\[ *\([0-9][0-9]*\.[0-9]*\)\] .*/\1/p' | head -n1; }

for s in "${scen[@]}"; do
	log=build/logs/demo-lockup-$s.console.log
	case $s in
	irq-deadlock)
		headline='rcu: INFO: rcu_(preempt|sched) detected stalls on CPUs'
		trace_start='NMI backtrace for cpu'
		irq_need=('demo_hardirq' 'irq_deadlock_handler')
		task_need=irq_deadlock_task
		panic='Kernel panic - not syncing: RCU Stall'
		expect=(--expect 'detected stalls on CPU' --allow 'NMI backtrace'
			--allow 'kthread starved' --allow 'self-detected stall'
			--allow 'Kernel panic') ;;
	bh-deadlock)
		headline='watchdog: BUG: soft lockup - CPU#[0-9]+ stuck'
		trace_start='BUG: soft lockup'
		irq_need=('demo_tasklet_fn' 'tasklet_action' 'bh_deadlock_handler')
		task_need=bh_deadlock_task
		panic='Kernel panic - not syncing: softlockup'
		expect=(--expect 'BUG: soft lockup' --allow 'detected stalls on CPU'
			--allow 'NMI backtrace' --allow 'kthread starved'
			--allow 'self-detected stall'
			--allow 'Kernel panic') ;;
	rt-sleeping-lock)
		case ${KERNEL:-} in
		*rt) ;;
		*) result SKIP "demo-lockup:$s" "not a PREEMPT_RT kernel (KERNEL=${KERNEL:-6.1}): spinlock_t spins there, nothing sleeps in the hard interrupt"
		   continue ;;
		esac
		headline='BUG: scheduling while atomic: '
		trace_start='Kernel panic - not syncing: scheduling while atomic'
		irq_need=('rt_sleeping_handler' 'rt_spin_lock' 'rtlock_slowlock_locked' 'schedule_rtlock')
		task_need=rt_sleeping_run
		panic='Kernel panic - not syncing: scheduling while atomic'
		expect=(--expect 'BUG: scheduling while atomic'
			--allow 'Kernel panic') ;;
	*) result FAIL "demo-lockup:$s" "unknown scenario"; continue ;;
	esac
	t0=$SECONDS
	scripts/demo.sh --lockup "$s" --no-build --log build/logs/demo-lockup.console.log \
		> "build/logs/demo-lockup-$s.transcript" 2>&1
	t_vm=$((SECONDS - t0))
	name=demo-lockup:$s
	if ! grep -aqE "$headline" "$log"; then
		result FAIL "$name" "no '$headline' on the console ($log, ${t_vm}s)"
		continue
	fi
	# The stuck CPU: the one the process side ran on.
	cpu=$(grep -a "qspin_demo: run $s" "$log" | sed -n 's/.*process context on CPU \([0-9]*\).*/\1/p' | head -n1)
	[ "$s" = irq-deadlock ] && trace_start="NMI backtrace for cpu $cpu\$"
	[ "$s" = bh-deadlock ] && trace_start="BUG: soft lockup - CPU#$cpu "
	sec=$(section "$log" "$trace_start")
	head=$(printf '%s\n' "$sec" | awk -F'\t' '$1 == "head"')
	irq=$(printf '%s\n' "$sec" | awk -F'\t' '$1 == "irq"')
	task=$(printf '%s\n' "$sec" | awk -F'\t' '$1 == "task"')
	why=()
	[ -n "$sec" ] || why+=("no trace for CPU $cpu")
	# rt-sleeping-lock's waiter is the kernel's rt_spin_lock(), not qspin.
	[ "$s" = rt-sleeping-lock ] ||
		printf '%s\n%s\n' "$head" "$irq" | grep -qE 'qspin_slowpath|qspin_lock' ||
		why+=("qspin's slow path not on top of the <IRQ> frames")
	for f in "${irq_need[@]}"; do
		printf '%s\n' "$irq" | grep -q "$f" || why+=("$f not in <IRQ>")
	done
	printf '%s\n' "$task" | grep -q "$task_need" ||
		why+=("$task_need not in <TASK>")
	grep -aq "$panic" "$log" || why+=("no '$panic'")
	# qspin.ko ran with detect=0: the kernel alone saw the lockup.
	! grep -aq 'qspin: possible' "$log" ||
		why+=("a qspin report: detection was meant to be off")
	t_run=$(grep -a "qspin_demo: run $s" "$log" | stamp)
	t_det=$(grep -aE "$headline" "$log" | stamp)
	delay=$(awk -v a="$t_run" -v b="$t_det" 'BEGIN { printf "%.1f", b - a }')
	awk -v d="$delay" -v l="$limit_s" 'BEGIN { exit !(d >= 0 && d <= l) }' ||
		why+=("reported ${delay}s after the run (limit ${limit_s}s)")
	if [ ${#why[@]} -eq 0 ]; then
		result PASS "$name" "reported ${delay}s after the run, VM ${t_vm}s"
	else
		result FAIL "$name" "$(IFS=';'; echo "${why[*]}") ($log)"
	fi
	if scripts/check-console.sh "$log" "${expect[@]}" --quiet; then
		result PASS "$name:console" "only the expected reports"
	else
		scripts/check-console.sh "$log" "${expect[@]}" 2>&1 | head -n 30 >&2
		result FAIL "$name:console" "other splats on $log"
	fi
done
! grep -q '^FAIL' "$results_file"
