// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/qspin/: what qspin.ko shows and takes from user space.
 *
 *   info            version, word layout, sizes, CPUs, stats/validate state,
 *                   whether the instrumented path is on
 *   stats           the path counters (stats.c); write reset, on, off
 *   slowpath_trace  idle, armed, or one captured slow-path stack; write arm
 *   validate        on/off: the validator switch (validate.c)
 *   reset           write reset: forget reports, graph, usage, chains
 *   held            the held-lock records, per CPU and context
 *   classes         lock classes, usage states, first sites (class.c)
 *   reports         the validator's reports with counts (report.c)
 *   dependencies    the class graph (graph.c)
 *   deadlocks       the same-CPU deadlock reports (detect.c)
 *   lockups         the lockup watchdog's reports, counted (watchdog.c)
 *   lock_stat       /proc/lock_stat for qspin locks (lockstat.c); write reset
 *   queue           contended locks' MCS queues, live (queueview.c)
 *
 * Commands are one word; anything else, empty or oversized gets -EINVAL.
 */
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <qspin/debug.h>
#include "internal.h"

static struct dentry *qspin_debugfs;

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

ssize_t qspin_debugfs_reset(const char __user *ubuf, size_t len,
			    void (*reset)(void))
{
	char buf[8];
	int ret = qspin_debugfs_word(ubuf, len, buf, sizeof(buf));

	if (ret)
		return ret;
	if (strcmp(buf, "reset"))
		return -EINVAL;
	reset();
	return len;
}

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
	seq_printf(m, "stats %d\n", qspin_stats_enabled());
	seq_printf(m, "validate %d\n", qspin_validate_enabled());
	/* The old name, kept for scripts: the same switch. */
	seq_printf(m, "detect %d\n", qspin_validate_enabled());
	seq_printf(m, "lock_stat %d\n", qspin_lockstat_on());
	/* The lock path in use: on with stats, validate, lock_stat or a qspin event. */
	seq_printf(m, "instrumented %d\n", qspin_instrumented());
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
		qspin_stats_switch(true);
	else if (!strcmp(buf, "off"))
		qspin_stats_switch(false);
	else
		return -EINVAL;
	return len;
}
QSPIN_DEFINE_RW_ATTRIBUTE(stats);

static int slowpath_trace_show(struct seq_file *m, void *v)
{
	const struct qspin_slowpath_trace *trace;
	unsigned int i;

	switch (qspin_slowpath_trace_get(&trace)) {
	case QSPIN_TRACE_IDLE:
		seq_puts(m, "idle\n");
		break;
	case QSPIN_TRACE_ARMED:
	case QSPIN_TRACE_CAPTURING:
		seq_puts(m, "armed\n");
		break;
	case QSPIN_TRACE_CAPTURED:
		seq_printf(m, "cpu %d\n", trace->cpu);
		for (i = 0; i < trace->len; i++)
			seq_printf(m, "%s\n", trace->frames[i]);
		break;
	}
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
	ret = qspin_slowpath_trace_arm();
	return ret ? ret : len;
}
QSPIN_DEFINE_RW_ATTRIBUTE(slowpath_trace);

void qspin_debugfs_init(void)
{
	qspin_debugfs = debugfs_create_dir("qspin", NULL);
	debugfs_create_file("info", 0400, qspin_debugfs, NULL, &info_fops);
	debugfs_create_file("stats", 0600, qspin_debugfs, NULL, &stats_fops);
	debugfs_create_file("slowpath_trace", 0600, qspin_debugfs, NULL,
			    &slowpath_trace_fops);
	qspin_validate_debugfs(qspin_debugfs);
	qspin_detect_debugfs(qspin_debugfs);
	qspin_watchdog_debugfs(qspin_debugfs);
	qspin_lockstat_debugfs(qspin_debugfs);
	qspin_queue_debugfs(qspin_debugfs);
}

void qspin_debugfs_exit(void)
{
	debugfs_remove_recursive(qspin_debugfs);
}
