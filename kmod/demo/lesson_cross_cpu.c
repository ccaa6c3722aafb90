// SPDX-License-Identifier: GPL-2.0
/*
 * Lesson: the interrupt on another CPU is no deadlock.
 *
 * The holder runs on one CPU with interrupts off there; the interrupt goes
 * to another CPU, whose handler simply waits for the lock: the holder
 * keeps running and releases it. Spinning is only fatal when the waiter
 * froze the holder, that is on the same CPU (lesson_irq.c).
 *
 *   CPU A: cross_cpu_task()             CPU B: cross_cpu_handler()
 *     qspin_lock_irqsave(&lock, flags);
 *     count++;
 *     (raise the interrupt on B)          qspin_lock(&lock);   (waits)
 *     qspin_unlock_irqrestore(...);       (gets it) count++;
 */
#include <qspin.h>
#include "lesson.h"

static DEFINE_QSPINLOCK(cross_cpu_lock);
static unsigned long cross_cpu_count;		/* under cross_cpu_lock */

static void cross_cpu_task(struct demo_iter *it)
{
	unsigned long flags;

	qspin_lock_irqsave(&cross_cpu_lock, flags);
	cross_cpu_count++;
	demo_raise_and_wait(it);	/* until the other CPU waits */
	qspin_unlock_irqrestore(&cross_cpu_lock, flags);
}

/* The handler, in hardirq context on the other CPU. */
static int cross_cpu_handler(void)
{
	qspin_lock(&cross_cpu_lock);
	cross_cpu_count++;
	qspin_unlock(&cross_cpu_lock);
	return 0;
}

const struct demo_scenario demo_cross_cpu = {
	.name = "cross-cpu",
	.desc = "irqsave on one CPU, the interrupt on another: its handler waits for the lock, no deadlock",
	.kind = DEMO_CROSS,
	.context = DEMO_HARDIRQ,
	.lock = &cross_cpu_lock,
	.count = &cross_cpu_count,
	.unlock = "qspin_unlock_irqrestore()",
	.task = cross_cpu_task,
	.handler = cross_cpu_handler,
};
