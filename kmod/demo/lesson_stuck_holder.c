// SPDX-License-Identifier: GPL-2.0
/*
 * Lesson: a holder that keeps the lock far too long.
 *
 * CPU X takes the lock and, still holding it, does something slow (here a
 * delay of twice qspin's spin_timeout_ms, and longer until the watchdog
 * has judged the wait, at most 8 times it; in a driver: polling a device,
 * a long loop, waiting for another CPU). CPU Y waits for the lock the
 * whole time. qspin's lockup watchdog reports the wait once it has lasted
 * spin_timeout_ms: the lock, the waiter, the holder and the function that
 * took it, the holder's stack right now. The fix moves the slow work out:
 *
 *   CPU X, bug: stuck_holder_bug()     fix: stuck_holder_fix()
 *     qspin_lock(&lock);                 qspin_lock(&lock);
 *     count++;                           count++;
 *     slow work;                         qspin_unlock(&lock);
 *     qspin_unlock(&lock);               slow work;
 *
 * The hang is bounded (the holder lets go after the slow work), so safe
 * mode and allow_lockup=1 run the same lines. "bug, checked": CPU Y waits
 * with qspin_lock_checked(), which gives up with -ETIMEDOUT.
 */
#include <linux/kernel.h>
#include <qspin.h>
#include <qspin/debug.h>
#include "lesson.h"

static DEFINE_QSPINLOCK(stuck_holder_lock);
static unsigned long stuck_holder_count;	/* under stuck_holder_lock */

/* The bug: the slow work inside the critical section. */
static int stuck_holder_bug(void)
{
	unsigned long lockups0 = qspin_lockup_count();

	qspin_lock(&stuck_holder_lock);
	stuck_holder_count++;
	demo_pair_meet(&stuck_holder_lock);	/* CPU Y waits for it */
	demo_pair_until_waited_for(&stuck_holder_lock);
	demo_pair_slow_work_until_judged(lockups0);
	qspin_unlock(&stuck_holder_lock);
	return 0;
}

/* The fix: the slow work after the release. */
static int stuck_holder_fix(void)
{
	qspin_lock(&stuck_holder_lock);
	stuck_holder_count++;
	qspin_unlock(&stuck_holder_lock);
	demo_pair_meet(&stuck_holder_lock);
	demo_pair_slow_work();
	return 0;
}

/* CPU Y: waits for the lock, as any user of it. */
static int stuck_holder_waiter(void)
{
	demo_pair_meet(NULL);	/* CPU X holds it (or held it) */
	qspin_lock(&stuck_holder_lock);
	stuck_holder_count++;
	qspin_unlock(&stuck_holder_lock);
	return 0;
}

/* CPU Y, checked: leaves with -ETIMEDOUT after spin_timeout_ms. */
static int stuck_holder_checked_waiter(void)
{
	demo_pair_meet(NULL);
	if (qspin_lock_checked(&stuck_holder_lock))
		return -ETIMEDOUT;
	__acquire(&stuck_holder_lock);
	stuck_holder_count++;
	qspin_unlock(&stuck_holder_lock);
	return 0;
}

static const struct demo_phase stuck_holder_phases[] = {
	{ "bug", stuck_holder_bug, stuck_holder_waiter, DEMO_PAIR_LOCKUP, 0 },
	{ "bug, checked", stuck_holder_bug, stuck_holder_checked_waiter,
	  DEMO_PAIR_Y_LEAVES, -ETIMEDOUT },
	{ "fix", stuck_holder_fix, stuck_holder_waiter, DEMO_PAIR_QUIET, 0 },
};

const struct demo_scenario demo_stuck_holder = {
	.name = "stuck-holder",
	.desc = "another CPU holds the lock far too long: the lockup watchdog names the holder and its function (checked: -ETIMEDOUT); fix: release it before the slow work",
	.kind = DEMO_TWO_CPUS,
	.lock = &stuck_holder_lock,
	.count = &stuck_holder_count,
	.unlock = "qspin_unlock()",
	.phases = stuck_holder_phases,
	.nr_phases = ARRAY_SIZE(stuck_holder_phases),
	.holds_long = true,
};
