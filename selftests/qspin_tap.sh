# SPDX-License-Identifier: GPL-2.0
# TAP helpers for qspin's shell kselftests: sourced, not run (POSIX sh: the
# test VM runs BusyBox ash). Each test prints "TAP version 13", a result line
# per check, and "1..N" at the end (tap_done), and exits 0 when all passed,
# 1 when any failed, 4 (kselftest's skip) when it could not run at all.
#
#   ok DESC / nok DESC [# DETAIL]   one result line
#   check DESC COMMAND...           ok or not ok by COMMAND's status
#   cond 'SHELL CONDITION'          a condition as a command, for check
#   log TEXT                        a diagnostic line ("# TEXT")
#   tap_skip_all REASON             "1..0 # SKIP REASON", exit 4
#   tap_need MODULE...              tap_skip_all unless each is installed
#                                   (kmod's /sbin/modinfo)
#   tap_done                        the plan line, and the exit status
#   no_kcsan                        a filter: dmesg text minus KCSAN's report
#                                   titles, for the tests' splat checks

ksft_skip=4
n=0
fails=0

ok() { n=$((n + 1)); echo "ok $n $*"; }
nok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n $*"; }
log() { echo "# $*"; }
check() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else nok "$desc"; fi
}
cond() { eval "$1"; }
# KCSAN's data-race reports are judged on the host, where
# scripts/sanitizer-reports.sh tells qspin's from the kernel's own races,
# which land in any test's window on the KCSAN kernel: a test's own splat
# check leaves them out (make check-sanitizers' console check does not).
no_kcsan() { grep -v 'BUG: KCSAN: '; }
tap_skip_all() { echo "1..0 # SKIP $*"; exit $ksft_skip; }
tap_need() {
	for m in "$@"; do
		/sbin/modinfo "$m" >/dev/null 2>&1 || tap_skip_all "$m.ko not installed"
	done
}
tap_done() {
	echo "1..$n"
	[ "$fails" -eq 0 ] || exit 1
	exit 0
}
