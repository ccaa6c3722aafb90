/* SPDX-License-Identifier: GPL-2.0 */
/*
 * STUB for branch h-graph only: drop at merge, the `validator` helper's
 * validate.h replaces it. It holds exactly the declarations of
 * /work/notes/validator-interface.md ("Inside qspin.ko") that graph.c codes
 * against, plus enum qspin_report_type, which the real tree declares in
 * include/qspin/debug.h. graph_test_stubs.c implements them so that
 * qspin.ko links in this branch.
 */
#ifndef QSPIN_VALIDATE_H
#define QSPIN_VALIDATE_H

#include <linux/types.h>

enum qspin_report_type {
	QSPIN_REPORT_CIRCULAR,
	QSPIN_REPORT_INCONSISTENT,
	QSPIN_REPORT_RECURSIVE,
	QSPIN_REPORT_DEADLOCK,
	QSPIN_REPORT_IRQ_SAFE_UNSAFE,
	QSPIN_REPORT_IRQ_INVERSION,
	QSPIN_REPORT_BAD_UNLOCK,
	QSPIN_REPORT_UNINITIALIZED,
	QSPIN_REPORT_HELD_REINIT,
	QSPIN_REPORT_POOL_FULL,
	QSPIN_REPORT_NR
};

#define QSPIN_MAX_CLASSES 1024		/* class ids 0..QSPIN_MAX_CLASSES-1 */

enum qspin_usage {			/* lockdep's four usage bits */
	QSPIN_USED_IN_HARDIRQ,		/* taken in hardirq: HARDIRQ-safe */
	QSPIN_USED_IN_SOFTIRQ,		/* taken in softirq: SOFTIRQ-safe */
	QSPIN_ENABLED_HARDIRQ,		/* held with hardirqs on: HARDIRQ-unsafe */
	QSPIN_ENABLED_SOFTIRQ,		/* held with softirqs on: SOFTIRQ-unsafe */
	QSPIN_USAGE_NR
};

/* Where something happened: the caller's address and a saved stack. */
struct qspin_site {
	unsigned long ip;
	unsigned int stack;		/* handle from qspin_stack_save(), 0: none */
};

const char *qspin_class_name(unsigned int cls);
unsigned long qspin_class_usage(unsigned int cls);	/* bit (1 << enum qspin_usage) */
const struct qspin_site *qspin_class_usage_site(unsigned int cls,
						enum qspin_usage u);
void qspin_stack_print(unsigned int stack);

bool qspin_report_start(enum qspin_report_type type, unsigned long key1,
			unsigned long key2);
void qspin_report_end(void);

#endif /* QSPIN_VALIDATE_H */
