// SPDX-License-Identifier: GPL-2.0
/*
 * Lesson: a lock shared with a softirq (here a tasklet).
 *
 * Softirqs run at the exit of an interrupt, on the CPU it interrupted. A
 * task holding a lock with plain qspin_lock() can be interrupted; on the
 * way out of that interrupt the tasklet runs and takes the same lock: it
 * spins on the task it froze (soft lockup). Masking interrupts is more
 * than needed: qspin_lock_bh() keeps softirqs out until the unlock.
 *
 *   bh_deadlock_task()                  bh_fixed_task()
 *     qspin_lock(&lock);                  qspin_lock_bh(&lock);
 *     count++;                            count++;
 *     <- the tasklet runs here            (the tasklet waits)
 *     qspin_unlock(&lock);                qspin_unlock_bh(&lock);
 *                                         <- the tasklet runs here
 */
#include <qspin.h>
#include "lesson.h"

static DEFINE_QSPINLOCK(bh_deadlock_lock);
static unsigned long bh_deadlock_count;		/* under bh_deadlock_lock */

static DEFINE_QSPINLOCK(bh_fixed_lock);
static unsigned long bh_fixed_count;		/* under bh_fixed_lock */

/* The bug: softirqs may run on this CPU while the lock is held. */
static void bh_deadlock_task(struct demo_iter *it)
{
	qspin_lock(&bh_deadlock_lock);
	bh_deadlock_count++;
	demo_raise_and_wait(it);
	qspin_unlock(&bh_deadlock_lock);
}

/* The fix: softirqs off on this CPU until the lock is dropped. */
static void bh_fixed_task(struct demo_iter *it)
{
	qspin_lock_bh(&bh_fixed_lock);
	bh_fixed_count++;
	demo_raise_and_wait(it);
	qspin_unlock_bh(&bh_fixed_lock);
}

/* The tasklet, in softirq context on the holder's CPU. */
static int bh_deadlock_handler(void)
{
	/*
	 * A driver writes qspin_lock() here, and with allow_lockup=1 so does
	 * the demo: the CPU hangs. Safe mode uses qspin_lock_checked(), which
	 * sees that the holder is the task this softirq froze and backs off
	 * with -EDEADLK instead of spinning.
	 */
	if (demo_allow_lockup)
		qspin_lock(&bh_deadlock_lock);
	else if (qspin_lock_checked(&bh_deadlock_lock) == 0)
		__acquire(&bh_deadlock_lock);	/* held: what sparse cannot see */
	else
		return -EDEADLK;
	bh_deadlock_count++;
	qspin_unlock(&bh_deadlock_lock);
	return 0;
}

/* The same tasklet; it runs once bh_fixed_task() has unlocked. */
static int bh_fixed_handler(void)
{
	qspin_lock(&bh_fixed_lock);
	bh_fixed_count++;
	qspin_unlock(&bh_fixed_lock);
	return 0;
}

const struct demo_scenario demo_bh_deadlock = {
	.name = "bh-deadlock",
	.desc = "process context qspin_lock(), a tasklet takes the same lock at IRQ exit on the same CPU: deadlock (safe mode: caught, -EDEADLK)",
	.kind = DEMO_DEADLOCK,
	.context = DEMO_SOFTIRQ,
	.lock = &bh_deadlock_lock,
	.count = &bh_deadlock_count,
	.unlock = "qspin_unlock()",
	.task = bh_deadlock_task,
	.handler = bh_deadlock_handler,
};

const struct demo_scenario demo_bh_fixed = {
	.name = "bh-fixed",
	.desc = "process context qspin_lock_bh(), tasklet plain qspin_lock(): the tasklet runs right after unlock_bh",
	.kind = DEMO_FIXED,
	.context = DEMO_SOFTIRQ,
	.lock = &bh_fixed_lock,
	.count = &bh_fixed_count,
	.unlock = "qspin_unlock_bh()",
	.task = bh_fixed_task,
	.handler = bh_fixed_handler,
};
