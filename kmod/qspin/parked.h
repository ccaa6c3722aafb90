/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Held-lock records parked with their task (parked.c): the records of a
 * task that left its CPU holding qspin locks (it slept under one, or the
 * kernel repaired the preempt count of a leak). Used by the sched_switch
 * probe (sleep.c), the release path and the freed-memory checks
 * (validate.c), and the leak checks at return to user space and exit
 * (leak.c).
 */
#ifndef QSPIN_PARKED_H
#define QSPIN_PARKED_H

#include <linux/atomic.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include "held.h"

/* Tasks rarely sleep or leak with more than a lock or two held. */
#define QSPIN_PARKED_MAX 64

struct qspin_parked {
	struct task_struct *task;	/* the owner, a key only; NULL: free */
	struct qspin_held held;		/* as it was on its CPU's task stack */
	int cpu;			/* where it was parked */
	pid_t pid;			/* the owner's, for reports */
	char comm[TASK_COMM_LEN];	/* the owner's name then */
};

/* Records in the table: 0 lets the callers skip it. */
extern atomic_t qspin_nr_parked;

void qspin_park_records(struct task_struct *task);
bool qspin_parked_release(qspinlock_t *lock);
unsigned int qspin_parked_take(struct task_struct *task,
			       struct qspin_parked *out, unsigned int max);
void qspin_parked_drop_if(bool (*match)(const qspinlock_t *lock, void *arg),
			  void (*report)(const struct qspin_parked *p,
					 void *arg), void *arg);
bool qspin_parked_holder(const qspinlock_t *lock, struct qspin_parked *out);
void qspin_parked_clear(void);
void qspin_parked_show(struct seq_file *m);

#endif /* QSPIN_PARKED_H */
