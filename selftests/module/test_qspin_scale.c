// SPDX-License-Identifier: GPL-2.0
/*
 * test_qspin_scale.ko: the tail CPU numbers a many-CPU VM puts in one lock
 * word (make check-scale, scripts/check-scale.sh, at -smp 16 and -smp 64).
 *
 * One kthread per online CPU, bound to it, takes one qspinlock_t over and
 * over and increments a counter under it; a sampler kthread (unbound) reads
 * the lock word as fast as it can, and every holder reads it once inside
 * its critical section (a holder sees the waiters queued behind it). Each
 * tail seen is decoded with <qspin/lock_word.h>'s qspin_decode_word() and
 * its CPU set in a cpumask. Why: with -smp 4 everywhere else, no tail CPU
 * above 4 (tail field value above 4) was ever encoded in the kernel; this
 * proves the higher numbers go through the word and back out intact.
 *
 * The run lasts at least min_ms and goes on, up to max_ms, until every
 * online CPU has been seen as a tail: a slow vCPU (64 of them on two host
 * cores) gets the time it needs without making a fast run long.
 *
 * Results, one dmesg line each, read by scripts/check-scale.sh:
 *   test_qspin_scale: cpus N threads N ms N
 *   test_qspin_scale: tails seen D highest H above4 A bad B samples S
 *   test_qspin_scale: counter C increments I min_per_thread M
 *   test_qspin_scale: tail cpus LIST
 * and "test_qspin_scale: PASS" or "test_qspin_scale: FAIL: why". The load
 * fails (-EINVAL) when the protected counter differs from the threads'
 * increments, when a tail names a CPU that is not possible (a corrupt
 * word), or when a thread could not start; thresholds on the tails seen
 * depend on the VM size and are the script's.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include <qspin.h>

static unsigned int min_ms = 3000;
module_param(min_ms, uint, 0444);
MODULE_PARM_DESC(min_ms, "shortest run in ms (default 3000)");

static unsigned int max_ms = 60000;
module_param(max_ms, uint, 0444);
MODULE_PARM_DESC(max_ms, "longest run in ms, while some CPU was never a tail (default 60000)");

static unsigned int hold_loops = 20;
module_param(hold_loops, uint, 0444);
MODULE_PARM_DESC(hold_loops, "empty loops inside the critical section, so queues form (default 20)");

static DEFINE_QSPINLOCK(scale_lock);
/* Protected by scale_lock: must equal the sum of the threads' increments. */
static unsigned long scale_counter;

/* Every CPU seen in the word's tail; cpumask ops are atomic set_bit. */
static struct cpumask tails_seen;
static atomic_long_t samples;
static atomic_t bad_tails;

static bool go;
static bool stop;
static DECLARE_WAIT_QUEUE_HEAD(go_wait);
static atomic_t started;

/* One hammering kthread per online CPU. */
struct scale_thread {
	struct task_struct *task;
	unsigned long increments;
	unsigned int cpu;
};

/* Decodes one lock word and records its tail CPU, if any. */
static void scale_record(u32 val)
{
	struct qspin_word_fields f = qspin_decode_word(val);

	if (f.tail_cpu < 0)
		return;
	if (f.tail_cpu >= nr_cpu_ids || !cpu_possible(f.tail_cpu)) {
		if (atomic_inc_return(&bad_tails) == 1)
			pr_err("lock word %#x names tail cpu %d, not a possible CPU\n",
			       val, f.tail_cpu);
		return;
	}
	/* Test before set: keeps the mask's cache line shared once seen. */
	if (!cpumask_test_cpu(f.tail_cpu, &tails_seen))
		cpumask_set_cpu(f.tail_cpu, &tails_seen);
	atomic_long_inc(&samples);
}

/* Sleeps until told to stop (kthread_stop() reaps every thread alike). */
static void scale_park(void)
{
	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (!kthread_should_stop())
			schedule();
		__set_current_state(TASK_RUNNING);
	}
}

static int scale_hammer(void *arg)
{
	struct scale_thread *t = arg;
	unsigned int i;

	atomic_inc(&started);
	wait_event_interruptible(go_wait, READ_ONCE(go) || kthread_should_stop());
	while (!READ_ONCE(stop) && !kthread_should_stop()) {
		qspin_lock(&scale_lock);
		scale_counter++;
		/*
		 * Not cpu_relax(): under TCG every PAUSE leaves the vCPU's
		 * translated code through QEMU's big lock, and with 64 vCPUs
		 * spinning that lock makes a holder crawl.
		 */
		for (i = 0; i < hold_loops; i++)
			barrier();
		scale_record(qspin_word_read(&scale_lock.word));
		qspin_unlock(&scale_lock);
		t->increments++;
		cond_resched();
	}
	scale_park();
	return 0;
}

static int scale_sampler(void *arg)
{
	unsigned int n = 0;

	wait_event_interruptible(go_wait, READ_ONCE(go) || kthread_should_stop());
	while (!READ_ONCE(stop) && !kthread_should_stop()) {
		scale_record(qspin_word_read(&scale_lock.word));
		/* Leave the CPU to its hammer now and then (no PAUSE: see above). */
		if (++n % 64 == 0)
			cond_resched();
	}
	scale_park();
	return 0;
}

static int __init test_qspin_scale_init(void)
{
	unsigned int nthreads = num_online_cpus(), n = 0, cpu, above4 = 0;
	unsigned long sum = 0, min_inc = ULONG_MAX, t0 = jiffies, deadline_min, deadline_max;
	struct task_struct *sampler;
	struct scale_thread *threads;
	int highest, ret = 0;

	if (min_ms > max_ms) {
		pr_err("min_ms %u is above max_ms %u\n", min_ms, max_ms);
		return -EINVAL;
	}
	threads = kcalloc(nthreads, sizeof(*threads), GFP_KERNEL);
	if (!threads)
		return -ENOMEM;

	/* CPU hotplug is not part of this test: the online set is fixed. */
	cpus_read_lock();
	for_each_online_cpu(cpu) {
		struct scale_thread *t = &threads[n];

		if (n == nthreads)
			break;
		t->cpu = cpu;
		t->task = kthread_create_on_cpu(scale_hammer, t, cpu,
						"qspin_scale/%u");
		if (IS_ERR(t->task)) {
			pr_err("FAIL: no kthread for cpu %u: %ld\n", cpu,
			       PTR_ERR(t->task));
			t->task = NULL;
			ret = -EINVAL;
			break;
		}
		get_task_struct(t->task);
		wake_up_process(t->task);
		n++;
	}
	cpus_read_unlock();
	sampler = ret ? NULL : kthread_run(scale_sampler, NULL, "qspin_scale_s");
	if (IS_ERR(sampler)) {
		pr_err("FAIL: no sampler kthread: %ld\n", PTR_ERR(sampler));
		sampler = NULL;
		ret = -EINVAL;
	}
	if (sampler)
		get_task_struct(sampler);

	if (!ret) {
		/* Everyone waits for go: no thread gets a head start alone. */
		while (atomic_read(&started) < n)
			msleep(10);
		t0 = jiffies;
		deadline_min = t0 + msecs_to_jiffies(min_ms);
		deadline_max = t0 + msecs_to_jiffies(max_ms);
		WRITE_ONCE(go, true);
		wake_up_all(&go_wait);
		while (time_before(jiffies, deadline_min) ||
		       (cpumask_weight(&tails_seen) < n &&
			time_before(jiffies, deadline_max)))
			msleep(100);
	}
	WRITE_ONCE(stop, true);
	wake_up_all(&go_wait);
	if (sampler) {
		kthread_stop(sampler);
		put_task_struct(sampler);
	}
	for (cpu = 0; cpu < n; cpu++) {
		kthread_stop(threads[cpu].task);
		put_task_struct(threads[cpu].task);
		sum += threads[cpu].increments;
		min_inc = min(min_inc, threads[cpu].increments);
	}
	if (ret)
		goto out;

	for_each_cpu(cpu, &tails_seen)
		if (cpu >= 4)
			above4++;
	highest = cpumask_empty(&tails_seen) ? -1 :
		  (int)cpumask_last(&tails_seen);
	pr_info("cpus %u threads %u ms %u\n", num_online_cpus(), n,
		jiffies_to_msecs(jiffies - t0));
	pr_info("tails seen %u highest %d above4 %u bad %d samples %ld\n",
		cpumask_weight(&tails_seen), highest, above4,
		atomic_read(&bad_tails), atomic_long_read(&samples));
	pr_info("counter %lu increments %lu min_per_thread %lu\n",
		scale_counter, sum, min_inc);
	pr_info("tail cpus %*pbl\n", cpumask_pr_args(&tails_seen));
	if (scale_counter != sum) {
		pr_err("FAIL: counter %lu but the threads made %lu increments: mutual exclusion broken\n",
		       scale_counter, sum);
		ret = -EINVAL;
	} else if (atomic_read(&bad_tails)) {
		pr_err("FAIL: %d lock words named an impossible tail cpu\n",
		       atomic_read(&bad_tails));
		ret = -EINVAL;
	} else {
		pr_info("PASS\n");
	}
out:
	kfree(threads);
	return ret;
}

static void __exit test_qspin_scale_exit(void)
{
}

module_init(test_qspin_scale_init);
module_exit(test_qspin_scale_exit);
MODULE_DESCRIPTION("qspin: tail CPU numbers in the lock word on a many-CPU VM");
MODULE_LICENSE("GPL");
