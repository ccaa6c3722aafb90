// SPDX-License-Identifier: GPL-2.0
/*
 * lockcheck's qspin flavour: the scenarios on qspinlock_t, judged by qspin's
 * validator on a stock kernel. The verdict is which qspin_report_count()
 * types grew during the case; qspin_validate_reset() before each case
 * forgets the last case's reports, dependencies and usage states.
 */
#define pr_fmt(fmt) "lockcheck: " fmt

#include <linux/preempt.h>
#include "lockcheck.h"

const char *const lc_flavour = "qspin (qspinlock_t, qspin_report_count())";

/* enum lc_report lists qspin's report types in their order, after LC_NONE. */
static_assert(LC_CIRCULAR - 1 == QSPIN_REPORT_CIRCULAR);
static_assert(LC_INCONSISTENT - 1 == QSPIN_REPORT_INCONSISTENT);
static_assert(LC_RECURSIVE - 1 == QSPIN_REPORT_RECURSIVE);
static_assert(LC_DEADLOCK - 1 == QSPIN_REPORT_DEADLOCK);
static_assert(LC_IRQ_SAFE_UNSAFE - 1 == QSPIN_REPORT_IRQ_SAFE_UNSAFE);
static_assert(LC_IRQ_INVERSION - 1 == QSPIN_REPORT_IRQ_INVERSION);
static_assert(LC_BAD_UNLOCK - 1 == QSPIN_REPORT_BAD_UNLOCK);
static_assert(LC_UNINITIALIZED - 1 == QSPIN_REPORT_UNINITIALIZED);
static_assert(LC_HELD_REINIT - 1 == QSPIN_REPORT_HELD_REINIT);
static_assert(LC_POOL_FULL - 1 == QSPIN_REPORT_POOL_FULL);
static_assert(LC_OTHER - 1 == QSPIN_REPORT_NR);

static const char *const lock_names[LC_LOCKS] = { "A", "B", "C", "D" };

void lc_init(struct lc_env *e, int i, int k)
{
	/* qspin_lock_init() with the case's own key instead of its call site's. */
	__qspin_lock_init(&e->lock[i], lock_names[i], &e->key[k]);
}

void lc_lock(lc_lock_t *l) { qspin_lock(l); }
void lc_unlock(lc_lock_t *l) { qspin_unlock(l); }
int lc_trylock(lc_lock_t *l) { return qspin_trylock(l); }
void lc_lock_nested(lc_lock_t *l, unsigned int subclass) { qspin_lock_nested(l, subclass); }
void lc_lock_bh(lc_lock_t *l) { qspin_lock_bh(l); }
void lc_unlock_bh(lc_lock_t *l) { qspin_unlock_bh(l); }
bool lc_is_locked(lc_lock_t *l) { return qspin_is_locked(l); }

unsigned long lc_lock_irqsave(lc_lock_t *l)
{
	unsigned long flags;

	qspin_lock_irqsave(l, flags);
	return flags;
}

void lc_unlock_irqrestore(lc_lock_t *l, unsigned long flags)
{
	qspin_unlock_irqrestore(l, flags);
}

/*
 * The same lock again on this CPU: qspin_lock_checked() names the certain
 * deadlock and returns -EDEADLK instead of spinning. Should it ever take
 * the lock (it cannot: this CPU holds it), give it back.
 */
void lc_lock_again(lc_lock_t *l)
{
	if (!qspin_lock_checked(l))
		qspin_unlock(l);
}

void lc_forget_held(lc_lock_t *l)
{
	if (qspin_is_locked(l))
		qspin_unlock(l);
}

/* ---- the verdict: which report counts grew ---- */

static unsigned long before[QSPIN_REPORT_NR];

bool lc_verdict_ready(const char **why)
{
	if (!qspin_validate_active()) {
		*why = "qspin's validation is off (validate=0)";
		return false;
	}
	return true;
}

void lc_verdict_begin(void)
{
	int t;

	qspin_validate_reset();
	for (t = 0; t < QSPIN_REPORT_NR; t++)
		before[t] = qspin_report_count(t);
}

unsigned int lc_verdict_end(void)
{
	unsigned int mask = 0;
	int t;

	for (t = 0; t < QSPIN_REPORT_NR; t++)
		if (qspin_report_count(t) != before[t])
			mask |= LC_BIT(t + 1);
	return mask;
}
