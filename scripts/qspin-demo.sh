#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs qspin-demo scenarios on the machine it runs on: for your own test VM
# (as root; POSIX sh, BusyBox is enough). Loads qspin.ko and qspin-demo.ko,
# runs each scenario through debugfs and prints the kernel lines it produced
# and its result.
#
#   qspin-demo.sh [-m DIR] [-s SOURCE] [-n RUNS] [SCENARIO... | all | list]
#   qspin-demo.sh --lockup --yes-hang-this-cpu [-m DIR] irq-deadlock|bh-deadlock
#
#   -m DIR    take the modules from DIR (qspin.ko and qspin-demo.ko, directly
#             in DIR or in DIR/kmod/qspin and DIR/kmod/demo: a built repo),
#             insmod'ed; default: modprobe (installed modules)
#   -s SRC    interrupt source: auto (default: the edu PCI device when the VM
#             has one, "-device edu" in QEMU, else irq_work), edu, edu-msi,
#             edu-intx, irq_work
#   -n RUNS   repeat each scenario RUNS times (default 1)
#   all       irq-deadlock irq-fixed bh-deadlock bh-fixed cross-cpu
#             shared-helper (the default)
#   list      print the scenarios and exit
#   --lockup  load qspin-demo with allow_lockup=1: the deadlock scenario
#             REALLY hangs a CPU and never returns; the kernel's RCU stall /
#             soft lockup detectors report it (faster with
#             rcupdate.rcu_cpu_stall_timeout=3, watchdog_thresh=1 on the
#             kernel command line). Needs --yes-hang-this-cpu.
#
# Exit status: 0 when every scenario passed, 1 when one did not, 2 on a
# setup error.
D=/sys/kernel/debug/qspin-demo
moddir= source=auto runs=1 lockup=0 yes=0 scen=

die() { echo "qspin-demo.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	-m) moddir=$2; shift 2 ;;
	-s) source=$2; shift 2 ;;
	-n) runs=$2; shift 2 ;;
	--lockup) lockup=1; shift ;;
	--yes-hang-this-cpu) yes=1; shift ;;
	-h|--help) sed -n '3,28p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) die "unknown option $1 (see --help)" ;;
	*) scen="$scen $1"; shift ;;
	esac
done
[ "$(id -u)" = 0 ] || die "run as root"
[ -n "$scen" ] && [ "$scen" != " all" ] ||
	scen="irq-deadlock irq-fixed bh-deadlock bh-fixed cross-cpu shared-helper"
if [ $lockup = 1 ]; then
	[ $yes = 1 ] || die "--lockup hangs a CPU for real: add --yes-hang-this-cpu"
	set -- $scen
	[ $# = 1 ] || die "--lockup takes one scenario (irq-deadlock or bh-deadlock)"
fi

grep -q ' /sys/kernel/debug ' /proc/mounts ||
	mount -t debugfs debugfs /sys/kernel/debug || die "cannot mount debugfs"

# Load qspin (detection on) and a fresh qspin-demo with our parameters.
params="source=$source"
[ $lockup = 1 ] && params="$params allow_lockup=1"
rmmod qspin-demo 2>/dev/null
find_ko() {
	for f in "$moddir/$1" "$moddir/kmod/$2/$1"; do
		[ -f "$f" ] && { echo "$f"; return 0; }
	done
	return 1
}
if [ -n "$moddir" ]; then
	q=$(find_ko qspin.ko qspin) || die "no qspin.ko in $moddir"
	qd=$(find_ko qspin-demo.ko demo) || die "no qspin-demo.ko in $moddir"
	grep -q '^qspin ' /proc/modules || insmod "$q" || die "insmod $q failed"
	# shellcheck disable=SC2086
	insmod "$qd" $params || die "insmod $qd $params failed (dmesg says why)"
else
	modprobe qspin || die "modprobe qspin failed (use -m DIR for a build tree)"
	# shellcheck disable=SC2086
	modprobe qspin-demo $params || die "modprobe qspin-demo failed (dmesg says why)"
fi
case " $scen " in
*" list "*) cat "$D/list"; exit 0 ;;
esac
echo "qspin-demo: source $(sed -n 's/^source //p' $D/status), irq $(sed -n 's/^irq //p' $D/status)," \
	"on CPU $(sed -n 's/^irq_cpu //p' $D/status); qspin detection $(sed -n 's/^detect //p' $D/status)"

if [ $lockup = 1 ]; then
	echo "qspin-demo: $scen with allow_lockup=1: this CPU locks up now; watch the console"
	echo "$scen" > "$D/run"
	echo "qspin-demo: $scen returned?! (status $?)"
	exit 1
fi

rc=0
for s in $scen; do
	echo
	echo "=== $s"
	sed -n "s/^$s  *//p" "$D/list" | sed 's/^/    /'
	echo "qspin-demo.sh: begin $s $$" > /dev/kmsg
	if ! echo "$s $runs" > "$D/run"; then
		echo "    run failed (unknown name? see: qspin-demo.sh list)"
		rc=1
		continue
	fi
	dmesg | sed -n "/qspin-demo.sh: begin $s $$\$/,\$p" | sed 1d |
		grep -v -E '\] (RSP|RAX|RDX|RBP|R10|R13|Code|FS|CS|CR2|PKRU): ' |
		sed 's/^\[ *[0-9.]*\] /    | /'
	v=$(sed -n 's/^verdict //p' "$D/last")
	echo "  counter: expected $(sed -n 's/^expected //p' "$D/last"), actual $(sed -n 's/^actual //p' "$D/last"); verdict $v"
	[ "$v" = PASS ] || rc=1
done
exit $rc
