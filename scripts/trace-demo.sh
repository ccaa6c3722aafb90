#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make trace-demo: qspin's tracepoints (kmod/qspin/trace.h) recorded in the
# test VM, drawn as per-CPU timelines with gnuplot into docs/trace/.
#
#   scripts/trace-demo.sh [--no-build] [--smp N] [--keep]
#
# One boot (scripts/vm-run.sh, 4 vCPUs by default) records, through tracefs
# (trace_clock global: one clock for every CPU):
#   contended  qspin-torture with nesting on (the task, softirq, hardirq and
#              NMI levels wait on their locks on the same CPUs), a 2 s run,
#              with qspin's stats=0 validate=0 (the events alone turn its
#              instrumented path on)
#   deadlock   qspin-demo's irq-deadlock lesson in safe mode, then its fix
#              irq-fixed: process context holds the lock, the interrupt
#              arrives on the same CPU (irq:irq_handler_entry/exit, or
#              irq_vectors:irq_work_entry/exit with the irq_work source), the
#              handler's qspin_lock_checked() backs off with -EDEADLK; in
#              the fix the interrupt waits until qspin_unlock_irqrestore()
# and prints each trace with the names of the locks (kallsyms) on its
# output. On the host scripts/trace-timeline.awk turns a trace into gnuplot
# data and gnuplot draws it:
#   docs/trace/contended.svg, .png   (the busiest 40 ms of the run)
#   docs/trace/deadlock.svg, .png
# and the raw traces go to build/trace-demo/*.trace (--keep: also the
# gnuplot data and scripts). Exit status 0 when both pictures were drawn.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
qspin_top=$top vm_tag=trace-demo
# shellcheck source=scripts/lib/vm.sh
source scripts/lib/vm.sh

build=1 smp=4 keep=0
while [ $# -gt 0 ]; do
	case $1 in
	--no-build) build=0; shift ;;
	--smp) smp=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	-h|--help) awk 'NR > 2 && !/^#/ { exit } NR > 2 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
	*) vm_log "unknown argument: $1"; exit 2 ;;
	esac
done
t_start=$(vm_now)
command -v gnuplot >/dev/null || vm_die "no gnuplot: run scripts/deps.sh (gnuplot-nox)"
if [ $build = 1 ]; then
	make -s vm-modules >/dev/null
fi

out=build/trace-demo
docs=docs/trace
mkdir -p "$out" "$docs"
guest=$out/guest.sh
cat > "$guest" <<'EOF'
# trace-demo guest (scripts/trace-demo.sh): record, then print the traces.
T=/sys/kernel/tracing
set_event() { [ -f "$T/events/$1/enable" ] && echo "$2" > "$T/events/$1/enable"; }
# The locks named in a trace: "LOCK addr symbol+off" from kallsyms (module
# symbols; fixed-width hex compares as text).
lock_names() {
	grep -o ' \(contention_begin\|lock_acquired\): [0-9a-fx]*' "$T/trace" |
		awk '{ a = $2; sub(/^0x/, "", a); print a }' | sort -u > /tmp/addrs
	grep '\[' /proc/kallsyms | awk '$2 ~ /^[bBdD]$/ { print $1, $3 }' | sort > /tmp/syms
	while read -r a; do
		awk -v a="$a" '$1 <= a { s = $1; n = $2 } END {
			printf "LOCK %s %s", a, n
			# the offset, in hex digits the shell can subtract
			print " " s }' /tmp/syms
	done < /tmp/addrs | while read -r tag a n s; do
		echo "$tag $a $n+$(( 0x$a - 0x$s ))"
	done
}
dump() {
	echo "=== TRACE $1"
	lock_names
	grep -v '^#' "$T/trace"
	echo "=== END $1"
}
# Both switches off: the events alone turn the instrumented path on.
modprobe qspin stats=0 validate=0 || exit 1
echo 0 > $T/tracing_on
echo global > $T/trace_clock
echo 16384 > $T/buffer_size_kb
echo > $T/trace
set_event qspin 1

# contended: a 2 s torture run, nesting on (its writers keep every CPU
# busy: this shell runs again only when it is over)
echo 1 > $T/tracing_on
modprobe qspin-torture torture_type=qspin duration=2 stat_interval=0 || exit 1
until dmesg | grep -q -- '--- End of test'; do sleep 1; done
echo 0 > $T/tracing_on
dump contended
rmmod qspin_torture
echo > $T/trace

# deadlock: the irq-deadlock lesson in safe mode (the validator sees the
# handler's lock held by the task it interrupted), then its fix
echo on > /sys/kernel/debug/qspin/validate
set_event irq/irq_handler_entry 1
set_event irq/irq_handler_exit 1
set_event irq_vectors/irq_work_entry 1
set_event irq_vectors/irq_work_exit 1
modprobe qspin-demo || exit 1
echo 1 > $T/tracing_on
echo "irq-deadlock 1" > /sys/kernel/debug/qspin-demo/run
echo "irq-fixed 1" > /sys/kernel/debug/qspin-demo/run
echo 0 > $T/tracing_on
dump deadlock
grep -h '' /sys/kernel/debug/qspin-demo/status 2>/dev/null | sed 's/^/# demo: /'
EOF

vm_log "recording in the VM ($smp CPUs)"
"$top/scripts/vm-run.sh" --guest-script "$guest" --smp "$smp" --timeout 300 \
	--log "$top/$out/console.log" --out "$top/$out/guest.log" --quiet ||
	vm_die "the VM run failed: $out/console.log"

for name in contended deadlock; do
	awk -v n="$name" '$0 == "=== TRACE " n { on = 1; next }
		$0 == "=== END " n { on = 0 } on' "$out/guest.log" | tr -d '\r' > "$out/$name.trace"
	[ -s "$out/$name.trace" ] || vm_die "no $name trace in $out/guest.log"
done

# trace -> gnuplot data and script -> SVG and PNG
draw() {
	local name=$1 title=$2 window=$3 dir=$out/$1
	mkdir -p "$dir"
	awk -v dir="$dir" -v title="$title" -v window_ms="$window" \
		-f scripts/trace-timeline.awk "$out/$name.trace" > "$dir/plot.gp"
	for term in svg png; do
		gnuplot -e "term='$term'; out='$docs/$name.$term'" "$dir/plot.gp" ||
			vm_die "gnuplot failed on $dir/plot.gp"
	done
	vm_log "$docs/$name.svg, $docs/$name.png: $(sed -n 's/^# summary: //p' "$dir/plot.gp")"
}
draw contended "qspin-torture (4 CPUs, nesting on): who held, who spun, who got the lock next" 40
draw deadlock "irq-deadlock in safe mode (-EDEADLK), then irq-fixed (the interrupt waits for the unlock)" 0
[ $keep = 1 ] || rm -rf "$out/contended" "$out/deadlock"
vm_log "done in $(vm_elapsed "$t_start")"
