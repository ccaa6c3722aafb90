// SPDX-License-Identifier: GPL-2.0
/*
 * lockcheck's scenarios: the families of the kernel's lib/locking-selftest.c
 * (its scenarios, not its code) for spinning locks, each with its expected
 * verdict, plus "fixed" twins that must stay silent. Cases that would really
 * deadlock do not: a lock order is closed sequentially in one thread (A then
 * B; later B then A), which a validator predicts without anything hanging;
 * the same lock again goes through lc_lock_again().
 *
 * Orders: locking-selftest runs the two or three events of an irq family in
 * every order (12, 21; 123 ... 321); so do these, and the expected report
 * follows from when the conflict is complete: a usage conflict on one lock
 * is "inconsistent lock state" in any order; a safe lock before an unsafe
 * one is "irq-safe -> irq-unsafe lock order" when the dependency comes last,
 * and "irq lock inversion" when a usage does.
 */
#include <linux/interrupt.h>
#include <linux/slab.h>
#include "lockcheck.h"

const char *const lc_report_names[LC_NR] = {
	[LC_NONE] = "none",
	[LC_CIRCULAR] = "circular",
	[LC_INCONSISTENT] = "inconsistent",
	[LC_RECURSIVE] = "recursive",
	[LC_DEADLOCK] = "deadlock",
	[LC_IRQ_SAFE_UNSAFE] = "irq-safe-unsafe",
	[LC_IRQ_INVERSION] = "irq-inversion",
	[LC_BAD_UNLOCK] = "bad-unlock",
	[LC_UNINITIALIZED] = "uninitialized",
	[LC_HELD_REINIT] = "held-reinit",
	[LC_POOL_FULL] = "pool-full",
	[LC_OTHER] = "other",
};

/* ---- building blocks ---- */

static void lu2(lc_lock_t *x, lc_lock_t *y)
{
	lc_lock(x);
	lc_lock(y);
	lc_unlock(y);
	lc_unlock(x);
}

static void irq_off(struct lc_env *e)
{
	if (e->irq == LC_HARD)
		local_irq_disable();
	else
		local_bh_disable();
}

static void irq_on(struct lc_env *e)
{
	if (e->irq == LC_HARD) {
		local_irq_enable();
	} else if (IS_ENABLED(CONFIG_PREEMPT_RT) && !preemptible()) {
		/*
		 * PREEMPT_RT runs softirqs in threads: turned on inside a
		 * spinning lock (preemption off) they stay pending on this
		 * CPU, timers included, and the CPU stalls. Left off; the
		 * case is skipped and lc_restore_state() turns them on.
		 */
		e->skip = true;
		e->skip_why = "PREEMPT_RT: softirqs cannot be turned on inside a spinning lock";
	} else {
		local_bh_enable();
	}
}

/* ---- lock order: A-A, A-B-B-A and the longer cycles ---- */

/* Two locks of one class (locking-selftest's X1, X2). */
static void one_class(struct lc_env *e)
{
	lc_init(e, 1, 0);
}

static void ev_aa_class(struct lc_env *e)
{
	lc_lock(A(e));
	lc_lock(B(e));		/* same class as A: possible recursion */
	lc_unlock(B(e));
	lc_unlock(A(e));
}

static void ev_aa_nested(struct lc_env *e)
{
	lc_lock(A(e));
	lc_lock_nested(B(e), 1);	/* annotated: A's class, subclass 1 */
	lc_unlock(B(e));
	lc_unlock(A(e));
}

static void ev_aa_same(struct lc_env *e)
{
	lc_lock(A(e));
	lc_lock_again(A(e));	/* this very lock again: certain deadlock */
	lc_unlock(A(e));
}

static void ev_abba(struct lc_env *e)
{
	lu2(A(e), B(e));
	lu2(B(e), A(e));
}

static void ev_abab(struct lc_env *e)
{
	lu2(A(e), B(e));
	lu2(A(e), B(e));
}

/* B then trylock A: a trylock cannot block, so it adds no B -> A. */
static void ev_abba_trylock(struct lc_env *e)
{
	lu2(A(e), B(e));
	lc_lock(B(e));
	if (lc_trylock(A(e)))
		lc_unlock(A(e));
	lc_unlock(B(e));
}

static void ev_abbcca(struct lc_env *e)
{
	lu2(A(e), B(e));
	lu2(B(e), C(e));
	lu2(C(e), A(e));
}

static void ev_abcabc(struct lc_env *e)
{
	lu2(A(e), B(e));
	lu2(C(e), A(e));
	lu2(B(e), C(e));
}

static void ev_abbccdda(struct lc_env *e)
{
	lu2(A(e), B(e));
	lu2(B(e), C(e));
	lu2(C(e), D(e));
	lu2(D(e), A(e));
}

static void ev_abcdbdda(struct lc_env *e)
{
	lu2(A(e), B(e));
	lu2(C(e), D(e));
	lu2(B(e), D(e));
	lu2(D(e), A(e));
}

static void ev_abcdbcda(struct lc_env *e)
{
	lu2(A(e), B(e));
	lu2(C(e), D(e));
	lu2(B(e), C(e));
	lu2(D(e), A(e));
}

/* ---- unlock and init misuse ---- */

static void ev_double_unlock(struct lc_env *e)
{
	lc_lock(A(e));
	lc_unlock(A(e));
	lc_unlock(A(e));	/* not locked */
}

static void ev_lock_a(struct lc_env *e) { lc_lock(A(e)); }
static void ev_unlock_a(struct lc_env *e) { lc_unlock(A(e)); }
static void ev_forget_a(struct lc_env *e) { lc_forget_held(A(e)); }

static void ev_unlock_other_cpu(struct lc_env *e)
{
	int ret = lc_run_held_elsewhere(e, ev_lock_a, ev_unlock_a, ev_forget_a);

	if (ret) {
		e->skip = true;
		e->skip_why = ret == -ENODEV ? "needs a second CPU" : "the holder CPU did not run";
	}
}

/* A held here in process context, unlocked by a hardirq on this CPU. */
static void ev_unlock_in_hardirq(struct lc_env *e)
{
	lc_lock(A(e));
	if (lc_run_in(LC_HARDIRQ, ev_unlock_a, e)) {
		e->skip = true;
		e->skip_why = "the hardirq did not run";
	}
	lc_forget_held(A(e));
}

static void ev_init_held(struct lc_env *e)
{
	lc_lock(A(e));
	lc_init(e, 0, 0);	/* re-initialised while held */
	lc_forget_held(A(e));
}

/* A lock in allocated memory, zeroed and never initialised. */
static void ev_uninit(struct lc_env *e)
{
	lc_lock_t *l = kzalloc(sizeof(*l), GFP_KERNEL);

	if (!l) {
		e->skip = true;
		e->skip_why = "no memory";
		return;
	}
	lc_lock(l);
	lc_unlock(l);
	kfree(l);
}

/* ---- irq usage ---- */

static void ev_a(struct lc_env *e)
{
	lc_lock(A(e));
	lc_unlock(A(e));
}

static void ev_b(struct lc_env *e)
{
	lc_lock(B(e));
	lc_unlock(B(e));
}

static void ev_c(struct lc_env *e)
{
	lc_lock(C(e));
	lc_unlock(C(e));
}

static void ev_a_irqsave(struct lc_env *e)
{
	unsigned long flags = lc_lock_irqsave(A(e));

	lc_unlock_irqrestore(A(e), flags);
}

static void ev_a_bh(struct lc_env *e)
{
	lc_lock_bh(A(e));
	lc_unlock_bh(A(e));
}

/* A taken with interrupts off, released after they came back on. */
static void ev_a_irq_on_inside(struct lc_env *e)
{
	irq_off(e);
	lc_lock(A(e));
	irq_on(e);
	lc_unlock(A(e));
}

/* Softirq-safe A taken with hardirqs off, hardirqs back on inside. */
static void ev_a_hardirq_on_inside(struct lc_env *e)
{
	local_irq_disable();
	lc_lock(A(e));
	local_irq_enable();
	lc_unlock(A(e));
}

static void ev_ab(struct lc_env *e)
{
	lu2(A(e), B(e));
}

static void ev_ab_irqoff(struct lc_env *e)
{
	irq_off(e);
	lu2(A(e), B(e));
	irq_on(e);
}

/* A -> B and B -> C, never A and C together: A -> C only through B. */
static void ev_ab_bc_irqoff(struct lc_env *e)
{
	irq_off(e);
	lu2(A(e), B(e));
	lu2(B(e), C(e));
	irq_on(e);
}

/* ---- the table ---- */

/* Each event function as a process-context event (P) and an irq one (I). */
#define EVENT(f)							\
	static const struct lc_event p_##f __maybe_unused = { LC_PROCESS, f }; \
	static const struct lc_event i_##f __maybe_unused = { LC_IRQ, f }
#define P(f)	(&p_##f)
#define I(f)	(&i_##f)
#define NOEV	NULL

EVENT(ev_aa_class);
EVENT(ev_aa_nested);
EVENT(ev_aa_same);
EVENT(ev_abba);
EVENT(ev_abab);
EVENT(ev_abba_trylock);
EVENT(ev_abbcca);
EVENT(ev_abcabc);
EVENT(ev_abbccdda);
EVENT(ev_abcdbdda);
EVENT(ev_abcdbcda);
EVENT(ev_double_unlock);
EVENT(ev_unlock_other_cpu);
EVENT(ev_unlock_in_hardirq);
EVENT(ev_init_held);
EVENT(ev_uninit);
EVENT(ev_a);
EVENT(ev_b);
EVENT(ev_c);
EVENT(ev_a_irqsave);
EVENT(ev_a_bh);
EVENT(ev_a_irq_on_inside);
EVENT(ev_a_hardirq_on_inside);
EVENT(ev_ab);
EVENT(ev_ab_irqoff);
EVENT(ev_ab_bc_irqoff);

#define CASE(nm, fam, fl, e0, e1, e2, exp, ...)				\
	{ .name = nm, .family = fam, .irq = fl, .ev = { e0, e1, e2 },	\
	  .expect = exp, .expect_lockdep = LC_NR, .env = &(struct lc_env){}, \
	  __VA_ARGS__ }

/* Two events in both orders, three in all six. */
#define ORDERS2(nm, fam, fl, x, y, exp)					\
	CASE(nm "/12", fam, fl, x, y, NOEV, exp),			\
	CASE(nm "/21", fam, fl, y, x, NOEV, exp)

/* @last: the report when event 1 (the dependency) comes last; @other: else */
#define ORDERS3(nm, fam, fl, x, y, z, other, last)			\
	CASE(nm "/123", fam, fl, x, y, z, other),			\
	CASE(nm "/132", fam, fl, x, z, y, other),			\
	CASE(nm "/213", fam, fl, y, x, z, other),			\
	CASE(nm "/231", fam, fl, y, z, x, last),			\
	CASE(nm "/312", fam, fl, z, x, y, other),			\
	CASE(nm "/321", fam, fl, z, y, x, last)

#define WHY_AA_SAME							\
	"qspin tells the same lock again (a certain deadlock: "	\
	"qspin_lock_checked() returns -EDEADLK) from another lock of its " \
	"class; lockdep calls both recursive locking"
#define WHY_UNLOCK_IRQ							\
	"lockdep keeps held locks per task and a hardirq runs on the "	\
	"interrupted task, so the release finds the task's own lock; qspin " \
	"keeps them per CPU and context level"

struct lc_case lc_cases[] = {
	CASE("AA-class", "A-A deadlock", LC_HARD, P(ev_aa_class), NOEV, NOEV,
	     LC_RECURSIVE, .setup = one_class),
	CASE("AA-nested", "A-A deadlock", LC_HARD, P(ev_aa_nested), NOEV, NOEV,
	     LC_NONE, .setup = one_class),
	CASE("AA-same-lock", "A-A deadlock", LC_HARD, P(ev_aa_same), NOEV, NOEV,
	     LC_DEADLOCK, .expect_lockdep = LC_RECURSIVE, .why = WHY_AA_SAME),
	CASE("ABBA", "A-B-B-A deadlock", LC_HARD, P(ev_abba), NOEV, NOEV, LC_CIRCULAR),
	CASE("ABAB", "A-B-B-A deadlock", LC_HARD, P(ev_abab), NOEV, NOEV, LC_NONE),
	CASE("ABBA-trylock", "A-B-B-A deadlock", LC_HARD, P(ev_abba_trylock), NOEV, NOEV,
	     LC_NONE),
	CASE("ABBCCA", "A-B-B-C-C-A deadlock", LC_HARD, P(ev_abbcca), NOEV, NOEV,
	     LC_CIRCULAR),
	CASE("ABCABC", "A-B-C-A-B-C deadlock", LC_HARD, P(ev_abcabc), NOEV, NOEV,
	     LC_CIRCULAR),
	CASE("ABBCCDDA", "A-B-B-C-C-D-D-A deadlock", LC_HARD, P(ev_abbccdda), NOEV, NOEV,
	     LC_CIRCULAR),
	CASE("ABCDBDDA", "A-B-C-D-B-D-D-A deadlock", LC_HARD, P(ev_abcdbdda), NOEV, NOEV,
	     LC_CIRCULAR),
	CASE("ABCDBCDA", "A-B-C-D-B-C-D-A deadlock", LC_HARD, P(ev_abcdbcda), NOEV, NOEV,
	     LC_CIRCULAR),
	CASE("double-unlock", "double unlock", LC_HARD, P(ev_double_unlock), NOEV, NOEV,
	     LC_BAD_UNLOCK),
	CASE("unlock-other-cpu", "unlock of a lock held elsewhere", LC_HARD,
	     P(ev_unlock_other_cpu), NOEV, NOEV, LC_BAD_UNLOCK),
	CASE("unlock-in-hardirq", "unlock of a lock held elsewhere", LC_HARD,
	     P(ev_unlock_in_hardirq), NOEV, NOEV, LC_BAD_UNLOCK,
	     .expect_lockdep = LC_NONE, .why = WHY_UNLOCK_IRQ),
	CASE("init-held", "initialize held", LC_HARD, P(ev_init_held), NOEV, NOEV,
	     LC_HELD_REINIT),
	CASE("uninit-dynamic", "uninitialised lock", LC_HARD, P(ev_uninit), NOEV, NOEV,
	     LC_UNINITIALIZED),

	/* irqs-on + irq-safe-A */
	ORDERS2("hard-irqsafe1", "irqs-on + irq-safe-A", LC_HARD, I(ev_a), P(ev_a),
		LC_INCONSISTENT),
	ORDERS2("soft-irqsafe1", "irqs-on + irq-safe-A", LC_SOFT, I(ev_a), P(ev_a),
		LC_INCONSISTENT),
	ORDERS2("hard-irqsafe1-fixed", "irqs-on + irq-safe-A", LC_HARD, I(ev_a),
		P(ev_a_irqsave), LC_NONE),
	ORDERS2("soft-irqsafe1-fixed", "irqs-on + irq-safe-A", LC_SOFT, I(ev_a),
		P(ev_a_bh), LC_NONE),
	/* sirq-safe-A => hirqs-on */
	ORDERS2("soft-irqsafe2A", "soft-safe-A + irqs-on", LC_SOFT, I(ev_a),
		P(ev_a_hardirq_on_inside), LC_INCONSISTENT),
	/* safe-A + irqs-on */
	ORDERS2("hard-irqsafe2B", "safe-A + irqs-on", LC_HARD, I(ev_a),
		P(ev_a_irq_on_inside), LC_INCONSISTENT),
	ORDERS2("soft-irqsafe2B", "safe-A + irqs-on", LC_SOFT, I(ev_a),
		P(ev_a_irq_on_inside), LC_INCONSISTENT),
	/* safe-A + unsafe-B #1: A also taken with irqs on, so A itself conflicts */
	ORDERS3("hard-irqsafe3", "safe-A + unsafe-B #1", LC_HARD, P(ev_ab), P(ev_b),
		I(ev_a), LC_INCONSISTENT, LC_INCONSISTENT),
	ORDERS3("soft-irqsafe3", "safe-A + unsafe-B #1", LC_SOFT, P(ev_ab), P(ev_b),
		I(ev_a), LC_INCONSISTENT, LC_INCONSISTENT),
	/* safe-A + unsafe-B #2: A -> B with irqs off, B unsafe, A safe */
	ORDERS3("hard-irqsafe4", "safe-A + unsafe-B #2", LC_HARD, P(ev_ab_irqoff),
		P(ev_b), I(ev_a), LC_IRQ_INVERSION, LC_IRQ_SAFE_UNSAFE),
	ORDERS3("soft-irqsafe4", "safe-A + unsafe-B #2", LC_SOFT, P(ev_ab_irqoff),
		P(ev_b), I(ev_a), LC_IRQ_INVERSION, LC_IRQ_SAFE_UNSAFE),
	/* irq lock inversion through a dependency chain: A -> B -> C */
	ORDERS3("hard-inversion", "irq lock inversion", LC_HARD, P(ev_ab_bc_irqoff),
		P(ev_c), I(ev_a), LC_IRQ_INVERSION, LC_IRQ_SAFE_UNSAFE),
	ORDERS3("soft-inversion", "irq lock inversion", LC_SOFT, P(ev_ab_bc_irqoff),
		P(ev_c), I(ev_a), LC_IRQ_INVERSION, LC_IRQ_SAFE_UNSAFE),
};

const unsigned int lc_nr_cases = ARRAY_SIZE(lc_cases);
