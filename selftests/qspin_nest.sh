#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Every nesting level in the kernel (test_qspin_nest.ko): one CPU queued at
# task, softirq, hardirq and NMI level at once, each on its own lock held
# by another CPU, asserted through the lock words' tails, the queue nodes
# in use at the peak (4) and qspin's nested_depth2..4 counters. Then the
# same with the test-only qspin.ko of 2 queue nodes per CPU (make
# vm-modules builds it: build/qspin-nodes2/KERNEL/qspin-nodes2.ko, installed
# beside this script), loaded in place of the real one: the hardirq and NMI
# levels reach the beyond-four fallback, asserted with beyond_max_nodes
# (+2; +1 on PREEMPT_RT, which has no softirq level). The real qspin.ko is loaded again at the end.
#
# Exit: 0 pass, 1 fail, 4 skip (test_qspin_nest.ko not installed).
# POSIX sh: the VM runs BusyBox ash.
dir=$(dirname "$0")
. "$dir/qspin_tap.sh"

info=/sys/kernel/debug/qspin/info
stats=/sys/kernel/debug/qspin/stats
nodes2=$dir/qspin-nodes2.ko

echo "TAP version 13"
modinfo test_qspin_nest >/dev/null 2>&1 ||
	tap_skip_all "test_qspin_nest.ko not installed"

field() { sed -n "s/^$1 //p" "$2"; }

# The module's own lines since this run's marker.
since() { dmesg | sed -n "/qspin_nest.sh: begin $1 $$/,\$p" | grep 'test_qspin_nest'; }

# Load test_qspin_nest.ko with the qspin.ko now loaded; its verdict.
run_nest() {
	tag=$1
	echo "qspin_nest.sh: begin $tag $$" > /dev/kmsg
	echo on > "$stats" && echo reset > "$stats"
	max=$(field max_nodes "$info")
	modprobe test_qspin_nest max_nodes="$max"
	rc=$?
	since "$tag" | sed 's/^/# /'
	lsmod | grep -q '^test_qspin_nest ' && rmmod test_qspin_nest
	log "$tag stats: $(tr '\n' ' ' < "$stats")"
	return $rc
}

# Every module that uses qspin.ko, then qspin.ko: false if one stays.
unload_qspin() {
	for m in $(lsmod | awk '$1 == "qspin" { print $4 }' | tr ',' ' '); do
		rmmod "$m" || return 1
	done
	! lsmod | grep -q '^qspin ' || rmmod qspin
}

modprobe qspin || { nok "modprobe qspin"; tap_done; }
check "four levels queued at once on one CPU (max_nodes $(field max_nodes "$info"))" \
	run_nest nodes4
if ! [ -f "$nodes2" ]; then
	ok "beyond-four fallback # SKIP no $nodes2 (make vm-modules builds it)"
elif [ "$(modinfo -F vermagic "$nodes2" | cut -d' ' -f1)" != "$(uname -r)" ]; then
	nok "beyond-four fallback # $nodes2 was built for $(modinfo -F vermagic "$nodes2" | cut -d' ' -f1), not $(uname -r)"
elif ! unload_qspin; then
	nok "beyond-four fallback # qspin.ko would not unload: $(lsmod | grep '^qspin ')"
elif ! insmod "$nodes2"; then
	nok "beyond-four fallback # insmod $nodes2 failed"
	modprobe qspin
else
	m=$(field max_nodes "$info")
	check "test-only qspin.ko has 2 queue nodes per CPU (max_nodes $m)" cond '[ "$m" = 2 ]'
	check "hardirq and NMI levels in the beyond-four fallback (max_nodes 2)" \
		run_nest nodes2
	# PREEMPT_RT: no softirq level, so only the NMI is past node 2.
	case $(uname -v) in *PREEMPT_RT*) want=1 ;; *) want=2 ;; esac
	b=$(field beyond_max_nodes "$stats")
	check "beyond_max_nodes counted the fallback waiters (is ${b:-?}, want $want)" \
		cond '[ "${b:-0}" -eq $want ]'
	rmmod qspin
	check "the real qspin.ko again (max_nodes 4)" \
		cond 'modprobe qspin && [ "$(field max_nodes "$info")" = 4 ]'
fi
tap_done
