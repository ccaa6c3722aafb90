# SPDX-License-Identifier: GPL-2.0
# Sourced (after qspin_tap.sh) by qspin_fuzz.sh, qspin_fuzz_params.sh,
# qspin_cycles.sh and qspin_toggle.sh: qspin.ko's client modules, loading state, and dmesg since
# a mark (the sourcing script's name and PID in it). POSIX sh.

mark() { echo "${0##*/}: mark $1 $$" > /dev/kmsg; }
since() { dmesg | sed -n "/${0##*/}: mark $1 $$/,\$p"; }
# Nothing a kernel or qspin report would print since the mark.
clean() { ! since "$1" | no_kcsan | grep -Eq 'BUG:|WARNING:|Oops|Call Trace:|soft lockup|rcu: INFO|general protection|qspin: possible'; }
loaded() { grep -q "^$1 " /proc/modules; }

CLIENTS="qspin_demo qspin_torture qspin_bench test_qspin test_qspin_mistakes qspin_lockcheck qspin_compat_sample"
# Every client, then qspin.ko; true when qspin.ko is gone.
unload_all() {
	for m in $CLIENTS; do
		loaded "$m" && rmmod "$m"
	done
	loaded qspin && rmmod qspin
	! loaded qspin
}
