// SPDX-License-Identifier: GPL-2.0
/*
 * qspin-torture.ko: locktorture's method and output, for qspin and, through
 * the same harness, for the kernel's own spinlock_t (torture_type=native).
 *
 * Who takes which lock, with which variant (the variant each context needs
 * so that one CPU never spins on a lock its own interrupted context holds):
 *
 *   lock   kthreads            softirq             hardirq     NMI
 *   all    _irqsave, _irq      _irqsave (hrtimer)  plain (hrtimer, hard)
 *   bh     _bh                 plain (hrtimer)
 *   task   plain
 *   soft                       plain (tasklet)
 *   hard                                           plain (IPI)
 *   nmi                                                        plain
 *
 * "all" and "bh" check mutual exclusion across contexts. The per-level
 * locks task/soft/hard/nmi are taken with interrupts and BH enabled, so a
 * waiter can be interrupted while it waits and the interrupting context
 * waits on the next level's lock on the same CPU: the slow paths nest
 * (qspin's stats nested_depth2..4). To make that frequent rather than
 * lucky, the holder of a level's lock kicks the CPUs that are waiting on
 * that level, from inside its critical section: an IPI that schedules the
 * tasklet (task -> soft), an IPI whose handler takes "hard" (soft -> hard),
 * an NMI (hard -> nmi). All kicked CPUs arrive at once, so the next level's
 * lock sees a holder, a pending waiter and queued waiters.
 *
 * Checks, for every lock: an owner sentinel set and verified inside every
 * critical section (mutual exclusion), a plain counter incremented under
 * the lock that must equal the sum of every writer's own acquisition count
 * at the end, and the lock word 0 at the end.
 *
 * Output, as locktorture's: "--- Start of test" with the parameters,
 * periodic and final "Writes:  Total: N  Max/Min: a/b  Fail: f" lines (Max
 * and Min over the writer kthreads; Total over every context), then
 * "--- End of test: SUCCESS" or "FAILURE" with the parameters.
 */
#define pr_fmt(fmt) "qspin-torture: " fmt

#include <linux/atomic.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/interrupt.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <asm/apic.h>
#include <asm/nmi.h>

#include <qspin.h>

/* ---- parameters ------------------------------------------------------ */

static char torture_type[16] = "qspin";
module_param_string(torture_type, torture_type, sizeof(torture_type), 0444);
MODULE_PARM_DESC(torture_type, "Lock under test: qspin or native (the kernel's spinlock_t)");

static int nwriters = -1;
module_param(nwriters, int, 0444);
MODULE_PARM_DESC(nwriters, "Writer kthreads (default -1: 2 per online CPU)");

static int duration;
module_param(duration, int, 0444);
MODULE_PARM_DESC(duration, "Seconds to run, then check and report (0: until rmmod)");

static int stat_interval = 10;
module_param(stat_interval, int, 0444);
MODULE_PARM_DESC(stat_interval, "Seconds between statistics lines (0: only the final one)");

static int short_hold_us = 5;
module_param(short_hold_us, int, 0444);
MODULE_PARM_DESC(short_hold_us, "Usual hold time: udelay of 0..N us");

static int long_hold_ms = 2;
module_param(long_hold_ms, int, 0444);
MODULE_PARM_DESC(long_hold_ms, "Rare long hold time in ms (kthreads only)");

static int long_hold_freq = 20000;
module_param(long_hold_freq, int, 0444);
MODULE_PARM_DESC(long_hold_freq, "One kthread acquisition in N holds long (0: never)");

static int sleep_freq = 2000;
module_param(sleep_freq, int, 0444);
MODULE_PARM_DESC(sleep_freq, "One kthread acquisition in N is followed by a sleep (0: never)");

static int irq_interval_us = 500;
module_param(irq_interval_us, int, 0444);
MODULE_PARM_DESC(irq_interval_us, "Period of the per-CPU softirq and hardirq hrtimer acquirers (0: none)");

static bool nest = true;
module_param(nest, bool, 0444);
MODULE_PARM_DESC(nest, "Per-level locks with kicks so slow paths nest on one CPU (default on)");

static bool nmi = true;
module_param(nmi, bool, 0444);
MODULE_PARM_DESC(nmi, "NMI level of the nesting (default on; off with onoff_interval)");

static int onoff_interval;
module_param(onoff_interval, int, 0444);
MODULE_PARM_DESC(onoff_interval, "Seconds between CPU offline/online operations (0: no hotplug)");

static int stutter;
module_param(stutter, int, 0444);
MODULE_PARM_DESC(stutter, "Run N seconds, pause all writers N seconds, repeat (0: never pause)");

static bool verbose;
module_param(verbose, bool, 0444);
MODULE_PARM_DESC(verbose, "Per-writer counts in the statistics");

/* ---- the lock, either kind --------------------------------------------- */

enum tlock_id { L_ALL, L_BH, L_TASK, L_SOFT, L_HARD, L_NMI, NR_TLOCKS };

static const char *const tlock_names[NR_TLOCKS] = {
	"all", "bh", "task", "soft", "hard", "nmi",
};

struct tlock {
	union {
		qspinlock_t q;
		spinlock_t s;
	};
	void *owner;		/* sentinel: who is inside */
	unsigned long counter;	/* plain increment, under the lock */
} ____cacheline_aligned_in_smp;

static struct tlock tlocks[NR_TLOCKS];
static bool native;

/* Sparse cannot follow the either-or; the context is balanced by pairs. */
static __always_inline void tl_lock(struct tlock *l)
{
	if (native)
		spin_lock(&l->s);
	else
		qspin_lock(&l->q);
}

static __always_inline void tl_unlock(struct tlock *l)
{
	if (native)
		spin_unlock(&l->s);
	else
		qspin_unlock(&l->q);
}

static __always_inline unsigned long tl_lock_irqsave(struct tlock *l)
{
	unsigned long flags;

	if (native)
		spin_lock_irqsave(&l->s, flags);
	else
		qspin_lock_irqsave(&l->q, flags);
	return flags;
}

static __always_inline void tl_unlock_irqrestore(struct tlock *l,
						 unsigned long flags)
{
	if (native)
		spin_unlock_irqrestore(&l->s, flags);
	else
		qspin_unlock_irqrestore(&l->q, flags);
}

static __always_inline void tl_lock_irq(struct tlock *l)
{
	if (native)
		spin_lock_irq(&l->s);
	else
		qspin_lock_irq(&l->q);
}

static __always_inline void tl_unlock_irq(struct tlock *l)
{
	if (native)
		spin_unlock_irq(&l->s);
	else
		qspin_unlock_irq(&l->q);
}

static __always_inline void tl_lock_bh(struct tlock *l)
{
	if (native)
		spin_lock_bh(&l->s);
	else
		qspin_lock_bh(&l->q);
}

static __always_inline void tl_unlock_bh(struct tlock *l)
{
	if (native)
		spin_unlock_bh(&l->s);
	else
		qspin_unlock_bh(&l->q);
}

static u32 tl_word(struct tlock *l)
{
	if (native)
		return atomic_read(&l->s.rlock.raw_lock.val);
	return qspin_word_read(&l->q.word);
}

/* ---- writers: kthreads and per-CPU interrupt contexts ------------------ */

/* One serialized acquirer: a kthread, or one CPU's context of one kind. */
struct twriter {
	unsigned long acq[NR_TLOCKS];	/* only this writer writes these */
	u32 rnd;			/* xorshift state: NMI-safe */
};

struct kwriter {
	struct twriter w;
	struct task_struct *task;
	int id;
};

enum nest_level { LV_TASK, LV_SOFT, LV_HARD, NR_LEVELS };

/* Per CPU: the interrupt-context writers and the nesting machinery. */
struct tcpu {
	struct twriter soft_timer;	/* hrtimer, softirq: "all", "bh" */
	struct twriter hard_timer;	/* hrtimer, hardirq: "all" */
	struct twriter soft_nest;	/* tasklet: "soft" */
	struct twriter hard_nest;	/* IPI: "hard" */
	struct twriter nmi_nest;	/* NMI: "nmi" */
	struct hrtimer soft_hrt;
	struct hrtimer hard_hrt;
	struct tasklet_struct tasklet;
	call_single_data_t csd_soft;	/* IPI that schedules the tasklet */
	call_single_data_t csd_hard;	/* IPI that takes "hard" */
	int waiting[NR_LEVELS];		/* this CPU waits on that level */
	atomic_t nmi_kick;		/* one of our NMIs is on its way */
	int cpu;
} ____cacheline_aligned_in_smp;

static struct kwriter *kwriters;
static int nkwriters;
static struct tcpu *tcpus;
static struct task_struct *stats_task;
static struct task_struct *onoff_task;

static atomic_t fails;			/* mutual exclusion violations */
static atomic_long_t kicks[NR_LEVELS];
static atomic_long_t onoff_ok, onoff_fail;
static int stopping;			/* no new acquisitions, no kicks */
static int paused;			/* stutter */
static bool nmi_registered;
static bool timers_started;
static unsigned long start_jiffies;
static DEFINE_MUTEX(end_mutex);
static bool ended;

static u32 wrand(struct twriter *w)
{
	u32 x = w->rnd;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	w->rnd = x;
	return x;
}

/* Inside every critical section: the sentinel and the counters. */
static __always_inline void cs_enter(struct tlock *l, struct twriter *w,
				     enum tlock_id id)
{
	if (READ_ONCE(l->owner))
		atomic_inc(&fails);
	WRITE_ONCE(l->owner, w);
	l->counter++;
	w->acq[id]++;
}

static __always_inline void cs_exit(struct tlock *l, struct twriter *w)
{
	if (READ_ONCE(l->owner) != w)
		atomic_inc(&fails);
	WRITE_ONCE(l->owner, NULL);
}

static void short_hold(struct twriter *w)
{
	if (short_hold_us > 0)
		udelay(wrand(w) % (short_hold_us + 1));
}

/* ---- nesting: per-level locks and kicks ------------------------------- */

/* The holder of `level` interrupts the CPUs waiting on that level. */
static void kick_waiters(enum nest_level level)
{
	int self = smp_processor_id(), cpu;

	if (READ_ONCE(stopping))
		return;
	for_each_online_cpu(cpu) {
		struct tcpu *t = &tcpus[cpu];

		/*
		 * An NMI also goes to the holder itself: one more contender
		 * on "nmi", so that the others' NMIs queue there.
		 */
		if (!(level == LV_HARD && cpu == self) &&
		    (cpu == self || !READ_ONCE(t->waiting[level])))
			continue;
		switch (level) {
		case LV_TASK:
			if (!smp_call_function_single_async(cpu, &t->csd_soft))
				atomic_long_inc(&kicks[level]);
			break;
		case LV_SOFT:
			if (!smp_call_function_single_async(cpu, &t->csd_hard))
				atomic_long_inc(&kicks[level]);
			break;
		case LV_HARD:
			if (nmi_registered &&
			    atomic_cmpxchg(&t->nmi_kick, 0, 1) == 0) {
				apic->send_IPI(cpu, NMI_VECTOR);
				atomic_long_inc(&kicks[level]);
			}
			break;
		default:
			break;
		}
	}
}

/* NMI: take "nmi" (only NMIs take it; NMIs do not nest). */
static int torture_nmi_handler(unsigned int type, struct pt_regs *regs)
{
	struct tcpu *t = &tcpus[smp_processor_id()];
	struct tlock *l = &tlocks[L_NMI];

	if (!atomic_read(&t->nmi_kick))
		return NMI_DONE;
	if (!READ_ONCE(stopping)) {
		tl_lock(l);
		cs_enter(l, &t->nmi_nest, L_NMI);
		udelay(3);
		cs_exit(l, &t->nmi_nest);
		tl_unlock(l);
	}
	atomic_set(&t->nmi_kick, 0);
	return NMI_HANDLED;
}

/* IPI, hardirq: take "hard", and from inside kick its other waiters. */
static void hard_nest_fn(void *info)
{
	struct tcpu *t = info;
	struct tlock *l = &tlocks[L_HARD];
	int i;

	/* A few rounds: the longer this level is busy, the more waiters. */
	for (i = 0; i < 2 && !READ_ONCE(stopping); i++) {
		WRITE_ONCE(t->waiting[LV_HARD], 1);
		tl_lock(l);
		WRITE_ONCE(t->waiting[LV_HARD], 0);
		cs_enter(l, &t->hard_nest, L_HARD);
		kick_waiters(LV_HARD);
		udelay(3 + wrand(&t->hard_nest) % 6);
		cs_exit(l, &t->hard_nest);
		tl_unlock(l);
	}
}

/* Tasklet, softirq with IRQs on: take "soft" and kick its waiters. */
static void soft_nest_fn(struct tasklet_struct *tl)
{
	struct tcpu *t = from_tasklet(t, tl, tasklet);
	struct tlock *l = &tlocks[L_SOFT];
	int i;

	for (i = 0; i < 4 && !READ_ONCE(stopping); i++) {
		WRITE_ONCE(t->waiting[LV_SOFT], 1);
		tl_lock(l);
		WRITE_ONCE(t->waiting[LV_SOFT], 0);
		cs_enter(l, &t->soft_nest, L_SOFT);
		kick_waiters(LV_SOFT);
		udelay(5 + wrand(&t->soft_nest) % 11);
		cs_exit(l, &t->soft_nest);
		tl_unlock(l);
	}
}

/* IPI, hardirq: the softirq level runs on this CPU's way out of it. */
static void soft_kick_fn(void *info)
{
	struct tcpu *t = info;

	if (!READ_ONCE(stopping))
		tasklet_schedule(&t->tasklet);
}

/* ---- periodic interrupt-context acquirers ----------------------------- */

static enum hrtimer_restart soft_timer_fn(struct hrtimer *hrt)
{
	struct tcpu *t = container_of(hrt, struct tcpu, soft_hrt);
	struct twriter *w = &t->soft_timer;
	unsigned long flags;
	struct tlock *l;

	if (READ_ONCE(stopping))
		return HRTIMER_NORESTART;
	if (!READ_ONCE(paused)) {
		/* "all" is also taken in hardirq: exclude it. */
		l = &tlocks[L_ALL];
		flags = tl_lock_irqsave(l);
		cs_enter(l, w, L_ALL);
		short_hold(w);
		cs_exit(l, w);
		tl_unlock_irqrestore(l, flags);

		/* "bh" is never taken in hardirq: plain is enough. */
		l = &tlocks[L_BH];
		tl_lock(l);
		cs_enter(l, w, L_BH);
		short_hold(w);
		cs_exit(l, w);
		tl_unlock(l);
	}
	hrtimer_forward_now(hrt, ns_to_ktime(irq_interval_us * 1000ULL));
	return HRTIMER_RESTART;
}

static enum hrtimer_restart hard_timer_fn(struct hrtimer *hrt)
{
	struct tcpu *t = container_of(hrt, struct tcpu, hard_hrt);
	struct twriter *w = &t->hard_timer;
	struct tlock *l = &tlocks[L_ALL];

	if (READ_ONCE(stopping))
		return HRTIMER_NORESTART;
	if (!READ_ONCE(paused)) {
		tl_lock(l);
		cs_enter(l, w, L_ALL);
		short_hold(w);
		cs_exit(l, w);
		tl_unlock(l);
	}
	/* Not a multiple of the softirq's period: they drift past each other. */
	hrtimer_forward_now(hrt, ns_to_ktime((irq_interval_us + 37) * 1000ULL));
	return HRTIMER_RESTART;
}

static void start_timers_on_cpu(void *info)
{
	struct tcpu *t = &tcpus[smp_processor_id()];
	u64 ofs = (u64)(t->cpu * 61 + 13) * NSEC_PER_USEC;

	hrtimer_start(&t->soft_hrt, ns_to_ktime(irq_interval_us * 1000ULL + ofs),
		      HRTIMER_MODE_REL_PINNED_SOFT);
	hrtimer_start(&t->hard_hrt, ns_to_ktime(irq_interval_us * 1000ULL + ofs / 2),
		      HRTIMER_MODE_REL_PINNED_HARD);
}

/* ---- writer kthreads ---------------------------------------------------- */

static void wait_while_paused(void)
{
	while (READ_ONCE(paused) && !kthread_should_stop())
		schedule_timeout_interruptible(HZ / 20);
}

static void task_hold(struct twriter *w)
{
	if (long_hold_freq > 0 && long_hold_ms > 0 &&
	    wrand(w) % long_hold_freq == 0)
		mdelay(long_hold_ms);
	else
		short_hold(w);
}

static int writer_fn(void *arg)
{
	struct kwriter *kw = arg;
	struct twriter *w = &kw->w;
	unsigned long flags;
	struct tlock *l;
	u32 r;

	while (!kthread_should_stop()) {
		wait_while_paused();
		r = wrand(w) % 100;
		if (r < 30) {
			l = &tlocks[L_ALL];
			flags = tl_lock_irqsave(l);
			cs_enter(l, w, L_ALL);
			task_hold(w);
			cs_exit(l, w);
			tl_unlock_irqrestore(l, flags);
		} else if (r < 45) {
			l = &tlocks[L_ALL];
			tl_lock_irq(l);
			cs_enter(l, w, L_ALL);
			task_hold(w);
			cs_exit(l, w);
			tl_unlock_irq(l);
		} else if (r < 55 || !nest) {
			l = &tlocks[L_BH];
			tl_lock_bh(l);
			cs_enter(l, w, L_BH);
			task_hold(w);
			cs_exit(l, w);
			tl_unlock_bh(l);
		} else {
			/* IRQs and BH on: the level where nesting starts. */
			struct tcpu *t;

			l = &tlocks[L_TASK];
			preempt_disable();
			t = &tcpus[smp_processor_id()];
			WRITE_ONCE(t->waiting[LV_TASK], 1);
			tl_lock(l);
			WRITE_ONCE(t->waiting[LV_TASK], 0);
			cs_enter(l, w, L_TASK);
			kick_waiters(LV_TASK);
			/* Long enough for the kicked waiters to stay queued. */
			udelay(10 + wrand(w) % 11);
			task_hold(w);
			cs_exit(l, w);
			tl_unlock(l);
			preempt_enable();
		}
		if (sleep_freq > 0 && wrand(w) % sleep_freq == 0)
			schedule_timeout_interruptible(1 + wrand(w) % 3);
		cond_resched();
	}
	return 0;
}

/* ---- hotplug ------------------------------------------------------------ */

static int onoff_fn(void *arg)
{
	u32 rnd = 0x9e3779b9;

	while (!kthread_should_stop()) {
		int cpu, n = num_online_cpus();

		schedule_timeout_interruptible(onoff_interval * HZ);
		if (kthread_should_stop() || READ_ONCE(stopping))
			break;
		if (n < 2)
			continue;
		rnd = rnd * 1103515245 + 12345;
		cpu = 1 + (rnd >> 8) % (nr_cpu_ids - 1);
		if (!cpu_online(cpu))
			continue;
		if (remove_cpu(cpu)) {
			atomic_long_inc(&onoff_fail);
			continue;
		}
		schedule_timeout_interruptible(max(1, onoff_interval / 2) * HZ);
		if (add_cpu(cpu))
			atomic_long_inc(&onoff_fail);
		else
			atomic_long_inc(&onoff_ok);
	}
	return 0;
}

/* ---- statistics and the end --------------------------------------------- */

static unsigned long writer_total(struct twriter *w)
{
	unsigned long sum = 0;
	int i;

	for (i = 0; i < NR_TLOCKS; i++)
		sum += READ_ONCE(w->acq[i]);
	return sum;
}

static void print_params(const char *tag)
{
	pr_alert("%s-torture:--- %s: torture_type=%s nwriters=%d duration=%d stat_interval=%d short_hold_us=%d long_hold_ms=%d long_hold_freq=%d sleep_freq=%d irq_interval_us=%d nest=%d nmi=%d onoff_interval=%d stutter=%d cpus=%u\n",
		 torture_type, tag, torture_type, nkwriters, duration,
		 stat_interval, short_hold_us, long_hold_ms, long_hold_freq,
		 sleep_freq, irq_interval_us, nest, nmi_registered,
		 onoff_interval, stutter, num_online_cpus());
}

static void print_stats(const char *when)
{
	unsigned long sum = 0, max = 0, min = ULONG_MAX, n;
	unsigned long ctx[5] = { 0 }, per_lock[NR_TLOCKS] = { 0 };
	int i, cpu, fail = atomic_read(&fails);

	for (i = 0; i < nkwriters; i++) {
		n = writer_total(&kwriters[i].w);
		sum += n;
		max = max(max, n);
		min = min(min, n);
		if (verbose)
			pr_info("writer %d: %lu\n", i, n);
	}
	if (!nkwriters)
		min = 0;
	for_each_possible_cpu(cpu) {
		struct tcpu *t = &tcpus[cpu];
		struct twriter *ws[5] = { &t->soft_timer, &t->hard_timer,
					  &t->soft_nest, &t->hard_nest,
					  &t->nmi_nest };

		for (i = 0; i < 5; i++)
			ctx[i] += writer_total(ws[i]);
	}
	for (i = 0; i < 5; i++)
		sum += ctx[i];
	for (i = 0; i < NR_TLOCKS; i++)
		per_lock[i] = READ_ONCE(tlocks[i].counter);

	pr_alert("%s-torture: %sWrites:  Total: %lu  Max/Min: %lu/%lu %s  Fail: %d %s\n",
		 torture_type, when, sum, max, min,
		 !onoff_interval && !stutter && max / 2 > min ? "???" : "",
		 fail, fail ? "!!!" : "");
	pr_alert("%s-torture: Contexts: kthreads %lu softirq_timer %lu hardirq_timer %lu softirq_nest %lu hardirq_nest %lu nmi_nest %lu kicks %ld/%ld/%ld onoff %ld/%ld\n",
		 torture_type, sum - ctx[0] - ctx[1] - ctx[2] - ctx[3] - ctx[4],
		 ctx[0], ctx[1], ctx[2], ctx[3], ctx[4],
		 atomic_long_read(&kicks[LV_TASK]),
		 atomic_long_read(&kicks[LV_SOFT]),
		 atomic_long_read(&kicks[LV_HARD]),
		 atomic_long_read(&onoff_ok), atomic_long_read(&onoff_fail));
	pr_alert("%s-torture: Locks: all %lu bh %lu task %lu soft %lu hard %lu nmi %lu\n",
		 torture_type, per_lock[L_ALL], per_lock[L_BH], per_lock[L_TASK],
		 per_lock[L_SOFT], per_lock[L_HARD], per_lock[L_NMI]);
}

/* Wait (bounded) until no IPI of ours is queued and no NMI is on its way. */
static void quiesce(void)
{
	unsigned long deadline = jiffies + 5 * HZ;
	int cpu;

	/* Everybody who read stopping == 0 has sent what it sends. */
	synchronize_rcu();
	for_each_possible_cpu(cpu) {
		struct tcpu *t = &tcpus[cpu];

		/* Acquire pairs with csd_unlock()'s release in the IPI path. */
		while ((smp_load_acquire(&t->csd_soft.node.u_flags) & CSD_FLAG_LOCK ||
			smp_load_acquire(&t->csd_hard.node.u_flags) & CSD_FLAG_LOCK ||
			atomic_read(&t->nmi_kick)) &&
		       time_before(jiffies, deadline))
			schedule_timeout_uninterruptible(1);
		if (atomic_read(&t->nmi_kick))
			pr_warn("cpu %d: an NMI kick never arrived\n", cpu);
	}
	/* Async callbacks run after their csd is unlocked: let them finish. */
	synchronize_rcu();
	for_each_possible_cpu(cpu)
		tasklet_kill(&tcpus[cpu].tasklet);
	synchronize_rcu();
}

/*
 * Stop every writer, check, print the end. Once; from the stats thread
 * (duration) or from rmmod.
 */
static void torture_end(void)
{
	bool failed = false;
	int i, cpu;

	mutex_lock(&end_mutex);
	if (ended) {
		mutex_unlock(&end_mutex);
		return;
	}
	WRITE_ONCE(stopping, 1);
	WRITE_ONCE(paused, 0);
	if (onoff_task)
		kthread_stop(onoff_task);
	onoff_task = NULL;
	for (i = 0; i < nkwriters; i++) {
		if (kwriters[i].task)
			kthread_stop(kwriters[i].task);
		kwriters[i].task = NULL;
	}
	if (timers_started) {
		for_each_possible_cpu(cpu) {
			hrtimer_cancel(&tcpus[cpu].soft_hrt);
			hrtimer_cancel(&tcpus[cpu].hard_hrt);
		}
	}
	quiesce();

	print_stats("");
	for (i = 0; i < NR_TLOCKS; i++) {
		unsigned long sum = 0;
		u32 word = tl_word(&tlocks[i]);

		for (cpu = 0; cpu < nkwriters; cpu++)
			sum += kwriters[cpu].w.acq[i];
		for_each_possible_cpu(cpu) {
			struct tcpu *t = &tcpus[cpu];

			sum += t->soft_timer.acq[i] + t->hard_timer.acq[i] +
			       t->soft_nest.acq[i] + t->hard_nest.acq[i] +
			       t->nmi_nest.acq[i];
		}
		if (sum != tlocks[i].counter) {
			pr_alert("lock %s: counter %lu != sum of acquisitions %lu\n",
				 tlock_names[i], tlocks[i].counter, sum);
			failed = true;
		}
		if (word) {
			pr_alert("lock %s: lock word %#x at the end, not 0\n",
				 tlock_names[i], word);
			failed = true;
		}
		if (tlocks[i].owner) {
			pr_alert("lock %s: owner sentinel still set\n",
				 tlock_names[i]);
			failed = true;
		}
	}
	if (atomic_read(&fails))
		failed = true;
	if (onoff_interval && atomic_long_read(&onoff_fail))
		pr_alert("%ld CPU hotplug operations failed\n",
			 atomic_long_read(&onoff_fail));
	print_params(failed ? "End of test: FAILURE" : "End of test: SUCCESS");
	ended = true;
	mutex_unlock(&end_mutex);
}

static int stats_fn(void *arg)
{
	unsigned long next_stat = jiffies + stat_interval * HZ;
	unsigned long end = start_jiffies + duration * HZ;
	unsigned long next_stutter = jiffies + stutter * HZ;

	while (!kthread_should_stop()) {
		schedule_timeout_interruptible(HZ / 10);
		if (READ_ONCE(ended))
			continue;
		if (duration && time_after_eq(jiffies, end)) {
			torture_end();
			continue;
		}
		if (stutter && time_after_eq(jiffies, next_stutter)) {
			WRITE_ONCE(paused, !paused);
			next_stutter = jiffies + stutter * HZ;
		}
		if (stat_interval && time_after_eq(jiffies, next_stat)) {
			print_stats("");
			next_stat = jiffies + stat_interval * HZ;
		}
	}
	return 0;
}

/* ---- module init / exit ---------------------------------------------------- */

static void torture_free(void)
{
	kfree(kwriters);
	kfree(tcpus);
	kwriters = NULL;
	tcpus = NULL;
}

static int __init torture_init(void)
{
	int i, cpu, ret = 0;

	if (!strcmp(torture_type, "native")) {
		native = true;
	} else if (strcmp(torture_type, "qspin")) {
		pr_alert("torture_type=%s: must be qspin or native\n",
			 torture_type);
		return -EINVAL;
	}
	for (i = 0; i < NR_TLOCKS; i++) {
		if (native)
			spin_lock_init(&tlocks[i].s);
		else
			qspin_lock_init(&tlocks[i].q);
		tlocks[i].owner = NULL;
		tlocks[i].counter = 0;
	}
	nkwriters = nwriters >= 0 ? nwriters : 2 * num_online_cpus();
	if (onoff_interval > 0)
		nmi = false;	/* an NMI kick must not chase a dying CPU */

	tcpus = kcalloc(nr_cpu_ids, sizeof(*tcpus), GFP_KERNEL);
	kwriters = kcalloc(max(nkwriters, 1), sizeof(*kwriters), GFP_KERNEL);
	if (!tcpus || !kwriters) {
		torture_free();
		return -ENOMEM;
	}
	for_each_possible_cpu(cpu) {
		struct tcpu *t = &tcpus[cpu];
		struct twriter *ws[5] = { &t->soft_timer, &t->hard_timer,
					  &t->soft_nest, &t->hard_nest,
					  &t->nmi_nest };

		t->cpu = cpu;
		for (i = 0; i < 5; i++)
			ws[i]->rnd = 0x2545f491 * (cpu * 5 + i + 1);
		hrtimer_init(&t->soft_hrt, CLOCK_MONOTONIC,
			     HRTIMER_MODE_REL_PINNED_SOFT);
		t->soft_hrt.function = soft_timer_fn;
		hrtimer_init(&t->hard_hrt, CLOCK_MONOTONIC,
			     HRTIMER_MODE_REL_PINNED_HARD);
		t->hard_hrt.function = hard_timer_fn;
		tasklet_setup(&t->tasklet, soft_nest_fn);
		INIT_CSD(&t->csd_soft, soft_kick_fn, t);
		INIT_CSD(&t->csd_hard, hard_nest_fn, t);
		atomic_set(&t->nmi_kick, 0);
	}
	atomic_set(&fails, 0);
	stopping = 0;
	paused = 0;
	ended = false;
	start_jiffies = jiffies;

	if (nest && nmi) {
		ret = register_nmi_handler(NMI_LOCAL, torture_nmi_handler, 0,
					   "qspin_torture");
		if (ret) {
			pr_warn("no NMI handler (%d): nesting stops at hardirq\n",
				ret);
			ret = 0;
		} else {
			nmi_registered = true;
		}
	}
	print_params("Start of test");

	for (i = 0; i < nkwriters; i++) {
		struct kwriter *kw = &kwriters[i];

		kw->id = i;
		kw->w.rnd = 0x6c078965 * (i + 1) + 1;
		kw->task = kthread_run(writer_fn, kw, "qspin_torture_w%d", i);
		if (IS_ERR(kw->task)) {
			ret = PTR_ERR(kw->task);
			kw->task = NULL;
			goto fail;
		}
	}
	if (irq_interval_us > 0) {
		timers_started = true;
		on_each_cpu(start_timers_on_cpu, NULL, 1);
	}
	if (onoff_interval > 0) {
		onoff_task = kthread_run(onoff_fn, NULL, "qspin_torture_onoff");
		if (IS_ERR(onoff_task)) {
			ret = PTR_ERR(onoff_task);
			onoff_task = NULL;
			goto fail;
		}
	}
	stats_task = kthread_run(stats_fn, NULL, "qspin_torture_stats");
	if (IS_ERR(stats_task)) {
		ret = PTR_ERR(stats_task);
		stats_task = NULL;
		goto fail;
	}
	return 0;

fail:
	torture_end();
	if (nmi_registered)
		unregister_nmi_handler(NMI_LOCAL, "qspin_torture");
	nmi_registered = false;
	torture_free();
	return ret;
}

static void __exit torture_exit(void)
{
	if (stats_task)
		kthread_stop(stats_task);
	torture_end();
	if (nmi_registered)
		unregister_nmi_handler(NMI_LOCAL, "qspin_torture");
	nmi_registered = false;
	torture_free();
}

module_init(torture_init);
module_exit(torture_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("qspin torture test: locktorture's method for qspin and spinlock_t");
