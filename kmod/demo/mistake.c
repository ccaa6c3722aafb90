// SPDX-License-Identifier: GPL-2.0
/*
 * One iteration of a mistake lesson (DEMO_MISTAKE), on the bound kthread:
 * the counter set to 0; the lesson's bug, then the locks this task still
 * holds checked (qspin_check_no_locks_held(): a leak is reported there,
 * and the harness releases the bug's lock, so safe mode never leaks for
 * real); the interrupt raised afterwards when the lesson has a handler;
 * then the same for the fix. qspin's sightings of the lesson's report type
 * (qspin_report_hits()) are read around each half: the bug must add one
 * (a lesson whose report is learnt once per class, irq-inconsistent, adds
 * it the first time and must have been reported since the load), the fix
 * none. Then the verdict.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include <qspin/debug.h>
#include "harness.h"

struct demo_half {
	int ret;
	unsigned int leaked;
	unsigned long reports;
	bool handled;		/* its handler ran (true when it has none) */
};

/*
 * Run one half (@fn, then @handler after it returned) and see what qspin
 * said. A leak is released here: the lesson's own lock, as many times as
 * the lesson says it leaks; anything else it left held is released too
 * and fails the iteration.
 */
static void demo_mistake_half(struct demo_iter *it, int (*fn)(void),
			      int (*handler)(void), qspinlock_t *lock,
			      const struct demo_mistake *m,
			      struct demo_half *h)
{
	unsigned long before = qspin_report_hits(m->report);
	unsigned int i;

	h->ret = fn();
	h->leaked = qspin_check_no_locks_held((unsigned long)fn);
	/* Ours to release: the lesson returned with it held. */
	for (i = 0; i < h->leaked && qspin_is_locked(lock); i++) {
		__acquire(lock);	/* the lesson's, for sparse */
		qspin_unlock(lock);
	}
	h->handled = !handler || demo_raise_after(it, handler);
	h->reports = qspin_report_hits(m->report) - before;
}

static enum demo_verdict demo_mistake_judge(const struct demo_mistake *m,
					    const struct demo_half *bug,
					    const struct demo_half *fix,
					    unsigned long actual, char *why,
					    size_t size)
{
	if (!bug->handled || !fix->handled) {
		snprintf(why, size, "the handler never ran");
		return DEMO_FAIL;
	}
	if (bug->ret != m->bug_ret || fix->ret != m->fix_ret) {
		snprintf(why, size, "bug returned %d (expected %d), fix %d (expected %d)",
			 bug->ret, m->bug_ret, fix->ret, m->fix_ret);
		return DEMO_FAIL;
	}
	if (bug->leaked != m->bug_leaks || fix->leaked) {
		snprintf(why, size, "the bug returned holding %u lock(s) (expected %u), the fix %u",
			 bug->leaked, m->bug_leaks, fix->leaked);
		return DEMO_FAIL;
	}
	if (!bug->reports &&
	    !(m->once && qspin_report_count(m->report))) {
		snprintf(why, size, "qspin said nothing of the bug");
		return DEMO_FAIL;
	}
	if (fix->reports) {
		snprintf(why, size, "qspin reported the fix (%lu)", fix->reports);
		return DEMO_FAIL;
	}
	if (actual != m->expected) {
		snprintf(why, size, "counter %lu, expected %lu", actual,
			 m->expected);
		return DEMO_FAIL;
	}
	return DEMO_PASS;
}

void demo_mistake_iteration(const struct demo_scenario *sc, int irq_cpu,
			    struct demo_result *res)
{
	const struct demo_mistake *m = sc->mistake;
	struct demo_iter *it = demo_iter_start(sc, irq_cpu);
	struct demo_half bug = {}, fix = {};
	enum demo_verdict v;
	unsigned long actual;
	char why[sizeof(res->why)] = "";

	/* Nobody else touches the counter: the handlers run when told. */
	WRITE_ONCE(*sc->count, 0);
	demo_mistake_half(it, m->bug, m->bug_handler, m->bug_lock, m, &bug);
	demo_mistake_half(it, m->fix, m->fix_handler, m->fix_lock, m, &fix);
	actual = READ_ONCE(*sc->count);

	v = demo_mistake_judge(m, &bug, &fix, actual, why, sizeof(why));
	res->done++;
	res->n[v]++;
	res->expected += m->expected;
	res->actual += actual;
	res->lost += bug.ret == -EDEADLK;
	res->task_cpu = it->task_cpu;
	res->bug_reports += bug.reports;
	res->fix_reports += fix.reports;
	res->leaked += bug.leaked + fix.leaked;
	if (m->bug_handler) {
		res->handled++;
		res->handler_cpu = it->handler_cpu;
	}
	if (v > res->verdict) {
		res->verdict = v;
		strscpy(res->why, why, sizeof(res->why));
	}
}
