// SPDX-License-Identifier: GPL-2.0
/*
 * Lesson: an allocation that may sleep, under a spinlock.
 *
 * kmalloc(GFP_KERNEL) may sleep (direct reclaim when memory is short).
 * Under a spinlock that is "scheduling while atomic": the CPU is switched
 * away from a task that keeps everyone else spinning, and the preempt
 * count is wrong from then on. Most of the time memory is plentiful and it
 * does not sleep, so the bug hides; qspin reports the allocation itself,
 * before the allocator runs, sleep or not. The fix: an allocation that
 * never sleeps, or one made before taking the lock:
 *
 *   sleep_bug()                         sleep_fix()
 *     qspin_lock(&lock);                  qspin_lock(&lock);
 *     p = kmalloc(32, GFP_KERNEL);        p = kmalloc(32, GFP_ATOMIC);
 *     ...                                 ...
 *     qspin_unlock(&lock);                qspin_unlock(&lock);
 *
 * In the demo the allocation is small and the VM's memory plentiful, so it
 * does not sleep; if it ever did, qspin's sched_switch hook would report
 * that too and keep the preempt count right (README, "Sleeping under a
 * lock").
 */
#include <linux/slab.h>
#include <qspin.h>
#include "lesson.h"

static DEFINE_QSPINLOCK(sleep_lock);
static DEFINE_QSPINLOCK(sleep_fixed_lock);
static unsigned long sleep_count;	/* under one of the two */

/* The bug: GFP_KERNEL may sleep. */
static int sleep_bug(void)
{
	void *p;

	qspin_lock(&sleep_lock);
	p = kmalloc(32, GFP_KERNEL);
	if (p)
		sleep_count++;
	qspin_unlock(&sleep_lock);
	kfree(p);
	return p ? 0 : -ENOMEM;
}

/* The fix: GFP_ATOMIC never sleeps (allocating before the lock: too). */
static int sleep_fix(void)
{
	void *p;

	qspin_lock(&sleep_fixed_lock);
	p = kmalloc(32, GFP_ATOMIC);
	if (p)
		sleep_count++;
	qspin_unlock(&sleep_fixed_lock);
	kfree(p);
	return p ? 0 : -ENOMEM;
}

static const struct demo_mistake sleep_mistake = {
	.bug = sleep_bug,
	.fix = sleep_fix,
	.bug_lock = &sleep_lock,
	.fix_lock = &sleep_fixed_lock,
	.report = QSPIN_REPORT_SLEEP,
	.expected = 2,
};

const struct demo_scenario demo_sleep_under_lock = {
	.name = "sleep-under-lock",
	.desc = "kmalloc(GFP_KERNEL) under the lock: sleeping function called from invalid context, reported before the allocation; fix: GFP_ATOMIC",
	.kind = DEMO_MISTAKE,
	.lock = &sleep_lock,
	.count = &sleep_count,
	.mistake = &sleep_mistake,
};
