// SPDX-License-Identifier: GPL-2.0
/*
 * Lesson: an error path that returns without unlocking.
 *
 * The early return leaves the lock held: the next taker spins for ever,
 * far from the bug, and preemption stays off on this CPU. qspin reports
 * the lock still held when the function returns (the harness asks, as the
 * kernel asks at every return to user space), where it was taken, and the
 * fix: one exit, through the unlock:
 *
 *   leaked_lock_bug()                   leaked_lock_fix()
 *     qspin_lock(&lock);                  qspin_lock(&lock);
 *     count++;                            count++;
 *     if (bad)                            if (bad) {
 *             return -EINVAL;                     ret = -EINVAL;
 *                                                 goto unlock;
 *                                         }
 *     ...                                 ...
 *     qspin_unlock(&lock);              unlock:
 *     return 0;                           qspin_unlock(&lock);
 *                                         return ret;
 *
 * Safe mode never leaks for real: the harness releases what the bug left.
 */
#include <qspin.h>
#include "lesson.h"

static DEFINE_QSPINLOCK(leaked_lock);
static DEFINE_QSPINLOCK(leaked_fixed_lock);
static unsigned long leaked_count;	/* under one of the two */

/* The demo's input is always bad: the error path is the one taken. */
static bool leaked_input_bad(void)
{
	return true;
}

/* The bug: the error path returns with the lock held. */
static int leaked_lock_bug(void)
{
	qspin_lock(&leaked_lock);
	leaked_count++;
	if (leaked_input_bad()) {
		__release(&leaked_lock);	/* sparse sees it too: the harness releases it */
		return -EINVAL;
	}
	leaked_count++;
	qspin_unlock(&leaked_lock);
	return 0;
}

/* The fix: every path leaves through the unlock. */
static int leaked_lock_fix(void)
{
	int ret = 0;

	qspin_lock(&leaked_fixed_lock);
	leaked_count++;
	if (leaked_input_bad()) {
		ret = -EINVAL;
		goto unlock;
	}
	leaked_count++;
unlock:
	qspin_unlock(&leaked_fixed_lock);
	return ret;
}

static const struct demo_mistake leaked_lock_mistake = {
	.bug = leaked_lock_bug,
	.fix = leaked_lock_fix,
	.bug_lock = &leaked_lock,
	.fix_lock = &leaked_fixed_lock,
	.report = QSPIN_REPORT_LEAKED,
	.bug_ret = -EINVAL,
	.fix_ret = -EINVAL,
	.bug_leaks = 1,
	.expected = 2,
};

const struct demo_scenario demo_leaked_lock = {
	.name = "leaked-lock",
	.desc = "an error path returns without qspin_unlock(): lock still held when the function returns (safe mode: released by the harness); fix: goto unlock",
	.kind = DEMO_MISTAKE,
	.lock = &leaked_lock,
	.count = &leaked_count,
	.mistake = &leaked_lock_mistake,
};
