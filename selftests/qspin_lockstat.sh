#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# lock_stat for qspin locks (kmod/qspin/lockstat.c): debugfs qspin/lock_stat
# read back after uses of a test lock the test knows exactly
# (test_qspin_lockstat.ko's tql_lock):
#   - the switch: off by default; lock_stat=2, -1, abc rejected with EINVAL
#     and a dmesg line, the value unchanged; debugfs lock_stat takes "reset"
#     and "0", rejects anything else with EINVAL;
#   - validator on (tql_lock a class): N acquisitions, every variant and a
#     trylock, counted exactly, no contention; then K contentions forced on
#     two CPUs (the holder holds H ms once it sees the waiter queued):
#     acquisitions N+2K and contentions K exactly, every wait >= H ms and
#     none longer than the waiter's own lock() call, the longest hold >= H
#     ms and no longer than the holder's own lock-to-unlock, bounces, the
#     contention point (the waiter's function, K times) and the contending
#     point (the holder's);
#   - reset clears the row; lock_stat=0 stops counting;
#   - validator off (tql_lock has no class: counted on its own, by
#     address): the same counts, shorter;
#   - 5 s of qspin-torture with lock_stat on (every context, NMI included,
#     validator off): the torture's SUCCESS and contentions counted;
#   - scripts/lock-stat.sh (installed beside this test) turns the captured
#     table into its sorted summary with tql_lock on top.
# Exit: 0 pass, 1 fail, 4 skip (module missing). POSIX sh (BusyBox ash).

Q=/sys/kernel/debug/qspin
T=/sys/kernel/debug/test_qspin_lockstat
P=/sys/module/qspin/parameters/lock_stat
L=$Q/lock_stat
. "$(dirname "$0")/qspin_tap.sh"

echo "TAP version 13"
if ! modinfo test_qspin_lockstat >/dev/null 2>&1; then
	tap_skip_all "test_qspin_lockstat.ko not installed"
fi
grep -q ' /sys/kernel/debug ' /proc/mounts || mount -t debugfs debugfs /sys/kernel/debug
modprobe qspin || { nok "modprobe qspin"; tap_done; }
[ -f "$P" ] || { nok "qspin.ko has a lock_stat parameter"; tap_done; }
cpus=$(grep -c '^processor' /proc/cpuinfo)

snap=/tmp/qspin_lockstat.$$
mark() { echo "qspin_lockstat.sh: mark $1 $$" > /dev/kmsg; }
has_since() { dmesg | sed -n "/qspin_lockstat.sh: mark $1 $$/,\$p" | grep -q -- "$2"; }
# col N: field N of tql_lock's row (2 con-bounces, 3 contentions,
# 4-7 waittime min/max/total/avg, 8 acq-bounces, 9 acquisitions,
# 10-13 holdtime min/max/total/avg; times in us); 0 without a row.
take() { cat "$L" > "$snap"; }
col() { awk -v n="$1" '$1 == "tql_lock:" { v = $n } END { print v == "" ? 0 : v }' "$snap"; }
# point FUNC: the count of tql_lock's call-site line naming FUNC
point() { awk -v f="$1" '$1 == "tql_lock" && $4 ~ "^" f "\\+" { print $2 }' "$snap"; }
# le A B / ge A B: decimal comparisons
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'; }
ge() { le "$2" "$1"; }
res() { sed -n "s/^$1 //p" "$T/result"; }
load_test() {
	rmmod test_qspin_lockstat 2>/dev/null
	modprobe test_qspin_lockstat
}

# ---- the switch ----------------------------------------------------------
check "lock_stat is off by default (lock_stat=$(cat $P))" cond '[ "$(cat $P)" = 0 ]'
check "info says lock_stat 0" grep -qx 'lock_stat 0' "$Q/info"
for bad in 2 -1 abc; do
	mark "bad$bad"
	if printf '%s' "$bad" > "$P" 2>/dev/null; then
		nok "lock_stat='$bad' rejected"
	else
		ok "lock_stat='$bad' rejected"
	fi
	check "lock_stat='$bad': dmesg says so" has_since "bad$bad" \
		"qspin: lock_stat=$bad rejected: must be 0 or 1"
	check "lock_stat='$bad': value unchanged" cond '[ "$(cat $P)" = 0 ]'
done
for bad in bogus 1 resetx; do
	check "debugfs lock_stat: '$bad' is EINVAL" cond '! echo $bad > $L 2>/dev/null'
done
check "debugfs lock_stat: reset accepted" cond 'echo reset > $L'
check "debugfs lock_stat: 0 accepted (as /proc/lock_stat)" cond 'echo 0 > $L'
check "lock_stat=1 accepted" cond 'echo 1 > $P && [ "$(cat $P)" = 1 ]'
check "info says lock_stat 1" grep -qx 'lock_stat 1' "$Q/info"
take
check "lock_stat: /proc/lock_stat's header" cond \
	'head -n1 $snap | grep -qx "lock_stat version 0.4" && grep -q "class name *con-bounces *contentions *waittime-min" $snap'

# counted VALIDATOR N K H: N acquisitions, then K contentions of H ms
counted() {
	v=$1 nacq=$2 k=$3 h=$4
	check "$v: reset" cond 'echo reset > $L'
	take
	check "$v: no row for tql_lock after reset" cond '! grep -q "tql_lock:" $snap'
	check "$v: $nacq acquisitions" cond 'echo $nacq > $T/acquire'
	take
	check "$v: acquisitions = $nacq ($(col 9))" cond '[ "$(col 9)" = $nacq ]'
	check "$v: contentions = 0 ($(col 3)), con-bounces = 0" cond '[ "$(col 3)" = 0 ] && [ "$(col 2)" = 0 ]'
	check "$v: holdtime min <= avg <= max ($(col 10) $(col 13) $(col 11))" \
		cond 'le $(col 10) $(col 13) && le $(col 13) $(col 11)'
	if [ "$cpus" -lt 2 ]; then
		ok "$v: contentions # SKIP needs two CPUs"
		return
	fi
	check "$v: $k contentions forced, holder holding $h ms" cond 'echo "$k $h" > $T/contend'
	take
	log "$v: $(grep 'tql_lock:' $snap)"
	log "$v: test's own measures: $(tr '\n' ' ' < $T/result)"
	hus=$((h * 1000))
	wmax=$(awk -v n="$(res wait_call_max_ns)" 'BEGIN { printf "%.2f", n / 1000 + 0.01 }')
	hmax=$(awk -v n="$(res hold_call_max_ns)" 'BEGIN { printf "%.2f", n / 1000 + 0.01 }')
	check "$v: forced $k ($(res forced))" cond '[ "$(res forced)" = $k ]'
	check "$v: acquisitions = $nacq + 2*$k ($(col 9))" cond '[ "$(col 9)" = $((nacq + 2 * k)) ]'
	check "$v: contentions = $k ($(col 3))" cond '[ "$(col 3)" = $k ]'
	check "$v: waittime-min >= $h ms ($(col 4) us)" ge "$(col 4)" $hus
	check "$v: waittime-max <= the waiter's lock() call ($(col 5) <= $wmax us)" le "$(col 5)" "$wmax"
	check "$v: waittime-total >= $k * $h ms ($(col 6) us)" ge "$(col 6)" $((k * hus))
	check "$v: holdtime-max >= $h ms ($(col 11) us)" ge "$(col 11)" $hus
	check "$v: holdtime-max <= the holder's lock..unlock ($(col 11) <= $hmax us)" le "$(col 11)" "$hmax"
	check "$v: con-bounces 1..$k ($(col 2)): the lock came from the other CPU" \
		cond '[ "$(col 2)" -ge 1 ] && [ "$(col 2)" -le $k ]'
	check "$v: acq-bounces >= $k ($(col 8))" cond '[ "$(col 8)" -ge $k ]'
	check "$v: contention point tql_waiter_round, $k times ($(point tql_waiter_round))" \
		cond '[ "$(point tql_waiter_round)" = $k ]'
	check "$v: contending point tql_holder_round ($(point tql_holder_round))" \
		cond '[ "$(point tql_holder_round)" -ge 1 ]'
	sh "$(dirname "$0")/lock-stat.sh" -s contentions -n 5 "$snap" > "$snap.table" 2>&1
	log "$v: lock-stat.sh: $(sed -n 2p "$snap.table")"
	check "$v: scripts/lock-stat.sh lists tql_lock first, $k contentions" cond \
		'awk -v k=$k '"'"'NR == 2 && $1 == "tql_lock" && $2 == k { f = 1 } END { exit !f }'"'"' $snap.table'
	rm -f "$snap.table"
}

# ---- validator on: tql_lock is a class ----------------------------------
check "validator on" cond 'echo on > $Q/validate'
check "modprobe test_qspin_lockstat" load_test
counted "class" 100 5 20

check "reset clears every count" cond 'echo reset > $L'
take
check "after reset: no row for tql_lock" cond '! grep -q "tql_lock:" $snap'
check "lock_stat=0" cond 'echo 0 > $P && [ "$(cat $P)" = 0 ]'
check "lock_stat=0: 50 acquisitions" cond 'echo 50 > $T/acquire'
take
check "lock_stat=0 stops counting: no row for tql_lock" cond '! grep -q "tql_lock:" $snap'
check "lock_stat=0: the table says it is off" grep -q 'lock_stat is off' "$snap"

# ---- validator off: tql_lock has no class, counted on its own -------------
check "validator off" cond 'echo off > $Q/validate'
check "test_qspin_lockstat reloaded (no class)" load_test
check "lock_stat=1 again" cond 'echo 1 > $P'
counted "per lock" 40 3 10
rmmod test_qspin_lockstat
check "the test module's lock is gone from lock_stat" cond '! grep -q "tql_lock:" $L'

# ---- under torture: every context, NMI included ----------------------------
# The validator stays off: the torture's shared locks are taken in every
# context on purpose, which it would report (qspin_torture.sh's part).
check "lock_stat under torture: reset" cond 'echo reset > $L'
mark torture
if modprobe qspin-torture duration=5 stat_interval=0; then
	waited=0
	while ! has_since torture '--- End of test' && [ $waited -lt 120 ]; do
		sleep 2
		waited=$((waited + 2))
	done
	take	# before rmmod: a module's classes and locks go with it
	rmmod qspin_torture
fi
check "lock_stat under torture: End of test: SUCCESS" has_since torture '--- End of test: SUCCESS'
log "torture: $(sh "$(dirname "$0")/lock-stat.sh" -n 3 "$snap" 2>&1 | sed -n 2p)"
check "lock_stat under torture: contentions counted ($(awk 'NF >= 13 && $(NF - 12) ~ /:$/ && $(NF - 10) > 0 { n++ } END { print n + 0 }' $snap) rows)" \
	cond 'awk '"'"'NF >= 13 && $(NF - 12) ~ /:$/ && $(NF - 10) > 0 { f = 1 } END { exit !f }'"'"' $snap'
check "lock_stat=0, validator on" cond 'echo 0 > $P && echo on > $Q/validate'
rm -f "$snap"
tap_done
