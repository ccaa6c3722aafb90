// SPDX-License-Identifier: GPL-2.0
/*
 * Lesson: two locks taken in opposite orders on two CPUs (ABBA).
 *
 * CPU X takes a then b; CPU Y takes b then a. When each holds its first,
 * each waits for the other's: neither lets go, both spin for ever. Lockdep
 * predicts it from the two orders; qspin's lockup watchdog sees it happen
 * (the wait-for chain "CPU X holds a and waits for b; CPU Y holds b and
 * waits for a") and qspin_lock_checked() leaves it with -EDEADLK. The fix
 * is one line on CPU Y: the same order as CPU X.
 *
 *   CPU X: abba_cpu_x()      CPU Y, bug: abba_bug_y()   fix: abba_fix_y()
 *     qspin_lock(&a);          qspin_lock(&b);            qspin_lock(&a);
 *     qspin_lock(&b);          qspin_lock(&a);            qspin_lock(&b);
 *
 * Safe mode: CPU Y's second lock is qspin_lock_checked() (it backs off,
 * its update is lost); "bug, both checked" makes CPU X's checked too: at
 * least one backs off, each that does is counted. allow_lockup=1: both are
 * plain qspin_lock(), as a driver writes them: the two CPUs really hang,
 * and the watchdog reports the deadlock after spin_timeout_ms.
 */
#include <linux/kernel.h>
#include <qspin.h>
#include "lesson.h"

static DEFINE_QSPINLOCK(abba_lock_a);
static DEFINE_QSPINLOCK(abba_lock_b);
static unsigned long abba_count;	/* under both locks */

/* Both sides: `first`, then `second` (checked: may back off). */
static int abba_take_both(qspinlock_t *first, qspinlock_t *second,
			  bool checked)
{
	qspin_lock(first);
	demo_pair_meet(first);	/* the other CPU holds its first lock too */
	if (!checked) {
		qspin_lock(second);
	} else if (qspin_lock_checked(second) == 0) {
		__acquire(second);	/* held: what sparse cannot see */
	} else {
		qspin_unlock(first);	/* backed off: its update is lost */
		return -EDEADLK;
	}
	abba_count++;
	qspin_unlock(second);
	qspin_unlock(first);
	return 0;
}

/* CPU X, always: a then b. */
static int abba_cpu_x(void)
{
	return abba_take_both(&abba_lock_a, &abba_lock_b, false);
}

/* The bug, CPU Y: b then a, the other order. */
static int abba_bug_y(void)
{
	return abba_take_both(&abba_lock_b, &abba_lock_a, !demo_allow_lockup);
}

/* The fix, CPU Y: a then b, the same order as CPU X. */
static int abba_fix_y(void)
{
	return abba_take_both(&abba_lock_a, &abba_lock_b, false);
}

/* "bug, both checked": CPU X's second lock is checked too. */
static int abba_checked_x(void)
{
	return abba_take_both(&abba_lock_a, &abba_lock_b, true);
}

static const struct demo_phase abba_phases[] = {
	{ "bug", abba_cpu_x, abba_bug_y, DEMO_PAIR_Y_LEAVES, -EDEADLK },
	{ "bug, both checked", abba_checked_x, abba_bug_y,
	  DEMO_PAIR_ONE_LEAVES, -EDEADLK },
	{ "fix", abba_cpu_x, abba_fix_y, DEMO_PAIR_QUIET, 0 },
};

const struct demo_scenario demo_abba = {
	.name = "abba",
	.desc = "two CPUs take two locks in opposite orders: ABBA deadlock in progress, reported (safe mode: qspin_lock_checked() backs off, -EDEADLK); fix: one order",
	.kind = DEMO_TWO_CPUS,
	.lock = &abba_lock_a,
	.lock2 = &abba_lock_b,
	.count = &abba_count,
	.unlock = "qspin_unlock()",
	.phases = abba_phases,
	.nr_phases = ARRAY_SIZE(abba_phases),
	.needs_leave = true,
};
