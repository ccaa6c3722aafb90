// SPDX-License-Identifier: GPL-2.0
/*
 * Lesson: a lock shared with an interrupt handler.
 *
 * Process context takes a lock; an interrupt arrives on the same CPU and
 * its handler takes the same lock. The handler spins, and the holder it
 * spins on is the task it interrupted: that task cannot run again until
 * the handler returns. The CPU is gone (hard LOCKUP). The fix is one line
 * in process context, the handler stays as it is:
 *
 *   irq_deadlock_task()                 irq_fixed_task()
 *     qspin_lock(&lock);                  qspin_lock_irqsave(&lock, flags);
 *     count++;                            count++;
 *     <- the interrupt runs here          (the interrupt waits)
 *     qspin_unlock(&lock);                qspin_unlock_irqrestore(&lock, flags);
 *                                         <- the interrupt runs here
 */
#include <qspin.h>
#include "lesson.h"

static DEFINE_QSPINLOCK(irq_deadlock_lock);
static unsigned long irq_deadlock_count;	/* under irq_deadlock_lock */

static DEFINE_QSPINLOCK(irq_fixed_lock);
static unsigned long irq_fixed_count;		/* under irq_fixed_lock */

/* The bug: interrupts stay on while the lock is held. */
static void irq_deadlock_task(struct demo_iter *it)
{
	qspin_lock(&irq_deadlock_lock);
	irq_deadlock_count++;
	demo_raise_and_wait(it);
	qspin_unlock(&irq_deadlock_lock);
}

/* The fix: interrupts off on this CPU until the lock is dropped. */
static void irq_fixed_task(struct demo_iter *it)
{
	unsigned long flags;

	qspin_lock_irqsave(&irq_fixed_lock, flags);
	irq_fixed_count++;
	demo_raise_and_wait(it);
	qspin_unlock_irqrestore(&irq_fixed_lock, flags);
}

/* The handler, in hardirq context on the holder's CPU. */
static int irq_deadlock_handler(void)
{
	/*
	 * A driver writes qspin_lock() here, and with allow_lockup=1 so does
	 * the demo: the CPU hangs. Safe mode uses qspin_lock_checked(), which
	 * sees that the holder is the task this interrupt froze and backs off
	 * with -EDEADLK instead of spinning.
	 */
	if (demo_allow_lockup)
		qspin_lock(&irq_deadlock_lock);
	else if (qspin_lock_checked(&irq_deadlock_lock) == 0)
		__acquire(&irq_deadlock_lock);	/* held: what sparse cannot see */
	else
		return -EDEADLK;
	irq_deadlock_count++;
	qspin_unlock(&irq_deadlock_lock);
	return 0;
}

/* The same handler; it runs once irq_fixed_task() has unlocked. */
static int irq_fixed_handler(void)
{
	qspin_lock(&irq_fixed_lock);
	irq_fixed_count++;
	qspin_unlock(&irq_fixed_lock);
	return 0;
}

const struct demo_scenario demo_irq_deadlock = {
	.name = "irq-deadlock",
	.desc = "process context qspin_lock(), the IRQ handler takes the same lock on the same CPU: deadlock (safe mode: caught, -EDEADLK)",
	.kind = DEMO_DEADLOCK,
	.context = DEMO_HARDIRQ,
	.lock = &irq_deadlock_lock,
	.count = &irq_deadlock_count,
	.unlock = "qspin_unlock()",
	.task = irq_deadlock_task,
	.handler = irq_deadlock_handler,
};

const struct demo_scenario demo_irq_fixed = {
	.name = "irq-fixed",
	.desc = "process context qspin_lock_irqsave(), handler plain qspin_lock(): the handler runs right after unlock_irqrestore",
	.kind = DEMO_FIXED,
	.context = DEMO_HARDIRQ,
	.lock = &irq_fixed_lock,
	.count = &irq_fixed_count,
	.unlock = "qspin_unlock_irqrestore()",
	.task = irq_fixed_task,
	.handler = irq_fixed_handler,
};
