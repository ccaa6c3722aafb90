// SPDX-License-Identifier: GPL-2.0
/*
 * STUB for branch h-graph only: drop at merge, together with the stub
 * validate.h. The validator's side of the graph's contract
 * (/work/notes/validator-interface.md), just enough for qspin.ko to link
 * with graph.o before validate.c exists: classes without names or usages,
 * every report new, no stacks.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/printk.h>

#include "validate.h"

static const char *const qspin_stub_report_titles[QSPIN_REPORT_NR] = {
	[QSPIN_REPORT_CIRCULAR] = "WARNING: possible circular locking dependency detected",
	[QSPIN_REPORT_IRQ_SAFE_UNSAFE] = "WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected",
	[QSPIN_REPORT_IRQ_INVERSION] = "WARNING: possible irq lock inversion dependency detected",
	[QSPIN_REPORT_POOL_FULL] = "WARNING: a preallocated pool is full",
};

const char *qspin_class_name(unsigned int cls)
{
	return "(stub class)";
}

unsigned long qspin_class_usage(unsigned int cls)
{
	return 0;
}

const struct qspin_site *qspin_class_usage_site(unsigned int cls,
						enum qspin_usage u)
{
	return NULL;
}

void qspin_stack_print(unsigned int stack)
{
}

bool qspin_report_start(enum qspin_report_type type, unsigned long key1,
			unsigned long key2)
{
	const char *title = qspin_stub_report_titles[type];

	pr_warn("%s\n", title ? title : "WARNING: (stub report)");
	return true;
}

void qspin_report_end(void)
{
	pr_warn("---\n");
}
