// SPDX-License-Identifier: GPL-2.0
/*
 * qspin-compat-sample.ko: a small driver written for the kernel's
 * spinlock_t and built, unchanged, over qspin (its Kbuild gives the whole
 * module qspin/spinlock_compat.h). At load it runs one workload and checks
 * it: a worker thread per CPU (process context, up to four), a timer
 * (softirq) and its irq_work (hardirq) all count under the shared locks,
 * and the counts must come out exact. dmesg says "ok" or what was off;
 * selftests/qspin_compat.sh reads it.
 *
 * No pr_fmt(): the compat header has the kernel's printk.h read before this
 * file starts, so a pr_fmt() defined here would redefine it (a warning).
 */
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/kthread.h>
#include <linux/module.h>

#include "compat_sample.h"

static unsigned int iterations = 5000;
module_param(iterations, uint, 0444);
MODULE_PARM_DESC(iterations, "Rounds per worker thread, 6 locked increments each (default 5000)");

static unsigned int rounds = 100;
module_param(rounds, uint, 0444);
MODULE_PARM_DESC(rounds, "Timer rounds, one jiffy apart (default 100)");

#define SAMPLE KBUILD_MODNAME ": "
#define SAMPLE_MAX_WORKERS 4

struct sample_worker {
	struct sample_dev *dev;
	unsigned long contended;	/* rounds that saw dev->lock contended */
	struct completion finished;
};

static struct sample_dev sample;
static struct sample_worker workers[SAMPLE_MAX_WORKERS];
/* All workers start at once, so that they contend for the locks. */
static DECLARE_COMPLETION(sample_start);

/*
 * One round: dev->lock with each variant process context may use on a lock
 * a hardirq handler takes (interrupts off), then sample_bh_lock with the
 * variants for a lock a softirq takes (bottom halves off).
 */
static void sample_worker_round(struct sample_worker *w)
{
	struct sample_dev *dev = w->dev;
	unsigned long flags;

	spin_lock_irqsave(&dev->lock, flags);
	dev->total++;
	spin_unlock_irqrestore(&dev->lock, flags);

	spin_lock_irq(&dev->lock);
	if (spin_is_contended(&dev->lock))
		w->contended++;
	dev->total++;
	spin_unlock_irq(&dev->lock);

	while (!spin_trylock_irqsave(&dev->lock, flags))
		cpu_relax();
	assert_spin_locked(&dev->lock);
	dev->total++;
	spin_unlock_irqrestore(&dev->lock, flags);

	while (!spin_trylock_irq(&dev->lock))
		cpu_relax();
	dev->total++;
	spin_unlock_irq(&dev->lock);

	spin_lock_bh(&sample_bh_lock);
	sample_bh_total++;
	spin_unlock_bh(&sample_bh_lock);

	while (!spin_trylock_bh(&sample_bh_lock))
		cpu_relax();
	sample_bh_total++;
	spin_unlock_bh(&sample_bh_lock);
}

static int sample_worker_fn(void *data)
{
	struct sample_worker *w = data;
	unsigned int i;

	wait_for_completion(&sample_start);
	for (i = 0; i < iterations; i++) {
		sample_worker_round(w);
		if (i % 256 == 0)
			cond_resched();
	}
	kthread_complete_and_exit(&w->finished, 0);
}

/* Starts a worker on each online CPU, up to four; returns how many. */
static unsigned int sample_start_workers(struct sample_dev *dev)
{
	unsigned int cpu, n = 0;

	for_each_online_cpu(cpu) {
		struct sample_worker *w = &workers[n];
		struct task_struct *task;

		if (n == SAMPLE_MAX_WORKERS)
			break;
		w->dev = dev;
		init_completion(&w->finished);
		task = kthread_create_on_cpu(sample_worker_fn, w, cpu,
					     "compat_sample/%u");
		if (IS_ERR(task)) {
			pr_warn(SAMPLE "no worker on CPU %u: %ld\n", cpu, PTR_ERR(task));
			continue;
		}
		wake_up_process(task);
		n++;
	}
	return n;
}

static bool sample_check(struct sample_dev *dev, unsigned int nr_workers)
{
	unsigned long by_workers = (unsigned long)iterations * nr_workers;
	unsigned long work_runs = atomic_read(&dev->work_runs);
	unsigned long want_total = 4 * by_workers + dev->timer_runs + work_runs;
	unsigned long want_bh = 2 * by_workers + dev->timer_runs;
	unsigned long contended = 0;
	bool ok_total = dev->total == want_total;
	bool ok_bh = sample_bh_total == want_bh;
	bool free = !spin_is_locked(&dev->lock) && !spin_is_locked(&sample_bh_lock);
	unsigned int i;

	for (i = 0; i < nr_workers; i++)
		contended += workers[i].contended;
	pr_info(SAMPLE "lock: total %lu, expected %lu (%u workers %lu, timer %lu, irq_work %lu): %s\n",
		dev->total, want_total, nr_workers, 4 * by_workers,
		dev->timer_runs, work_runs, ok_total ? "ok" : "MISMATCH");
	pr_info(SAMPLE "bh_lock: total %lu, expected %lu (%u workers %lu, timer %lu): %s\n",
		sample_bh_total, want_bh, nr_workers, 2 * by_workers,
		dev->timer_runs, ok_bh ? "ok" : "MISMATCH");
	pr_info(SAMPLE "locks free at the end: %s; contention seen in %lu rounds\n",
		free ? "ok" : "NO", contended);
	return ok_total && ok_bh && free;
}

static int __init sample_init(void)
{
	struct sample_dev *dev = &sample;
	unsigned int i, n;

	if (!rounds || rounds > 10000 || iterations > 1000000) {
		pr_err(SAMPLE "rounds must be 1..10000 and iterations at most 1000000 (rounds=%u iterations=%u)\n",
		       rounds, iterations);
		return -EINVAL;
	}
	spin_lock_init(&dev->lock);
	sample_irq_init(dev, rounds);

	n = sample_start_workers(dev);
	sample_irq_start(dev);
	complete_all(&sample_start);
	for (i = 0; i < n; i++)
		wait_for_completion(&workers[i].finished);
	sample_irq_stop(dev);

	pr_info(SAMPLE "%s\n", sample_check(dev, n) ? "PASS" : "FAIL");
	return 0;
}
module_init(sample_init);

static void __exit sample_exit(void)
{
}
module_exit(sample_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("A spinlock_t driver built unchanged over qspin (spinlock_compat.h)");
