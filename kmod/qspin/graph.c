// SPDX-License-Identifier: GPL-2.0
/*
 * The validator's lock-class dependency graph and the checks made on it.
 *
 * An edge A -> B ("a dependency") says that some CPU took a lock of class B
 * while it held one of class A. Each edge keeps both sites: where A was
 * taken and where B was taken under it, with their saved stacks, because a
 * report must show the code to change, and that code may have run long ago.
 *
 * A deadlock needs two CPUs (or a CPU and its interrupt) each waiting for
 * what the other holds. The graph finds the possibility from history, the
 * first time both halves have happened, even if they never collided:
 *
 *  - a new edge prev -> next closes a cycle when next already leads to
 *    prev: "possible circular locking dependency detected". The edge is
 *    not added, so the graph stays acyclic: each report names the one
 *    inversion that made it, never a consequence of an earlier one.
 *  - a class taken in hardirq context (HARDIRQ-safe) that leads to a class
 *    held with hardirqs on (HARDIRQ-unsafe): the interrupt can arrive while
 *    the unsafe lock is held and spin on the safe one, held by a CPU that
 *    waits for the unsafe one. Found when the edge that connects them is
 *    added ("HARDIRQ-safe -> HARDIRQ-unsafe lock order detected") or when
 *    the usage that completes the pair is first seen ("possible irq lock
 *    inversion dependency detected"). SOFTIRQ the same.
 *
 * Memory: QSPIN_GRAPH_MAX_DEPS edges in a static pool; each class has a
 * list of the edges leaving it (taken after it) and one of those entering
 * it (taken before it), as pool indices. Nothing is allocated after load.
 * A full pool refuses new edges (reported once, -ENOSPC) and keeps
 * checking the new ones against the graph it has.
 *
 * Searches: breadth-first, so a reported chain is a shortest one, over a
 * preallocated queue with a visited mark per class that is a search
 * number (no clearing between searches). Each class enters the queue at
 * most once, so the queue never overflows; a search examines at most
 * QSPIN_GRAPH_SEARCH_DEPS edges and then gives up, finds nothing and is
 * counted as a bound hit.
 *
 * Locking: the validator calls in with its graph lock held (a raw spinlock,
 * interrupts off, never in NMI); it serialises everything here. The
 * debugfs reader does not take it: qspin_deps_lock, always the inner one,
 * orders the reader against the writers of the pool.
 *
 * Report keys (qspin_report_start(type, key1, key2)): one report per key,
 * repeats counted by the validator:
 *   CIRCULAR         (prev, next): the edge that would close the cycle
 *   IRQ_SAFE_UNSAFE  (QSPIN_USAGE_KEY(safe class, USED_IN_x),
 *   IRQ_INVERSION     QSPIN_USAGE_KEY(unsafe class, ENABLED_x))
 *   POOL_FULL        (QSPIN_GRAPH_POOL_KEY, 0)
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bug.h>
#include <linux/build_bug.h>
#include <linux/debugfs.h>
#include <linux/errno.h>
#include <linux/kallsyms.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/seq_file.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/types.h>

#include <qspin/debug.h>
#include "graph.h"

/* ---- the edge pool -------------------------------------------------- */

/* End of a list; the classes of a free slot. */
#define QSPIN_NONE U16_MAX

/* "`to` was taken while `from` was held" */
struct qspin_dep {
	struct qspin_site held;		/* where `from` was taken */
	struct qspin_site taken;	/* where `to` was taken under it */
	u16 from, to;			/* classes; QSPIN_NONE: a free slot */
	u16 next_after;			/* next edge leaving `from`; free list */
	u16 next_before;		/* next edge entering `to` */
};

static struct qspin_dep qspin_deps[QSPIN_GRAPH_MAX_DEPS];
/* Per class: the first edge leaving it and the first entering it. */
static u16 qspin_deps_after[QSPIN_MAX_CLASSES];
static u16 qspin_deps_before[QSPIN_MAX_CLASSES];
static u16 qspin_deps_free;

/* What debugfs `dependencies` sums up; since load or the last reset. */
struct qspin_graph_counts {
	unsigned long used;		/* edges in the graph */
	unsigned long peak;		/* most edges at once */
	unsigned long searches;
	unsigned long bound_hits;	/* searches that gave up */
	unsigned long refused;		/* new edges the full pool refused */
};

static struct qspin_graph_counts qspin_graph_counts;

/* The debugfs reader against the writers; inside the graph lock. */
static DEFINE_RAW_SPINLOCK(qspin_deps_lock);

/* Writers hold the graph lock: no atomics, only whole stores for the reader. */
static void qspin_count_inc(unsigned long *counter)
{
	WRITE_ONCE(*counter, *counter + 1);
}

static void qspin_deps_clear(void)
{
	unsigned int i;

	for (i = 0; i < QSPIN_GRAPH_MAX_DEPS; i++) {
		qspin_deps[i].from = QSPIN_NONE;
		qspin_deps[i].to = QSPIN_NONE;
		qspin_deps[i].next_after = i + 1 < QSPIN_GRAPH_MAX_DEPS ?
					   i + 1 : QSPIN_NONE;
		qspin_deps[i].next_before = QSPIN_NONE;
	}
	qspin_deps_free = 0;
	for (i = 0; i < QSPIN_MAX_CLASSES; i++) {
		qspin_deps_after[i] = QSPIN_NONE;
		qspin_deps_before[i] = QSPIN_NONE;
	}
	memset(&qspin_graph_counts, 0, sizeof(qspin_graph_counts));
}

static bool qspin_dep_exists(unsigned int from, unsigned int to)
{
	u16 d;

	for (d = qspin_deps_after[from]; d != QSPIN_NONE;
	     d = qspin_deps[d].next_after)
		if (qspin_deps[d].to == to)
			return true;
	return false;
}

/* Return: the new edge's index, or QSPIN_NONE when the pool is full. */
static u16 qspin_dep_insert(unsigned int from, unsigned int to,
			    const struct qspin_site *held,
			    const struct qspin_site *taken)
{
	u16 d = qspin_deps_free;
	struct qspin_dep *dep;
	unsigned long flags;

	if (d == QSPIN_NONE)
		return QSPIN_NONE;
	dep = &qspin_deps[d];
	raw_spin_lock_irqsave(&qspin_deps_lock, flags);
	qspin_deps_free = dep->next_after;
	dep->held = *held;
	dep->taken = *taken;
	dep->from = from;
	dep->to = to;
	dep->next_after = qspin_deps_after[from];
	qspin_deps_after[from] = d;
	dep->next_before = qspin_deps_before[to];
	qspin_deps_before[to] = d;
	WRITE_ONCE(qspin_graph_counts.used, qspin_graph_counts.used + 1);
	if (qspin_graph_counts.used > qspin_graph_counts.peak)
		WRITE_ONCE(qspin_graph_counts.peak, qspin_graph_counts.used);
	raw_spin_unlock_irqrestore(&qspin_deps_lock, flags);
	return d;
}

/* Unlinks edge @d from its `to` class's list; the caller holds qspin_deps_lock. */
static void qspin_dep_unlink_before(u16 d)
{
	u16 *link = &qspin_deps_before[qspin_deps[d].to];

	while (*link != d)
		link = &qspin_deps[*link].next_before;
	*link = qspin_deps[d].next_before;
}

/* Unlinks edge @d from its `from` class's list; the caller holds qspin_deps_lock. */
static void qspin_dep_unlink_after(u16 d)
{
	u16 *link = &qspin_deps_after[qspin_deps[d].from];

	while (*link != d)
		link = &qspin_deps[*link].next_after;
	*link = qspin_deps[d].next_after;
}

/* Returns an unlinked edge to the pool; the caller holds qspin_deps_lock. */
static void qspin_dep_free(u16 d)
{
	qspin_deps[d].from = QSPIN_NONE;
	qspin_deps[d].to = QSPIN_NONE;
	qspin_deps[d].next_before = QSPIN_NONE;
	qspin_deps[d].next_after = qspin_deps_free;
	qspin_deps_free = d;
	WRITE_ONCE(qspin_graph_counts.used, qspin_graph_counts.used - 1);
}

/* ---- bounded breadth-first search ----------------------------------- */

enum qspin_direction {
	QSPIN_FORWARDS,		/* along edges: what a class was held for */
	QSPIN_BACKWARDS,	/* against them: what was held for a class */
};

enum qspin_search_result {
	QSPIN_SEARCH_FOUND,
	QSPIN_SEARCH_NOT_FOUND,
	QSPIN_SEARCH_BOUND_HIT,	/* gave up after QSPIN_GRAPH_SEARCH_DEPS */
};

/* One search's state, kept after it ends: the report follows its path. */
struct qspin_search {
	enum qspin_direction dir;
	unsigned int root;
	unsigned int found;		/* the class that met the goal */
	unsigned int nr_reached;	/* classes in queue[] */
	unsigned int number;		/* this search's visited mark */
	unsigned int visited[QSPIN_MAX_CLASSES];	/* == number: reached */
	u16 reached_by[QSPIN_MAX_CLASSES];	/* edge that reached it first */
	u16 queue[QSPIN_MAX_CLASSES];	/* in the order reached: nearest first */
};

/*
 * Two at once: the irq check searches backwards from prev and forwards from
 * next, and reports the path through both.
 */
static struct qspin_search qspin_search_fwd = { .dir = QSPIN_FORWARDS };
static struct qspin_search qspin_search_back = { .dir = QSPIN_BACKWARDS };

/* What a search looks for: a class, or a class with one of some usage bits. */
struct qspin_goal {
	unsigned int cls;		/* QSPIN_NONE: no particular class */
	unsigned long usage;		/* 0: no usage looked for */
	bool root_counts;		/* whether the root itself may meet it */
};

static unsigned long qspin_irq_usage(unsigned int cls);

static bool qspin_goal_met(const struct qspin_goal *goal, unsigned int cls)
{
	return cls == goal->cls ||
	       (goal->usage && (qspin_irq_usage(cls) & goal->usage));
}

static void qspin_search_reach(struct qspin_search *s, unsigned int cls,
			       u16 via)
{
	s->visited[cls] = s->number;
	s->reached_by[cls] = via;
	s->queue[s->nr_reached++] = cls;
}

/*
 * Breadth-first from @root in @s->dir until a class meets @goal (then
 * s->found is it and reached_by[] leads back to @root), or everything
 * reachable is seen (s->queue[] lists it), or the bound is hit.
 */
static enum qspin_search_result
qspin_search_run(struct qspin_search *s, unsigned int root,
		 const struct qspin_goal *goal)
{
	bool fwd = s->dir == QSPIN_FORWARDS;
	unsigned int head = 0, examined = 0;

	qspin_count_inc(&qspin_graph_counts.searches);
	if (++s->number == 0) {		/* wrapped: old marks could match */
		memset(s->visited, 0, sizeof(s->visited));
		s->number = 1;
	}
	s->root = root;
	s->found = QSPIN_NONE;
	s->nr_reached = 0;
	qspin_search_reach(s, root, QSPIN_NONE);
	if (goal->root_counts && qspin_goal_met(goal, root)) {
		s->found = root;
		return QSPIN_SEARCH_FOUND;
	}
	while (head < s->nr_reached) {
		unsigned int cls = s->queue[head++];
		u16 d = fwd ? qspin_deps_after[cls] : qspin_deps_before[cls];

		for (; d != QSPIN_NONE; d = fwd ? qspin_deps[d].next_after :
						  qspin_deps[d].next_before) {
			unsigned int other = fwd ? qspin_deps[d].to :
						   qspin_deps[d].from;

			if (++examined > QSPIN_GRAPH_SEARCH_DEPS) {
				qspin_count_inc(&qspin_graph_counts.bound_hits);
				return QSPIN_SEARCH_BOUND_HIT;
			}
			if (s->visited[other] == s->number)
				continue;
			qspin_search_reach(s, other, d);
			if (qspin_goal_met(goal, other)) {
				s->found = other;
				return QSPIN_SEARCH_FOUND;
			}
		}
	}
	return QSPIN_SEARCH_NOT_FOUND;
}

/* The first class the search reached, nearest first, with usage bit @u. */
static unsigned int qspin_search_first_with(const struct qspin_search *s,
					    enum qspin_usage u)
{
	unsigned int i;

	for (i = 0; i < s->nr_reached; i++)
		if (qspin_irq_usage(s->queue[i]) & BIT(u))
			return s->queue[i];
	return QSPIN_NONE;
}

/* Edges of the path being reported, in the order the locks are taken. */
static u16 qspin_path[QSPIN_MAX_CLASSES];

/*
 * Fills qspin_path with the edges between @s's root and @cls (reached by
 * @s), in lock order: root first for a forward search, @cls first for a
 * backward one.
 * Return: how many.
 */
static unsigned int qspin_search_path(const struct qspin_search *s,
				      unsigned int cls)
{
	bool fwd = s->dir == QSPIN_FORWARDS;
	unsigned int n = 0, i;
	u16 d;

	/* Walking back to the root gives a backward search's lock order. */
	while (cls != s->root && n < QSPIN_MAX_CLASSES) {
		d = s->reached_by[cls];
		qspin_path[n++] = d;
		cls = fwd ? qspin_deps[d].from : qspin_deps[d].to;
	}
	if (fwd) {
		for (i = 0; i < n / 2; i++)
			swap(qspin_path[i], qspin_path[n - 1 - i]);
	}
	return n;
}

/* ---- what reports share --------------------------------------------- */

/* The two interrupt kinds a class can be safe or unsafe against. */
struct qspin_irq_kind {
	const char *name;
	enum qspin_usage safe;		/* taken in that context */
	enum qspin_usage unsafe;	/* held with it enabled */
	const char *disable;		/* CPU1's line in the scenario */
	const char *arrives;		/* CPU0's line when it comes */
	const char *fix;		/* how to take the unsafe class */
};

static const struct qspin_irq_kind qspin_irq_kinds[] = {
	{
		.name = "HARDIRQ",
		.safe = QSPIN_USED_IN_HARDIRQ,
		.unsafe = QSPIN_ENABLED_HARDIRQ,
		.disable = "local_irq_disable();",
		.arrives = "<Interrupt>",
		.fix = "qspin_lock_irqsave()",
	},
	{
		.name = "SOFTIRQ",
		.safe = QSPIN_USED_IN_SOFTIRQ,
		.unsafe = QSPIN_ENABLED_SOFTIRQ,
		.disable = "local_bh_disable();",
		.arrives = "<Softirq>",
		.fix = "qspin_lock_bh() (or qspin_lock_irqsave())",
	},
};

/*
 * A class's usage as the dependency checks see it. A class that is both
 * x-safe and x-unsafe has its own "inconsistent lock state" report (the
 * validator's), whose fix (take it with interrupts, or bottom halves, off
 * everywhere) also ends every x-safe -> x-unsafe dependency it is an end
 * of: here it counts as neither, so one root gives one report (lockdep,
 * which stops at its first report, never shows the second either). Paths
 * still pass through it to other classes.
 */
static unsigned long qspin_irq_usage(unsigned int cls)
{
	unsigned long usage = qspin_class_usage(cls);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(qspin_irq_kinds); i++) {
		unsigned long both = BIT(qspin_irq_kinds[i].safe) |
				     BIT(qspin_irq_kinds[i].unsafe);

		if ((usage & both) == both)
			usage &= ~both;
	}
	return usage;
}

static const char *qspin_name(unsigned int cls)
{
	const char *name = qspin_class_name(cls);

	return name ? name : "(unnamed class)";
}

/* "foo" for an address in foo(), without %ps's " [module]". */
static const char *qspin_function_name(unsigned long ip)
{
	static char name[KSYM_SYMBOL_LEN];	/* under the graph lock */

	snprintf(name, sizeof(name), "%ps", (void *)ip);
	name[strcspn(name, " ")] = '\0';
	return name;
}

static void qspin_print_site(const char *what, unsigned int cls,
			     const struct qspin_site *site)
{
	pr_err("    %s %s at %pS\n", qspin_name(cls), what, (void *)site->ip);
	if (site->stack)
		qspin_stack_print(site->stack);
}

/* Edge number @nr of a chain; @is_new: the one being added. */
static void qspin_print_dep(unsigned int nr, unsigned int from,
			    unsigned int to, const struct qspin_site *held,
			    const struct qspin_site *taken, bool is_new)
{
	pr_err(" #%u %s -> %s%s\n", nr, qspin_name(from), qspin_name(to),
	       is_new ? "  (new)" : "");
	qspin_print_site("taken", from, held);
	qspin_print_site("taken under it", to, taken);
}

/* Prints qspin_path[0..n), numbering from @nr; returns the next number. */
static unsigned int qspin_print_path(unsigned int nr, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		const struct qspin_dep *dep = &qspin_deps[qspin_path[i]];

		qspin_print_dep(nr++, dep->from, dep->to, &dep->held,
				&dep->taken, false);
	}
	return nr;
}

/* ---- possible circular locking dependency --------------------------- */

/*
 * qspin_search_fwd went from @next to @prev. The chain, lock order: prev ->
 * next (new), next -> ... -> prev. As lockdep, the CPU0/CPU1 table shows
 * the last link of the existing chain against the new edge; a longer
 * chain is named above it.
 */
static void qspin_report_circular(unsigned int prev, unsigned int next,
				  const struct qspin_site *prev_site,
				  const struct qspin_site *next_site)
{
	unsigned int n = qspin_search_path(&qspin_search_fwd, prev);
	unsigned int before_prev = qspin_deps[qspin_path[n - 1]].from;

	if (!qspin_report_start(QSPIN_REPORT_CIRCULAR, prev, next))
		return;
	pr_err("%s is being taken at %pS\n", qspin_name(next),
	       (void *)next_site->ip);
	pr_err("while %s is held (taken at %pS),\n", qspin_name(prev),
	       (void *)prev_site->ip);
	pr_err("but %s already depends on %s. The whole chain, each dependency with where both locks were taken:\n",
	       qspin_name(prev), qspin_name(next));
	qspin_print_dep(0, prev, next, prev_site, next_site, true);
	qspin_print_path(1, n);
	if (before_prev != next)
		pr_err("Chain exists of: %s --> %s --> %s\n", qspin_name(next),
		       qspin_name(before_prev), qspin_name(prev));
	pr_err(" Possible unsafe locking scenario:\n");
	pr_err("       CPU0                    CPU1\n");
	pr_err("       ----                    ----\n");
	pr_err("  lock(%s);\n", qspin_name(prev));
	pr_err("                               lock(%s);\n",
	       qspin_name(before_prev));
	pr_err("                               lock(%s);\n", qspin_name(prev));
	pr_err("  lock(%s);\n", qspin_name(next));
	pr_err(" *** DEADLOCK ***\n");
	pr_err("fix: take %s before %s everywhere; %s() takes %s then %s at %pS\n",
	       qspin_name(next), qspin_name(prev),
	       qspin_function_name(next_site->ip), qspin_name(prev),
	       qspin_name(next), (void *)next_site->ip);
	qspin_report_end();
}

/* ---- irq-safe -> irq-unsafe ------------------------------------------ */

/*
 * The scenario: CPU1 holds @safe and waits for the class it leads to
 * (@middle, the unsafe class itself when directly), CPU0 holds @unsafe
 * with the interrupt enabled and the interrupt wants @safe.
 */
static void qspin_print_irq_scenario(const struct qspin_irq_kind *kind,
				     unsigned int safe, unsigned int middle,
				     unsigned int unsafe)
{
	if (middle != unsafe)
		pr_err("Chain exists of: %s --> %s --> %s\n", qspin_name(safe),
		       qspin_name(middle), qspin_name(unsafe));
	pr_err(" Possible interrupt unsafe locking scenario:\n");
	pr_err("       CPU0                    CPU1\n");
	pr_err("       ----                    ----\n");
	pr_err("  lock(%s);\n", qspin_name(unsafe));
	pr_err("                               %s\n", kind->disable);
	pr_err("                               lock(%s);\n", qspin_name(safe));
	pr_err("                               lock(%s);\n",
	       qspin_name(middle));
	pr_err("  %s\n", kind->arrives);
	pr_err("    lock(%s);\n", qspin_name(safe));
	pr_err(" *** DEADLOCK ***\n");
}

static void qspin_print_usage(const struct qspin_irq_kind *kind,
			      unsigned int cls, enum qspin_usage u,
			      const struct qspin_site *site)
{
	const char *state = u == kind->safe ? "safe" : "unsafe";

	if (!site) {
		pr_err("%s became %s-irq-%s (site not recorded)\n",
		       qspin_name(cls), kind->name, state);
		return;
	}
	pr_err("%s became %s-irq-%s at %pS\n", qspin_name(cls), kind->name,
	       state, (void *)site->ip);
	if (site->stack)
		qspin_stack_print(site->stack);
}

static void qspin_print_irq_fix(const struct qspin_irq_kind *kind,
				unsigned int safe, unsigned int unsafe)
{
	pr_err("fix: take %s with %s everywhere, or never take %s while %s is held\n",
	       qspin_name(unsafe), kind->fix, qspin_name(unsafe),
	       qspin_name(safe));
}

/*
 * The new edge prev -> next joins @safe (reached backwards from prev by
 * qspin_search_back, or prev itself) to @unsafe (forwards from next by
 * qspin_search_fwd, or next itself).
 */
static void qspin_report_safe_unsafe(const struct qspin_irq_kind *kind,
				     unsigned int safe, unsigned int unsafe,
				     unsigned int prev, unsigned int next,
				     const struct qspin_site *prev_site,
				     const struct qspin_site *next_site)
{
	unsigned int n, nr, middle;

	if (!qspin_report_start(QSPIN_REPORT_IRQ_SAFE_UNSAFE,
				QSPIN_USAGE_KEY(safe, kind->safe),
				QSPIN_USAGE_KEY(unsafe, kind->unsafe)))
		return;
	pr_err("%s is being taken at %pS\n", qspin_name(next),
	       (void *)next_site->ip);
	pr_err("while %s is held (taken at %pS): the new dependency %s -> %s\n",
	       qspin_name(prev), (void *)prev_site->ip, qspin_name(prev),
	       qspin_name(next));
	pr_err("connects a %s-irq-safe lock to a %s-irq-unsafe lock:\n",
	       kind->name, kind->name);
	qspin_print_usage(kind, safe, kind->safe,
			  qspin_class_usage_site(safe, kind->safe));
	qspin_print_usage(kind, unsafe, kind->unsafe,
			  qspin_class_usage_site(unsafe, kind->unsafe));
	pr_err("the chain from %s to %s, each dependency with where both locks were taken:\n",
	       qspin_name(safe), qspin_name(unsafe));
	n = qspin_search_path(&qspin_search_back, safe);
	middle = n ? qspin_deps[qspin_path[0]].to : next;
	nr = qspin_print_path(0, n);
	qspin_print_dep(nr++, prev, next, prev_site, next_site, true);
	n = qspin_search_path(&qspin_search_fwd, unsafe);
	qspin_print_path(nr, n);
	qspin_print_irq_scenario(kind, safe, middle, unsafe);
	qspin_print_irq_fix(kind, safe, unsafe);
	qspin_report_end();
}

/*
 * lockdep's check_irq_usage(): every class that leads to prev (prev
 * included) against every class next leads to (next included). One
 * backward search collects the safe usages, one forward search looks for
 * the matching unsafe ones; the first kind that pairs up is reported
 * (HARDIRQ before SOFTIRQ), with the nearest classes on both sides.
 */
static void qspin_check_irq_usage(unsigned int prev, unsigned int next,
				  const struct qspin_site *prev_site,
				  const struct qspin_site *next_site)
{
	struct qspin_goal everything = { .cls = QSPIN_NONE };
	struct qspin_goal unsafe_goal = { .cls = QSPIN_NONE, .root_counts = true };
	unsigned int safe_of[ARRAY_SIZE(qspin_irq_kinds)];
	unsigned int i, unsafe;

	/* A bound hit leaves fewer classes to pair: never a false report. */
	qspin_search_run(&qspin_search_back, prev, &everything);
	for (i = 0; i < ARRAY_SIZE(qspin_irq_kinds); i++) {
		safe_of[i] = qspin_search_first_with(&qspin_search_back,
						     qspin_irq_kinds[i].safe);
		if (safe_of[i] != QSPIN_NONE)
			unsafe_goal.usage |= BIT(qspin_irq_kinds[i].unsafe);
	}
	if (!unsafe_goal.usage)
		return;
	if (qspin_search_run(&qspin_search_fwd, next, &unsafe_goal) !=
	    QSPIN_SEARCH_FOUND)
		return;
	unsafe = qspin_search_fwd.found;
	for (i = 0; i < ARRAY_SIZE(qspin_irq_kinds); i++) {
		if (safe_of[i] == QSPIN_NONE ||
		    !(qspin_irq_usage(unsafe) & BIT(qspin_irq_kinds[i].unsafe)))
			continue;
		qspin_report_safe_unsafe(&qspin_irq_kinds[i], safe_of[i],
					 unsafe, prev, next, prev_site,
					 next_site);
		return;
	}
}

/* ---- adding a dependency -------------------------------------------- */

static void qspin_report_pool_full(unsigned int prev, unsigned int next)
{
	if (!qspin_report_start(QSPIN_REPORT_POOL_FULL, QSPIN_GRAPH_POOL_KEY, 0))
		return;
	pr_err("the dependency pool is full (%d dependencies): %s -> %s and later new dependencies are not recorded\n",
	       QSPIN_GRAPH_MAX_DEPS, qspin_name(prev), qspin_name(next));
	pr_err("new dependencies are still checked against the recorded ones; reset or unload a module's classes to make room\n");
	qspin_report_end();
}

int qspin_graph_add(unsigned int prev, unsigned int next,
		    const struct qspin_site *prev_site,
		    const struct qspin_site *next_site)
{
	struct qspin_goal cycle = { .cls = prev };

	if (WARN_ON_ONCE(prev >= QSPIN_MAX_CLASSES || next >= QSPIN_MAX_CLASSES))
		return -EINVAL;
	if (prev == next || qspin_dep_exists(prev, next))
		return 0;
	/* lockdep's check_noncircular(): does next already lead to prev? */
	if (qspin_search_run(&qspin_search_fwd, next, &cycle) ==
	    QSPIN_SEARCH_FOUND) {
		qspin_report_circular(prev, next, prev_site, next_site);
		return 0;
	}
	qspin_check_irq_usage(prev, next, prev_site, next_site);
	if (qspin_dep_insert(prev, next, prev_site, next_site) == QSPIN_NONE) {
		qspin_count_inc(&qspin_graph_counts.refused);
		qspin_report_pool_full(prev, next);
		return -ENOSPC;
	}
	return 0;
}

/* ---- a class gained a usage ------------------------------------------ */

void qspin_graph_usage(unsigned int cls, enum qspin_usage u,
		       const struct qspin_site *where)
{
	const struct qspin_irq_kind *kind = NULL;
	struct qspin_goal goal = { .cls = QSPIN_NONE };
	struct qspin_search *s;
	unsigned int i, other, safe, unsafe, n;
	bool became_safe;

	if (WARN_ON_ONCE(cls >= QSPIN_MAX_CLASSES))
		return;
	for (i = 0; i < ARRAY_SIZE(qspin_irq_kinds); i++)
		if (u == qspin_irq_kinds[i].safe ||
		    u == qspin_irq_kinds[i].unsafe)
			kind = &qspin_irq_kinds[i];
	if (WARN_ON_ONCE(!kind))
		return;
	/* Both now: the validator's inconsistent-state report says it. */
	if (!(qspin_irq_usage(cls) & BIT(u)))
		return;
	/* Safe now: does it lead to an unsafe class? Unsafe: the reverse. */
	became_safe = u == kind->safe;
	s = became_safe ? &qspin_search_fwd : &qspin_search_back;
	goal.usage = BIT(became_safe ? kind->unsafe : kind->safe);
	if (qspin_search_run(s, cls, &goal) != QSPIN_SEARCH_FOUND)
		return;
	other = s->found;
	safe = became_safe ? cls : other;
	unsafe = became_safe ? other : cls;
	if (!qspin_report_start(QSPIN_REPORT_IRQ_INVERSION,
				QSPIN_USAGE_KEY(safe, kind->safe),
				QSPIN_USAGE_KEY(unsafe, kind->unsafe)))
		return;
	pr_err("%s just changed state:\n", qspin_name(cls));
	qspin_print_usage(kind, cls, u, where);
	if (became_safe)
		pr_err("but this lock took another, %s-irq-unsafe lock in the past:\n",
		       kind->name);
	else
		pr_err("but this lock was taken by another, %s-irq-safe lock in the past:\n",
		       kind->name);
	qspin_print_usage(kind, other, became_safe ? kind->unsafe : kind->safe,
			  qspin_class_usage_site(other, became_safe ?
						 kind->unsafe : kind->safe));
	pr_err("and interrupts could create inverse lock ordering between them.\n");
	pr_err("the chain from %s to %s, each dependency with where both locks were taken:\n",
	       qspin_name(safe), qspin_name(unsafe));
	n = qspin_search_path(s, other);
	qspin_print_path(0, n);
	qspin_print_irq_scenario(kind, safe, qspin_deps[qspin_path[0]].to,
				 unsafe);
	qspin_print_irq_fix(kind, safe, unsafe);
	qspin_report_end();
}

/* ---- forgetting ------------------------------------------------------ */

void qspin_graph_forget_class(unsigned int cls)
{
	unsigned long flags;
	u16 d;

	if (WARN_ON_ONCE(cls >= QSPIN_MAX_CLASSES))
		return;
	raw_spin_lock_irqsave(&qspin_deps_lock, flags);
	while ((d = qspin_deps_after[cls]) != QSPIN_NONE) {
		qspin_deps_after[cls] = qspin_deps[d].next_after;
		qspin_dep_unlink_before(d);
		qspin_dep_free(d);
	}
	while ((d = qspin_deps_before[cls]) != QSPIN_NONE) {
		qspin_deps_before[cls] = qspin_deps[d].next_before;
		qspin_dep_unlink_after(d);
		qspin_dep_free(d);
	}
	raw_spin_unlock_irqrestore(&qspin_deps_lock, flags);
}

void qspin_graph_reset(void)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&qspin_deps_lock, flags);
	qspin_deps_clear();
	raw_spin_unlock_irqrestore(&qspin_deps_lock, flags);
}

/* ---- debugfs `dependencies` ------------------------------------------ */

/*
 * One line per edge, formatted under qspin_deps_lock into the reader's own
 * buffer: an edge still in the pool is one whose classes are not
 * forgotten, so their names (which may live in a module) are still there.
 */
struct qspin_deps_cursor {
	char line[2 * KSYM_SYMBOL_LEN + 128];
};

/* The summary line's position, after every slot of the pool. */
#define QSPIN_DEPS_SUMMARY QSPIN_GRAPH_MAX_DEPS

static void *deps_find(struct seq_file *m, loff_t *pos)
{
	struct qspin_deps_cursor *cur = m->private;
	unsigned long flags;
	loff_t i;

	if (*pos > QSPIN_DEPS_SUMMARY)
		return NULL;
	raw_spin_lock_irqsave(&qspin_deps_lock, flags);
	for (i = *pos; i < QSPIN_GRAPH_MAX_DEPS; i++) {
		const struct qspin_dep *dep = &qspin_deps[i];

		if (dep->from == QSPIN_NONE)
			continue;
		snprintf(cur->line, sizeof(cur->line),
			 "%s -> %s  (%s taken at %pS, %s at %pS)",
			 qspin_name(dep->from), qspin_name(dep->to),
			 qspin_name(dep->from), (void *)dep->held.ip,
			 qspin_name(dep->to), (void *)dep->taken.ip);
		break;
	}
	raw_spin_unlock_irqrestore(&qspin_deps_lock, flags);
	*pos = i;
	if (i == QSPIN_DEPS_SUMMARY) {
		const struct qspin_graph_counts *c = &qspin_graph_counts;

		snprintf(cur->line, sizeof(cur->line),
			 "# dependencies %lu of %d (peak %lu), searches %lu, bound %d per search, bound hits %lu, refused (pool full) %lu",
			 READ_ONCE(c->used), QSPIN_GRAPH_MAX_DEPS,
			 READ_ONCE(c->peak), READ_ONCE(c->searches),
			 QSPIN_GRAPH_SEARCH_DEPS, READ_ONCE(c->bound_hits),
			 READ_ONCE(c->refused));
	}
	return cur;
}

static void *deps_start(struct seq_file *m, loff_t *pos)
{
	return deps_find(m, pos);
}

static void *deps_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return deps_find(m, pos);
}

static void deps_stop(struct seq_file *m, void *v)
{
}

static int deps_show(struct seq_file *m, void *v)
{
	const struct qspin_deps_cursor *cur = v;

	seq_printf(m, "%s\n", cur->line);
	return 0;
}

static const struct seq_operations deps_seq_ops = {
	.start = deps_start,
	.next = deps_next,
	.stop = deps_stop,
	.show = deps_show,
};

static int deps_open(struct inode *inode, struct file *file)
{
	return seq_open_private(file, &deps_seq_ops,
				sizeof(struct qspin_deps_cursor));
}

static const struct file_operations deps_fops = {
	.owner = THIS_MODULE,
	.open = deps_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = seq_release_private,
};

void qspin_graph_debugfs(struct dentry *dir)
{
	debugfs_create_file("dependencies", 0400, dir, NULL, &deps_fops);
}

/* ---- load and unload ------------------------------------------------- */

int qspin_graph_init(void)
{
	BUILD_BUG_ON(QSPIN_GRAPH_MAX_DEPS >= QSPIN_NONE);
	BUILD_BUG_ON(QSPIN_MAX_CLASSES >= QSPIN_NONE);
	BUILD_BUG_ON(QSPIN_GRAPH_SEARCH_DEPS > QSPIN_GRAPH_MAX_DEPS);
	qspin_deps_clear();
	return 0;
}

void qspin_graph_exit(void)
{
	/* Static memory, no reader left (debugfs is gone): nothing to free. */
}
