// SPDX-License-Identifier: GPL-2.0
/*
 * qspin-demo.ko: the classic same-CPU lock/interrupt deadlock, on a real
 * interrupt, and its fixes.
 *
 * The lessons are lesson_*.c, each a bug and its fix as two short functions
 * (start with lesson_irq.c); the rest is the harness that runs them
 * (harness.h says which file does what). This file holds the module
 * parameters, load and unload.
 *
 * Safe mode (default): the deadlock scenarios' handlers take the lock with
 * qspin_lock_checked(); qspin.ko notices the same-CPU deadlock before the
 * handler spins, reports it once, and returns -EDEADLK; the handler backs
 * off (its update is lost: the counter ends one short) and the VM lives.
 * allow_lockup=1: the handlers take it with plain qspin_lock(), as a driver
 * would, and the deadlock scenarios really hang the CPU; load qspin.ko with
 * detect=0 and only the kernel's RCU stall / soft lockup detectors report
 * it (with detect=1 qspin reports it first, then spins all the same).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include <qspin/debug.h>
#include "harness.h"
#include "param_range.h"

static char *scenario;
module_param(scenario, charp, 0444);
MODULE_PARM_DESC(scenario, "Scenario to run at load time (see debugfs qspin-demo/list)");

static unsigned int runs = 1;
module_param(runs, uint, 0444);
MODULE_PARM_DESC(runs, "How many times the load-time scenario runs (default 1)");

bool demo_allow_lockup;
module_param_named(allow_lockup, demo_allow_lockup, bool, 0444);
MODULE_PARM_DESC(allow_lockup, "DANGER: the deadlock scenarios really hang a CPU (default: off, qspin catches them)");

static char *source = "auto";
module_param(source, charp, 0444);
MODULE_PARM_DESC(source, "Interrupt source: auto (edu if present, else irq_work), edu, edu-msi, edu-intx, irq_work");

/*
 * The two hold times are writable at any time; a value outside the range
 * the harness uses (iteration.c) is refused, not clamped in silence.
 */
static int hold_ms_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_range(val, kp, 1, 1000);
}

static const struct kernel_param_ops hold_ms_ops = {
	.set = hold_ms_set,
	.get = param_get_uint,
};

static int cross_hold_us_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_range(val, kp, 1, 10000);
}

static const struct kernel_param_ops cross_hold_us_ops = {
	.set = cross_hold_us_set,
	.get = param_get_uint,
};

unsigned int demo_hold_ms = 10;
module_param_cb(hold_ms, &hold_ms_ops, &demo_hold_ms, 0644);
MODULE_PARM_DESC(hold_ms, "How long process context holds the lock waiting for the handler, ms (1-1000, default 10)");

unsigned int demo_cross_hold_us = 1000;
module_param_cb(cross_hold_us, &cross_hold_us_ops, &demo_cross_hold_us, 0644);
MODULE_PARM_DESC(cross_hold_us, "cross-cpu: how long the lock stays held once the other CPU's handler waits, us (1-10000, default 1000)");

static const char *demo_mode(void)
{
	if (demo_allow_lockup)
		return qspin_detect_active() ?
			"allow_lockup=1: the deadlock scenarios REALLY hang a CPU (qspin detect=1 reports it first)" :
			"allow_lockup=1: the deadlock scenarios REALLY hang a CPU";
	return qspin_detect_active() ?
		"safe: qspin catches the same-CPU deadlocks" :
		"safe, but qspin detect=0: the deadlock scenarios are refused";
}

static int __init demo_init(void)
{
	int ret;

	if (scenario && !demo_find(scenario)) {
		pr_err("unknown scenario=%s (see debugfs qspin-demo/list)\n",
		       scenario);
		return -EINVAL;
	}
	if (scenario && (!runs || runs > DEMO_MAX_RUNS)) {
		pr_err("runs=%u rejected: must be 1..%u\n", runs, DEMO_MAX_RUNS);
		return -EINVAL;
	}
	ret = demo_source_init(source);
	if (ret)
		return ret;
	pr_info("mode: %s\n", demo_mode());
	demo_debugfs_init();

	if (scenario) {
		ret = demo_run(scenario, runs);
		if (ret) {
			pr_err("scenario=%s: error %d\n", scenario, ret);
			goto fail;
		}
	}
	return 0;
fail:
	demo_debugfs_exit();
	demo_source_exit();
	return ret;
}

static void __exit demo_exit(void)
{
	/* First: no new run can start, a running one has finished. */
	demo_debugfs_exit();
	demo_run_lock();
	demo_source_exit();
	demo_run_unlock();
	pr_info("unloaded\n");
}

module_init(demo_init);
module_exit(demo_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("qspin demo: the same-CPU lock/interrupt deadlock and its fixes, on a real interrupt");
