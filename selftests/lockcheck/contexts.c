// SPDX-License-Identifier: GPL-2.0
/*
 * lockcheck's real contexts: an event runs in hardirq through an irq_work
 * (IRQ_WORK_INIT_HARD: a self-IPI on this CPU), in softirq through a tasklet
 * scheduled on this CPU, or on another CPU in a bound kthread. Nothing is
 * faked: lockdep and qspin see the kernel's own in_hardirq() and
 * in_serving_softirq().
 */
#define pr_fmt(fmt) "lockcheck: " fmt

#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/interrupt.h>
#include <linux/irq_work.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include "lockcheck.h"

struct ctx_call {
	lc_event_fn fn;
	struct lc_env *env;
	bool wrong_ctx;
	struct completion done;
};

static void in_hardirq_fn(struct irq_work *w);
static struct irq_work hard_work = IRQ_WORK_INIT_HARD(in_hardirq_fn);
static struct ctx_call *hard_call;

static void in_hardirq_fn(struct irq_work *w)
{
	struct ctx_call *c = READ_ONCE(hard_call);

	c->wrong_ctx = !in_hardirq();
	c->fn(c->env);
	complete(&c->done);
}

static void in_softirq_fn(struct tasklet_struct *t);
static DECLARE_TASKLET(soft_tasklet, in_softirq_fn);
static struct ctx_call *soft_call;

static void in_softirq_fn(struct tasklet_struct *t)
{
	struct ctx_call *c = READ_ONCE(soft_call);

	c->wrong_ctx = !in_serving_softirq();
	c->fn(c->env);
	complete(&c->done);
}

int lc_run_in(enum lc_ctx ctx, lc_event_fn fn, struct lc_env *e)
{
	struct ctx_call c = { .fn = fn, .env = e };

	if (ctx == LC_IRQ)
		ctx = e->irq == LC_HARD ? LC_HARDIRQ : LC_SOFTIRQ;
	init_completion(&c.done);
	switch (ctx) {
	case LC_PROCESS:
		fn(e);
		return 0;
	case LC_HARDIRQ:
		WRITE_ONCE(hard_call, &c);
		if (!irq_work_queue(&hard_work))
			return -EBUSY;
		/*
		 * irq_work_sync() without its might_sleep(): the caller may hold
		 * a spinning lock (unlock-in-hardirq). The self-IPI arrives as
		 * soon as irqs are on, which they are.
		 */
		while (irq_work_is_busy(&hard_work))
			cpu_relax();
		if (!completion_done(&c.done))
			return -EIO;
		return c.wrong_ctx ? -EIO : 0;
	case LC_SOFTIRQ:
		/*
		 * PREEMPT_RT runs softirqs in threads: none runs on this CPU
		 * while it holds a spinning lock (preemption off), and waiting
		 * for one here would sleep in atomic context.
		 */
		if (IS_ENABLED(CONFIG_PREEMPT_RT) && !preemptible()) {
			e->skip = true;
			e->skip_why = "PREEMPT_RT: softirqs run in threads, none on a CPU holding a spinning lock";
			return 0;
		}
		WRITE_ONCE(soft_call, &c);
		/* local_bh_enable() runs the tasklet at once, on this CPU. */
		local_bh_disable();
		tasklet_schedule(&soft_tasklet);
		local_bh_enable();
		break;
	default:
		return -EINVAL;
	}
	if (!wait_for_completion_timeout(&c.done, 10 * HZ)) {
		pr_err("an event in softirq context never ran\n");
		return -ETIMEDOUT;
	}
	if (c.wrong_ctx) {
		pr_err("the softirq event ran outside softirq context\n");
		return -EIO;
	}
	return 0;
}

/*
 * Puts back the preemption count, irq and bh state a misuse case upset: an
 * unlock of a lock this CPU does not hold gives back a count it never took
 * (and the holder's own count stays taken). First the count, since an
 * underflow borrows from the softirq bits.
 */
void lc_restore_state(int saved_preempt)
{
	signed char delta;
	int n;

	delta = (signed char)((preempt_count() - saved_preempt) & PREEMPT_MASK);
	for (; delta < 0; delta++)
		preempt_disable();
	for (; delta > 0; delta--)
		preempt_enable();
	if (WARN_ON_ONCE(irqs_disabled()))
		local_irq_enable();
	for (n = 0; softirq_count() && n < 8; n++)
		local_bh_enable();
	WARN_ON_ONCE(preempt_count() != saved_preempt);
}

/* ---- a lock held on another CPU ---- */

struct elsewhere {
	struct lc_env *env;
	lc_event_fn hold, release;
	struct completion held, finished;
	bool acted;
};

static int holder_fn(void *arg)
{
	struct elsewhere *w = arg;
	int saved_preempt = preempt_count();
	unsigned long deadline;

	w->hold(w->env);
	complete(&w->held);
	/* Holding a spinning lock: wait by spinning, bounded. */
	deadline = jiffies + 10 * HZ;
	while (!READ_ONCE(w->acted) && time_before(jiffies, deadline))
		cpu_relax();
	w->release(w->env);
	lc_restore_state(saved_preempt);
	complete(&w->finished);
	return 0;
}

int lc_run_held_elsewhere(struct lc_env *e, lc_event_fn hold, lc_event_fn act,
			  lc_event_fn release)
{
	struct elsewhere w = { .env = e, .hold = hold, .release = release };
	struct task_struct *t;
	int here = get_cpu(), cpu, saved_preempt;

	put_cpu();
	for_each_online_cpu(cpu)
		if (cpu != here)
			break;
	if (cpu >= nr_cpu_ids)
		return -ENODEV;
	init_completion(&w.held);
	init_completion(&w.finished);
	t = kthread_create(holder_fn, &w, "lockcheck/%d", cpu);
	if (IS_ERR(t))
		return PTR_ERR(t);
	kthread_bind(t, cpu);
	wake_up_process(t);
	if (!wait_for_completion_timeout(&w.held, 10 * HZ)) {
		/* The holder never ran; it cannot exit before it does. */
		pr_err("the holder on CPU %d never ran\n", cpu);
		WRITE_ONCE(w.acted, true);
		wait_for_completion(&w.finished);
		return -ETIMEDOUT;
	}
	saved_preempt = preempt_count();
	act(e);
	/* An unlock of the holder's lock gave back a count this task never took. */
	lc_restore_state(saved_preempt);
	WRITE_ONCE(w.acted, true);
	wait_for_completion(&w.finished);
	return 0;
}
