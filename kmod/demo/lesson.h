/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a lesson file (lesson_*.c) sees of qspin-demo.ko's harness.
 *
 * A lesson is a scenario: a lock and the counter it protects, the process
 * side (task) that takes the lock and, while holding it, lets the harness
 * raise the interrupt on its own CPU (demo_raise_and_wait()), and the
 * interrupt handler that takes the same lock. The harness runs the task in
 * a kthread bound to the interrupt's CPU, calls the handler from the
 * interrupt, and judges the counter afterwards.
 *
 * A mistake lesson (DEMO_MISTAKE: lesson_recursion.c, lesson_sleep.c, ...)
 * is a bug and its fix as two functions (struct demo_mistake). The harness
 * runs both each iteration, checks after each returns that it holds no
 * lock (releasing what the bug leaked), raises the interrupt after each
 * when the lesson has a handler (never inside the section), and judges by
 * the counter and qspin's reports: the bug's must be seen, the fix silent.
 */
#ifndef QSPIN_DEMO_LESSON_H
#define QSPIN_DEMO_LESSON_H

#include <linux/errno.h>
#include <linux/types.h>
#include <qspin.h>
#include <qspin/debug.h>

struct demo_iter;

/* What the scenario shows, and so how it is judged. */
enum demo_kind {
	DEMO_DEADLOCK,		/* same CPU, the handler interrupts the holder */
	DEMO_FIXED,		/* same CPU, the holder keeps the handler out */
	DEMO_CROSS,		/* the handler runs on another CPU and waits */
	DEMO_TWO_CPUS,		/* no interrupt: two CPUs, each its side (pair.c) */
	DEMO_MISTAKE,		/* a bug and its fix, judged by qspin's reports */
	DEMO_OWN_RUN,		/* the lesson runs and judges itself (own_run) */
};

/* Where the handler runs. */
enum demo_context {
	DEMO_HARDIRQ,		/* the device's interrupt (or irq_work, an IPI) */
	DEMO_SOFTIRQ,		/* a tasklet, at an interrupt's exit */
};

/*
 * One step of a DEMO_TWO_CPUS lesson: `cpu_x` on one CPU and `cpu_y` on
 * another, started together; each returns 0 or what its
 * qspin_lock_checked() returned. Judged by pair.c: the counter, the
 * returns and the watchdog's count (debugfs qspin/lockups) per run.
 */
enum demo_pair_expect {
	DEMO_PAIR_QUIET,	/* both get their locks, no watchdog report */
	DEMO_PAIR_LOCKUP,	/* both get them; the watchdog judges one wait */
	DEMO_PAIR_Y_LEAVES,	/* cpu_y's checked lock leaves (`ret`), counted */
	DEMO_PAIR_ONE_LEAVES,	/* at least one side leaves with `ret`, each counted */
};

struct demo_phase {
	const char *name;	/* "bug", "bug, checked", "fix" */
	int (*cpu_x)(void);
	int (*cpu_y)(void);
	enum demo_pair_expect expect;
	int ret;		/* the error of the side(s) that leave */
};

/* A mistake lesson: what runs, and what qspin must say. */
struct demo_mistake {
	int (*bug)(void);
	int (*fix)(void);
	/* hardirq handlers raised after bug() / fix() returned, or NULL */
	int (*bug_handler)(void);
	int (*fix_handler)(void);
	qspinlock_t *bug_lock, *fix_lock;	/* each its own */
	enum qspin_report_type report;	/* what qspin says of the bug */
	bool once;		/* said once per lock class, not per sighting */
	int bug_ret, fix_ret;	/* what they return */
	unsigned int bug_leaks;	/* locks bug() returns holding */
	unsigned long expected;	/* the counter after both (and handlers) */
};

/*
 * What a DEMO_OWN_RUN lesson's own_run() reports of its iterations: the
 * counters summed over them, and why the first bad one was bad (NULL: all
 * passed). own_run() returns 0, or -EOPNOTSUPP after a "NAME: skipped:
 * WHY" line when the lesson does not apply to this kernel.
 */
struct demo_own_run {
	unsigned int done;		/* iterations that passed */
	unsigned long expected, actual;
	int task_cpu, handler_cpu;
	const char *why;
};

struct demo_scenario {
	const char *name;
	const char *desc;
	enum demo_kind kind;
	enum demo_context context;
	qspinlock_t *lock;
	unsigned long *count;		/* under *lock */
	const char *unlock;		/* the task's unlock, for the result line */
	void (*task)(struct demo_iter *it);
	/* 0, or -EDEADLK when it backed off (its update is lost) */
	int (*handler)(void);
	/* DEMO_TWO_CPUS: its second lock, if any (checked clean after each step). */
	qspinlock_t *lock2;
	/* DEMO_TWO_CPUS: the steps of one run, in order. */
	const struct demo_phase *phases;
	unsigned int nr_phases;
	/* DEMO_TWO_CPUS: the bug's step is bounded only by checked waiters leaving. */
	bool needs_leave;
	/* DEMO_TWO_CPUS: holds a lock 2 x spin_timeout_ms (at most 2 s of it). */
	bool holds_long;
	const struct demo_mistake *mistake;	/* DEMO_MISTAKE only */
	/* The edu handler registered without IRQF_NO_THREAD for this one. */
	bool threaded_handler;
	/* DEMO_OWN_RUN: runs nruns iterations in the caller's context. */
	int (*own_run)(unsigned int nruns, struct demo_own_run *out);
};

/*
 * Called by the task with its lock held: raises the interrupt on this CPU
 * and stays until the handler has run or hold_ms have passed.
 */
void demo_raise_and_wait(struct demo_iter *it);

/*
 * DEMO_TWO_CPUS: with `held` locked, wait until the other side has come
 * here too or waits for `held` (at most 5 s; past that the step is
 * INCONCLUSIVE); `held` NULL: only the first.
 */
void demo_pair_meet(qspinlock_t *held);
/*
 * DEMO_TWO_CPUS: with `held` locked, wait until somebody waits for it (at
 * most 5 s): a slow work timed from then is a wait that long, even when
 * the other side's vCPU was late to start spinning.
 */
void demo_pair_until_waited_for(qspinlock_t *held);
/* stuck-holder's slow work: twice qspin's spin_timeout_ms. */
void demo_pair_slow_work(void);
/*
 * The same slow work under the lock, timed from the moment the other side
 * waits, and then longer until the watchdog has judged a wait (its count,
 * qspin_lockup_count(), is no longer `lockups0`), bounded: a vCPU starved
 * on a loaded host may look at its clock late, and the lesson is that the
 * wait is reported, not how soon a starved CPU gets round to it.
 */
void demo_pair_slow_work_until_judged(unsigned long lockups0);

/* Module parameter allow_lockup: the deadlocks really hang the CPU. */
extern bool demo_allow_lockup;

extern const struct demo_scenario demo_irq_deadlock, demo_irq_fixed;
extern const struct demo_scenario demo_bh_deadlock, demo_bh_fixed;
extern const struct demo_scenario demo_cross_cpu;
extern const struct demo_scenario demo_shared_helper;
extern const struct demo_scenario demo_abba, demo_stuck_holder;
extern const struct demo_scenario demo_recursion, demo_irq_inconsistent;
extern const struct demo_scenario demo_sleep_under_lock, demo_leaked_lock;
extern const struct demo_scenario demo_rt_sleeping_lock, demo_irq_threaded;

#endif /* QSPIN_DEMO_LESSON_H */
