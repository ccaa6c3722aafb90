// SPDX-License-Identifier: GPL-2.0
/*
 * Lesson: one helper for both contexts.
 *
 * Code that does not know whether it runs in process context or in an
 * interrupt handler takes the lock with qspin_lock_irqsave(): in process
 * context it keeps the interrupt out, in the handler (interrupts already
 * off) it changes nothing, and qspin_unlock_irqrestore() puts back what
 * each caller had. Harmless from either side.
 */
#include <qspin.h>
#include "lesson.h"

static DEFINE_QSPINLOCK(shared_helper_lock);
static unsigned long shared_helper_count;	/* under shared_helper_lock */

/* @it: the process side's iteration; NULL when called by the handler. */
static noinline void shared_helper_add(struct demo_iter *it)
{
	unsigned long flags;

	qspin_lock_irqsave(&shared_helper_lock, flags);
	shared_helper_count++;
	if (it)
		demo_raise_and_wait(it);
	qspin_unlock_irqrestore(&shared_helper_lock, flags);
}

static void shared_helper_task(struct demo_iter *it)
{
	shared_helper_add(it);
}

/* The handler, in hardirq context on the same CPU, after the unlock. */
static int shared_helper_handler(void)
{
	shared_helper_add(NULL);
	return 0;
}

const struct demo_scenario demo_shared_helper = {
	.name = "shared-helper",
	.desc = "one helper using qspin_lock_irqsave(), called from process context and from the handler: harmless",
	.kind = DEMO_FIXED,
	.context = DEMO_HARDIRQ,
	.lock = &shared_helper_lock,
	.count = &shared_helper_count,
	.unlock = "qspin_unlock_irqrestore()",
	.task = shared_helper_task,
	.handler = shared_helper_handler,
};
