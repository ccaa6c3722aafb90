// SPDX-License-Identifier: GPL-2.0
/*
 * Held-lock records parked with their task: the validator's per-CPU
 * records (held.h) of a task that left its CPU while holding qspin locks.
 *
 * A task context's records live in its CPU's task stack, which is right as
 * long as the holder cannot leave the CPU: a held qspin lock disables
 * preemption. Two bugs break that. A task that sleeps under the lock is
 * switched out anyway: schedule_debug() prints "BUG: scheduling while
 * atomic" and resets the preempt count. A task that leaks a lock may have
 * its preempt count repaired by the kernel (do_one_initcall(): "returned
 * with preemption imbalance") and then be preempted or migrate. Either way
 * it leaves through the scheduler on the CPU that holds its records, so the
 * sched_switch probe (sleep.c) moves them here, keyed by the task: every
 * record found on a CPU's task stack at a switch is prev's (a task that
 * left before had its records moved then). Here they are found again by
 * the owner's qspin_unlock() (validate.c), whose preempt count no longer
 * holds the lock's share (the reset, or the repair): that unlock releases
 * the word and skips its preempt_enable(), so nothing underflows; by the
 * return to user space or the exit of the task (leak.c), which reports and
 * releases them; by a module unload or a kfree() of the lock's memory
 * (validate.c), which reports and drops them.
 *
 * A fixed table under a raw spinlock: parking is a bug's path, never the
 * lock's. qspin_nr_parked lets the hot callers (every general release,
 * every return to user space) skip the table when it is empty.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "held.h"
#include "internal.h"
#include "parked.h"

static struct qspin_parked qspin_parked_table[QSPIN_PARKED_MAX];
static DEFINE_RAW_SPINLOCK(qspin_parked_lock);
atomic_t qspin_nr_parked = ATOMIC_INIT(0);
static unsigned long qspin_parked_dropped;	/* table full: forgotten */

/*
 * Move this CPU's task-context records to @task, which is being switched
 * out (the sched_switch probe: interrupts off, this CPU). The stack is left
 * empty for the next task.
 */
void qspin_park_records(struct task_struct *task)
{
	struct qspin_held_stack *hs =
		this_cpu_ptr(&qspin_held_cpu.ctx[QSPIN_CTX_TASK]);
	unsigned int i, j = 0, depth = qspin_held_depth(hs);
	unsigned long flags;

	raw_spin_lock_irqsave(&qspin_parked_lock, flags);
	for (i = 0; i < depth; i++) {
		for (; j < QSPIN_PARKED_MAX; j++)
			if (!qspin_parked_table[j].task)
				break;
		if (j == QSPIN_PARKED_MAX) {
			qspin_parked_dropped += depth - i;
			break;
		}
		qspin_parked_table[j].held = hs->held[i];
		qspin_parked_table[j].cpu = smp_processor_id();
		qspin_parked_table[j].pid = task_pid_nr(task);
		/* No task_lock() inside the scheduler: a torn name at worst. */
		strscpy_pad(qspin_parked_table[j].comm, task->comm,
			    sizeof(qspin_parked_table[j].comm));
		qspin_parked_table[j].task = task;
		atomic_inc(&qspin_nr_parked);
	}
	raw_spin_unlock_irqrestore(&qspin_parked_lock, flags);
	/* From the top: a record never claims less than is held. */
	for (i = depth; i-- > 0;)
		WRITE_ONCE(hs->held[i].lock_tag, 0);
}

/*
 * The owner's unlock of a parked lock: release the word, forget the
 * record. Return: true when @lock was parked for current (then its preempt
 * count holds no share of the lock: the caller skips preempt_enable()).
 */
bool qspin_parked_release(qspinlock_t *lock)
{
	unsigned long flags;
	bool found = false;
	unsigned int i;

	if (!atomic_read(&qspin_nr_parked))
		return false;
	raw_spin_lock_irqsave(&qspin_parked_lock, flags);
	for (i = 0; i < QSPIN_PARKED_MAX; i++) {
		struct qspin_parked *p = &qspin_parked_table[i];

		if (p->task != current || qspin_held_lock(&p->held) != lock)
			continue;
		qspin_word_unlock(&lock->word);
		p->task = NULL;
		atomic_dec(&qspin_nr_parked);
		found = true;
		break;
	}
	raw_spin_unlock_irqrestore(&qspin_parked_lock, flags);
	return found;
}

/*
 * Take up to @max of @task's parked records out of the table into @out
 * (@task is current, about to return to user space or exit). Return: how
 * many.
 */
unsigned int qspin_parked_take(struct task_struct *task,
			       struct qspin_parked *out, unsigned int max)
{
	unsigned int i, n = 0;
	unsigned long flags;

	if (!atomic_read(&qspin_nr_parked))
		return 0;
	raw_spin_lock_irqsave(&qspin_parked_lock, flags);
	for (i = 0; i < QSPIN_PARKED_MAX && n < max; i++) {
		if (qspin_parked_table[i].task != task)
			continue;
		out[n++] = qspin_parked_table[i];
		qspin_parked_table[i].task = NULL;
		atomic_dec(&qspin_nr_parked);
	}
	raw_spin_unlock_irqrestore(&qspin_parked_lock, flags);
	return n;
}

/*
 * Parked records whose lock @match()es (freed memory, a going module's):
 * each is handed to @report and dropped; the lock word is not touched.
 */
void qspin_parked_drop_if(bool (*match)(const qspinlock_t *lock, void *arg),
			  void (*report)(const struct qspin_parked *p,
					 void *arg), void *arg)
{
	struct qspin_parked gone;
	unsigned long flags;
	unsigned int i;

	if (!atomic_read(&qspin_nr_parked))
		return;
	for (i = 0; i < QSPIN_PARKED_MAX; i++) {
		raw_spin_lock_irqsave(&qspin_parked_lock, flags);
		if (!qspin_parked_table[i].task ||
		    !match(qspin_held_lock(&qspin_parked_table[i].held), arg)) {
			raw_spin_unlock_irqrestore(&qspin_parked_lock, flags);
			continue;
		}
		gone = qspin_parked_table[i];
		qspin_parked_table[i].task = NULL;
		atomic_dec(&qspin_nr_parked);
		raw_spin_unlock_irqrestore(&qspin_parked_lock, flags);
		/* Reported outside the raw lock: printing takes time. */
		report(&gone, arg);
	}
}

/*
 * Whether @lock's record is parked, i.e. its holder is off every CPU (the
 * lockup watchdog's wait-for chain ends there); a copy in @out. From NMI
 * (a waiter spinning there) only when the table's lock is free at once.
 */
bool qspin_parked_holder(const qspinlock_t *lock, struct qspin_parked *out)
{
	unsigned long flags;
	bool found = false;
	unsigned int i;

	if (!atomic_read(&qspin_nr_parked))
		return false;
	if (in_nmi()) {
		if (!raw_spin_trylock_irqsave(&qspin_parked_lock, flags))
			return false;
	} else {
		raw_spin_lock_irqsave(&qspin_parked_lock, flags);
	}
	for (i = 0; i < QSPIN_PARKED_MAX; i++) {
		if (!qspin_parked_table[i].task ||
		    qspin_held_lock(&qspin_parked_table[i].held) != lock)
			continue;
		*out = qspin_parked_table[i];
		found = true;
		break;
	}
	raw_spin_unlock_irqrestore(&qspin_parked_lock, flags);
	return found;
}

/* Validation switched on or off: records start afresh. */
void qspin_parked_clear(void)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&qspin_parked_lock, flags);
	memset(qspin_parked_table, 0, sizeof(qspin_parked_table));
	atomic_set(&qspin_nr_parked, 0);
	raw_spin_unlock_irqrestore(&qspin_parked_lock, flags);
}

/* debugfs "held": the parked records, one line each (a snapshot). */
void qspin_parked_show(struct seq_file *m)
{
	unsigned int i;

	for (i = 0; i < QSPIN_PARKED_MAX; i++) {
		struct qspin_parked p;
		unsigned long flags;

		raw_spin_lock_irqsave(&qspin_parked_lock, flags);
		p = qspin_parked_table[i];
		raw_spin_unlock_irqrestore(&qspin_parked_lock, flags);
		/* The task pointer is only a key: no dereference. */
		if (p.task)
			seq_printf(m, "parked cpu%d task %ps at %pS\n", p.cpu,
				   qspin_held_lock(&p.held), (void *)p.held.ip);
	}
	seq_printf(m, "# parked %d dropped %lu\n",
		   atomic_read(&qspin_nr_parked),
		   READ_ONCE(qspin_parked_dropped));
}
