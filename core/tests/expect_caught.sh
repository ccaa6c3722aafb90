#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs a mutant test binary and inverts the verdict: exits 0 ("caught") when
# the run fails, crashes or outlives its time limit, 1 ("survived") when it
# passes. With --expect REGEX the failure must also print REGEX (the
# ordering-only mutation is caught by a ThreadSanitizer report and nothing
# else).
#
#   expect_caught.sh [--timeout SECONDS] [--expect REGEX] -- BINARY [ARGS...]
set -u
limit=30 expect=
while [ $# -gt 0 ]; do
	case $1 in
	--timeout) limit=$2; shift 2 ;;
	--expect) expect=$2; shift 2 ;;
	--) shift; break ;;
	*) echo "expect_caught.sh: bad argument $1" >&2; exit 2 ;;
	esac
done
[ -x "${1:-}" ] || { echo "expect_caught.sh: no executable '${1:-}'" >&2; exit 2; }

log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$SECONDS
# --gtest_fail_fast: stop at the first failing test, a caught mutant needs
# nothing more. KILL after the limit: a hung mutant counts as caught.
timeout -s KILL "$limit" "$@" --gtest_fail_fast >"$log" 2>&1
rc=$?
took=$((SECONDS - start))
tail -n 25 "$log"
echo "--- mutant exited with status $rc after ${took}s"
if [ $rc -eq 0 ]; then
	echo "SURVIVED: the mutant passed the whole stress suite"
	exit 1
fi
if [ -n "$expect" ] && ! grep -Eq "$expect" "$log"; then
	echo "NOT CAUGHT AS EXPECTED: failed without printing /$expect/"
	exit 1
fi
case $rc in
137) why="killed after the ${limit}s limit (hang)" ;;
124) why="watchdog fired (hang)" ;;
*) why="failed" ;;
esac
echo "CAUGHT: $why"
exit 0
