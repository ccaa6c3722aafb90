// SPDX-License-Identifier: GPL-2.0
/*
 * The two-CPU lessons (DEMO_TWO_CPUS: lesson_abba.c, lesson_stuck_holder.c):
 * no interrupt, one kthread on each of two CPUs. Each run goes through the
 * scenario's steps (bug, bug with checked locks, fix); in each step both
 * threads are released together and run their side; the step is judged
 * from the counter, the two returns and how many waits qspin's lockup
 * watchdog judged meanwhile (qspin_lockup_count(), debugfs qspin/lockups).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>

#include <qspin/debug.h>
#include "harness.h"

enum demo_side { DEMO_X, DEMO_Y, DEMO_NR_SIDES };

/* The longest spin_timeout_ms a lesson holding 1.5 times that may run with. */
#define DEMO_PAIR_MAX_TIMEOUT_MS 1000
/*
 * stuck-holder's bug holds at most this many spin_timeout_ms (8 s at the
 * largest timeout: far from the kernel's 20 s soft-lockup and 21 s RCU
 * stall detectors).
 */
#define DEMO_PAIR_MAX_HOLD_TIMEOUTS 8

struct demo_pair_thread {
	struct task_struct *task;
	struct completion go, done;
	int (*fn)(void);
	int ret;
	bool stop;
};

static struct demo_pair_thread demo_pair_threads[DEMO_NR_SIDES];
static atomic_t demo_pair_arrived;	/* sides at demo_pair_meet() this step */
static bool demo_pair_missed;		/* a side stopped waiting for the other */

/*
 * How long one side waits for the other at a meeting, with a lock held:
 * long enough for a vCPU starved on a loaded host (1 s was not), far from
 * the kernel's 20 s soft-lockup and 21 s RCU stall detectors.
 */
#define DEMO_PAIR_MEET_NS (5 * NSEC_PER_SEC)

void demo_pair_meet(qspinlock_t *held)
{
	u64 t0 = local_clock();

	atomic_inc(&demo_pair_arrived);
	while (atomic_read(&demo_pair_arrived) < DEMO_NR_SIDES) {
		if (held) {
			struct qspin_word_fields f = qspin_lock_fields(held);

			if (f.pending || f.tail_cpu >= 0)
				break;	/* the other side waits for ours */
		}
		if (local_clock() - t0 > DEMO_PAIR_MEET_NS) {
			WRITE_ONCE(demo_pair_missed, true);
			break;
		}
		cpu_relax();
	}
}

void demo_pair_until_waited_for(qspinlock_t *held)
{
	u64 t0 = local_clock();

	for (;;) {
		struct qspin_word_fields f = qspin_lock_fields(held);

		if (f.pending || f.tail_cpu >= 0 ||
		    local_clock() - t0 > DEMO_PAIR_MEET_NS)
			return;
		cpu_relax();
	}
}

void demo_pair_slow_work(void)
{
	mdelay(qspin_watchdog_timeout_ms() * 2);
}

void demo_pair_slow_work_until_judged(unsigned long lockups0)
{
	u64 timeout_ms = qspin_watchdog_timeout_ms(), held_ms;

	demo_pair_slow_work();
	for (held_ms = timeout_ms * 2;
	     held_ms < timeout_ms * DEMO_PAIR_MAX_HOLD_TIMEOUTS &&
	     qspin_lockup_count() == lockups0; held_ms += 10)
		mdelay(10);
}

static int demo_pair_fn(void *arg)
{
	struct demo_pair_thread *t = arg;

	for (;;) {
		wait_for_completion(&t->go);
		if (READ_ONCE(t->stop))
			break;
		t->ret = t->fn();
		complete(&t->done);
	}
	complete(&t->done);
	return demo_wait_for_stop();
}

/* A lock after a step: free, no pending waiter, no queue. */
static bool demo_pair_clean(qspinlock_t *lock)
{
	struct qspin_word_fields f;

	if (!lock)
		return true;
	f = qspin_lock_fields(lock);
	return !f.locked && !f.pending && f.tail_cpu < 0;
}

/* One step's verdict into @why; PASS or FAIL. */
static enum demo_verdict demo_pair_judge(const struct demo_scenario *sc,
					 const struct demo_phase *ph,
					 const int *ret, unsigned long done,
					 unsigned long judged, char *why,
					 size_t size)
{
	unsigned int left = (ret[DEMO_X] != 0) + (ret[DEMO_Y] != 0);
	unsigned int busy = qspin_queue_nodes_busy();
	bool ok;

	/* Whoever left, the lock words and every queue node are clean. */
	if (!demo_pair_clean(sc->lock) || !demo_pair_clean(sc->lock2) || busy) {
		snprintf(why, size,
			 "%s: after the step a lock word is not clean or %u queue node%s in use",
			 ph->name, busy, busy == 1 ? " is" : "s are");
		return DEMO_FAIL;
	}

	/* The two sides never ran at the same time: the step proved nothing. */
	if (READ_ONCE(demo_pair_missed)) {
		snprintf(why, size,
			 "%s: the other CPU did not arrive within %llu s (a starved vCPU): the two sides did not overlap",
			 ph->name, (unsigned long long)(DEMO_PAIR_MEET_NS / NSEC_PER_SEC));
		return DEMO_INCONCLUSIVE;
	}
	switch (ph->expect) {
	case DEMO_PAIR_QUIET:
	case DEMO_PAIR_LOCKUP:
		ok = !left && done == 2 &&
		     judged == (ph->expect == DEMO_PAIR_LOCKUP);
		break;
	/*
	 * Each side that left was judged; at most one wait more may be: the
	 * other side's, when its vCPU spun past spin_timeout_ms before this
	 * side's reached its second lock and closed the cycle (a loaded host,
	 * a short timeout). That lockup is real, and counted.
	 */
	case DEMO_PAIR_Y_LEAVES:
		ok = !ret[DEMO_X] && ret[DEMO_Y] == ph->ret && done == 1 &&
		     (judged == 1 || judged == 2);
		break;
	default:	/* DEMO_PAIR_ONE_LEAVES */
		ok = left && (!ret[DEMO_X] || ret[DEMO_X] == ph->ret) &&
		     (!ret[DEMO_Y] || ret[DEMO_Y] == ph->ret) &&
		     done == 2 - left && judged >= left && judged <= 2;
		break;
	}
	if (!ok)
		snprintf(why, size,
			 "%s: CPU X returned %d, CPU Y %d, counter +%lu, watchdog judged %lu wait%s",
			 ph->name, ret[DEMO_X], ret[DEMO_Y], done, judged,
			 judged == 1 ? "" : "s");
	return ok ? DEMO_PASS : DEMO_FAIL;
}

/* Both sides of one step, released together; its verdict. */
static enum demo_verdict demo_pair_step(const struct demo_phase *ph,
			   struct demo_result *res)
{
	unsigned long count0 = READ_ONCE(*res->sc->count), done, judged;
	unsigned long lockups0 = qspin_lockup_count();
	int ret[DEMO_NR_SIDES], i;
	enum demo_verdict v;
	char why[sizeof(res->why)];

	atomic_set(&demo_pair_arrived, 0);
	WRITE_ONCE(demo_pair_missed, false);
	demo_pair_threads[DEMO_X].fn = ph->cpu_x;
	demo_pair_threads[DEMO_Y].fn = ph->cpu_y;
	for (i = 0; i < DEMO_NR_SIDES; i++)
		complete(&demo_pair_threads[i].go);
	for (i = 0; i < DEMO_NR_SIDES; i++) {
		wait_for_completion(&demo_pair_threads[i].done);
		ret[i] = demo_pair_threads[i].ret;
	}
	done = READ_ONCE(*res->sc->count) - count0;
	judged = qspin_lockup_count() - lockups0;
	v = demo_pair_judge(res->sc, ph, ret, done, judged, why, sizeof(why));
	res->expected += 2;
	res->actual += done;
	res->lost += (ret[DEMO_X] != 0) + (ret[DEMO_Y] != 0);
	res->lockups += judged;
	if (v > res->verdict) {
		res->verdict = v;
		strscpy(res->why, why, sizeof(res->why));
	}
	return v;
}

/* Why this two-CPU scenario cannot run now (0: it can), said in dmesg. */
static int demo_pair_refuse(const struct demo_scenario *sc, int *x, int *y)
{
	unsigned int cpu;

	*x = *y = -1;
	if (!qspin_validate_active()) {
		pr_warn("%s: skipped: qspin.ko runs with validate=0, and the lockup watchdog reads the validator's held records\n",
			sc->name);
		return -EOPNOTSUPP;
	}
	if (sc->holds_long &&
	    qspin_watchdog_timeout_ms() > DEMO_PAIR_MAX_TIMEOUT_MS) {
		pr_warn("%s: skipped: qspin's spin_timeout_ms is %llu: holding a lock 1.5 times that long with preemption off risks the kernel's RCU stall report; set /sys/module/qspin/parameters/spin_timeout_ms to %u or less (qspin-demo.sh does)\n",
			sc->name, qspin_watchdog_timeout_ms(),
			DEMO_PAIR_MAX_TIMEOUT_MS);
		return -EOPNOTSUPP;
	}
	for_each_online_cpu(cpu) {
		if (*x < 0)
			*x = cpu;
		else if (*y < 0)
			*y = cpu;
	}
	if (*y < 0) {
		pr_warn("%s: skipped: needs two online CPUs\n", sc->name);
		return -EOPNOTSUPP;
	}
	return 0;
}

int demo_pair_run(const struct demo_scenario *sc, unsigned int nruns,
		  struct demo_result *res)
{
	int cpu[DEMO_NR_SIDES], ret, i;
	unsigned int r, p, skipped = 0;

	cpus_read_lock();
	ret = demo_pair_refuse(sc, &cpu[DEMO_X], &cpu[DEMO_Y]);
	cpus_read_unlock();
	if (ret)
		return ret;
	for (i = 0; i < DEMO_NR_SIDES; i++) {
		struct demo_pair_thread *t = &demo_pair_threads[i];

		init_completion(&t->go);
		init_completion(&t->done);
		t->stop = false;
		t->task = kthread_create(demo_pair_fn, t, "qspin-demo/%c%d",
					 "XY"[i], cpu[i]);
		if (IS_ERR(t->task)) {
			ret = PTR_ERR(t->task);
			while (--i >= 0) {
				demo_pair_threads[i].stop = true;
				complete(&demo_pair_threads[i].go);
				kthread_stop(demo_pair_threads[i].task);
			}
			return ret;
		}
		kthread_bind(t->task, cpu[i]);
		wake_up_process(t->task);
	}
	res->task_cpu = cpu[DEMO_X];
	res->handler_cpu = cpu[DEMO_Y];
	pr_info("run %s x%u: CPU X %d, CPU Y %d, spin_timeout_ms %llu%s\n",
		sc->name, nruns, cpu[DEMO_X], cpu[DEMO_Y],
		qspin_watchdog_timeout_ms(),
		demo_allow_lockup && sc->needs_leave ?
		" (allow_lockup=1: both CPUs will lock up)" : "");
	for (r = 0; r < nruns && res->verdict != DEMO_FAIL; r++) {
		enum demo_verdict v = DEMO_PASS;

		for (p = 0; p < sc->nr_phases; p++) {
			const struct demo_phase *ph = &sc->phases[p];

			if (demo_allow_lockup && ph->expect == DEMO_PAIR_ONE_LEAVES) {
				skipped += !r;
				continue;
			}
			v = max(v, demo_pair_step(ph, res));
		}
		res->n[v]++;
		res->done++;
		cond_resched();
	}
	if (skipped)
		snprintf(res->note, sizeof(res->note),
			 "%u step%s skipped: with allow_lockup=1 the checked steps do not run",
			 skipped, skipped == 1 ? "" : "s");
	for (i = 0; i < DEMO_NR_SIDES; i++) {
		demo_pair_threads[i].stop = true;
		complete(&demo_pair_threads[i].go);
		wait_for_completion(&demo_pair_threads[i].done);
		kthread_stop(demo_pair_threads[i].task);
	}
	return 0;
}
