// SPDX-License-Identifier: GPL-2.0
/*
 * test_qspin_sanitize.ko: triggers the planted bugs of planted.cpp (C++)
 * from debugfs, for scripts/check-sanitizers.sh. Only ever loaded on the
 * sanitizer kernels (scripts/debug-kernel.sh kasan|kcsan), in a boot of its
 * own: the reports it provokes are expected there and nowhere else.
 *
 *   /sys/kernel/debug/test_qspin_sanitize/use_after_free
 *        write anything: qspin_sanitize_cxx_use_after_free() allocates an
 *        object, frees it and reads it (KASAN reports the read)
 *   /sys/kernel/debug/test_qspin_sanitize/race
 *        write MS (1..60000): two kernel threads, on two CPUs when there
 *        are two, call qspin_sanitize_cxx_race_step() on one object for MS
 *        milliseconds; the write returns when both have stopped. KCSAN
 *        samples, so a caller repeats it until the report is there.
 *
 * Anything else written: -EINVAL, with a dmesg line saying why.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "planted.h"

static struct dentry *sanitize_dir;

static void *sanitize_alloc(unsigned long size)
{
	return kmalloc(size, GFP_KERNEL);
}

static void sanitize_free(void *p)
{
	kfree(p);
}

static const struct qspin_sanitize_env sanitize_env = {
	.alloc = sanitize_alloc,
	.free = sanitize_free,
};

static ssize_t use_after_free_write(struct file *file, const char __user *buf,
				    size_t len, loff_t *ppos)
{
	int v;

	pr_info("use_after_free: reading a freed object from C++\n");
	v = qspin_sanitize_cxx_use_after_free(&sanitize_env);
	pr_info("use_after_free: done (read %d)\n", v);
	return len;
}

/* One racing thread: the step, in a loop, until its deadline. */
struct race_thread {
	struct qspin_sanitize_race *race;
	unsigned long deadline;
	unsigned long steps;
	struct completion done;
};

static int race_thread_fn(void *arg)
{
	struct race_thread *t = arg;

	while (time_before(jiffies, t->deadline)) {
		int i;

		for (i = 0; i < 1000; i++)
			qspin_sanitize_cxx_race_step(t->race);
		t->steps += 1000;
		cond_resched();
	}
	complete(&t->done);
	return 0;
}

static ssize_t race_write(struct file *file, const char __user *buf,
			  size_t len, loff_t *ppos)
{
	struct qspin_sanitize_race *race;
	struct race_thread t[2];
	unsigned int ms, cpu0, cpu1;
	int err, i;

	err = kstrtouint_from_user(buf, len, 0, &ms);
	if (err || ms < 1 || ms > 60000) {
		pr_err("race: want milliseconds, 1..60000\n");
		return -EINVAL;
	}
	race = kzalloc(sizeof(*race), GFP_KERNEL);
	if (!race)
		return -ENOMEM;
	cpu0 = cpumask_first(cpu_online_mask);
	cpu1 = cpumask_next(cpu0, cpu_online_mask);
	if (cpu1 >= nr_cpu_ids)
		cpu1 = cpu0;
	for (i = 0; i < 2; i++) {
		struct task_struct *task;

		t[i].race = race;
		t[i].deadline = jiffies + msecs_to_jiffies(ms);
		t[i].steps = 0;
		init_completion(&t[i].done);
		task = kthread_create(race_thread_fn, &t[i], "tqs-race/%d", i);
		if (IS_ERR(task)) {
			/* The first thread, if any, ends by its deadline. */
			if (i == 1)
				wait_for_completion(&t[0].done);
			kfree(race);
			return PTR_ERR(task);
		}
		kthread_bind(task, i ? cpu1 : cpu0);
		wake_up_process(task);
	}
	for (i = 0; i < 2; i++)
		wait_for_completion(&t[i].done);
	pr_info("race: %lu + %lu steps on CPUs %u and %u, counter %lu\n",
		t[0].steps, t[1].steps, cpu0, cpu1, race->counter);
	kfree(race);
	return len;
}

static const struct file_operations use_after_free_fops = {
	.owner = THIS_MODULE,
	.write = use_after_free_write,
	.llseek = noop_llseek,
};

static const struct file_operations race_fops = {
	.owner = THIS_MODULE,
	.write = race_write,
	.llseek = noop_llseek,
};

static int __init sanitize_init(void)
{
	sanitize_dir = debugfs_create_dir("test_qspin_sanitize", NULL);
	debugfs_create_file("use_after_free", 0200, sanitize_dir, NULL,
			    &use_after_free_fops);
	debugfs_create_file("race", 0200, sanitize_dir, NULL, &race_fops);
	return 0;
}

static void __exit sanitize_exit(void)
{
	debugfs_remove_recursive(sanitize_dir);
}

module_init(sanitize_init);
module_exit(sanitize_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("qspin: planted use-after-free and data race in C++, for the sanitizer kernels");
