// SPDX-License-Identifier: GPL-2.0
/*
 * test_qspin_mistakes.ko: the seed's common mistakes made for real, for
 * selftests/qspin_mistakes.sh. Each debugfs file under
 * /sys/kernel/debug/test_qspin_mistakes/ makes one when written:
 *
 *   sleep_alloc   kmalloc(GFP_KERNEL) under a lock (it does not sleep:
 *                 reported before the allocation all the same)
 *   sleep_page    __get_free_page(GFP_KERNEL) under a lock
 *   sleep_real    msleep(1) under a lock: the task really sleeps; the
 *                 write fails with -EIO if the preempt count is not back
 *                 to 0 after the unlock
 *   leak          returns to user space holding a lock (the error path
 *                 without its unlock)
 *   kthread_leak  a kernel thread whose function returns holding a lock
 *   leak_moved    returns to user space holding a lock whose preempt count
 *                 was repaired (as do_one_initcall() repairs it), after
 *                 leaving the CPU (msleep(10): its records are parked)
 *   unlock_moved  the same, then qspin_unlock(): -EIO if the preempt count
 *                 is not 0 afterwards
 *
 * Each has its own lock, so each report names its own. With leak_at_init=1
 * the module's init returns holding a lock and its preemption: the kernel
 * repairs the count ("initcall ... returned with preemption imbalance"),
 * and qspin reports the lock when modprobe returns to user space, leaving
 * the repaired count alone.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/slab.h>
#include <qspin.h>

static DEFINE_QSPINLOCK(tqm_alloc_lock);
static DEFINE_QSPINLOCK(tqm_page_lock);
static DEFINE_QSPINLOCK(tqm_sleep_lock);
static DEFINE_QSPINLOCK(tqm_leak_lock);
static DEFINE_QSPINLOCK(tqm_kthread_lock);
static DEFINE_QSPINLOCK(tqm_init_lock);
static DEFINE_QSPINLOCK(tqm_moved_lock);
static struct dentry *tqm_dir;

static bool leak_at_init;
module_param(leak_at_init, bool, 0444);
MODULE_PARM_DESC(leak_at_init, "init returns holding tqm_init_lock (and its preemption)");

static noinline int tqm_sleep_alloc(void)
{
	void *p;

	qspin_lock(&tqm_alloc_lock);
	p = kmalloc(64, GFP_KERNEL);	/* may sleep: the bug */
	qspin_unlock(&tqm_alloc_lock);
	kfree(p);
	return p ? 0 : -ENOMEM;
}

static noinline int tqm_sleep_page(void)
{
	unsigned long page;

	qspin_lock(&tqm_page_lock);
	page = __get_free_page(GFP_KERNEL);	/* may sleep: the bug */
	qspin_unlock(&tqm_page_lock);
	if (!page)
		return -ENOMEM;
	free_page(page);
	return 0;
}

static noinline int tqm_sleep_real(void)
{
	qspin_lock(&tqm_sleep_lock);
	msleep(1);			/* sleeps (any length will do): the bug */
	qspin_unlock(&tqm_sleep_lock);
	/* The unlock of a parked lock gives back no preemption. */
	if (preempt_count()) {
		pr_err("preempt count %#x after the unlock\n", preempt_count());
		return -EIO;
	}
	return 0;
}

static noinline int tqm_leak(void)
{
	qspin_lock(&tqm_leak_lock);
	return 0;			/* no unlock: the bug */
}

/* The kernel's repair of a leaked preempt count, then a sleep: parked. */
static noinline void tqm_repaired_and_moved(void)
{
	qspin_lock(&tqm_moved_lock);
	preempt_enable();	/* what do_one_initcall() does to a leak */
	msleep(10);		/* switched out: the records go with the task */
}

static noinline int tqm_leak_moved(void)
{
	tqm_repaired_and_moved();
	return 0;		/* no unlock: the bug */
}

static noinline int tqm_unlock_moved(void)
{
	tqm_repaired_and_moved();
	/* Parked: released without a second preempt_enable(). */
	__acquire(&tqm_moved_lock);
	qspin_unlock(&tqm_moved_lock);
	if (preempt_count()) {
		pr_err("preempt count %#x after the unlock\n", preempt_count());
		return -EIO;
	}
	return 0;
}

static DECLARE_COMPLETION(tqm_kthread_locked);

static int tqm_kthread_fn(void *arg)
{
	qspin_lock(&tqm_kthread_lock);
	complete(&tqm_kthread_locked);
	return 0;			/* exits holding it: the bug */
}

static noinline int tqm_kthread_leak(void)
{
	struct task_struct *t;

	reinit_completion(&tqm_kthread_locked);
	t = kthread_create(tqm_kthread_fn, NULL, "tqm-leaker");
	if (IS_ERR(t))
		return PTR_ERR(t);
	/* Before it can run and exit: kthread_stop() needs the task. */
	get_task_struct(t);
	wake_up_process(t);
	wait_for_completion(&tqm_kthread_locked);
	/* It has returned, or will: kthread_stop() waits for its exit. */
	kthread_stop(t);
	put_task_struct(t);
	return 0;
}

struct tqm_mistake {
	const char *name;
	int (*make)(void);
};

static const struct tqm_mistake tqm_mistakes[] = {
	{ "sleep_alloc", tqm_sleep_alloc },
	{ "sleep_page", tqm_sleep_page },
	{ "sleep_real", tqm_sleep_real },
	{ "leak", tqm_leak },
	{ "kthread_leak", tqm_kthread_leak },
	{ "leak_moved", tqm_leak_moved },
	{ "unlock_moved", tqm_unlock_moved },
};

static ssize_t tqm_write(struct file *file, const char __user *ubuf,
			 size_t len, loff_t *ppos)
{
	const struct tqm_mistake *m = file->private_data;
	int ret = m->make();

	return ret ? ret : len;
}

static const struct file_operations tqm_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = tqm_write,
	.llseek = noop_llseek,
};

static int __init tqm_init(void)
{
	unsigned int i;

	tqm_dir = debugfs_create_dir("test_qspin_mistakes", NULL);
	for (i = 0; i < ARRAY_SIZE(tqm_mistakes); i++)
		debugfs_create_file(tqm_mistakes[i].name, 0200, tqm_dir,
				    (void *)&tqm_mistakes[i], &tqm_fops);
	if (leak_at_init)
		qspin_lock(&tqm_init_lock);	/* no unlock: the bug */
	return 0;
}

static void __exit tqm_exit(void)
{
	debugfs_remove_recursive(tqm_dir);
}

module_init(tqm_init);
module_exit(tqm_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("qspin's common mistakes made for real, for qspin_mistakes.sh");
