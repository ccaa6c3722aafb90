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
 */
#ifndef QSPIN_DEMO_LESSON_H
#define QSPIN_DEMO_LESSON_H

#include <linux/errno.h>
#include <linux/types.h>
#include <qspin.h>

struct demo_iter;

/* What the scenario shows, and so how it is judged. */
enum demo_kind {
	DEMO_DEADLOCK,		/* same CPU, the handler interrupts the holder */
	DEMO_FIXED,		/* same CPU, the holder keeps the handler out */
	DEMO_CROSS,		/* the handler runs on another CPU and waits */
};

/* Where the handler runs. */
enum demo_context {
	DEMO_HARDIRQ,		/* the device's interrupt (or irq_work, an IPI) */
	DEMO_SOFTIRQ,		/* a tasklet, at an interrupt's exit */
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
};

/*
 * Called by the task with its lock held: raises the interrupt on this CPU
 * and stays until the handler has run or hold_ms have passed.
 */
void demo_raise_and_wait(struct demo_iter *it);

/* Module parameter allow_lockup: the deadlocks really hang the CPU. */
extern bool demo_allow_lockup;

extern const struct demo_scenario demo_irq_deadlock, demo_irq_fixed;
extern const struct demo_scenario demo_bh_deadlock, demo_bh_fixed;
extern const struct demo_scenario demo_cross_cpu;
extern const struct demo_scenario demo_shared_helper;

#endif /* QSPIN_DEMO_LESSON_H */
