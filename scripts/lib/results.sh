# SPDX-License-Identifier: GPL-2.0
# Sourced by the test scripts: one results file per suite, one line per test.
#
#   results_init SUITE        start build/results/SUITE.txt afresh
#   result PASS|FAIL|SKIP NAME [DETAIL]
#   results_plan N            the suite will record N results: fewer (or
#                             none at all) fail in scripts/summary.sh
#
# scripts/summary.sh adds every suite's lines up into make check's last line.
qspin_top=${qspin_top:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
results_dir=$qspin_top/build/results

results_init() {
	results_file=$results_dir/$1.txt
	mkdir -p "$results_dir"
	: > "$results_file"
}

result() {
	local verdict=$1 name=$2
	shift 2
	printf '%s %s%s\n' "$verdict" "$name" "${*:+ # $*}" >> "$results_file"
	printf '[%s] %s%s\n' "$verdict" "$name" "${*:+ ($*)}" >&2
}

results_plan() {
	printf 'PLAN %s\n' "$1" >> "$results_file"
}
