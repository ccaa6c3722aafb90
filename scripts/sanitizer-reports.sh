#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The sanitizer kernels' reports, sorted into those that involve qspin and
# those that do not (scripts/check-sanitizers.sh).
#
#   scripts/sanitizer-reports.sh filter [--dropped FILE] < CONSOLE > CHECKED
#   scripts/sanitizer-reports.sh kmemleak OUT.log
#
# filter    copies a console log, leaving out each KASAN and KCSAN report
#           ("BUG: KASAN: ..." / "BUG: KCSAN: ..." up to the "=====" line
#           that closes it) in which nothing names qspin: no function,
#           module ([qspin], [qspin_torture], [test_qspin], ...) or task of
#           qspin's. The tiny kernel races with itself now and then (KCSAN
#           reports on scheduler and timer statistics), and those are not
#           qspin's to fix. In a KCSAN report, what names qspin is its
#           title (the two functions that raced) and each access's frames
#           down to the first interrupt entry or dispatcher (asm_sysvec_*,
#           __hrtimer_run_queues, handle_softirqs, ...): below those are
#           the code the interrupt happened to land in, not the access's
#           callers (a timer interrupt racing with itself over a qspin
#           torture thread is the kernel's race). And a KCSAN report whose
#           two racing functions are both in scripts/kcsan-kernel-races.txt
#           is the kernel's own. What it keeps goes to scripts/check-console.sh,
#           which fails on it like on any other splat. --dropped FILE gets
#           the headline of each report left out, one a line.
# kmemleak  prints the records of a /sys/kernel/debug/kmemleak dump (between
#           the KMEMLEAK-BEGIN and KMEMLEAK-END lines of a guest's output)
#           that involve qspin: a frame or task naming it, or a frame in a
#           module that was unloaded since (a bare module address: qspin's
#           are the only modules in the sanitizer VM); then a line
#           "kmemleak: N unreferenced objects, M involving qspin". Exit
#           status 1 when M > 0, 2 when the dump is missing.
set -uo pipefail

qspin_re='qspin'
# A frame where interrupt handling begins: entry code, or a function that
# runs handlers, callbacks or softirqs.
irq_entry_re='[[:space:]](asm_(sysvec|common_interrupt|exc)_?[a-z_]*|__sysvec_[a-z_]+|handle_softirqs|__do_softirq|__hrtimer_run_queues|__handle_irq_event_percpu|irq_work_(single|run_list)|tasklet_action_common|call_timer_fn|__run_timers)\+'

case ${1:-} in
filter)
	shift
	dropped=/dev/null
	[ "${1:-}" = --dropped ] && { dropped=$2; shift 2; }
	: > "$dropped"
	own=$(grep -v '^#' "$(dirname "$0")/kcsan-kernel-races.txt" | tr '\n' ' ')
	awk -v re="$qspin_re" -v entry="$irq_entry_re" -v own="$own" -v dropped="$dropped" '
	BEGIN { n_own = split(own, o, " "); for (i = 1; i <= n_own; i++) kernels[o[i]] = 1 }
	# Both racing functions of a KCSAN title ("data-race in A / B", each
	# maybe "+0x12/0x34" and "[module]") are the kernel'"'"'s own.
	function own_race(t,    a, b) {
		if (!sub(/.*BUG: KCSAN: data-race in /, "", t))
			return 0
		split(t, ab, " / ")
		a = ab[1]; b = (2 in ab) ? ab[2] : ab[1]
		sub(/[+ ].*/, "", a); sub(/[+ ].*/, "", b)
		return (a in kernels) && (b in kernels)
	}
	function flush(keep,    i) {
		if (keep || n == 0)
			for (i = 1; i <= n; i++)
				print buf[i]
		else
			print head >> dropped
		n = 0; inrep = 0
	}
	!inrep && /BUG: K[AC]SAN: / {
		inrep = 1; keep = 0; n = 0
		head = $0; sub(/^.*BUG: /, "BUG: ", head)
		kcsan = head ~ /^BUG: KCSAN: /
		access = 0; cut = 0; kernels_race = 0
	}
	inrep {
		buf[++n] = $0
		if (!kcsan) {
			if ($0 ~ re)
				keep = 1
		} else if (n == 1) {
			if (own_race($0))
				kernels_race = 1
			else if ($0 ~ re)
				keep = 1
		} else if (kernels_race) {
			# the kernel'"'"'s own race: nothing in it counts
		} else if ($0 ~ / by (task [0-9]+|interrupt) on cpu [0-9]+:$/) {
			access = 1; cut = 0
		} else if ($0 ~ /\] *$/) {
			access = 0
		} else if (access && !cut) {
			if ($0 ~ entry)
				cut = 1
			else if ($0 ~ re)
				keep = 1
		}
		# The closing rule: ===...=== after the headline.
		if (n > 1 && $0 ~ /\] =================/)
			flush(keep)
		# A report that never closes (the log ended, or 400 lines).
		else if (n >= 400)
			flush(1)
		next
	}
	{ print }
	END { if (inrep) flush(keep) }'
	;;
kmemleak)
	out=$2
	grep -q '^KMEMLEAK-BEGIN' "$out" || { echo "kmemleak: no dump in $out"; exit 2; }
	awk -v re="$qspin_re" '
	function flush() {
		if (n == 0)
			return
		total++
		if (keep) {
			bad++
			for (i = 1; i <= n; i++)
				print buf[i]
		}
		n = 0; keep = 0
	}
	/^KMEMLEAK-BEGIN/ { in_dump = 1; next }
	/^KMEMLEAK-END/ { flush(); in_dump = 0; next }
	!in_dump { next }
	/^unreferenced object/ { flush() }
	{
		buf[++n] = $0
		if ($0 ~ re)
			keep = 1
		# "[<ffffffffc0123456>] 0xffffffffc0123456": a frame in a
		# module that is gone (the modules area, no symbol).
		if ($0 ~ /\[<ffffffff[a-f][0-9a-f]+>\] 0xffffffff[a-f][0-9a-f]+$/)
			keep = 1
	}
	END {
		flush()
		printf "kmemleak: %d unreferenced objects, %d involving qspin\n", total, bad
		exit bad ? 1 : 0
	}' "$out"
	;;
*)
	sed -n '3,9p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
	;;
esac
