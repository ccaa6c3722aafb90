// SPDX-License-Identifier: GPL-2.0
/*
 * Lesson: a lock an interrupt handler takes, taken elsewhere with
 * interrupts on, even if the two never collide.
 *
 * Here process context takes the lock and releases it; only afterwards
 * does the interrupt arrive and its handler take the lock. They never
 * meet, so nothing hangs today; the day the interrupt comes inside the
 * critical section on the same CPU, it is the irq-deadlock lesson's hard
 * LOCKUP. qspin's validator (as lockdep) names the bug from the two uses
 * alone: "inconsistent lock state", {HARDIRQ-ON} -> {IN-HARDIRQ}. The fix
 * is one line in process context:
 *
 *   irq_inconsistent_bug()              irq_inconsistent_fix()
 *     qspin_lock(&lock);                  qspin_lock_irqsave(&lock, flags);
 *     count++;                            count++;
 *     qspin_unlock(&lock);                qspin_unlock_irqrestore(&lock, flags);
 *   ... later, the interrupt:           ... later, the interrupt:
 *     qspin_lock(&lock); count++;         qspin_lock(&lock); count++;
 */
#include <qspin.h>
#include "lesson.h"

static DEFINE_QSPINLOCK(irq_inconsistent_lock);
static DEFINE_QSPINLOCK(irq_consistent_lock);
static unsigned long irq_inconsistent_count;	/* under one of the two */

/* The bug: interrupts stay on while the lock is held. */
static int irq_inconsistent_bug(void)
{
	qspin_lock(&irq_inconsistent_lock);
	irq_inconsistent_count++;
	qspin_unlock(&irq_inconsistent_lock);
	return 0;
}

/* The fix: interrupts off while it is held. */
static int irq_inconsistent_fix(void)
{
	unsigned long flags;

	qspin_lock_irqsave(&irq_consistent_lock, flags);
	irq_inconsistent_count++;
	qspin_unlock_irqrestore(&irq_consistent_lock, flags);
	return 0;
}

/*
 * The handlers, in hardirq context, after the task's section. The
 * barrier() keeps irq_inconsistent_handler() from being
 * irq_inconsistent_bug() to the compiler: their bodies were the same, and
 * built for the sanitizer kernels (CONFIG_CC_OPTIMIZE_FOR_SIZE) GCC's
 * identical code folding made them one function; the report then named
 * irq_inconsistent_bug() for the handler's site too.
 */
static int irq_inconsistent_handler(void)
{
	qspin_lock(&irq_inconsistent_lock);
	barrier();
	irq_inconsistent_count++;
	qspin_unlock(&irq_inconsistent_lock);
	return 0;
}

static int irq_consistent_handler(void)
{
	qspin_lock(&irq_consistent_lock);
	irq_inconsistent_count++;
	qspin_unlock(&irq_consistent_lock);
	return 0;
}

static const struct demo_mistake irq_inconsistent_mistake = {
	.bug = irq_inconsistent_bug,
	.fix = irq_inconsistent_fix,
	.bug_handler = irq_inconsistent_handler,
	.fix_handler = irq_consistent_handler,
	.bug_lock = &irq_inconsistent_lock,
	.fix_lock = &irq_consistent_lock,
	.report = QSPIN_REPORT_INCONSISTENT,
	/* a class's usage is learnt once: reported once per module load */
	.once = true,
	.expected = 4,
};

const struct demo_scenario demo_irq_inconsistent = {
	.name = "irq-inconsistent",
	.desc = "process context qspin_lock(), the IRQ handler takes the same lock at another time, never colliding: inconsistent lock state; fix: irqsave",
	.kind = DEMO_MISTAKE,
	.context = DEMO_HARDIRQ,
	.lock = &irq_inconsistent_lock,
	.count = &irq_inconsistent_count,
	.mistake = &irq_inconsistent_mistake,
};
