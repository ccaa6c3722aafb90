// SPDX-License-Identifier: GPL-2.0
/*
 * The interrupt side of qspin-compat-sample.ko: a timer (softirq) that
 * takes dev->lock and sample_bh_lock once a round and raises an irq_work
 * (hardirq) that takes dev->lock. Ordinary spinlock_t code, each lock taken
 * the way its other users require (compat_sample.h says who takes what).
 */
#include <linux/irq_work.h>
#include <linux/jiffies.h>
#include <linux/timer.h>
#include <linux/wait.h>

#include "compat_sample.h"

DEFINE_SPINLOCK(sample_bh_lock);
unsigned long sample_bh_total;

/* Hardirq: interrupts are off already, so the plain lock. */
static void sample_work_fn(struct irq_work *work)
{
	struct sample_dev *dev = container_of(work, struct sample_dev, work);

	spin_lock(&dev->lock);
	dev->total++;
	spin_unlock(&dev->lock);
	atomic_inc(&dev->work_runs);
}

static void sample_timer_fn(struct timer_list *t)
{
	struct sample_dev *dev = from_timer(dev, t, timer);
	unsigned long flags;

	/* The irq_work takes dev->lock in hardirq: irqs off here too. */
	spin_lock_irqsave(&dev->lock, flags);
	lockdep_assert_held(&dev->lock);
	dev->total++;
	spin_unlock_irqrestore(&dev->lock, flags);

	/* Process context takes this one with bh off: the plain lock. */
	spin_lock(&sample_bh_lock);
	sample_bh_total++;
	spin_unlock(&sample_bh_lock);

	dev->timer_runs++;
	irq_work_queue(&dev->work);
	if (--dev->timer_rounds) {
		mod_timer(&dev->timer, jiffies + 1);
		return;
	}

	/* A lock the kernel owns, through the same API: still the kernel's. */
	spin_lock_irqsave(&dev->idle.lock, flags);
	WRITE_ONCE(dev->timer_done, true);
	wake_up_locked(&dev->idle);
	spin_unlock_irqrestore(&dev->idle.lock, flags);
}

void sample_irq_init(struct sample_dev *dev, unsigned int rounds)
{
	dev->timer_rounds = rounds;
	timer_setup(&dev->timer, sample_timer_fn, 0);
	init_waitqueue_head(&dev->idle);
	dev->work = IRQ_WORK_INIT_HARD(sample_work_fn);
}

void sample_irq_start(struct sample_dev *dev)
{
	mod_timer(&dev->timer, jiffies + 1);
}

/* Waits for the last round and its irq_work. */
void sample_irq_stop(struct sample_dev *dev)
{
	wait_event(dev->idle, READ_ONCE(dev->timer_done));
	del_timer_sync(&dev->timer);
	irq_work_sync(&dev->work);
}
