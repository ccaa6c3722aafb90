// SPDX-License-Identifier: GPL-2.0
/*
 * The same-CPU deadlock report ("safe mode"), part of the validator.
 *
 * The bug it names: a context takes a lock with interrupts (or softirqs)
 * enabled, an interrupt (or softirq, or NMI) arrives on the same CPU and its
 * handler takes the same lock. The handler spins with the holder frozen
 * underneath it: the CPU never gets out (hard LOCKUP for hardirq/NMI, soft
 * lockup for softirq). Also the same lock taken again by the same context
 * (AA): lockdep's "possible recursive locking detected", here certain.
 *
 * validate.c finds it: on contention, before the waiter touches the lock
 * word, a record of the lock in this CPU's held locks of a context this one
 * interrupted (or of this context) means the holder cannot run until the
 * waiter gives up. Here it is reported, once per lock and context pair
 * (later hits are counted, see debugfs "deadlocks"; counted as
 * QSPIN_REPORT_DEADLOCK in "reports" too); then the waiter either backs off
 * (qspin_lock_checked() returns -EDEADLK) or spins as the kernel's own
 * spinlock would: a driver's bug is diagnosed, not hidden. The validator's
 * "inconsistent lock state" names the same bug earlier, as soon as both
 * uses were seen, collision or not.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/hash.h>
#include <linux/irqflags.h>
#include <linux/kernel.h>
#include <linux/lockdep.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/printk.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include <qspin/debug.h>
#include "internal.h"
#include "validate.h"

/* ---- lock names: static symbols, or the init site of dynamic locks ---- */

#define QSPIN_INIT_BITS 8

struct qspin_init_site {
	qspinlock_t *lock;
	unsigned long ip;
};

/* Direct-mapped: a newer lock at the same slot evicts an older one. */
static struct qspin_init_site qspin_init_sites[1 << QSPIN_INIT_BITS];
static DEFINE_RAW_SPINLOCK(qspin_init_lock);

void qspin_detect_note_init(qspinlock_t *lock, unsigned long ip)
{
	struct qspin_init_site *s;
	unsigned long flags;

	s = &qspin_init_sites[hash_ptr(lock, QSPIN_INIT_BITS)];
	raw_spin_lock_irqsave(&qspin_init_lock, flags);
	s->lock = lock;
	s->ip = ip;
	raw_spin_unlock_irqrestore(&qspin_init_lock, flags);
}

static unsigned long qspin_init_site_of(qspinlock_t *lock)
{
	struct qspin_init_site *s;
	unsigned long flags, ip = 0;

	s = &qspin_init_sites[hash_ptr(lock, QSPIN_INIT_BITS)];
	if (in_nmi()) {
		if (!raw_spin_trylock_irqsave(&qspin_init_lock, flags))
			return 0;
	} else {
		raw_spin_lock_irqsave(&qspin_init_lock, flags);
	}
	if (s->lock == lock)
		ip = s->ip;
	raw_spin_unlock_irqrestore(&qspin_init_lock, flags);
	return ip;
}

#define QSPIN_NAME_LEN 96

/*
 * "demo_lock [qspin_demo]" for a lock that is a symbol of its own,
 * "dev_state+0x10/0x40 [drv]" for one inside a static object, "lock
 * initialised at foo_probe+0x2c/0x90 [drv]" for a dynamic one.
 */
static void qspin_lock_name(qspinlock_t *lock, char *buf, size_t size)
{
	unsigned long init_ip = qspin_init_site_of(lock);

	if (init_ip) {
		snprintf(buf, size, "lock initialised at %pS", (void *)init_ip);
		return;
	}
	snprintf(buf, size, "%pS", lock);
	if (!strncmp(buf, "0x", 2))
		snprintf(buf, size, "lock %p (dynamic, init site unknown)",
			 lock);
	else if (strstr(buf, "+0x0/"))
		snprintf(buf, size, "%ps", lock);
}

/* ---- reports: once per lock and context pair ------------------------ */

#define QSPIN_REPORTS_MAX 64

struct qspin_report {
	qspinlock_t *lock;
	enum qspin_ctx holder, waiter;
	int cpu;
	unsigned long hits;	/* times seen, the reported one included */
	unsigned long backed_off;	/* of those, by qspin_lock_checked() */
	char name[QSPIN_NAME_LEN];
	char holder_fn[QSPIN_NAME_LEN];
	char waiter_fn[QSPIN_NAME_LEN];
};

static struct qspin_report qspin_reports[QSPIN_REPORTS_MAX];
static unsigned int qspin_nr_reports;
static unsigned long qspin_reports_dropped;	/* table full or busy in NMI */
/* Serialises the table and the report text (no interleaved reports). */
static DEFINE_RAW_SPINLOCK(qspin_report_lock);

static const char *qspin_fix(enum qspin_ctx holder, enum qspin_ctx waiter)
{
	if (holder == waiter)
		return "release it before taking it again";
	switch (waiter) {
	case QSPIN_CTX_SOFTIRQ:
		return "take this lock with qspin_lock_bh() in process context";
	case QSPIN_CTX_HARDIRQ:
		return holder == QSPIN_CTX_TASK ?
			"take this lock with qspin_lock_irqsave() in process context" :
			"take this lock with qspin_lock_irqsave() in softirq context";
	default:
		return "never spin on this lock in NMI context (NMIs cannot be masked): use qspin_trylock() there";
	}
}

static void qspin_print_report(struct qspin_report *r, unsigned long waiter_ip,
			       bool checked)
{
	const char *hctx = qspin_ctx_names[r->holder];
	const char *wctx = qspin_ctx_names[r->waiter];

	if (r->holder == r->waiter)
		pr_err("WARNING: possible recursive locking detected\n"
		       KBUILD_MODNAME ": the same lock taken again in %s context, which already holds it: certain deadlock\n",
		       wctx);
	else
		pr_err("possible same-CPU deadlock: lock taken in %s context is held by interrupted %s context\n",
		       wctx, hctx);
	pr_err(" lock: %s\n", r->name);
	if (r->holder == QSPIN_CTX_TASK)
		pr_err(" held by: task context (%s, pid %d) on CPU %d, taken at %s\n",
		       current->comm, task_pid_nr(current), r->cpu,
		       r->holder_fn);
	else
		pr_err(" held by: %s context on CPU %d, taken at %s\n",
		       hctx, r->cpu, r->holder_fn);
	pr_err(" %s: %s context on CPU %d, in %s\n",
	       r->holder == r->waiter ? "taken again" : "interrupted by",
	       wctx, r->cpu, r->waiter_fn);
	pr_err(" possible unsafe locking scenario:\n");
	pr_err("       CPU%d\n", r->cpu);
	pr_err("       ----\n");
	pr_err("  lock(%s);\n", r->name);
	if (r->waiter == QSPIN_CTX_SOFTIRQ)
		pr_err("  <Softirq>\n");
	else if (r->waiter == QSPIN_CTX_HARDIRQ)
		pr_err("  <Interrupt>\n");
	else if (r->waiter == QSPIN_CTX_NMI)
		pr_err("  <Interrupt (NMI)>\n");
	pr_err("    lock(%s);\n", r->name);
	pr_err("  *** DEADLOCK ***\n");
	pr_err(" fix: %s, because %s takes it in %s context\n",
	       qspin_fix(r->holder, r->waiter), r->waiter_fn, wctx);
	if (checked)
		pr_err(" qspin_lock_checked() at %pS returns -EDEADLK instead of spinning\n",
		       (void *)waiter_ip);
	else
		pr_err(" %pS spins on, as the kernel's spinlock would: CPU %d is stuck\n",
		       (void *)waiter_ip, r->cpu);
	dump_stack();
}

void qspin_report_deadlock(qspinlock_t *lock, enum qspin_ctx holder,
			   unsigned long holder_ip, enum qspin_ctx waiter,
			   unsigned long waiter_ip, bool checked)
{
	struct qspin_report *r, local;
	unsigned long flags;
	unsigned int i;

	if (in_nmi()) {
		if (!raw_spin_trylock_irqsave(&qspin_report_lock, flags)) {
			qspin_reports_dropped++;
			return;
		}
	} else {
		raw_spin_lock_irqsave(&qspin_report_lock, flags);
	}
	for (i = 0; i < qspin_nr_reports; i++) {
		r = &qspin_reports[i];
		if (r->lock == lock && r->holder == holder &&
		    r->waiter == waiter) {
			r->hits++;
			r->backed_off += checked;
			/* A repeat: counted in "reports" too, printed nowhere. */
			qspin_report_start_untitled(QSPIN_REPORT_DEADLOCK,
						    (unsigned long)lock,
						    holder << 8 | waiter);
			goto out;
		}
	}
	if (qspin_nr_reports < QSPIN_REPORTS_MAX) {
		r = &qspin_reports[qspin_nr_reports++];
	} else {
		/* Still reported, just not remembered. */
		qspin_reports_dropped++;
		r = &local;
	}
	/* Counted with the validator's reports; printed by the rules here. */
	qspin_report_start_untitled(QSPIN_REPORT_DEADLOCK, (unsigned long)lock,
				    holder << 8 | waiter);
	r->lock = lock;
	r->holder = holder;
	r->waiter = waiter;
	r->cpu = smp_processor_id();
	r->hits = 1;
	r->backed_off = checked;
	qspin_lock_name(lock, r->name, sizeof(r->name));
	snprintf(r->holder_fn, sizeof(r->holder_fn), "%pS", (void *)holder_ip);
	snprintf(r->waiter_fn, sizeof(r->waiter_fn), "%pS", (void *)waiter_ip);
	qspin_print_report(r, waiter_ip, checked);
	qspin_report_end();
out:
	raw_spin_unlock_irqrestore(&qspin_report_lock, flags);
}

/* ---- debugfs -------------------------------------------------------- */

static int deadlocks_show(struct seq_file *m, void *v)
{
	struct qspin_report *r;
	unsigned long flags, total = 0;
	unsigned int i;

	/* Printing from a snapshot keeps seq_file out of the raw lock. */
	for (i = 0;; i++) {
		struct qspin_report copy;

		raw_spin_lock_irqsave(&qspin_report_lock, flags);
		if (i >= qspin_nr_reports) {
			raw_spin_unlock_irqrestore(&qspin_report_lock, flags);
			break;
		}
		r = &qspin_reports[i];
		copy = *r;
		raw_spin_unlock_irqrestore(&qspin_report_lock, flags);
		total += copy.hits;
		seq_printf(m, "%s holder=%s waiter=%s cpu=%d hits=%lu backed_off=%lu lock=\"%s\" holder_fn=\"%s\" waiter_fn=\"%s\"\n",
			   copy.holder == copy.waiter ? "recursive" : "same-cpu",
			   qspin_ctx_names[copy.holder],
			   qspin_ctx_names[copy.waiter], copy.cpu, copy.hits,
			   copy.backed_off, copy.name, copy.holder_fn,
			   copy.waiter_fn);
	}
	seq_printf(m, "# reports %u hits %lu dropped %lu\n", i, total,
		   READ_ONCE(qspin_reports_dropped));
	return 0;
}

void qspin_deadlocks_reset(void)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&qspin_report_lock, flags);
	qspin_nr_reports = 0;
	qspin_reports_dropped = 0;
	memset(qspin_reports, 0, sizeof(qspin_reports));
	raw_spin_unlock_irqrestore(&qspin_report_lock, flags);
}

/* "reset": forget what was reported, so the next hit reports again. */
static ssize_t deadlocks_write(struct file *file, const char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	return qspin_debugfs_reset(ubuf, len, qspin_deadlocks_reset);
}

QSPIN_DEFINE_RW_ATTRIBUTE(deadlocks);

void qspin_detect_debugfs(struct dentry *dir)
{
	debugfs_create_file("deadlocks", 0600, dir, NULL, &deadlocks_fops);
}
