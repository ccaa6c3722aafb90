/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lockcheck: the scenario matrix of the validator (issue 9), one source built
 * twice. This header is the lock-ops layer the scenarios are written against,
 * the report types a case expects, and the case table's shape.
 *
 * Flavours (Kbuild picks one; README "The validator against lockdep"):
 *   qspin      LOCKCHECK_QSPIN: qspinlock_t through qspin.ko; the verdict is
 *              which qspin_report_count() type grew during the case
 *              (qspin_validate_reset() before each case)
 *   spinlock   the kernel's spinlock_t; the verdict is lockdep's title line
 *              in the kernel log during the case, read back through the
 *              kmsg_dump iterator (a lockdep kernel: scripts/debug-kernel.sh)
 */
#ifndef _LOCKCHECK_H
#define _LOCKCHECK_H

#include <linux/types.h>

#ifdef LOCKCHECK_QSPIN
#include <qspin.h>
#include <qspin/debug.h>
typedef qspinlock_t lc_lock_t;
typedef struct qspin_class_key lc_key_t;
#else
#include <linux/spinlock.h>
typedef spinlock_t lc_lock_t;
typedef struct lock_class_key lc_key_t;
#endif

/*
 * What a case may provoke: the validator's report types (include/qspin/
 * debug.h, enum qspin_report_type, as docs of issue 9 fix them) after
 * "none". Lockdep's titles map onto the same names (flavour_spin.c), qspin's
 * types through flavour_qspin.c's table.
 */
enum lc_report {
	LC_NONE,
	LC_CIRCULAR,		/* possible circular locking dependency */
	LC_INCONSISTENT,	/* inconsistent lock state */
	LC_RECURSIVE,		/* possible recursive locking (same class) */
	LC_DEADLOCK,		/* the same lock again: certain deadlock */
	LC_IRQ_SAFE_UNSAFE,	/* {HARD,SOFT}IRQ-safe -> -unsafe lock order */
	LC_IRQ_INVERSION,	/* possible irq lock inversion dependency */
	LC_BAD_UNLOCK,		/* bad unlock balance */
	LC_UNINITIALIZED,	/* lock used without init */
	LC_HELD_REINIT,		/* init of a held lock */
	LC_POOL_FULL,		/* a preallocated pool ran out */
	LC_OTHER,		/* a report this table has no name for */
	LC_NR
};

extern const char *const lc_report_names[LC_NR];

/* Bit of a report type in a verdict mask. */
#define LC_BIT(r)	(1u << (r))

/* Where an event runs. LC_IRQ is hardirq or softirq, by the case's flavour. */
enum lc_ctx {
	LC_PROCESS,
	LC_IRQ,
	LC_HARDIRQ,
	LC_SOFTIRQ,
};

/* "Interrupts off" in a case means hardirqs or softirqs, by its flavour. */
enum lc_irq {
	LC_HARD,
	LC_SOFT,
};

#define LC_LOCKS 4

/*
 * One case's private locks and classes: every case has its own, so cases do
 * not feed each other's dependency graph (lockdep keeps its graph for the
 * whole boot).
 */
struct lc_env {
	lc_lock_t lock[LC_LOCKS];
	lc_key_t key[LC_LOCKS];
	enum lc_irq irq;
	bool skip;		/* set by an event that could not run */
	const char *skip_why;
};

#define A(e)	(&(e)->lock[0])
#define B(e)	(&(e)->lock[1])
#define C(e)	(&(e)->lock[2])
#define D(e)	(&(e)->lock[3])

typedef void (*lc_event_fn)(struct lc_env *e);

struct lc_event {
	enum lc_ctx ctx;
	lc_event_fn fn;
};

#define LC_EVENTS 3

/**
 * struct lc_case - one scenario and its expected verdicts
 * @name:	unique, no spaces (cases= and the KTAP lines use it)
 * @family:	locking-selftest's family it comes from
 * @irq:	what "interrupts off" and LC_IRQ mean in the events
 * @ev:		the events in order; NULL ends the list
 * @setup:	optional, after the locks got their own classes (e.g. two
 *		locks of one class)
 * @expect:	the validator's report (qspin flavour)
 * @expect_lockdep: lockdep's report (spinlock flavour), when it differs
 *		from @expect on purpose; LC_NR means "same as @expect"
 * @why:	why the two differ, when they do
 * @env:	the case's locks and class keys (static: lockdep wants keys
 *		in static storage)
 */
struct lc_case {
	const char *name;
	const char *family;
	enum lc_irq irq;
	const struct lc_event *ev[LC_EVENTS];
	void (*setup)(struct lc_env *e);
	enum lc_report expect;
	enum lc_report expect_lockdep;
	const char *why;
	struct lc_env *env;
};

extern struct lc_case lc_cases[];
extern const unsigned int lc_nr_cases;

/* ---- the lock-ops layer (flavour_qspin.c, flavour_spin.c) ---- */

extern const char *const lc_flavour;

/* Gives lock @i its own class, key @k of the case (the same k: one class). */
void lc_init(struct lc_env *e, int i, int k);
#ifdef LOCKCHECK_QSPIN
int lc_leak_run(void);	/* leak=: locks freed while held (flavour_qspin.c) */
#endif
void lc_lock(lc_lock_t *l);
void lc_unlock(lc_lock_t *l);
int lc_trylock(lc_lock_t *l);
void lc_lock_nested(lc_lock_t *l, unsigned int subclass);
unsigned long lc_lock_irqsave(lc_lock_t *l);
void lc_unlock_irqrestore(lc_lock_t *l, unsigned long flags);
void lc_lock_bh(lc_lock_t *l);
void lc_unlock_bh(lc_lock_t *l);
bool lc_is_locked(lc_lock_t *l);
/* Takes @l a second time on this CPU without spinning (AA); see the flavours. */
void lc_lock_again(lc_lock_t *l);
/*
 * The holder's side after someone else released (or re-initialised) its lock:
 * unlock it when the word is still locked, else only tell the validator it
 * is gone (lockdep: spin_release(); qspin has no such hook). The preemption
 * count its lock call took is lc_restore_state()'s to give back.
 */
void lc_forget_held(lc_lock_t *l);

/* The verdict: lc_verdict_begin() before a case, lc_verdict_end() after. */
/* Whether the flavour can judge at all now (reason in *why when not). */
bool lc_verdict_ready(const char **why);
void lc_verdict_begin(void);
/* The mask of LC_BIT()s reported since lc_verdict_begin(). */
unsigned int lc_verdict_end(void);

/* ---- contexts (contexts.c) ---- */

/* Puts back preemption count, irqs and bh as they were at @saved_preempt. */
void lc_restore_state(int saved_preempt);

/* Runs @fn in @ctx on this CPU (hardirq: irq_work; softirq: a tasklet). */
int lc_run_in(enum lc_ctx ctx, lc_event_fn fn, struct lc_env *e);
/*
 * Runs @hold on another CPU in a kthread, then @act here while that CPU
 * still spins with @hold's locks held, then @release there. -ENODEV with
 * one CPU online.
 */
int lc_run_held_elsewhere(struct lc_env *e, lc_event_fn hold, lc_event_fn act,
			  lc_event_fn release);

#endif /* _LOCKCHECK_H */
