#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# qspin's tracepoints (kmod/qspin/trace.h) read by the tools people use,
# during contended runs of qspin-torture (2 s and 1 s, nesting on: the task,
# softirq, hardirq and NMI levels wait on their locks on the same CPUs):
#
#   tracefs   events/qspin/{contention_begin,contention_end,lock_acquired,
#             lock_release} exist with the kernel's lock: fields; enabling
#             them turns the instrumented path on with stats=0 validate=0
#             (debugfs info "instrumented"), and off again after; the trace
#             has contention_begin/end on the torture's locks
#             (torture_locks[], from /proc/kallsyms), ret=0, each end after a
#             begin of the same lock on the same CPU (nested: last in, first
#             out), and lock_acquired/lock_release on the same locks
#   trace-cmd `trace-cmd record -e qspin` then `trace-cmd report`
#   perf      `perf record -e 'qspin:*' -a` then `perf script`
#
# trace-cmd and perf are the host's, copied into the initramfs with their
# libraries (vm-selftests.sh passes mkinitramfs.sh --tool for this test);
# a missing one is a SKIP of its checks.
# Exit: 0 pass, 1 fail, 4 skip (qspin or qspin-torture not installed).
# POSIX sh: the VM runs BusyBox ash.

. "$(dirname "$0")/qspin_tap.sh"

tracing=/sys/kernel/tracing
events=$tracing/events/qspin
info=/sys/kernel/debug/qspin/info
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")

# The torture's locks, as its load printed them ("N locks from ADDR, S
# bytes apart": one cache line each on Debian's kernels, two on a debug
# kernel whose spinlock_t carries lockdep's map), this run's ($$) only.
torture_locks() {
	set -- $(dmesg | sed -n "/qspin_trace.sh: torture $$/,\$p" |
		sed -n 's/.*-torture: \([0-9]*\) locks from \([0-9a-f]*\), \([0-9]*\) bytes apart.*/\1 \2 \3/p' | tail -n 1)
	[ $# = 3 ] || return 1
	i=0
	while [ $i -lt "$1" ]; do
		printf '%x\n' $((0x$2 + $3 * i))
		i=$((i + 1))
	done
}

# A torture run (qspin, nesting on) of $2 seconds (default 1), waited for;
# its locks' addresses (they change with every load) written to file $1.
torture_run() {
	echo "qspin_trace.sh: torture $$" > /dev/kmsg
	/sbin/modprobe qspin-torture torture_type=qspin duration="${2:-1}" \
		stat_interval=0 || { log "modprobe qspin-torture failed"; return 1; }
	torture_locks > "$1"
	waited=0
	until dmesg | sed -n "/qspin_trace.sh: torture $$/,\$p" |
			grep -q -- '--- End of test'; do
		sleep 1
		waited=$((waited + 1))
		if [ $waited -ge 60 ]; then
			log "no 'End of test' after ${waited}s"
			break
		fi
	done
	rmmod qspin_torture || { log "rmmod qspin_torture failed"; return 1; }
	dmesg | sed -n "/qspin_trace.sh: torture $$/,\$p" |
		grep -q -- '--- End of test: SUCCESS'
}

# What trace-cmd and perf record around: one torture run.
if [ "${1:-}" = --torture-only ]; then
	torture_run "$2"
	exit $?
fi

tmp=/tmp/qspin_trace.$$
mkdir -p "$tmp"
echo "TAP version 13"
if ! /sbin/modprobe -n qspin-torture >/dev/null 2>&1; then
	tap_skip_all "qspin-torture.ko not installed"
fi

info_val() { sed -n "s/^$1 //p" "$info"; }

# qspin with both switches off: only the events can turn its path on.
rmmod qspin_torture 2>/dev/null
switched=0
if grep -q '^qspin ' /proc/modules && ! rmmod qspin 2>/dev/null; then
	switched=1
	echo off > /sys/kernel/debug/qspin/stats
	echo off > /sys/kernel/debug/qspin/validate
	log "qspin was loaded and in use: stats and validate switched off instead"
else
	/sbin/modprobe qspin stats=0 validate=0 || tap_skip_all "modprobe qspin failed"
fi

# ---- 1. tracefs ------------------------------------------------------
missing=
for e in contention_begin contention_end lock_acquired lock_release; do
	[ -f "$events/$e/enable" ] || missing="$missing $e"
done
if [ -z "$missing" ]; then ok "tracefs: events/qspin/ has the four events"
else nok "tracefs: events/qspin/ has the four events # missing:$missing"; fi

fields() { sed -n 's/^[[:space:]]*field:[^;]* \**\([a-z_]*\);.*/\1/p' "$events/$1/format" | grep -v '^common_' | tr '\n' ' '; }
f_begin=$(fields contention_begin) f_end=$(fields contention_end)
f_acq=$(fields lock_acquired) f_rel=$(fields lock_release)
log "fields: contention_begin: $f_begin; contention_end: $f_end; lock_acquired: $f_acq; lock_release: $f_rel"
check "tracefs: fields as lock:contention_begin/end (lock_addr flags / lock_addr ret), lock_acquired/release (lock_addr ip)" \
	cond '[ "$f_begin" = "lock_addr flags " ] && [ "$f_end" = "lock_addr ret " ] &&
	      [ "$f_acq" = "lock_addr ip " ] && [ "$f_rel" = "lock_addr ip " ]'

off0=$(info_val instrumented)
# Put back at the end: the tests after this one share tracefs.
old_clock=$(sed 's/.*\[\(.*\)\].*/\1/' "$tracing/trace_clock")
old_size=$(sed 's/.*expanded: \([0-9]*\).*/\1/; s/ .*//' "$tracing/buffer_size_kb")
echo 0 > "$tracing/tracing_on"
echo > "$tracing/trace"
echo global > "$tracing/trace_clock"
echo 8192 > "$tracing/buffer_size_kb"
echo 1 > "$events/enable"
on=$(info_val instrumented)
echo 1 > "$tracing/tracing_on"
torture_ok=0
torture_run "$tmp/locks.txt" 2 && torture_ok=1
echo 0 > "$tracing/tracing_on"
echo 0 > "$events/enable"
off1=$(info_val instrumented)
log "instrumented path: $off0 before, $on with the events enabled, $off1 after"
check "tracefs: enabling the events turns the instrumented path on (stats=0 validate=0), disabling turns it off" \
	cond '[ "$off0" = 0 ] && [ "$on" = 1 ] && [ "$off1" = 0 ]'

cat "$tracing/trace" > "$tmp/trace.txt"
lost=$(cat "$tracing"/per_cpu/cpu*/stats | awk '/^overrun:/ { n += $2 } END { print n + 0 }')
log "torture run: $([ $torture_ok = 1 ] && echo SUCCESS || echo FAILED); torture_locks at $(head -n 1 "$tmp/locks.txt"); events lost: $lost"
log "$(grep -c 'contention_begin:' "$tmp/trace.txt") contention_begin, $(grep -c 'contention_end:' "$tmp/trace.txt") contention_end, $(grep -c 'lock_acquired:' "$tmp/trace.txt") lock_acquired, $(grep -c 'lock_release:' "$tmp/trace.txt") lock_release"
grep -m 4 'qspin\|contention' "$tmp/trace.txt" | sed 's/^/# /'

# The trace, checked in one pass: every contention_end pairs with the last
# unpaired contention_begin on its CPU (nested levels: a stack per CPU),
# same lock, not earlier; every lock is one of the torture's; ret 0.
awk -v locks="$tmp/locks.txt" '
	BEGIN { while ((getline l < locks) > 0) ours[l] = 1 }
	function addr(s) { sub(/^0x/, "", s); return s }
	/ contention_begin: | contention_end: | lock_acquired: | lock_release: / {
		for (i = 1; i <= NF; i++)
			if ($i ~ /^\[[0-9]+\]$/) { cpu = $i; ts = $(i + 2) + 0; ev = $(i + 3); a = addr($(i + 4)); break }
		if (!(a in ours)) { foreign++; if (!bad) bad = "not a torture lock: " $0 }
	}
	/ contention_begin: / {
		begins++
		d = ++depth[cpu]; stk[cpu, d] = a; stt[cpu, d] = ts
		if (d > maxd) maxd = d
	}
	/ contention_end: / {
		ends++
		if (!/\(ret=0\)/) { badret++; if (!bad) bad = "ret not 0: " $0 }
		d = depth[cpu]
		if (d < 1 || stk[cpu, d] != a || stt[cpu, d] > ts) {
			unpaired++; if (!bad) bad = "no matching begin on " cpu ": " $0
		} else { paired++; depth[cpu]-- }
	}
	/ lock_acquired: / { acq++ }
	/ lock_release: / { rel++ }
	END {
		printf "begins=%d ends=%d paired=%d unpaired=%d badret=%d foreign=%d acquired=%d released=%d maxdepth=%d\n",
			begins, ends, paired, unpaired, badret, foreign, acq, rel, maxd
		if (bad) print "first problem: " bad
	}' "$tmp/trace.txt" > "$tmp/verdict.txt"
sed 's/^/# /' "$tmp/verdict.txt"
v() { head -n 1 "$tmp/verdict.txt" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
check "tracefs: contention_begin/end recorded during the contended run (no events lost)" \
	cond '[ $torture_ok = 1 ] && [ "$lost" = 0 ] && [ "$(v begins)" -gt 0 ] && [ "$(v ends)" -gt 0 ]'
check "tracefs: every lock_addr is one of the torture's locks" \
	cond '[ -s "$tmp/locks.txt" ] && [ "$(v foreign)" = 0 ] && [ "$(v begins)" -gt 0 ]'
check "tracefs: contention_end ret=0, each after a begin of its lock on its CPU" \
	cond '[ "$(v badret)" = 0 ] && [ "$(v unpaired)" = 0 ] && [ "$(v paired)" -gt 0 ]'
# Nested waits pair too (a stack per CPU); whether the 1 s run nested
# depends on timing (TCG, host load): not seen is a SKIP, not a pass.
if [ "$(v maxdepth)" -ge 2 ]; then
	ok "tracefs: nested waits paired (a CPU with $(v maxdepth) contention_begin open)"
else
	ok "tracefs: nested waits paired # SKIP no CPU had 2 waits open in this run"
fi
check "tracefs: lock_acquired and lock_release recorded, as many of each (+-1 per CPU)" \
	cond 'a=$(v acquired) r=$(v released); [ "$a" -gt 0 ] && [ $((a - r)) -le 4 ] && [ $((r - a)) -le 4 ]'
echo > "$tracing/trace"

# ---- 2. trace-cmd and 3. perf ------------------------------------------
# One torture run recorded by both at once (each attaches its own probes
# to the same tracepoints): trace-cmd alone takes 8-10 s to set up and
# tear down under TCG.
tc=0 pf=0
command -v trace-cmd >/dev/null 2>&1 && tc=1
command -v perf >/dev/null 2>&1 && pf=1
set -- sh "$self" --torture-only "$tmp/locks-run.txt"
[ $pf = 1 ] && set -- perf record -q -e 'qspin:*' -a -o "$tmp/perf.data" "$@"
[ $tc = 1 ] && set -- trace-cmd record -q -C global -e qspin -o "$tmp/trace.dat" "$@"
t0=$(cut -d' ' -f1 /proc/uptime)
(cd "$tmp" && "$@") > "$tmp/record.log" 2>&1
rec=$?
t1=$(cut -d' ' -f1 /proc/uptime)
log "$* exit $rec ($(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s)"
[ $rec = 0 ] || sed 's/^/# record: /' "$tmp/record.log" | head -n 5

if [ $tc = 1 ]; then
	trace-cmd report -i "$tmp/trace.dat" > "$tmp/report.txt" 2> "$tmp/report.err"
	rep=$?
	log "trace-cmd report exit $rep: $(wc -l < "$tmp/report.txt") lines"
	grep -m 2 'contention_begin:\|contention_end:' "$tmp/report.txt" | sed 's/^/# /'
	nb=$(grep -c 'contention_begin:' "$tmp/report.txt")
	ne=$(grep -c 'contention_end:.*(ret=0)' "$tmp/report.txt")
	first=$(grep -m 1 'contention_begin:' "$tmp/report.txt" |
		sed 's/.*contention_begin: *\(0x\)*\([0-9a-f]*\).*/\2/')
	check "trace-cmd: record -e qspin, report: contention_begin ($nb) and contention_end ret=0 ($ne)" \
		cond '[ $rec = 0 ] && [ $rep = 0 ] && [ "$nb" -gt 0 ] && [ "$ne" -gt 0 ]'
	# Nothing recorded: what the tools said, for whoever reads the log.
	if [ "$nb" = 0 ]; then
		{ head -n 5 "$tmp/record.log"; head -n 5 "$tmp/report.txt"; head -n 5 "$tmp/report.err"; } |
			sed 's/^/# trace-cmd said: /'
	fi
	check "trace-cmd: report's lock_addr ($first) is a torture lock" \
		cond '[ -n "$first" ] && grep -qx "$first" "$tmp/locks-run.txt"'
else
	ok "trace-cmd: record -e qspin # SKIP trace-cmd not in the initramfs"
	ok "trace-cmd: report's lock_addr # SKIP trace-cmd not in the initramfs"
fi

if [ $pf = 1 ]; then
	perf script -i "$tmp/perf.data" > "$tmp/perf.txt" 2> "$tmp/perf.err"
	scr=$?
	log "perf script exit $scr: $(wc -l < "$tmp/perf.txt") lines"
	grep -m 2 'qspin:contention' "$tmp/perf.txt" | sed 's/^/# /'
	nb=$(grep -c 'qspin:contention_begin:' "$tmp/perf.txt")
	ne=$(grep -c 'qspin:contention_end:.*(ret=0)' "$tmp/perf.txt")
	check "perf: record -e 'qspin:*' -a, script: contention_begin ($nb) and contention_end ret=0 ($ne)" \
		cond '[ $rec = 0 ] && [ $scr = 0 ] && [ "$nb" -gt 0 ] && [ "$ne" -gt 0 ]'
	[ "$nb" = 0 ] && head -n 5 "$tmp/perf.err" | sed 's/^/# perf said: /'
else
	ok "perf: record -e 'qspin:*' # SKIP perf not in the initramfs"
fi

rm -rf "$tmp"
echo "$old_clock" > "$tracing/trace_clock"
echo "$old_size" > "$tracing/buffer_size_kb"
echo 1 > "$tracing/tracing_on"
if [ $switched = 1 ]; then
	echo on > /sys/kernel/debug/qspin/stats
	echo on > /sys/kernel/debug/qspin/validate
else
	rmmod qspin 2>/dev/null
fi
tap_done
