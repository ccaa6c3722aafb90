// SPDX-License-Identifier: GPL-2.0
/*
 * qspin-torture's nesting levels: the per-level locks "task", "soft",
 * "hard" and "nmi", each taken from its own context with interrupts and BH
 * enabled, so that a waiter can be interrupted while it waits and the
 * interrupting context waits on the next level's lock on the same CPU: the
 * slow paths nest (qspin's stats nested_depth2..4).
 *
 * To make that frequent rather than lucky, the holder of a level's lock
 * kicks the CPUs that are waiting on that level, from inside its critical
 * section:
 *
 *   holder of  kicks the waiters with               who then take
 *   task       an IPI that schedules the tasklet    soft (tasklet)
 *   soft       an IPI whose handler takes "hard"    hard (IPI)
 *   hard       an NMI, to itself too                nmi  (NMI)
 *
 * All kicked CPUs arrive at once, so the next level's lock sees a holder,
 * a pending waiter and queued waiters.
 *
 * Every kick is tracked by its target's kick[level] (enum kick_state): the
 * sender claims it before sending, the handler releases it; at the end,
 * nest_quiesce() waits on these flags, not on the IPI's own state.
 */
#define pr_fmt(fmt) "qspin-torture: " fmt

#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/printk.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <asm/apic.h>
#include <asm/nmi.h>

#include "torture.h"

static const char *const kick_names[NR_LEVELS] = {
	[LV_TASK] = "tasklet IPI",
	[LV_SOFT] = "hardirq IPI",
	[LV_HARD] = "NMI",
};

static atomic_long_t kicks[NR_LEVELS];
static bool nmi_registered;

static struct tlock *level_tlock(enum nest_level level)
{
	return &torture_locks[L_TASK + level];
}

/* Sender: false while the previous kick to this CPU is on its way. */
static bool kick_claim(struct tcpu *t, enum nest_level level)
{
	return atomic_cmpxchg(&t->kick[level], KICK_IDLE, KICK_SENT) ==
	       KICK_IDLE;
}

/* Handler: the kick has arrived; pairs with nest_quiesce()'s acquire. */
static void kick_release(struct tcpu *t, enum nest_level level)
{
	atomic_set_release(&t->kick[level], KICK_IDLE);
}

static void kick_cpu(struct tcpu *t, enum nest_level level)
{
	int ret = 0;

	if (!kick_claim(t, level))
		return;
	switch (level) {
	case LV_TASK:
		ret = smp_call_function_single_async(t->cpu, &t->csd_soft);
		break;
	case LV_SOFT:
		ret = smp_call_function_single_async(t->cpu, &t->csd_hard);
		break;
	case LV_HARD:
		apic->send_IPI(t->cpu, NMI_VECTOR);
		break;
	default:
		ret = -EINVAL;
		break;
	}
	if (ret) {
		/* Not sent (the CPU went offline): no handler will release it. */
		kick_release(t, level);
		return;
	}
	atomic_long_inc(&kicks[level]);
}

/* The holder of `level` interrupts the CPUs waiting on that level. */
static void kick_waiters(enum nest_level level)
{
	int self = smp_processor_id(), cpu;
	bool kick;

	if (torture_stopping() || (level == LV_HARD && !nmi_registered))
		return;
	for_each_online_cpu(cpu) {
		/*
		 * An NMI also goes to the holder itself: one more contender
		 * on "nmi", so that the others' NMIs queue there.
		 */
		if (cpu == self)
			kick = level == LV_HARD;
		else
			kick = READ_ONCE(torture_cpus[cpu].waiting[level]);
		if (kick)
			kick_cpu(&torture_cpus[cpu], level);
	}
}

/**
 * nest_lock - take a level's lock as its waiter, then kick the next level
 * @t: this CPU's state (the caller cannot migrate)
 * @level: the level whose lock to take
 * @w: the writer that takes it
 */
void nest_lock(struct tcpu *t, enum nest_level level, struct twriter *w)
{
	struct tlock *l = level_tlock(level);

	WRITE_ONCE(t->waiting[level], true);
	torture_ops->writelock(&l->lock);
	WRITE_ONCE(t->waiting[level], false);
	cs_enter(l, w, L_TASK + level);
	kick_waiters(level);
}

void nest_unlock(enum nest_level level, struct twriter *w)
{
	struct tlock *l = level_tlock(level);

	cs_exit(l, w);
	torture_ops->writeunlock(&l->lock);
}

/* NMI: take "nmi" (only NMIs take it; NMIs do not nest). */
static int nmi_nest_fn(unsigned int type, struct pt_regs *regs)
{
	struct tcpu *t = &torture_cpus[smp_processor_id()];
	struct twriter *w = &t->w[CW_NMI_NEST];
	struct tlock *l = &torture_locks[L_NMI];

	if (atomic_read(&t->kick[LV_HARD]) != KICK_SENT)
		return NMI_DONE;
	if (!torture_stopping()) {
		torture_ops->writelock(&l->lock);
		cs_enter(l, w, L_NMI);
		udelay(3);
		cs_exit(l, w);
		torture_ops->writeunlock(&l->lock);
	}
	/* Only now: a second NMI sent while this one runs would be lost. */
	kick_release(t, LV_HARD);
	return NMI_HANDLED;
}

/*
 * IPI, hardirq: take "hard", and from inside kick its other waiters. The
 * kick is released first: another may queue behind this one (nest_quiesce()
 * waits for a running handler through RCU).
 */
static void hard_nest_fn(void *info)
{
	struct tcpu *t = info;
	struct twriter *w = &t->w[CW_HARD_NEST];
	int i;

	kick_release(t, LV_SOFT);
	/* A few rounds: the longer this level is busy, the more waiters. */
	for (i = 0; i < 2 && !torture_stopping(); i++) {
		nest_lock(t, LV_HARD, w);
		udelay(3 + wrand(w) % 6);
		nest_unlock(LV_HARD, w);
	}
}

/* Tasklet, softirq with IRQs on: take "soft" and kick its waiters. */
static void soft_nest_fn(struct tasklet_struct *tl)
{
	struct tcpu *t = from_tasklet(t, tl, tasklet);
	struct twriter *w = &t->w[CW_SOFT_NEST];
	int i;

	for (i = 0; i < 4 && !torture_stopping(); i++) {
		nest_lock(t, LV_SOFT, w);
		udelay(5 + wrand(w) % 11);
		nest_unlock(LV_SOFT, w);
	}
}

/* IPI, hardirq: the softirq level runs on this CPU's way out of it. */
static void soft_kick_fn(void *info)
{
	struct tcpu *t = info;

	kick_release(t, LV_TASK);
	if (!torture_stopping())
		tasklet_schedule(&t->tasklet);
}

void nest_init_cpu(struct tcpu *t)
{
	int level;

	tasklet_setup(&t->tasklet, soft_nest_fn);
	INIT_CSD(&t->csd_soft, soft_kick_fn, t);
	INIT_CSD(&t->csd_hard, hard_nest_fn, t);
	for (level = 0; level < NR_LEVELS; level++) {
		t->waiting[level] = false;
		atomic_set(&t->kick[level], KICK_IDLE);
	}
}

/* The NMI level; without it, nesting stops at hardirq. */
bool nest_start_nmi(void)
{
	int ret = register_nmi_handler(NMI_LOCAL, nmi_nest_fn, 0,
				       "qspin_torture");

	if (ret)
		pr_warn("no NMI handler (%d): nesting stops at hardirq\n", ret);
	else
		nmi_registered = true;
	return nmi_registered;
}

void nest_stop_nmi(void)
{
	if (nmi_registered)
		unregister_nmi_handler(NMI_LOCAL, "qspin_torture");
	nmi_registered = false;
}

bool nest_nmi_active(void)
{
	return nmi_registered;
}

long nest_kicks(enum nest_level level)
{
	return atomic_long_read(&kicks[level]);
}

/*
 * After torture_state became TORTURE_STOPPING: wait (bounded) until no kick
 * of ours is on its way and no handler or tasklet of ours runs.
 */
void nest_quiesce(void)
{
	unsigned long deadline = jiffies + 5 * HZ;
	int cpu, level;

	/* Everybody who saw the run not stopping has sent what it sends. */
	synchronize_rcu();
	for_each_possible_cpu(cpu) {
		struct tcpu *t = &torture_cpus[cpu];

		for (level = 0; level < NR_LEVELS; level++) {
			/* Acquire pairs with kick_release(). */
			while (atomic_read_acquire(&t->kick[level]) != KICK_IDLE &&
			       time_before(jiffies, deadline))
				schedule_timeout_uninterruptible(1);
			if (atomic_read(&t->kick[level]) != KICK_IDLE)
				pr_warn("cpu %d: %s kick never arrived\n",
					cpu, kick_names[level]);
		}
	}
	/* Handlers run with interrupts off: RCU waits for them to return. */
	synchronize_rcu();
	for_each_possible_cpu(cpu)
		tasklet_kill(&torture_cpus[cpu].tasklet);
	synchronize_rcu();
}
