// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/qspin-demo/:
 *   list    the scenarios, one "NAME DESCRIPTION" line each
 *   run     write "NAME" or "NAME RUNS": runs it, returns when done;
 *           EINVAL for an unknown name, empty, blank or oversized input or a
 *           bad count, EBUSY while another run goes on
 *   last    the last result, one "key value" per line ("none" before any)
 *   status  the interrupt source, its CPU, the mode, the counters
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <qspin/debug.h>
#include "harness.h"

static struct dentry *demo_debugfs;

static int list_show(struct seq_file *m, void *v)
{
	unsigned int i;

	for (i = 0; i < demo_nr_scenarios; i++)
		seq_printf(m, "%-14s %s\n", demo_scenarios[i]->name,
			   demo_scenarios[i]->desc);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(list);

static int last_show(struct seq_file *m, void *v)
{
	struct demo_result r;
	char src[64];

	if (!demo_result_last(&r)) {
		seq_puts(m, "none\n");
		return 0;
	}
	demo_source_text(r.sc, src, sizeof(src));
	seq_printf(m, "scenario %s\n", r.sc->name);
	seq_printf(m, "verdict %s\n", demo_verdict_names[r.verdict]);
	seq_printf(m, "runs %u\n", r.done);
	seq_printf(m, "pass %u\n", r.n[DEMO_PASS]);
	seq_printf(m, "inconclusive %u\n", r.n[DEMO_INCONCLUSIVE]);
	seq_printf(m, "fail %u\n", r.n[DEMO_FAIL]);
	seq_printf(m, "expected %lu\n", r.expected);
	seq_printf(m, "actual %lu\n", r.actual);
	seq_printf(m, "lost %lu\n", r.lost);
	seq_printf(m, "source %s\n", src);
	seq_printf(m, "task_cpu %d\n", r.task_cpu);
	seq_printf(m, "handler_cpu %d\n", r.handler_cpu);
	seq_printf(m, "wait_us_avg %llu\n", demo_avg_us(r.wait_ns_sum, r.handled));
	seq_printf(m, "wait_us_max %llu\n", r.wait_ns_max / NSEC_PER_USEC);
	seq_printf(m, "after_unlock_us_avg %llu\n",
		   demo_avg_us(r.after_ns_sum, r.handled));
	seq_printf(m, "after_unlock_us_max %llu\n",
		   r.after_ns_max / NSEC_PER_USEC);
	seq_printf(m, "lockups %lu\n", r.lockups);
	seq_printf(m, "note %s\n", r.note[0] ? r.note : "-");
	seq_printf(m, "bug_reports %lu\n", r.bug_reports);
	seq_printf(m, "fix_reports %lu\n", r.fix_reports);
	seq_printf(m, "leaked %lu\n", r.leaked);
	seq_printf(m, "why %s\n", r.why[0] ? r.why : "-");
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(last);

static int status_show(struct seq_file *m, void *v)
{
	seq_printf(m, "source %s\n", demo_src.name);
	seq_printf(m, "device %s\n", demo_src.dev[0] ? demo_src.dev : "-");
	seq_printf(m, "irq %d\n", demo_src.irq);
	seq_printf(m, "irq_cpu %d\n", demo_irq_cpu());
	seq_printf(m, "allow_lockup %d\n", demo_allow_lockup);
	seq_printf(m, "detect %d\n", qspin_detect_active());
	seq_printf(m, "hold_ms %u\n", READ_ONCE(demo_hold_ms));
	seq_printf(m, "hardirqs %ld\n", demo_irq_count(DEMO_HARDIRQS));
	seq_printf(m, "softirqs %ld\n", demo_irq_count(DEMO_SOFTIRQS));
	seq_printf(m, "stray_hardirqs %ld\n",
		   demo_irq_count(DEMO_STRAY_HARDIRQS));
	seq_printf(m, "stray_softirqs %ld\n",
		   demo_irq_count(DEMO_STRAY_SOFTIRQS));
	seq_printf(m, "broken %d\n", READ_ONCE(demo_broken));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(status);

/* "NAME" or "NAME RUNS"; returns once the scenario has run. */
static ssize_t run_write(struct file *file, const char __user *ubuf,
			 size_t len, loff_t *ppos)
{
	char buf[64], *p, *name;
	unsigned int n = 1;
	int ret;

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	p = strim(buf);
	name = strsep(&p, " \t");
	if (!*name)
		return -EINVAL;
	if (p) {
		p = strim(p);
		if (*p && kstrtouint(p, 10, &n))
			return -EINVAL;
	}
	ret = demo_run(name, n);
	return ret ? ret : len;
}

static const struct file_operations run_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = run_write,
	.llseek = noop_llseek,
};

void demo_debugfs_init(void)
{
	demo_debugfs = debugfs_create_dir("qspin-demo", NULL);
	debugfs_create_file("list", 0444, demo_debugfs, NULL, &list_fops);
	debugfs_create_file("run", 0200, demo_debugfs, NULL, &run_fops);
	debugfs_create_file("last", 0444, demo_debugfs, NULL, &last_fops);
	debugfs_create_file("status", 0444, demo_debugfs, NULL, &status_fops);
}

/* Waits for open files: a run in progress holds the module (rmmod fails). */
void demo_debugfs_exit(void)
{
	debugfs_remove_recursive(demo_debugfs);
}
