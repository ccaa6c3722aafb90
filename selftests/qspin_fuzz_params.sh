#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Hostile input for every qspin module (issue 13, "Hostile input"), part 2:
# the loads (qspin_fuzz.sh is part 1, the writes). Each module is loaded
# with each integer parameter below and above its documented range and with
# garbage (and its strings and switches with garbage): the load must fail
# with EINVAL (the kernel's own parsers say ERANGE for a number that does
# not fit the parameter's C type, and ENOSPC for a string longer than its
# buffer), a kernel line must name the parameter, and nothing may stay
# loaded; never a splat.
#
# test_qspin.ko is not loaded: it has no parameter (loading it runs the
# in-kernel suite, qspin_module.sh's job).
# Expected console output: the refusals' lines, nothing of note
# (vm-selftests.sh checks this test's part of the console strictly).
# Exit: 0 pass, 1 fail, 4 skip (qspin.ko not installed).
# POSIX sh: the VM runs BusyBox ash.

. "$(dirname "$0")/qspin_tap.sh"
. "$(dirname "$0")/qspin_clients.sh"

echo "TAP version 13"
tap_need qspin

# ---- out-of-range parameters at load -------------------------------------------
# refused MODULE PARAM=VALUE [MORE ARGS]: the load fails with EINVAL (or
# ENOSPC when named), a kernel line names PARAM, the module is not loaded.
refused() {
	mod=$1 arg=$2
	shift 2
	param=${arg%%=*}
	name=$(echo "$mod" | tr - _)
	lines=$(dmesg | wc -l)
	msg=$(/sbin/modprobe "$mod" "$arg" "$@" 2>&1)
	rc=$?
	new=$(dmesg | tail -n +$((lines + 1)))
	line=$(echo "$new" | grep -F "$param" | head -n 1 | sed 's/^\[[ 0-9.]*\] //')
	err=EINVAL
	echo "$msg" | grep -q 'No space left' && err=ENOSPC
	echo "$msg" | grep -q 'out of range' && err=ERANGE
	if [ $rc != 0 ] && echo "$msg" | grep -Eq 'Invalid argument|No space left|Numerical result out of range' &&
	   [ -n "$line" ] && ! loaded "$name" &&
	   ! echo "$new" | no_kcsan | grep -Eq 'BUG:|WARNING:|Oops|Call Trace:'; then
		ok "$mod $arg refused ($err): $line"
	else
		nok "$mod $arg $* (status $rc, '$msg', kernel line '$line', loaded: $(loaded "$name" && echo yes || echo no))"
		loaded "$name" && rmmod "$name"
	fi
}

unload_all || { nok "unload every qspin module first"; tap_done; }
mark start
for a in spin_timeout_ms=9 spin_timeout_ms=10001 spin_timeout_ms=-1 \
	spin_timeout_ms=4294967296 spin_timeout_ms=abc spin_timeout_ms= \
	validate=2 detect=x stats=maybe; do
	refused qspin "$a"
done
modprobe qspin || nok "modprobe qspin"
check "qspin.ko back with its defaults (spin_timeout_ms 5000)" \
	cond '[ "$(cat /sys/module/qspin/parameters/spin_timeout_ms)" = 5000 ]'

for a in hold_ms=0 hold_ms=1001 hold_ms=-1 hold_ms=abc cross_hold_us=0 \
	cross_hold_us=10001 cross_hold_us=4294967296 scenario=bogus \
	source=bogus allow_lockup=2; do
	refused qspin-demo "$a"
done
refused qspin-demo runs=0 scenario=irq-fixed
refused qspin-demo runs=10001 scenario=irq-fixed
refused qspin-demo runs=-1 scenario=irq-fixed

for a in nwriters=-2 nwriters=1025 nwriters=abc duration=-1 duration=604801 \
	stat_interval=-1 stat_interval=3601 short_hold_us=-1 short_hold_us=1001 \
	long_hold_ms=-1 long_hold_ms=101 long_hold_freq=-1 \
	long_hold_freq=2147483648 sleep_freq=-1 irq_interval_us=-1 \
	irq_interval_us=99 irq_interval_us=1000001 \
	onoff_interval=-1 onoff_interval=3600001 onoff_holdoff=-1 onoff_holdoff=3601 stutter=-1 stutter=3601 \
	checked=-1 checked_long_freq=-1 torture_type=bogus \
	torture_type=a_name_longer_than_its_buffer nest=maybe nmi=2 verbose=x; do
	refused qspin-torture "$a"
done

for a in rounds=0 rounds=1001 tests=0 tests=16 types=0 types=8 \
	variants=0 variants=8 batches=0 batches=1002 batch_iters=0 \
	batch_iters=1000001 duration_ms=0 duration_ms=10001 max_cpus=-1 \
	max_cpus=100000 cs_work=-1 cs_work=100001 ncs_work=-1 \
	ncs_work=100001 ncs_work=9999999999 rounds=abc; do
	refused qspin-bench "$a"
done

refused qspin_lockcheck cases=bogus
refused qspin_lockcheck leak=4 cases=none
refused qspin_lockcheck leak=-1 cases=none
refused qspin_lockcheck leak=abc cases=none
refused qspin_lockcheck list=maybe cases=none
refused test_qspin_mistakes leak_at_init=maybe

if /sbin/modprobe -n -q qspin-compat-sample 2>/dev/null; then
	for a in iterations=1000001 iterations=-1 rounds=0 rounds=10001 rounds=abc; do
		refused qspin-compat-sample "$a"
	done
else
	ok "qspin-compat-sample.ko parameters # SKIP not built for this kernel (PREEMPT_RT)"
fi
check "out-of-range parameters: no splat" clean start

check "alive: the demo loads and runs" \
	cond 'modprobe qspin-demo && printf irq-fixed > /sys/kernel/debug/qspin-demo/run && rmmod qspin-demo'
tap_done
