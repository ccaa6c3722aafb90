#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The atomics seam is whole: no header of the core calls an __atomic or
# __sync builtin except lock_word.h's defaults for the QSPIN_ATOMIC_*
# macros (the block from `#ifndef QSPIN_ATOMIC_LOAD` to its `#endif`).
# An atomic operation written around the seam would be invisible to a
# host environment that observes or schedules each one.
#
#   check_atomic_seam.sh DIR...     the folders of the core's headers
set -u
[ $# -gt 0 ] || { echo "usage: check_atomic_seam.sh DIR..." >&2; exit 2; }

bad=0 seam=0
for f in $(find "$@" -name '*.h' | sort); do
	out=$(awk '
		/^#ifndef QSPIN_ATOMIC_LOAD/ { in_seam = 1; seam = 1 }
		/(__atomic_[a-z_]+|__sync_[a-z_]+)[ \t]*\(/ && !in_seam {
			printf "%s:%d: %s\n", FILENAME, FNR, $0
		}
		in_seam && /^#endif/ { in_seam = 0 }
		END { if (seam) print "SEAM" }' "$f")
	grep -q '^SEAM$' <<<"$out" && seam=$((seam + 1))
	if grep -v '^SEAM$' <<<"$out" | grep -q .; then
		grep -v '^SEAM$' <<<"$out"
		bad=1
	fi
done
if [ "$seam" -ne 1 ]; then
	echo "expected one seam block (#ifndef QSPIN_ATOMIC_LOAD), found $seam"
	bad=1
fi
[ $bad -eq 0 ] && echo "every atomic builtin of the core is behind the seam"
exit $bad
