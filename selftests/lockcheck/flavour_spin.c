// SPDX-License-Identifier: GPL-2.0
/*
 * lockcheck's spinlock flavour: the scenarios on the kernel's spinlock_t,
 * judged by lockdep (a kernel with PROVE_LOCKING: scripts/debug-kernel.sh).
 * The verdict is lockdep's title line, read back from the kernel log with
 * the kmsg_dump iterator. Lockdep turns itself off (debug_locks = 0) after
 * its first report, so a case is judged only while debug_locks is still 1
 * when it starts; scripts/check-lockdep.sh boots once per case that expects
 * a report.
 */
#define pr_fmt(fmt) "lockcheck: " fmt

#include <linux/debug_locks.h>
#include <linux/kmsg_dump.h>
#include <linux/lockdep.h>
#include <linux/preempt.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "lockcheck.h"

const char *const lc_flavour = "spinlock (spinlock_t, lockdep's title in the kernel log)";

static const char *const lock_names[LC_LOCKS] = { "A", "B", "C", "D" };

void lc_init(struct lc_env *e, int i, int k)
{
	/* spin_lock_init() with the case's own key instead of its call site's. */
	__raw_spin_lock_init(spinlock_check(&e->lock[i]), lock_names[i], &e->key[k],
			     LD_WAIT_CONFIG);
}

void lc_lock(lc_lock_t *l) { spin_lock(l); }
void lc_unlock(lc_lock_t *l) { spin_unlock(l); }
int lc_trylock(lc_lock_t *l) { return spin_trylock(l); }
void lc_lock_nested(lc_lock_t *l, unsigned int subclass) { spin_lock_nested(l, subclass); }
void lc_lock_bh(lc_lock_t *l) { spin_lock_bh(l); }
void lc_unlock_bh(lc_lock_t *l) { spin_unlock_bh(l); }
bool lc_is_locked(lc_lock_t *l) { return spin_is_locked(l); }

unsigned long lc_lock_irqsave(lc_lock_t *l)
{
	unsigned long flags;

	spin_lock_irqsave(l, flags);
	return flags;
}

void lc_unlock_irqrestore(lc_lock_t *l, unsigned long flags)
{
	spin_unlock_irqrestore(l, flags);
}

/*
 * spin_lock() of a lock this CPU holds would spin for ever after lockdep's
 * report (and DEBUG_SPINLOCK's "spinlock recursion"), and spin_trylock()
 * fails without telling lockdep anything. So the second acquisition is
 * lockdep's own hook, the spin_acquire() that spin_lock() makes before it
 * spins, without the spin; then its spin_release().
 */
void lc_lock_again(lc_lock_t *l)
{
	spin_acquire(&l->dep_map, 0, 0, _RET_IP_);
	/* Unless a release on this task (in an interrupt) already told it. */
	if (lockdep_is_held(l))
		spin_release(&l->dep_map, _RET_IP_);
}

void lc_forget_held(lc_lock_t *l)
{
	if (spin_is_locked(l)) {
		spin_unlock(l);
		return;
	}
	/* Unless a release on this task (in an interrupt) already told it. */
	if (lockdep_is_held(l))
		spin_release(&l->dep_map, _RET_IP_);
}

/* ---- the verdict: lockdep's title lines ---- */

static const struct {
	const char *text;
	enum lc_report type;
} titles[] = {
	{ "WARNING: possible circular locking dependency detected", LC_CIRCULAR },
	{ "WARNING: inconsistent lock state", LC_INCONSISTENT },
	{ "WARNING: possible recursive locking detected", LC_RECURSIVE },
	/* "HARDIRQ-safe -> HARDIRQ-unsafe", and the SOFTIRQ twin */
	{ "-unsafe lock order detected", LC_IRQ_SAFE_UNSAFE },
	{ "WARNING: possible irq lock inversion dependency detected", LC_IRQ_INVERSION },
	{ "WARNING: bad unlock balance detected!", LC_BAD_UNLOCK },
	{ "INFO: trying to register non-static key.", LC_UNINITIALIZED },
	{ "WARNING: held lock freed!", LC_HELD_REINIT },
	{ "too low!", LC_POOL_FULL },
};

static struct kmsg_dump_iter iter;
static char line[512];

bool lc_verdict_ready(const char **why)
{
	if (!IS_ENABLED(CONFIG_PROVE_LOCKING)) {
		*why = "no lockdep in this kernel (CONFIG_PROVE_LOCKING)";
		return false;
	}
	if (!debug_locks) {
		*why = "lockdep is off (debug_locks=0) after an earlier report";
		return false;
	}
	return true;
}

void lc_verdict_begin(void)
{
	size_t len;

	/* From the oldest record to the newest: iter ends after the last one. */
	kmsg_dump_rewind(&iter);
	while (kmsg_dump_get_line(&iter, false, line, sizeof(line), &len))
		;
}

unsigned int lc_verdict_end(void)
{
	unsigned int mask = 0;
	size_t len, i;

	iter.next_seq = U64_MAX;
	while (kmsg_dump_get_line(&iter, false, line, sizeof(line), &len)) {
		line[min(len, sizeof(line) - 1)] = '\0';
		for (i = 0; i < ARRAY_SIZE(titles); i++)
			if (strstr(line, titles[i].text))
				mask |= LC_BIT(titles[i].type);
	}
	/* Lockdep went off without a title this table knows. */
	if (!mask && !debug_locks)
		mask = LC_BIT(LC_OTHER);
	return mask;
}
