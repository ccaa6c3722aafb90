// SPDX-License-Identifier: GPL-2.0
/*
 * qspin-torture's checked mode (checked=N): one writer-kthread acquisition
 * in N takes the pair of locks "checked_a" and "checked_b" with
 * qspin_lock_checked() only, both of them: every waiter on the pair is
 * checked, so each can leave (the core returns within spin_timeout_ms when
 * every waiter ahead of it is checked too) and the run never hangs.
 *
 * The order is random, a then b or b then a: ABBA deadlocks happen, and
 * one in checked_long_freq holds lasts 2 x spin_timeout_ms (at most 2 s):
 * timeouts happen (with spin_timeout_ms up to 1000 ms).
 * Each attempt ends in a success, -EDEADLK or -ETIMEDOUT, counted; the
 * end-of-run checks (torture.c) then find the pair's counters equal to the
 * successes and the lock words free, and every queue node free.
 */
#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/errno.h>

#include <qspin/debug.h>
#include "torture.h"

static atomic_long_t checked_ok, checked_deadlock, checked_timeout,
	checked_other;

void checked_start(void)
{
	/*
	 * A class each, apart from the other torture locks (one class, one
	 * init site in lock_ops.c, taken in hardirq context too): the
	 * validator judges the pair on its own.
	 */
	qspin_lock_init(&torture_locks[L_CHECKED_A].lock.q);
	qspin_lock_init(&torture_locks[L_CHECKED_B].lock.q);
	atomic_long_set(&checked_ok, 0);
	atomic_long_set(&checked_deadlock, 0);
	atomic_long_set(&checked_timeout, 0);
	atomic_long_set(&checked_other, 0);
}

static void checked_count(int ret)
{
	if (!ret)
		atomic_long_inc(&checked_ok);
	else if (ret == -EDEADLK)
		atomic_long_inc(&checked_deadlock);
	else if (ret == -ETIMEDOUT)
		atomic_long_inc(&checked_timeout);
	else
		atomic_long_inc(&checked_other);
}

/* One attempt at the pair, from a writer kthread (task context). */
void checked_step(struct twriter *w, unsigned int long_freq)
{
	enum tlock_id first = L_CHECKED_A, second = L_CHECKED_B;
	struct tlock *l1, *l2;
	int ret;

	if (wrand(w) & 1)
		swap(first, second);
	l1 = &torture_locks[first];
	l2 = &torture_locks[second];
	ret = qspin_lock_checked(&l1->lock.q);
	if (ret) {
		checked_count(ret);
		return;
	}
	__acquire(&l1->lock.q);		/* held: what sparse cannot see */
	cs_enter(l1, w, first);
	short_hold_checked(w);
	ret = qspin_lock_checked(&l2->lock.q);
	if (ret) {
		cs_exit(l1, w);
		qspin_unlock(&l1->lock.q);
		checked_count(ret);
		return;
	}
	__acquire(&l2->lock.q);
	cs_enter(l2, w, second);
	/* Capped: a long hold must not become the kernel's RCU stall. */
	if (long_freq && wrand(w) % long_freq == 0)
		mdelay(min_t(u64, 2 * qspin_watchdog_timeout_ms(), 2000));
	else
		short_hold_checked(w);
	cs_exit(l2, w);
	qspin_unlock(&l2->lock.q);
	cs_exit(l1, w);
	qspin_unlock(&l1->lock.q);
	checked_count(0);
}

void checked_print(const char *type)
{
	pr_alert("%s-torture: Checked: ok %ld edeadlk %ld etimedout %ld other %ld (order %s, queue nodes busy %u)\n",
		 type, atomic_long_read(&checked_ok),
		 atomic_long_read(&checked_deadlock),
		 atomic_long_read(&checked_timeout),
		 atomic_long_read(&checked_other),
		 "random: ABBA and timeouts",
		 qspin_queue_nodes_busy());
}

/* At the end: no error besides the two, and every queue node free. */
bool checked_check(void)
{
	bool ok = true;

	if (atomic_long_read(&checked_other)) {
		pr_alert("checked: %ld acquisitions returned another error\n",
			 atomic_long_read(&checked_other));
		ok = false;
	}
	return ok;
}
