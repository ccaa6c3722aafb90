#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Torture test in the VM: qspin-torture.ko for torture_type=qspin, then
# torture_type=native (the kernel's spinlock_t through the same harness).
# Each run must end with "End of test: SUCCESS" and "Fail: 0"; the qspin run
# must also have used the nested slow paths (qspin's debugfs stats
# nested_depth2 and nested_depth3 > 0 (depth3 not on PREEMPT_RT, where no
# softirq nests over a spinning task); nested_depth4, the NMI level, is
# reported but not required).
#
# Environment: QSPIN_TORTURE_DURATION (seconds per type, default 30),
# QSPIN_TORTURE_ARGS (more module parameters for both runs).
# Exit: 0 pass, 1 fail, 4 skip (module not installed).
# POSIX sh: the VM runs BusyBox ash.

duration=${QSPIN_TORTURE_DURATION:-30}
extra=${QSPIN_TORTURE_ARGS:-}
stats=/sys/kernel/debug/qspin/stats
ksft_skip=4
rc=0

log() { echo "# $*"; }

if ! modprobe -n qspin-torture >/dev/null 2>&1 &&
   ! modinfo qspin-torture >/dev/null 2>&1; then
	echo "ok 1 qspin_torture # SKIP qspin-torture.ko not installed"
	exit $ksft_skip
fi

# The dmesg lines since the marker this run wrote.
since_marker() {
	dmesg | sed -n "/qspin_torture.sh: begin $1 $$/,\$p"
}

stat_val() {
	sed -n "s/^$1 //p" "$stats"
}

run_type() {
	type=$1
	t0=$(cut -d' ' -f1 /proc/uptime)
	echo "qspin_torture.sh: begin $type $$" > /dev/kmsg
	if [ "$type" = qspin ]; then
		modprobe qspin || { log "modprobe qspin failed"; return 1; }
		echo on > "$stats" && echo reset > "$stats"
	fi
	# shellcheck disable=SC2086
	if ! modprobe qspin-torture torture_type="$type" duration="$duration" \
			stat_interval=10 $extra; then
		log "modprobe qspin-torture torture_type=$type failed"
		return 1
	fi
	# The module checks and reports by itself after $duration seconds.
	waited=0
	limit=$((duration + 120))
	while ! since_marker "$type" | grep -q -- '--- End of test'; do
		sleep 2
		waited=$((waited + 2))
		if [ $waited -ge $limit ]; then
			log "$type: no 'End of test' after ${waited}s"
			since_marker "$type" | grep 'qspin-torture' | tail -n 5 |
				sed 's/^/# /'
			rmmod qspin_torture
			return 1
		fi
	done
	rmmod qspin_torture || { log "rmmod qspin_torture failed"; return 1; }
	t1=$(cut -d' ' -f1 /proc/uptime)

	out=$(since_marker "$type" | grep 'qspin-torture')
	echo "$out" | grep -E 'Start of test|Writes:|Contexts:|Locks:|End of test|counter|not free|sentinel|kick never arrived' |
		sed 's/^/# /'
	ok=1
	echo "$out" | grep -q -- "--- End of test: SUCCESS" ||
		{ log "$type: no 'End of test: SUCCESS'"; ok=0; }
	last=$(echo "$out" | grep 'Writes:' | tail -n 1)
	echo "$last" | grep -q 'Fail: 0 ' ||
		{ log "$type: last Writes line lacks 'Fail: 0'"; ok=0; }
	echo "$last" | grep -q 'Total: [1-9]' ||
		{ log "$type: no acquisitions"; ok=0; }
	if [ "$type" = qspin ]; then
		d2=$(stat_val nested_depth2)
		d3=$(stat_val nested_depth3)
		d4=$(stat_val nested_depth4)
		log "qspin stats: $(tr '\n' ' ' < "$stats")"
		[ "${d2:-0}" -gt 0 ] || { log "qspin: nested_depth2 is 0"; ok=0; }
		# PREEMPT_RT: softirqs run in threads, never over a task that
		# spins with preemption off: task + softirq + hardirq cannot nest.
		case $(uname -v) in
		*PREEMPT_RT*) [ "${d3:-0}" -gt 0 ] ||
			log "qspin: nested_depth3 is 0 (PREEMPT_RT: no softirq nests over a spinning task; not required)" ;;
		*) [ "${d3:-0}" -gt 0 ] || { log "qspin: nested_depth3 is 0"; ok=0; } ;;
		esac
		[ "${d4:-0}" -gt 0 ] || log "qspin: nested_depth4 is 0 (NMI level; not required)"
	fi
	log "$type: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')s in the VM"
	[ $ok = 1 ]
}

n=0
for type in qspin native; do
	n=$((n + 1))
	if run_type "$type"; then
		echo "ok $n qspin_torture $type"
	else
		echo "not ok $n qspin_torture $type"
		rc=1
	fi
done
exit $rc
