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

unsigned int demo_hold_ms = 10;
module_param_named(hold_ms, demo_hold_ms, uint, 0644);
MODULE_PARM_DESC(hold_ms, "How long process context holds the lock waiting for the handler, ms (1-1000, default 10)");

unsigned int demo_cross_hold_us = 1000;
module_param_named(cross_hold_us, demo_cross_hold_us, uint, 0644);
MODULE_PARM_DESC(cross_hold_us, "cross-cpu: how long the lock stays held once the other CPU's handler waits, us (default 1000)");

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
