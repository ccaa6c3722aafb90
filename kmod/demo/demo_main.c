// SPDX-License-Identifier: GPL-2.0
/*
 * qspin-demo.ko: the classic same-CPU lock/interrupt deadlock, on a real
 * interrupt, and its fixes.
 *
 * Process context (a kthread bound to the CPU the interrupt goes to) adds
 * one to a counter under a qspin lock and, while still holding the lock,
 * raises the interrupt on its own CPU, then stays in the critical section
 * until the handler has run or hold_ms have passed. The handler adds one
 * to the same counter under the same lock. Taken with plain qspin_lock(),
 * the handler interrupts the holder and spins on a lock that will never
 * be released: the CPU is gone (hard LOCKUP). qspin_lock_irqsave() in
 * process context is the fix: the interrupt waits until the lock is
 * dropped, the handler runs right after qspin_unlock_irqrestore().
 * The softirq twin (a tasklet, run at the exit of an irq_work
 * self-interrupt) is fixed by qspin_lock_bh().
 *
 * Interrupt source: QEMU's edu PCI device (demo_edu.c, MSI or INTx), or,
 * where there is none, an irq_work self-interrupt (IRQ_WORK_INIT_HARD,
 * hardirq context) and, for cross-CPU, a call-function IPI.
 *
 * Safe mode (default): the handler takes the lock with
 * qspin_lock_checked(); qspin.ko notices the same-CPU deadlock before the
 * handler spins, reports it once, and returns -EDEADLK; the handler backs
 * off (its update is lost: the counter ends one short) and the VM lives.
 * allow_lockup=1: the deadlock scenarios really hang the CPU (the kernel's
 * RCU stall / soft lockup detectors report it). The process side then takes
 * the lock with interrupts briefly off and turns them back on inside the
 * critical section: the same bug, but qspin's tracker, which records only
 * acquisitions made with interrupts on, does not see it and the handler's
 * plain qspin_lock() spins like the kernel's spinlock would.
 *
 * debugfs /sys/kernel/debug/qspin-demo/:
 *   list    the scenarios, one line each
 *   run     write "NAME" or "NAME RUNS": runs it, returns when done
 *   last    the last result, one "key value" per line
 *   status  the interrupt source, its CPU, the mode, counters
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/interrupt.h>
#include <linux/irq_work.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <qspin.h>
#include <qspin/debug.h>
#include "qspin_demo.h"

static char *scenario;
module_param(scenario, charp, 0444);
MODULE_PARM_DESC(scenario, "Scenario to run at load time (see debugfs qspin-demo/list)");

static unsigned int runs = 1;
module_param(runs, uint, 0444);
MODULE_PARM_DESC(runs, "How many times the load-time scenario runs (default 1)");

static bool allow_lockup;
module_param(allow_lockup, bool, 0444);
MODULE_PARM_DESC(allow_lockup, "DANGER: the deadlock scenarios really hang a CPU (default: off, qspin catches them)");

static char *source = "auto";
module_param(source, charp, 0444);
MODULE_PARM_DESC(source, "Interrupt source: auto (edu if present, else irq_work), edu, edu-msi, edu-intx, irq_work");

static unsigned int hold_ms = 10;
module_param(hold_ms, uint, 0644);
MODULE_PARM_DESC(hold_ms, "How long process context holds the lock waiting for the handler, ms (1-1000, default 10)");

static unsigned int cross_hold_us = 1000;
module_param(cross_hold_us, uint, 0644);
MODULE_PARM_DESC(cross_hold_us, "cross-cpu: how long the lock stays held once the other CPU's handler waits, us (default 1000)");

#define DEMO_MAX_RUNS 10000
/* After the release, how long the handler gets to show up. */
#define DEMO_LATE_MS 1000

/* ---- the shared counter and its lock ------------------------------- */

static DEFINE_QSPINLOCK(demo_lock);
static unsigned long demo_counter;	/* under demo_lock */

/* ---- scenarios ------------------------------------------------------- */

enum demo_op {
	DEMO_OP_PLAIN,		/* qspin_lock() */
	DEMO_OP_IRQSAVE,	/* qspin_lock_irqsave() */
	DEMO_OP_BH,		/* qspin_lock_bh() */
	DEMO_OP_CHECKED,	/* qspin_lock_checked(), backs off on -EDEADLK */
	DEMO_OP_HELPER,		/* demo_shared_add(): irqsave, both contexts */
};

enum demo_kind {
	DEMO_DEADLOCK,		/* same CPU, handler interrupts the holder */
	DEMO_FIXED,		/* same CPU, the holder masked the handler */
	DEMO_CROSS,		/* the handler on another CPU waits */
};

struct demo_scenario {
	const char *name;
	const char *desc;
	enum demo_kind kind;
	bool softirq;		/* tasklet path instead of the hardirq */
	enum demo_op task_op;
	enum demo_op handler_op;
};

static const struct demo_scenario demo_scenarios[] = {
	{
		.name = "irq-deadlock",
		.desc = "process context qspin_lock(), the IRQ handler takes the same lock on the same CPU: deadlock (safe mode: caught, -EDEADLK)",
		.kind = DEMO_DEADLOCK,
		.task_op = DEMO_OP_PLAIN,
		.handler_op = DEMO_OP_CHECKED,
	}, {
		.name = "irq-fixed",
		.desc = "process context qspin_lock_irqsave(), handler plain qspin_lock(): the handler runs right after unlock_irqrestore",
		.kind = DEMO_FIXED,
		.task_op = DEMO_OP_IRQSAVE,
		.handler_op = DEMO_OP_PLAIN,
	}, {
		.name = "bh-deadlock",
		.desc = "process context qspin_lock(), a tasklet takes the same lock at IRQ exit on the same CPU: deadlock (safe mode: caught, -EDEADLK)",
		.kind = DEMO_DEADLOCK,
		.softirq = true,
		.task_op = DEMO_OP_PLAIN,
		.handler_op = DEMO_OP_CHECKED,
	}, {
		.name = "bh-fixed",
		.desc = "process context qspin_lock_bh(), tasklet plain qspin_lock(): the tasklet runs right after unlock_bh",
		.kind = DEMO_FIXED,
		.softirq = true,
		.task_op = DEMO_OP_BH,
		.handler_op = DEMO_OP_PLAIN,
	}, {
		.name = "cross-cpu",
		.desc = "irqsave on one CPU, the interrupt on another: its handler waits for the lock, no deadlock",
		.kind = DEMO_CROSS,
		.task_op = DEMO_OP_IRQSAVE,
		.handler_op = DEMO_OP_PLAIN,
	}, {
		.name = "shared-helper",
		.desc = "one helper using qspin_lock_irqsave(), called from process context and from the handler: harmless",
		.kind = DEMO_FIXED,
		.task_op = DEMO_OP_HELPER,
		.handler_op = DEMO_OP_HELPER,
	},
};

static const struct demo_scenario *demo_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(demo_scenarios); i++)
		if (!strcmp(demo_scenarios[i].name, name))
			return &demo_scenarios[i];
	return NULL;
}

/* ---- one iteration's shared state ------------------------------------- */

enum demo_verdict { DEMO_PASS, DEMO_INCONCLUSIVE, DEMO_FAIL };

static const char *const demo_verdicts[] = {
	[DEMO_PASS] = "PASS",
	[DEMO_INCONCLUSIVE] = "INCONCLUSIVE",
	[DEMO_FAIL] = "FAIL",
};

/*
 * Written by the process side before it arms a handler, by the handler
 * after; handler_done (release/acquire) hands the handler's part back.
 */
struct demo_iter {
	const struct demo_scenario *sc;
	int task_cpu;
	int irq_cpu;		/* where the hardirq is raised */
	bool in_cs;		/* the process side is inside its section */
	/* the handler's part */
	int handler_cpu;
	bool handler_saw_cs;	/* it started while the section was held */
	bool handler_entered;
	bool handler_done;
	int handler_ret;	/* 0, or -EDEADLK when it backed off */
	u64 t_handler;		/* ns, handler entry */
	u64 wait_ns;		/* from entry until it held the lock */
	/* the process side's */
	u64 t_release;		/* ns, just before the release */
};

static struct demo_iter demo_it;
static bool demo_armed_hw, demo_armed_sw;
static atomic_long_t demo_stray_hw, demo_stray_sw, demo_hw_count,
	demo_sw_count;

static struct demo_irq_source demo_src = { .name = "irq_work", .irq = -1 };
static bool demo_use_edu;

/* ---- the interrupt and softirq side ------------------------------------ */

/* The helper both contexts may call: irqsave is harmless in either. */
static noinline __noclone void
demo_shared_add(void (*inside)(struct demo_iter *), struct demo_iter *it)
{
	unsigned long flags;

	qspin_lock_irqsave(&demo_lock, flags);
	demo_counter++;
	if (inside)
		inside(it);
	qspin_unlock_irqrestore(&demo_lock, flags);
}

/*
 * The handler's update, in hardirq (demo_hardirq) or softirq
 * (demo_tasklet_fn) context.
 */
static noinline __noclone void demo_handler_update(struct demo_iter *it)
{
	enum demo_op op = it->sc->handler_op;
	u64 t0 = ktime_get_ns();
	int ret;

	it->handler_cpu = smp_processor_id();
	it->handler_saw_cs = READ_ONCE(it->in_cs);
	it->t_handler = t0;
	WRITE_ONCE(it->handler_entered, true);

	if (op == DEMO_OP_CHECKED && allow_lockup)
		op = DEMO_OP_PLAIN;
	switch (op) {
	case DEMO_OP_HELPER:
		demo_shared_add(NULL, it);
		it->wait_ns = 0;
		goto done;
	case DEMO_OP_CHECKED:
		ret = qspin_lock_checked(&demo_lock);
		if (ret) {
			/* Back off: this update is lost, the CPU lives. */
			it->handler_ret = ret;
			goto done;
		}
		__acquire(&demo_lock);	/* held: what sparse cannot see */
		break;
	default:
		qspin_lock(&demo_lock);
		break;
	}
	it->wait_ns = ktime_get_ns() - t0;
	demo_counter++;
	qspin_unlock(&demo_lock);
done:
	/* Pairs with the process side's acquire: our writes to *it first. */
	smp_store_release(&it->handler_done, true);
}

/* Every hardirq source ends here (after acknowledging its device). */
void demo_hardirq(void)
{
	/* Claimed once: the process side disarms with the same xchg. */
	if (xchg(&demo_armed_hw, false))
		demo_handler_update(&demo_it);
	else
		atomic_long_inc(&demo_stray_hw);
	/* Counted after: no tail call, the handler shows in backtraces. */
	atomic_long_inc(&demo_hw_count);
}

static void demo_irq_work_fn(struct irq_work *work)
{
	demo_hardirq();
}

static void demo_ipi_fn(void *info)
{
	demo_hardirq();
}

/* Only there to end an interrupt: softirqs run at its exit. */
static void demo_kick_fn(struct irq_work *work)
{
}

static void demo_tasklet_fn(struct tasklet_struct *t)
{
	if (xchg(&demo_armed_sw, false))
		demo_handler_update(&demo_it);
	else
		atomic_long_inc(&demo_stray_sw);
	atomic_long_inc(&demo_sw_count);
}

static struct irq_work demo_hw_work = IRQ_WORK_INIT_HARD(demo_irq_work_fn);
static struct irq_work demo_kick_work = IRQ_WORK_INIT_HARD(demo_kick_fn);
static call_single_data_t demo_csd = CSD_INIT(demo_ipi_fn, NULL);
static DECLARE_TASKLET(demo_tasklet, demo_tasklet_fn);

/* Where the hardirq arrives when nobody asks for another CPU. */
static int demo_irq_cpu(void)
{
	if (demo_use_edu)
		return demo_edu_target_cpu();
	/* irq_work: any CPU; the last one keeps CPU 0's housekeeping apart. */
	return cpumask_last(cpu_online_mask);
}

/* Raise the hardirq so that it runs on @cpu (the edu's CPU, or any). */
static void demo_raise_hardirq(int cpu)
{
	/* The iteration's state before the arming; pairs with the xchg. */
	smp_store_release(&demo_armed_hw, true);
	if (demo_use_edu)
		demo_edu_raise();
	else if (cpu == smp_processor_id())
		irq_work_queue(&demo_hw_work);
	else
		smp_call_function_single_async(cpu, &demo_csd);
}

/* ---- the process side ------------------------------------------------ */

static bool demo_handler_done(struct demo_iter *it)
{
	/* Pairs with the handler's release: its writes to *it are seen. */
	return smp_load_acquire(&it->handler_done);
}

static bool demo_wait(struct demo_iter *it, u64 timeout_ns,
		      bool until_contended)
{
	u64 t0 = ktime_get_ns();

	for (;;) {
		if (until_contended) {
			if (READ_ONCE(it->handler_entered) &&
			    qspin_is_contended(&demo_lock))
				return true;
		} else if (demo_handler_done(it)) {
			return true;
		}
		if (ktime_get_ns() - t0 > timeout_ns)
			return false;
		cpu_relax();
	}
}

/*
 * Inside the critical section: raise the interrupt (or schedule the
 * tasklet and end an interrupt on this CPU), then stay until the handler
 * has run or hold_ms have passed.
 */
static noinline __noclone void demo_inside(struct demo_iter *it)
{
	const struct demo_scenario *sc = it->sc;
	u64 hold_ns = (u64)clamp(READ_ONCE(hold_ms), 1U, 1000U) * NSEC_PER_MSEC;

	WRITE_ONCE(it->in_cs, true);
	if (sc->softirq) {
		/* State before arming, as for the hardirq. */
		smp_store_release(&demo_armed_sw, true);
		tasklet_schedule(&demo_tasklet);
		/* An interrupt exit on this CPU: the tasklet runs there. */
		irq_work_queue(&demo_kick_work);
	} else {
		demo_raise_hardirq(it->irq_cpu);
	}
	if (sc->kind == DEMO_CROSS) {
		/*
		 * Hold on until the other CPU's handler waits, then a bit.
		 * Only this CPU has interrupts off, so a longer wait for a
		 * slow (emulated) interrupt delivery costs nothing.
		 */
		if (demo_wait(it, 10 * hold_ns, true)) {
			u64 t0 = ktime_get_ns();
			u64 extra = (u64)clamp(READ_ONCE(cross_hold_us), 1U,
					       10000U) * NSEC_PER_USEC;

			while (ktime_get_ns() - t0 < extra)
				cpu_relax();
		}
	} else {
		demo_wait(it, hold_ns, false);
	}
	WRITE_ONCE(it->in_cs, false);
	it->t_release = ktime_get_ns();
}

/* Process context: take the lock the scenario's way, update, raise. */
static noinline __noclone void demo_process_side(struct demo_iter *it)
{
	const struct demo_scenario *sc = it->sc;
	unsigned long flags;

	switch (sc->task_op) {
	case DEMO_OP_IRQSAVE:
		qspin_lock_irqsave(&demo_lock, flags);
		demo_counter++;
		demo_inside(it);
		qspin_unlock_irqrestore(&demo_lock, flags);
		break;
	case DEMO_OP_BH:
		qspin_lock_bh(&demo_lock);
		demo_counter++;
		demo_inside(it);
		qspin_unlock_bh(&demo_lock);
		break;
	case DEMO_OP_HELPER:
		demo_shared_add(demo_inside, it);
		break;
	default:
		if (allow_lockup && sc->kind == DEMO_DEADLOCK) {
			/*
			 * The real thing: taken with interrupts off, qspin's
			 * tracker does not record it; they come back on
			 * inside the section, which is the bug.
			 */
			local_irq_disable();
			qspin_lock(&demo_lock);
			local_irq_enable();
		} else {
			qspin_lock(&demo_lock);
		}
		demo_counter++;
		demo_inside(it);
		qspin_unlock(&demo_lock);
		break;
	}
}

struct demo_result {
	const struct demo_scenario *sc;
	unsigned int runs, done, n[3];
	unsigned long expected, actual, lost;
	int task_cpu, handler_cpu;
	u64 wait_ns_max, after_ns_max, wait_ns_sum, after_ns_sum;
	unsigned int handled;	/* iterations whose handler finished */
	enum demo_verdict verdict;
	char why[160];
};

/* A handler that never finished: the demo refuses to go on. */
static bool demo_broken;

static enum demo_verdict demo_judge(struct demo_iter *it, unsigned long actual,
				    unsigned long *expected, char *why,
				    size_t size)
{
	const struct demo_scenario *sc = it->sc;
	const char *who = sc->softirq ? "tasklet" : "handler";

	*expected = 2;
	if (!it->handler_done) {
		snprintf(why, size, "the %s never ran", who);
		return DEMO_FAIL;
	}
	if (sc->kind == DEMO_CROSS) {
		if (it->handler_cpu == it->task_cpu) {
			snprintf(why, size, "the handler ran on the holder's CPU %d",
				 it->task_cpu);
			return DEMO_INCONCLUSIVE;
		}
		if (actual != *expected) {
			snprintf(why, size, "counter %lu, expected %lu", actual,
				 *expected);
			return DEMO_FAIL;
		}
		if (!it->handler_saw_cs) {
			snprintf(why, size, "the handler arrived after the section");
			return DEMO_INCONCLUSIVE;
		}
		return DEMO_PASS;
	}
	if (it->handler_cpu != it->task_cpu) {
		snprintf(why, size, "the %s ran on CPU %d, not the holder's CPU %d",
			 who, it->handler_cpu, it->task_cpu);
		return DEMO_INCONCLUSIVE;
	}
	if (sc->kind == DEMO_DEADLOCK) {
		if (!it->handler_saw_cs) {
			snprintf(why, size, "the %s ran after the critical section",
				 who);
			return DEMO_INCONCLUSIVE;
		}
		*expected = 1;
		if (it->handler_ret != -EDEADLK) {
			snprintf(why, size, "no -EDEADLK from qspin_lock_checked() (%d)",
				 it->handler_ret);
			return DEMO_FAIL;
		}
	} else if (it->handler_saw_cs) {
		snprintf(why, size, "the %s ran inside the critical section", who);
		return DEMO_FAIL;
	}
	if (actual != *expected) {
		snprintf(why, size, "counter %lu, expected %lu", actual, *expected);
		return DEMO_FAIL;
	}
	return DEMO_PASS;
}

static void demo_iteration(const struct demo_scenario *sc, int irq_cpu,
			   struct demo_result *res)
{
	struct demo_iter *it = &demo_it;
	enum demo_verdict v;
	unsigned long actual, expected;
	bool *armed = sc->softirq ? &demo_armed_sw : &demo_armed_hw;
	char why[sizeof(res->why)];
	u64 t0;

	memset(it, 0, sizeof(*it));
	it->sc = sc;
	it->task_cpu = smp_processor_id();
	it->irq_cpu = irq_cpu;
	it->handler_cpu = -1;
	qspin_lock_irq(&demo_lock);
	demo_counter = 0;
	qspin_unlock_irq(&demo_lock);

	demo_process_side(it);

	/* After the release: give the handler time to show up. */
	t0 = ktime_get_ns();
	while (!demo_handler_done(it) &&
	       ktime_get_ns() - t0 < DEMO_LATE_MS * NSEC_PER_MSEC)
		usleep_range(20, 100);
	if (!demo_handler_done(it) && !xchg(armed, false)) {
		/* Claimed but unfinished: wait once more, then give up. */
		t0 = ktime_get_ns();
		while (!demo_handler_done(it) &&
		       ktime_get_ns() - t0 < DEMO_LATE_MS * NSEC_PER_MSEC)
			usleep_range(20, 100);
		if (!demo_handler_done(it))
			WRITE_ONCE(demo_broken, true);
	}
	irq_work_sync(&demo_hw_work);
	irq_work_sync(&demo_kick_work);

	qspin_lock_irq(&demo_lock);
	actual = demo_counter;
	qspin_unlock_irq(&demo_lock);

	why[0] = '\0';
	v = demo_judge(it, actual, &expected, why, sizeof(why));
	res->done++;
	res->n[v]++;
	res->expected += expected;
	res->actual += actual;
	res->lost += it->handler_ret == -EDEADLK;
	res->task_cpu = it->task_cpu;
	if (it->handler_done) {
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

/* ---- running a scenario --------------------------------------------- */

static DEFINE_MUTEX(demo_run_mutex);	/* one scenario at a time */
static DEFINE_MUTEX(demo_last_mutex);
static struct demo_result demo_last;
static bool demo_have_last;

static void demo_source_text(const struct demo_scenario *sc, char *buf,
			     size_t size)
{
	if (sc->softirq)
		snprintf(buf, size, "tasklet (softirq at an irq_work interrupt's exit)");
	else if (demo_src.irq >= 0)
		snprintf(buf, size, "%s irq %d", demo_src.name, demo_src.irq);
	else if (sc->kind == DEMO_CROSS)
		snprintf(buf, size, "ipi (smp_call_function_single_async)");
	else
		snprintf(buf, size, "irq_work (self-IPI)");
}

static u64 demo_avg_us(u64 sum_ns, unsigned int n)
{
	return n ? div_u64(sum_ns, n) / NSEC_PER_USEC : 0;
}

static void demo_print(const struct demo_result *r)
{
	const struct demo_scenario *sc = r->sc;
	char src[64], note[160];

	demo_source_text(sc, src, sizeof(src));
	if (r->verdict != DEMO_PASS)
		snprintf(note, sizeof(note), "why: %s", r->why);
	else if (sc->kind == DEMO_DEADLOCK)
		snprintf(note, sizeof(note),
			 "same-CPU deadlock caught: qspin_lock_checked() returned -EDEADLK, the %s backed off, %lu update%s lost",
			 sc->softirq ? "tasklet" : "handler", r->lost,
			 r->lost == 1 ? "" : "s");
	else if (sc->kind == DEMO_CROSS)
		snprintf(note, sizeof(note),
			 "the handler on CPU %d waited %lluus for the lock (max %lluus), no deadlock",
			 r->handler_cpu, demo_avg_us(r->wait_ns_sum, r->handled),
			 r->wait_ns_max / NSEC_PER_USEC);
	else
		snprintf(note, sizeof(note),
			 "the %s ran %lluus after %s (max %lluus)",
			 sc->softirq ? "tasklet" : "handler",
			 demo_avg_us(r->after_ns_sum, r->handled),
			 sc->task_op == DEMO_OP_BH ? "qspin_unlock_bh()" :
			 "qspin_unlock_irqrestore()",
			 r->after_ns_max / NSEC_PER_USEC);
	pr_info("result %s: %s, counter expected %lu actual %lu, runs %u (pass %u, inconclusive %u, fail %u), source %s, cpu task %d handler %d, %s\n",
		sc->name, demo_verdicts[r->verdict], r->expected, r->actual,
		r->done, r->n[DEMO_PASS], r->n[DEMO_INCONCLUSIVE],
		r->n[DEMO_FAIL], src, r->task_cpu, r->handler_cpu, note);
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

static int demo_run(const char *name, unsigned int nruns)
{
	const struct demo_scenario *sc = demo_find(name);
	struct demo_result *res;
	struct task_struct *task;
	struct demo_job job;
	int irq_cpu, task_cpu, ret = 0;

	if (!sc)
		return -EINVAL;
	if (!nruns || nruns > DEMO_MAX_RUNS)
		return -EINVAL;
	if (!mutex_trylock(&demo_run_mutex))
		return -EBUSY;
	if (READ_ONCE(demo_broken)) {
		pr_err("a handler never finished earlier: reload the module\n");
		ret = -EIO;
		goto unlock;
	}
	if (sc->kind == DEMO_DEADLOCK && !allow_lockup &&
	    !qspin_detect_active()) {
		pr_warn("%s: qspin.ko runs with detect=0, so this would hang CPU; load qspin with detect=1 (or qspin-demo allow_lockup=1 to hang it on purpose)\n",
			sc->name);
		ret = -EOPNOTSUPP;
		goto unlock;
	}
	cpus_read_lock();
	irq_cpu = sc->softirq ? cpumask_last(cpu_online_mask) : demo_irq_cpu();
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
		allow_lockup && sc->kind == DEMO_DEADLOCK ?
		" (allow_lockup=1: this CPU will lock up)" : "",
		task_cpu, sc->softirq ? "tasklet" : demo_src.name, irq_cpu);
	task = kthread_create(demo_thread, &job, "qspin-demo/%d", task_cpu);
	if (IS_ERR(task)) {
		ret = PTR_ERR(task);
		goto free;
	}
	kthread_bind(task, task_cpu);
	wake_up_process(task);
	ret = wait_for_completion_killable(&job.done);
	/* Killed: the thread stops after its current iteration. */
	kthread_stop(task);
	if (ret)
		goto free;

	demo_print(res);
	mutex_lock(&demo_last_mutex);
	demo_last = *res;
	demo_have_last = true;
	mutex_unlock(&demo_last_mutex);
	if (READ_ONCE(demo_broken))
		ret = -EIO;
free:
	kfree(res);
unlock:
	mutex_unlock(&demo_run_mutex);
	return ret;
}

/* ---- debugfs --------------------------------------------------------- */

static struct dentry *demo_debugfs;

static int list_show(struct seq_file *m, void *v)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(demo_scenarios); i++)
		seq_printf(m, "%-14s %s\n", demo_scenarios[i].name,
			   demo_scenarios[i].desc);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(list);

static int last_show(struct seq_file *m, void *v)
{
	struct demo_result r;
	char src[64];
	bool have;

	mutex_lock(&demo_last_mutex);
	have = demo_have_last;
	r = demo_last;
	mutex_unlock(&demo_last_mutex);
	if (!have) {
		seq_puts(m, "none\n");
		return 0;
	}
	demo_source_text(r.sc, src, sizeof(src));
	seq_printf(m, "scenario %s\n", r.sc->name);
	seq_printf(m, "verdict %s\n", demo_verdicts[r.verdict]);
	seq_printf(m, "runs %u\n", r.done);
	seq_printf(m, "pass %u\n", r.n[DEMO_PASS]);
	seq_printf(m, "inconclusive %u\n", r.n[DEMO_INCONCLUSIVE]);
	seq_printf(m, "fail %u\n", r.n[DEMO_FAIL]);
	seq_printf(m, "expected %lu\n", r.expected);
	seq_printf(m, "actual %lu\n", r.actual);
	seq_printf(m, "lost %lu\n", r.lost);
	seq_printf(m, "source %s\n", src);
	seq_printf(m, "task_cpu %d\n", r.task_cpu);
	seq_printf(m, "handler_cpu %d\n", r.handler_cpu);
	seq_printf(m, "wait_us_avg %llu\n", demo_avg_us(r.wait_ns_sum, r.handled));
	seq_printf(m, "wait_us_max %llu\n", r.wait_ns_max / NSEC_PER_USEC);
	seq_printf(m, "after_unlock_us_avg %llu\n",
		   demo_avg_us(r.after_ns_sum, r.handled));
	seq_printf(m, "after_unlock_us_max %llu\n",
		   r.after_ns_max / NSEC_PER_USEC);
	seq_printf(m, "why %s\n", r.why[0] ? r.why : "-");
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(last);

static int status_show(struct seq_file *m, void *v)
{
	seq_printf(m, "source %s\n", demo_src.name);
	seq_printf(m, "device %s\n", demo_src.dev[0] ? demo_src.dev : "-");
	seq_printf(m, "irq %d\n", demo_src.irq);
	seq_printf(m, "irq_cpu %d\n", demo_irq_cpu());
	seq_printf(m, "allow_lockup %d\n", allow_lockup);
	seq_printf(m, "detect %d\n", qspin_detect_active());
	seq_printf(m, "hold_ms %u\n", READ_ONCE(hold_ms));
	seq_printf(m, "hardirqs %ld\n", atomic_long_read(&demo_hw_count));
	seq_printf(m, "softirqs %ld\n", atomic_long_read(&demo_sw_count));
	seq_printf(m, "stray_hardirqs %ld\n", atomic_long_read(&demo_stray_hw));
	seq_printf(m, "stray_softirqs %ld\n", atomic_long_read(&demo_stray_sw));
	seq_printf(m, "broken %d\n", READ_ONCE(demo_broken));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(status);

/* "NAME" or "NAME RUNS"; returns once the scenario has run. */
static ssize_t run_write(struct file *file, const char __user *ubuf,
			 size_t len, loff_t *ppos)
{
	char buf[64], *p, *name;
	unsigned int n = 1;
	int ret;

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	p = strim(buf);
	name = strsep(&p, " \t");
	if (!*name)
		return -EINVAL;
	if (p) {
		p = strim(p);
		if (*p && kstrtouint(p, 10, &n))
			return -EINVAL;
	}
	ret = demo_run(name, n);
	return ret ? ret : len;
}

static const struct file_operations run_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = run_write,
	.llseek = noop_llseek,
};

/* ---- load and unload --------------------------------------------------- */

static int __init demo_init(void)
{
	bool want_edu = true, want_irq_work = true;
	bool want_msi = true, want_intx = true;
	int ret;

	if (!strcmp(source, "edu-msi")) {
		want_intx = false;
		want_irq_work = false;
	} else if (!strcmp(source, "edu-intx")) {
		want_msi = false;
		want_irq_work = false;
	} else if (!strcmp(source, "edu")) {
		want_irq_work = false;
	} else if (!strcmp(source, "irq_work")) {
		want_edu = false;
	} else if (strcmp(source, "auto")) {
		pr_err("unknown source=%s (auto, edu, edu-msi, edu-intx, irq_work)\n",
		       source);
		return -EINVAL;
	}
	if (scenario && !demo_find(scenario)) {
		pr_err("unknown scenario=%s (see debugfs qspin-demo/list)\n",
		       scenario);
		return -EINVAL;
	}

	if (want_edu) {
		ret = demo_edu_register(want_msi, want_intx);
		if (ret)
			return ret;
		if (demo_edu_present()) {
			demo_use_edu = true;
			demo_edu_describe(&demo_src);
		} else {
			demo_edu_unregister();
			if (!want_irq_work) {
				pr_err("source=%s: no usable edu PCI device (1234:11e8)\n",
				       source);
				return -ENODEV;
			}
		}
	}
	if (demo_use_edu)
		pr_info("interrupt source: edu PCI device %s, %s, irq %d, effective CPU %d\n",
			demo_src.dev, demo_src.name, demo_src.irq,
			demo_edu_target_cpu());
	else
		pr_info("interrupt source: irq_work (IRQ_WORK_INIT_HARD self-interrupt)%s\n",
			want_edu ? ": no edu PCI device (1234:11e8)" : "");
	pr_info("mode: %s\n", allow_lockup ?
		"allow_lockup=1: the deadlock scenarios REALLY hang a CPU" :
		qspin_detect_active() ?
		"safe: qspin catches the same-CPU deadlocks" :
		"safe, but qspin detect=0: the deadlock scenarios are refused");

	demo_debugfs = debugfs_create_dir("qspin-demo", NULL);
	debugfs_create_file("list", 0444, demo_debugfs, NULL, &list_fops);
	debugfs_create_file("run", 0200, demo_debugfs, NULL, &run_fops);
	debugfs_create_file("last", 0444, demo_debugfs, NULL, &last_fops);
	debugfs_create_file("status", 0444, demo_debugfs, NULL, &status_fops);

	if (scenario) {
		ret = demo_run(scenario, runs);
		if (ret) {
			pr_err("scenario=%s: error %d\n", scenario, ret);
			debugfs_remove_recursive(demo_debugfs);
			if (demo_use_edu)
				demo_edu_unregister();
			tasklet_kill(&demo_tasklet);
			irq_work_sync(&demo_hw_work);
			irq_work_sync(&demo_kick_work);
			return ret;
		}
	}
	return 0;
}

static void demo_nop(void *info)
{
}

static void __exit demo_exit(void)
{
	/* First: no new run can start, a running one has finished. */
	debugfs_remove_recursive(demo_debugfs);
	mutex_lock(&demo_run_mutex);
	WRITE_ONCE(demo_armed_hw, false);
	WRITE_ONCE(demo_armed_sw, false);
	if (demo_use_edu)
		demo_edu_unregister();	/* free_irq() waits for the handler */
	tasklet_kill(&demo_tasklet);
	irq_work_sync(&demo_hw_work);
	irq_work_sync(&demo_kick_work);
	/* A call-function IPI still queued somewhere has run after two. */
	on_each_cpu(demo_nop, NULL, 1);
	on_each_cpu(demo_nop, NULL, 1);
	mutex_unlock(&demo_run_mutex);
	pr_info("unloaded\n");
}

module_init(demo_init);
module_exit(demo_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("qspin demo: the same-CPU lock/interrupt deadlock and its fixes, on a real interrupt");
