#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Checks a VM console log for kernel splats.
#
#   scripts/check-console.sh LOG [--expect ERE]... [--allow ERE]...
#        [--test NAME [--expect ERE]... [--allow ERE]...]... [--quiet]
#
# Fails (exit 1) on any kernel message that reports trouble: BUG:, WARNING:,
# Oops, general protection fault, Kernel panic, soft/hard lockups, RCU stalls
# (rcu: INFO: ..., ... self-detected stall ...), hung tasks, UBSAN/KASAN, and
# stray Call Trace: / NMI backtrace blocks, printing each one with a few lines
# of context. Only kernel lines count (those with a printk timestamp: vm-run.sh
# boots with printk.time=1), so user-space output on the console cannot trip it.
#
# A splat is one headline (e.g. "watchdog: BUG: soft lockup - CPU#1 stuck")
# plus its Call Trace:/NMI backtrace lines up to "---[ end trace" or the next
# headline. A splat is expected when any of its lines matches an ERE given
# with --expect (which must then match at least once, or the check fails) or
# --allow (which may match); they match against the splat's lines only. Tests that provoke one declare it, e.g.
#   scripts/check-console.sh LOG --expect 'BUG: soft lockup' --allow 'Kernel panic'
# --test NAME scopes the --expect/--allow after it (up to the next --test) to
# one kselftest's part of the log: from the runner's "# selftests: qspin:
# NAME" line to its "ok N selftests: qspin: NAME" (the guest's output is on
# the console too). A splat there is judged by that test's list alone (the
# global ones do not apply), so a test fails on any report it does not
# declare; its --expect must match there when the test ran at all.
# The out-of-tree / unsigned-module taint lines are not trouble.
set -uo pipefail

usage() { sed -n '5p' "$0" | sed 's/^# //' >&2; exit 2; }
[ $# -ge 1 ] || usage
log=$1
shift
expect=() allow=() scoped=() quiet=0 test=''
while [ $# -gt 0 ]; do
	case $1 in
	--test) test=$2; scoped+=("$test"$'\t'scope$'\t'); shift 2 ;;
	--expect|--allow)
		if [ -n "$test" ]; then
			scoped+=("$test"$'\t'"${1#--}"$'\t'"$2")
		elif [ "$1" = --expect ]; then
			expect+=("$2")
		else
			allow+=("$2")
		fi
		shift 2 ;;
	--quiet) quiet=1; shift ;;
	*) usage ;;
	esac
done
[ -r "$log" ] || { echo "check-console: cannot read $log" >&2; exit 2; }

headlines=(
	'BUG:' 'WARNING:' 'Oops' 'general protection fault' 'kernel BUG at'
	'Kernel panic' 'soft lockup' 'hard LOCKUP' 'self-detected stall'
	'detected stalls on CPU' 'rcu: INFO:' 'rcu_sched kthread starved'
	'rcu_preempt kthread starved' 'INFO: task .* blocked for more than'
	'UBSAN:' 'KASAN:' 'KFENCE:' 'Unable to handle kernel' 'stack-protector'
	'list_add corruption' 'list_del corruption' 'Watchdog detected hard LOCKUP'
	'BUG: scheduling while atomic' 'INFO: possible .*locking'
	'qspin: possible same-CPU deadlock' 'qspin: possible recursive locking'
)
continuations=('Call Trace:' 'NMI backtrace for cpu')
ignore=('loading out-of-tree module taints kernel'
	'module verification failed: signature and/or required key missing')

join() { local IFS=$'\n'; echo "$*"; }
export CC_HEAD CC_CONT CC_IGN CC_EXP CC_ALLOW CC_SCOPED
CC_HEAD=$(join "${headlines[@]}")
CC_CONT=$(join "${continuations[@]}")
CC_IGN=$(join "${ignore[@]}")
CC_EXP=$(join "${expect[@]}")
CC_ALLOW=$(join "${allow[@]}")
CC_SCOPED=$(join "${scoped[@]}")

awk -v quiet="$quiet" '
function load(name, arr,    n) {
	n = 0
	if (ENVIRON[name] != "")
		n = split(ENVIRON[name], arr, "\n")
	return n
}
function anymatch(s, arr, n,    i) {
	for (i = 1; i <= n; i++)
		if (s ~ arr[i])
			return i
	return 0
}
BEGIN {
	nh = load("CC_HEAD", head); nc = load("CC_CONT", cont)
	ni = load("CC_IGN", ign); ne = load("CC_EXP", expa); na = load("CC_ALLOW", alw)
	# Per-test lists: "TEST<TAB>expect|allow|scope<TAB>ERE".
	nsc = load("CC_SCOPED", sc)
	for (i = 1; i <= nsc; i++) {
		split(sc[i], f, "\t")
		scope[f[1]] = 1
		if (f[2] == "scope")
			continue
		nk++; kt[nk] = f[1]; kk[nk] = f[2]; kre[nk] = f[3]
	}
	ts = "\\[ *[0-9]+\\.[0-9]+\\]"
	cur = 0; nsplat = 0; sect = ""
}
# First pass: does the log have printk timestamps at all?
FNR == NR { if ($0 ~ ts) stamped = 1; next }
{ sub(/\r$/, ""); line[FNR] = $0 }
# Which kselftest this part of the log belongs to: the runner lines.
/^# selftests: qspin: [^ ]+$/ { sect = $4; ran[sect] = 1; cur = 0; next }
/^(not )?ok [0-9]+ selftests: qspin: / { sect = ""; cur = 0; next }
/---\[ end trace/ { cur = 0 }
{
	if (anymatch($0, ign, ni))
		next
	# Only what follows a printk timestamp is the kernel speaking (unless
	# the log has no timestamps at all).
	k = match($0, ts)
	if (stamped && !k)
		next
	text = k ? substr($0, k) : $0
	ish = anymatch(text, head, nh)
	isc = !ish && anymatch(text, cont, nc)
	if (!ish && !isc)
		next
	if (ish || !cur || FNR - last[cur] > 200) {
		cur = ++nsplat
		first[cur] = FNR
		where[cur] = sect
	}
	last[cur] = FNR
	if (where[cur] in scope) {
		for (k = 1; k <= nk; k++)
			if (kt[k] == where[cur] && text ~ kre[k]) {
				expected[cur] = 1
				if (kk[k] == "expect")
					kseen[k] = 1
			}
		next
	}
	if ((e = anymatch(text, expa, ne)) > 0) {
		seen[e] = 1
		expected[cur] = 1
	}
	if (anymatch(text, alw, na))
		expected[cur] = 1
}
END {
	bad = 0; shown = 0
	for (s = 1; s <= nsplat; s++) {
		if (expected[s])
			continue
		bad++
		if (quiet || ++shown > 5)
			continue
		from = first[s] - 3; if (from < 1) from = 1
		to = last[s] + 6; if (to > first[s] + 16) to = first[s] + 16
		if (to > FNR) to = FNR
		printf "check-console: unexpected%s at line %d: %s\n",
			where[s] in scope ? " in " where[s] : "", first[s], line[first[s]]
		for (i = from; i <= to; i++)
			printf "  | %s\n", line[i]
	}
	if (bad > 5 && !quiet)
		printf "check-console: ... %d more\n", bad - 5
	for (e = 1; e <= ne; e++)
		if (!seen[e]) {
			printf "check-console: expected but not seen: %s\n", expa[e]
			bad++
		}
	for (k = 1; k <= nk; k++)
		if (kk[k] == "expect" && (kt[k] in ran) && !kseen[k]) {
			printf "check-console: expected in %s but not seen: %s\n", kt[k], kre[k]
			bad++
		}
	exit bad ? 1 : 0
}' "$log" "$log" >&2
