// SPDX-License-Identifier: GPL-2.0
/*
 * One run of a scenario: a kthread bound to the CPU the interrupt goes to
 * runs RUNS iterations (iteration.c), one run at a time. A same-CPU
 * scenario's thread goes where the interrupt goes; cross-cpu's to another
 * CPU. On this QEMU machine (no interrupt remapping) an edu affinity
 * change takes effect only at the next interrupt, so the thread follows
 * the IRQ (irq_get_effective_affinity_mask()) rather than moving it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

#include <qspin/debug.h>
#include "harness.h"

static DEFINE_MUTEX(demo_run_mutex);	/* one run at a time */

/* ---- the kthread ------------------------------------------------------- */

struct demo_job {
	const struct demo_scenario *sc;
	unsigned int runs;
	int irq_cpu;
	struct demo_result *res;
	struct completion done;
};

/*
 * A harness kthread's end, once its work is done: stay until kthread_stop(),
 * since the creator owns the task's lifetime. Returns 0, the thread's
 * exit code.
 */
int demo_wait_for_stop(void)
{
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop())
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

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
	return demo_wait_for_stop();
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
	if (sc->kind == DEMO_MISTAKE && !qspin_validate_active()) {
		pr_warn("%s: skipped: qspin.ko's validator is off (validate=0), and nothing else reports this mistake; switch it on (debugfs qspin/validate)\n",
			sc->name);
		return -EOPNOTSUPP;
	}
	if (sc->threaded_handler && !IS_ENABLED(CONFIG_PREEMPT_RT)) {
		pr_warn("%s: skipped: not a PREEMPT_RT kernel: a plain request_irq() handler runs in hard interrupt context here, so this is irq-deadlock again\n",
			sc->name);
		return -EOPNOTSUPP;
	}
	if (sc->threaded_handler && demo_src.irq < 0) {
		pr_warn("%s: skipped: needs the edu device's interrupt (source %s has no request_irq() handler to thread)\n",
			sc->name, demo_src.name);
		return -EOPNOTSUPP;
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

/* A two-CPU lesson (pair.c): its result printed and kept as any other. */
static int demo_run_pair(const struct demo_scenario *sc, unsigned int nruns)
{
	struct demo_result *res = kzalloc(sizeof(*res), GFP_KERNEL);
	int ret;

	if (!res)
		return -ENOMEM;
	res->sc = sc;
	res->runs = nruns;
	ret = demo_pair_run(sc, nruns, res);
	if (!ret) {
		demo_result_print(res);
		demo_result_keep(res);
	}
	kfree(res);
	return ret;
}

/*
 * A lesson that runs itself (own_run), in this context: its counts made
 * into a result, printed and kept as any other.
 */
static int demo_run_own(const struct demo_scenario *sc, unsigned int nruns)
{
	struct demo_result *res = kzalloc(sizeof(*res), GFP_KERNEL);
	struct demo_own_run out = { .task_cpu = -1, .handler_cpu = -1 };
	int ret;

	if (!res)
		return -ENOMEM;
	pr_info("run %s x%u%s: in the writer's context\n", sc->name, nruns,
		demo_allow_lockup ? " (allow_lockup=1: the bug runs contended)" : "");
	ret = sc->own_run(nruns, &out);
	if (!ret) {
		res->sc = sc;
		res->runs = nruns;
		res->done = out.done + !!out.why;
		res->n[DEMO_PASS] = out.done;
		res->n[DEMO_FAIL] = !!out.why;
		res->verdict = out.why ? DEMO_FAIL : DEMO_PASS;
		if (out.why)
			strscpy(res->why, out.why, sizeof(res->why));
		res->expected = out.expected;
		res->actual = out.actual;
		res->task_cpu = out.task_cpu;
		res->handler_cpu = out.handler_cpu;
		if (res->expected != res->actual && !out.why) {
			res->verdict = DEMO_FAIL;
			res->n[DEMO_PASS] = 0;
			res->n[DEMO_FAIL] = res->done;
			strscpy(res->why, "counter not exact", sizeof(res->why));
		}
		demo_result_print(res);
		demo_result_keep(res);
	}
	kfree(res);
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
	if (sc->kind == DEMO_TWO_CPUS) {
		ret = demo_run_pair(sc, nruns);
		goto unlock;
	}
	if (sc->kind == DEMO_OWN_RUN) {
		ret = demo_run_own(sc, nruns);
		goto unlock;
	}
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
		demo_allow_lockup && (sc->kind == DEMO_DEADLOCK ||
				      sc == &demo_recursion) ?
		" (allow_lockup=1: this CPU will lock up)" : "",
		task_cpu,
		sc->context == DEMO_SOFTIRQ ? "tasklet" : demo_src.name,
		irq_cpu);
	if (sc->threaded_handler) {
		ret = demo_edu_set_threaded(true);
		if (ret)
			goto free;
	}
	ret = demo_run_job(&job, task_cpu);
	if (sc->threaded_handler) {
		int ret2 = demo_edu_set_threaded(false);

		ret = ret ?: ret2;
	}
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
