// SPDX-License-Identifier: GPL-2.0
/*
 * One run of a scenario: a kthread bound to the CPU the interrupt goes to
 * runs the lesson's task RUNS times; each time the task, holding its lock,
 * calls demo_raise_and_wait(), which raises the interrupt on its own CPU
 * and stays in the critical section until the handler has run or hold_ms
 * have passed. The handler's side (demo_handler_run()) records where and
 * when it ran around the lesson's handler; afterwards the counter is read
 * and the iteration judged (judge.c) and added up (result.c).
 *
 * On this QEMU machine (no interrupt remapping) an edu affinity change
 * takes effect only at the next interrupt, so the thread follows the IRQ
 * (irq_get_effective_affinity_mask()) rather than moving it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/smp.h>

#include <qspin/debug.h>
#include "harness.h"

/* After the release, how long the handler gets to show up. */
#define DEMO_LATE_MS 1000

static struct demo_iter demo_it;
bool demo_broken;
static DEFINE_MUTEX(demo_run_mutex);	/* one run at a time */

/* ---- the handler's side ------------------------------------------------ */

void demo_handler_run(void)
{
	struct demo_iter *it = &demo_it;
	u64 t0 = ktime_get_ns();

	it->handler_cpu = smp_processor_id();
	it->handler_saw_cs = READ_ONCE(it->in_cs);
	it->t_handler = t0;
	WRITE_ONCE(it->handler_state, DEMO_HANDLER_RUNNING);
	it->handler_ret = it->sc->handler();
	it->wait_ns = ktime_get_ns() - t0;
	/* Pairs with demo_handler_done(): our writes to *it first. */
	smp_store_release(&it->handler_state, DEMO_HANDLER_DONE);
}

/* ---- the process side ---------------------------------------------------- */

static bool demo_handler_done(struct demo_iter *it)
{
	/* Pairs with demo_handler_run()'s release: its writes are seen. */
	return smp_load_acquire(&it->handler_state) == DEMO_HANDLER_DONE;
}

/* The handler has finished (false: @timeout_ns passed first). */
static bool demo_wait_done(struct demo_iter *it, u64 timeout_ns)
{
	u64 t0 = ktime_get_ns();

	while (!demo_handler_done(it)) {
		if (ktime_get_ns() - t0 > timeout_ns)
			return false;
		cpu_relax();
	}
	return true;
}

/* The other CPU's handler waits for our lock (false: timed out). */
static bool demo_wait_contended(struct demo_iter *it, u64 timeout_ns)
{
	u64 t0 = ktime_get_ns();

	while (READ_ONCE(it->handler_state) == DEMO_HANDLER_NOT_RUN ||
	       !qspin_is_contended(it->sc->lock)) {
		if (ktime_get_ns() - t0 > timeout_ns)
			return false;
		cpu_relax();
	}
	return true;
}

void demo_raise_and_wait(struct demo_iter *it)
{
	u64 hold_ns = (u64)clamp(READ_ONCE(demo_hold_ms), 1U, 1000U) *
		      NSEC_PER_MSEC;

	WRITE_ONCE(it->in_cs, true);
	demo_raise(it->sc, it->irq_cpu);
	if (it->sc->kind == DEMO_CROSS) {
		/*
		 * Hold on until the other CPU's handler waits, then a bit.
		 * Only this CPU has interrupts off, so a longer wait for a
		 * slow (emulated) interrupt delivery costs nothing.
		 */
		if (demo_wait_contended(it, 10 * hold_ns)) {
			u64 t0 = ktime_get_ns();
			u64 extra = (u64)clamp(READ_ONCE(demo_cross_hold_us),
					       1U, 10000U) * NSEC_PER_USEC;

			while (ktime_get_ns() - t0 < extra)
				cpu_relax();
		}
	} else {
		demo_wait_done(it, hold_ns);
	}
	WRITE_ONCE(it->in_cs, false);
	it->t_release = ktime_get_ns();
}

/* After the release: give the handler time to show up. */
static void demo_wait_late(struct demo_iter *it)
{
	u64 t0 = ktime_get_ns();

	while (!demo_handler_done(it) &&
	       ktime_get_ns() - t0 < DEMO_LATE_MS * NSEC_PER_MSEC)
		usleep_range(20, 100);
}

static void demo_iteration(const struct demo_scenario *sc, int irq_cpu,
			   struct demo_result *res)
{
	struct demo_iter *it = &demo_it;
	unsigned long actual;

	memset(it, 0, sizeof(*it));
	it->sc = sc;
	it->task_cpu = smp_processor_id();
	it->irq_cpu = irq_cpu;
	it->handler_cpu = -1;
	qspin_lock_irq(sc->lock);
	*sc->count = 0;
	qspin_unlock_irq(sc->lock);

	sc->task(it);

	demo_wait_late(it);
	if (!demo_handler_done(it) && !demo_disarm(sc)) {
		/* Claimed but unfinished: wait once more, then give up. */
		demo_wait_late(it);
		if (!demo_handler_done(it))
			WRITE_ONCE(demo_broken, true);
	}
	demo_sync_source();

	qspin_lock_irq(sc->lock);
	actual = *sc->count;
	qspin_unlock_irq(sc->lock);

	demo_result_add(res, it, actual);
}

/* ---- the kthread ------------------------------------------------------- */

struct demo_job {
	const struct demo_scenario *sc;
	unsigned int runs;
	int irq_cpu;
	struct demo_result *res;
	struct completion done;
};

static int demo_thread(void *arg)
{
	struct demo_job *job = arg;
	unsigned int i;

	for (i = 0; i < job->runs && !kthread_should_stop(); i++) {
		demo_iteration(job->sc, job->irq_cpu, job->res);
		/* The first failure says it all; no need to wait 100 times. */
		if (job->res->verdict == DEMO_FAIL || READ_ONCE(demo_broken))
			break;
		cond_resched();
	}
	complete(&job->done);
	/* Stay until kthread_stop(): the creator owns the task's lifetime. */
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop())
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

static int demo_pick_task_cpu(const struct demo_scenario *sc, int irq_cpu)
{
	unsigned int cpu;

	if (sc->kind != DEMO_CROSS)
		return irq_cpu;
	for_each_online_cpu(cpu)
		if (cpu != irq_cpu)
			return cpu;
	return -1;
}

/* Why this scenario cannot run now (0: it can). */
static int demo_refuse(const struct demo_scenario *sc)
{
	if (READ_ONCE(demo_broken)) {
		pr_err("a handler never finished earlier: reload the module\n");
		return -EIO;
	}
	if (sc->kind == DEMO_DEADLOCK && !demo_allow_lockup &&
	    !qspin_detect_active()) {
		pr_warn("%s: qspin.ko runs with detect=0, so this would hang CPU; load qspin with detect=1 (or qspin-demo allow_lockup=1 to hang it on purpose)\n",
			sc->name);
		return -EOPNOTSUPP;
	}
	return 0;
}

static int demo_run_job(struct demo_job *job, int task_cpu)
{
	struct task_struct *task;
	int ret;

	task = kthread_create(demo_thread, job, "qspin-demo/%d", task_cpu);
	if (IS_ERR(task))
		return PTR_ERR(task);
	kthread_bind(task, task_cpu);
	wake_up_process(task);
	ret = wait_for_completion_killable(&job->done);
	/* Killed: the thread stops after its current iteration. */
	kthread_stop(task);
	return ret;
}

int demo_run(const char *name, unsigned int nruns)
{
	const struct demo_scenario *sc = demo_find(name);
	struct demo_result *res;
	struct demo_job job;
	int irq_cpu, task_cpu, ret;

	if (!sc)
		return -EINVAL;
	if (!nruns || nruns > DEMO_MAX_RUNS)
		return -EINVAL;
	if (!mutex_trylock(&demo_run_mutex))
		return -EBUSY;
	ret = demo_refuse(sc);
	if (ret)
		goto unlock;
	cpus_read_lock();
	irq_cpu = sc->context == DEMO_SOFTIRQ ? demo_softirq_cpu() :
		  demo_irq_cpu();
	task_cpu = irq_cpu < 0 ? -1 : demo_pick_task_cpu(sc, irq_cpu);
	cpus_read_unlock();
	if (irq_cpu < 0 || task_cpu < 0) {
		pr_warn("%s: %s\n", sc->name, sc->kind == DEMO_CROSS ?
			"needs two online CPUs" : "no CPU for the interrupt");
		ret = -EOPNOTSUPP;
		goto unlock;
	}

	res = kzalloc(sizeof(*res), GFP_KERNEL);
	if (!res) {
		ret = -ENOMEM;
		goto unlock;
	}
	res->sc = sc;
	res->runs = nruns;
	res->handler_cpu = -1;
	job.sc = sc;
	job.runs = nruns;
	job.irq_cpu = irq_cpu;
	job.res = res;
	init_completion(&job.done);

	pr_info("run %s x%u%s: process context on CPU %d, %s on CPU %d\n",
		sc->name, nruns,
		demo_allow_lockup && sc->kind == DEMO_DEADLOCK ?
		" (allow_lockup=1: this CPU will lock up)" : "",
		task_cpu,
		sc->context == DEMO_SOFTIRQ ? "tasklet" : demo_src.name,
		irq_cpu);
	ret = demo_run_job(&job, task_cpu);
	if (ret)
		goto free;

	demo_result_print(res);
	demo_result_keep(res);
	if (READ_ONCE(demo_broken))
		ret = -EIO;
free:
	kfree(res);
unlock:
	mutex_unlock(&demo_run_mutex);
	return ret;
}

void demo_run_lock(void)
{
	mutex_lock(&demo_run_mutex);
}

void demo_run_unlock(void)
{
	mutex_unlock(&demo_run_mutex);
}
