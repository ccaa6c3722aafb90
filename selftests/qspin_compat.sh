#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The spinlock_t drop-in in the VM: samples/compat-driver, a driver written
# for spinlock_t and built unchanged with include/qspin/spinlock_compat.h,
# is loaded. Its load runs a worker per CPU (process context), a timer
# (softirq) and an irq_work (hardirq) over two shared locks and prints the
# counts. Checks:
#   - every object of the module carries the compat marker (modinfo);
#   - the counts are exact ("ok" for both locks, both free at the end);
#   - qspin took every one of those acquisitions: in qspin's stats, reset
#     before the load, fast + pending + queued equals the increments the
#     sample counted (one acquisition each; a failed trylock counts none);
#   - nothing in dmesg: no qspin report, BUG, WARNING or Call Trace.
#
# Environment: QSPIN_COMPAT_ARGS (module parameters for the sample).
# Exit: 0 pass, 1 fail, 4 skip (qspin-compat-sample.ko not installed).
# POSIX sh: the VM runs BusyBox ash.
# cond takes its condition in single quotes, evaluated when checked:
# shellcheck disable=SC2016

module=qspin-compat-sample
stats=/sys/kernel/debug/qspin/stats
args=${QSPIN_COMPAT_ARGS:-}
# shellcheck source=selftests/qspin_tap.sh
. "$(dirname "$0")/qspin_tap.sh"

echo "TAP version 13"
# kmod's modinfo: a bare "modinfo" is BusyBox's applet, which finds no
# module by name and still exits 0.
if ! /sbin/modinfo "$module" >/dev/null 2>&1; then
	# Not built there (Kbuild): spinlock_compat.h stops the build on RT.
	case $(uname -v) in
	*PREEMPT_RT*) tap_skip_all "PREEMPT_RT: spinlock_t sleeps there (an rt_mutex), so the spinlock_t drop-in is not built for this kernel" ;;
	esac
	tap_skip_all "$module.ko not installed"
fi

mark() { echo "qspin_compat.sh: mark $$" > /dev/kmsg; }
since() { dmesg | sed -n "/qspin_compat.sh: mark $$/,\$p"; }
sample_lines() { since | grep 'qspin_compat_sample: '; }
stat_val() { sed -n "s/^$1 //p" "$stats"; }

rmmod "$module" 2>/dev/null
modprobe qspin || { nok "modprobe qspin"; tap_done; }

# Every object was built with the header: a module mapped in some files
# only would take one lock with two algorithms.
objs=$(/sbin/modinfo -F qspin_compat "$module" | sort | tr '\n' ' ')
check "every object mapped (modinfo qspin_compat: $objs)" \
	cond '[ "$objs" = "sample_irq sample_main " ]'

echo on > "$stats" && echo reset > "$stats"
mark
# shellcheck disable=SC2086
if ! modprobe "$module" $args; then
	nok "modprobe $module"
	sample_lines | sed 's/^/# /'
	tap_done
fi
acquired=$(( $(stat_val fast) + $(stat_val pending) + $(stat_val queued) ))
rmmod "$module" || nok "rmmod $module"

out=$(sample_lines)
echo "$out" | sed 's/^/# /'
check "lock: counts exact" \
	cond 'echo "$out" | grep -q "sample: lock: total .*: ok$"'
check "bh_lock: counts exact" \
	cond 'echo "$out" | grep -q "bh_lock: total .*: ok$"'
check "locks free at the end" \
	cond 'echo "$out" | grep -q "locks free at the end: ok"'
check "sample PASS" cond 'echo "$out" | grep -q "qspin_compat_sample: PASS$"'

total=$(echo "$out" | sed -n 's/.* lock: total \([0-9]*\),.*/\1/p')
bh_total=$(echo "$out" | sed -n 's/.* bh_lock: total \([0-9]*\),.*/\1/p')
want=$(( ${total:-0} + ${bh_total:-0} ))
log "qspin stats after the load: $(tr '\n' ' ' < "$stats")"
check "qspin took every acquisition (fast+pending+queued $acquired, sample counted $want)" \
	cond '[ "$want" -gt 0 ] && [ "$acquired" -eq "$want" ]'
check "qspin's fast path was used" cond '[ "$(stat_val fast)" -gt 0 ]'

check "no report, BUG or WARNING in dmesg" \
	cond '! since | no_kcsan | grep -Eq "qspin: possible|BUG:|WARNING:|Oops|Call Trace:|soft lockup"'
tap_done
