/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qspin-demo.ko's harness, between its files (the lesson files see only
 * lesson.h):
 *
 *   scenarios.c  the lessons, in the order debugfs "list" shows them
 *   source.c     the interrupt sources: raise the hardirq or the tasklet,
 *                and hand each one to the handler of the running iteration
 *   demo_edu.c   the PCI driver for QEMU's edu device (the real interrupt)
 *   run.c        one run: the kthread bound to the interrupt's CPU
 *   pair.c       one run of a two-CPU lesson (no interrupt): two kthreads
 *   iteration.c  one iteration: the task, the hold inside its critical
 *                section, the handler's side, the counter afterwards
 *   mistake.c    one iteration of a mistake lesson: its bug, then its fix,
 *                the held locks checked after each, the verdict
 *   judge.c      one iteration's verdict
 *   result.c     a run's result: the counts, the dmesg line, "last"
 *   debugfs.c    /sys/kernel/debug/qspin-demo/: list, run, last, status
 *   main.c       module parameters, load and unload
 */
#ifndef QSPIN_DEMO_HARNESS_H
#define QSPIN_DEMO_HARNESS_H

#include <linux/types.h>
#include "lesson.h"

/* ---- scenarios.c ---- */
extern const struct demo_scenario *const demo_scenarios[];
extern const unsigned int demo_nr_scenarios;
const struct demo_scenario *demo_find(const char *name);
/* run.c: a harness kthread's end, waiting for kthread_stop() (pair.c too). */
int demo_wait_for_stop(void);

/* ---- main.c: the module parameters the harness reads ---- */
extern unsigned int demo_hold_ms, demo_cross_hold_us;

/* ---- source.c ---- */

/* The interrupt the hardirq scenarios raise. */
struct demo_irq_source {
	const char *name;	/* "edu-msi", "edu-intx" or "irq_work" */
	int irq;		/* Linux IRQ number, -1 for irq_work */
	char dev[32];		/* PCI address of the edu device, or "" */
};

extern struct demo_irq_source demo_src;

enum demo_irq_counter {
	DEMO_HARDIRQS,		/* every hardirq the demo saw */
	DEMO_SOFTIRQS,		/* every tasklet run */
	DEMO_STRAY_HARDIRQS,	/* those with no iteration waiting for them */
	DEMO_STRAY_SOFTIRQS,
	DEMO_NR_IRQ_COUNTERS
};

int demo_source_init(const char *source);
void demo_source_exit(void);
int demo_irq_cpu(void);
int demo_softirq_cpu(void);
void demo_raise(const struct demo_scenario *sc, int irq_cpu);
/* The last word on an iteration: true when its interrupt was never taken. */
bool demo_disarm(const struct demo_scenario *sc);
void demo_sync_source(void);
void demo_source_text(const struct demo_scenario *sc, char *buf, size_t size);
long demo_irq_count(enum demo_irq_counter c);

/* Every hardirq source calls this once it has acknowledged its device. */
void demo_hardirq(void);

/* ---- demo_edu.c ---- */
int demo_edu_register(bool want_msi, bool want_intx);
void demo_edu_unregister(void);
bool demo_edu_present(void);
void demo_edu_describe(struct demo_irq_source *src);
void demo_edu_raise(void);
int demo_edu_set_threaded(bool threaded);
int demo_edu_target_cpu(void);

/* ---- iteration.c ---- */

/* How far the handler of the running iteration got. */
enum demo_handler_state {
	DEMO_HANDLER_NOT_RUN,
	DEMO_HANDLER_RUNNING,
	DEMO_HANDLER_DONE,
};

/*
 * One iteration's shared state. Written by the process side before it
 * arms an interrupt, by the handler after; handler_state DONE
 * (release/acquire) hands the handler's part back.
 */
struct demo_iter {
	const struct demo_scenario *sc;
	int task_cpu;
	int irq_cpu;		/* where the hardirq is raised */
	bool in_cs;		/* the process side is inside its section */
	/* the handler's part */
	enum demo_handler_state handler_state;
	int handler_cpu;
	bool handler_saw_cs;	/* it started while the section was held */
	bool handler_in_task;	/* it ran in a thread (a forced-threaded handler) */
	int handler_ret;	/* 0, or -EDEADLK when it backed off */
	u64 t_handler;		/* ns, handler entry */
	int (*handler)(void);	/* run instead of sc->handler, if set */
	u64 wait_ns;		/* from entry until the handler returned */
	/* the process side's */
	u64 t_release;		/* ns, just before the release */
};

/* The armed interrupt arrived: run the iteration's handler. */
void demo_handler_run(void);
/* A handler never finished: the demo refuses to go on. */
extern bool demo_broken;
struct demo_result;
void demo_iteration(const struct demo_scenario *sc, int irq_cpu,
		    struct demo_result *res);
struct demo_iter *demo_iter_start(const struct demo_scenario *sc, int irq_cpu);
bool demo_raise_after(struct demo_iter *it, int (*handler)(void));

/* ---- mistake.c ---- */
void demo_mistake_iteration(const struct demo_scenario *sc, int irq_cpu,
			    struct demo_result *res);

/* ---- run.c ---- */
int demo_run(const char *name, unsigned int nruns);
/* Module unload: no run is going on, none starts. */
void demo_run_lock(void);
void demo_run_unlock(void);

#define DEMO_MAX_RUNS 10000

/* ---- pair.c: the two-CPU lessons ---- */
int demo_pair_run(const struct demo_scenario *sc, unsigned int nruns,
		  struct demo_result *res);

/* ---- judge.c ---- */
enum demo_verdict {
	DEMO_PASS,
	DEMO_INCONCLUSIVE,	/* the interrupt came elsewhere, or too late */
	DEMO_FAIL,
	DEMO_NR_VERDICTS
};

extern const char *const demo_verdict_names[DEMO_NR_VERDICTS];
enum demo_verdict demo_judge(const struct demo_iter *it, unsigned long actual,
			     unsigned long *expected, char *why, size_t size);

/* ---- result.c ---- */
struct demo_result {
	const struct demo_scenario *sc;
	unsigned int runs, done, n[DEMO_NR_VERDICTS];
	unsigned long expected, actual, lost;
	int task_cpu, handler_cpu;
	u64 wait_ns_max, after_ns_max, wait_ns_sum, after_ns_sum;
	unsigned int handled;	/* iterations whose handler finished */
	/* DEMO_MISTAKE: qspin's sightings of the bug and of the fix, leaks */
	unsigned long bug_reports, fix_reports, leaked;
	enum demo_verdict verdict;	/* the worst one */
	char why[160];
	/* DEMO_TWO_CPUS: waits qspin's watchdog judged; what was skipped */
	unsigned long lockups;
	char note[96];
};

void demo_result_add(struct demo_result *res, const struct demo_iter *it,
		     unsigned long actual);
void demo_result_print(const struct demo_result *r);
void demo_result_keep(const struct demo_result *r);
bool demo_result_last(struct demo_result *r);
u64 demo_avg_us(u64 sum_ns, unsigned int n);

/* ---- debugfs.c ---- */
void demo_debugfs_init(void);
void demo_debugfs_exit(void);

#endif /* QSPIN_DEMO_HARNESS_H */
