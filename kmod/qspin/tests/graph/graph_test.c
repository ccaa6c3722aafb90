// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of the validator's dependency graph (kmod/qspin/graph.c),
 * compiled in user space with the shim of shim/ and run by graph-test.sh:
 *
 *   graph_test            every case, one "ok"/"not ok" line each
 *   graph_test CASE       one case (CTest runs them one by one)
 *
 * graph.c is included whole, so a case can read its pool and counters.
 * This file plays the validator: class names and usages, and reports with
 * the contract's dedup (one per type and key pair, repeats counted).
 */
#include <stdarg.h>
#include <stdlib.h>

#include "graph.c"

/* ---- the shim's state ------------------------------------------------ */

unsigned long shim_warnings;
char shim_log[1 << 20];
size_t shim_log_len;

void shim_printk(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(shim_log + shim_log_len, sizeof(shim_log) - shim_log_len,
		      fmt, ap);
	va_end(ap);
	if (n > 0)
		shim_log_len += (size_t)n;
	if (shim_log_len >= sizeof(shim_log))
		shim_log_len = sizeof(shim_log) - 1;
	if (getenv("GRAPH_TEST_VERBOSE"))
		fputs(shim_log + shim_log_len - (n > 0 ? n : 0), stdout);
}

void seq_printf(struct seq_file *m, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(m->buf + m->count, sizeof(m->buf) - m->count, fmt, ap);
	va_end(ap);
	if (n > 0)
		m->count += (size_t)n;
	if (m->count >= sizeof(m->buf))
		m->count = sizeof(m->buf) - 1;
}

int seq_open_private(struct file *file, const struct seq_operations *ops,
		     int size)
{
	return 0;
}

int seq_release_private(struct inode *inode, struct file *file)
{
	return 0;
}

ssize_t seq_read(struct file *file, char *buf, size_t len, loff_t *pos)
{
	return 0;
}

loff_t seq_lseek(struct file *file, loff_t off, int whence)
{
	return 0;
}

struct dentry *debugfs_create_file(const char *name, unsigned short mode,
				   struct dentry *parent, void *data,
				   const struct file_operations *fops)
{
	return NULL;
}

/* ---- the validator's side -------------------------------------------- */

static char class_names[QSPIN_MAX_CLASSES][16];
static unsigned long class_usage[QSPIN_MAX_CLASSES];
static struct qspin_site usage_sites[QSPIN_MAX_CLASSES][QSPIN_USAGE_NR];

struct report_key {
	enum qspin_report_type type;
	unsigned long key1, key2;
};

#define MAX_REPORTS 4096
static struct report_key reports[MAX_REPORTS];
static unsigned int nr_reports;
static unsigned long report_calls[QSPIN_REPORT_NR];	/* new and repeats */
static unsigned long reports_new[QSPIN_REPORT_NR];	/* printed */
static bool in_report;

const char *qspin_class_name(unsigned int cls)
{
	return class_names[cls];
}

unsigned long qspin_class_usage(unsigned int cls)
{
	return class_usage[cls];
}

const struct qspin_site *qspin_class_usage_site(unsigned int cls,
						enum qspin_usage u)
{
	return &usage_sites[cls][u];
}

void qspin_stack_print(unsigned int stack)
{
	shim_printk("      <stack %u>\n", stack);
}

/* The title as the validator will print it: the irq kind from key1. */
static const char *title(enum qspin_report_type type, unsigned long key1)
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

	report_calls[type]++;
	for (i = 0; i < nr_reports; i++)
		if (reports[i].type == type && reports[i].key1 == key1 &&
		    reports[i].key2 == key2)
			return false;
	if (nr_reports < MAX_REPORTS)
		reports[nr_reports++] = (struct report_key){ type, key1, key2 };
	reports_new[type]++;
	in_report = true;
	shim_printk("qspin: %s\n", title(type, key1));
	return true;
}

void qspin_report_end(void)
{
	if (!in_report)
		shim_warnings++;
	in_report = false;
	shim_printk("qspin: ---\n");
}

/* ---- helpers ---------------------------------------------------------- */

static int failures;

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			failures++;					\
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n",	\
				__FILE__, __LINE__, #cond);		\
		}							\
	} while (0)

static unsigned long total_new(void)
{
	unsigned long sum = 0;
	unsigned int t;

	for (t = 0; t < QSPIN_REPORT_NR; t++)
		sum += reports_new[t];
	return sum;
}

/* The keys of the one report of @type so far; false if not exactly one. */
static bool report_keys(enum qspin_report_type type, unsigned long *key1,
			unsigned long *key2)
{
	unsigned int i, found = 0;

	for (i = 0; i < nr_reports; i++) {
		if (reports[i].type != type)
			continue;
		*key1 = reports[i].key1;
		*key2 = reports[i].key2;
		found++;
	}
	return found == 1;
}

static void reset_all(void)
{
	unsigned int c;

	qspin_graph_reset();
	for (c = 0; c < QSPIN_MAX_CLASSES; c++) {
		if (c < 26)
			snprintf(class_names[c], sizeof(class_names[c]), "%c",
				 'A' + c);
		else
			snprintf(class_names[c], sizeof(class_names[c]), "c%u", c);
		class_usage[c] = 0;
	}
	memset(usage_sites, 0, sizeof(usage_sites));
	nr_reports = 0;
	memset(report_calls, 0, sizeof(report_calls));
	memset(reports_new, 0, sizeof(reports_new));
	shim_log_len = 0;
	shim_log[0] = '\0';
	shim_warnings = 0;
}

/* Sites that say which edge they belong to: 0xa<from><to>, 0xb<from><to>. */
static int dep(unsigned int from, unsigned int to)
{
	struct qspin_site held = { 0xa000000UL + from * 0x1000 + to, from + 1 };
	struct qspin_site taken = { 0xb000000UL + from * 0x1000 + to, to + 1 };

	return qspin_graph_add(from, to, &held, &taken);
}

static void set_usage(unsigned int cls, enum qspin_usage u, bool check)
{
	struct qspin_site where = { 0xc000000UL + cls * 0x10 + u, 7 };

	class_usage[cls] |= BIT(u);
	usage_sites[cls][u] = where;
	if (check)
		qspin_graph_usage(cls, u, &where);
}

static bool logged(const char *text)
{
	return strstr(shim_log, text) != NULL;
}

/* Chain lines " #0 ", " #1 ", ... of the last report in the log. */
static unsigned int chain_length(void)
{
	char want[16];
	unsigned int n = 0;

	for (;;) {
		snprintf(want, sizeof(want), " #%u ", n);
		if (!logged(want))
			return n;
		n++;
	}
}

static unsigned long used(void)
{
	return qspin_graph_counts.used;
}

/* Every list consistent with the pool: each edge once in both its lists. */
static bool lists_consistent(void)
{
	unsigned long seen = 0;
	unsigned int c;
	u16 d;

	for (c = 0; c < QSPIN_MAX_CLASSES; c++) {
		for (d = qspin_deps_after[c]; d != QSPIN_NONE;
		     d = qspin_deps[d].next_after, seen++)
			if (qspin_deps[d].from != c)
				return false;
		for (d = qspin_deps_before[c]; d != QSPIN_NONE;
		     d = qspin_deps[d].next_before)
			if (qspin_deps[d].to != c)
				return false;
	}
	return seen == used();
}

static struct seq_file seq;

static const char *read_dependencies(void)
{
	struct qspin_deps_cursor cur;
	loff_t pos = 0;
	void *v;

	seq.private = &cur;
	seq.count = 0;
	seq.buf[0] = '\0';
	for (v = deps_start(&seq, &pos); v; v = deps_next(&seq, v, &pos))
		deps_show(&seq, v);
	deps_stop(&seq, v);
	return seq.buf;
}

/* ---- cases ------------------------------------------------------------ */

struct family {
	const char *name;
	const char *edges;	/* "ABBA": A -> B, then B -> A */
	unsigned int cycle;	/* edges in the cycle */
};

/* lib/locking-selftest.c's circular families, by their names. */
static const struct family families[] = {
	{ "ABBA", "ABBA", 2 },
	{ "ABBCCA", "ABBCCA", 3 },
	{ "ABCABC", "ABCABC", 3 },
	{ "ABBCCDDA", "ABBCCDDA", 4 },
	{ "ABCDBDDA", "ABCDBDDA", 3 },
	{ "ABCDBCDA", "ABCDBCDA", 4 },
};

static bool next_permutation(unsigned int *a, unsigned int n)
{
	unsigned int i, j;

	if (n < 2)
		return false;
	i = n - 1;
	while (i > 0 && a[i - 1] >= a[i])
		i--;
	if (i == 0)
		return false;
	j = n - 1;
	while (a[j] <= a[i - 1])
		j--;
	swap(a[i - 1], a[j]);
	for (j = n - 1; i < j; i++, j--)
		swap(a[i], a[j]);
	return true;
}

/*
 * Each family, its edges in every order: exactly one circular report, with
 * the whole cycle as its chain, the table, the fix; nothing else; a repeat
 * of the refused edge is counted, not printed.
 */
static void test_cycle_families_found_once(void)
{
	unsigned int f, i;

	for (f = 0; f < ARRAY_SIZE(families); f++) {
		const char *e = families[f].edges;
		unsigned int n = strlen(e) / 2, order[8];

		for (i = 0; i < n; i++)
			order[i] = i;
		do {
			unsigned int refused_from = 0, refused_to = 0;
			unsigned long key1 = 0, key2 = 0;

			reset_all();
			for (i = 0; i < n; i++) {
				unsigned int from = e[2 * order[i]] - 'A';
				unsigned int to = e[2 * order[i] + 1] - 'A';
				unsigned long before = reports_new[QSPIN_REPORT_CIRCULAR];

				CHECK(dep(from, to) == 0);
				if (reports_new[QSPIN_REPORT_CIRCULAR] != before) {
					refused_from = from;
					refused_to = to;
				}
			}
			CHECK(reports_new[QSPIN_REPORT_CIRCULAR] == 1);
			CHECK(total_new() == 1);
			/* Its key: the edge that would have closed the cycle. */
			CHECK(report_keys(QSPIN_REPORT_CIRCULAR, &key1, &key2) &&
			      key1 == refused_from && key2 == refused_to);
			CHECK(chain_length() == families[f].cycle);
			CHECK(used() == n - 1);
			CHECK(logged("       CPU0                    CPU1\n"));
			CHECK(logged("       ----                    ----\n"));
			CHECK(logged(" *** DEADLOCK ***\n"));
			CHECK(logged("fix: take "));
			CHECK(logged(" everywhere; "));
			CHECK(dep(refused_from, refused_to) == 0);
			CHECK(report_calls[QSPIN_REPORT_CIRCULAR] == 2);
			CHECK(reports_new[QSPIN_REPORT_CIRCULAR] == 1);
			CHECK(shim_warnings == 0);
		} while (next_permutation(order, n));
	}
}

/* ABBA in detail: the fix names the established order and the culprit. */
static void test_abba_report_text(void)
{
	reset_all();
	dep(0, 1);
	dep(1, 0);
	CHECK(logged("qspin: WARNING: possible circular locking dependency detected\n"));
	CHECK(logged("qspin:  #0 B -> A  (new)\n"));
	CHECK(logged("qspin:  #1 A -> B\n"));
	CHECK(logged("qspin:   lock(B);\n"));
	CHECK(logged("qspin:                                lock(A);\n"));
	/* B -> A taken at 0xb001000: "take A before B; ...() takes B then A" */
	CHECK(logged("fix: take A before B everywhere; 0xb001000s() takes B then A at 0xb001000S\n"));
	CHECK(logged("<stack 2>"));	/* the sites' saved stacks */
	CHECK(!logged("Chain exists of"));
	reset_all();
	dep(0, 1);
	dep(1, 2);
	dep(2, 0);
	CHECK(logged("Chain exists of: A --> B --> C\n"));
}

/* The diamond A->B, A->C, B->D, C->D in every order: no report at all. */
static void test_diamond_no_false_cycle(void)
{
	static const char diamond[] = "ABACBDCD";
	unsigned int order[4] = { 0, 1, 2, 3 }, i;

	do {
		reset_all();
		for (i = 0; i < 4; i++)
			CHECK(dep(diamond[2 * order[i]] - 'A',
				  diamond[2 * order[i] + 1] - 'A') == 0);
		CHECK(total_new() == 0);
		CHECK(used() == 4);
	} while (next_permutation(order, 4));
}

static unsigned int rnd_state = 12345;

static unsigned int rnd(unsigned int n)
{
	rnd_state = rnd_state * 1103515245 + 12345;
	return (rnd_state >> 16) % n;
}

/* Random DAGs (edges only from lower to higher ids): never a cycle report. */
static void test_random_dags_no_false_cycle(void)
{
	unsigned int round, i;

	for (round = 0; round < 50; round++) {
		reset_all();
		for (i = 0; i < 300; i++) {
			unsigned int a = rnd(40), b = rnd(40);

			if (a == b)
				continue;
			CHECK(dep(a < b ? a : b, a < b ? b : a) == 0);
		}
		CHECK(total_new() == 0);
		CHECK(lists_consistent());
	}
}

#define REF_N 10
static bool ref_edge[REF_N][REF_N];

static bool ref_reaches(unsigned int from, unsigned int to)
{
	bool seen[REF_N] = { false };
	unsigned int stack[REF_N], top = 0, c, n;

	stack[top++] = from;
	seen[from] = true;
	while (top) {
		c = stack[--top];
		if (c == to)
			return true;
		for (n = 0; n < REF_N; n++)
			if (ref_edge[c][n] && !seen[n]) {
				seen[n] = true;
				stack[top++] = n;
			}
	}
	return false;
}

/*
 * Random edges among 10 classes against a reference graph: a cycle is
 * reported exactly when the new edge's target already reaches its source,
 * and only acyclic edges are kept.
 */
static void test_random_graphs_match_reference(void)
{
	unsigned int round, i;

	for (round = 0; round < 40; round++) {
		reset_all();
		memset(ref_edge, 0, sizeof(ref_edge));
		for (i = 0; i < 200; i++) {
			unsigned int a = rnd(REF_N), b = rnd(REF_N);
			unsigned long calls = report_calls[QSPIN_REPORT_CIRCULAR];
			bool cycle;

			if (a == b)
				continue;
			cycle = !ref_edge[a][b] && ref_reaches(b, a);
			CHECK(dep(a, b) == 0);
			CHECK((report_calls[QSPIN_REPORT_CIRCULAR] - calls) ==
			      (cycle ? 1 : 0));
			if (!cycle)
				ref_edge[a][b] = true;
		}
		CHECK(lists_consistent());
	}
}

/* S (hardirq-safe) -> M, then M -> U (hardirq-unsafe): two hops. */
static void test_irq_safe_unsafe_two_hops(void)
{
	enum { S, M, U };

	reset_all();
	set_usage(S, QSPIN_USED_IN_HARDIRQ, false);
	set_usage(U, QSPIN_ENABLED_HARDIRQ, false);
	CHECK(dep(S, M) == 0);
	CHECK(total_new() == 0);
	CHECK(dep(M, U) == 0);
	CHECK(reports_new[QSPIN_REPORT_IRQ_SAFE_UNSAFE] == 1);
	CHECK(total_new() == 1);
	CHECK(nr_reports == 1 &&
	      reports[0].key1 == QSPIN_USAGE_KEY(S, QSPIN_USED_IN_HARDIRQ) &&
	      reports[0].key2 == QSPIN_USAGE_KEY(U, QSPIN_ENABLED_HARDIRQ));
	CHECK(logged("qspin: WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected\n"));
	CHECK(logged("A became HARDIRQ-irq-safe at 0xc000000S\n"));
	CHECK(logged("C became HARDIRQ-irq-unsafe at 0xc000022S\n"));
	CHECK(chain_length() == 2);
	CHECK(logged("Chain exists of: A --> B --> C\n"));
	CHECK(logged("local_irq_disable();"));
	CHECK(logged("  <Interrupt>\n"));
	CHECK(logged("fix: take C with qspin_lock_irqsave() everywhere, or never take C while A is held\n"));
	CHECK(used() == 2);	/* reported, and kept: it is no cycle */

	/* Safe two back, unsafe two forward: S -> X, Y -> U, then X -> Y. */
	reset_all();
	set_usage(0, QSPIN_USED_IN_HARDIRQ, false);
	set_usage(3, QSPIN_ENABLED_HARDIRQ, false);
	dep(0, 1);
	dep(2, 3);
	CHECK(total_new() == 0);
	dep(1, 2);
	CHECK(reports_new[QSPIN_REPORT_IRQ_SAFE_UNSAFE] == 1);
	CHECK(chain_length() == 3);
	CHECK(logged(" #1 B -> C  (new)\n"));
}

static void test_softirq_twin_and_mismatch(void)
{
	reset_all();
	set_usage(0, QSPIN_USED_IN_SOFTIRQ, false);
	set_usage(2, QSPIN_ENABLED_SOFTIRQ, false);
	dep(0, 1);
	dep(1, 2);
	CHECK(reports_new[QSPIN_REPORT_IRQ_SAFE_UNSAFE] == 1);
	CHECK(nr_reports == 1 &&
	      reports[0].key1 == QSPIN_USAGE_KEY(0, QSPIN_USED_IN_SOFTIRQ) &&
	      reports[0].key2 == QSPIN_USAGE_KEY(2, QSPIN_ENABLED_SOFTIRQ));
	CHECK(logged("SOFTIRQ-safe -> SOFTIRQ-unsafe"));
	CHECK(logged("local_bh_disable();"));
	CHECK(logged("<Softirq>"));
	CHECK(logged("with qspin_lock_bh() (or qspin_lock_irqsave()) everywhere"));

	/* Hardirq-safe leading to softirq-unsafe: no conflict. */
	reset_all();
	set_usage(0, QSPIN_USED_IN_HARDIRQ, false);
	set_usage(2, QSPIN_ENABLED_SOFTIRQ, false);
	dep(0, 1);
	dep(1, 2);
	CHECK(total_new() == 0);

	/* Unsafe leading to safe is fine: U -> M -> S. */
	reset_all();
	set_usage(0, QSPIN_ENABLED_HARDIRQ, false);
	set_usage(2, QSPIN_USED_IN_HARDIRQ, false);
	dep(0, 1);
	dep(1, 2);
	CHECK(total_new() == 0);

	/* A repeat of the same pair through another edge: counted only. */
	reset_all();
	set_usage(0, QSPIN_USED_IN_HARDIRQ, false);
	set_usage(3, QSPIN_ENABLED_HARDIRQ, false);
	dep(0, 1);
	dep(0, 2);
	dep(1, 3);
	dep(2, 3);
	CHECK(reports_new[QSPIN_REPORT_IRQ_SAFE_UNSAFE] == 1);
	CHECK(report_calls[QSPIN_REPORT_IRQ_SAFE_UNSAFE] == 2);
}

/* The usage that completes the pair comes last: irq lock inversion. */
static void test_irq_inversion(void)
{
	enum { S, M, U };

	/* Forwards: S just became safe, and it leads to unsafe U. */
	reset_all();
	dep(S, M);
	dep(M, U);
	set_usage(U, QSPIN_ENABLED_HARDIRQ, true);
	CHECK(total_new() == 0);
	set_usage(S, QSPIN_USED_IN_HARDIRQ, true);
	CHECK(reports_new[QSPIN_REPORT_IRQ_INVERSION] == 1);
	CHECK(total_new() == 1);
	CHECK(nr_reports == 1 &&
	      reports[0].key1 == QSPIN_USAGE_KEY(S, QSPIN_USED_IN_HARDIRQ) &&
	      reports[0].key2 == QSPIN_USAGE_KEY(U, QSPIN_ENABLED_HARDIRQ));
	CHECK(logged("qspin: WARNING: possible irq lock inversion dependency detected\n"));
	CHECK(logged("but this lock took another, HARDIRQ-irq-unsafe lock in the past:"));
	CHECK(chain_length() == 2);
	CHECK(logged("fix: take C with qspin_lock_irqsave() everywhere"));

	/* Backwards: U just became unsafe, and safe S leads to it. */
	reset_all();
	dep(S, M);
	dep(M, U);
	set_usage(S, QSPIN_USED_IN_SOFTIRQ, true);
	CHECK(total_new() == 0);
	set_usage(U, QSPIN_ENABLED_SOFTIRQ, true);
	CHECK(reports_new[QSPIN_REPORT_IRQ_INVERSION] == 1);
	CHECK(nr_reports == 1 &&
	      reports[0].key1 == QSPIN_USAGE_KEY(S, QSPIN_USED_IN_SOFTIRQ) &&
	      reports[0].key2 == QSPIN_USAGE_KEY(U, QSPIN_ENABLED_SOFTIRQ));
	CHECK(logged("but this lock was taken by another, SOFTIRQ-irq-safe lock in the past:"));

	/* Its own conflict is "inconsistent lock state", not ours. */
	reset_all();
	dep(S, M);
	set_usage(S, QSPIN_ENABLED_HARDIRQ, true);
	set_usage(S, QSPIN_USED_IN_HARDIRQ, true);
	CHECK(total_new() == 0);
	CHECK(shim_warnings == 0);
}

/* A forgotten class takes its edges along; the cycle through it is gone. */
static void test_forget_class(void)
{
	unsigned int i;

	reset_all();
	dep(0, 1);
	dep(1, 2);
	dep(2, 3);
	qspin_graph_forget_class(1);
	CHECK(used() == 1);
	CHECK(lists_consistent());
	CHECK(dep(2, 0) == 0);		/* was A -> B -> C -> A */
	CHECK(total_new() == 0);
	CHECK(!strstr(read_dependencies(), "B ->"));
	CHECK(!strstr(read_dependencies(), "-> B"));

	/* A hub in the middle of other classes' lists, both ways. */
	reset_all();
	for (i = 10; i < 40; i++) {
		dep(i, 5);
		dep(i, 41 + i);
		dep(5, 100 + i);
		dep(200 + i, 100 + i);
	}
	CHECK(used() == 120);
	qspin_graph_forget_class(5);
	CHECK(used() == 60);
	CHECK(lists_consistent());
	CHECK(qspin_deps_after[5] == QSPIN_NONE &&
	      qspin_deps_before[5] == QSPIN_NONE);
	/* The slots are reused. */
	for (i = 10; i < 40; i++)
		CHECK(dep(i, 5) == 0);
	CHECK(used() == 90);
	CHECK(lists_consistent());
	CHECK(shim_warnings == 0);
}

/* Edges (i, i + k) for increasing i: acyclic, each search short. */
static unsigned int fill_layered(unsigned int width, unsigned int limit)
{
	unsigned int i, k, n = 0;

	for (i = 0; i < QSPIN_MAX_CLASSES && n < limit; i++)
		for (k = 1; k <= width && i + k < QSPIN_MAX_CLASSES && n < limit; k++) {
			CHECK(dep(i, i + k) == 0);
			n++;
		}
	return n;
}

/*
 * A full pool refuses with -ENOSPC, reports once, keeps the graph, still
 * finds cycles through what it has; forgetting makes room again.
 */
static void test_pool_exhaustion(void)
{
	unsigned long key1 = 0, key2 = 0;

	reset_all();
	CHECK(fill_layered(17, QSPIN_GRAPH_MAX_DEPS) == QSPIN_GRAPH_MAX_DEPS);
	CHECK(used() == QSPIN_GRAPH_MAX_DEPS);
	CHECK(total_new() == 0);
	CHECK(dep(1000, 1023) == -ENOSPC);
	CHECK(reports_new[QSPIN_REPORT_POOL_FULL] == 1);
	CHECK(logged("the dependency pool is full (16384 dependencies)"));
	CHECK(report_keys(QSPIN_REPORT_POOL_FULL, &key1, &key2) &&
	      key1 == QSPIN_GRAPH_POOL_KEY && key2 == 0);
	CHECK(dep(1001, 1023) == -ENOSPC);
	CHECK(report_calls[QSPIN_REPORT_POOL_FULL] == 2);
	CHECK(reports_new[QSPIN_REPORT_POOL_FULL] == 1);
	CHECK(qspin_graph_counts.refused == 2);
	CHECK(used() == QSPIN_GRAPH_MAX_DEPS);
	CHECK(!qspin_dep_exists(1000, 1023));
	CHECK(lists_consistent());
	/* A known edge is no new one: no refusal. */
	CHECK(dep(0, 1) == 0);
	/* 1 -> 2 exists: 2 -> 1 closes a cycle, found with the pool full. */
	CHECK(dep(2, 1) == 0);
	CHECK(reports_new[QSPIN_REPORT_CIRCULAR] == 1);
	qspin_graph_forget_class(500);
	CHECK(used() == QSPIN_GRAPH_MAX_DEPS - 34);
	CHECK(dep(1000, 1023) == 0);
	CHECK(qspin_dep_exists(1000, 1023));
	CHECK(shim_warnings == 0);
}

/*
 * A search that would examine more than QSPIN_GRAPH_SEARCH_DEPS edges gives
 * up: counted, and no report (a miss, never a false report).
 */
static void test_search_bound(void)
{
	unsigned long hits;

	reset_all();
	fill_layered(16, QSPIN_GRAPH_MAX_DEPS - 1);
	CHECK(used() > QSPIN_GRAPH_SEARCH_DEPS);
	hits = qspin_graph_counts.bound_hits;
	/* 0 reaches 1023 only after nearly every edge: the bound comes first. */
	CHECK(dep(1023, 0) == 0);
	CHECK(qspin_graph_counts.bound_hits > hits);
	CHECK(reports_new[QSPIN_REPORT_CIRCULAR] == 0);
	CHECK(strstr(read_dependencies(), ", bound 8192 per search, bound hits ") != NULL);
	/* A short cycle in the same graph is still found. */
	CHECK(dep(3, 1) == 0);
	CHECK(reports_new[QSPIN_REPORT_CIRCULAR] == 1);
}

static void test_debugfs_dependencies(void)
{
	const char *text;

	reset_all();
	dep(0, 1);
	dep(1, 2);
	dep(2, 0);	/* refused: a cycle */
	text = read_dependencies();
	CHECK(strstr(text, "A -> B  (A taken at 0xa000001S, B at 0xb000001S)\n") != NULL);
	CHECK(strstr(text, "B -> C  (B taken at 0xa001002S, C at 0xb001002S)\n") != NULL);
	CHECK(strstr(text, "C -> A") == NULL);
	CHECK(strstr(text, "# dependencies 2 of 16384 (peak 2), searches ") != NULL);
	CHECK(strstr(text, "refused (pool full) 0\n") != NULL);
}

/* reset forgets every edge: the refused edge is a first edge again. */
static void test_reset(void)
{
	reset_all();
	dep(0, 1);
	dep(1, 0);
	CHECK(reports_new[QSPIN_REPORT_CIRCULAR] == 1);
	qspin_graph_reset();
	CHECK(used() == 0);
	CHECK(lists_consistent());
	CHECK(dep(1, 0) == 0);
	CHECK(reports_new[QSPIN_REPORT_CIRCULAR] == 1);
	CHECK(used() == 1);
	CHECK(strstr(read_dependencies(), "# dependencies 1 of 16384 (peak 1)") != NULL);
}

/* Same class: the validator's recursion check; bad ids: -EINVAL, a warning. */
static void test_same_class_and_bad_ids(void)
{
	reset_all();
	CHECK(dep(4, 4) == 0);
	CHECK(used() == 0);
	CHECK(total_new() == 0);
	CHECK(shim_warnings == 0);
	CHECK(dep(QSPIN_MAX_CLASSES, 1) == -EINVAL);
	CHECK(shim_warnings == 1);
	CHECK(used() == 0);
}

struct test_case {
	const char *name;
	void (*run)(void);
};

static const struct test_case cases[] = {
	{ "cycle_families_found_once", test_cycle_families_found_once },
	{ "abba_report_text", test_abba_report_text },
	{ "diamond_no_false_cycle", test_diamond_no_false_cycle },
	{ "random_dags_no_false_cycle", test_random_dags_no_false_cycle },
	{ "random_graphs_match_reference", test_random_graphs_match_reference },
	{ "irq_safe_unsafe_two_hops", test_irq_safe_unsafe_two_hops },
	{ "softirq_twin_and_mismatch", test_softirq_twin_and_mismatch },
	{ "irq_inversion", test_irq_inversion },
	{ "forget_class", test_forget_class },
	{ "pool_exhaustion", test_pool_exhaustion },
	{ "search_bound", test_search_bound },
	{ "debugfs_dependencies", test_debugfs_dependencies },
	{ "reset", test_reset },
	{ "same_class_and_bad_ids", test_same_class_and_bad_ids },
};

int main(int argc, char **argv)
{
	unsigned int i, ran = 0, failed = 0;

	qspin_graph_init();
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		int before = failures;

		if (argc > 1 && strcmp(argv[1], cases[i].name))
			continue;
		cases[i].run();
		ran++;
		if (failures != before) {
			failed++;
			printf("not ok %u %s\n", i + 1, cases[i].name);
		} else {
			printf("ok %u %s\n", i + 1, cases[i].name);
		}
	}
	if (!ran) {
		fprintf(stderr, "no case named %s\n", argv[1]);
		return 2;
	}
	printf("# %u of %u cases passed\n", ran - failed, ran);
	return failed ? 1 : 0;
}
