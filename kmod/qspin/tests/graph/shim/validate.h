/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The validator's side of the graph's contract (validator-interface.md,
 * "Inside qspin.ko"), as the graph's own tests see it: graph_test.c (host,
 * through the shim) and vm/graph_vm_test.c (kernel) implement it.
 */
#ifndef QSPIN_VALIDATE_H
#define QSPIN_VALIDATE_H

#include <linux/types.h>
#include <qspin/debug.h>

#define QSPIN_MAX_CLASSES 1024

enum qspin_usage {
	QSPIN_USED_IN_HARDIRQ,
	QSPIN_USED_IN_SOFTIRQ,
	QSPIN_ENABLED_HARDIRQ,
	QSPIN_ENABLED_SOFTIRQ,
	QSPIN_USAGE_NR
};

struct qspin_site {
	unsigned long ip;
	unsigned int stack;
};

const char *qspin_class_name(unsigned int cls);
unsigned long qspin_class_usage(unsigned int cls);
const struct qspin_site *qspin_class_usage_site(unsigned int cls,
						enum qspin_usage u);
void qspin_stack_print(unsigned int stack);
bool qspin_report_start(enum qspin_report_type type, unsigned long key1,
			unsigned long key2);
void qspin_report_end(void);

#endif /* QSPIN_VALIDATE_H */
