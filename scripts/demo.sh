#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The deadlock demo in the test VM (make demo, make demo-lockup).
#
#   scripts/demo.sh [--smp N] [--source SRC] [--no-build] [--log FILE]
#   scripts/demo.sh --lockup [irq-deadlock|bh-deadlock|rt-sleeping-lock]... [--smp N]
#                   [--source SRC] [--no-build] [--log FILE] [--timeout SECS]
#
# Both modes run the demo runner, scripts/qspin-demo.sh, in the VM (it goes
# into the initramfs as /qspin/demo/qspin-demo.sh): it takes the scenario
# list from the module (debugfs qspin-demo/list).
#
# Safe mode (default, make demo): installs what is missing (scripts/deps.sh),
# builds the modules for the VM (make vm-modules), boots the VM once and runs
# every scenario (irq-deadlock, irq-fixed, bh-deadlock, bh-fixed, cross-cpu,
# shared-helper, then the mistakes: recursion, irq-inconsistent,
# sleep-under-lock, leaked-lock), then prints the runner's transcript: for each scenario
# what it does, the kernel lines it produced (qspin's deadlock report for the
# two deadlocks), counter expected vs actual, the verdict. Exit status 0 when
# every scenario passed and the console shows nothing but the expected
# qspin reports.
#
# --lockup (make demo-lockup): the real thing, one VM boot per scenario
# (default: irq-deadlock, then bh-deadlock): qspin.ko detect=0 and
# qspin-demo allow_lockup=1 run the same bug line with nothing to catch it,
# a CPU hangs and the kernel's own detectors report it, then panic, which
# ends the boot: irq-deadlock with the RCU stall detector
# (rcu_cpu_stall_timeout=3, kernel.panic_on_rcu_stall=1), whose NMI
# backtrace shows the handler and qspin's slow path in <IRQ> over the
# process-context function in <TASK>; bh-deadlock with the soft lockup
# detector (watchdog_thresh=1, softlockup_panic=1). Under TCG there is no
# PMU, so no "hard LOCKUP" message: that needs KVM or real hardware. Each
# boot is bounded by --timeout (default 120s). Exit status 0 when each boot
# ended in the expected kernel report.
#
# KERNEL=NAME (make demo KERNEL=NAME): the VM kernel of scripts/deps.sh;
# on PREEMPT_RT (rt, 6.12-rt) bh-deadlock does not apply and says why, and
# rt-sleeping-lock runs (elsewhere it is skipped, with the reason). --lockup
# there runs irq-deadlock and rt-sleeping-lock by default: the latter's
# hard interrupt takes a spinlock_t its own interrupted task holds, and
# rt_spin_lock() schedules from hard interrupt context, "BUG: scheduling
# while atomic"; panic_on_warn=1 makes that report panic, which ends the
# boot (the RCU stall timeout stays as a second bound).
#
# --source SRC   qspin-demo's interrupt source: auto (default), edu, edu-msi,
#                edu-intx, irq_work
# --smp N        vCPUs (default 2)
# --no-build     skip deps and make (make check has built already)
# --log FILE     console log (lockup: one per scenario, FILE with the
#                scenario name before .console.log); default
#                build/logs/demo[-lockup-SCENARIO].console.log
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

lockup=0 smp=2 source=auto build=1 log= timeout_s=
scen=()
while [ $# -gt 0 ]; do
	case $1 in
	--lockup) lockup=1; shift ;;
	irq-deadlock|bh-deadlock|rt-sleeping-lock) scen+=("$1"); shift ;;
	--smp) smp=$2; shift 2 ;;
	--source) source=$2; shift 2 ;;
	--no-build) build=0; shift ;;
	--log) log=$2; shift 2 ;;
	--timeout) timeout_s=$2; shift 2 ;;
	-h|--help) awk 'NR > 2 && !/^#/ { exit } NR > 2 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
	*) echo "demo: unknown argument: $1 (see --help)" >&2; exit 2 ;;
	esac
done
[ ${#scen[@]} -eq 0 ] || [ $lockup = 1 ] || { echo "demo: scenario names go with --lockup" >&2; exit 2; }

say() { printf '[demo] %s\n' "$*" >&2; }
mkdir -p build/logs build/demo
t_start=$SECONDS

if [ $build = 1 ]; then
	say "dependencies (scripts/deps.sh)"
	if ! scripts/deps.sh > build/logs/demo-deps.log 2>&1; then
		tail -n 20 build/logs/demo-deps.log >&2
		say "scripts/deps.sh failed: build/logs/demo-deps.log"
		exit 1
	fi
	say "building the modules for the VM (make vm-modules)"
	if ! make -s vm-modules > build/logs/demo-build.log 2>&1; then
		tail -n 30 build/logs/demo-build.log >&2
		say "build failed: build/logs/demo-build.log"
		exit 1
	fi
fi
[ -f kmod/demo/qspin-demo.ko ] || { say "no kmod/demo/qspin-demo.ko: run make vm-modules"; exit 1; }

# Kernel lines of a log without the noise of register dumps.
readable() {
	grep -av -E '^\[ *[0-9.]+\] (RSP|RAX|RDX|RBP|R10|R13|Code|FS|CS|CR2|PKRU): '
}

# The runner, scripts/qspin-demo.sh, goes into the initramfs as
# /qspin/demo/qspin-demo.sh; the guest script only calls it.
runner_dir=build/demo/runner
mkdir -p "$runner_dir"
cp scripts/qspin-demo.sh "$runner_dir/"
runner=(--extra-dir "$runner_dir:/qspin/demo")

# ---------------------------------------------------------------- safe mode
if [ $lockup = 0 ]; then
	log=${log:-build/logs/demo.console.log}
	out=${log%.console.log}.out.log
	guest=build/demo/guest-demo.sh
	cat > "$guest" <<EOF
# generated by scripts/demo.sh
sh /qspin/demo/qspin-demo.sh -s $source --unload
EOF
	say "booting the VM (-smp $smp); console: $log"
	t_boot=$SECONDS
	scripts/vm-run.sh --guest-script "$guest" "${runner[@]}" --smp "$smp" \
		--log "$log" --out "$out" --timeout "${timeout_s:-300}" --quiet
	rc=$?
	t_vm=$((SECONDS - t_boot))
	grep -av 'QSPIN-GUEST-EXIT' "$out"
	echo
	# irq-threaded and rt-sleeping-lock are PREEMPT_RT's: elsewhere the
	# module skips them with the reason (the runner's status 4); those
	# skips, and only those, are what a kernel without PREEMPT_RT must say.
	skipped=$(sed -n 's/^=== skipped (each said why)://p' "$out")
	case ${KERNEL:-}:$rc:$skipped in
	*rt:*) ;;
	*:4:' irq-threaded rt-sleeping-lock')
		echo "irq-threaded, rt-sleeping-lock: skipped, as they must be without PREEMPT_RT (the reasons are above)"
		rc=0 ;;
	esac
	# The console must hold the reports the scenarios provoke, each once
	# (kernel lines only: the guest's own output is on the console too),
	# and nothing else of note (check-console.sh: each --expect must be
	# seen, any other splat fails):
	#   irq-deadlock, bh-deadlock  qspin: possible same-CPU deadlock (2),
	#                              after the validator's inconsistent lock
	#                              state (with irq-inconsistent's: 3)
	#   stuck-holder               BUG: spinlock lockup suspected (1 or more)
	#   abba                       BUG: circular locking deadlock in progress
	#                              (1 or more), after the validator's
	#                              possible circular locking dependency (1)
	#   recursion                  possible recursive locking detected (1)
	#   sleep-under-lock           sleeping function called from invalid
	#                              context (1)
	#   leaked-lock                qspin-demo/CPU/PID still has locks held! (1)
	count() { grep -acE "^\[ *[0-9.]+\] $1" "$log"; }
	reports=$(count 'qspin: possible same-CPU deadlock')
	inconsistent=$(count 'qspin: WARNING: inconsistent lock state')
	lockups=$(count 'qspin: BUG: spinlock lockup suspected')
	inprogress=$(count 'qspin: BUG: circular locking deadlock in progress')
	circular=$(count 'qspin: WARNING: possible circular locking dependency detected')
	recursive=$(count 'qspin: WARNING: possible recursive locking detected')
	sleeping=$(count 'qspin: BUG: sleeping function called from invalid context')
	leaked=$(count 'qspin: WARNING: qspin-demo/[0-9]+/[0-9]+ still has locks held!')
	expects=(--expect 'qspin: possible same-CPU deadlock'
		--expect 'qspin: WARNING: inconsistent lock state'
		--expect 'qspin: BUG: spinlock lockup suspected'
		--expect 'qspin: BUG: circular locking deadlock in progress'
		--expect 'qspin: WARNING: possible circular locking dependency detected'
		--expect 'qspin: WARNING: possible recursive locking detected'
		--expect 'qspin: BUG: sleeping function called from invalid context'
		--expect 'qspin: WARNING: qspin-demo/[0-9]+/[0-9]+ still has locks held!')
	if scripts/check-console.sh "$log" "${expects[@]}" --quiet; then
		console=clean
	else
		console=dirty
		scripts/check-console.sh "$log" "${expects[@]}"
		rc=1
	fi
	# PREEMPT_RT: bh-deadlock does not apply (the runner says why): one
	# same-CPU deadlock, and one inconsistent lock state fewer.
	want=2
	case ${KERNEL:-} in *rt) want=1 ;; esac
	[ "$reports" = $want ] && [ "$inconsistent" = $((want + 1)) ] &&
		[ "$lockups" -ge 1 ] && [ "$inprogress" -ge 1 ] && [ "$circular" = 1 ] &&
		[ "$recursive" = 1 ] && [ "$sleeping" = 1 ] && [ "$leaked" = 1 ] || rc=1
	echo "console: $reports qspin deadlock reports ($want expected), $inconsistent inconsistent lock state ($((want + 1))), $lockups lockup watchdog (1 or more), $inprogress deadlocks in progress (1 or more), $circular circular dependency (1), $recursive recursive locking (1), $sleeping sleeping under a lock (1), $leaked locks still held (1), nothing else: $console ($log)"
	echo "demo: $([ $rc = 0 ] && echo PASS || echo "FAIL (rc=$rc)"), VM ${t_vm}s, total $((SECONDS - t_start))s"
	exit $rc
fi

# ---------------------------------------------------------------- lockup mode
if [ ${#scen[@]} -eq 0 ]; then
	case ${KERNEL:-} in
	*rt) scen=(irq-deadlock rt-sleeping-lock) ;;
	*) scen=(irq-deadlock bh-deadlock) ;;
	esac
fi
status=0
for s in "${scen[@]}"; do
	slog=${log:-build/logs/demo-lockup.console.log}
	slog=${slog%.console.log}-$s.console.log
	guest=build/demo/guest-lockup-$s.sh
	case $s in
	irq-deadlock)
		append="rcupdate.rcu_cpu_stall_timeout=3"
		panic_rcu=1 headline='detected stalls on CPU'
		panic='Kernel panic - not syncing: RCU Stall' ;;
	bh-deadlock)
		# The soft lockup detector (2 x watchdog_thresh) panics first.
		append="rcupdate.rcu_cpu_stall_timeout=3 watchdog_thresh=1 softlockup_panic=1"
		panic_rcu=0 headline='BUG: soft lockup'
		panic='Kernel panic - not syncing: softlockup' ;;
	rt-sleeping-lock)
		# PREEMPT_RT only: rt_spin_lock() schedules from hard interrupt
		# context; panic_on_warn=1 turns the kernel's report into a panic.
		append="rcupdate.rcu_cpu_stall_timeout=3 panic_on_warn=1"
		panic_rcu=1 headline='BUG: scheduling while atomic'
		panic='Kernel panic - not syncing: scheduling while atomic' ;;
	esac
	cat > "$guest" <<EOF
# generated by scripts/demo.sh --lockup
echo $panic_rcu > /proc/sys/kernel/panic_on_rcu_stall
sh /qspin/demo/qspin-demo.sh --lockup --yes-hang-this-cpu -s $source $s
exit 3
EOF
	echo
	echo "=== $s, allow_lockup=1 (kernel: $append)"
	t_boot=$SECONDS
	scripts/vm-run.sh --guest-script "$guest" "${runner[@]}" --smp "$smp" \
		--log "$slog" --timeout "${timeout_s:-120}" --append "$append" --quiet
	rc=$?
	t_vm=$((SECONDS - t_boot))
	# From the run to the panic line: the kernel's report (rt-sleeping-lock:
	# up to the panic's </TASK>: the kernel's report has no trace there).
	stop=$panic
	[ "$s" != rt-sleeping-lock ] || stop='</TASK>'
	awk -v s="$s" -v p="$stop" 'index($0, "qspin_demo: run " s) { on = 1 }
		on { print } on && index($0, p) { exit }' "$slog" | readable
	t_run=$(grep -a "qspin_demo: run $s" "$slog" | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p' | head -n1)
	t_det=$(grep -a "$headline" "$slog" | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p' | head -n1)
	if [ $rc = 125 ] && grep -aq "$headline" "$slog" && grep -aq "$panic" "$slog"; then
		echo "--- $s: the kernel reported it ($headline) $(awk -v a="$t_run" -v b="$t_det" 'BEGIN { printf "%.1f", b - a }')s after the run started (guest time); VM ${t_vm}s; console: $slog"
	else
		echo "--- $s: expected '$headline' and a panic, got VM rc=$rc; console: $slog"
		status=1
	fi
done
echo "demo-lockup: $([ $status = 0 ] && echo PASS || echo FAIL), total $((SECONDS - t_start))s"
exit $status
