// SPDX-License-Identifier: GPL-2.0
/*
 * The dependency graph (kmod/qspin/graph.c) in the kernel, on its own: a
 * module that includes graph.c whole, plays the validator (class names,
 * usages, reports deduplicated per key, a raw spinlock held with
 * interrupts off around every call) and at load runs what the host test
 * cannot show: the reports as printk prints them (%pS on real code
 * addresses), the debugfs `dependencies` file (qspin_graph_vm_test/), and
 * the time one bounded search takes with interrupts off on the worst graph
 * the pool holds. Built and run by ../graph-vm-test.sh; not part of
 * qspin.ko.
 */
#include "graph.c"

#include <linux/ktime.h>

static DEFINE_RAW_SPINLOCK(vm_graph_lock);	/* the validator's graph lock */

static char vm_class_names[QSPIN_MAX_CLASSES][16];
static unsigned long vm_class_usage[QSPIN_MAX_CLASSES];
static struct qspin_site vm_usage_sites[QSPIN_MAX_CLASSES][QSPIN_USAGE_NR];

struct vm_report {
	enum qspin_report_type type;
	unsigned long key1, key2;
};

static struct vm_report vm_reports[64];
static unsigned int vm_nr_reports;
static unsigned long vm_reports_new[QSPIN_REPORT_NR];
static unsigned long vm_report_calls[QSPIN_REPORT_NR];

const char *qspin_class_name(unsigned int cls)
{
	return vm_class_names[cls];
}

unsigned long qspin_class_usage(unsigned int cls)
{
	return vm_class_usage[cls];
}

const struct qspin_site *qspin_class_usage_site(unsigned int cls,
						enum qspin_usage u)
{
	return &vm_usage_sites[cls][u];
}

void qspin_stack_print(unsigned int stack)
{
	pr_warn("      (saved stack %u would be printed here)\n", stack);
}

static const char *vm_title(enum qspin_report_type type, unsigned long key1)
{
	bool soft = QSPIN_USAGE_KEY_USAGE(key1) == QSPIN_USED_IN_SOFTIRQ;

	switch (type) {
	case QSPIN_REPORT_CIRCULAR:
		return "WARNING: possible circular locking dependency detected";
	case QSPIN_REPORT_IRQ_SAFE_UNSAFE:
		return soft ? "WARNING: SOFTIRQ-safe -> SOFTIRQ-unsafe lock order detected" :
			      "WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected";
	case QSPIN_REPORT_IRQ_INVERSION:
		return "WARNING: possible irq lock inversion dependency detected";
	case QSPIN_REPORT_POOL_FULL:
		return "WARNING: a preallocated pool is full";
	default:
		return "WARNING: (not a graph report)";
	}
}

bool qspin_report_start(enum qspin_report_type type, unsigned long key1,
			unsigned long key2)
{
	unsigned int i;

	vm_report_calls[type]++;
	for (i = 0; i < vm_nr_reports; i++)
		if (vm_reports[i].type == type && vm_reports[i].key1 == key1 &&
		    vm_reports[i].key2 == key2)
			return false;
	if (vm_nr_reports < ARRAY_SIZE(vm_reports))
		vm_reports[vm_nr_reports++] = (struct vm_report){ type, key1, key2 };
	vm_reports_new[type]++;
	pr_warn("%s\n", vm_title(type, key1));
	return true;
}

void qspin_report_end(void)
{
	pr_warn("---\n");
}

/* Code addresses for the sites, so that %pS has something to name. */
static noinline void vm_take_first(void) { barrier(); }
static noinline void vm_take_second(void) { barrier(); }
static noinline void vm_irq_handler(void) { barrier(); }
static noinline void vm_process_path(void) { barrier(); }

static int vm_dep(unsigned int from, unsigned int to)
{
	struct qspin_site held = { (unsigned long)vm_take_first + from, from + 1 };
	struct qspin_site taken = { (unsigned long)vm_take_second + to, to + 1 };
	unsigned long flags;
	int ret;

	raw_spin_lock_irqsave(&vm_graph_lock, flags);
	ret = qspin_graph_add(from, to, &held, &taken);
	raw_spin_unlock_irqrestore(&vm_graph_lock, flags);
	return ret;
}

static void vm_usage(unsigned int cls, enum qspin_usage u)
{
	bool safe = u == QSPIN_USED_IN_HARDIRQ || u == QSPIN_USED_IN_SOFTIRQ;
	struct qspin_site where = {
		(unsigned long)(safe ? vm_irq_handler : vm_process_path) + 4, 9
	};
	unsigned long flags;

	raw_spin_lock_irqsave(&vm_graph_lock, flags);
	vm_class_usage[cls] |= BIT(u);
	vm_usage_sites[cls][u] = where;
	qspin_graph_usage(cls, u, &where);
	raw_spin_unlock_irqrestore(&vm_graph_lock, flags);
}

static void vm_reset(void)
{
	unsigned long flags;
	unsigned int c;

	raw_spin_lock_irqsave(&vm_graph_lock, flags);
	qspin_graph_reset();
	raw_spin_unlock_irqrestore(&vm_graph_lock, flags);
	for (c = 0; c < QSPIN_MAX_CLASSES; c++) {
		if (c < 26)
			snprintf(vm_class_names[c], 16, "&dev->lock_%c", 'A' + c);
		else
			snprintf(vm_class_names[c], 16, "class_%u", c);
		vm_class_usage[c] = 0;
	}
	memset(vm_usage_sites, 0, sizeof(vm_usage_sites));
	vm_nr_reports = 0;
	memset(vm_reports_new, 0, sizeof(vm_reports_new));
	memset(vm_report_calls, 0, sizeof(vm_report_calls));
}

static unsigned int vm_failures;

#define VM_CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			vm_failures++;					\
			pr_err("line %d: %s failed\n",	\
			       __LINE__, #cond);			\
		}							\
	} while (0)

static struct dentry *vm_dir;

static int __init graph_vm_test_init(void)
{
	u64 worst = 0, t0, t1;
	unsigned long flags;
	unsigned int i, k, n = 0;
	struct qspin_site a = { (unsigned long)vm_take_first, 1 };
	struct qspin_site b = { (unsigned long)vm_take_second, 2 };

	qspin_graph_init();

	/* ABBCCA: one report, with its chain, table and fix. */
	vm_reset();
	VM_CHECK(vm_dep(0, 1) == 0);
	VM_CHECK(vm_dep(1, 2) == 0);
	VM_CHECK(vm_dep(2, 0) == 0);
	VM_CHECK(vm_reports_new[QSPIN_REPORT_CIRCULAR] == 1);

	/* HARDIRQ-safe A -> B -> C HARDIRQ-unsafe, through two hops. */
	vm_reset();
	vm_usage(0, QSPIN_USED_IN_HARDIRQ);
	vm_usage(2, QSPIN_ENABLED_HARDIRQ);
	VM_CHECK(vm_dep(0, 1) == 0);
	VM_CHECK(vm_dep(1, 2) == 0);
	VM_CHECK(vm_reports_new[QSPIN_REPORT_IRQ_SAFE_UNSAFE] == 1);

	/* The usage comes last: SOFTIRQ inversion, backwards. */
	vm_reset();
	VM_CHECK(vm_dep(0, 1) == 0);
	vm_usage(0, QSPIN_USED_IN_SOFTIRQ);
	vm_usage(1, QSPIN_ENABLED_SOFTIRQ);
	VM_CHECK(vm_reports_new[QSPIN_REPORT_IRQ_INVERSION] == 1);

	/*
	 * The worst search: the pool full of a layered graph (i -> i + 1 ..
	 * i + 17), then edges whose checks walk it, timed with interrupts
	 * off as the validator will run them.
	 */
	vm_reset();
	for (i = 0; i < QSPIN_MAX_CLASSES && n < QSPIN_GRAPH_MAX_DEPS; i++)
		for (k = 1; k <= 17 && i + k < QSPIN_MAX_CLASSES &&
		     n < QSPIN_GRAPH_MAX_DEPS; k++, n++)
			VM_CHECK(vm_dep(i, i + k) == 0);
	VM_CHECK(qspin_graph_counts.used == QSPIN_GRAPH_MAX_DEPS);
	VM_CHECK(vm_dep(1000, 1023) == -ENOSPC);
	VM_CHECK(vm_reports_new[QSPIN_REPORT_POOL_FULL] == 1);
	for (i = 0; i < 8; i++) {
		raw_spin_lock_irqsave(&vm_graph_lock, flags);
		t0 = ktime_get_ns();
		/* a cycle search from 0 and an irq walk back from 960 + i */
		qspin_graph_add(960 + i, 0, &a, &b);
		t1 = ktime_get_ns();
		raw_spin_unlock_irqrestore(&vm_graph_lock, flags);
		worst = max(worst, t1 - t0);
	}
	pr_info("worst qspin_graph_add() on a full pool (%d dependencies, bound %d per search): %llu us with interrupts off; bound hits %lu\n",
		QSPIN_GRAPH_MAX_DEPS, QSPIN_GRAPH_SEARCH_DEPS, worst / 1000,
		qspin_graph_counts.bound_hits);
	VM_CHECK(qspin_graph_counts.bound_hits > 0);

	/* Leave a small graph for debugfs `dependencies` to show. */
	vm_reset();
	VM_CHECK(vm_dep(0, 1) == 0);
	VM_CHECK(vm_dep(1, 2) == 0);
	vm_dir = debugfs_create_dir("qspin_graph_vm_test", NULL);
	qspin_graph_debugfs(vm_dir);

	pr_info("%s (%u failed checks)\n",
		vm_failures ? "FAIL" : "PASS", vm_failures);
	return 0;
}

static void __exit graph_vm_test_exit(void)
{
	debugfs_remove_recursive(vm_dir);
	qspin_graph_exit();
}

module_init(graph_vm_test_init);
module_exit(graph_vm_test_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("qspin: the validator's dependency graph, tested in the kernel on its own");
