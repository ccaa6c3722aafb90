// SPDX-License-Identifier: GPL-2.0
/*
 * test_qspin_lockstat.ko: a test lock whose use the test knows exactly, for
 * selftests/qspin_lockstat.sh, which reads qspin's debugfs lock_stat after
 * each step. Files under /sys/kernel/debug/test_qspin_lockstat/:
 *
 *   acquire  write N: N uncontended acquisitions of tql_lock in task
 *            context, every variant in turn (lock, irqsave, irq, bh,
 *            trylock); -EIO if a trylock of the free lock failed
 *   contend  write "K H": K forced contentions on two CPUs. A holder
 *            kthread (the second online CPU) takes tql_lock, waits until
 *            it sees the waiter queued (qspin_is_contended(), at most 5 s),
 *            holds H ms more, releases; a waiter kthread (the first CPU)
 *            takes it once the holder has it. Rounds one after the other:
 *            2K acquisitions, K contentions each of at least H ms, no
 *            other. -ENODEV with one CPU, -EIO if a waiter was not seen
 *   result   the last run, measured by the test around its own calls with
 *            local_clock() (lock_stat's clock): "forced K", "hold_ms H",
 *            "wait_call_max_ns" (the waiter's longest qspin_lock() call:
 *            no wait lock_stat counts can be longer) and
 *            "hold_call_max_ns" (the holder's longest lock-to-unlock-return:
 *            no hold can be longer)
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>
#include <qspin.h>

static DEFINE_QSPINLOCK(tql_lock);
static struct dentry *tql_dir;
static DEFINE_MUTEX(tql_mutex);	/* one run at a time */

#define TQL_WAIT_NS (5 * NSEC_PER_SEC)

static struct tql_run {
	unsigned int rounds, hold_ms, forced;
	u64 wait_call_max_ns, hold_call_max_ns;
	atomic_t held_round;	/* the holder has the lock for this round */
	atomic_t done_round;	/* the waiter released it in this round */
	int err;
} tql_run;

/* ---- acquire ----------------------------------------------------------- */

static noinline int tql_acquire_once(unsigned int i)
{
	unsigned long flags;

	switch (i % 5) {
	case 0:
		qspin_lock(&tql_lock);
		qspin_unlock(&tql_lock);
		break;
	case 1:
		qspin_lock_irqsave(&tql_lock, flags);
		qspin_unlock_irqrestore(&tql_lock, flags);
		break;
	case 2:
		qspin_lock_irq(&tql_lock);
		qspin_unlock_irq(&tql_lock);
		break;
	case 3:
		qspin_lock_bh(&tql_lock);
		qspin_unlock_bh(&tql_lock);
		break;
	default:
		if (!qspin_trylock(&tql_lock))
			return -EIO;
		qspin_unlock(&tql_lock);
	}
	return 0;
}

/* ---- contend ------------------------------------------------------------ */

/*
 * Sleep-wait (outside the lock) until `v` reaches `want`; false: 5 s passed
 * (or, in a kthread, it is being stopped).
 */
static bool tql_wait_for(atomic_t *v, int want)
{
	unsigned long end = jiffies + 5 * HZ;

	while (atomic_read_acquire(v) < want) {
		if (time_after(jiffies, end) ||
		    ((current->flags & PF_KTHREAD) && kthread_should_stop()))
			return false;
		usleep_range(20, 50);
	}
	return true;
}

static noinline void tql_holder_round(struct tql_run *r, int round)
{
	u64 t0 = local_clock(), end = t0 + TQL_WAIT_NS;
	bool seen;

	qspin_lock(&tql_lock);
	atomic_set_release(&r->held_round, round);
	while (!(seen = qspin_is_contended(&tql_lock)) && local_clock() < end)
		cpu_relax();
	/* H ms on lock_stat's clock (mdelay()'s loops are not, under TCG). */
	end = local_clock() + (u64)r->hold_ms * NSEC_PER_MSEC;
	while (local_clock() < end)
		cpu_relax();
	qspin_unlock(&tql_lock);
	r->hold_call_max_ns = max(r->hold_call_max_ns, local_clock() - t0);
	if (seen)
		r->forced++;
	else
		r->err = -EIO;
}

static int tql_holder(void *arg)
{
	struct tql_run *r = arg;
	unsigned int i;

	for (i = 1; i <= r->rounds && !r->err; i++) {
		if (!tql_wait_for(&r->done_round, i - 1)) {
			r->err = -EIO;
			break;
		}
		tql_holder_round(r, i);
	}
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

static noinline void tql_waiter_round(struct tql_run *r, int round)
{
	u64 t0 = local_clock();

	qspin_lock(&tql_lock);
	r->wait_call_max_ns = max(r->wait_call_max_ns, local_clock() - t0);
	qspin_unlock(&tql_lock);
	atomic_set_release(&r->done_round, round);
}

static int tql_waiter(void *arg)
{
	struct tql_run *r = arg;
	unsigned int i;

	for (i = 1; i <= r->rounds; i++) {
		if (!tql_wait_for(&r->held_round, i))
			break;
		tql_waiter_round(r, i);
	}
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

static struct task_struct *tql_start(int (*fn)(void *), int cpu,
				     const char *name)
{
	struct task_struct *t = kthread_create(fn, &tql_run, "%s/%d", name, cpu);

	if (IS_ERR(t))
		return t;
	kthread_bind(t, cpu);
	get_task_struct(t);
	wake_up_process(t);
	return t;
}

static void tql_stop(struct task_struct *t)
{
	if (IS_ERR_OR_NULL(t))
		return;
	kthread_stop(t);
	put_task_struct(t);
}

static int tql_contend(unsigned int rounds, unsigned int hold_ms)
{
	struct task_struct *holder, *waiter;
	int first = cpumask_first(cpu_online_mask);
	int second = cpumask_next(first, cpu_online_mask);
	struct tql_run *r = &tql_run;

	if (second >= nr_cpu_ids)
		return -ENODEV;
	memset(r, 0, sizeof(*r));
	r->rounds = rounds;
	r->hold_ms = hold_ms;
	waiter = tql_start(tql_waiter, first, "tql_waiter");
	if (IS_ERR(waiter))
		return PTR_ERR(waiter);
	holder = tql_start(tql_holder, second, "tql_holder");
	if (IS_ERR(holder)) {
		tql_stop(waiter);
		return PTR_ERR(holder);
	}
	/* Done when the waiter has its last round, or a side gave up. */
	while (atomic_read(&r->done_round) < rounds && !r->err &&
	       tql_wait_for(&r->done_round, atomic_read(&r->done_round) + 1))
		;
	tql_stop(holder);
	tql_stop(waiter);
	if (!r->err && r->forced != rounds)
		r->err = -EIO;
	return r->err;
}

/* ---- debugfs ------------------------------------------------------------ */

static ssize_t tql_write(struct file *file, const char __user *ubuf,
			 size_t len, loff_t *ppos, bool contend)
{
	unsigned int a, b = 0;
	char buf[32];
	int ret, i;

	if (!len || len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	if (contend ? sscanf(buf, "%u %u", &a, &b) != 2 || !a || a > 1000 ||
		      !b || b > 1000 :
		      kstrtouint(strim(buf), 10, &a) || !a || a > 1000000)
		return -EINVAL;
	mutex_lock(&tql_mutex);
	if (contend) {
		ret = tql_contend(a, b);
	} else {
		for (ret = 0, i = 0; i < a && !ret; i++)
			ret = tql_acquire_once(i);
	}
	mutex_unlock(&tql_mutex);
	if (ret)
		pr_err("%s %s failed: %d\n", contend ? "contend" : "acquire",
		       strim(buf), ret);
	return ret ?: len;
}

static ssize_t acquire_write(struct file *file, const char __user *ubuf,
			     size_t len, loff_t *ppos)
{
	return tql_write(file, ubuf, len, ppos, false);
}

static ssize_t contend_write(struct file *file, const char __user *ubuf,
			     size_t len, loff_t *ppos)
{
	return tql_write(file, ubuf, len, ppos, true);
}

static const struct file_operations acquire_fops = {
	.owner = THIS_MODULE,
	.write = acquire_write,
};

static const struct file_operations contend_fops = {
	.owner = THIS_MODULE,
	.write = contend_write,
};

static int result_show(struct seq_file *m, void *v)
{
	mutex_lock(&tql_mutex);
	seq_printf(m, "forced %u\nhold_ms %u\nwait_call_max_ns %llu\nhold_call_max_ns %llu\n",
		   tql_run.forced, tql_run.hold_ms, tql_run.wait_call_max_ns,
		   tql_run.hold_call_max_ns);
	mutex_unlock(&tql_mutex);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(result);

static int __init tql_init(void)
{
	tql_dir = debugfs_create_dir("test_qspin_lockstat", NULL);
	debugfs_create_file("acquire", 0200, tql_dir, NULL, &acquire_fops);
	debugfs_create_file("contend", 0200, tql_dir, NULL, &contend_fops);
	debugfs_create_file("result", 0400, tql_dir, NULL, &result_fops);
	return 0;
}

static void __exit tql_exit(void)
{
	debugfs_remove_recursive(tql_dir);
}

module_init(tql_init);
module_exit(tql_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("qspin lock_stat test: a test lock used in known ways");
