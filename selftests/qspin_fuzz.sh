#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Hostile input for every qspin module (issue 13, "Hostile input"), part 1:
# the writes (qspin_fuzz_params.sh is part 2, the loads).
#
# Each module loaded in turn (qspin.ko with a torture running on it, so
#  that its switches flip under load; the demo; the torture; the bench; the
#    test modules; the scenario matrix; the spinlock_t sample): qspin_fuzz
#    (qspin_fuzz.c says what it writes and what each file may accept) writes
#    every debugfs file and module parameter of it, thousands of writes in
#    all, with readers reading every file at the same time; no failure, no
#    setting changed, no splat.
# Not loaded: test_qspin.ko (no parameter, no debugfs file: loading it runs
# the in-kernel suite, qspin_module.sh's job).
# Expected console output: none of note (vm-selftests.sh checks this test's
# part of the console strictly: no report at all may appear in it).
# Exit: 0 pass, 1 fail, 4 skip (qspin.ko not installed).
# POSIX sh: the VM runs BusyBox ash.

here=$(dirname "$0")
fuzz=$here/qspin_fuzz
. "$here/qspin_tap.sh"
. "$here/qspin_clients.sh"

echo "TAP version 13"
tap_need qspin
[ -x "$fuzz" ] || tap_skip_all "no $fuzz"

# Writes per module (qspin.ko has most files; read-only ones get few).
WRITES_QSPIN=${QSPIN_FUZZ_WRITES:-1200}
seed=${QSPIN_FUZZ_SEED:-$(date +%s)}

total=0
out=/tmp/qspin_fuzz.$$
# fuzz DESC WRITES MODULE [DEBUGFS_DIR]: one qspin_fuzz run, its summary
fuzz_run() {
	desc=$1 writes=$2
	shift 2
	seed=$((seed + 1))
	timeout 240 "$fuzz" -n "$writes" -s "$seed" "$@" > "$out" 2>&1
	rc=$?
	sed 's/^/# /' "$out"
	w=$(sed -n 's/^fuzz .*: writes \([0-9]*\) .*/\1/p' "$out")
	total=$((total + ${w:-0}))
	check "fuzz $desc: ${w:-no} writes, no failure (seed $seed, status $rc)" [ $rc = 0 ]
}

unload_all || { nok "unload every qspin module first"; tap_done; }
modprobe qspin || { nok "modprobe qspin"; tap_done; }
mark start

# ---- 1. fuzzing ------------------------------------------------------------
mark fuzz
# A light torture (writers sleep often, slow timers): enough to flip the
# switches under load in every context, not so much that TCG crawls.
if modprobe qspin-torture nwriters=2 stat_interval=0 irq_interval_us=10000 nmi=0 \
		sleep_freq=2 long_hold_freq=0; then
	fuzz_run "qspin.ko under a torture" "$WRITES_QSPIN" qspin qspin
	check "torture still running (no failure so far)" cond '! since fuzz | grep -q "End of test: FAILURE"'
	fuzz_run "qspin-torture.ko" 100 qspin_torture
	rmmod qspin-torture
	check "torture: SUCCESS at rmmod" cond 'since fuzz | grep -q "End of test: SUCCESS"'
else
	nok "modprobe qspin-torture"
fi
check "qspin.ko: no splat" clean fuzz

mark demo
if modprobe qspin-demo; then
	fuzz_run "qspin-demo.ko" 500 qspin_demo qspin-demo
	check "demo: a run after the fuzzing passes" \
		cond 'printf irq-fixed > /sys/kernel/debug/qspin-demo/run && grep -q "^verdict PASS$" /sys/kernel/debug/qspin-demo/last'
	rmmod qspin-demo
else
	nok "modprobe qspin-demo"
fi
check "qspin-demo.ko: no splat" clean demo

mark bench
if modprobe qspin-bench rounds=1 tests=1 types=1 variants=1 batches=1 batch_iters=10; then
	fuzz_run "qspin-bench.ko" 100 qspin_bench qspin_bench
	rmmod qspin-bench
else
	nok "modprobe qspin-bench"
fi
check "qspin-bench.ko: no splat" clean bench

mark tqm
if modprobe test_qspin_mistakes; then
	fuzz_run "test_qspin_mistakes.ko (its mistake files excluded)" 50 \
		test_qspin_mistakes test_qspin_mistakes
	rmmod test_qspin_mistakes
else
	nok "modprobe test_qspin_mistakes"
fi
check "test_qspin_mistakes.ko: no splat" clean tqm

mark lockcheck
if modprobe qspin_lockcheck cases=none; then
	fuzz_run "qspin_lockcheck.ko" 100 qspin_lockcheck
	rmmod qspin_lockcheck
else
	nok "modprobe qspin_lockcheck cases=none"
fi
check "qspin_lockcheck.ko: no splat" clean lockcheck

mark sample
if /sbin/modprobe -n -q qspin-compat-sample 2>/dev/null; then
	if modprobe qspin-compat-sample iterations=10 rounds=1; then
		fuzz_run "qspin-compat-sample.ko" 100 qspin_compat_sample
		rmmod qspin-compat-sample
	else
		nok "modprobe qspin-compat-sample"
	fi
else
	ok "qspin-compat-sample.ko # SKIP not built for this kernel (PREEMPT_RT)"
fi
check "qspin-compat-sample.ko: no splat" clean sample
log "fuzz writes in all: $total"
check "thousands of writes in all ($total)" [ "$total" -ge 2000 ]

# ---- alive and clean at the end ----------------------------------------------
check "alive: the demo loads and runs" \
	cond 'modprobe qspin-demo && printf irq-fixed > /sys/kernel/debug/qspin-demo/run && rmmod qspin-demo'
check "whole test: no splat, no qspin report" clean start
rm -f "$out"
tap_done
