/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared inside qspin.ko only: statistics and the deadlock-detection hooks
 * that the lock operations in qspin_main.c call (implemented in detect.c).
 */
#ifndef QSPIN_INTERNAL_H
#define QSPIN_INTERNAL_H

#include <linux/jump_label.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <qspin.h>

/* Per-CPU path counters: the core's events, then the fast path. */
#define QSPIN_STAT_FAST QSPIN_EV_NR
#define QSPIN_STAT_NR (QSPIN_EV_NR + 1)

struct qspin_stats {
	unsigned long count[QSPIN_STAT_NR];
};

DECLARE_PER_CPU(struct qspin_stats, qspin_stats);
DECLARE_STATIC_KEY_TRUE(qspin_stats_key);

static __always_inline void qspin_stat_inc(unsigned int stat)
{
	if (static_branch_likely(&qspin_stats_key))
		this_cpu_inc(qspin_stats.count[stat]);
}

/*
 * On while statistics or deadlock detection is: the one key the lock
 * operations test, so that with both off the fast path is the plain one.
 * qspin_instrument_update() recomputes it after either changes.
 */
DECLARE_STATIC_KEY_TRUE(qspin_instrument_key);

static __always_inline bool qspin_instrumented(void)
{
	return static_branch_unlikely(&qspin_instrument_key);
}

void qspin_instrument_update(void);

/* Deadlock detection (detect.c), consulted on the instrumented paths. */
DECLARE_STATIC_KEY_TRUE(qspin_detect_key);

static __always_inline bool qspin_detect_enabled(void)
{
	return static_branch_unlikely(&qspin_detect_key);
}

/* Before the atomic that takes the lock; records only with IRQs on. */
void qspin_held_add(qspinlock_t *lock, unsigned long ip);
/* After the release. */
void qspin_held_del(qspinlock_t *lock);
/*
 * On contention, before the waiter touches the lock word: true (after a
 * report) when a context this one interrupted on this CPU holds the lock.
 * `checked`: the caller backs off with -EDEADLK instead of spinning.
 */
bool qspin_detect_deadlock(qspinlock_t *lock, unsigned long ip, bool checked);
/* qspin_lock_init(): remember a dynamic lock's init site for reports. */
void qspin_detect_note_init(qspinlock_t *lock, unsigned long ip);

int qspin_detect_init(void);
void qspin_detect_exit(void);
void qspin_detect_debugfs(struct dentry *dir);

/*
 * debugfs command files: one word written, no trailing newline; -EINVAL for
 * an empty or oversized write.
 */
int qspin_debugfs_word(const char __user *ubuf, size_t len, char *buf,
		       size_t size);

/*
 * A debugfs file read through seq_file (name##_show) that takes commands
 * (name##_write): DEFINE_SHOW_ATTRIBUTE's read-write twin.
 */
#define QSPIN_DEFINE_RW_ATTRIBUTE(name)					\
static int name##_open(struct inode *inode, struct file *file)		\
{									\
	return single_open(file, name##_show, inode->i_private);	\
}									\
static const struct file_operations name##_fops = {			\
	.owner = THIS_MODULE,						\
	.open = name##_open,						\
	.read = seq_read,						\
	.llseek = seq_lseek,						\
	.release = single_release,					\
	.write = name##_write,						\
}

#endif /* QSPIN_INTERNAL_H */
