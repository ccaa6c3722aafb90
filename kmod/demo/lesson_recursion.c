// SPDX-License-Identifier: GPL-2.0
/*
 * Lesson: taking a lock you already hold.
 *
 * A spinlock is not recursive: the second qspin_lock() of the same lock
 * waits for its own holder, the task spinning on it, which can never get
 * there to release it. Here the second one hides in a helper that takes
 * the lock itself, called by a caller that already holds it. The fix: a
 * helper for callers that hold the lock (the kernel's "_locked" suffix),
 * so the lock is taken once:
 *
 *   recursion_bug()                     recursion_fix()
 *     qspin_lock(&lock);                  qspin_lock(&lock);
 *     count++;                            count++;
 *     recursion_add_one();                recursion_add_one_locked();
 *       qspin_lock(&lock);  <- spins on itself, forever
 *     qspin_unlock(&lock);                qspin_unlock(&lock);
 *
 * qspin's validator names it ("possible recursive locking detected": the
 * same lock again, certain deadlock). Safe mode takes the inner lock with
 * qspin_lock_checked(), which sees the record and backs off with -EDEADLK;
 * allow_lockup=1 uses plain qspin_lock(): the CPU spins for ever.
 */
#include <qspin.h>
#include "lesson.h"

static DEFINE_QSPINLOCK(recursion_lock);
static DEFINE_QSPINLOCK(recursion_fixed_lock);
static unsigned long recursion_count;	/* under one of the two */

/* The helper that takes the lock itself. */
static noinline int recursion_add_one(void)
{
	if (demo_allow_lockup)
		qspin_lock(&recursion_lock);
	else if (qspin_lock_checked(&recursion_lock) == 0)
		__acquire(&recursion_lock);	/* held: what sparse cannot see */
	else
		return -EDEADLK;	/* the deadlock, caught */
	recursion_count++;
	qspin_unlock(&recursion_lock);
	return 0;
}

/* The helper for callers that hold the lock already. */
static noinline int recursion_add_one_locked(void)
{
	recursion_count++;
	return 0;
}

/* The bug: the lock again, through the helper. */
static int recursion_bug(void)
{
	int ret;

	qspin_lock(&recursion_lock);
	recursion_count++;
	ret = recursion_add_one();
	qspin_unlock(&recursion_lock);
	return ret;
}

/* The fix: the lock once, the helper that expects it held. */
static int recursion_fix(void)
{
	int ret;

	qspin_lock(&recursion_fixed_lock);
	recursion_count++;
	ret = recursion_add_one_locked();
	qspin_unlock(&recursion_fixed_lock);
	return ret;
}

static const struct demo_mistake recursion_mistake = {
	.bug = recursion_bug,
	.fix = recursion_fix,
	.bug_lock = &recursion_lock,
	.fix_lock = &recursion_fixed_lock,
	.report = QSPIN_REPORT_DEADLOCK,
	.bug_ret = -EDEADLK,
	/* the bug's helper backed off: its update is lost */
	.expected = 3,
};

const struct demo_scenario demo_recursion = {
	.name = "recursion",
	.desc = "qspin_lock() of a lock the task already holds, through a helper: certain deadlock (safe mode: caught, -EDEADLK); fix: a _locked helper",
	.kind = DEMO_MISTAKE,
	.lock = &recursion_lock,
	.count = &recursion_count,
	.mistake = &recursion_mistake,
};
