// SPDX-License-Identifier: GPL-2.0
/*
 * test_qspin.ko: in-kernel tests of qspin's spinlock API, in the
 * kselftest_module.h style ("all N tests passed"); loaded by
 * selftests/qspin_module.sh through kselftest/module.sh inside the test VM.
 *
 * What it proves, each with assertions on real state:
 *  - every variant in every context it is meant for leaves IRQ, softirq and
 *    preemption state exactly as the kernel's spinlock would, before, inside
 *    and after (also with IRQs already off), and a failed trylock leaves
 *    nothing behind;
 *  - trylock on a held and on a free lock;
 *  - is_contended while a waiter is pending and while waiters are queued
 *    (the tail names the queued CPU: needs three CPUs);
 *  - the MCS nesting depths 2 and 3 are really used on one CPU (a task
 *    waits on lock A, a softirq on B, a hardirq on C), proven by the tail
 *    index seen in each word and by qspin's stats counters;
 *  - mutual exclusion under a contended multi-CPU run mixing variants;
 *  - with the validator on, a hardirq that wants a lock its CPU's task
 *    holds gets -EDEADLK from qspin_lock_checked(), for every variant that
 *    leaves interrupts on; the reports must name the holder's function
 *    (selftests/qspin_unwind.sh reads them back from debugfs), and the
 *    validator names the bug as an inconsistent lock state first.
 *
 * Every test case has its own locks (lock classes), taken only in ways
 * that are correct, so the validator (on by default) has nothing to say
 * about them except where a test provokes a report on purpose.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bottom_half.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/interrupt.h>
#include <linux/irq_work.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <qspin.h>
#include <qspin/debug.h>

#include "kselftest_module.h"
#include "tq_check.h"

/* Spin budget for waits on other CPUs: generous for TCG. */
#define WAIT_NS (5 * NSEC_PER_SEC)

/* ---- API state matrix --------------------------------------------- */

enum variant {
	V_PLAIN,
	V_TRYLOCK,
	V_BH,
	V_TRYLOCK_BH,
	V_IRQ,
	V_IRQSAVE,
	V_TRYLOCK_IRQSAVE,
	V_NR
};

static const char *const variant_names[V_NR] = {
	"lock", "trylock", "lock_bh", "trylock_bh", "lock_irq",
	"lock_irqsave", "trylock_irqsave",
};

struct cpu_state {
	bool irqs_off;
	unsigned int preempt;	/* preempt_count(): preempt, softirq, hardirq */
	unsigned int softirq;
};

static struct cpu_state cpu_state_now(void)
{
	return (struct cpu_state){
		.irqs_off = irqs_disabled(),
		.preempt = preempt_count(),
		.softirq = softirq_count(),
	};
}

/* Where the matrix runs: each (context, variant) cell has its own lock. */
enum matrix_ctx {
	M_TASK,
	M_TASK_IRQS_OFF,
	M_SOFTIRQ,
	M_HARDIRQ,
	M_NR
};

static const char *const matrix_ctx_names[M_NR] = {
	"task", "task, IRQs off", "softirq", "hardirq",
};

/*
 * Static, so each element is a lock class of its own for the validator: a
 * lock taken with plain qspin_lock() in task context and in hardirq
 * context would be a genuine inconsistent lock state.
 */
static qspinlock_t matrix_locks[M_NR][V_NR];

/*
 * A lock that stays held, by a kthread on another CPU, for the
 * failed-trylock checks in all three contexts here.
 */
static DEFINE_QSPINLOCK(held_lock);

/* Inside the critical section: what this variant must have changed. */
static void check_inside(qspinlock_t *lock, enum variant v, const char *ctx,
			 struct cpu_state before)
{
	struct cpu_state in = cpu_state_now();
	struct qspin_word_fields f = qspin_lock_fields(lock);

	CHECK(f.locked == 1 && f.pending == 0 && f.tail_cpu == -1,
	      "%s in %s: word %x", variant_names[v], ctx,
	      qspin_word_read(&lock->word));
	CHECK(qspin_is_locked(lock), "%s in %s", variant_names[v], ctx);
	/* Preemption is off inside every variant. */
	CHECK(!preemptible() && in.preempt > before.preempt,
	      "%s in %s: preempt_count %x before %x", variant_names[v], ctx,
	      in.preempt, before.preempt);
	switch (v) {
	case V_IRQ:
	case V_IRQSAVE:
	case V_TRYLOCK_IRQSAVE:
		CHECK(in.irqs_off, "%s in %s: IRQs on inside",
		      variant_names[v], ctx);
		break;
	case V_BH:
	case V_TRYLOCK_BH:
		CHECK(in.softirq > before.softirq && in_softirq(),
		      "%s in %s: softirq count %x before %x",
		      variant_names[v], ctx, in.softirq, before.softirq);
		CHECK(in.irqs_off == before.irqs_off, "%s in %s",
		      variant_names[v], ctx);
		break;
	default:
		CHECK(in.irqs_off == before.irqs_off &&
		      in.softirq == before.softirq, "%s in %s",
		      variant_names[v], ctx);
	}
}

static void check_restored(qspinlock_t *lock, enum variant v,
			   const char *ctx, struct cpu_state before,
			   const char *what)
{
	struct cpu_state after = cpu_state_now();

	CHECK(after.irqs_off == before.irqs_off &&
	      after.preempt == before.preempt &&
	      after.softirq == before.softirq,
	      "%s in %s %s: irqs_off %d->%d preempt %x->%x", variant_names[v],
	      ctx, what, before.irqs_off, after.irqs_off, before.preempt,
	      after.preempt);
	CHECK(qspin_word_read(&lock->word) == 0,
	      "%s in %s %s: word %x", variant_names[v], ctx, what,
	      qspin_word_read(&lock->word));
}

/* One variant, one context: acquire, check, release, check. */
static void run_variant(enum variant v, enum matrix_ctx m)
{
	struct cpu_state before = cpu_state_now();
	qspinlock_t *lock = &matrix_locks[m][v];
	const char *ctx = matrix_ctx_names[m];
	unsigned long flags = 0;
	int ok = 1;

	switch (v) {
	case V_PLAIN:
		qspin_lock(lock);
		break;
	case V_TRYLOCK:
		ok = qspin_trylock(lock);
		break;
	case V_BH:
		qspin_lock_bh(lock);
		break;
	case V_TRYLOCK_BH:
		ok = qspin_trylock_bh(lock);
		break;
	case V_IRQ:
		qspin_lock_irq(lock);
		break;
	case V_IRQSAVE:
		qspin_lock_irqsave(lock, flags);
		break;
	case V_TRYLOCK_IRQSAVE:
		ok = qspin_trylock_irqsave(lock, flags);
		break;
	default:
		return;
	}
	CHECK(ok, "%s in %s: trylock on a free lock failed",
	      variant_names[v], ctx);
	if (!ok)
		return;
	check_inside(lock, v, ctx, before);

	switch (v) {
	case V_PLAIN:
	case V_TRYLOCK:
		qspin_unlock(lock);
		break;
	case V_BH:
	case V_TRYLOCK_BH:
		qspin_unlock_bh(lock);
		break;
	case V_IRQ:
		qspin_unlock_irq(lock);
		break;
	default:
		qspin_unlock_irqrestore(lock, flags);
	}
	check_restored(lock, v, ctx, before, "after release");
}

/* Failed trylocks on a held lock leave no state behind. */
static void run_failed_trylocks(const char *ctx)
{
	struct cpu_state before = cpu_state_now();
	unsigned long flags = 0;
	u32 word = qspin_word_read(&held_lock.word);

	CHECK(!qspin_trylock(&held_lock), "%s", ctx);
	CHECK(!qspin_trylock_irqsave(&held_lock, flags), "%s", ctx);
	if (!in_hardirq())
		CHECK(!qspin_trylock_bh(&held_lock), "%s", ctx);
	CHECK(qspin_word_read(&held_lock.word) == word,
	      "%s: failed trylock wrote the word", ctx);
	{
		struct cpu_state after = cpu_state_now();

		CHECK(after.irqs_off == before.irqs_off &&
		      after.preempt == before.preempt, "%s", ctx);
	}
}

/* The matrix: which variants belong in which context. */
static const bool in_task[V_NR] = { 1, 1, 1, 1, 1, 1, 1 };
static const bool in_softirq_ctx[V_NR] = {
	[V_PLAIN] = 1, [V_TRYLOCK] = 1, [V_IRQ] = 1, [V_IRQSAVE] = 1,
	[V_TRYLOCK_IRQSAVE] = 1,
};
static const bool in_hardirq_ctx[V_NR] = {
	[V_PLAIN] = 1, [V_TRYLOCK] = 1, [V_IRQSAVE] = 1,
	[V_TRYLOCK_IRQSAVE] = 1,
};

static void run_matrix(const bool *which, enum matrix_ctx m)
{
	int v;

	for (v = 0; v < V_NR; v++)
		if (which[v])
			run_variant(v, m);
	run_failed_trylocks(matrix_ctx_names[m]);
}

static int softirq_ran, hardirq_ran;
static DECLARE_COMPLETION(softirq_done);

static void matrix_tasklet_fn(struct tasklet_struct *t)
{
	softirq_ran = in_serving_softirq() ? 1 : -1;
	run_matrix(in_softirq_ctx, M_SOFTIRQ);
	complete(&softirq_done);
}
static DECLARE_TASKLET(matrix_tasklet, matrix_tasklet_fn);

static void matrix_irq_work_fn(struct irq_work *w)
{
	hardirq_ran = in_hardirq() ? 1 : -1;
	run_matrix(in_hardirq_ctx, M_HARDIRQ);
}
static struct irq_work matrix_irq_work = IRQ_WORK_INIT_HARD(matrix_irq_work_fn);

/* held_lock's owner: takes it, holds it until told, releases it. */
enum { HELD_WAIT, HELD_TAKEN, HELD_RELEASE, HELD_RELEASED };
static atomic_t held_state;

static int held_owner_fn(void *arg)
{
	qspin_lock(&held_lock);
	atomic_set(&held_state, HELD_TAKEN);
	while (atomic_read(&held_state) != HELD_RELEASE)
		cpu_relax();
	qspin_unlock(&held_lock);
	atomic_set(&held_state, HELD_RELEASED);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

static struct task_struct *create_on(int (*fn)(void *), void *arg, int cpu,
				     const char *name);
static struct task_struct *start_on(int (*fn)(void *), void *arg, int cpu,
				    const char *name);
static void stop_and_put(struct task_struct *t);
static int other_cpu(int not, int n);

static void test_state_matrix(void)
{
	struct task_struct *owner;
	unsigned long flags;
	int cpu = other_cpu(raw_smp_processor_id(), 0);

	if (cpu < 0) {
		SKIP("needs 2 CPUs: one holds held_lock");
		return;
	}
	atomic_set(&held_state, HELD_WAIT);
	owner = start_on(held_owner_fn, NULL, cpu, "qspin_held");
	if (IS_ERR(owner)) {
		CHECK(0, "kthread_create failed");
		return;
	}
	while (atomic_read(&held_state) != HELD_TAKEN)
		msleep(1);

	run_matrix(in_task, M_TASK);

	/* _irqsave with IRQs already off restores "off". */
	local_irq_save(flags);
	run_variant(V_IRQSAVE, M_TASK_IRQS_OFF);
	run_variant(V_TRYLOCK_IRQSAVE, M_TASK_IRQS_OFF);
	CHECK(irqs_disabled(), "IRQs turned on by irqrestore");
	local_irq_restore(flags);

	tasklet_schedule(&matrix_tasklet);
	CHECK(wait_for_completion_timeout(&softirq_done, 10 * HZ),
	      "softirq matrix did not run");
	CHECK(softirq_ran == 1, "tasklet not in softirq context");

	irq_work_queue(&matrix_irq_work);
	irq_work_sync(&matrix_irq_work);
	CHECK(hardirq_ran == 1, "irq_work not in hardirq context");

	CHECK(qspin_word_read(&held_lock.word) == QSPIN_LOCKED_VAL,
	      "failed trylocks changed the held word: %x",
	      qspin_word_read(&held_lock.word));
	atomic_set(&held_state, HELD_RELEASE);
	while (atomic_read(&held_state) != HELD_RELEASED)
		msleep(1);
	stop_and_put(owner);
	CHECK(qspin_word_read(&held_lock.word) == 0, "held_lock word %x",
	      qspin_word_read(&held_lock.word));
}

/* ---- trylock on a held and a free lock ------------------------------ */

/* Static: a lock on the stack is not a static object (never initialised). */
static DEFINE_QSPINLOCK(trylock_lock);

static void test_trylock(void)
{
	qspinlock_t *l = &trylock_lock;

	CHECK(qspin_trylock(l), "free lock");
	CHECK(qspin_word_read(&l->word) == QSPIN_LOCKED_VAL, "word %x",
	      qspin_word_read(&l->word));
	CHECK(!qspin_trylock(l), "held lock");
	CHECK(qspin_word_read(&l->word) == QSPIN_LOCKED_VAL, "word %x",
	      qspin_word_read(&l->word));
	qspin_unlock(l);
	CHECK(qspin_word_read(&l->word) == 0, "word %x",
	      qspin_word_read(&l->word));
	CHECK(!qspin_is_locked(l) && !qspin_is_contended(l), "free lock");
}

/* ---- helpers for multi-CPU tests ------------------------------------ */

/* Spin until cond or the budget runs out; true when cond held. */
#define SPIN_UNTIL(cond)						\
	({								\
		u64 __end = ktime_get_ns() + WAIT_NS;			\
		bool __ok;						\
		while (!(__ok = (cond)) && ktime_get_ns() < __end)	\
			cpu_relax();					\
		__ok;							\
	})

/* The n-th online CPU other than `not`, or -1. */
static int other_cpu(int not, int n)
{
	int cpu;

	for_each_online_cpu(cpu) {
		if (cpu == not)
			continue;
		if (n-- == 0)
			return cpu;
	}
	return -1;
}

/* Created bound and not yet running: creation sleeps, waking does not. */
static struct task_struct *create_on(int (*fn)(void *), void *arg, int cpu,
				     const char *name)
{
	struct task_struct *t = kthread_create(fn, arg, "%s/%d", name, cpu);

	if (IS_ERR(t))
		return t;
	kthread_bind(t, cpu);
	get_task_struct(t);
	return t;
}

static struct task_struct *start_on(int (*fn)(void *), void *arg, int cpu,
				    const char *name)
{
	struct task_struct *t = create_on(fn, arg, cpu, name);

	if (!IS_ERR(t))
		wake_up_process(t);
	return t;
}

static void stop_and_put(struct task_struct *t)
{
	if (IS_ERR_OR_NULL(t))
		return;
	kthread_stop(t);
	put_task_struct(t);
}

/* ---- is_contended: pending, then queued ----------------------------- */

static DEFINE_QSPINLOCK(contended_lock);
static atomic_t waiters_done;

static int contend_fn(void *arg)
{
	qspin_lock(&contended_lock);
	qspin_unlock(&contended_lock);
	atomic_inc(&waiters_done);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

static void test_is_contended(void)
{
	struct task_struct *pending_task, *queued_task;
	int me, cpu_p, cpu_q;
	struct qspin_word_fields f;

	if (num_online_cpus() < 3) {
		SKIP("needs 3 CPUs, have %u", num_online_cpus());
		return;
	}
	atomic_set(&waiters_done, 0);
	me = raw_smp_processor_id();	/* selftest() pinned us */
	cpu_p = other_cpu(me, 0);
	cpu_q = other_cpu(me, 1);
	pending_task = create_on(contend_fn, NULL, cpu_p, "qspin_pending");
	queued_task = create_on(contend_fn, NULL, cpu_q, "qspin_queued");
	if (IS_ERR(pending_task) || IS_ERR(queued_task)) {
		CHECK(0, "kthread_create failed");
		goto out;
	}

	qspin_lock(&contended_lock);
	CHECK(!qspin_is_contended(&contended_lock), "owner alone");

	/* 0,0,1 -> 0,1,1: the first waiter takes the pending bit. */
	wake_up_process(pending_task);
	CHECK(SPIN_UNTIL(qspin_lock_fields(&contended_lock).pending == 1),
	      "no pending waiter: word %x",
	      qspin_word_read(&contended_lock.word));
	CHECK(qspin_is_contended(&contended_lock), "pending waiter");

	/* 0,1,1 -> n,1,1: the second waiter queues; the tail names it. */
	wake_up_process(queued_task);
	CHECK(SPIN_UNTIL(qspin_lock_fields(&contended_lock).tail_cpu >= 0),
	      "no queued waiter: word %x",
	      qspin_word_read(&contended_lock.word));
	f = qspin_lock_fields(&contended_lock);
	CHECK(f.tail_cpu == cpu_q && f.tail_idx == 0 && f.pending == 1 &&
	      f.locked == 1, "word %x: tail cpu %d idx %u, want cpu %d idx 0",
	      qspin_word_read(&contended_lock.word), f.tail_cpu, f.tail_idx,
	      cpu_q);
	CHECK(qspin_is_contended(&contended_lock), "queued waiter");
	qspin_unlock(&contended_lock);

	CHECK(SPIN_UNTIL(atomic_read(&waiters_done) == 2), "waiters stuck");
	CHECK(qspin_word_read(&contended_lock.word) == 0, "word %x",
	      qspin_word_read(&contended_lock.word));
out:
	stop_and_put(pending_task);
	stop_and_put(queued_task);
}

/* ---- nesting: task on A, softirq on B, hardirq on C, one CPU -------- */

/*
 * A waiter queues (and so takes a node) only when someone besides the
 * owner is already there. The owner CPU also raises the pending byte of
 * each lock it holds, the exact state a pending waiter leaves (*,1,1), so
 * the nesting CPU's waiters all queue; releasing, the owner clears pending
 * first and then unlocks as usual.
 *
 * The owner takes each lock the way its other users need: B with softirqs
 * off (a softirq takes it), C with interrupts off (a hardirq takes it).
 * With interrupts off the owner cannot send the hardirq's IPI itself
 * (smp_call_function_single() warns), so a work item on a third CPU does.
 */
static DEFINE_QSPINLOCK(nest_a);
static DEFINE_QSPINLOCK(nest_b);
static DEFINE_QSPINLOCK(nest_c);
static atomic_t nest_progress;	/* 1 task got A, 2 softirq got B, 4 hardirq got C */
static int nest_irq_ctx, nest_softirq_ctx, nest_cpu;

static void nest_hardirq_fn(void *info)
{
	nest_irq_ctx = in_hardirq() ? 1 : -1;
	qspin_lock(&nest_c);	/* queues on node 2: depth 3 */
	qspin_unlock(&nest_c);
	atomic_or(4, &nest_progress);
}

/* On the third CPU, with interrupts on: the IPI to the nesting CPU. */
static void nest_ipi_fn(struct work_struct *w)
{
	smp_call_function_single(nest_cpu, nest_hardirq_fn, NULL, 0);
}
static DECLARE_WORK(nest_ipi_work, nest_ipi_fn);

static void nest_tasklet_fn(struct tasklet_struct *t)
{
	nest_softirq_ctx = in_serving_softirq() ? 1 : -1;
	qspin_lock(&nest_b);	/* queues on node 1: depth 2 */
	qspin_unlock(&nest_b);
	atomic_or(2, &nest_progress);
}
static DECLARE_TASKLET(nest_tasklet, nest_tasklet_fn);

/* Hardirq on the nesting CPU (an IPI): the tasklet runs at its exit. */
static void nest_kick_fn(void *info)
{
	tasklet_schedule(&nest_tasklet);
}

static int nest_task_fn(void *arg)
{
	qspin_lock(&nest_a);	/* queues on node 0 */
	qspin_unlock(&nest_a);
	atomic_or(1, &nest_progress);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

static void set_pending(qspinlock_t *l, u8 pending)
{
	__atomic_store_n(&l->word.pending, pending, __ATOMIC_RELAXED);
}

static bool tail_is(qspinlock_t *l, int cpu, unsigned int idx)
{
	struct qspin_word_fields f = qspin_lock_fields(l);

	return f.tail_cpu == cpu && f.tail_idx == idx;
}

static unsigned long stat_of(const char *name);

/*
 * On PREEMPT_RT softirqs run in threads (ksoftirqd, or a task leaving its
 * bh-off section), never at interrupt exit: none can run on a CPU whose
 * task spins with preemption off. There the nesting is task on A, hardirq
 * on C at idx 1 (depth 2), and the softirq level is skipped, said so.
 */
static void test_nesting(void)
{
	const bool rt = IS_ENABLED(CONFIG_PREEMPT_RT);
	struct task_struct *task;
	unsigned long d2, d3, flags;
	int me = raw_smp_processor_id(), ipi_cpu;

	if (num_online_cpus() < 3) {
		SKIP("needs 3 CPUs, have %u", num_online_cpus());
		return;
	}
	d2 = stat_of("nested_depth2");
	d3 = stat_of("nested_depth3");
	atomic_set(&nest_progress, 0);
	nest_cpu = other_cpu(me, 0);
	ipi_cpu = other_cpu(me, 1);
	task = create_on(nest_task_fn, NULL, nest_cpu, "qspin_nest");
	if (IS_ERR(task)) {
		CHECK(0, "kthread_create failed");
		return;
	}

	qspin_lock(&nest_a);
	if (!rt)
		qspin_lock_bh(&nest_b);
	set_pending(&nest_a, 1);
	if (!rt)
		set_pending(&nest_b, 1);

	wake_up_process(task);
	CHECK(SPIN_UNTIL(tail_is(&nest_a, nest_cpu, 0)),
	      "task did not queue on A at idx 0: word %x",
	      qspin_word_read(&nest_a.word));

	if (!rt) {
		smp_call_function_single(nest_cpu, nest_kick_fn, NULL, 0);
		CHECK(SPIN_UNTIL(tail_is(&nest_b, nest_cpu, 1)),
		      "softirq did not queue on B at idx 1: word %x",
		      qspin_word_read(&nest_b.word));
	}

	qspin_lock_irqsave(&nest_c, flags);
	set_pending(&nest_c, 1);
	queue_work_on(ipi_cpu, system_wq, &nest_ipi_work);
	CHECK(SPIN_UNTIL(tail_is(&nest_c, nest_cpu, rt ? 1 : 2)),
	      "hardirq did not queue on C at idx %d: word %x", rt ? 1 : 2,
	      qspin_word_read(&nest_c.word));

	/* Innermost first, as the interrupted CPU needs. */
	set_pending(&nest_c, 0);
	qspin_unlock_irqrestore(&nest_c, flags);
	CHECK(SPIN_UNTIL(atomic_read(&nest_progress) & 4), "hardirq stuck");
	if (!rt) {
		set_pending(&nest_b, 0);
		qspin_unlock_bh(&nest_b);
		CHECK(SPIN_UNTIL(atomic_read(&nest_progress) & 2), "softirq stuck");
	}
	set_pending(&nest_a, 0);
	qspin_unlock(&nest_a);
	CHECK(SPIN_UNTIL(atomic_read(&nest_progress) & 1), "task stuck");

	flush_work(&nest_ipi_work);
	tasklet_kill(&nest_tasklet);
	stop_and_put(task);
	CHECK((rt || nest_softirq_ctx == 1) && nest_irq_ctx == 1,
	      "contexts: softirq %d hardirq %d", nest_softirq_ctx, nest_irq_ctx);
	CHECK(qspin_word_read(&nest_a.word) == 0 &&
	      qspin_word_read(&nest_b.word) == 0 &&
	      qspin_word_read(&nest_c.word) == 0, "words not released");
	CHECK(stat_of("nested_depth2") > d2 && (rt || stat_of("nested_depth3") > d3),
	      "stats: depth2 %lu->%lu depth3 %lu->%lu", d2,
	      stat_of("nested_depth2"), d3, stat_of("nested_depth3"));
	if (rt)
		SKIP("PREEMPT_RT: softirqs run in threads, not at interrupt exit; no softirq nests over a task spinning with preemption off (task + hardirq nesting checked)");
}

/* ---- mutual exclusion under contention ------------------------------ */

#define MUTEX_ITERS 20000
static DEFINE_QSPINLOCK(mutex_lock_);
static unsigned long mutex_counter;	/* protected by mutex_lock_ only */
static int mutex_inside;
static atomic_t mutex_violations;
static atomic_t mutex_finished;
static atomic_t mutex_ready;	/* start line: all writers run at once */
static int mutex_writers;

/*
 * Every eighth critical section is held a few microseconds, long enough
 * for two more CPUs to arrive: a pending waiter and a queued one, so that
 * mutual exclusion is checked across all three paths.
 */
static void mutex_critical(int i)
{
	if (xchg(&mutex_inside, 1))
		atomic_inc(&mutex_violations);
	mutex_counter++;
	if ((i & 7) == 0)
		udelay(2);
	WRITE_ONCE(mutex_inside, 0);
}

static int mutex_fn(void *arg)
{
	long id = (long)arg;
	unsigned long flags;
	int i;

	atomic_inc(&mutex_ready);
	SPIN_UNTIL(atomic_read(&mutex_ready) >= mutex_writers);
	for (i = 0; i < MUTEX_ITERS; i++) {
		switch ((i + id) % 5) {
		case 0:
			qspin_lock(&mutex_lock_);
			mutex_critical(i);
			qspin_unlock(&mutex_lock_);
			break;
		case 1:
			qspin_lock_irqsave(&mutex_lock_, flags);
			mutex_critical(i);
			qspin_unlock_irqrestore(&mutex_lock_, flags);
			break;
		case 2:
			qspin_lock_bh(&mutex_lock_);
			mutex_critical(i);
			qspin_unlock_bh(&mutex_lock_);
			break;
		case 3:
			qspin_lock_irq(&mutex_lock_);
			mutex_critical(i);
			qspin_unlock_irq(&mutex_lock_);
			break;
		default:
			while (!qspin_trylock(&mutex_lock_))
				cpu_relax();
			mutex_critical(i);
			qspin_unlock(&mutex_lock_);
		}
		if ((i & 1023) == 0)
			cond_resched();
	}
	atomic_inc(&mutex_finished);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

/* One run: every online CPU does MUTEX_ITERS acquisitions at once. */
static void mutex_round(int round, int nr)
{
	struct task_struct **tasks;
	int cpu, n = 0, waited;

	tasks = kcalloc(nr_cpu_ids, sizeof(*tasks), GFP_KERNEL);
	if (!tasks) {
		CHECK(0, "no memory");
		return;
	}
	mutex_counter = 0;
	atomic_set(&mutex_violations, 0);
	atomic_set(&mutex_finished, 0);
	atomic_set(&mutex_ready, 0);
	mutex_writers = nr;
	for_each_online_cpu(cpu)
		tasks[n++] = start_on(mutex_fn, (void *)(long)cpu, cpu,
				      "qspin_mutex");

	/* 20000 acquisitions per CPU under TCG: allow a minute. */
	for (waited = 0; waited < 600 && atomic_read(&mutex_finished) < nr;
	     waited++)
		msleep(100);
	CHECK(atomic_read(&mutex_finished) == nr,
	      "round %d: %d of %d writers finished", round,
	      atomic_read(&mutex_finished), nr);
	while (n--)
		stop_and_put(tasks[n]);
	kfree(tasks);

	CHECK(atomic_read(&mutex_violations) == 0,
	      "round %d: %d overlapping owners", round,
	      atomic_read(&mutex_violations));
	CHECK(mutex_counter == (unsigned long)nr * MUTEX_ITERS,
	      "round %d: counter %lu, want %lu", round, mutex_counter,
	      (unsigned long)nr * MUTEX_ITERS);
	CHECK(qspin_word_read(&mutex_lock_.word) == 0, "round %d: word %x",
	      round, qspin_word_read(&mutex_lock_.word));
}

/*
 * Rounds until both slow paths were taken under contention (at most five:
 * how often CPUs really overlap depends on how busy the host is under
 * TCG), each with exact counters and no overlapping owners.
 */
static void test_mutual_exclusion(void)
{
	unsigned long pending0 = stat_of("pending");
	unsigned long queued0 = stat_of("queued");
	int nr = num_online_cpus();
	bool pending_seen = false, queued_seen = false;
	int round;

	for (round = 1; round <= 5; round++) {
		mutex_round(round, nr);
		pending_seen = stat_of("pending") > pending0;
		queued_seen = stat_of("queued") > queued0;
		if ((pending_seen || nr < 2) && (queued_seen || nr < 3))
			break;
	}
	if (nr >= 2)
		CHECK(pending_seen, "pending path never taken in %d rounds",
		      round - 1);
	if (nr >= 3)
		CHECK(queued_seen, "queue path never taken in %d rounds",
		      round - 1);
	pr_info("mutual exclusion: %d CPUs x %d, %d round(s): pending +%lu, queued +%lu\n",
		nr, MUTEX_ITERS, min(round, 5), stat_of("pending") - pending0,
		stat_of("queued") - queued0);
}

/* ---- deadlock reports name the holder's and the waiter's function --- */

/*
 * Each exported operation takes its caller's address (_RET_IP_) and hands
 * it to the instrumented path, which records it with the held lock. Here
 * each variant that leaves interrupts on is called from a function of its
 * own, report_holder_<variant>(); a hardirq on the same CPU then asks for
 * the lock with qspin_lock_checked() from report_waiter_irq(). Detection
 * must report the deadlock (one lock per variant: one report each) and back
 * off. The report text is checked from user space: holder_fn must be
 * report_holder_<variant>, waiter_fn report_waiter_irq.
 */
enum report_variant {
	R_LOCK,
	R_LOCK_BH,
	R_TRYLOCK,
	R_TRYLOCK_BH,
	R_LOCK_CHECKED,
	R_NR
};

/* One lock per variant, each a symbol of its own: reports name it. */
static DEFINE_QSPINLOCK(report_lock_plain);
static DEFINE_QSPINLOCK(report_lock_bh);
static DEFINE_QSPINLOCK(report_lock_try);
static DEFINE_QSPINLOCK(report_lock_try_bh);
static DEFINE_QSPINLOCK(report_lock_checked);
static qspinlock_t *const report_locks[R_NR] = {
	[R_LOCK] = &report_lock_plain,
	[R_LOCK_BH] = &report_lock_bh,
	[R_TRYLOCK] = &report_lock_try,
	[R_TRYLOCK_BH] = &report_lock_try_bh,
	[R_LOCK_CHECKED] = &report_lock_checked,
};
static qspinlock_t *report_lock;
static int report_ret;
static bool report_done;

static void report_waiter_irq(struct irq_work *w)
{
	report_ret = qspin_lock_checked(report_lock);
	if (!report_ret)
		qspin_unlock(report_lock);
	WRITE_ONCE(report_done, true);
}
static struct irq_work report_irq_work = IRQ_WORK_INIT_HARD(report_waiter_irq);

/* With `lock` held and interrupts on: the hardirq must back off. */
static void report_interrupt(qspinlock_t *lock, const char *variant)
{
	report_lock = lock;
	report_ret = 1;
	WRITE_ONCE(report_done, false);
	irq_work_queue(&report_irq_work);
	/* Not irq_work_sync(): it may sleep, and preemption is off here. */
	CHECK(SPIN_UNTIL(READ_ONCE(report_done)), "%s: hardirq did not run",
	      variant);
	CHECK(report_ret == -EDEADLK,
	      "%s: qspin_lock_checked() in the hardirq returned %d",
	      variant, report_ret);
}

static noinline void report_holder_lock(qspinlock_t *lock)
{
	qspin_lock(lock);
	report_interrupt(lock, "lock");
	qspin_unlock(lock);
}

static noinline void report_holder_lock_bh(qspinlock_t *lock)
{
	qspin_lock_bh(lock);
	report_interrupt(lock, "lock_bh");
	qspin_unlock_bh(lock);
}

static noinline void report_holder_trylock(qspinlock_t *lock)
{
	if (!qspin_trylock(lock)) {
		CHECK(0, "trylock on a free lock failed");
		return;
	}
	report_interrupt(lock, "trylock");
	qspin_unlock(lock);
}

static noinline void report_holder_trylock_bh(qspinlock_t *lock)
{
	if (!qspin_trylock_bh(lock)) {
		CHECK(0, "trylock_bh on a free lock failed");
		return;
	}
	report_interrupt(lock, "trylock_bh");
	qspin_unlock_bh(lock);
}

static noinline void report_holder_lock_checked(qspinlock_t *lock)
{
	int ret = qspin_lock_checked(lock);

	CHECK(ret == 0, "lock_checked on a free lock returned %d", ret);
	if (ret)
		return;
	report_interrupt(lock, "lock_checked");
	qspin_unlock(lock);
}

static void test_reports_name_callers(void)
{
	void (*const holders[R_NR])(qspinlock_t *) = {
		[R_LOCK] = report_holder_lock,
		[R_LOCK_BH] = report_holder_lock_bh,
		[R_TRYLOCK] = report_holder_trylock,
		[R_TRYLOCK_BH] = report_holder_trylock_bh,
		[R_LOCK_CHECKED] = report_holder_lock_checked,
	};
	unsigned long inconsistent, deadlocks;
	int r;

	if (!qspin_validate_active()) {
		SKIP("the validator is off (qspin.ko validate=0)");
		return;
	}
	inconsistent = qspin_report_count(QSPIN_REPORT_INCONSISTENT);
	deadlocks = qspin_report_count(QSPIN_REPORT_DEADLOCK);
	for (r = 0; r < R_NR; r++) {
		holders[r](report_locks[r]);
		CHECK(qspin_word_read(&report_locks[r]->word) == 0,
		      "variant %d: word %x", r,
		      qspin_word_read(&report_locks[r]->word));
	}
	irq_work_sync(&report_irq_work);
	/*
	 * Each lock was held with interrupts on and taken in hardirq: the
	 * validator names that (inconsistent lock state, HARDIRQ-ON and
	 * IN-HARDIRQ) before the collision is reported, once per lock.
	 */
	CHECK(qspin_report_count(QSPIN_REPORT_INCONSISTENT) - inconsistent ==
	      R_NR, "inconsistent lock state reports: %lu, want %d",
	      qspin_report_count(QSPIN_REPORT_INCONSISTENT) - inconsistent,
	      R_NR);
	CHECK(qspin_report_count(QSPIN_REPORT_DEADLOCK) - deadlocks == R_NR,
	      "same-CPU deadlock reports: %lu, want %d",
	      qspin_report_count(QSPIN_REPORT_DEADLOCK) - deadlocks, R_NR);
}

/* ---- the validator: one report of each kind this module can cause ---- */

/*
 * Each case checks that exactly the expected report type grew (by one)
 * and, where it matters, that the lock word was left as it was. Reports
 * are counted per type (qspin_report_count()); each case has its own
 * locks, so no case feeds another's classes. The lock-order cases (ABBA
 * and the irq-safe -> unsafe ones) live in the scenario matrix.
 */
static unsigned long counts_before[QSPIN_REPORT_NR];

static void counts_snapshot(void)
{
	int t;

	for (t = 0; t < QSPIN_REPORT_NR; t++)
		counts_before[t] = qspin_report_count(t);
}

/* Exactly one new report, of type `want` (QSPIN_REPORT_NR: none at all). */
static void counts_expect(enum qspin_report_type want, const char *what)
{
	int t;

	for (t = 0; t < QSPIN_REPORT_NR; t++) {
		unsigned long grew = qspin_report_count(t) - counts_before[t];

		CHECK(grew == (t == want ? 1 : 0),
		      "%s: report type %d grew by %lu", what, t, grew);
	}
}

/* A lock held by a kthread on another CPU until told. */
struct owner {
	qspinlock_t *lock;
	atomic_t state;		/* HELD_* */
};

static int owner_fn(void *arg)
{
	struct owner *o = arg;

	qspin_lock(o->lock);
	atomic_set(&o->state, HELD_TAKEN);
	while (atomic_read(&o->state) != HELD_RELEASE)
		cpu_relax();
	qspin_unlock(o->lock);
	atomic_set(&o->state, HELD_RELEASED);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

static struct task_struct *owner_start(struct owner *o, qspinlock_t *lock)
{
	struct task_struct *t;

	o->lock = lock;
	atomic_set(&o->state, HELD_WAIT);
	t = start_on(owner_fn, o, other_cpu(raw_smp_processor_id(), 0),
		     "qspin_owner");
	if (!IS_ERR(t))
		while (atomic_read(&o->state) != HELD_TAKEN)
			msleep(1);
	return t;
}

static void owner_stop(struct owner *o, struct task_struct *t)
{
	atomic_set(&o->state, HELD_RELEASE);
	while (atomic_read(&o->state) != HELD_RELEASED)
		msleep(1);
	stop_and_put(t);
}

static DEFINE_QSPINLOCK(aa_lock);

/* The same lock again: certain deadlock; qspin_lock_checked() backs off. */
static void validate_aa(void)
{
	int ret;

	counts_snapshot();
	qspin_lock(&aa_lock);
	ret = qspin_lock_checked(&aa_lock);
	CHECK(ret == -EDEADLK, "AA: qspin_lock_checked() returned %d", ret);
	CHECK(qspin_word_read(&aa_lock.word) == QSPIN_LOCKED_VAL, "word %x",
	      qspin_word_read(&aa_lock.word));
	qspin_unlock(&aa_lock);
	counts_expect(QSPIN_REPORT_DEADLOCK, "AA");
	CHECK(qspin_word_read(&aa_lock.word) == 0, "word %x",
	      qspin_word_read(&aa_lock.word));
}

struct two_locks {
	qspinlock_t lock;
	unsigned long data;
};

static struct two_locks rec_pair[2], nest_pair[2];

/* One call site each: one class for each pair. */
static void rec_pair_init(struct two_locks *p)
{
	qspin_lock_init(&p->lock);
}

static void nest_pair_init(struct two_locks *p)
{
	qspin_lock_init(&p->lock);
}

/* Two locks of one class: recursive, unless annotated with a subclass. */
static void validate_recursive(void)
{
	rec_pair_init(&rec_pair[0]);
	rec_pair_init(&rec_pair[1]);
	nest_pair_init(&nest_pair[0]);
	nest_pair_init(&nest_pair[1]);

	counts_snapshot();
	qspin_lock(&rec_pair[0].lock);
	qspin_lock(&rec_pair[1].lock);
	qspin_unlock(&rec_pair[1].lock);
	qspin_unlock(&rec_pair[0].lock);
	counts_expect(QSPIN_REPORT_RECURSIVE, "same class twice");

	counts_snapshot();
	qspin_lock(&nest_pair[0].lock);
	qspin_lock_nested(&nest_pair[1].lock, 1);
	qspin_unlock(&nest_pair[1].lock);
	qspin_unlock(&nest_pair[0].lock);
	counts_expect(QSPIN_REPORT_NR, "same class, qspin_lock_nested()");
}

static DEFINE_QSPINLOCK(unlocked_lock);
static DEFINE_QSPINLOCK(double_lock);
static DEFINE_QSPINLOCK(elsewhere_lock);

/* Releasing what is not held here: reported, the word left alone. */
static void validate_bad_unlock(void)
{
	struct task_struct *t;
	struct owner o;

	counts_snapshot();
	preempt_disable();	/* what the missing qspin_lock() would have done */
	qspin_unlock(&unlocked_lock);
	counts_expect(QSPIN_REPORT_BAD_UNLOCK, "unlock of a free lock");
	CHECK(qspin_word_read(&unlocked_lock.word) == 0, "word %x",
	      qspin_word_read(&unlocked_lock.word));

	/* Double unlock: the second one is the bad one. */
	counts_snapshot();
	qspin_lock(&double_lock);
	qspin_unlock(&double_lock);
	preempt_disable();
	qspin_unlock(&double_lock);
	counts_expect(QSPIN_REPORT_BAD_UNLOCK, "double unlock");
	CHECK(qspin_word_read(&double_lock.word) == 0, "word %x",
	      qspin_word_read(&double_lock.word));

	/* The same bad unlock again: counted, not reported again. */
	counts_snapshot();
	preempt_disable();
	qspin_unlock(&double_lock);
	counts_expect(QSPIN_REPORT_NR, "the same bad unlock again");

	if (num_online_cpus() < 2) {
		SKIP("unlock of a lock held elsewhere needs 2 CPUs");
		return;
	}
	t = owner_start(&o, &elsewhere_lock);
	if (IS_ERR(t)) {
		CHECK(0, "kthread_create failed");
		return;
	}
	counts_snapshot();
	preempt_disable();
	qspin_unlock(&elsewhere_lock);
	counts_expect(QSPIN_REPORT_BAD_UNLOCK, "unlock of a lock another CPU holds");
	CHECK(qspin_word_read(&elsewhere_lock.word) == QSPIN_LOCKED_VAL,
	      "the owner's word changed: %x",
	      qspin_word_read(&elsewhere_lock.word));
	owner_stop(&o, t);
	CHECK(qspin_word_read(&elsewhere_lock.word) == 0, "word %x",
	      qspin_word_read(&elsewhere_lock.word));
}

static struct two_locks reinit_obj;

/* Never initialised, not static; and init of a held lock. */
static void validate_init(void)
{
	qspinlock_t *l = kzalloc(sizeof(*l), GFP_KERNEL);

	if (!l) {
		CHECK(0, "no memory");
		return;
	}
	counts_snapshot();
	qspin_lock(l);
	qspin_unlock(l);
	counts_expect(QSPIN_REPORT_UNINITIALIZED, "allocated, never initialised");
	kfree(l);

	qspin_lock_init(&reinit_obj.lock);
	counts_snapshot();
	qspin_lock(&reinit_obj.lock);
	qspin_lock_init(&reinit_obj.lock);
	CHECK(qspin_word_read(&reinit_obj.lock.word) == QSPIN_LOCKED_VAL,
	      "init of a held lock changed its word: %x",
	      qspin_word_read(&reinit_obj.lock.word));
	qspin_unlock(&reinit_obj.lock);
	counts_expect(QSPIN_REPORT_HELD_REINIT, "init of a held lock");
}

/*
 * The seed's bug without the collision: task context takes the lock with
 * interrupts on, releases it; later a hardirq takes it (nobody holds it).
 * Nothing deadlocks, yet the two uses conflict: reported at once.
 */
static DEFINE_QSPINLOCK(inconsistent_lock);

static void inconsistent_irq_fn(struct irq_work *w)
{
	qspin_lock(&inconsistent_lock);
	qspin_unlock(&inconsistent_lock);
}
static struct irq_work inconsistent_irq_work =
	IRQ_WORK_INIT_HARD(inconsistent_irq_fn);

static DEFINE_QSPINLOCK(enabled_inside_lock);

static void enabled_inside_irq_fn(struct irq_work *w)
{
	qspin_lock(&enabled_inside_lock);
	qspin_unlock(&enabled_inside_lock);
}
static struct irq_work enabled_inside_irq_work =
	IRQ_WORK_INIT_HARD(enabled_inside_irq_fn);

static void validate_inconsistent(void)
{
	unsigned long flags;

	counts_snapshot();
	qspin_lock(&inconsistent_lock);
	qspin_unlock(&inconsistent_lock);
	irq_work_queue(&inconsistent_irq_work);
	irq_work_sync(&inconsistent_irq_work);
	counts_expect(QSPIN_REPORT_INCONSISTENT, "hardirq-safe, taken with irqs on");

	/*
	 * Taken with interrupts off, but the critical section turns them on:
	 * found at release (no irq-flag tracing on a stock kernel).
	 */
	counts_snapshot();
	irq_work_queue(&enabled_inside_irq_work);
	irq_work_sync(&enabled_inside_irq_work);
	qspin_lock_irqsave(&enabled_inside_lock, flags);
	local_irq_enable();
	qspin_unlock(&enabled_inside_lock);
	local_irq_restore(flags);
	counts_expect(QSPIN_REPORT_INCONSISTENT, "irqs enabled inside the section");
}

static DEFINE_QSPINLOCK(switch_lock);

/* Switched on while a lock is held: its unlock has no record, no report. */
static void validate_switch(void)
{
	struct task_struct *t;
	struct owner o;

	if (num_online_cpus() < 2) {
		SKIP("needs 2 CPUs");
		return;
	}
	CHECK(qspin_validate_set(false) == 0, "validate off");
	t = owner_start(&o, &switch_lock);
	if (IS_ERR(t)) {
		CHECK(0, "kthread_create failed");
		qspin_validate_set(true);
		return;
	}
	CHECK(qspin_validate_set(true) == 0, "validate on");
	counts_snapshot();
	owner_stop(&o, t);
	counts_expect(QSPIN_REPORT_NR, "unlock of a lock taken before the switch");
	CHECK(qspin_word_read(&switch_lock.word) == 0, "word %x",
	      qspin_word_read(&switch_lock.word));
}

/*
 * More locks held at once in one context than the held stack's 16 slots:
 * the pool-full report, once; the rest still locks and unlocks. Each
 * element of a static array is a class of its own (no recursion report).
 * After a reset, so that an earlier load's pool-full report (its key is
 * the pool, kept across module loads) does not hide this one.
 */
#define DEEP_LOCKS 17
static qspinlock_t deep_locks[DEEP_LOCKS];

static void validate_pool_full(void)
{
	int i;

	qspin_validate_reset();
	counts_snapshot();
	for (i = 0; i < DEEP_LOCKS; i++)
		qspin_lock(&deep_locks[i]);
	for (i = DEEP_LOCKS - 1; i >= 0; i--)
		qspin_unlock(&deep_locks[i]);
	counts_expect(QSPIN_REPORT_POOL_FULL, "17 locks held in one context");
	for (i = 0; i < DEEP_LOCKS; i++)
		CHECK(qspin_word_read(&deep_locks[i].word) == 0, "lock %d word %x",
		      i, qspin_word_read(&deep_locks[i].word));
}

static DEFINE_QSPINLOCK(abba_a);
static DEFINE_QSPINLOCK(abba_b);
static DEFINE_QSPINLOCK(try_a);
static DEFINE_QSPINLOCK(try_b);

static void validate_abba(void)
{
	counts_snapshot();
	qspin_lock(&abba_a);
	qspin_lock(&abba_b);
	qspin_unlock(&abba_b);
	qspin_unlock(&abba_a);
	qspin_lock(&abba_b);
	qspin_lock(&abba_a);
	qspin_unlock(&abba_a);
	qspin_unlock(&abba_b);
	counts_expect(QSPIN_REPORT_CIRCULAR, "ABBA");
	/* A then trylock B, B then A: the trylock adds no dependency A -> B. */
	counts_snapshot();
	qspin_lock(&try_a);
	if (qspin_trylock(&try_b))
		qspin_unlock(&try_b);
	qspin_unlock(&try_a);
	qspin_lock(&try_b);
	qspin_lock(&try_a);
	qspin_unlock(&try_a);
	qspin_unlock(&try_b);
	counts_expect(QSPIN_REPORT_NR, "A, trylock B; B, A");
}

static void test_validator(void)
{
	if (!qspin_validate_active()) {
		SKIP("the validator is off (qspin.ko validate=0)");
		return;
	}
	validate_aa();
	validate_recursive();
	validate_bad_unlock();
	validate_init();
	validate_inconsistent();
	validate_switch();
	validate_pool_full();
	validate_abba();
}

/* ---- qspin's stats, read the way a user does ------------------------ */

/*
 * qspin.ko keeps per-CPU counters and shows their sums in debugfs; the
 * test reads them through the exported reader so it needs no file I/O.
 */
static unsigned long stat_of(const char *name)
{
	return qspin_stat_read(name);
}

static void selftest(void)
{
	/*
	 * Stay on one CPU throughout: the multi-CPU tests bind their
	 * kthreads to the other CPUs and must not find this task there.
	 */
	cpumask_var_t saved;
	bool pinned = alloc_cpumask_var(&saved, GFP_KERNEL);

	if (pinned) {
		cpumask_copy(saved, current->cpus_ptr);
		pinned = !set_cpus_allowed_ptr(current,
					       cpumask_of(raw_smp_processor_id()));
	}
	CHECK(pinned, "could not pin the test task to one CPU");

	test_trylock();
	test_state_matrix();
	test_is_contended();
	test_nesting();
	test_mutual_exclusion();
	/* First: it resets the validator, the reports below stay for qspin_unwind.sh. */
	test_validator();
	test_reports_name_callers();

	if (pinned)
		set_cpus_allowed_ptr(current, saved);
	free_cpumask_var(saved);
}

KSTM_MODULE_LOADERS(test_qspin);
MODULE_AUTHOR("qspin developers");
MODULE_DESCRIPTION("In-kernel tests of qspin's spinlock API");
MODULE_LICENSE("GPL");
