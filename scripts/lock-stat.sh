#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Pretty-prints qspin's lock_stat (debugfs qspin/lock_stat, the layout of the
# kernel's /proc/lock_stat) as a table sorted by one column, top N, with the
# busiest contention point of each class. POSIX sh and awk: runs on the host
# on a captured file or in the test VM (BusyBox) on the live one.
#
#   scripts/lock-stat.sh [-s wait|contentions|hold|acquisitions|bounces] [-n N] [FILE]
#
#   -s KEY   sort by total wait time (default), contentions, total hold time,
#            acquisitions, or contention bounces; largest first
#   -n N     the first N classes (default 20; 0: all)
#   FILE     a captured lock_stat ("-": standard input); default the live
#            /sys/kernel/debug/qspin/lock_stat
# Times in the table are in ms (lock_stat prints us).
set -eu

key=wait
top=20
usage() { sed -n '8p' "$0" | sed 's/^# *//' >&2; exit 2; }
while getopts s:n:h opt; do
	case $opt in
	s) key=$OPTARG ;;
	n) top=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
file=${1:-/sys/kernel/debug/qspin/lock_stat}
case $key in
wait|contentions|hold|acquisitions|bounces) ;;
*) echo "lock-stat: unknown sort key '$key' (wait, contentions, hold, acquisitions, bounces)" >&2; exit 2 ;;
esac
case $top in
''|*[!0-9]*) echo "lock-stat: -n wants a number, not '$top'" >&2; exit 2 ;;
esac
[ "$file" = - ] || [ -r "$file" ] || { echo "lock-stat: cannot read $file" >&2; exit 1; }
[ "$file" = - ] && file=/dev/stdin

awk -v key="$key" '
# A class row: the name (it may hold spaces), then 12 numbers.
function flush() {
	if (name == "")
		return
	sk = key == "wait" ? f[6] : key == "contentions" ? f[3] : \
	     key == "hold" ? f[12] : key == "acquisitions" ? f[9] : f[2]
	printf "%s\t%-32s %11s %9s %10s %10s %10s %12s %10s %10s %10s  %s\n",
		sk, substr(name, 1, 32), f[3], f[2], ms(f[6]), ms(f[7]), ms(f[5]),
		f[9], f[8], ms(f[13]), ms(f[11]), point == "" ? "-" : point " (" pmax ")"
	name = ""
}
function ms(us) { return sprintf("%.3f", us / 1000) }
/^lock_stat version/ { seen = 1; next }
/^\*WARNING\*/ { print "# " $0 > "/dev/stderr"; next }
NF >= 13 && $(NF - 12) ~ /:$/ {
	flush()
	name = $1
	for (i = 2; i <= NF - 12; i++)
		name = name " " $i
	sub(/:$/, "", name)
	if (name == "class name")
		next
	for (i = 1; i <= 12; i++)
		f[i + 1] = $(NF - 12 + i)
	f[1] = name
	dashes = 0; point = ""; pmax = -1
	next
}
/^ *-+$/ { dashes++; next }
# A call-site line: name, count, [<address>], symbol. The first block
# after a row holds the contention points, the second the contending ones.
dashes == 1 && name != "" {
	for (i = 1; i <= NF; i++)
		if ($i ~ /^\[<.*>\]$/)
			break
	if (i <= NF && $(i - 1) + 0 > pmax) {
		pmax = $(i - 1) + 0
		point = $(i + 1)
	}
}
END {
	flush()
	if (!seen) {
		print "lock-stat: no \"lock_stat version\" header: not a lock_stat file" > "/dev/stderr"
		exit 1
	}
}' "$file" > "${TMPDIR:-/tmp}/lock-stat.$$" || { rm -f "${TMPDIR:-/tmp}/lock-stat.$$"; exit 1; }

printf '%-32s %11s %9s %10s %10s %10s %12s %10s %10s %10s  %s\n' \
	"class" "contentions" "con-bnc" "wait-ms" "wait-avg" "wait-max" \
	"acquisitions" "acq-bnc" "hold-avg" "hold-max" "top contention point (count)"
sort -t "$(printf '\t')" -k1,1nr "${TMPDIR:-/tmp}/lock-stat.$$" |
	if [ "$top" -gt 0 ]; then head -n "$top"; else cat; fi | cut -f2-
rm -f "${TMPDIR:-/tmp}/lock-stat.$$"
