#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make check's last word: every suite's results added up, failures named.
# Exit status 1 when anything failed or when no test ran at all.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$top/build/results
pass=0 fail=0 skip=0
shopt -s nullglob
# A suite that recorded nothing, or fewer results than it planned
# (results_plan), fails: a count that shrinks silently is a defect.
for f in "$dir"/*.txt; do
	suite=$(basename "$f" .txt)
	n=0 plan=
	while read -r verdict name rest; do
		case $verdict in
		PASS) pass=$((pass + 1)); n=$((n + 1)) ;;
		FAIL) fail=$((fail + 1)); n=$((n + 1)); echo "FAILED: $suite: $name ${rest}" ;;
		SKIP) skip=$((skip + 1)); n=$((n + 1)) ;;
		PLAN) plan=$((${plan:-0} + name)) ;;
		esac
	done < "$f"
	if [ "$n" -eq 0 ]; then
		fail=$((fail + 1)); echo "FAILED: $suite: recorded no result"
	elif [ -n "$plan" ] && [ "$n" -lt "$plan" ]; then
		fail=$((fail + 1)); echo "FAILED: $suite: recorded $n results of $plan planned"
	fi
done
line="$pass passed, $fail failed"
[ "$skip" -gt 0 ] && line="$line, $skip skipped"
echo "$line"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
