// SPDX-License-Identifier: GPL-2.0
/*
 * lockcheck's qspin flavour: the scenarios on qspinlock_t, judged by qspin's
 * validator on a stock kernel. The verdict is which qspin_report_count()
 * types grew during the case; qspin_validate_reset() before each case
 * forgets the last case's reports, dependencies and usage states.
 */
#define pr_fmt(fmt) "lockcheck: " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/preempt.h>
#include "lockcheck.h"

const char *const lc_flavour = "qspin (qspinlock_t, qspin_report_count())";

/*
 * qspin's report types by this matrix's names; a type added to qspin since
 * (none here) counts as "other".
 */
static const enum lc_report from_qspin[QSPIN_REPORT_NR] = {
	[QSPIN_REPORT_CIRCULAR] = LC_CIRCULAR,
	[QSPIN_REPORT_INCONSISTENT] = LC_INCONSISTENT,
	[QSPIN_REPORT_RECURSIVE] = LC_RECURSIVE,
	[QSPIN_REPORT_DEADLOCK] = LC_DEADLOCK,
	[QSPIN_REPORT_IRQ_SAFE_UNSAFE] = LC_IRQ_SAFE_UNSAFE,
	[QSPIN_REPORT_IRQ_INVERSION] = LC_IRQ_INVERSION,
	[QSPIN_REPORT_BAD_UNLOCK] = LC_BAD_UNLOCK,
	[QSPIN_REPORT_UNINITIALIZED] = LC_UNINITIALIZED,
	[QSPIN_REPORT_HELD_REINIT] = LC_HELD_REINIT,
	[QSPIN_REPORT_POOL_FULL] = LC_POOL_FULL,
};

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
			mask |= LC_BIT(from_qspin[t] ?: LC_OTHER);
	return mask;
}

/*
 * leak=: locks freed while held, for qspin_lockcheck.sh (no case runs with
 * cases=none). 1: a static lock of this module is taken at load and left
 * held, so that rmmod frees it held; 2: a kmalloc()ed lock is taken and
 * freed (kfree()) while held, after the same done right (taken, released,
 * freed: no report); 3: the same with kmem_cache_free(). Each report is
 * "held lock freed!".
 */
static int leak;
module_param(leak, int, 0444);
MODULE_PARM_DESC(leak, "1: leave a static lock held at unload; 2: kfree() a held lock; 3: kmem_cache_free() one");

static DEFINE_QSPINLOCK(lc_leaked_lock);

struct lc_boxed_lock {
	unsigned long before;
	qspinlock_t lock;
};

static noinline int lc_kfree_held(void)
{
	struct lc_boxed_lock *ok = kmalloc(sizeof(*ok), GFP_KERNEL);
	struct lc_boxed_lock *bad = kmalloc(sizeof(*bad), GFP_KERNEL);

	if (!ok || !bad) {
		kfree(ok);
		kfree(bad);
		return -ENOMEM;
	}
	qspin_lock_init(&ok->lock);
	qspin_lock(&ok->lock);
	qspin_unlock(&ok->lock);
	kfree(ok);
	pr_info("leak=2: freeing lc_boxed_lock %px while held\n", &bad->lock);
	qspin_lock_init(&bad->lock);
	qspin_lock(&bad->lock);
	kfree(bad);
	/* The lock is gone with its memory: no unlock, only its preemption. */
	preempt_enable();
	return 0;
}

/* leak=3: as 2, from a cache of its own, by kmem_cache_free(). */
static noinline int lc_cache_free_held(void)
{
	struct kmem_cache *cache = kmem_cache_create("lc_boxed_lock",
						     sizeof(struct lc_boxed_lock),
						     0, 0, NULL);
	struct lc_boxed_lock *bad;

	if (!cache)
		return -ENOMEM;
	bad = kmem_cache_alloc(cache, GFP_KERNEL);
	if (!bad) {
		kmem_cache_destroy(cache);
		return -ENOMEM;
	}
	pr_info("leak=3: freeing lc_boxed_lock %px while held\n", &bad->lock);
	qspin_lock_init(&bad->lock);
	qspin_lock(&bad->lock);
	kmem_cache_free(cache, bad);
	preempt_enable();
	kmem_cache_destroy(cache);
	return 0;
}

int lc_leak_run(void)
{
	switch (leak) {
	case 0:
		return 0;
	case 1:
		pr_info("leak=1: leaving lc_leaked_lock held\n");
		qspin_lock(&lc_leaked_lock);
		/* Held, with the record, but preemption given back to init. */
		preempt_enable();
		return 0;
	case 2:
		return lc_kfree_held();
	case 3:
		return lc_cache_free_held();
	default:
		pr_err("leak=%d: 0, 1, 2 or 3\n", leak);
		return -EINVAL;
	}
}
