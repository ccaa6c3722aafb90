// SPDX-License-Identifier: GPL-2.0
/*
 * qspin-bench.ko: qspin against the kernel's spinlock_t, in one harness.
 *
 * Lock types ("types" bitmask): 1 qspin (qspin.ko's exported API, as any
 * driver calls it), 2 native (spinlock_t: spin_lock() is a call to
 * _raw_spin_lock, and with this kernel's CONFIG_UNINLINE_SPIN_UNLOCK
 * spin_unlock() is a call to _raw_spin_unlock), 4 tas (the test-and-set
 * lock Linux falls back to in a guest without paravirt spinlocks,
 * virt_spin_lock(), built here out of line the same way).
 * Variants, for each type: plain, irqsave, bh.
 *
 * Tests ("tests" bitmask):
 *  1 uncontended: ns per lock+unlock pair; the clock is read only around a
 *    batch of batch_iters pairs; the median of `batches` batches.
 *  2 contended: 1..max_cpus kthreads bound to CPUs 0..n-1 loop
 *    lock; cs_work; unlock; ncs_work for duration_ms; acquisitions per ms,
 *    and min/max acquisitions over the CPUs (fairness).
 *  4 handoff: two CPUs; the holder releases only once the other is seen
 *    waiting (is_contended), so every release hands the lock over; ns per
 *    hand-off = elapsed / acquisitions. Counts the releases where no waiter
 *    was seen in time ("nowaiter"): for native that is the proof that the
 *    kernel runs its queued lock here (the test-and-set fallback has no
 *    pending or tail bits, spin_is_contended() stays false).
 *  8 calibrate (x86): ns for a loop of a known number of instructions, the
 *    clock's own cost taken out. Under TCG with -icount shift=0 (guest time
 *    advances 1 ns per instruction executed) it reads 1.00 ns per
 *    instruction, the proof that the uncontended ns/pair of such a run is
 *    instructions per pair (scripts/bench-kernel.sh's icount mode).
 * Every measurement is repeated `rounds` times, the types interleaved
 * (qspin, native, tas, then the next round in reverse order).
 *
 * Built with QSPIN_BENCH_NATIVE_ONLY (make ... QSPIN_BENCH_NATIVE_ONLY=y), it
 * has no qspin type and needs no qspin.ko: scripts/bench-lockdep.sh builds it
 * so against kernel trees that have no qspin.ko (spinlock_t with and without
 * lockdep); types=1 is then refused with -EINVAL.
 *
 * Results: /sys/kernel/debug/qspin_bench/results, one line per measurement
 * ("key=value" fields), "end" when done; "state" says running or done.
 * The benchmark starts at module load, in a kthread; rmmod stops it.
 */
#define pr_fmt(fmt) "qspin-bench: " fmt

#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/interrupt.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/spinlock.h>
#include <linux/vmalloc.h>

#include "native_spinlock.h"
#include "param_range.h"

#ifndef QSPIN_BENCH_NATIVE_ONLY
#include <qspin.h>
#endif

static int rounds = 5;
module_param(rounds, int, 0444);
MODULE_PARM_DESC(rounds, "Repetitions of every measurement, types interleaved");

static int tests = 7;
module_param(tests, int, 0444);
MODULE_PARM_DESC(tests, "Bitmask: 1 uncontended, 2 contended, 4 handoff, 8 calibrate");

static int types = 7;
module_param(types, int, 0444);
MODULE_PARM_DESC(types, "Bitmask: 1 qspin, 2 native spinlock_t, 4 tas (test-and-set fallback)");

static int variants = 7;
module_param(variants, int, 0444);
MODULE_PARM_DESC(variants, "Bitmask: 1 plain, 2 irqsave, 4 bh");

static int batches = 21;
module_param(batches, int, 0444);
MODULE_PARM_DESC(batches, "Uncontended: batches per measurement (the median is kept)");

static int batch_iters = 2000;
module_param(batch_iters, int, 0444);
MODULE_PARM_DESC(batch_iters, "Uncontended: lock+unlock pairs per batch");

static int duration_ms = 300;
module_param(duration_ms, int, 0444);
MODULE_PARM_DESC(duration_ms, "Contended and handoff: length of one measurement");

static int max_cpus;
module_param(max_cpus, int, 0444);
MODULE_PARM_DESC(max_cpus, "Contended: up to this many CPUs (0: all online)");

static int cs_work = 20;
module_param(cs_work, int, 0444);
MODULE_PARM_DESC(cs_work, "Contended: work loop iterations inside the critical section");

static int ncs_work = 20;
module_param(ncs_work, int, 0444);
MODULE_PARM_DESC(ncs_work, "Contended: work loop iterations between acquisitions");

enum { T_QSPIN, T_NATIVE, T_TAS, NR_TYPES };
enum { V_PLAIN, V_IRQSAVE, V_BH, NR_VARS };
static const char *const type_names[NR_TYPES] = { "qspin", "native", "tas" };
static const char *const var_names[NR_VARS] = { "plain", "irqsave", "bh" };

/* Each lock with the data its critical section writes, one line each. */
#ifndef QSPIN_BENCH_NATIVE_ONLY
static struct { qspinlock_t lock; unsigned long data; } ____cacheline_aligned qsl;
#else
static struct { unsigned long data; } ____cacheline_aligned qsl;
#endif
static struct { native_spinlock_t lock; unsigned long data; } ____cacheline_aligned nsl;
static struct { atomic_t lock; unsigned long data; } ____cacheline_aligned tsl;

/* ---- the test-and-set lock: virt_spin_lock() after a failed fast CAS -- */

static noinline void tas_lock(atomic_t *l)
{
	int val = 0;

	if (likely(atomic_try_cmpxchg_acquire(l, &val, 1)))
		return;
	for (;;) {
		val = atomic_read(l);
		if (!val && atomic_try_cmpxchg_acquire(l, &val, 1))
			return;
		cpu_relax();
	}
}

static noinline void tas_unlock(atomic_t *l)
{
	atomic_set_release(l, 0);
}

/* ---- operations, folded to one path per (type, variant) at compile time */

static __always_inline unsigned long b_lock(const int t, const int v)
{
	unsigned long flags = 0;

	switch (t) {
	case T_QSPIN:
#ifndef QSPIN_BENCH_NATIVE_ONLY
		if (v == V_PLAIN)
			qspin_lock(&qsl.lock);
		else if (v == V_IRQSAVE)
			qspin_lock_irqsave(&qsl.lock, flags);
		else
			qspin_lock_bh(&qsl.lock);
#endif
		break;
	case T_NATIVE:
		if (v == V_PLAIN)
			native_spin_lock(&nsl.lock);
		else if (v == V_IRQSAVE)
			native_spin_lock_irqsave(&nsl.lock, flags);
		else
			native_spin_lock_bh(&nsl.lock);
		break;
	default:
		if (v == V_PLAIN)
			preempt_disable();
		else if (v == V_IRQSAVE) {
			local_irq_save(flags);
			preempt_disable();
		} else
			local_bh_disable();
		tas_lock(&tsl.lock);
		break;
	}
	return flags;
}

static __always_inline void b_unlock(const int t, const int v,
				     unsigned long flags)
{
	switch (t) {
	case T_QSPIN:
#ifndef QSPIN_BENCH_NATIVE_ONLY
		if (v == V_PLAIN)
			qspin_unlock(&qsl.lock);
		else if (v == V_IRQSAVE)
			qspin_unlock_irqrestore(&qsl.lock, flags);
		else
			qspin_unlock_bh(&qsl.lock);
#endif
		break;
	case T_NATIVE:
		if (v == V_PLAIN)
			native_spin_unlock(&nsl.lock);
		else if (v == V_IRQSAVE)
			native_spin_unlock_irqrestore(&nsl.lock, flags);
		else
			native_spin_unlock_bh(&nsl.lock);
		break;
	default:
		tas_unlock(&tsl.lock);
		if (v == V_PLAIN)
			preempt_enable();
		else if (v == V_IRQSAVE) {
			local_irq_restore(flags);
			preempt_enable();
		} else
			local_bh_enable();
		break;
	}
}

static __always_inline unsigned long *b_data(const int t)
{
	return t == T_QSPIN ? &qsl.data : t == T_NATIVE ? &nsl.data : &tsl.data;
}

static __always_inline bool b_contended(const int t)
{
#ifndef QSPIN_BENCH_NATIVE_ONLY
	if (t == T_QSPIN)
		return qspin_is_contended(&qsl.lock);
#endif
	if (t == T_NATIVE)
		return native_spin_is_contended(&nsl.lock);
	return false;	/* a test-and-set word cannot tell */
}

static __always_inline void work(int n)
{
	int i;

	for (i = 0; i < n; i++)
		barrier();
}

/* ---- calibration: a loop of a known instruction count ------------------ */

#ifdef CONFIG_X86
/* 2 * n instructions between the two clock reads: dec and jnz, n times. */
static noinline u64 calib_loop(unsigned long n)
{
	u64 t0, t1;

	t0 = ktime_get_ns();
	asm volatile("1:\tdec %0\n\tjnz 1b" : "+r" (n) : : "cc");
	t1 = ktime_get_ns();
	return t1 - t0;
}
#endif

/* ---- the loops, one instance per (type, variant) ------------------------ */

struct bworker {
	struct task_struct *task;
	unsigned long ops;
	unsigned long nowaiter;
	int cpu, t, v, handoff;
};

static int bstop;
static int bgo;
static atomic_t bready;
static atomic_t bdone;
static u64 bt0, bt1;

#define DEFINE_LOOPS(t, v)						\
static noinline u64 uncont_##t##_##v(unsigned long n)			\
{									\
	unsigned long i, f;						\
	u64 t0, t1;							\
									\
	t0 = ktime_get_ns();						\
	for (i = 0; i < n; i++) {					\
		f = b_lock(t, v);					\
		b_unlock(t, v, f);					\
	}								\
	t1 = ktime_get_ns();						\
	return t1 - t0;							\
}									\
static noinline void cont_##t##_##v(struct bworker *w)		\
{									\
	unsigned long f, ops = 0;					\
	int cs = cs_work, ncs = ncs_work;				\
									\
	while (!READ_ONCE(bstop)) {					\
		f = b_lock(t, v);					\
		(*b_data(t))++;						\
		work(cs);						\
		b_unlock(t, v, f);					\
		ops++;							\
		work(ncs);						\
	}								\
	w->ops = ops;							\
}									\
static noinline void handoff_##t##_##v(struct bworker *w)		\
{									\
	unsigned long f, ops = 0, nowaiter = 0;				\
	int spins;							\
									\
	while (!READ_ONCE(bstop)) {					\
		f = b_lock(t, v);					\
		(*b_data(t))++;						\
		for (spins = 0; !b_contended(t); spins++) {		\
			if (spins > 100000 || READ_ONCE(bstop)) {	\
				nowaiter++;				\
				break;					\
			}						\
			cpu_relax();					\
		}							\
		b_unlock(t, v, f);					\
		ops++;							\
	}								\
	w->ops = ops;							\
	w->nowaiter = nowaiter;						\
}

#define DEFINE_TYPE(t)		\
	DEFINE_LOOPS(t, V_PLAIN)	\
	DEFINE_LOOPS(t, V_IRQSAVE)	\
	DEFINE_LOOPS(t, V_BH)

DEFINE_TYPE(T_QSPIN)
DEFINE_TYPE(T_NATIVE)
DEFINE_TYPE(T_TAS)

#define ROW(fn, t) { fn##_##t##_V_PLAIN, fn##_##t##_V_IRQSAVE, fn##_##t##_V_BH }

static u64 (*const uncont_fn[NR_TYPES][NR_VARS])(unsigned long) = {
	ROW(uncont, T_QSPIN), ROW(uncont, T_NATIVE), ROW(uncont, T_TAS),
};
static void (*const cont_fn[NR_TYPES][NR_VARS])(struct bworker *) = {
	ROW(cont, T_QSPIN), ROW(cont, T_NATIVE), ROW(cont, T_TAS),
};
static void (*const handoff_fn[NR_TYPES][NR_VARS])(struct bworker *) = {
	ROW(handoff, T_QSPIN), ROW(handoff, T_NATIVE), ROW(handoff, T_TAS),
};

/* ---- results ----------------------------------------------------------- */

#define RESULTS_SIZE (512 * 1024)
static char *results;
static size_t results_len;
static DEFINE_MUTEX(results_mutex);
static int state;	/* 0 running, 1 done, 2 stopped */

static __printf(1, 2) void emit(const char *fmt, ...)
{
	va_list ap;

	mutex_lock(&results_mutex);
	va_start(ap, fmt);
	results_len += vscnprintf(results + results_len,
				  RESULTS_SIZE - results_len, fmt, ap);
	va_end(ap);
	mutex_unlock(&results_mutex);
}

/* ---- measurements --------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static void run_uncontended(int round, int t, int v)
{
	u64 *ns = kcalloc(batches, sizeof(u64), GFP_KERNEL);
	int i;

	if (!ns)
		return;
	uncont_fn[t][v](batch_iters);		/* warm up */
	for (i = 0; i < batches; i++) {
		ns[i] = uncont_fn[t][v](batch_iters);
		cond_resched();
	}
	sort(ns, batches, sizeof(u64), cmp_u64, NULL);
	/* ns per pair, in hundredths */
	emit("uncontended type=%s variant=%s round=%d ns_per_pair=%llu.%02llu min=%llu.%02llu max=%llu.%02llu\n",
	     type_names[t], var_names[v], round,
	     ns[batches / 2] * 100 / batch_iters / 100,
	     ns[batches / 2] * 100 / batch_iters % 100,
	     ns[0] * 100 / batch_iters / 100, ns[0] * 100 / batch_iters % 100,
	     ns[batches - 1] * 100 / batch_iters / 100,
	     ns[batches - 1] * 100 / batch_iters % 100);
	kfree(ns);
}

/*
 * The median of `batches` runs of the loop with n = batch_iters * 100, minus
 * the median with n = 1: 2 * (n - 1) instructions, without the clock reads
 * (reported as ns and clock_ns; the reader subtracts).
 */
static void run_calibrate(int round)
{
#ifdef CONFIG_X86
	unsigned long n = (unsigned long)batch_iters * 100;
	u64 *ns = kcalloc(2 * batches, sizeof(u64), GFP_KERNEL);
	u64 *empty = ns + batches;
	int i;

	if (!ns)
		return;
	for (i = 0; i < batches; i++) {
		empty[i] = calib_loop(1);
		ns[i] = calib_loop(n);
		cond_resched();
	}
	sort(ns, batches, sizeof(u64), cmp_u64, NULL);
	sort(empty, batches, sizeof(u64), cmp_u64, NULL);
	emit("calibrate round=%d insns=%lu ns=%llu clock_ns=%llu\n", round,
	     2 * (n - 1), ns[batches / 2], empty[batches / 2]);
	kfree(ns);
#endif
}

static enum hrtimer_restart stop_timer_fn(struct hrtimer *hrt)
{
	bt1 = ktime_get_ns();
	WRITE_ONCE(bstop, 1);
	return HRTIMER_NORESTART;
}

static int worker_fn(void *arg)
{
	struct bworker *w = arg;

	atomic_inc(&bready);
	/* Voluntary preemption: let the coordinator in while waiting. */
	while (!READ_ONCE(bgo) && !kthread_should_stop())
		cond_resched();
	if (!kthread_should_stop()) {
		if (w->handoff)
			handoff_fn[w->t][w->v](w);
		else
			cont_fn[w->t][w->v](w);
	}
	atomic_inc(&bdone);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

/* n workers on CPUs 0..n-1, for duration_ms; false when interrupted. */
static bool run_workers(struct bworker *ws, int n, int t, int v, int handoff)
{
	struct hrtimer hrt;
	int i, started = 0;
	bool ok = true;

	WRITE_ONCE(bstop, 0);
	WRITE_ONCE(bgo, 0);
	atomic_set(&bready, 0);
	atomic_set(&bdone, 0);
	for (i = 0; i < n; i++) {
		ws[i] = (struct bworker){ .cpu = i, .t = t, .v = v,
					  .handoff = handoff };
		ws[i].task = kthread_create_on_cpu(worker_fn, &ws[i], i,
						   "qspin_bench/%u");
		if (IS_ERR(ws[i].task)) {
			ws[i].task = NULL;
			ok = false;
			break;
		}
		started++;
		wake_up_process(ws[i].task);
	}
	while (ok && atomic_read(&bready) < n) {
		if (kthread_should_stop()) {
			ok = false;
			break;
		}
		usleep_range(100, 200);
	}
	if (ok) {
		hrtimer_init_on_stack(&hrt, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
		hrt.function = stop_timer_fn;
		bt0 = ktime_get_ns();
		WRITE_ONCE(bgo, 1);
		hrtimer_start(&hrt, ms_to_ktime(duration_ms), HRTIMER_MODE_REL_HARD);
		while (atomic_read(&bdone) < n)
			msleep(5);
		hrtimer_cancel(&hrt);
		destroy_hrtimer_on_stack(&hrt);
	} else {
		WRITE_ONCE(bstop, 1);
		WRITE_ONCE(bgo, 1);
	}
	for (i = 0; i < started; i++)
		kthread_stop(ws[i].task);
	return ok;
}

static void run_contended(struct bworker *ws, int round, int t, int v, int n)
{
	unsigned long sum = 0, min = ULONG_MAX, max = 0;
	u64 ns;
	int i;

	if (!run_workers(ws, n, t, v, 0))
		return;
	ns = bt1 - bt0;
	for (i = 0; i < n; i++) {
		sum += ws[i].ops;
		min = min(min, ws[i].ops);
		max = max(max, ws[i].ops);
	}
	emit("contended type=%s variant=%s cpus=%d round=%d ops=%lu ns=%llu ops_per_ms=%llu min=%lu max=%lu fairness=%lu.%03lu\n",
	     type_names[t], var_names[v], n, round, sum, ns,
	     ns ? (u64)sum * NSEC_PER_MSEC / ns : 0, min, max,
	     max ? min * 1000 / max / 1000 : 0, max ? min * 1000 / max % 1000 : 0);
}

static void run_handoff(struct bworker *ws, int round, int t, int v)
{
	unsigned long sum;
	u64 ns;

	if (!run_workers(ws, 2, t, v, 1))
		return;
	ns = bt1 - bt0;
	sum = ws[0].ops + ws[1].ops;
	emit("handoff type=%s variant=%s round=%d ops=%lu ns=%llu ns_per_handoff=%llu nowaiter=%lu\n",
	     type_names[t], var_names[v], round, sum, ns,
	     sum ? ns / sum : 0, ws[0].nowaiter + ws[1].nowaiter);
}

static int type_at(int round, int i, int *order, int n)
{
	return round & 1 ? order[n - 1 - i] : order[i];
}

static int bench_fn(void *arg)
{
	int order[NR_TYPES], ntypes = 0, ncpus, t, v, r, i, n;
	struct bworker *ws;

	ncpus = num_online_cpus();
	if (max_cpus > 0 && max_cpus < ncpus)
		ncpus = max_cpus;
	ws = kcalloc(max(ncpus, 2), sizeof(*ws), GFP_KERNEL);
	if (!ws) {
		state = 2;
		return 0;
	}
	for (t = 0; t < NR_TYPES; t++)
		if (types & (1 << t))
			order[ntypes++] = t;

	emit("config rounds=%d tests=%d types=%d variants=%d batches=%d batch_iters=%d duration_ms=%d max_cpus=%d online_cpus=%u cs_work=%d ncs_work=%d HZ=%d\n",
	     rounds, tests, types, variants, batches, batch_iters, duration_ms,
	     ncpus, num_online_cpus(), cs_work, ncs_work, HZ);

	for (r = 0; r < rounds && !kthread_should_stop(); r++) {
		if (tests & 8)
			run_calibrate(r);
		for (v = 0; v < NR_VARS; v++) {
			if (!(variants & (1 << v)))
				continue;
			if (tests & 1)
				for (i = 0; i < ntypes; i++)
					run_uncontended(r, type_at(r, i, order, ntypes), v);
			if (tests & 2)
				for (n = 1; n <= ncpus; n++)
					for (i = 0; i < ntypes && !kthread_should_stop(); i++)
						run_contended(ws, r, type_at(r, i, order, ntypes), v, n);
			if ((tests & 4) && ncpus >= 2)
				for (i = 0; i < ntypes && !kthread_should_stop(); i++) {
					t = type_at(r, i, order, ntypes);
					if (t != T_TAS)
						run_handoff(ws, r, t, v);
				}
		}
		pr_info("round %d of %d done\n", r + 1, rounds);
	}
	kfree(ws);
	if (kthread_should_stop()) {
		emit("stopped\n");
		state = 2;
	} else {
		emit("end\n");
		state = 1;
		pr_info("done: results in /sys/kernel/debug/qspin_bench/results\n");
	}
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ);
	return 0;
}

/* ---- debugfs and module ------------------------------------------------------ */

static struct dentry *bench_dir;
static struct task_struct *bench_task;

static int results_show(struct seq_file *m, void *p)
{
	mutex_lock(&results_mutex);
	seq_write(m, results, results_len);
	mutex_unlock(&results_mutex);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(results);

static int state_show(struct seq_file *m, void *p)
{
	static const char *const names[] = { "running", "done", "stopped" };

	seq_printf(m, "%s\n", names[READ_ONCE(state)]);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(state);

/*
 * Beyond these a measurement holds a CPU with interrupts off for seconds
 * (batch_iters, cs_work), or rmmod waits minutes for it (duration_ms).
 */
static const struct param_range bench_ranges[] = {
	PARAM_RANGE(rounds, 1, 1000),
	PARAM_RANGE(tests, 1, 15),
	PARAM_RANGE(types, 1, 7),
	PARAM_RANGE(variants, 1, 7),
	PARAM_RANGE(batches, 1, 1001),
	PARAM_RANGE(batch_iters, 1, 1000000),
	PARAM_RANGE(duration_ms, 1, 10000),
	PARAM_RANGE(max_cpus, 0, NR_CPUS),
	PARAM_RANGE(cs_work, 0, 100000),
	PARAM_RANGE(ncs_work, 0, 100000),
};

static int __init bench_init(void)
{
	if (param_ranges_check(bench_ranges, ARRAY_SIZE(bench_ranges)))
		return -EINVAL;
#ifdef QSPIN_BENCH_NATIVE_ONLY
	if (types & (1 << T_QSPIN)) {
		pr_err("built with QSPIN_BENCH_NATIVE_ONLY: no qspin type (types=%d)\n", types);
		return -EINVAL;
	}
#endif
	results = vzalloc(RESULTS_SIZE);
	if (!results)
		return -ENOMEM;
#ifndef QSPIN_BENCH_NATIVE_ONLY
	qspin_lock_init(&qsl.lock);
#endif
	native_spin_lock_init(&nsl.lock);
	atomic_set(&tsl.lock, 0);
	state = 0;

	bench_dir = debugfs_create_dir("qspin_bench", NULL);
	debugfs_create_file("results", 0400, bench_dir, NULL, &results_fops);
	debugfs_create_file("state", 0400, bench_dir, NULL, &state_fops);

	bench_task = kthread_run(bench_fn, NULL, "qspin_bench");
	if (IS_ERR(bench_task)) {
		debugfs_remove_recursive(bench_dir);
		vfree(results);
		return PTR_ERR(bench_task);
	}
	return 0;
}

static void __exit bench_exit(void)
{
	kthread_stop(bench_task);
	debugfs_remove_recursive(bench_dir);
	vfree(results);
}

module_init(bench_init);
module_exit(bench_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("qspin benchmark: qspin vs spinlock_t, uncontended, contended, hand-off");
