// SPDX-License-Identifier: GPL-2.0
/*
 * qspin-torture.ko: locktorture's method and output, for qspin and, through
 * the same harness, for the kernel's own spinlock_t (torture_type=native).
 * This file is the harness: parameters, writers, statistics, the
 * end-of-run checks and the module's init/exit; CPU hotplug is onoff.c.
 * The lock types are ops
 * vectors in lock_ops.c; the nesting levels and their kicks are in nest.c.
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
 * "all" and "bh" check mutual exclusion across contexts; task/soft/hard/nmi
 * make the slow paths nest on one CPU (nest.c).
 *
 * Checks, for every lock: an owner sentinel set and verified inside every
 * critical section (mutual exclusion), a plain counter incremented under
 * the lock that must equal the sum of every writer's own acquisition count
 * at the end, and the lock free at the end (the ops vector's is_locked and
 * is_contended).
 *
 * Output, as locktorture's: "--- Start of test" with the parameters,
 * periodic and final "Writes:  Total: N  Max/Min: a/b  Fail: f" lines (Max
 * and Min over the writer kthreads; Total over every context), then
 * "--- End of test: SUCCESS" or "FAILURE" with the parameters.
 */
#define pr_fmt(fmt) "qspin-torture: " fmt

#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include <qspin/debug.h>
#include "param_range.h"
#include "torture.h"

/* ---- parameters ------------------------------------------------------ */

#define torture_param(type, name, init, msg)		\
	static type name = init;			\
	module_param(name, type, 0444);			\
	MODULE_PARM_DESC(name, msg)

static char torture_type[16] = "qspin";
module_param_string(torture_type, torture_type, sizeof(torture_type), 0444);
MODULE_PARM_DESC(torture_type, "Lock under test: qspin or native (the kernel's spinlock_t; raw_spinlock_t on PREEMPT_RT)");

torture_param(int, nwriters, -1, "Writer kthreads (default -1: 2 per online CPU)");
torture_param(int, duration, 0, "Seconds to run, then check and report (0: until rmmod)");
torture_param(int, stat_interval, 10, "Seconds between statistics lines (0: only the final one)");
torture_param(int, short_hold_us, 5, "Usual hold time: udelay of 0..N us");
torture_param(int, long_hold_ms, 2, "Rare long hold time in ms (kthreads only)");
torture_param(int, long_hold_freq, 20000, "One kthread acquisition in N holds long (0: never)");
torture_param(int, sleep_freq, 2000, "One kthread acquisition in N is followed by a sleep (0: never)");
torture_param(int, irq_interval_us, 500, "Period of the per-CPU softirq and hardirq hrtimer acquirers (0: none)");
torture_param(bool, nest, true, "Per-level locks with kicks so slow paths nest on one CPU (default on)");
torture_param(bool, nmi, true, "NMI level of the nesting (default on)");
/* onoff_interval and onoff_holdoff: onoff.c */
torture_param(int, stutter, 0, "Run N seconds, pause all writers N seconds, repeat (0: never pause)");
torture_param(bool, verbose, false, "Per-writer counts in the statistics");
torture_param(int, checked, 0, "One kthread acquisition in N takes the checked pair with qspin_lock_checked() (qspin only; 0: never)");
torture_param(int, checked_long_freq, 50, "checked: one pair hold in N lasts 2 x qspin's spin_timeout_ms (0: never)");

/* ---- the run ------------------------------------------------------------ */

static const struct torture_lock_ops *const all_torture_ops[] = {
	&qspin_torture_ops,
	&native_torture_ops,
};

const char *const torture_lock_names[NR_TLOCKS] = {
	[L_ALL] = "all", [L_BH] = "bh", [L_TASK] = "task",
	[L_SOFT] = "soft", [L_HARD] = "hard", [L_NMI] = "nmi",
	[L_CHECKED_A] = "checked_a", [L_CHECKED_B] = "checked_b",
};

const struct torture_lock_ops *torture_ops;
struct tlock torture_locks[NR_TLOCKS];
struct tcpu *torture_cpus;
enum torture_state torture_state;
atomic_t torture_fails;			/* mutual exclusion violations */

struct kwriter {
	struct twriter w;
	struct task_struct *task;
};

static struct kwriter *kwriters;
static int nkwriters;
static struct task_struct *stats_task;

static bool timers_started;
static unsigned long start_jiffies;
static DEFINE_MUTEX(end_mutex);
static bool ended;

static void short_hold(struct twriter *w)
{
	if (short_hold_us > 0)
		udelay(wrand(w) % (short_hold_us + 1));
}

void short_hold_checked(struct twriter *w)
{
	short_hold(w);
}

/* Mostly short, rarely milliseconds: locktorture's write_delay. */
void torture_write_delay(struct twriter *w)
{
	if (long_hold_freq > 0 && long_hold_ms > 0 &&
	    wrand(w) % long_hold_freq == 0)
		mdelay(long_hold_ms);
	else
		short_hold(w);
}

/* ---- periodic interrupt-context acquirers ----------------------------- */

static enum hrtimer_restart soft_timer_fn(struct hrtimer *hrt)
{
	struct tcpu *t = container_of(hrt, struct tcpu, soft_hrt);
	struct twriter *w = &t->w[CW_SOFT_TIMER];
	struct tlock *l;
	unsigned long flags;

	switch (READ_ONCE(torture_state)) {
	case TORTURE_STOPPING:
		return HRTIMER_NORESTART;
	case TORTURE_PAUSED:
		break;
	case TORTURE_RUNNING:
		/* "all" is also taken in hardirq: exclude it. */
		l = &torture_locks[L_ALL];
		flags = torture_ops->writelock_irqsave(&l->lock);
		cs_enter(l, w, L_ALL);
		short_hold(w);
		cs_exit(l, w);
		torture_ops->writeunlock_irqrestore(&l->lock, flags);

		/* "bh" is never taken in hardirq: plain is enough. */
		l = &torture_locks[L_BH];
		torture_ops->writelock(&l->lock);
		cs_enter(l, w, L_BH);
		short_hold(w);
		cs_exit(l, w);
		torture_ops->writeunlock(&l->lock);
		break;
	}
	hrtimer_forward_now(hrt, ns_to_ktime(irq_interval_us * 1000ULL));
	return HRTIMER_RESTART;
}

static enum hrtimer_restart hard_timer_fn(struct hrtimer *hrt)
{
	struct tcpu *t = container_of(hrt, struct tcpu, hard_hrt);
	struct twriter *w = &t->w[CW_HARD_TIMER];
	struct tlock *l = &torture_locks[L_ALL];

	switch (READ_ONCE(torture_state)) {
	case TORTURE_STOPPING:
		return HRTIMER_NORESTART;
	case TORTURE_PAUSED:
		break;
	case TORTURE_RUNNING:
		torture_ops->writelock(&l->lock);
		cs_enter(l, w, L_ALL);
		short_hold(w);
		cs_exit(l, w);
		torture_ops->writeunlock(&l->lock);
		break;
	}
	/* Not a multiple of the softirq's period: they drift past each other. */
	hrtimer_forward_now(hrt, ns_to_ktime((irq_interval_us + 37) * 1000ULL));
	return HRTIMER_RESTART;
}

static void start_timers_on_cpu(void *info)
{
	struct tcpu *t = &torture_cpus[raw_smp_processor_id()];
	u64 ofs = (u64)(t->cpu * 61 + 13) * NSEC_PER_USEC;

	hrtimer_start(&t->soft_hrt, ns_to_ktime(irq_interval_us * 1000ULL + ofs),
		      HRTIMER_MODE_REL_PINNED_SOFT);
	hrtimer_start(&t->hard_hrt, ns_to_ktime(irq_interval_us * 1000ULL + ofs / 2),
		      HRTIMER_MODE_REL_PINNED_HARD);
}

/*
 * A CPU back online (onoff.c, from its hotplug thread, bound there): its
 * timers were migrated to a surviving CPU when it went down; run them here
 * again. torture_end() removes this callback before it cancels the timers.
 */
static void timers_cpu_online(unsigned int cpu)
{
	struct tcpu *t = &torture_cpus[cpu];

	if (!READ_ONCE(timers_started) || raw_smp_processor_id() != cpu)
		return;
	hrtimer_cancel(&t->soft_hrt);
	hrtimer_cancel(&t->hard_hrt);
	if (!torture_stopping())
		start_timers_on_cpu(NULL);
}

/* ---- writer kthreads ---------------------------------------------------- */

static void wait_while_paused(void)
{
	while (READ_ONCE(torture_state) == TORTURE_PAUSED &&
	       !kthread_should_stop())
		schedule_timeout_interruptible(HZ / 20);
}

static int writer_fn(void *arg)
{
	struct twriter *w = &((struct kwriter *)arg)->w;
	struct tlock *all = &torture_locks[L_ALL];
	struct tlock *bh = &torture_locks[L_BH];
	unsigned long flags;
	u32 r;

	while (!kthread_should_stop()) {
		wait_while_paused();
		r = wrand(w) % 100;
		if (checked > 0 && wrand(w) % checked == 0) {
			checked_step(w, checked_long_freq);
		} else if (r < 30) {
			flags = torture_ops->writelock_irqsave(&all->lock);
			cs_enter(all, w, L_ALL);
			torture_ops->write_delay(w);
			cs_exit(all, w);
			torture_ops->writeunlock_irqrestore(&all->lock, flags);
		} else if (r < 45) {
			torture_ops->writelock_irq(&all->lock);
			cs_enter(all, w, L_ALL);
			torture_ops->write_delay(w);
			cs_exit(all, w);
			torture_ops->writeunlock_irq(&all->lock);
		} else if (r < 55 || !nest) {
			torture_ops->writelock_bh(&bh->lock);
			cs_enter(bh, w, L_BH);
			torture_ops->write_delay(w);
			cs_exit(bh, w);
			torture_ops->writeunlock_bh(&bh->lock);
		} else {
			/* IRQs and BH on: the level where nesting starts. */
			preempt_disable();
			nest_lock(&torture_cpus[smp_processor_id()], LV_TASK, w);
			/* Long enough for the kicked waiters to stay queued. */
			udelay(10 + wrand(w) % 11);
			torture_ops->write_delay(w);
			nest_unlock(LV_TASK, w);
			preempt_enable();
		}
		if (sleep_freq > 0 && wrand(w) % sleep_freq == 0)
			schedule_timeout_interruptible(1 + wrand(w) % 3);
		cond_resched();
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

/* Every writer's own count of acquisitions of one lock. */
static unsigned long lock_acquisitions(enum tlock_id id)
{
	unsigned long sum = 0;
	int i, cpu;

	for (i = 0; i < nkwriters; i++)
		sum += kwriters[i].w.acq[id];
	for_each_possible_cpu(cpu)
		for (i = 0; i < NR_CPU_WRITERS; i++)
			sum += torture_cpus[cpu].w[i].acq[id];
	return sum;
}

static void print_params(const char *tag)
{
	pr_alert("%s-torture:--- %s: torture_type=%s nwriters=%d duration=%d stat_interval=%d short_hold_us=%d long_hold_ms=%d long_hold_freq=%d sleep_freq=%d irq_interval_us=%d nest=%d nmi=%d onoff_interval=%d onoff_holdoff=%d stutter=%d checked=%d cpus=%u\n",
		 torture_type, tag, torture_type, nkwriters, duration,
		 stat_interval, short_hold_us, long_hold_ms, long_hold_freq,
		 sleep_freq, irq_interval_us, nest, nest_nmi_active(),
		 onoff_interval_ms(), onoff_holdoff_s(), stutter, checked,
		 num_online_cpus());
}

static void print_stats(void)
{
	unsigned long sum = 0, max = 0, min = ULONG_MAX, n;
	unsigned long ctx[NR_CPU_WRITERS] = { 0 }, kthreads;
	unsigned long per_lock[NR_TLOCKS];
	int i, cpu, fail = atomic_read(&torture_fails);

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
	kthreads = sum;
	for_each_possible_cpu(cpu)
		for (i = 0; i < NR_CPU_WRITERS; i++)
			ctx[i] += writer_total(&torture_cpus[cpu].w[i]);
	for (i = 0; i < NR_CPU_WRITERS; i++)
		sum += ctx[i];
	for (i = 0; i < NR_TLOCKS; i++)
		per_lock[i] = READ_ONCE(torture_locks[i].counter);

	pr_alert("%s-torture: Writes:  Total: %lu  Max/Min: %lu/%lu %s  Fail: %d %s\n",
		 torture_type, sum, max, min,
		 !onoff_interval_ms() && !stutter && max / 2 > min ? "???" : "",
		 fail, fail ? "!!!" : "");
	pr_alert("%s-torture: Contexts: kthreads %lu softirq_timer %lu hardirq_timer %lu softirq_nest %lu hardirq_nest %lu nmi_nest %lu kicks %ld/%ld/%ld\n",
		 torture_type, kthreads, ctx[CW_SOFT_TIMER], ctx[CW_HARD_TIMER],
		 ctx[CW_SOFT_NEST], ctx[CW_HARD_NEST], ctx[CW_NMI_NEST],
		 nest_kicks(LV_TASK), nest_kicks(LV_SOFT), nest_kicks(LV_HARD));
	if (onoff_interval_ms() > 0)
		onoff_print(torture_type);
	pr_alert("%s-torture: Locks: all %lu bh %lu task %lu soft %lu hard %lu nmi %lu\n",
		 torture_type, per_lock[L_ALL], per_lock[L_BH], per_lock[L_TASK],
		 per_lock[L_SOFT], per_lock[L_HARD], per_lock[L_NMI]);
}

/* One lock after the run: false, with the reason in dmesg, on failure. */
static bool check_lock(enum tlock_id id)
{
	struct tlock *l = &torture_locks[id];
	unsigned long sum = lock_acquisitions(id);
	bool locked = torture_ops->is_locked(&l->lock);
	bool contended = torture_ops->is_contended(&l->lock);
	bool ok = true;

	if (sum != l->counter) {
		pr_alert("lock %s: counter %lu != sum of acquisitions %lu\n",
			 torture_lock_names[id], l->counter, sum);
		ok = false;
	}
	if (locked || contended) {
		pr_alert("lock %s: not free at the end (locked %d, contended %d)\n",
			 torture_lock_names[id], locked, contended);
		ok = false;
	}
	if (l->owner) {
		pr_alert("lock %s: owner sentinel still set\n", torture_lock_names[id]);
		ok = false;
	}
	return ok;
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
	WRITE_ONCE(torture_state, TORTURE_STOPPING);
	/* Every CPU back online, and no timer restarted after this. */
	onoff_stop();
	for (i = 0; i < nkwriters; i++) {
		if (kwriters[i].task)
			kthread_stop(kwriters[i].task);
		kwriters[i].task = NULL;
	}
	if (timers_started) {
		for_each_possible_cpu(cpu) {
			hrtimer_cancel(&torture_cpus[cpu].soft_hrt);
			hrtimer_cancel(&torture_cpus[cpu].hard_hrt);
		}
	}
	nest_quiesce();

	print_stats();
	if (checked > 0) {
		checked_print(torture_type);
		if (!checked_check())
			failed = true;
	}
	for (i = 0; i < NR_TLOCKS; i++)
		if (!check_lock(i))
			failed = true;
	/* Every queue node free: a waiter that left gave its node back. */
	if (torture_ops == &qspin_torture_ops && qspin_queue_nodes_busy()) {
		pr_alert("queue nodes still in use at the end: %u\n",
			 qspin_queue_nodes_busy());
		failed = true;
	}
	if (atomic_read(&torture_fails))
		failed = true;
	if (!onoff_check())
		failed = true;
	print_params(failed ? "End of test: FAILURE" : "End of test: SUCCESS");
	ended = true;
	mutex_unlock(&end_mutex);
}

/* Stutter: the only writer of RUNNING <-> PAUSED; never leaves STOPPING. */
static void stutter_toggle(void)
{
	enum torture_state old = READ_ONCE(torture_state);

	if (old != TORTURE_STOPPING)
		cmpxchg(&torture_state, old, old == TORTURE_PAUSED ?
			TORTURE_RUNNING : TORTURE_PAUSED);
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
			stutter_toggle();
			next_stutter = jiffies + stutter * HZ;
		}
		if (stat_interval && time_after_eq(jiffies, next_stat)) {
			print_stats();
			next_stat = jiffies + stat_interval * HZ;
		}
	}
	return 0;
}

/* ---- module init / exit ---------------------------------------------------- */

static const struct torture_lock_ops *find_ops(const char *name)
{
	char names[32] = "";
	int i, len = 0;

	for (i = 0; i < ARRAY_SIZE(all_torture_ops); i++) {
		if (!strcmp(name, all_torture_ops[i]->name))
			return all_torture_ops[i];
		len += scnprintf(names + len, sizeof(names) - len, " %s",
				 all_torture_ops[i]->name);
	}
	pr_alert("torture_type=%s: unknown; lock types:%s\n", name, names);
	return NULL;
}

static void init_cpu(struct tcpu *t, int cpu)
{
	int i;

	t->cpu = cpu;
	for (i = 0; i < NR_CPU_WRITERS; i++)
		t->w[i].rnd = 0x2545f491 * (cpu * NR_CPU_WRITERS + i + 1);
	hrtimer_init(&t->soft_hrt, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_SOFT);
	t->soft_hrt.function = soft_timer_fn;
	hrtimer_init(&t->hard_hrt, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_HARD);
	t->hard_hrt.function = hard_timer_fn;
	nest_init_cpu(t);
}

static void torture_free(void)
{
	kfree(kwriters);
	kfree(torture_cpus);
	kwriters = NULL;
	torture_cpus = NULL;
}

/*
 * The documented ranges (README.md, "Torture"): beyond them a hold, a
 * period or a thread count turns the test into a lockup, a timer storm or
 * an allocation the page allocator warns about.
 */
static const struct param_range torture_ranges[] = {
	PARAM_RANGE(nwriters, -1, 1024),
	PARAM_RANGE(duration, 0, 604800),
	PARAM_RANGE(stat_interval, 0, 3600),
	PARAM_RANGE(short_hold_us, 0, 1000),
	PARAM_RANGE(long_hold_ms, 0, 100),
	PARAM_RANGE(long_hold_freq, 0, INT_MAX),
	PARAM_RANGE(sleep_freq, 0, INT_MAX),
	PARAM_RANGE(irq_interval_us, 0, 1000000),
	PARAM_RANGE(stutter, 0, 3600),
};

static int __init torture_init(void)
{
	int i, cpu, ret = 0;

	if (param_ranges_check(torture_ranges, ARRAY_SIZE(torture_ranges)) ||
	    onoff_check_params())
		return -EINVAL;
	if (irq_interval_us > 0 && irq_interval_us < 100) {
		/* A timer per CPU and level this often starves the CPU. */
		pr_err("irq_interval_us=%d rejected: must be 0 or 100..1000000\n",
		       irq_interval_us);
		return -EINVAL;
	}
	torture_ops = find_ops(torture_type);
	if (!torture_ops)
		return -EINVAL;
	for (i = 0; i < NR_TLOCKS; i++) {
		torture_ops->init(&torture_locks[i].lock, i, torture_lock_names[i]);
		torture_locks[i].owner = NULL;
		torture_locks[i].counter = 0;
	}
	if (checked < 0 || checked_long_freq < 0 ||
	    (checked > 0 && torture_ops != &qspin_torture_ops)) {
		pr_alert("checked=%d checked_long_freq=%d: need >= 0, and torture_type=qspin for checked > 0 (qspin_lock_checked() is qspin's)\n",
			 checked, checked_long_freq);
		return -EINVAL;
	}
	if (checked > 0)
		checked_start();
	nkwriters = nwriters >= 0 ? nwriters : 2 * num_online_cpus();

	torture_cpus = kcalloc(nr_cpu_ids, sizeof(*torture_cpus), GFP_KERNEL);
	kwriters = kcalloc(max(nkwriters, 1), sizeof(*kwriters), GFP_KERNEL);
	if (!torture_cpus || !kwriters) {
		torture_free();
		return -ENOMEM;
	}
	for_each_possible_cpu(cpu)
		init_cpu(&torture_cpus[cpu], cpu);
	atomic_set(&torture_fails, 0);
	torture_state = TORTURE_RUNNING;
	ended = false;
	start_jiffies = jiffies;

	if (nest && nmi)
		nest_start_nmi();
	print_params("Start of test");
	/*
	 * For tests that read traces (selftests/qspin_trace.sh): where the
	 * locks are; a debug kernel's spinlock_t makes them larger.
	 */
	pr_info("%s-torture: %d locks from %px, %zu bytes apart\n",
		torture_type, NR_TLOCKS, torture_locks, sizeof(torture_locks[0]));

	for (i = 0; i < nkwriters; i++) {
		struct kwriter *kw = &kwriters[i];

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
	ret = onoff_start(timers_cpu_online);
	if (ret)
		goto fail;
	stats_task = kthread_run(stats_fn, NULL, "qspin_torture_stats");
	if (IS_ERR(stats_task)) {
		ret = PTR_ERR(stats_task);
		stats_task = NULL;
		goto fail;
	}
	return 0;

fail:
	torture_end();
	nest_stop_nmi();
	torture_free();
	return ret;
}

static void __exit torture_exit(void)
{
	if (stats_task)
		kthread_stop(stats_task);
	torture_end();
	nest_stop_nmi();
	torture_free();
}

module_init(torture_init);
module_exit(torture_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("qspin torture test: locktorture's method for qspin and spinlock_t");
