// SPDX-License-Identifier: GPL-2.0
/*
 * test_qspin_queue.ko: builds a known MCS queue for selftests/qspin_queue.sh,
 * which reads qspin's debugfs "queue" while it stands. Written to
 * /sys/kernel/debug/test_qspin_queue/chain:
 *
 *   build    CPU 0 takes tqq_lock, then tqq_irq_lock (irqsave: it is taken
 *            in hardirq too), and sets tqq_lock's pending byte itself; then,
 *            one at a time, each waiting until the word shows it in place:
 *              1. a kthread on CPU 1 queues on tqq_lock    (head, node 0, task)
 *              2. a kthread on CPU 2 queues on tqq_lock    (tail, node 0, task)
 *              3. a hardirq on CPU 1 (a call-function IPI) waits for tqq_irq_lock:
 *                 the pending waiter (no node)
 *              4. a hardirq on CPU 2 waits for tqq_irq_lock: CPU 2's task
 *                 holds node 0 (queued on tqq_lock), so it queues at node 1
 *            with 50 ms between steps, so each waited longer than the next.
 *            Built by a worker on CPU 3, which the reader then has to
 *            itself. Returns once all four are in place (-ETIMEDOUT and
 *            everything released if one is not within 5 s).
 *   release  CPU 0 lets go of both; each waiter takes and releases its lock
 *            in turn. Returns 0 when every waiter got its lock, tqq_lock in
 *            queue order (CPU 1 then CPU 2) and tqq_irq_lock pending waiter
 *            first; -EIO otherwise (a dmesg line says what).
 * Reading it: "idle" or "built".
 *
 * Why the test holds the pending byte, and three CPUs only: the waiters
 * spin with preemption off and the reader (the shell) needs a CPU of its
 * own, so with the test VM's 4 CPUs there are a holder and two waiting
 * CPUs; without the pending byte held the first task waiter would be the
 * pending waiter, and tqq_lock's queue one node long. tqq_irq_lock shows
 * the real pending waiter. If nobody says release, CPU 0 lets go after
 * hold_ms (default 8000) all the same, and release reports -EIO.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/smp.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched/clock.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>
#include <qspin.h>
#include <qspin/debug.h>

#define TQQ_HOLDER_CPU	0
#define TQQ_FIRST_CPU	1	/* tqq_lock's queue head */
#define TQQ_SECOND_CPU	2	/* its tail; node 1 on tqq_irq_lock */
#define TQQ_READER_CPU	3	/* builds, and stays free for the reader */
#define TQQ_STEP_MS	50
#define TQQ_PLACE_MS	5000

static unsigned int hold_ms = 8000;
module_param(hold_ms, uint, 0644);
MODULE_PARM_DESC(hold_ms, "CPU 0 lets go after this long even without release (ms)");

static DEFINE_QSPINLOCK(tqq_lock);	/* the task-level queue */
static DEFINE_QSPINLOCK(tqq_irq_lock);	/* waited for in hardirq */

static DEFINE_MUTEX(tqq_mutex);		/* one build or release at a time */
static struct dentry *tqq_dir;
static bool tqq_built;
static struct task_struct *tqq_holder, *tqq_waiter[2];
/*
 * The holder's steps: it takes tqq_lock, then tqq_irq_lock only when asked
 * (its interrupts stay off from then on: no longer than needed).
 */
enum tqq_hold {
	TQQ_HOLD_NONE,
	TQQ_HOLD_LOCK,		/* tqq_lock held, its pending byte set */
	TQQ_HOLD_WANT_IRQ_LOCK,	/* asked to take tqq_irq_lock too */
	TQQ_HOLD_BOTH,
};
static enum tqq_hold tqq_hold;
static bool tqq_release, tqq_held_too_long;
static atomic_t tqq_turn, tqq_irq_turn;
/* The turn each waiter got its lock in (1, 2); 0: not yet. */
static int tqq_task_turn[2], tqq_hardirq_turn[2];
static bool tqq_hardirq_sent[2];

static void tqq_set_pending(qspinlock_t *lock, u8 pending)
{
	__atomic_store_n(&lock->word.pending, pending, __ATOMIC_RELAXED);
}

static bool tqq_tail_is(qspinlock_t *lock, int cpu, unsigned int idx)
{
	struct qspin_word_fields f = qspin_lock_fields(lock);

	return f.tail_cpu == cpu && f.tail_idx == idx;
}

static bool tqq_pending_waits(qspinlock_t *lock)
{
	struct qspin_word_fields f = qspin_lock_fields(lock);

	return f.pending && f.tail_cpu < 0;
}

static void tqq_park(void)
{
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
}

/* Spin until release is asked for, or hold_ms since `start` has passed. */
static bool tqq_hold_on(u64 start, enum tqq_hold until)
{
	u64 deadline = start + (u64)hold_ms * NSEC_PER_MSEC;

	while (!READ_ONCE(tqq_release) && READ_ONCE(tqq_hold) != until) {
		if (local_clock() > deadline)
			return false;
		cpu_relax();
	}
	return true;
}

static int tqq_holder_fn(void *arg)
{
	unsigned long flags = 0;
	bool in_time, both = false;
	u64 start;

	qspin_lock(&tqq_lock);
	/* Every task waiter queues: none can take the pending path. */
	tqq_set_pending(&tqq_lock, 1);
	start = local_clock();
	WRITE_ONCE(tqq_hold, TQQ_HOLD_LOCK);
	in_time = tqq_hold_on(start, TQQ_HOLD_WANT_IRQ_LOCK);
	if (in_time && !READ_ONCE(tqq_release)) {
		qspin_lock_irqsave(&tqq_irq_lock, flags);
		both = true;
		WRITE_ONCE(tqq_hold, TQQ_HOLD_BOTH);
		in_time = tqq_hold_on(start, TQQ_HOLD_NONE);
	}
	if (both)
		qspin_unlock_irqrestore(&tqq_irq_lock, flags);
	/* The queue head waits for locked and pending both to clear. */
	tqq_set_pending(&tqq_lock, 0);
	qspin_unlock(&tqq_lock);
	if (!in_time) {
		tqq_held_too_long = true;
		pr_err("nobody said release within hold_ms=%u: let go\n",
		       hold_ms);
	}
	tqq_park();
	return 0;
}

static int tqq_waiter_fn(void *arg)
{
	int *turn = arg;

	qspin_lock(&tqq_lock);
	*turn = atomic_inc_return(&tqq_turn);
	qspin_unlock(&tqq_lock);
	tqq_park();
	return 0;
}

/* noinline: the view names it as the waiter's call site. */
static noinline void tqq_hardirq(int *turn)
{
	unsigned long flags;

	qspin_lock_irqsave(&tqq_irq_lock, flags);
	*turn = atomic_inc_return(&tqq_irq_turn);
	qspin_unlock_irqrestore(&tqq_irq_lock, flags);
}

/* In the call-function IPI: hardirq context, on every kernel. */
static void tqq_hardirq_first(void *info)
{
	tqq_hardirq(&tqq_hardirq_turn[0]);
}

static void tqq_hardirq_second(void *info)
{
	tqq_hardirq(&tqq_hardirq_turn[1]);
}

/*
 * Created, bound, not yet running. All are created before the holder
 * spins: creating a thread may wait for every CPU (a vmalloc'ed stack's
 * TLB flush), and the holder's interrupts go off.
 */
static struct task_struct *tqq_create_on(int (*fn)(void *), void *arg,
					 int cpu, const char *name)
{
	struct task_struct *t = kthread_create(fn, arg, "%s/%d", name, cpu);

	if (IS_ERR(t))
		return NULL;
	kthread_bind(t, cpu);
	get_task_struct(t);
	return t;
}

/* A thread created but never woken is woken to be stopped. */
static void tqq_stop(struct task_struct **t)
{
	if (!*t)
		return;
	kthread_stop(*t);
	put_task_struct(*t);
	*t = NULL;
}

/* Sleep-poll until `cond` or TQQ_PLACE_MS: the waiters spin, we need not. */
#define TQQ_WAIT_FOR(cond, what)					\
	({								\
		u64 __end = local_clock() + TQQ_PLACE_MS * NSEC_PER_MSEC; \
									\
		while (!(cond) && local_clock() < __end)		\
			usleep_range(1000, 2000);			\
		if (!(cond))						\
			pr_err("%s: not there within %u ms\n",		\
			       what, TQQ_PLACE_MS);			\
		(cond);							\
	})

/* Let go of everything and check who got what in which turn. */
static int tqq_release_all(void)
{
	int ret = 0, i;

	WRITE_ONCE(tqq_release, true);
	/* The hardirq waiters, if sent, finish once the holder lets go. */
	for (i = 0; i < 2; i++)
		if (tqq_hardirq_sent[i])
			TQQ_WAIT_FOR(READ_ONCE(tqq_hardirq_turn[i]),
				     "a hardirq waiter's turn");
	/* kthread_stop() waits for each to finish its lock and park. */
	tqq_stop(&tqq_waiter[0]);
	tqq_stop(&tqq_waiter[1]);
	tqq_stop(&tqq_holder);
	for (i = 0; i < 2; i++) {
		if (tqq_task_turn[i] != i + 1) {
			pr_err("release: tqq_lock's waiter on CPU %d got it in turn %d, not %d (queue order)\n",
			       i + 1, tqq_task_turn[i], i + 1);
			ret = -EIO;
		}
		if (tqq_hardirq_turn[i] != i + 1) {
			pr_err("release: tqq_irq_lock's hardirq waiter on CPU %d got it in turn %d, not %d\n",
			       i + 1, tqq_hardirq_turn[i], i + 1);
			ret = -EIO;
		}
	}
	if (tqq_held_too_long)
		ret = -EIO;
	tqq_built = false;
	return ret;
}

static long tqq_build(void *unused)
{
	tqq_hold = TQQ_HOLD_NONE;
	tqq_release = tqq_held_too_long = false;
	atomic_set(&tqq_turn, 0);
	atomic_set(&tqq_irq_turn, 0);
	memset(tqq_task_turn, 0, sizeof(tqq_task_turn));
	memset(tqq_hardirq_turn, 0, sizeof(tqq_hardirq_turn));
	memset(tqq_hardirq_sent, 0, sizeof(tqq_hardirq_sent));
	tqq_built = true;

	tqq_holder = tqq_create_on(tqq_holder_fn, NULL, TQQ_HOLDER_CPU,
				   "tqq_holder");
	tqq_waiter[0] = tqq_create_on(tqq_waiter_fn, &tqq_task_turn[0],
				      TQQ_FIRST_CPU, "tqq_waiter");
	tqq_waiter[1] = tqq_create_on(tqq_waiter_fn, &tqq_task_turn[1],
				      TQQ_SECOND_CPU, "tqq_waiter");
	if (!tqq_holder || !tqq_waiter[0] || !tqq_waiter[1]) {
		pr_err("build: kthread_create failed\n");
		goto fail;
	}

	wake_up_process(tqq_holder);
	if (!TQQ_WAIT_FOR(READ_ONCE(tqq_hold) == TQQ_HOLD_LOCK,
			  "the holder of tqq_lock"))
		goto fail;

	wake_up_process(tqq_waiter[0]);
	if (!TQQ_WAIT_FOR(tqq_tail_is(&tqq_lock, TQQ_FIRST_CPU, 0),
			  "CPU 1's task on tqq_lock"))
		goto fail;
	msleep(TQQ_STEP_MS);

	wake_up_process(tqq_waiter[1]);
	if (!TQQ_WAIT_FOR(tqq_tail_is(&tqq_lock, TQQ_SECOND_CPU, 0),
			  "CPU 2's task on tqq_lock"))
		goto fail;
	msleep(TQQ_STEP_MS);

	WRITE_ONCE(tqq_hold, TQQ_HOLD_WANT_IRQ_LOCK);
	if (!TQQ_WAIT_FOR(READ_ONCE(tqq_hold) == TQQ_HOLD_BOTH,
			  "the holder of tqq_irq_lock"))
		goto fail;
	tqq_hardirq_sent[0] = true;
	smp_call_function_single(TQQ_FIRST_CPU, tqq_hardirq_first, NULL, 0);
	if (!TQQ_WAIT_FOR(tqq_pending_waits(&tqq_irq_lock),
			  "CPU 1's hardirq pending on tqq_irq_lock"))
		goto fail;
	msleep(TQQ_STEP_MS);

	tqq_hardirq_sent[1] = true;
	smp_call_function_single(TQQ_SECOND_CPU, tqq_hardirq_second, NULL, 0);
	if (!TQQ_WAIT_FOR(tqq_tail_is(&tqq_irq_lock, TQQ_SECOND_CPU, 1),
			  "CPU 2's hardirq at node 1 on tqq_irq_lock"))
		goto fail;
	return 0;

fail:
	tqq_release_all();
	return -ETIMEDOUT;
}

/*
 * Built from CPU 3, the one left free: a sleep whose timer sits on a CPU
 * that spins would not end before the spinning does (on PREEMPT_RT even
 * with its interrupts on: timers expire in a thread there).
 */
static int tqq_build_on_reader_cpu(void)
{
	int cpu;

	if (num_online_cpus() < 4)
		goto no_cpus;
	for (cpu = TQQ_HOLDER_CPU; cpu <= TQQ_READER_CPU; cpu++)
		if (!cpu_online(cpu))
			goto no_cpus;
	return work_on_cpu(TQQ_READER_CPU, tqq_build, NULL);
no_cpus:
	pr_err("build: needs CPUs 0-3 online: a holder, two waiters, the reader\n");
	return -EINVAL;
}

static ssize_t tqq_chain_write(struct file *file, const char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	char buf[16];
	int ret;

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	strim(buf);

	mutex_lock(&tqq_mutex);
	if (!strcmp(buf, "build"))
		ret = tqq_built ? -EBUSY : tqq_build_on_reader_cpu();
	else if (!strcmp(buf, "release"))
		ret = tqq_built ? tqq_release_all() : -EINVAL;
	else
		ret = -EINVAL;
	mutex_unlock(&tqq_mutex);
	return ret ? ret : len;
}

static ssize_t tqq_chain_read(struct file *file, char __user *ubuf,
			      size_t len, loff_t *ppos)
{
	const char *s = READ_ONCE(tqq_built) ? "built\n" : "idle\n";

	return simple_read_from_buffer(ubuf, len, ppos, s, strlen(s));
}

static const struct file_operations tqq_chain_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = tqq_chain_read,
	.write = tqq_chain_write,
	.llseek = default_llseek,
};

static int __init tqq_init(void)
{
	tqq_dir = debugfs_create_dir("test_qspin_queue", NULL);
	debugfs_create_file("chain", 0600, tqq_dir, NULL, &tqq_chain_fops);
	return 0;
}

static void __exit tqq_exit(void)
{
	debugfs_remove_recursive(tqq_dir);
	mutex_lock(&tqq_mutex);
	if (tqq_built)
		tqq_release_all();
	mutex_unlock(&tqq_mutex);
}

module_init(tqq_init);
module_exit(tqq_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("builds a known qspin queue for qspin_queue.sh to read");
