#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make check's last word: every suite's results added up, failures named.
# Exit status 1 when anything failed or when no test ran at all.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$top/build/results
pass=0 fail=0 skip=0
shopt -s nullglob
for f in "$dir"/*.txt; do
	suite=$(basename "$f" .txt)
	while read -r verdict name rest; do
		case $verdict in
		PASS) pass=$((pass + 1)) ;;
		FAIL) fail=$((fail + 1)); echo "FAILED: $suite: $name ${rest}" ;;
		SKIP) skip=$((skip + 1)) ;;
		esac
	done < "$f"
done
line="$pass passed, $fail failed"
[ "$skip" -gt 0 ] && line="$line, $skip skipped"
echo "$line"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
