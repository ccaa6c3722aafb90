// SPDX-License-Identifier: GPL-2.0
/*
 * The validator's reports and saved stacks.
 *
 * Reports: one per distinct (type, key1, key2); a repeat is counted, never
 * printed, and validation goes on after every report (lockdep switches
 * itself off after its first). The keys of each type (README.md, "The
 * validator"): a class pair for the graph's reports, (class, hardirq or
 * softirq) for an inconsistent lock state, (held class, new class) for
 * recursive locking, (lock, holder and waiter context) for a deadlock,
 * (lock, why) for a bad unlock, (lock, first taker) for used-without-init,
 * the lock for init of a held lock and a held lock freed, the pool for a
 * full pool, (call site, class) for sleeping under a lock (sleep.c),
 * (lock, syscall number or returning function) for a leaked lock (leak.c). A module that unloads takes its reports along (its classes,
 * its locks, its code), so a reload reports the same problem again. The table has
 * QSPIN_REPORTS_MAX entries; when it is full, new problems are counted in
 * "unrecorded" and not printed (a pool-full report says so, once).
 *
 * Saved stacks: stack_trace_save() into one preallocated pool of
 * QSPIN_STACK_POOL entries, handed out in order; a handle is the offset + 1
 * of the stack's length word. When the pool is full, sites keep their
 * caller's address and no stack (reported once). reset empties it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <linux/stacktrace.h>

#include "graph.h"
#include "internal.h"
#include "validate.h"

/* ---- the report table ------------------------------------------------- */

#define QSPIN_REPORTS_MAX 512

struct qspin_report_entry {
	enum qspin_report_type type;
	unsigned long key1, key2;
	unsigned long count;		/* times seen, the printed one included */
};

static struct qspin_report_entry qspin_report_table[QSPIN_REPORTS_MAX];
static unsigned int qspin_nr_report_entries;
static unsigned long qspin_reports_unrecorded;
static unsigned long qspin_report_counts[QSPIN_REPORT_NR];
/* Every sighting per type, repeats included (qspin_report_hits()). */
static unsigned long qspin_report_seen[QSPIN_REPORT_NR];
/* The table only; never held while printing. NMI: trylock. */
static DEFINE_RAW_SPINLOCK(qspin_report_table_lock);
/* The report being printed on this CPU, for qspin_report_end(). */
static DEFINE_PER_CPU(int, qspin_report_current);

static const char *const qspin_report_titles[QSPIN_REPORT_NR] = {
	[QSPIN_REPORT_CIRCULAR] = "WARNING: possible circular locking dependency detected",
	[QSPIN_REPORT_INCONSISTENT] = "WARNING: inconsistent lock state",
	[QSPIN_REPORT_RECURSIVE] = "WARNING: possible recursive locking detected",
	[QSPIN_REPORT_DEADLOCK] = "WARNING: possible recursive locking detected",
	[QSPIN_REPORT_IRQ_SAFE_UNSAFE] = "WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected",
	[QSPIN_REPORT_IRQ_INVERSION] = "WARNING: possible irq lock inversion dependency detected",
	[QSPIN_REPORT_BAD_UNLOCK] = "WARNING: bad unlock balance detected!",
	[QSPIN_REPORT_UNINITIALIZED] = "WARNING: lock used without initialisation",
	[QSPIN_REPORT_HELD_REINIT] = "WARNING: held lock initialised again!",
	[QSPIN_REPORT_POOL_FULL] = "WARNING: validator pool full",
	[QSPIN_REPORT_HELD_FREED] = "WARNING: held lock freed!",
	[QSPIN_REPORT_SLEEP] = "BUG: sleeping function called from invalid context",
	[QSPIN_REPORT_LEAKED] = "WARNING: lock held when returning to user space!",
};

/* Short names, for debugfs "reports". */
static const char *const qspin_report_names[QSPIN_REPORT_NR] = {
	[QSPIN_REPORT_CIRCULAR] = "circular",
	[QSPIN_REPORT_INCONSISTENT] = "inconsistent",
	[QSPIN_REPORT_RECURSIVE] = "recursive",
	[QSPIN_REPORT_DEADLOCK] = "deadlock",
	[QSPIN_REPORT_IRQ_SAFE_UNSAFE] = "irq-safe-unsafe",
	[QSPIN_REPORT_IRQ_INVERSION] = "irq-inversion",
	[QSPIN_REPORT_BAD_UNLOCK] = "bad-unlock",
	[QSPIN_REPORT_UNINITIALIZED] = "uninitialised",
	[QSPIN_REPORT_HELD_REINIT] = "held-reinit",
	[QSPIN_REPORT_POOL_FULL] = "pool-full",
	[QSPIN_REPORT_HELD_FREED] = "held-freed",
	[QSPIN_REPORT_SLEEP] = "sleep",
	[QSPIN_REPORT_LEAKED] = "leaked",
};

/* Whether a type's keys are class ids (debugfs prints their names). */
static bool qspin_report_keys_are_classes(enum qspin_report_type type)
{
	return type == QSPIN_REPORT_CIRCULAR ||
	       type == QSPIN_REPORT_RECURSIVE;
}

/* The graph's irq reports: keys are QSPIN_USAGE_KEY(class, usage). */
static bool qspin_report_keys_are_usages(enum qspin_report_type type)
{
	return type == QSPIN_REPORT_IRQ_SAFE_UNSAFE ||
	       type == QSPIN_REPORT_IRQ_INVERSION;
}

/*
 * New: true. The title is printed by the caller's title override (the
 * deadlock reports keep their own wording) or here.
 */
static bool qspin_report_enter(enum qspin_report_type type, unsigned long key1,
			       unsigned long key2)
{
	struct qspin_report_entry *e;
	unsigned long flags;
	bool full = false;
	unsigned int i;

	if (type >= QSPIN_REPORT_NR)
		return false;
	/* In NMI the table may be held by the context underneath: give up. */
	if (in_nmi()) {
		if (!raw_spin_trylock_irqsave(&qspin_report_table_lock, flags))
			return false;
	} else {
		raw_spin_lock_irqsave(&qspin_report_table_lock, flags);
	}
	qspin_report_seen[type]++;
	for (i = 0; i < qspin_nr_report_entries; i++) {
		e = &qspin_report_table[i];
		if (e->type == type && e->key1 == key1 && e->key2 == key2) {
			e->count++;
			raw_spin_unlock_irqrestore(&qspin_report_table_lock,
						   flags);
			return false;
		}
	}
	if (qspin_nr_report_entries < QSPIN_REPORTS_MAX) {
		e = &qspin_report_table[qspin_nr_report_entries++];
		e->type = type;
		e->key1 = key1;
		e->key2 = key2;
		e->count = 1;
		qspin_report_counts[type]++;
	} else {
		qspin_reports_unrecorded++;
		full = true;
	}
	raw_spin_unlock_irqrestore(&qspin_report_table_lock, flags);
	if (full) {
		if (type != QSPIN_REPORT_POOL_FULL &&
		    qspin_report_start(QSPIN_REPORT_POOL_FULL, 0, 0)) {
			pr_err(" the report table is full (%u): new problems are counted in debugfs reports, not printed\n",
			       QSPIN_REPORTS_MAX);
			qspin_report_end();
		}
		return false;
	}
	this_cpu_write(qspin_report_current, type);
	return true;
}

bool qspin_report_start(enum qspin_report_type type, unsigned long key1,
			unsigned long key2)
{
	if (!qspin_report_enter(type, key1, key2))
		return false;
	/* The graph's keys say which kind: QSPIN_USAGE_KEY (graph.h). */
	if (type == QSPIN_REPORT_IRQ_SAFE_UNSAFE &&
	    QSPIN_USAGE_KEY_USAGE(key1) == QSPIN_USED_IN_SOFTIRQ)
		pr_err("WARNING: SOFTIRQ-safe -> SOFTIRQ-unsafe lock order detected\n");
	else
		pr_err("%s\n", qspin_report_titles[type]);
	return true;
}

/* A report whose title line is its own (the same-CPU deadlock's wording). */
bool qspin_report_start_untitled(unsigned int type,
				 unsigned long key1, unsigned long key2)
{
	bool new = qspin_report_enter(type, key1, key2);

	/* The caller prints its report either way: its end line names it. */
	this_cpu_write(qspin_report_current, type);
	return new;
}

void qspin_report_end(void)
{
	int type = this_cpu_read(qspin_report_current);

	pr_err("---[ end of qspin report: %s #%lu; repeats are counted in /sys/kernel/debug/qspin/reports, validation goes on ]---\n",
	       qspin_report_names[type], READ_ONCE(qspin_report_counts[type]));
}

unsigned long qspin_report_count(enum qspin_report_type type)
{
	return type < QSPIN_REPORT_NR ? READ_ONCE(qspin_report_counts[type]) :
					0;
}
EXPORT_SYMBOL_GPL(qspin_report_count);

unsigned long qspin_report_hits(enum qspin_report_type type)
{
	return type < QSPIN_REPORT_NR ? READ_ONCE(qspin_report_seen[type]) : 0;
}
EXPORT_SYMBOL_GPL(qspin_report_hits);

/* Whether a report's keys name a forgotten class or a lock in `mod`. */
static bool qspin_report_gone(const struct qspin_report_entry *e,
			      struct module *mod, const unsigned long *classes)
{
	if (qspin_report_keys_are_classes(e->type) ||
	    e->type == QSPIN_REPORT_INCONSISTENT)
		return (e->key1 < QSPIN_MAX_CLASSES && test_bit(e->key1, classes)) ||
		       (e->type != QSPIN_REPORT_INCONSISTENT &&
			e->key2 < QSPIN_MAX_CLASSES && test_bit(e->key2, classes));
	if (qspin_report_keys_are_usages(e->type))
		return test_bit(QSPIN_USAGE_KEY_CLASS(e->key1) % QSPIN_MAX_CLASSES,
				classes) ||
		       test_bit(QSPIN_USAGE_KEY_CLASS(e->key2) % QSPIN_MAX_CLASSES,
				classes);
	if (e->type == QSPIN_REPORT_POOL_FULL)
		return false;
	/* Used without init: key2 is the first taker, the module's code. */
	if (e->type == QSPIN_REPORT_UNINITIALIZED &&
	    qspin_lock_in_module((const qspinlock_t *)e->key2, mod))
		return true;
	return qspin_lock_in_module((const qspinlock_t *)e->key1, mod);
}

/*
 * A module went: its reports go with its classes and locks, so that the
 * same problem after a reload (class ids and addresses are reused) is
 * reported again. The counts per type stay.
 */
void qspin_reports_forget(struct module *mod, const unsigned long *classes)
{
	unsigned long flags;
	unsigned int i, n = 0;

	raw_spin_lock_irqsave(&qspin_report_table_lock, flags);
	for (i = 0; i < qspin_nr_report_entries; i++)
		if (!qspin_report_gone(&qspin_report_table[i], mod, classes))
			qspin_report_table[n++] = qspin_report_table[i];
	qspin_nr_report_entries = n;
	raw_spin_unlock_irqrestore(&qspin_report_table_lock, flags);
}

/* Forget the reports of one type, so that each is printed again. */
void qspin_reports_forget_type(enum qspin_report_type type)
{
	unsigned long flags;
	unsigned int i, n = 0;

	raw_spin_lock_irqsave(&qspin_report_table_lock, flags);
	for (i = 0; i < qspin_nr_report_entries; i++)
		if (qspin_report_table[i].type != type)
			qspin_report_table[n++] = qspin_report_table[i];
	qspin_nr_report_entries = n;
	qspin_report_counts[type] = 0;
	qspin_report_seen[type] = 0;
	raw_spin_unlock_irqrestore(&qspin_report_table_lock, flags);
}

void qspin_reports_reset(void)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&qspin_report_table_lock, flags);
	qspin_nr_report_entries = 0;
	qspin_reports_unrecorded = 0;
	memset(qspin_report_counts, 0, sizeof(qspin_report_counts));
	memset(qspin_report_seen, 0, sizeof(qspin_report_seen));
	raw_spin_unlock_irqrestore(&qspin_report_table_lock, flags);
}

static int reports_show(struct seq_file *m, void *v)
{
	unsigned long flags, total = 0;
	unsigned int i;

	seq_puts(m, "# type count key1 key2\n");
	for (i = 0;; i++) {
		struct qspin_report_entry e;

		raw_spin_lock_irqsave(&qspin_report_table_lock, flags);
		if (i >= qspin_nr_report_entries) {
			raw_spin_unlock_irqrestore(&qspin_report_table_lock,
						   flags);
			break;
		}
		e = qspin_report_table[i];
		raw_spin_unlock_irqrestore(&qspin_report_table_lock, flags);
		total += e.count;
		if (qspin_report_keys_are_classes(e.type))
			seq_printf(m, "%s %lu \"%s\" \"%s\"\n",
				   qspin_report_names[e.type], e.count,
				   qspin_class_name(e.key1),
				   qspin_class_name(e.key2));
		else if (qspin_report_keys_are_usages(e.type))
			seq_printf(m, "%s %lu \"%s\" %s \"%s\" %s\n",
				   qspin_report_names[e.type], e.count,
				   qspin_class_name(QSPIN_USAGE_KEY_CLASS(e.key1)),
				   qspin_usage_name(QSPIN_USAGE_KEY_USAGE(e.key1)),
				   qspin_class_name(QSPIN_USAGE_KEY_CLASS(e.key2)),
				   qspin_usage_name(QSPIN_USAGE_KEY_USAGE(e.key2)));
		else if (e.type == QSPIN_REPORT_INCONSISTENT)
			seq_printf(m, "%s %lu \"%s\" %s\n",
				   qspin_report_names[e.type], e.count,
				   qspin_class_name(e.key1),
				   e.key2 ? "softirq" : "hardirq");
		else if (e.type == QSPIN_REPORT_SLEEP)
			seq_printf(m, "%s %lu \"%pS\" \"%s\"\n",
				   qspin_report_names[e.type], e.count,
				   (void *)e.key1, qspin_class_name(e.key2));
		else if (e.type == QSPIN_REPORT_LEAKED)
			seq_printf(m, "%s %lu \"%ps\" %#lx\n",
				   qspin_report_names[e.type], e.count,
				   (void *)e.key1, e.key2);
		else
			seq_printf(m, "%s %lu %#lx %#lx\n",
				   qspin_report_names[e.type], e.count, e.key1,
				   e.key2);
	}
	seq_printf(m, "# reports %u seen %lu unrecorded %lu\n", i, total,
		   READ_ONCE(qspin_reports_unrecorded));
	for (i = 0; i < QSPIN_REPORT_NR; i++)
		seq_printf(m, "# %s %lu\n", qspin_report_names[i],
			   qspin_report_count(i));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(reports);

/* ---- saved stacks ------------------------------------------------------ */

#define QSPIN_STACK_POOL 32768		/* unsigned longs: ~2000 stacks of 16 */
#define QSPIN_STACK_DEPTH 16

static unsigned long qspin_stack_pool[QSPIN_STACK_POOL];
static unsigned int qspin_stack_used;	/* under qspin_graph_lock */

unsigned int qspin_stack_save(void)
{
	unsigned int start = qspin_stack_used, len;

	lockdep_assert_held(&qspin_graph_lock);
	if (start + 1 + QSPIN_STACK_DEPTH > QSPIN_STACK_POOL) {
		if (qspin_report_start(QSPIN_REPORT_POOL_FULL, 4, 0)) {
			pr_err(" the saved-stack pool is full (%u words): new sites keep their caller, without a stack\n",
			       QSPIN_STACK_POOL);
			qspin_report_end();
		}
		return 0;
	}
	/* Skip this function and the validator's own frame. */
	len = stack_trace_save(&qspin_stack_pool[start + 1], QSPIN_STACK_DEPTH,
			       2);
	qspin_stack_pool[start] = len;
	qspin_stack_used = start + 1 + len;
	return start + 1;
}

void qspin_stack_print(unsigned int stack)
{
	unsigned int skip = 0, len;

	if (!stack || stack > QSPIN_STACK_POOL) {
		pr_err("   (no stack saved)\n");
		return;
	}
	/* From the lock operation's caller on: qspin.ko's own frames are noise. */
	len = qspin_stack_pool[stack - 1];
	while (skip + 1 < len &&
	       within_module_core(qspin_stack_pool[stack + skip], THIS_MODULE))
		skip++;
	stack_trace_print(&qspin_stack_pool[stack + skip], len - skip, 4);
}

void qspin_stacks_reset(void)
{
	lockdep_assert_held(&qspin_graph_lock);
	qspin_stack_used = 0;
}

void qspin_report_debugfs(struct dentry *dir)
{
	debugfs_create_file("reports", 0400, dir, NULL, &reports_fops);
}
