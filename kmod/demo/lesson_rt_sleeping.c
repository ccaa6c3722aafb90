// SPDX-License-Identifier: GPL-2.0
/*
 * Lesson: on PREEMPT_RT, spinlock_t is a sleeping lock; a hard interrupt
 * must not take it.
 *
 * On PREEMPT_RT spin_lock() is rt_spin_lock(): an rt_mutex whose waiters
 * sleep, and spin_lock_irqsave() leaves interrupts on (interrupt handlers
 * run in threads there, so it need not turn them off). A handler that
 * still runs in hard interrupt context (IRQF_NO_THREAD, a hard irq_work,
 * a timer with HRTIMER_MODE_HARD) and takes a spinlock_t gets away with it
 * while the lock is free: the fast path is one cmpxchg, and the lock's
 * owner becomes the task the interrupt interrupted. When the lock is held
 * it must wait, and waiting on an rt_mutex is schedule() from hard
 * interrupt context: "BUG: scheduling while atomic", then anything can
 * happen. Here the holder is the interrupted task itself, so the wait can
 * never end. The fix is a raw-class spinning lock (raw_spinlock_t, or
 * qspin): its irqsave turns interrupts off on every kernel, and a waiter
 * spins instead of sleeping.
 *
 *   rt_sleeping_task()                  rt_raw_task()
 *     spin_lock_irqsave(&lock, flags);    qspin_lock_irqsave(&lock, flags);
 *     count++;                            count++;
 *     <- the hard interrupt runs here:    (the interrupt waits)
 *        spin_lock() -> rt_spin_lock()    qspin_unlock_irqrestore(&lock, flags);
 *        -> schedule()                    <- the hard interrupt runs here:
 *     spin_unlock_irqrestore(...);           qspin_lock() spins if it must
 *
 * Safe mode shows only what is bounded: that spin_lock() is rt_spin_lock()
 * and whom it makes the owner, with the hard interrupt raised after the
 * section (uncontended: it succeeds silently), then the fix with the
 * interrupt raised inside the section. allow_lockup=1 raises it inside the
 * bug's section too: the real splat (make demo-lockup KERNEL=rt boots with
 * panic_on_warn=1, which makes it panic there). On a kernel without
 * PREEMPT_RT, spinlock_t spins and the lesson does not apply: skipped;
 * except under lockdep with PROVE_RAW_LOCK_NESTING (scripts/debug-kernel.sh
 * rawnest), which checks lock nesting by RT's wait types on any kernel: the
 * same uncontended bug is "BUG: Invalid wait context" there, every time.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/irq_work.h>
#include <linux/kernel.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/smp.h>
#include <linux/spinlock.h>

#include <qspin.h>
#include "lesson.h"

static DEFINE_SPINLOCK(rt_sleeping_lock);	/* rt_mutex based on RT */
static unsigned long rt_sleeping_count;		/* under rt_sleeping_lock */

static DEFINE_QSPINLOCK(rt_raw_lock);
static unsigned long rt_raw_count;		/* under rt_raw_lock */

/* What the hard interrupt saw, for the judge and the transcript. */
struct rt_seen {
	bool in_hardirq;	/* it ran in hard interrupt context */
	bool saw_cs;		/* it ran while the task was inside its section */
	int cpu;
	struct task_struct *owner;	/* rt_sleeping_lock's owner inside */
	atomic_t runs;
};

static struct rt_seen rt_sleeping_seen, rt_raw_seen;
static bool rt_in_cs;	/* the task is inside its section (this CPU only) */

#ifdef CONFIG_PREEMPT_RT
/* The rt_mutex's owner: the task that holds the lock (low bit: waiters). */
static struct task_struct *rt_sleeping_owner(void)
{
	return (struct task_struct *)
		((unsigned long)READ_ONCE(rt_sleeping_lock.lock.owner) & ~1UL);
}

static void *rt_spin_lock_fn(void)
{
	return rt_spin_lock;
}
#else
static struct task_struct *rt_sleeping_owner(void)
{
	return NULL;
}

static void *rt_spin_lock_fn(void)
{
	return NULL;
}
#endif

static void rt_seen_enter(struct rt_seen *s)
{
	s->in_hardirq = in_hardirq();
	s->saw_cs = READ_ONCE(rt_in_cs);
	s->cpu = smp_processor_id();
}

/* The bug's handler, in hard interrupt context: what a driver writes. */
static void rt_sleeping_handler(struct irq_work *work)
{
	unsigned long flags;

	rt_seen_enter(&rt_sleeping_seen);
	spin_lock_irqsave(&rt_sleeping_lock, flags);	/* rt_spin_lock() on RT */
	rt_sleeping_seen.owner = rt_sleeping_owner();
	rt_sleeping_count++;
	spin_unlock_irqrestore(&rt_sleeping_lock, flags);
	atomic_inc(&rt_sleeping_seen.runs);
}

/* The fix's handler: the same job under a raw-class spinning lock. */
static void rt_raw_handler(struct irq_work *work)
{
	rt_seen_enter(&rt_raw_seen);
	qspin_lock(&rt_raw_lock);
	rt_raw_count++;
	qspin_unlock(&rt_raw_lock);
	atomic_inc(&rt_raw_seen.runs);
}

/* Hard: on PREEMPT_RT an irq_work without it runs in a thread. */
static struct irq_work rt_sleeping_work = IRQ_WORK_INIT_HARD(rt_sleeping_handler);
static struct irq_work rt_raw_work = IRQ_WORK_INIT_HARD(rt_raw_handler);

/*
 * The bug. spin_lock_irqsave() on RT leaves interrupts on: with
 * allow_lockup=1 the hard interrupt runs inside the section and its
 * rt_spin_lock() finds the lock held by the very task it interrupted.
 * Safe mode raises it after the unlock: the same code, uncontended.
 */
static void rt_sleeping_task(void)
{
	unsigned long flags;

	spin_lock_irqsave(&rt_sleeping_lock, flags);
	WRITE_ONCE(rt_in_cs, true);
	rt_sleeping_count++;
	if (demo_allow_lockup) {
		pr_emerg("rt-sleeping-lock: raising the hard interrupt inside the spinlock_t section (allow_lockup=1): its rt_spin_lock() must wait, from hard interrupt context\n");
		irq_work_queue(&rt_sleeping_work);	/* runs here, now */
	}
	WRITE_ONCE(rt_in_cs, false);
	spin_unlock_irqrestore(&rt_sleeping_lock, flags);
	if (!demo_allow_lockup)
		irq_work_queue(&rt_sleeping_work);
	irq_work_sync(&rt_sleeping_work);
}

/* The fix: interrupts really off until the unlock; the handler spins. */
static void rt_raw_task(void)
{
	unsigned long flags;

	qspin_lock_irqsave(&rt_raw_lock, flags);
	WRITE_ONCE(rt_in_cs, true);
	rt_raw_count++;
	irq_work_queue(&rt_raw_work);	/* pending on this CPU until the unlock */
	WRITE_ONCE(rt_in_cs, false);
	qspin_unlock_irqrestore(&rt_raw_lock, flags);
	irq_work_sync(&rt_raw_work);
}

/* One iteration's verdict: NULL when it went as it must. */
static const char *rt_sleeping_judge(void)
{
	if (atomic_read(&rt_sleeping_seen.runs) != 1 ||
	    atomic_read(&rt_raw_seen.runs) != 1)
		return "a hard interrupt did not run exactly once";
	if (!rt_sleeping_seen.in_hardirq || !rt_raw_seen.in_hardirq)
		return "an irq_work ran outside hard interrupt context";
	if (rt_sleeping_seen.saw_cs)
		return "the bug's interrupt ran inside the section in safe mode";
	if (rt_raw_seen.saw_cs)
		return "the fix's interrupt ran inside qspin_lock_irqsave()'s section";
	return NULL;
}

static int rt_sleeping_run(unsigned int nruns, struct demo_own_run *out)
{
	unsigned long before = rt_sleeping_count + rt_raw_count;
	unsigned int i;

	if (IS_ENABLED(CONFIG_PREEMPT_RT)) {
		pr_info("rt-sleeping-lock: spin_lock() is %ps() here: spinlock_t is an rt_mutex (%zu bytes), whose waiters sleep; spin_lock_irqsave() leaves interrupts on\n",
			rt_spin_lock_fn(), sizeof(spinlock_t));
	} else if (IS_ENABLED(CONFIG_PROVE_RAW_LOCK_NESTING)) {
		pr_info("rt-sleeping-lock: not PREEMPT_RT, but lockdep checks lock nesting as RT would (PROVE_RAW_LOCK_NESTING): spinlock_t in a hard interrupt is an invalid wait context, reported even uncontended\n");
	} else {
		pr_warn("rt-sleeping-lock: skipped: not a PREEMPT_RT kernel: spinlock_t spins here (a raw_spinlock_t inside), so taking it in hard interrupt context is correct and there is no sleeping lock to show (make demo KERNEL=rt)\n");
		return -EOPNOTSUPP;
	}
	out->task_cpu = raw_smp_processor_id();
	for (i = 0; i < nruns; i++) {
		atomic_set(&rt_sleeping_seen.runs, 0);
		atomic_set(&rt_raw_seen.runs, 0);
		rt_sleeping_task();
		rt_raw_task();
		out->why = rt_sleeping_judge();
		if (out->why)
			break;
		out->done++;
	}
	out->expected = 4UL * out->done;
	out->actual = rt_sleeping_count + rt_raw_count - before;
	out->handler_cpu = rt_raw_seen.cpu;
	if (rt_sleeping_seen.owner)
		pr_info("rt-sleeping-lock: bug, uncontended: the hard interrupt's spin_lock_irqsave() took the lock silently; its owner is %s/%d, the task the interrupt interrupted on CPU %d\n",
			rt_sleeping_seen.owner->comm,
			task_pid_nr(rt_sleeping_seen.owner),
			rt_sleeping_seen.cpu);
	pr_info("rt-sleeping-lock: bug, contended (not in safe mode): with that task holding the lock, the interrupt's rt_spin_lock() must wait, which is schedule() from hard interrupt context, the kernel's \"scheduling while atomic\" bug (allow_lockup=1: make demo-lockup KERNEL=rt)\n");
	pr_info("rt-sleeping-lock: fix: qspin_lock_irqsave() kept interrupts off, the hard interrupt ran after the unlock on CPU %d; a qspin waiter spins, never sleeps\n",
		rt_raw_seen.cpu);
	return 0;
}

const struct demo_scenario demo_rt_sleeping_lock = {
	.name = "rt-sleeping-lock",
	.desc = "PREEMPT_RT: spinlock_t taken in a hard interrupt (hard irq_work) is rt_spin_lock(), a sleeping lock: silent uncontended, scheduling while atomic contended (allow_lockup=1); fix: qspin, a spinning lock",
	.kind = DEMO_OWN_RUN,
	.context = DEMO_HARDIRQ,
	.count = &rt_raw_count,
	.own_run = rt_sleeping_run,
};
