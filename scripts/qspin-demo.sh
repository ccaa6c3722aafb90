#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The demo runner, inside a VM (as root; POSIX sh, BusyBox is enough): loads
# qspin.ko and qspin-demo.ko, runs scenarios through debugfs and prints, for
# each, what it does, the kernel lines it produced, its counter and verdict.
# The scenarios are the module's own (debugfs qspin-demo/list), in its order.
# make demo, make demo-lockup (scripts/demo.sh) and the kselftest
# (selftests/qspin_demo.sh) run the VM side through this script.
#
#   qspin-demo.sh [-m DIR] [-s SRC] [-n RUNS] [--no-load] [--unload]
#                 [SCENARIO... | all | list | names]
#   qspin-demo.sh --lockup --yes-hang-this-cpu [-m DIR] [-s SRC] SCENARIO
#
#   -m DIR     take the modules from DIR (qspin.ko and qspin-demo.ko, directly
#              in DIR or in DIR/kmod/qspin and DIR/kmod/demo: a built repo),
#              insmod'ed; default: modprobe (installed modules)
#   -s SRC     interrupt source: auto (default: the edu PCI device when the VM
#              has one, "-device edu" in QEMU, else irq_work), edu, edu-msi,
#              edu-intx, irq_work
#   -n RUNS    repeat each scenario RUNS times (default 1)
#   --no-load  use qspin-demo as it is loaded (its parameters are the
#              caller's); print only the scenarios' transcripts
#   (loading, the runner sets qspin's spin_timeout_ms to 500: stuck-holder
#   holds its lock 2 x that, and refuses above 1000 ms)
#   --unload   at the end, rmmod qspin-demo and qspin
#   all        every scenario in debugfs list (the default)
#   list       print the scenarios with their descriptions; names: the names
#   --lockup   load qspin with detect=0 and qspin-demo with allow_lockup=1:
#              the deadlock scenario runs the same bug with nothing to catch
#              it, REALLY hangs a CPU and never returns; the kernel's RCU stall
#              / soft lockup detectors report it (faster with
#              rcupdate.rcu_cpu_stall_timeout=3, watchdog_thresh=1 on the
#              kernel command line). Needs --yes-hang-this-cpu.
#
# Exit status: 0 when every scenario passed, 4 (kselftest's skip) when none
# failed but one was skipped (a scenario that cannot run here, e.g. one CPU
# or the validator off, says "NAME: skipped: WHY" in dmesg: printed as
# SKIPPED with the reason, never as passed), 1 when one did not pass (FAIL
# or INCONCLUSIVE), 2 on a setup error, 3 when a run was refused otherwise
# (the write to debugfs run failed: unknown name, EBUSY, EOPNOTSUPP, ...).
D=/sys/kernel/debug/qspin-demo
moddir='' source=auto runs=1 lockup=0 yes=0 load=1 unload=0 scen='' timeout_ms=500

die() { echo "qspin-demo.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	-m) moddir=$2; shift 2 ;;
	-s) source=$2; shift 2 ;;
	-n) runs=$2; shift 2 ;;
	--no-load) load=0; shift ;;
	--unload) unload=1; shift ;;
	--lockup) lockup=1; shift ;;
	--yes-hang-this-cpu) yes=1; shift ;;
	-h|--help) sed -n '3,40p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) die "unknown option $1 (see --help)" ;;
	*) scen="$scen $1"; shift ;;
	esac
done
[ "$(id -u)" = 0 ] || die "run as root"
if [ $lockup = 1 ]; then
	[ $yes = 1 ] || die "--lockup hangs a CPU for real: add --yes-hang-this-cpu"
	[ $load = 1 ] || die "--lockup loads the modules itself: no --no-load"
	# shellcheck disable=SC2086 # the names, one word each
	set -- $scen
	[ $# = 1 ] || die "--lockup takes one scenario (irq-deadlock, bh-deadlock, rt-sleeping-lock)"
	scen=$1
fi

grep -q ' /sys/kernel/debug ' /proc/mounts ||
	mount -t debugfs debugfs /sys/kernel/debug || die "cannot mount debugfs"

# ---- the modules ----------------------------------------------------------
# qspin with detection on (safe mode) or off (lockup: nothing catches the
# bug, the handler's plain qspin_lock() spins), and a fresh qspin-demo.
find_ko() {
	for f in "$moddir/$1" "$moddir/kmod/$2/$1"; do
		[ -f "$f" ] && { echo "$f"; return 0; }
	done
	return 1
}
load_modules() {
	# The two-CPU lessons hold a lock 2 x spin_timeout_ms: a short one.
	want=Y qparams="spin_timeout_ms=$timeout_ms" params="source=$source"
	if [ $lockup = 1 ]; then
		want=N qparams="detect=0 $qparams" params="$params allow_lockup=1"
	fi
	rmmod qspin-demo 2>/dev/null
	[ ! -w /sys/module/qspin/parameters/spin_timeout_ms ] ||
		echo "$timeout_ms" > /sys/module/qspin/parameters/spin_timeout_ms
	if grep -q '^qspin ' /proc/modules &&
	   [ "$(cat /sys/module/qspin/parameters/detect)" != $want ]; then
		rmmod qspin || die "qspin.ko is loaded with the other detect= and in use"
	fi
	if [ -n "$moddir" ]; then
		q=$(find_ko qspin.ko qspin) || die "no qspin.ko in $moddir"
		qd=$(find_ko qspin-demo.ko demo) || die "no qspin-demo.ko in $moddir"
		grep -q '^qspin ' /proc/modules || insmod "$q" $qparams ||
			die "insmod $q $qparams failed"
		# shellcheck disable=SC2086
		insmod "$qd" $params || die "insmod $qd $params failed (dmesg says why)"
	else
		# shellcheck disable=SC2086
		modprobe qspin $qparams ||
			die "modprobe qspin failed (use -m DIR for a build tree)"
		# shellcheck disable=SC2086
		modprobe qspin-demo $params ||
			die "modprobe qspin-demo $params failed (dmesg says why)"
	fi
}
if [ $load = 1 ]; then
	load_modules
else
	[ -d "$D" ] || die "--no-load, but qspin-demo is not loaded"
fi

# ---- the scenarios: the module's list ---------------------------------------
known=$(cut -d' ' -f1 "$D/list")
case " $scen " in
*" list "*) cat "$D/list"; exit 0 ;;
*" names "*) echo "$known"; exit 0 ;;
esac
[ -n "$scen" ] && [ "$scen" != " all" ] || scen=$known

field() { sed -n "s/^$1 //p" "$2"; }
echo "qspin-demo: interrupt source $(field source $D/status)," \
	"irq $(field irq $D/status), on CPU $(field irq_cpu $D/status);" \
	"$(grep -c '^processor' /proc/cpuinfo) CPUs; qspin deadlock detection" \
	"$(field detect $D/status | sed 's/1/on/;s/0/off/')"

if [ $lockup = 1 ]; then
	echo "qspin-demo: $scen with allow_lockup=1 and qspin detect=0: this CPU locks up now; watch the console"
	echo "$scen" > "$D/run"
	# shellcheck disable=SC2320 # the echo's status is the write's
	st=$?
	echo "qspin-demo: $scen returned (status $st): the CPU did NOT lock up"
	exit 1
fi

# ---- safe mode: each scenario, its kernel lines, its counter -------------------
up() { cut -d' ' -f1 /proc/uptime; }
rc=0 skipped=''
for s in $scen; do
	echo
	echo "=== $s"
	sed -n "s/^$s  *//p" "$D/list" | sed 's/^/    /'
	# On PREEMPT_RT softirqs run in threads: none can interrupt a task
	# that spins with preemption off, the bug cannot happen. Said, not run.
	case $(uname -v):$s in
	*PREEMPT_RT*:irq-deadlock)
		echo "    on PREEMPT_RT: the edu handler is registered IRQF_NO_THREAD, a hard handler,"
		echo "    so it interrupts the holder as on any kernel; irq-threaded runs the same line"
		echo "    with a plain request_irq() handler, which RT forces into a thread: no deadlock" ;;
	*PREEMPT_RT*:bh-deadlock)
		echo "  does not apply on PREEMPT_RT (not run): softirqs run in threads there,"
		echo "  never at interrupt exit, so no softirq interrupts the task that holds"
		echo "  the lock with preemption off (qspin is a spinning lock on every kernel)"
		continue ;;
	esac
	echo "qspin-demo.sh: begin $s $$" > /dev/kmsg
	t0=$(up)
	if ! err=$(echo "$s $runs" 2>&1 > "$D/run"); then
		# A scenario that cannot run here says why in dmesg ("NAME:
		# skipped: ..."): reported as skipped, never as passed.
		why=$(dmesg | sed -n "/qspin-demo.sh: begin $s $$\$/,\$p" |
			sed -n "s/.*qspin_demo: $s: skipped: //p" | head -n 1)
		if [ -n "$why" ]; then
			echo "  verdict: SKIPPED ($why)"
			skipped="$skipped $s"
			continue
		fi
		echo "    run refused: ${err:-error} (see the kernel log; known: $(echo "$known" | tr '\n' ' '))"
		dmesg | sed -n "/qspin-demo.sh: begin $s $$\$/,\$p" | sed 1d |
			sed 's/^\[ *[0-9.]*\] /    | /'
		rc=3
		continue
	fi
	t1=$(up)
	echo "  kernel log:"
	dmesg | sed -n "/qspin-demo.sh: begin $s $$\$/,\$p" | sed 1d |
		grep -v -E '\] (RSP|RAX|RDX|RBP|R10|R13|Code|FS|CS|CR2|PKRU): ' |
		sed 's/^\[ *[0-9.]*\] /    | /'
	L=$D/last
	v=$(field verdict $L)
	echo "  counter: expected $(field expected $L), actual $(field actual $L)" \
		"(updates lost: $(field lost $L)); source $(field source $L);" \
		"CPU task $(field task_cpu $L), handler $(field handler_cpu $L)"
	[ "$(field source $L)" != "none (two CPUs)" ] ||
		echo "  waits qspin's lockup watchdog judged: $(field lockups $L);" \
			"note: $(field note $L)"
	[ "$runs" = 1 ] || echo "  runs: $(field runs $L) (pass $(field pass $L)," \
		"inconclusive $(field inconclusive $L), fail $(field fail $L))"
	echo "  verdict: $v ($(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')s)"
	[ "$v" = PASS ] || [ $rc = 3 ] || rc=1
done
[ $rc != 0 ] || [ -z "$skipped" ] || rc=4
[ $load = 1 ] || exit $rc

[ -z "$skipped" ] || { echo; echo "=== skipped (each said why):$skipped"; }
echo
echo "=== qspin's deadlock table (/sys/kernel/debug/qspin/deadlocks)"
sed 's/^/    /' /sys/kernel/debug/qspin/deadlocks
echo
echo "=== qspin's lockup watchdog (/sys/kernel/debug/qspin/lockups)"
sed 's/^/    /' /sys/kernel/debug/qspin/lockups
echo
echo "=== still alive: uptime $(up)s, CPUs online $(cat /sys/devices/system/cpu/online)"
if [ $unload = 1 ]; then
	if rmmod qspin-demo && rmmod qspin; then
		echo "    modules unloaded cleanly"
	else
		rc=2
	fi
fi
exit $rc
