/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The validator's shared names inside qspin.ko: lock classes and their usage
 * states, saved stacks, and the report table. The dependency graph
 * (graph.c, graph.h) codes against exactly this; the validator's own files
 * (validate.c: held locks, usage, chains, recursion, bad unlock; class.c:
 * classes and the lock -> class map; report.c: reports and saved stacks)
 * implement it. docs: README.md, "The validator".
 */
#ifndef QSPIN_VALIDATE_H
#define QSPIN_VALIDATE_H

#include <linux/spinlock.h>
#include <linux/types.h>
#include <qspin/debug.h>

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

/* The class, by id: name (for %s), usage bits and the first site of each usage. */
const char *qspin_class_name(unsigned int cls);
unsigned long qspin_class_usage(unsigned int cls);	/* bit (1 << enum qspin_usage) */
const struct qspin_site *qspin_class_usage_site(unsigned int cls,
						enum qspin_usage u);

/* Save this CPU's stack into the pool: a handle, or 0 when the pool is full. */
unsigned int qspin_stack_save(void);
void qspin_stack_print(unsigned int stack);	/* printk the saved stack, indented */

/*
 * Reports: one per distinct (type, key1, key2); repeats are counted, never
 * printed. true: new, print it now (the title line is printed by this
 * call), then call qspin_report_end(); false: a repeat, already counted,
 * print nothing.
 */
bool qspin_report_start(enum qspin_report_type type, unsigned long key1,
			unsigned long key2);
void qspin_report_end(void);			/* the closing line + count */

/*
 * The graph lock: a raw spinlock the validator holds (irqs off) around
 * every graph call, every class, usage and chain-cache change. Never taken
 * in NMI.
 */
extern raw_spinlock_t qspin_graph_lock;

#endif /* QSPIN_VALIDATE_H */
