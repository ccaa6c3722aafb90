#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# CPU hotplug under qspin: a short torture with onoff_interval (CPUs taken
# offline and back while every context nests on the torture's locks), then
# test_qspin_hotplug.ko, where a CPU goes offline right after its waiter
# record and its held record existed, and the lockup watchdog's reports
# that follow must name the live CPUs only; last, a task sleeps holding a
# lock on that CPU (its record parked with it) and the CPU goes offline:
# the report names the task, not the CPU.
#
# Checks after the torture: "End of test: SUCCESS" (lock words idle, every
# lock's counter equal to its acquisitions, no queue node busy, every CPU
# online again, no online operation failed) and "Fail: 0"; at least
# QSPIN_HOTPLUG_MIN successful offline and online operations (locktorture's
# "onoff: on_ok/on_tries:off_ok/off_tries"); no held-lock record left in
# debugfs qspin/held, no queue node busy and no lockup report in
# qspin/lockups.
#
# Environment: QSPIN_HOTPLUG_DURATION (least seconds, default 20),
# QSPIN_HOTPLUG_MAX (most seconds, default 90), QSPIN_HOTPLUG_INTERVAL
# (onoff_interval ms, default 200), QSPIN_HOTPLUG_IRQ_US (irq_interval_us,
# default 1000: the default 500 keeps TCG vCPUs so busy in the timer
# acquirers that stop_machine() takes seconds), QSPIN_HOTPLUG_MIN (default 5).
# Exit: 0 pass, 1 fail, 4 skip. POSIX sh: the VM runs BusyBox ash.
# Variables read only inside cond '...' (evaluated later), and "set --" on
# purpose splitting numbers:
# shellcheck disable=SC2034,SC2046
dir=$(dirname "$0")
. "$dir/qspin_tap.sh"

duration=${QSPIN_HOTPLUG_DURATION:-20}
max_s=${QSPIN_HOTPLUG_MAX:-90}
interval=${QSPIN_HOTPLUG_INTERVAL:-200}
irq_us=${QSPIN_HOTPLUG_IRQ_US:-1000}
min_ops=${QSPIN_HOTPLUG_MIN:-5}
dbg=/sys/kernel/debug/qspin
timeout_param=/sys/module/qspin/parameters/spin_timeout_ms

echo "TAP version 13"
modinfo qspin-torture >/dev/null 2>&1 || tap_skip_all "qspin-torture.ko not installed"
[ -e /sys/devices/system/cpu/cpu1/online ] || tap_skip_all "no CPU hotplug (CONFIG_HOTPLUG_CPU, or one CPU)"
[ "$(grep -c ^processor /proc/cpuinfo)" -ge 3 ] || tap_skip_all "needs 3 CPUs"

# This run's dmesg since its marker.
since() { dmesg | sed -n "/qspin_hotplug.sh: begin $1 $$/,\$p"; }
field() { sed -n "s/^$1 //p" "$2"; }

# ---- the torture with hotplug ------------------------------------------------
# Until rmmod (duration=0): at least $duration s, then as soon as the
# periodic "onoff:" line shows $min_ops of each, at most $max_s s (CPU
# hotplug under TCG on a loaded host can take seconds per operation).
last_onoff() {
	since torture | sed -n 's/.*qspin-torture: onoff: \([0-9]*\)\/[0-9]*:\([0-9]*\)\/.*/\1 \2/p' | tail -n 1
}
torture() {
	echo "qspin_hotplug.sh: begin torture $$" > /dev/kmsg
	modprobe qspin || { log "modprobe qspin failed"; return 1; }
	echo on > "$dbg/stats" && echo reset > "$dbg/stats"
	echo reset > "$dbg/lockups"
	modprobe qspin-torture duration=0 stat_interval=5 \
		onoff_interval="$interval" irq_interval_us="$irq_us" ||
		{ log "modprobe qspin-torture failed"; return 1; }
	waited=0
	while :; do
		sleep 2
		waited=$((waited + 2))
		[ $waited -ge "$max_s" ] && break
		[ $waited -ge "$duration" ] || continue
		set -- $(last_onoff)
		[ "${1:-0}" -ge "$min_ops" ] && [ "${2:-0}" -ge "$min_ops" ] && break
	done
	log "torture ran ${waited}s"
	rmmod qspin_torture || { log "rmmod qspin_torture failed"; return 1; }
	since torture | grep -q -- '--- End of test' || { log "no 'End of test'"; return 1; }
	since torture | grep 'qspin-torture' |
		grep -E 'Start of test|Writes:|Contexts:|Locks:|onoff|End of test|counter|not free|sentinel|queue nodes|kick never' |
		tail -n 8 | sed 's/^/# /'
	return 0
}

if torture; then
	out=$(since torture | grep 'qspin-torture')
	check "torture with hotplug: End of test: SUCCESS" \
		cond 'echo "$out" | grep -q -- "--- End of test: SUCCESS"'
	check "torture with hotplug: Fail: 0" \
		cond 'echo "$out" | grep "Writes:" | tail -n 1 | grep -q "Fail: 0 "'
	# onoff: on_ok/on_tries:off_ok/off_tries ...
	ops=$(echo "$out" | sed -n 's/.*onoff: \([0-9]*\)\/\([0-9]*\):\([0-9]*\)\/\([0-9]*\) .*/\1 \2 \3 \4/p' | tail -n 1)
	# shellcheck disable=SC2086
	set -- $ops
	on_ok=${1:-0} on_try=${2:-x} off_ok=${3:-0} off_try=${4:-x}
	log "hotplug operations: online $on_ok/$on_try, offline $off_ok/$off_try (ok/tried)"
	check "at least $min_ops CPUs taken offline and $min_ops back online (offline $off_ok, online $on_ok)" \
		cond '[ "$on_ok" -ge "$min_ops" ] && [ "$off_ok" -ge "$min_ops" ]'
	check "every online operation worked ($on_ok/$on_try)" cond '[ "$on_ok" = "$on_try" ]'
	d2=$(field nested_depth2 "$dbg/stats")
	check "slow paths nested during hotplug (nested_depth2 ${d2:-0})" cond '[ "${d2:-0}" -gt 0 ]'
	held=$(grep -v '^#' "$dbg/held")
	check "no held-lock record left (qspin/held)" cond '[ -z "$held" ]'
	[ -z "$held" ] || echo "$held" | sed 's/^/# held: /'
	check "no queue node busy (qspin/lockups)" \
		cond '[ "$(field queue_nodes_busy "$dbg/lockups")" = 0 ]'
	check "no lockup report during the torture (qspin/lockups)" \
		cond '[ "$(field reports "$dbg/lockups")" = 0 ]'
else
	nok "torture with hotplug ran"
fi

# ---- a CPU's records, then the CPU offline: nothing stale ---------------------
if ! modinfo test_qspin_hotplug >/dev/null 2>&1; then
	ok "records across offline/online # SKIP test_qspin_hotplug.ko not installed"
	tap_done
fi
old_timeout=$(cat "$timeout_param")
echo 300 > "$timeout_param"
echo "qspin_hotplug.sh: begin records $$" > /dev/kmsg
modprobe test_qspin_hotplug
rc=$?
echo "$old_timeout" > "$timeout_param"
log "$(since records | grep 'test_qspin_hotplug' | tail -n 3 | tr '\n' ' ')"
check "test_qspin_hotplug.ko: its checks passed" cond '[ $rc = 0 ]'
lsmod | grep -q '^test_qspin_hotplug ' && rmmod test_qspin_hotplug
# The CPUs it used, from its own line: "cpus: gone K holder J waiter M".
set -- $(since records | sed -n 's/.*test_qspin_hotplug: cpus: gone \([0-9]*\) holder \([0-9]*\) waiter \([0-9]*\).*/\1 \2 \3/p')
k=${1:-x} j=${2:-x} m=${3:-x}
# Each report: its lines from the BUG line to the closing rule.
report() {
	since records | sed -n "/test_qspin_hotplug: report $1 begin/,/test_qspin_hotplug: report $1 end/p" |
		grep 'qspin: '
}
r1=$(report waiter-gone)
r1b=$(report holder-gone)
r2=$(report after-offline)
r3=$(report after-online)
# The parked phase's lockup report alone: the sleeper's own sleeping
# report before it names the CPU it slept on, rightly (it was online).
r4=$(since records | sed -n "/test_qspin_hotplug: report parked begin/,/test_qspin_hotplug: report parked end/p" |
	sed -n '/BUG: spinlock lockup suspected/,/=====/p' | grep 'qspin: ')
echo "$r2" | grep -E 'lockup|waiter:|held by|CPU[0-9]' | sed 's/^/# after-offline: /'
check "CPU $k's waiter reported while online (waiter CPU $k, held by CPU $j)" \
	cond 'echo "$r1" | grep -q " waiter: CPU $k," && echo "$r1" | grep -q " held by: CPU $j,"'
check "CPU $k's holder reported while online (waiter CPU $m, held by CPU $k)" \
	cond 'echo "$r1b" | grep -q " waiter: CPU $m," && echo "$r1b" | grep -q " held by: CPU $k,"'
check "after CPU $k went offline: a report names waiter CPU $m and holder CPU $j" \
	cond 'echo "$r2" | grep -q " waiter: CPU $m," && echo "$r2" | grep -q " held by: CPU $j,"'
check "after CPU $k went offline: no report line names CPU $k" \
	cond '! echo "$r2" | grep -qE "CPU ?$k[^0-9]"'
check "CPU $k back online: the holder named is CPU $j, the waiter CPU $m" \
	cond 'echo "$r3" | grep -q " waiter: CPU $m," && echo "$r3" | grep -q " held by: CPU $j,"'
check "CPU $k back online: no report line names CPU $k" \
	cond '! echo "$r3" | grep -qE "CPU ?$k[^0-9]"'
echo "$r4" | grep -E 'lockup|waiter:|held by|not running|fix:' | sed 's/^/# parked: /'
check "CPU $k offline under a sleeping holder: the report names the task (held by: task tqh_sleeper/$k, on no CPU)" \
	cond 'echo "$r4" | grep -q " waiter: CPU $m," && echo "$r4" | grep -qE " held by: task tqh_sleeper/$k \(pid [0-9]+\), on no CPU"'
check "CPU $k offline under a sleeping holder: the chain ends at the task, with the fix" \
	cond 'echo "$r4" | grep -qE "tqh_sleeper/$k \(pid [0-9]+\) holds hp_lock .* is not running" && echo "$r4" | grep -q " fix: never sleep while holding hp_lock"'
check "CPU $k offline under a sleeping holder: no report line names CPU $k" \
	cond '[ -n "$r4" ] && ! echo "$r4" | grep -qE "CPU ?$k[^0-9]"'
held=$(grep -v '^#' "$dbg/held")
check "no held-lock record left after the records test" cond '[ -z "$held" ]'
check "every CPU online again" cond '! grep -q 0 /sys/devices/system/cpu/cpu*/online'
tap_done
