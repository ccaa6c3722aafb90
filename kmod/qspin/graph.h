/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The validator's lock-class dependency graph (graph.c): "B was taken while
 * A was held" as an edge A -> B between classes, and the checks a new edge
 * or a new usage of a class needs (lockdep's check_prev_add(),
 * check_noncircular(), check_irq_usage(), check_usage_forwards() and
 * check_usage_backwards()). Used by the validator (validate.c), which holds
 * its graph lock (a raw spinlock, interrupts off, never in NMI) around
 * every call below.
 */
#ifndef QSPIN_GRAPH_H
#define QSPIN_GRAPH_H

#include "validate.h"

struct dentry;

/* Dependencies the preallocated pool holds (40 bytes each: 640 KiB). */
#define QSPIN_GRAPH_MAX_DEPS 16384

/*
 * Dependencies one search may examine before it gives up: half the pool.
 * A search that stops there reports nothing and counts a "bound hit"
 * (debugfs `dependencies`): a bound can hide a problem, never invent one.
 * A new edge costs at most three searches; on a full pool of the worst
 * shape, one qspin_graph_add() took 0.24-0.43 ms with interrupts off in
 * the TCG test VM (tests/graph/graph-vm-test.sh).
 */
#define QSPIN_GRAPH_SEARCH_DEPS 8192

/*
 * QSPIN_REPORT_POOL_FULL's key1 for the edge pool (key2 0). The validator's
 * own pools use 0..6 (report.c, class.c, validate.c on branch h-validator);
 * one enum of pool ids in validate.h would be the better home.
 */
#define QSPIN_GRAPH_POOL_KEY 7

/*
 * The report keys of the irq reports (QSPIN_REPORT_IRQ_SAFE_UNSAFE,
 * QSPIN_REPORT_IRQ_INVERSION): key1 is the safe class with its usage bit,
 * key2 the unsafe class with its usage bit, so that HARDIRQ and SOFTIRQ
 * problems of one class pair are distinct, and the title can name the kind:
 * QSPIN_USAGE_KEY_USAGE(key1) is QSPIN_USED_IN_HARDIRQ or _SOFTIRQ.
 */
#define QSPIN_USAGE_KEY(cls, usage)					\
	((unsigned long)(cls) * QSPIN_USAGE_NR + (usage))
#define QSPIN_USAGE_KEY_CLASS(key) ((unsigned int)((key) / QSPIN_USAGE_NR))
#define QSPIN_USAGE_KEY_USAGE(key) ((enum qspin_usage)((key) % QSPIN_USAGE_NR))

/**
 * qspin_graph_add() - record that @next was taken while @prev was held
 * @prev: the held lock's class
 * @next: the class just taken (same CPU, same context level, not a trylock)
 * @prev_site: where @prev was taken
 * @next_site: where @next was taken
 *
 * A known dependency returns at once. A new one is checked first, with
 * bounded searches (QSPIN_GRAPH_SEARCH_DEPS): if @next already leads to
 * @prev, the edge closes a cycle and "possible circular locking dependency
 * detected" is reported with the whole chain; the edge is then not added,
 * so the graph stays acyclic and a repeat is counted as the same report.
 * Otherwise, a HARDIRQ-safe class that leads to @prev and a HARDIRQ-unsafe
 * class that @next leads to (SOFTIRQ twin) give "HARDIRQ-safe ->
 * HARDIRQ-unsafe lock order detected"; the edge is added all the same. A
 * same-class pair (@prev == @next) is the validator's recursion check, not
 * a dependency: ignored.
 *
 * Context: the validator's graph lock held, interrupts off, not in NMI.
 * Return: 0; -ENOSPC when the pool is full (reported once, the graph kept
 * as it is); -EINVAL for a class id out of range.
 */
int qspin_graph_add(unsigned int prev, unsigned int next,
		    const struct qspin_site *prev_site,
		    const struct qspin_site *next_site);

/**
 * qspin_graph_usage() - check the dependencies of a class that gained a usage
 * @cls: the class
 * @u: the usage bit it just gained
 * @where: where that happened
 *
 * Reports "possible irq lock inversion dependency detected" when @cls
 * became HARDIRQ-safe and leads to a HARDIRQ-unsafe class, or became
 * HARDIRQ-unsafe and a HARDIRQ-safe class leads to it (SOFTIRQ twin). A
 * conflict within @cls itself is the validator's "inconsistent lock
 * state", not looked for here.
 *
 * Context: the validator's graph lock held, interrupts off, not in NMI.
 */
void qspin_graph_usage(unsigned int cls, enum qspin_usage u,
		       const struct qspin_site *where);

/**
 * qspin_graph_forget_class() - drop every dependency from or to a class
 * @cls: the class, whose module is unloading (its id may be reused)
 *
 * Context: the validator's graph lock held; before the class's name and
 * code go away (the debugfs reader may be printing them).
 */
void qspin_graph_forget_class(unsigned int cls);

/**
 * qspin_graph_reset() - forget every dependency and the search counters
 *
 * Context: the validator's graph lock held.
 */
void qspin_graph_reset(void);

/**
 * qspin_graph_debugfs() - create the `dependencies` file
 * @dir: qspin's debugfs folder
 *
 * One line per dependency, "A -> B  (A taken at <site>, B at <site>)",
 * then a summary line: dependencies in use, pool size and peak, searches,
 * the search bound and its hits, dependencies refused because the pool was
 * full. Read-only: a write gets -EINVAL.
 */
void qspin_graph_debugfs(struct dentry *dir);

/**
 * qspin_graph_init() - set up the empty graph, at module load
 *
 * Return: 0 (the pool is static: nothing can fail).
 */
int qspin_graph_init(void);

/**
 * qspin_graph_exit() - at module unload, after the debugfs folder is gone
 */
void qspin_graph_exit(void);

#endif /* QSPIN_GRAPH_H */
