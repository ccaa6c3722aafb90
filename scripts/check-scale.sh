#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Many CPUs (make check-scale; not part of make check): the test VM booted at
# -smp 16 and at -smp 64 under TCG, each running
#   - test_qspin.ko, the in-kernel tests (as selftests/qspin_module.sh does):
#     the load must succeed with "all N tests passed";
#   - test_qspin_scale.ko: one kthread per online CPU on one lock while a
#     sampler records every tail CPU seen in the lock word; asserted: the
#     protected counter equals the threads' increments, every thread took
#     the lock, tails above CPU 4 appear (none was ever encoded at -smp 4),
#     and the highest tail seen is the highest CPU (N-1);
#   - the torture, qspin then native, as selftests/qspin_torture.sh runs it,
#     for SCALE_TORTURE_DURATION seconds each: SUCCESS, Fail 0, acquisitions,
#     qspin's queue used; shaped for the size (nest=0, 8 writers, a longer
#     hrtimer period: README "Many CPUs" says why);
#   - the console check (scripts/check-console.sh), strict: every splat fails.
# Last line "N passed, N failed" like make check. Results: suite
# "check-scale" (build/results/check-scale.txt); logs build/logs/check-scale/.
#
#   scripts/check-scale.sh [--sizes "16 64"] [--tcg-opts OPTS]
#
# Environment: SCALE_TORTURE_DURATION (seconds per torture type, default 30),
# SCALE_TCG_OPTS (QEMU TCG options, default thread=multi: measured against
# thread=single in README's "Many CPUs" section), SCALE_VM_TIMEOUT (host-side
# limit per boot, default 600 + 25 s per vCPU), SCALE_APPEND (more kernel
# command line, after the stall settings below).
#
# 64 vCPUs on two host cores: each vCPU runs a fraction of the time, so a
# CPU can look stalled to RCU and to the soft-lockup detector while it only
# waits for the host. The boots get longer limits for those detectors (they
# still fire on a real stall, just later), qspin's watchdog is at its 10 s
# ceiling for test_qspin and off (validate=0) for the rest, and no noise is
# ignored: the console check allows only make check's qspin report titles.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
qspin_top=$top
vm_tag=check-scale
# shellcheck source=scripts/lib/vm.sh
. "$top/scripts/lib/vm.sh"
# shellcheck source=scripts/lib/results.sh
. "$top/scripts/lib/results.sh"

sizes="16 64"
tcg_opts=${SCALE_TCG_OPTS:-thread=multi}
duration=${SCALE_TORTURE_DURATION:-30}
while [ $# -gt 0 ]; do
	case $1 in
	--sizes) sizes=$2; shift 2 ;;
	--tcg-opts) tcg_opts=$2; shift 2 ;;
	-h|--help) awk 'NR > 2 && !/^#/ { exit } NR > 2 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
	*) vm_log "unknown argument: $1"; exit 2 ;;
	esac
done

# Stall detectors, made patient rather than silenced (README: "Many CPUs"):
#   rcu_cpu_stall_timeout=300  RCU's CPU stall warning after 300 s (RCU's
#                              maximum) instead of 21 s
#   watchdog_thresh=60         soft lockup after 120 s (its maximum) instead
#                              of 20 s
# -smp 64 passed with these on a quiet host (8 of 8, no stall or lockup
# line); with 120 and 30 at load 27-60 it drowned in soft lockups.
# qspin's own lockup watchdog: spin_timeout_ms=10000 (its ceiling) for
# test_qspin; the scale module and the torture run with validate=0, which
# turns it off: a FIFO hand-over waits for the next waiter's vCPU to get
# host time, more than 5-10 s at the end of a 16-64 waiter queue.
stall_append="rcupdate.rcu_cpu_stall_timeout=300 watchdog_thresh=60 ${SCALE_APPEND:-}"

t_start=$(vm_now)
results_init check-scale
logs=$top/build/logs/check-scale
rm -rf "$logs"
mkdir -p "$logs"

if ! make -s -C "$top" vm-modules > "$logs/vm-modules.log" 2>&1; then
	tail -n 20 "$logs/vm-modules.log" >&2
	result FAIL build "make vm-modules failed: $logs/vm-modules.log"
	exit 1
fi

guest=$logs/guest.sh
cat > "$guest" <<'GUEST'
# check-scale's guest (BusyBox ash): every line for the host starts "SCALE".
up() { cut -d' ' -f1 /proc/uptime; }
dbg=/sys/kernel/debug/qspin
# qspin's lockup watchdog at its ceiling on every load of qspin.ko.
mkdir -p /etc/modprobe.d
echo "options qspin spin_timeout_ms=10000" > /etc/modprobe.d/qspin-scale.conf
echo "SCALE cpus $(nproc) uptime $(up)"

# The in-kernel tests, validator on (they test it).
modprobe qspin || echo "SCALE modprobe qspin failed"
echo "SCALE qspin spin_timeout_ms $(cat /sys/module/qspin/parameters/spin_timeout_ms) validate $(cat $dbg/validate)"
t0=$(up)
echo "check-scale: begin test_qspin" > /dev/kmsg
if modprobe test_qspin; then r=ok; else r=fail; fi
echo "SCALE test_qspin $r $(dmesg | sed -n '/check-scale: begin test_qspin/,$p' |
	grep -o 'test_qspin: .*tests.*' | tail -n 1) t0 $t0 t1 $(up)"
echo "SCALE test_qspin watchdog $(grep -E '^(reports|max_wait_us) ' $dbg/lockups | tr '\n' ' ')"
modprobe -r test_qspin 2>/dev/null
modprobe -r qspin 2>/dev/null

# The tail CPUs and the torture: validator (and its watchdog) off.
modprobe qspin validate=0 || echo "SCALE modprobe qspin validate=0 failed"
echo "SCALE qspin validate $(cat $dbg/validate)"
t0=$(up)
echo "check-scale: begin test_qspin_scale" > /dev/kmsg
if modprobe test_qspin_scale; then r=ok; else r=fail; fi
dmesg | sed -n '/check-scale: begin test_qspin_scale/,$p' |
	grep 'test_qspin_scale: ' | sed 's/^.*test_qspin_scale: /SCALE scale /'
echo "SCALE scale load $r t0 $t0 t1 $(up)"
modprobe -r test_qspin_scale 2>/dev/null

# The torture, as selftests/qspin_torture.sh runs it (qspin, then native),
# without its nesting assertion: nest=0 here (README "Many CPUs").
torture() {
	type=$1
	echo "check-scale: begin torture $type" > /dev/kmsg
	# modprobe -r of the previous module took qspin.ko with it.
	modprobe qspin validate=0 || echo "SCALE torture $type modprobe qspin failed"
	echo "SCALE torture $type validate $(cat $dbg/validate)"
	[ "$type" = qspin ] && echo on > $dbg/stats && echo reset > $dbg/stats
	t0=$(up)
	if ! modprobe qspin-torture torture_type=$type duration=__DURATION__ stat_interval=0 __TORTURE_ARGS__; then
		echo "SCALE torture $type modprobe failed"
		return
	fi
	waited=0
	while ! dmesg | sed -n "/check-scale: begin torture $type\$/,\$p" | grep -q -- '--- End of test'; do
		sleep 5
		waited=$((waited + 5))
		if [ $waited -ge $((__DURATION__ + 300)) ]; then
			echo "SCALE torture $type no End of test after ${waited}s"
			break
		fi
	done
	rmmod qspin_torture || echo "SCALE torture $type rmmod failed"
	dmesg | sed -n "/check-scale: begin torture $type\$/,\$p" |
		grep -E 'qspin-torture: .*(Writes:|Contexts:|Locks:|End of test)' |
		sed "s/^.*qspin-torture: /SCALE torture $type /"
	[ "$type" = qspin ] && echo "SCALE torture $type stats $(tr '\n' ' ' < $dbg/stats)"
	echo "SCALE torture $type time t0 $t0 t1 $(up)"
}
torture qspin
torture native
GUEST

# The validator's report titles, as scripts/vm-selftests.sh lists them.
qspin_report_titles='qspin: WARNING: (possible circular locking dependency detected|inconsistent lock state|possible recursive locking detected|(HARD|SOFT)IRQ-safe -> (HARD|SOFT)IRQ-unsafe lock order detected|possible irq lock inversion dependency detected|bad unlock balance detected!|lock used without initialisation|held lock initialised again!|held lock freed!|validator pool full)'

# field NAME LINE: the word after NAME in LINE.
field() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }' <<< "$2"; }

for n in $sizes; do
	s=smp$n
	results_plan 8
	console=$logs/$s.console.log out=$logs/$s.out.log
	limit=${SCALE_VM_TIMEOUT:-$((600 + 25 * n))}
	# The torture's per-CPU softirq and hardirq acquirers take the same
	# per-level locks from every CPU: at -smp N they ask N/4 times as much
	# of each lock as at -smp 4. A CPU whose handler takes longer than the
	# period never leaves interrupt context (hrtimer_forward_now), and the
	# task-level waiter it interrupted, head of its queue, stalls everyone
	# behind it: measured at -smp 16 with 500 us (soft lockups, 73 s). The
	# period grows with N, so each lock sees -smp 4's interrupt rate.
	irq_us=$((500 * n / 4))
	targs="nwriters=8 nest=0 irq_interval_us=$irq_us"
	sed "s/__DURATION__/$duration/g; s/__TORTURE_ARGS__/$targs/" \
		"$guest" > "$logs/guest-$s.sh"
	vm_log "-smp $n ($tcg_opts, limit ${limit}s): booting"
	t0=$(vm_now)
	"$top/scripts/vm-run.sh" --quiet --guest-script "$logs/guest-$s.sh" --smp "$n" \
		--tcg-opts "$tcg_opts" --append "$stall_append" --timeout "$limit" \
		--log "$console" --out "$out"
	rc=$?
	wall=$(vm_elapsed "$t0")
	boot=$(grep -ao 'QSPIN-GUEST-INIT uptime=[0-9.]*' "$console" | head -n1 | sed 's/.*=//')
	lines=$(tr -d '\r' < "$out" | grep -a '^SCALE ')
	cpus=$(field cpus "$(grep '^SCALE cpus' <<< "$lines")")
	vm_log "-smp $n: rc $rc, ${wall} on the host, boot ${boot:-?}s (guest uptime at init)"
	if [ "$rc" = 0 ] && [ "$cpus" = "$n" ]; then
		result PASS "$s:boot" "booted in ${boot}s, $cpus CPUs, whole VM ${wall}"
	else
		result FAIL "$s:boot" "rc $rc (124 host timeout, 125 no sentinel), cpus ${cpus:-?}, ${wall}: $console"
	fi

	l=$(grep '^SCALE test_qspin ' <<< "$lines")
	secs=$(awk -v a="$(field t0 "$l")" -v b="$(field t1 "$l")" 'BEGIN { printf "%.1f", b - a }')
	if grep -q '^SCALE test_qspin ok .*all [0-9]* tests passed' <<< "$l"; then
		result PASS "$s:test_qspin" "$(grep -o 'all [0-9]* tests passed' <<< "$l") in ${secs}s"
	else
		result FAIL "$s:test_qspin" "${l:-no result}"
	fi

	tails=$(grep '^SCALE scale tails seen' <<< "$lines")
	counts=$(grep '^SCALE scale counter' <<< "$lines")
	load=$(grep '^SCALE scale load' <<< "$lines")
	seen=$(field seen "$tails") highest=$(field highest "$tails")
	above4=$(field above4 "$tails")
	counter=$(field counter "$counts") incs=$(field increments "$counts")
	minpt=$(field min_per_thread "$counts")
	ms=$(field ms "$(grep '^SCALE scale cpus' <<< "$lines")")
	vm_log "-smp $n: scale: $(grep "^SCALE scale " <<< "$lines" | sed "s/^SCALE scale //" | tr "\n" ";")"
	if grep -q '^SCALE scale load ok' <<< "$load" && grep -q '^SCALE scale PASS' <<< "$lines" &&
			[ -n "$counter" ] && [ "$counter" = "$incs" ] && [ "${minpt:-0}" -gt 0 ]; then
		result PASS "$s:scale-counter" "counter $counter == increments $incs, fewest by one thread $minpt, ${ms}ms"
	else
		result FAIL "$s:scale-counter" "load: ${load:-none}; counter ${counter:-?} increments ${incs:-?} min_per_thread ${minpt:-?}"
	fi
	# Every CPU has a hammer, and the run goes on (up to max_ms) until each
	# was seen as a tail: the highest CPU, N-1, must be among them.
	if [ -n "$highest" ] && [ "$highest" -ge $((n - 1)) ]; then
		result PASS "$s:scale-highest-tail" "highest tail cpu $highest of $((n - 1)), $seen distinct"
	else
		result FAIL "$s:scale-highest-tail" "highest tail cpu ${highest:-none}, wanted $((n - 1)); $seen distinct"
	fi
	if [ -n "$above4" ] && [ "$above4" -gt 0 ]; then
		result PASS "$s:scale-tails-above-4" "$above4 distinct tail cpus >= 4"
	else
		result FAIL "$s:scale-tails-above-4" "no tail cpu >= 4 seen"
	fi

	for type in qspin native; do
		tl=$(grep "^SCALE torture $type " <<< "$lines")
		writes=$(grep 'Writes:' <<< "$tl" | tail -n 1)
		t=$(grep "^SCALE torture $type time" <<< "$tl")
		secs=$(awk -v a="$(field t0 "$t")" -v b="$(field t1 "$t")" 'BEGIN { printf "%.1f", b - a }')
		queued=$(field queued "$(grep "^SCALE torture $type stats" <<< "$tl")")
		why=''
		grep -q -- '--- End of test: SUCCESS' <<< "$tl" || why="$why no 'End of test: SUCCESS';"
		grep -q 'Fail: 0 ' <<< "$writes" || why="$why last Writes line lacks 'Fail: 0';"
		grep -q 'Total: [1-9]' <<< "$writes" || why="$why no acquisitions;"
		# qspin: its queue (the tails) must have been used.
		[ "$type" = native ] || [ "${queued:-0}" -gt 0 ] || why="$why qspin stats queued is ${queued:-missing};"
		if [ -z "$why" ]; then
			result PASS "$s:torture-$type" "${secs}s in the VM; $(sed 's/.*Writes: *//' <<< "$writes" | tr -s ' ')${queued:+ queued $queued}"
		else
			result FAIL "$s:torture-$type" "$why see $out"
		fi
	done

	# The same two allowances as make check's console check
	# (scripts/vm-selftests.sh): qspin's own validator reports, which
	# test_qspin provokes on purpose and asserts itself, and the torture's
	# one-class locks draw. Nothing else: no stall, lockup or watchdog line.
	if "$top/scripts/check-console.sh" "$console" \
			--allow 'qspin: possible same-CPU deadlock' \
			--allow "$qspin_report_titles" > "$logs/$s.console-check.txt" 2>&1; then
		result PASS "$s:console-clean"
	else
		cat "$logs/$s.console-check.txt" >&2
		result FAIL "$s:console-clean" "kernel splat in $console"
	fi
done

pass=$(grep -c '^PASS' "$results_file") fail=$(grep -c '^FAIL' "$results_file")
skip=$(grep -c '^SKIP' "$results_file")
planned=$(awk '$1 == "PLAN" { n += $2 } END { print n + 0 }' "$results_file")
if [ $((pass + fail + skip)) -lt "$planned" ]; then
	echo "FAILED: check-scale: recorded $((pass + fail + skip)) results of $planned planned" >&2
	fail=$((fail + 1))
fi
vm_log "whole run $(vm_elapsed "$t_start"); logs: ${logs#"$top"/}"
line="$pass passed, $fail failed"
[ "$skip" -gt 0 ] && line="$line, $skip skipped"
echo "$line"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
