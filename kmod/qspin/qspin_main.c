// SPDX-License-Identifier: GPL-2.0
/*
 * qspin.ko: the kernel's spinlock API over qspin's queued spinlock.
 *
 * Each exported operation does what the kernel's own spinlock does, in the
 * same order (kernel/locking/spinlock.c, include/linux/spinlock_api_smp.h):
 * local_irq_save() / local_irq_disable() / local_bh_disable(), then
 * preempt_disable() where those did not already disable preemption, then
 * the one-CAS fast path inline; only contention calls the C++ slow path
 * (qspin_core.cpp). Release goes in reverse.
 *
 * Also here: the kernel environment the C++ core calls back into (per-CPU
 * queue nodes from alloc_percpu(), the CPU id, statistics) and the debugfs
 * files under /sys/kernel/debug/qspin/.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bottom_half.h>
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/irqflags.h>
#include <linux/jump_label.h>
#include <linux/kallsyms.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/seq_file.h>
#include <linux/smp.h>
#include <linux/stacktrace.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <qspin.h>
#include <qspin/debug.h>
#include "qspin_env.h"
#include "qspin_internal.h"

#define QSPIN_VERSION "0.1.0"

/* ---- statistics ---------------------------------------------------- */

DEFINE_PER_CPU(struct qspin_stats, qspin_stats);
DEFINE_STATIC_KEY_TRUE(qspin_stats_key);
DEFINE_STATIC_KEY_TRUE(qspin_instrument_key);
static DEFINE_MUTEX(qspin_keys_mutex);

void qspin_instrument_update(void)
{
	mutex_lock(&qspin_keys_mutex);
	if (static_key_enabled(&qspin_stats_key) ||
	    static_key_enabled(&qspin_detect_key))
		static_branch_enable(&qspin_instrument_key);
	else
		static_branch_disable(&qspin_instrument_key);
	mutex_unlock(&qspin_keys_mutex);
}

static bool stats = true;
module_param(stats, bool, 0444);
MODULE_PARM_DESC(stats, "Count which lock paths are taken (default: on; debugfs stats can switch it)");

static const char *const qspin_stat_names[QSPIN_STAT_NR] = {
	[QSPIN_EV_PENDING] = "pending",
	[QSPIN_EV_QUEUED] = "queued",
	[QSPIN_EV_DEPTH2] = "nested_depth2",
	[QSPIN_EV_DEPTH3] = "nested_depth3",
	[QSPIN_EV_DEPTH4] = "nested_depth4",
	[QSPIN_EV_BEYOND] = "beyond_max_nodes",
	[QSPIN_STAT_FAST] = "fast",
};

/* ---- the environment the C++ core runs in --------------------------- */

static struct qspin_node_block __percpu *qspin_nodes;

struct qspin_node_block *qspin_env_cpu_nodes(unsigned int cpu)
{
	return per_cpu_ptr(qspin_nodes, cpu);
}

/*
 * One slow-path stack trace on request (debugfs slowpath_trace): proof that
 * the unwinder walks through the C++ frames into their C callers.
 */
#define QSPIN_TRACE_DEPTH 16
static int qspin_trace_state;	/* 0 idle, 1 armed, 2 capturing, 3 captured */
static unsigned long qspin_trace_entries[QSPIN_TRACE_DEPTH];
/* Symbolised at capture time: a client module may be gone when it is read. */
static char qspin_trace_names[QSPIN_TRACE_DEPTH][KSYM_SYMBOL_LEN];
static unsigned int qspin_trace_len;
static int qspin_trace_cpu;

static noinline void qspin_capture_trace(void)
{
	unsigned int i;

	if (cmpxchg(&qspin_trace_state, 1, 2) != 1)
		return;
	/*
	 * Skip nothing: whether qspin_env_count's frame is there depends on
	 * a tail call; readers look for the C++ frame and what follows it.
	 */
	qspin_trace_len = stack_trace_save(qspin_trace_entries,
					   QSPIN_TRACE_DEPTH, 0);
	for (i = 0; i < qspin_trace_len; i++)
		snprintf(qspin_trace_names[i], KSYM_SYMBOL_LEN, "%pB",
			 (void *)qspin_trace_entries[i]);
	qspin_trace_cpu = smp_processor_id();
	/* Publish the trace: pairs with slowpath_trace_show()'s acquire. */
	smp_store_release(&qspin_trace_state, 3);
}

void qspin_env_count(unsigned int event)
{
	if (static_branch_likely(&qspin_stats_key))
		this_cpu_inc(qspin_stats.count[event]);
	if (unlikely(READ_ONCE(qspin_trace_state) == 1))
		qspin_capture_trace();
}

/* ---- acquire and release -------------------------------------------- */

/*
 * The fast path, as plain as the kernel's own: with statistics and deadlock
 * detection both off, one static-key nop, one CAS, and no stack frame.
 * With either on, the exported functions leave at once for an out-of-line
 * instrumented twin (below), by a tail call: the twin's _RET_IP_ is then
 * the caller of the exported function, the address a report should name
 * (scripts/kernel-checks.sh checks that each dispatch is a tail call).
 */
static __always_inline void qspin_acquire(qspinlock_t *lock)
{
	u32 val;

	if (unlikely(!qspin_word_lock_fast(&lock->word, &val)))
		qspin_slowpath(&lock->word, val, this_cpu_ptr(qspin_nodes),
		       smp_processor_id());
}

/*
 * Instrumented acquisition. Detection records the acquisition before the
 * atomic that takes the lock and checks for a same-CPU deadlock before the
 * slow path touches the word. `irqs_on_possible` is false for the variants
 * that disabled interrupts themselves: those holders cannot be
 * interrupted, so detection need not record them.
 */
static __always_inline void qspin_acquire_instrumented(qspinlock_t *lock,
						       unsigned long ip,
						       bool irqs_on_possible)
{
	bool detect = qspin_detect_enabled();
	u32 val;

	if (detect && irqs_on_possible)
		qspin_held_add(lock, ip);
	if (likely(qspin_word_lock_fast(&lock->word, &val))) {
		qspin_stat_inc(QSPIN_STAT_FAST);
		return;
	}
	if (detect)
		qspin_detect_deadlock(lock, ip, false);
	qspin_slowpath(&lock->word, val, this_cpu_ptr(qspin_nodes),
		       smp_processor_id());
}

static __always_inline void qspin_release(qspinlock_t *lock,
					  bool irqs_on_possible)
{
	qspin_word_unlock(&lock->word);
	/*
	 * After the release: a record never claims less than is held.
	 * Detection on implies the instrumentation key, so its own key alone
	 * decides: one nop on the plain path.
	 */
	if (irqs_on_possible && qspin_detect_enabled())
		qspin_held_del(lock);
}

static __always_inline int qspin_try_acquire(qspinlock_t *lock,
					     unsigned long ip,
					     bool irqs_on_possible)
{
	if (!qspin_word_trylock(&lock->word))
		return 0;
	if (qspin_instrumented()) {
		qspin_stat_inc(QSPIN_STAT_FAST);
		if (irqs_on_possible && qspin_detect_enabled())
			qspin_held_add(lock, ip);
	}
	return 1;
}

/* The instrumented twins, entered by tail calls only. */
static noinline void qspin_lock_instrumented(qspinlock_t *lock)
{
	qspin_acquire_instrumented(lock, _RET_IP_, true);
}

static noinline unsigned long qspin_lock_irqsave_instrumented(qspinlock_t *lock,
							      unsigned long flags)
{
	qspin_acquire_instrumented(lock, _RET_IP_, false);
	return flags;
}

static noinline void qspin_lock_irq_instrumented(qspinlock_t *lock)
{
	qspin_acquire_instrumented(lock, _RET_IP_, false);
}

void qspin_lock_init(qspinlock_t *lock)
{
	lock->word = (struct qspin_lock_word)QSPIN_WORD_INIT;
	qspin_detect_note_init(lock, _RET_IP_);
}
EXPORT_SYMBOL_GPL(qspin_lock_init);

void qspin_lock(qspinlock_t *lock) __acquires(lock)
{
	preempt_disable();
	__acquire(lock);
	if (qspin_instrumented()) {
		qspin_lock_instrumented(lock);
		return;
	}
	qspin_acquire(lock);
}
EXPORT_SYMBOL_GPL(qspin_lock);

void qspin_unlock(qspinlock_t *lock) __releases(lock)
{
	__release(lock);
	qspin_release(lock, true);
	preempt_enable();
}
EXPORT_SYMBOL_GPL(qspin_unlock);

unsigned long _qspin_lock_irqsave(qspinlock_t *lock) __acquires(lock)
{
	unsigned long flags;

	local_irq_save(flags);
	preempt_disable();
	__acquire(lock);
	if (qspin_instrumented())
		return qspin_lock_irqsave_instrumented(lock, flags);
	qspin_acquire(lock);
	return flags;
}
EXPORT_SYMBOL_GPL(_qspin_lock_irqsave);

void qspin_unlock_irqrestore(qspinlock_t *lock, unsigned long flags)
	__releases(lock)
{
	__release(lock);
	qspin_release(lock, false);
	local_irq_restore(flags);
	preempt_enable();
}
EXPORT_SYMBOL_GPL(qspin_unlock_irqrestore);

void qspin_lock_irq(qspinlock_t *lock) __acquires(lock)
{
	local_irq_disable();
	preempt_disable();
	__acquire(lock);
	if (qspin_instrumented()) {
		qspin_lock_irq_instrumented(lock);
		return;
	}
	qspin_acquire(lock);
}
EXPORT_SYMBOL_GPL(qspin_lock_irq);

void qspin_unlock_irq(qspinlock_t *lock) __releases(lock)
{
	__release(lock);
	qspin_release(lock, false);
	local_irq_enable();
	preempt_enable();
}
EXPORT_SYMBOL_GPL(qspin_unlock_irq);

/*
 * The kernel's __raw_spin_lock_bh() raises softirq and preempt count in one
 * step (SOFTIRQ_LOCK_OFFSET) and drops both with __local_bh_enable_ip();
 * modules have neither, nor preempt_enable_no_resched(). local_bh_disable()
 * alone is the same protection: a raised softirq count disables preemption
 * too (preemptible() is false), and local_bh_enable_ip() runs pending
 * softirqs and reschedules on the way out, as the kernel's unlock does.
 */
void qspin_lock_bh(qspinlock_t *lock) __acquires(lock)
{
	local_bh_disable();
	__acquire(lock);
	if (qspin_instrumented()) {
		qspin_lock_instrumented(lock);
		return;
	}
	qspin_acquire(lock);
}
EXPORT_SYMBOL_GPL(qspin_lock_bh);

void qspin_unlock_bh(qspinlock_t *lock) __releases(lock)
{
	__release(lock);
	qspin_release(lock, true);
	local_bh_enable_ip(_RET_IP_);
}
EXPORT_SYMBOL_GPL(qspin_unlock_bh);

int _qspin_trylock(qspinlock_t *lock)
{
	preempt_disable();
	if (qspin_try_acquire(lock, _RET_IP_, true))
		return 1;
	preempt_enable();
	return 0;
}
EXPORT_SYMBOL_GPL(_qspin_trylock);

int _qspin_trylock_irqsave(qspinlock_t *lock, unsigned long *flags)
{
	local_irq_save(*flags);
	preempt_disable();
	if (qspin_try_acquire(lock, _RET_IP_, false))
		return 1;
	local_irq_restore(*flags);
	preempt_enable();
	return 0;
}
EXPORT_SYMBOL_GPL(_qspin_trylock_irqsave);

int _qspin_trylock_bh(qspinlock_t *lock)
{
	local_bh_disable();
	if (qspin_try_acquire(lock, _RET_IP_, true))
		return 1;
	local_bh_enable_ip(_RET_IP_);
	return 0;
}
EXPORT_SYMBOL_GPL(_qspin_trylock_bh);

int qspin_lock_checked(qspinlock_t *lock)
{
	unsigned long ip = _RET_IP_;
	u32 val;

	preempt_disable();
	if (qspin_detect_enabled())
		qspin_held_add(lock, ip);
	if (likely(qspin_word_lock_fast(&lock->word, &val))) {
		if (qspin_instrumented())
			qspin_stat_inc(QSPIN_STAT_FAST);
		return 0;
	}
	if (qspin_detect_enabled() && qspin_detect_deadlock(lock, ip, true)) {
		qspin_held_del(lock);
		preempt_enable();
		return -EDEADLK;
	}
	qspin_slowpath(&lock->word, val, this_cpu_ptr(qspin_nodes),
		       smp_processor_id());
	return 0;
}
EXPORT_SYMBOL_GPL(qspin_lock_checked);

/* ---- debugfs: /sys/kernel/debug/qspin/ ------------------------------- */

static struct dentry *qspin_debugfs;

static int info_show(struct seq_file *m, void *v)
{
	seq_printf(m, "version %s\n", QSPIN_VERSION);
	seq_printf(m, "layout locked:%d-%d pending:%d-%d tail_idx:%d-%d tail_cpu:%d-31\n",
		   QSPIN_LOCKED_OFFSET,
		   QSPIN_LOCKED_OFFSET + QSPIN_LOCKED_BITS - 1,
		   QSPIN_PENDING_OFFSET,
		   QSPIN_PENDING_OFFSET + QSPIN_PENDING_BITS - 1,
		   QSPIN_TAIL_IDX_OFFSET,
		   QSPIN_TAIL_IDX_OFFSET + QSPIN_TAIL_IDX_BITS - 1,
		   QSPIN_TAIL_CPU_OFFSET);
	seq_printf(m, "lock_size %zu\n", sizeof(qspinlock_t));
	seq_printf(m, "max_nodes %d\n", QSPIN_MAX_NODES);
	seq_printf(m, "node_block_size %zu\n", sizeof(struct qspin_node_block));
	seq_printf(m, "cpus_possible %u\n", num_possible_cpus());
	seq_printf(m, "cpus_online %u\n", num_online_cpus());
	seq_printf(m, "stats %d\n", static_key_enabled(&qspin_stats_key));
	seq_printf(m, "detect %d\n", qspin_detect_enabled());
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(info);

static int stats_show(struct seq_file *m, void *v)
{
	int i;

	for (i = 0; i < QSPIN_STAT_NR; i++)
		seq_printf(m, "%s %lu\n", qspin_stat_names[i],
			   qspin_stat_read(qspin_stat_names[i]));
	return 0;
}

unsigned long qspin_stat_read(const char *name)
{
	unsigned long sum = 0;
	int i, cpu;

	for (i = 0; i < QSPIN_STAT_NR; i++) {
		if (strcmp(name, qspin_stat_names[i]))
			continue;
		for_each_possible_cpu(cpu)
			sum += per_cpu(qspin_stats.count[i], cpu);
		break;
	}
	return sum;
}
EXPORT_SYMBOL_GPL(qspin_stat_read);

static void qspin_stats_reset(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		memset(per_cpu_ptr(&qspin_stats, cpu), 0,
		       sizeof(struct qspin_stats));
}

/* Small command files share this: copy one word, no trailing newline. */
int qspin_debugfs_word(const char __user *ubuf, size_t len, char *buf,
		       size_t size)
{
	if (len == 0 || len >= size)
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	strim(buf);
	return 0;
}

/* "reset" zeroes the counters; "on" / "off" switch counting. */
static ssize_t stats_write(struct file *file, const char __user *ubuf,
			   size_t len, loff_t *ppos)
{
	char buf[16];
	int ret = qspin_debugfs_word(ubuf, len, buf, sizeof(buf));

	if (ret)
		return ret;
	if (!strcmp(buf, "reset"))
		qspin_stats_reset();
	else if (!strcmp(buf, "on"))
		static_branch_enable(&qspin_stats_key);
	else if (!strcmp(buf, "off"))
		static_branch_disable(&qspin_stats_key);
	else
		return -EINVAL;
	qspin_instrument_update();
	return len;
}

QSPIN_DEFINE_RW_ATTRIBUTE(stats);

static int slowpath_trace_show(struct seq_file *m, void *v)
{
	unsigned int i;
	/* Pairs with qspin_capture_trace()'s release: frames come with it. */
	int state = smp_load_acquire(&qspin_trace_state);

	if (state != 3) {
		seq_printf(m, "%s\n", state ? "armed" : "idle");
		return 0;
	}
	seq_printf(m, "cpu %d\n", qspin_trace_cpu);
	for (i = 0; i < qspin_trace_len; i++)
		seq_printf(m, "%s\n", qspin_trace_names[i]);
	return 0;
}

/* "arm": the next slow-path event on any CPU records its stack. */
static ssize_t slowpath_trace_write(struct file *file,
				    const char __user *ubuf, size_t len,
				    loff_t *ppos)
{
	char buf[16];
	int ret = qspin_debugfs_word(ubuf, len, buf, sizeof(buf));

	if (ret)
		return ret;
	if (strcmp(buf, "arm"))
		return -EINVAL;
	if (READ_ONCE(qspin_trace_state) == 2)
		return -EBUSY;
	WRITE_ONCE(qspin_trace_state, 1);
	return len;
}

QSPIN_DEFINE_RW_ATTRIBUTE(slowpath_trace);

static int __init qspin_init(void)
{
	int ret;

	if (nr_cpu_ids - 1 > QSPIN_MAX_CPU) {
		pr_err("%u CPUs do not fit the tail's 14-bit CPU field (max %u)\n",
		       nr_cpu_ids, QSPIN_MAX_CPU + 1);
		return -EINVAL;
	}
	qspin_nodes = alloc_percpu(struct qspin_node_block);
	if (!qspin_nodes)
		return -ENOMEM;
	if (!stats)
		static_branch_disable(&qspin_stats_key);
	ret = qspin_detect_init();
	if (ret)
		goto free_nodes;
	qspin_instrument_update();

	qspin_debugfs = debugfs_create_dir("qspin", NULL);
	debugfs_create_file("info", 0400, qspin_debugfs, NULL, &info_fops);
	debugfs_create_file("stats", 0600, qspin_debugfs, NULL, &stats_fops);
	debugfs_create_file("slowpath_trace", 0600, qspin_debugfs, NULL,
			    &slowpath_trace_fops);
	qspin_detect_debugfs(qspin_debugfs);

	pr_info("queued spinlock v%s loaded: %u CPUs, stats %s, deadlock detection %s\n",
		QSPIN_VERSION, num_possible_cpus(),
		static_key_enabled(&qspin_stats_key) ? "on" : "off",
		qspin_detect_enabled() ? "on" : "off");
	return 0;

free_nodes:
	free_percpu(qspin_nodes);
	return ret;
}

static void __exit qspin_exit(void)
{
	debugfs_remove_recursive(qspin_debugfs);
	qspin_detect_exit();
	free_percpu(qspin_nodes);
	pr_info("unloaded\n");
}

module_init(qspin_init);
module_exit(qspin_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("qspin: queued spinlock in freestanding C++ with the kernel's spinlock API");
MODULE_VERSION(QSPIN_VERSION);
