// SPDX-License-Identifier: GPL-2.0
/*
 * A run's result: its iterations added up, the one dmesg line that says
 * how it went ("result NAME: VERDICT, counter expected E actual A, ..."),
 * and the last result kept for debugfs "last".
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/time64.h>
#include <linux/minmax.h>
#include <linux/mutex.h>
#include <linux/string.h>

#include "harness.h"

static DEFINE_MUTEX(demo_last_mutex);
static struct demo_result demo_last;	/* under demo_last_mutex */
static bool demo_have_last;

u64 demo_avg_us(u64 sum_ns, unsigned int n)
{
	return n ? div_u64(sum_ns, n) / NSEC_PER_USEC : 0;
}

void demo_result_add(struct demo_result *res, const struct demo_iter *it,
		     unsigned long actual)
{
	unsigned long expected;
	enum demo_verdict v;
	char why[sizeof(res->why)];

	why[0] = '\0';
	v = demo_judge(it, actual, &expected, why, sizeof(why));
	res->done++;
	res->n[v]++;
	res->expected += expected;
	res->actual += actual;
	res->lost += it->handler_ret == -EDEADLK;
	res->task_cpu = it->task_cpu;
	if (it->handler_state == DEMO_HANDLER_DONE) {
		u64 after = it->t_handler > it->t_release ?
			    it->t_handler - it->t_release : 0;

		res->handled++;
		res->handler_cpu = it->handler_cpu;
		res->wait_ns_max = max(res->wait_ns_max, it->wait_ns);
		res->wait_ns_sum += it->wait_ns;
		res->after_ns_max = max(res->after_ns_max, after);
		res->after_ns_sum += after;
	}
	if (v > res->verdict) {
		res->verdict = v;
		strscpy(res->why, why, sizeof(res->why));
	}
}

void demo_result_print(const struct demo_result *r)
{
	const struct demo_scenario *sc = r->sc;
	const char *who = sc->context == DEMO_SOFTIRQ ? "tasklet" : "handler";
	char src[64], note[160];

	if (sc->kind == DEMO_TWO_CPUS) {
		pr_info("result %s: %s, counter expected %lu actual %lu, runs %u (pass %u, inconclusive %u, fail %u), cpu X %d Y %d, checked locks that left %lu, waits the lockup watchdog judged %lu%s%s%s%s\n",
			sc->name, demo_verdict_names[r->verdict], r->expected,
			r->actual, r->done, r->n[DEMO_PASS],
			r->n[DEMO_INCONCLUSIVE], r->n[DEMO_FAIL], r->task_cpu,
			r->handler_cpu, r->lost, r->lockups,
			r->note[0] ? ", " : "", r->note,
			r->verdict != DEMO_PASS ? ", why: " : "",
			r->verdict != DEMO_PASS ? r->why : "");
		return;
	}
	demo_source_text(sc, src, sizeof(src));
	if (r->verdict != DEMO_PASS)
		snprintf(note, sizeof(note), "why: %s", r->why);
	else if (sc->kind == DEMO_MISTAKE)
		snprintf(note, sizeof(note),
			 "the bug seen by qspin %lu time%s, the fix never; %lu leaked lock%s released by the harness",
			 r->bug_reports, r->bug_reports == 1 ? "" : "s",
			 r->leaked, r->leaked == 1 ? "" : "s");
	else if (sc->threaded_handler)
		snprintf(note, sizeof(note),
			 "no deadlock: the handler is a thread (PREEMPT_RT), it cannot interrupt the holder; it ran %lluus after %s",
			 demo_avg_us(r->after_ns_sum, r->handled), sc->unlock);
	else if (sc->kind == DEMO_OWN_RUN)
		snprintf(note, sizeof(note),
			 "the hard interrupt took spinlock_t only while it was free, and qspin after the unlock");
	else if (sc->kind == DEMO_DEADLOCK)
		snprintf(note, sizeof(note),
			 "same-CPU deadlock caught: qspin_lock_checked() returned -EDEADLK, the %s backed off, %lu update%s lost",
			 who, r->lost, r->lost == 1 ? "" : "s");
	else if (sc->kind == DEMO_CROSS)
		snprintf(note, sizeof(note),
			 "the handler on CPU %d waited %lluus for the lock (max %lluus), no deadlock",
			 r->handler_cpu, demo_avg_us(r->wait_ns_sum, r->handled),
			 r->wait_ns_max / NSEC_PER_USEC);
	else
		snprintf(note, sizeof(note),
			 "the %s ran %lluus after %s (max %lluus)",
			 who, demo_avg_us(r->after_ns_sum, r->handled),
			 sc->unlock, r->after_ns_max / NSEC_PER_USEC);
	pr_info("result %s: %s, counter expected %lu actual %lu, runs %u (pass %u, inconclusive %u, fail %u), source %s, cpu task %d handler %d, %s\n",
		sc->name, demo_verdict_names[r->verdict], r->expected,
		r->actual, r->done, r->n[DEMO_PASS], r->n[DEMO_INCONCLUSIVE],
		r->n[DEMO_FAIL], src, r->task_cpu, r->handler_cpu, note);
}

void demo_result_keep(const struct demo_result *r)
{
	mutex_lock(&demo_last_mutex);
	demo_last = *r;
	demo_have_last = true;
	mutex_unlock(&demo_last_mutex);
}

/* The last run's result into @r; false when there was none yet. */
bool demo_result_last(struct demo_result *r)
{
	bool have;

	mutex_lock(&demo_last_mutex);
	have = demo_have_last;
	*r = demo_last;
	mutex_unlock(&demo_last_mutex);
	return have;
}
