#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs the kselftest target "qspin" (selftests/) in the test VM: one boot for
# the whole set. Records results as suite "vm-selftests" (with KERNEL=NAME,
# the VM kernel NAME of scripts/deps.sh: "vm-selftests-NAME", and its logs).
#
#   scripts/vm-selftests.sh [-t qspin:TEST]... [-x qspin:TEST]... [--smp N] [--timeout SECS]
#                           [--append "KERNEL ARGS"] [--console]
#                           [--then FILE] [--console-filter PROG]
#                           [--suite NAME] [--tcg-opts OPTS] [--ksft-timeout SECS]
#
#   --suite NAME           record the results as suite NAME (with KERNEL=K:
#                          NAME-K) and name the logs after it, instead of
#                          vm-selftests: a second boot of the same kernel
#   --tcg-opts OPTS        vm-run.sh's --tcg-opts, e.g. thread=single
#   --ksft-timeout SECS    kselftest's timeout per test instead of
#                          selftests/settings' 300 (also $QSPIN_KSFT_TIMEOUT):
#                          scripts/check-sanitizers.sh's slow kernels; the
#                          hang detection (vm-run.sh --silence) follows it
#   --then FILE            guest shell lines run after run_kselftest.sh, in the
#                          same boot (their output goes to the .out.log too);
#                          scripts/check-sanitizers.sh scans for leaks there
#   --console-filter PROG  the console check reads the output of PROG (a
#                          command, split into words) fed the console log
#                          (build/logs/SUITE.console.checked.log) instead of
#                          the log itself: the sanitizer kernels leave out
#                          the reports that do not involve qspin
#                          (scripts/sanitizer-reports.sh filter)
#
#  1. builds selftests/ over the kernel's lib.mk from .cache (static binaries
#     in build/selftests/qspin)
#  2. lays out a kselftest install tree like the kernel's
#     "make -C tools/testing/selftests install" does (build/selftests/install:
#     run_kselftest.sh, kselftest/, kselftest-list.txt from lib.mk's emit_tests,
#     qspin/ with the tests, settings and config)
#  3. boots the VM once (scripts/vm-run.sh, with the repo's modules: run
#     'make vm-modules' first) running /kselftest/run_kselftest.sh [-t ...]
#     (-x TEST: all of them, or all the -t ones, but TEST)
#  4. turns the TAP into results: "ok N selftests: qspin: NAME" PASS, with
#     "# SKIP" SKIP, "not ok" FAIL (as qspin:NAME), each kselftest_harness
#     sub-test as qspin:NAME:SUBTEST; plus console-clean from check-console.sh
#
# Logs: build/logs/vm-selftests.console.log (console), .out.log (the TAP).
# Exit status non-zero when anything failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
qspin_top=$top
vm_tag=vm-selftests
# shellcheck source=scripts/lib/vm.sh
. "$top/scripts/lib/vm.sh"
# shellcheck source=scripts/lib/results.sh
. "$top/scripts/lib/results.sh"

tests=() excludes=() run_args=() timeout_s=${QSPIN_VM_TIMEOUT:-} then='' console_filter=''
ksft_timeout=${QSPIN_KSFT_TIMEOUT:-}
suite_name=vm-selftests
smp=${QSPIN_SMP:-4}
while [ $# -gt 0 ]; do
	case $1 in
	-t) tests+=("$2"); shift 2 ;;
	-x) excludes+=("$2"); shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--append) run_args+=(--append "$2"); shift 2 ;;
	--console) run_args+=(--console); shift ;;
	--then) then=$2; shift 2 ;;
	--console-filter) console_filter=$2; shift 2 ;;
	--suite) suite_name=$2; shift 2 ;;
	--tcg-opts) run_args+=(--tcg-opts "$2"); shift 2 ;;
	--ksft-timeout) ksft_timeout=$2; shift 2 ;;
	-h|--help) awk 'NR > 2 && !/^#/ { exit } NR > 2 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
	*) vm_log "unknown argument: $1"; exit 2 ;;
	esac
done

suite=$(vm_suite "$suite_name")
results_init "$suite"
t_start=$(vm_now)
vm_env

build=$top/build/selftests
inst=$build/install
logs=$top/build/logs
console=$logs/$suite.console.log
out=$logs/$suite.out.log
mkdir -p "$build" "$logs"
rm -f "$console" "$out"

# ---------------------------------------------------------------- build
vm_log "building selftests (make -C selftests, lib.mk from ${KSELFTEST_DIR#"$top"/})"
mk=(make --no-print-directory -C "$top/selftests" "KSELFTEST_DIR=$KSELFTEST_DIR"
	"OUTPUT=$build/qspin")
rm -rf "$inst"
mkdir -p "$inst/kselftest"
if ! {
	"${mk[@]}" all &&
	install -m 744 "$KSELFTEST_DIR"/kselftest/{module.sh,runner.sh,prefix.pl} "$inst/kselftest/" &&
	install -m 744 "$KSELFTEST_DIR/run_kselftest.sh" "$inst/" &&
	"${mk[@]}" install "INSTALL_PATH=$inst/qspin" &&
	"${mk[@]}" -s emit_tests COLLECTION=qspin > "$inst/kselftest-list.txt"
} > "$logs/$suite.build.log" 2>&1; then
	tail -n 30 "$logs/$suite.build.log" >&2
	result FAIL build "selftests did not build: build/logs/$suite.build.log"
	exit 1
fi
mapfile -t listed < "$inst/kselftest-list.txt"
if [ -n "$ksft_timeout" ]; then
	[[ $ksft_timeout =~ ^[1-9][0-9]*$ ]] || { vm_log "--ksft-timeout wants seconds, not '$ksft_timeout'"; exit 2; }
	sed -i "s/^timeout=.*/timeout=$ksft_timeout/" "$inst/qspin/settings"
	vm_log "kselftest timeout per test: ${ksft_timeout}s (selftests/settings says $(sed -n 's/^timeout=//p' "$top/selftests/settings")s)"
fi
vm_log "kselftest tree ready: ${listed[*]}"
# -x: every test asked for (or listed) but these.
if [ ${#excludes[@]} -gt 0 ]; then
	[ ${#tests[@]} -gt 0 ] || tests=("${listed[@]}")
	kept=()
	for t in "${tests[@]}"; do
		# Not "out": that is the TAP log's path (it was, and the
		# log went to a file named 0 or 1 in the working directory).
		left_out=0
		for x in "${excludes[@]}"; do
			[ "${t#qspin:}" = "${x#qspin:}" ] && left_out=1
		done
		[ $left_out = 1 ] || kept+=("$t")
	done
	tests=("${kept[@]}")
	vm_log "left out (-x): ${excludes[*]}"
fi
[ "$out" = "$logs/$suite.out.log" ] || { vm_log "internal error: the TAP log is '$out'"; exit 2; }
mods=$(find "$top/kmod" "$top/selftests/module" "$top/samples" -name '*.ko' -printf '%f ' 2>/dev/null)
vm_log "modules for the VM: ${mods:-none (run 'make vm-modules')}"

# ---------------------------------------------------------------- boot
# Host tools a test runs in the guest (mkinitramfs.sh --tool, with their
# shared libraries): only a boot that runs such a test carries them.
#   qspin_trace.sh   trace-cmd, perf
run_list=("${listed[@]}")
[ ${#tests[@]} -gt 0 ] && run_list=("${tests[@]}")
for entry in "${run_list[@]}"; do
	case ${entry#qspin:} in
	qspin_trace.sh) run_args+=(--tool trace-cmd --tool perf) ;;
	esac
done
# Enough for every test run to hit its settings timeout, plus the boot. A
# guest that stays silent past one test's timeout (kselftest's runner would
# have said "not ok ... TIMEOUT" by then) is hung: vm-run.sh --silence stops
# it then, not hours later.
per=$(sed -n 's/^timeout=//p' "$inst/qspin/settings" 2>/dev/null)
per=${per:-45}
if [ -z "$timeout_s" ]; then
	timeout_s=$(( ${#run_list[@]} * per + 180 ))
fi
silence_s=${QSPIN_VM_SILENCE:-$((per + 120))}
guest=$build/guest.sh
{
	echo 'cd /kselftest || exit 1'
	printf './run_kselftest.sh'
	for t in "${tests[@]}"; do printf ' -t %q' "$t"; done
	echo
	if [ -n "$then" ]; then
		echo 'ksft_rc=$?'
		cat "$then"
		echo 'exit $ksft_rc'
	fi
} > "$guest"

vm_rc=0
"$top/scripts/vm-run.sh" --guest-script "$guest" --extra-dir "$inst:/kselftest" \
	--smp "$smp" --timeout "$timeout_s" --silence "$silence_s" \
	--log "$console" --out "$out" --follow \
	"${run_args[@]}" || vm_rc=$?

# ---------------------------------------------------------------- results
# The TAP is on ttyS1 (out), unmixed with kernel messages; fall back to the
# console when the VM died before ttyS1 said anything.
tap=$out
[ -s "$tap" ] || tap=$console
declare -A done_tests=() sub_plan=() sub_seen=()
cur='' skip_why=''
while IFS= read -r line; do
	if [[ $line =~ ^#\ selftests:\ qspin:\ ([^ ]+)$ ]]; then
		cur=${BASH_REMATCH[1]} skip_why=
	elif [ -n "$cur" ] && [[ $line =~ ^#\ (.*)\ \[SKIP\]$|^#\ #\ SKIP\ (.*)$ ]]; then
		# kselftest/module.sh's reason, or ksft_test_result_skip()'s
		skip_why=${BASH_REMATCH[1]}${BASH_REMATCH[2]}
	elif [[ $line =~ ^(not\ )?ok\ [0-9]+\ selftests:\ qspin:\ ([^ ]+)(\ #\ (.*))?$ ]]; then
		name=${BASH_REMATCH[2]} directive=${BASH_REMATCH[4]}
		done_tests[$name]=1
		if [ -n "${BASH_REMATCH[1]}" ]; then
			result FAIL "qspin:$name" "${directive:-not ok}"
		elif [[ $directive == SKIP* ]]; then
			result SKIP "qspin:$name" "$skip_why"
		else
			result PASS "qspin:$name"
		fi
		# A test's own TAP plan ("1..N") against what it reported.
		if [ -n "${sub_plan[$name]:-}" ] &&
		   [ "${sub_seen[$name]:-0}" -ne "${sub_plan[$name]}" ]; then
			result FAIL "qspin:$name:count" "planned ${sub_plan[$name]}, reported ${sub_seen[$name]:-0}"
		fi
		cur=
	elif [ -n "$cur" ] && [[ $line =~ ^#\ 1\.\.([0-9]+)$ ]]; then
		sub_plan[$cur]=${BASH_REMATCH[1]}
	elif [ -n "$cur" ] && [[ $line =~ ^#\ (not\ )?ok\ ([0-9]+)\ ([^#]*[^\ #])(\ #\ (.*))?$ ]]; then
		# One result of a test's own TAP (prefixed "# " by the runner):
		# named by its number, its description as the detail.
		num=${BASH_REMATCH[2]} desc=${BASH_REMATCH[3]} directive=${BASH_REMATCH[5]}
		sub_seen[$cur]=$((${sub_seen[$cur]:-0} + 1))
		if [ -n "${BASH_REMATCH[1]}" ]; then
			result FAIL "qspin:$cur:$num" "$desc: ${directive:-not ok}"
		elif [[ $directive == SKIP* ]]; then
			directive=${directive#SKIP}
			result SKIP "qspin:$cur:$num" "$desc:${directive}"
		else
			result PASS "qspin:$cur:$num" "$desc"
		fi
	fi
done < <(tr -d '\r' < "$tap")

case $vm_rc in
0) ;;
124) result FAIL vm-boot "the VM timed out (${timeout_s}s) or hung (no output for ${silence_s}s): $console" ;;
125) result FAIL vm-boot "the VM ended without finishing (panic?): $console" ;;
126) result FAIL vm-boot "could not start the VM" ;;
*) result FAIL vm-boot "run_kselftest.sh exited $vm_rc" ;;
esac
# Every test asked for (-t) or listed must have said something.
[ ${#tests[@]} -gt 0 ] && listed=("${tests[@]}")
for entry in "${listed[@]}"; do
	name=${entry#qspin:}
	[ -n "${done_tests[$name]:-}" ] || result FAIL "qspin:$name" "no result (VM rc=$vm_rc)"
done

# The validator's report titles (kmod/qspin/report.c), each "qspin: WARNING: ...".
qspin_report_titles='qspin: WARNING: (possible circular locking dependency detected|inconsistent lock state|possible recursive locking detected|(HARD|SOFT)IRQ-safe -> (HARD|SOFT)IRQ-unsafe lock order detected|possible irq lock inversion dependency detected|bad unlock balance detected!|lock used without initialisation|held lock initialised again!|held lock freed!|validator pool full)'
if [ -s "$console" ]; then
	# qspin_demo.sh, test_qspin and the scenario matrix provoke qspin's
	# own deadlock and validator reports on purpose (and assert them
	# themselves); anything else fails the run.
	#
	# The tests that declare their reports (check-console.sh --test): in
	# their part of the log any other report fails the run, and each one
	# declared with --expect must be there.
	#   qspin_mistakes.sh       the common mistakes made for real: sleeping
	#                           reports (before an allocation; before the
	#                           scheduler's own "scheduling while atomic"),
	#                           a lock leaked to user space, a kernel thread
	#                           that exits holding one, a module init that
	#                           returns holding one (the kernel's initcall
	#                           WARNING: preemption imbalance)
	#   qspin_demo_mistakes.sh  the demo's mistake scenarios: recursion,
	#                           irq-inconsistent, sleep-under-lock,
	#                           leaked-lock, each reported once per load
	#   qspin_watchdog.sh       the lockup watchdog (stuck-holder, checked
	#                           waiters timing out) and ABBA deadlocks in
	#                           progress (abba, the torture's checked pair),
	#                           which the validator predicts too
	#   qspin_hotplug.sh        the lockup watchdog's reports around a CPU
	#                           that goes offline and back (five, on purpose),
	#                           the last one's holder sleeping under the lock
	#                           (the kernel's "scheduling while atomic" and
	#                           qspin's sleeping report, on purpose too);
	#                           the torture's validator reports as everywhere
	#   qspin_fuzz.sh, qspin_fuzz_params.sh, qspin_cycles.sh
	#                           none at all: hostile input and load/unload
	#                           cycles must not provoke one
	#   qspin_lockcheck.sh      the matrix's reports, and leak=1's lock
	#                           caught at modprobe's return to user space
	#                           (until then the kernel allocates with
	#                           GFP_KERNEL while it is held: reported too)
	#   qspin_queue.sh          nothing of its own; its torture run's nest
	#                           locks, taken in every context on purpose,
	#                           may be reported inconsistent
	#   qspin_toggle.sh         the leak it plants after its rounds of
	#                           validate off/on, nothing else
	# Linux 6.12's fair server (the dl_server, new in 6.12) on CPU offline,
	# not qspin's: sched_cpu_dying() counts the server's proxy in
	# nr_running ("Dying CPU not properly vacated!" above a list of one
	# enqueued task, migration/N, for a count of two) and dl_server_stop()
	# warns "dl_rq->running_bw > old". Both come from the CPU's stopper
	# thread, with no qspin frame, during qspin_hotplug.sh's torture; 6.1
	# has no fair server and never prints them.
	# A kernel with CONFIG_DEBUG_ATOMIC_SLEEP (the sanitizer kernels) adds
	# its own "BUG: sleeping function called from invalid context at
	# FILE:LINE" (might_sleep()) to the tests that sleep or allocate under a
	# lock on purpose; Debian's kernels do not have it.
	atomic_sleep=()
	grep -q '^CONFIG_DEBUG_ATOMIC_SLEEP=y' "$KERNEL_DIR/config" 2>/dev/null &&
		atomic_sleep=(--allow '\] BUG: sleeping function called from invalid context at ')
	hotplug_kernel=()
	case ${KERNEL:-6.1} in
	6.12*) hotplug_kernel=(
		--allow 'at kernel/sched/core\.c:[0-9]+ sched_cpu_dying\+'
		--allow 'at kernel/sched/deadline\.c:[0-9]+ task_non_contending\+') ;;
	esac
	declared=(
		--test qspin_mistakes.sh
		"${atomic_sleep[@]}"
		--expect 'qspin: BUG: sleeping function called from invalid context'
		--expect 'qspin: WARNING: lock held when returning to user space!'
		--expect 'qspin: WARNING: tqm-leaker/[0-9]+ still has locks held!'
		--expect '\] BUG: scheduling while atomic: sh/'
		--expect 'WARNING: CPU: [0-9]+ PID: [0-9]+ at init/main.c:[0-9]+ do_one_initcall'
		--test qspin_demo_mistakes.sh
		"${atomic_sleep[@]}"
		--expect 'qspin: WARNING: possible recursive locking detected'
		--expect 'qspin: WARNING: inconsistent lock state'
		--expect 'qspin: BUG: sleeping function called from invalid context'
		--expect 'qspin: WARNING: qspin-demo/[0-9]+/[0-9]+ still has locks held!'
		--test qspin_watchdog.sh
		--expect 'qspin: BUG: spinlock lockup suspected on CPU#'
		--expect 'qspin: BUG: circular locking deadlock in progress on CPU#'
		--allow 'qspin: possible same-CPU deadlock'
		--allow "$qspin_report_titles"
		--test qspin_hotplug.sh
		"${atomic_sleep[@]}"
		--expect 'qspin: BUG: spinlock lockup suspected on CPU#'
		--expect '\] BUG: scheduling while atomic: tqh_sleeper/'
		--expect 'qspin: BUG: sleeping function called from invalid context'
		--allow 'qspin: possible same-CPU deadlock'
		--allow "$qspin_report_titles"
		"${hotplug_kernel[@]}"
		--test qspin_fuzz.sh
		--test qspin_fuzz_params.sh
		--test qspin_cycles.sh
		--test qspin_lockcheck.sh
		"${atomic_sleep[@]}"
		--allow 'qspin: possible same-CPU deadlock'
		--allow "$qspin_report_titles"
		--expect 'qspin: WARNING: lock held when returning to user space!'
		--allow 'qspin: BUG: sleeping function called from invalid context'
		--test qspin_queue.sh
		--allow 'qspin: WARNING: inconsistent lock state'
		--test qspin_toggle.sh
		--expect 'qspin: WARNING: lock held when returning to user space!'
	)
	checked=$console
	if [ -n "$console_filter" ]; then
		checked=$logs/$suite.console.checked.log
		read -r -a filter_cmd <<< "$console_filter"
		"${filter_cmd[@]}" < "$console" > "$checked"
	fi
	if "$top/scripts/check-console.sh" "$checked" \
		--allow 'qspin: possible same-CPU deadlock' \
		--allow "$qspin_report_titles" "${declared[@]}"; then
		result PASS console-clean
	else
		result FAIL console-clean "kernel splat in $checked"
	fi
fi

pass=$(grep -c '^PASS' "$results_file") fail=$(grep -c '^FAIL' "$results_file")
skip=$(grep -c '^SKIP' "$results_file")
vm_log "$pass passed, $fail failed, $skip skipped in $(vm_elapsed "$t_start")"
[ "$fail" -eq 0 ]
