// SPDX-License-Identifier: GPL-2.0
/*
 * Lesson: on PREEMPT_RT an interrupt handler is a thread.
 *
 * irq-deadlock's bug line, unchanged: process context takes the lock with
 * plain qspin_lock() and raises the interrupt on its own CPU. Here the edu
 * handler is registered as a driver usually writes it, request_irq()
 * without IRQF_NO_THREAD, and PREEMPT_RT forces it into a thread
 * (irq/N-qspin_demo): the hard interrupt only wakes that thread. A thread
 * cannot run on a CPU whose task spins or holds a spinning lock with
 * preemption off, so it runs after the unlock: no deadlock, counter exact.
 * That is why irq-deadlock registers its handler IRQF_NO_THREAD (a hard
 * handler, as timers and IPIs are on RT): there it deadlocks on RT too.
 *
 *   irq_threaded_task()
 *     qspin_lock(&lock);
 *     count++;
 *     <- the interrupt wakes the handler's thread, which waits
 *     qspin_unlock(&lock);
 *     <- the thread runs here: qspin_lock(), count++
 *
 * Only on PREEMPT_RT, with the edu device: elsewhere it is skipped, with
 * the reason (without RT the handler is hard, and this is irq-deadlock).
 */
#include <qspin.h>
#include "lesson.h"

static DEFINE_QSPINLOCK(irq_threaded_lock);
static unsigned long irq_threaded_count;	/* under irq_threaded_lock */

/* irq-deadlock's bug line: interrupts stay on, only preemption is off. */
static void irq_threaded_task(struct demo_iter *it)
{
	qspin_lock(&irq_threaded_lock);
	irq_threaded_count++;
	demo_raise_and_wait(it);
	qspin_unlock(&irq_threaded_lock);
}

/*
 * The handler, in its thread on PREEMPT_RT. Checked: were it ever to run
 * over the holder, qspin says so and it backs off (the judge fails that).
 */
static int irq_threaded_handler(void)
{
	if (qspin_lock_checked(&irq_threaded_lock))
		return -EDEADLK;
	__acquire(&irq_threaded_lock);	/* held: what sparse cannot see */
	irq_threaded_count++;
	qspin_unlock(&irq_threaded_lock);
	return 0;
}

const struct demo_scenario demo_irq_threaded = {
	.name = "irq-threaded",
	.desc = "PREEMPT_RT: irq-deadlock's qspin_lock() with a plain request_irq() handler (no IRQF_NO_THREAD): the handler is a thread, it runs after the unlock, no deadlock",
	.kind = DEMO_FIXED,
	.context = DEMO_HARDIRQ,
	.lock = &irq_threaded_lock,
	.count = &irq_threaded_count,
	.unlock = "qspin_unlock()",
	.task = irq_threaded_task,
	.handler = irq_threaded_handler,
	.threaded_handler = true,
};
