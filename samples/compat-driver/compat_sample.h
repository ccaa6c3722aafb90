/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The state the two files of qspin-compat-sample.ko share: plain spinlock_t
 * driver code, as it would be written for the kernel's own lock. Built with
 * qspin/spinlock_compat.h, both locks below are qspin locks in both files.
 *
 * Who takes what:
 *   lock     process context (workers, irqs off), the timer (softirq, irqs
 *            off) and the irq_work (hardirq); protects total
 *   bh_lock  process context (workers, bh off) and the timer (softirq);
 *            protects bh_total
 */
#ifndef _COMPAT_SAMPLE_H
#define _COMPAT_SAMPLE_H

#include <linux/atomic.h>
#include <linux/irq_work.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/wait.h>

struct sample_dev {
	spinlock_t lock;
	unsigned long total;		/* every increment, from all contexts */

	struct timer_list timer;
	unsigned int timer_rounds;	/* rounds left; written by the timer */
	unsigned long timer_runs;	/* written only by the timer */
	bool timer_done;		/* under idle.lock */
	wait_queue_head_t idle;		/* its lock is the kernel's */

	struct irq_work work;
	atomic_t work_runs;		/* the irq_work's increments */
};

/* Defined with DEFINE_SPINLOCK in sample_irq.c, taken in both files. */
extern spinlock_t sample_bh_lock;
extern unsigned long sample_bh_total;

void sample_irq_init(struct sample_dev *dev, unsigned int rounds);
void sample_irq_start(struct sample_dev *dev);
void sample_irq_stop(struct sample_dev *dev);

#endif /* _COMPAT_SAMPLE_H */
