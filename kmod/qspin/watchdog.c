// SPDX-License-Identifier: GPL-2.0
/*
 * The lockup watchdog in the slow path, and the checked waiter's decision
 * to leave (core_env.h's qspin_env_watch() and qspin_env_should_leave()).
 *
 * Wait records: per CPU, one per context level (task, softirq, hardirq,
 * NMI), written by lock_api.c just before a watched or checked slow path
 * (qspin_wait_begin(): the lock, since = local_clock(), the caller, checked
 * or not) and cleared after it (qspin_wait_end()). Only the instrumented
 * path with the validator on writes them: the plain path is unchanged.
 *
 * The wait-for chain: a waiter waits for lock L; the validator's held
 * records (held.h) say which CPU and context holds L (a record of L whose
 * own context is still waiting for L is a waiter's, published before its
 * atomic, and is skipped); that CPU, in that context or one above it
 * (which it cannot leave before the waiter there gets its lock), may be
 * waiting too: its wait record names the next lock. The chain ends at a
 * holder that is not waiting (it runs: a stuck holder), at a lock nobody
 * has a record of, or comes back to a CPU already in it: a deadlock in
 * progress ("CPU0 holds A and waits for B; CPU1 holds B and waits for A",
 * ABBA).
 *
 * The watchdog (qspin_env_watch(), every spin iteration): reads the clock
 * every QSPIN_WATCH_EVERY iterations; once this wait has lasted longer
 * than spin_timeout_ms it prints one report ("BUG: spinlock lockup
 * suspected", the kernel's old spinlock-debug words; "circular locking
 * deadlock in progress" when the chain is a cycle): the lock, the waiter,
 * the holder and the function that took it, the chain, the holder's
 * current stack (qspin's own NMI handler, reached by an NMI IPI) and the
 * fix. Then it keeps spinning, as the kernel's lock would: a plain waiter
 * cannot fail. One report per lock and waiter site; repeats are counted in
 * debugfs "lockups" (written "reset": forgotten).
 *
 * A checked waiter (qspin_lock_checked()) asks qspin_env_should_leave() at
 * the points where the core can take it out of the queue: -EDEADLK as
 * soon as the chain from it comes back to its own CPU (AA, ABBA, longer
 * cycles, whether the others spin, are queued or are pending),
 * -ETIMEDOUT once it has waited longer than spin_timeout_ms; reported the
 * same way, once, saying what qspin_lock_checked() returns.
 *
 * NMI waiters are counted (debugfs "lockups", "nmi_skipped"), not
 * reported: the report takes a lock and sends IPIs.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/errno.h>
#include <linux/hardirq.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/seq_file.h>
#include <linux/smp.h>
#include <linux/stacktrace.h>
#include <linux/string.h>
#include <asm/apic.h>
#include <asm/nmi.h>

#include <qspin.h>
#include <qspin/debug.h>
#include "core_env.h"
#include "held.h"
#include "internal.h"
#include "parked.h"
#include "validate.h"

/* ---- spin_timeout_ms ------------------------------------------------- */

#define QSPIN_TIMEOUT_MIN_MS	10
/* Half the kernel's RCU stall timeout (21 s): qspin always speaks first. */
#define QSPIN_TIMEOUT_MAX_MS	10000

/*
 * Default 5000 ms: under TCG on a loaded 2-core host the kselftest suite's
 * torture (nested slow paths up to NMI, 4 vCPUs) waited up to 2.4 s for a
 * lock, legitimately (README.md, "The lockup watchdog and checked
 * waiters"); the kernel's soft-lockup and RCU stall detectors speak after
 * 20-21 s.
 */
static unsigned int spin_timeout_ms = 5000;

static int spin_timeout_set(const char *val, const struct kernel_param *kp)
{
	unsigned int ms;
	int ret = kstrtouint(val, 10, &ms);

	if (ret || ms < QSPIN_TIMEOUT_MIN_MS || ms > QSPIN_TIMEOUT_MAX_MS) {
		pr_err("spin_timeout_ms=%.*s rejected: must be %u..%u ms\n",
		       (int)min_t(size_t, strcspn(val, "\n"), 32), val, QSPIN_TIMEOUT_MIN_MS,
		       QSPIN_TIMEOUT_MAX_MS);
		return -EINVAL;
	}
	WRITE_ONCE(spin_timeout_ms, ms);
	return 0;
}

static const struct kernel_param_ops spin_timeout_ops = {
	.set = spin_timeout_set,
	.get = param_get_uint,
};
module_param_cb(spin_timeout_ms, &spin_timeout_ops, &spin_timeout_ms, 0644);
MODULE_PARM_DESC(spin_timeout_ms, "Lockup watchdog: a waiter spinning longer than this is reported, and qspin_lock_checked() returns -ETIMEDOUT (10..10000 ms, default 5000)");

static u64 qspin_timeout_ns(void)
{
	return (u64)READ_ONCE(spin_timeout_ms) * NSEC_PER_MSEC;
}

/* ---- wait records ----------------------------------------------------- */

/* The clock is read once per this many spin iterations. */
#define QSPIN_WATCH_EVERY 256
/* A checked waiter walks the chain once per this many calls. */
#define QSPIN_LEAVE_EVERY 64

struct qspin_wait {
	/* The lock waited for; NULL: not waiting. Written last, cleared first. */
	const qspinlock_t *lock;
	u64 since;		/* local_clock() at qspin_wait_begin() */
	unsigned long ip;	/* the caller of the lock operation */
	unsigned int spins;	/* watch calls since the wait began */
	unsigned int asks;	/* should_leave calls since the wait began */
	bool checked;		/* qspin_lock_checked() */
	bool reported;		/* a report covers this wait (any CPU may set it) */
	bool judged;		/* counted in the table (its own CPU only) */
};

struct qspin_wait_cpu {
	struct qspin_wait ctx[QSPIN_CTX_NR];
};

static DEFINE_PER_CPU(struct qspin_wait_cpu, qspin_wait_cpu);

static __always_inline struct qspin_wait *qspin_wait_this(void)
{
	return this_cpu_ptr(&qspin_wait_cpu.ctx[qspin_ctx_now()]);
}

void qspin_wait_begin(const qspinlock_t *lock, unsigned long ip, bool checked)
{
	struct qspin_wait *w = qspin_wait_this();

	w->since = local_clock();
	w->ip = ip;
	w->spins = 0;
	w->asks = 0;
	w->checked = checked;
	w->judged = false;
	WRITE_ONCE(w->reported, false);
	/* Readers on other CPUs see the rest once they see the lock. */
	smp_wmb();
	WRITE_ONCE(w->lock, lock);
}

/* The longest wait per CPU, in ns (debugfs lockups: max_wait_us). */
static DEFINE_PER_CPU(u64, qspin_wait_max);

void qspin_wait_end(void)
{
	struct qspin_wait *w = qspin_wait_this();
	u64 d = local_clock() - w->since;

	WRITE_ONCE(w->lock, NULL);
	if (unlikely(d > this_cpu_read(qspin_wait_max)))
		this_cpu_write(qspin_wait_max, d);
}

/* ---- the wait-for chain ------------------------------------------------ */

/* Enough for every CPU once, and the CPU the chain comes back to. */
#define QSPIN_CHAIN_MAX 8

struct qspin_link {
	int cpu;
	enum qspin_ctx ctx;		/* the waiting context */
	const qspinlock_t *lock;	/* what it waits for */
	unsigned long wait_ip;		/* where it waits */
	/*
	 * The holder of `lock`: cpu -1 unknown, or, for the last link of a
	 * QSPIN_CHAIN_PARKED chain, off every CPU (the chain names its task).
	 */
	int holder_cpu;
	enum qspin_ctx holder_ctx;
	unsigned long holder_ip;	/* where the holder took it */
	unsigned int holder_cls;
};

enum qspin_chain_end {
	QSPIN_CHAIN_RUNNING,	/* the last holder is not waiting: it runs */
	QSPIN_CHAIN_UNKNOWN,	/* no record of the last lock's holder */
	QSPIN_CHAIN_PARKED,	/* the last holder is off every CPU */
	QSPIN_CHAIN_CYCLE,	/* back to the first CPU: a deadlock with us in it */
	QSPIN_CHAIN_BEHIND,	/* back to another CPU: we wait behind a deadlock */
	QSPIN_CHAIN_LONG,	/* longer than QSPIN_CHAIN_MAX */
};

struct qspin_chain {
	unsigned int n;
	struct qspin_link link[QSPIN_CHAIN_MAX];
	enum qspin_chain_end end;
	/* QSPIN_CHAIN_PARKED: the last holder's task, as it was parked. */
	pid_t parked_pid;
	char parked_comm[TASK_COMM_LEN];
};

/* Whether link i's holder is known: on a CPU, or parked at the chain's end. */
static bool qspin_link_held(const struct qspin_chain *ch, unsigned int i)
{
	return ch->link[i].holder_cpu >= 0 ||
	       (i == ch->n - 1 && ch->end == QSPIN_CHAIN_PARKED);
}

/*
 * Who holds `lock`: a held record of it on some CPU and context, other
 * than a waiter's own (published before its atomic: that context's wait
 * record names the same lock).
 */
static bool qspin_wait_holder(const qspinlock_t *lock, struct qspin_link *l)
{
	int cpu, c, i;

	for_each_online_cpu(cpu) {
		struct qspin_held_cpu *hc = per_cpu_ptr(&qspin_held_cpu, cpu);
		struct qspin_wait_cpu *wc = per_cpu_ptr(&qspin_wait_cpu, cpu);

		for (c = 0; c < QSPIN_CTX_NR; c++) {
			for (i = 0; i < QSPIN_HELD_MAX; i++) {
				const struct qspin_held *h = &hc->ctx[c].held[i];

				if (qspin_held_lock(h) != lock)
					continue;
				if (READ_ONCE(wc->ctx[c].lock) == lock)
					continue;
				l->holder_cpu = cpu;
				l->holder_ctx = c;
				l->holder_ip = READ_ONCE(h->ip);
				l->holder_cls = READ_ONCE(h->cls);
				return true;
			}
		}
	}
	return false;
}

/*
 * A holder that left its CPU with the lock held (parked.c): named by its
 * task, never by the CPU it left, which may be offline by now.
 */
static bool qspin_wait_parked(const qspinlock_t *lock, struct qspin_link *l,
			      struct qspin_chain *ch)
{
	struct qspin_parked p;

	if (!qspin_parked_holder(lock, &p))
		return false;
	ch->parked_pid = p.pid;
	strscpy(ch->parked_comm, p.comm, sizeof(ch->parked_comm));
	l->holder_ctx = QSPIN_CTX_TASK;
	l->holder_ip = p.held.ip;
	l->holder_cls = p.held.cls;
	return true;
}

/* What CPU `cpu` waits for in context `ctx` or one above it; NULL: none. */
static const qspinlock_t *qspin_wait_of(int cpu, enum qspin_ctx ctx,
					enum qspin_ctx *wctx,
					unsigned long *ip)
{
	struct qspin_wait_cpu *wc = per_cpu_ptr(&qspin_wait_cpu, cpu);
	int c;

	for (c = QSPIN_CTX_NR - 1; c >= (int)ctx; c--) {
		const qspinlock_t *lock = READ_ONCE(wc->ctx[c].lock);

		if (lock) {
			smp_rmb();
			*wctx = c;
			*ip = READ_ONCE(wc->ctx[c].ip);
			return lock;
		}
	}
	return NULL;
}

/* The chain from (cpu, ctx) waiting for `lock` at `ip`. */
static void qspin_chain_build(int cpu, enum qspin_ctx ctx,
			      const qspinlock_t *lock, unsigned long ip,
			      struct qspin_chain *ch)
{
	unsigned int i;

	ch->n = 0;
	for (;;) {
		struct qspin_link *l = &ch->link[ch->n++];

		l->cpu = cpu;
		l->ctx = ctx;
		l->lock = lock;
		l->wait_ip = ip;
		l->holder_cpu = -1;
		if (!qspin_wait_holder(lock, l)) {
			ch->end = qspin_wait_parked(lock, l, ch) ?
				  QSPIN_CHAIN_PARKED : QSPIN_CHAIN_UNKNOWN;
			return;
		}
		cpu = l->holder_cpu;
		for (i = 0; i < ch->n; i++) {
			if (ch->link[i].cpu != cpu)
				continue;
			ch->end = i ? QSPIN_CHAIN_BEHIND : QSPIN_CHAIN_CYCLE;
			return;
		}
		lock = qspin_wait_of(cpu, l->holder_ctx, &ctx, &ip);
		if (!lock) {
			ch->end = QSPIN_CHAIN_RUNNING;
			return;
		}
		if (ch->n == QSPIN_CHAIN_MAX) {
			ch->end = QSPIN_CHAIN_LONG;
			return;
		}
	}
}

/* ---- for the queue view (queueview.c) --------------------------------- */

/*
 * One context's wait record, read from any CPU without a lock: the lock
 * it waits for (NULL: none) with its start and caller. The lock is read
 * again after the rest: a record rewritten meanwhile reads as NULL.
 */
const qspinlock_t *qspin_wait_peek(int cpu, enum qspin_ctx ctx, u64 *since,
				   unsigned long *ip)
{
	struct qspin_wait *w = &per_cpu_ptr(&qspin_wait_cpu, cpu)->ctx[ctx];
	const qspinlock_t *lock = READ_ONCE(w->lock);

	if (!lock)
		return NULL;
	smp_rmb();	/* pairs with qspin_wait_begin()'s smp_wmb() */
	*since = READ_ONCE(w->since);
	*ip = READ_ONCE(w->ip);
	smp_rmb();
	return READ_ONCE(w->lock) == lock ? lock : NULL;
}

/* Who holds `lock`, as the chain above finds it: false when unknown. */
bool qspin_wait_holder_of(const qspinlock_t *lock, int *cpu,
			  enum qspin_ctx *ctx, unsigned long *ip)
{
	struct qspin_link l;

	if (!qspin_wait_holder(lock, &l))
		return false;
	*cpu = l.holder_cpu;
	*ctx = l.holder_ctx;
	*ip = l.holder_ip;
	return true;
}

/* ---- the report table: one per lock, waiter site and kind ------------- */

enum qspin_lockup_kind {
	QSPIN_LOCKUP_STUCK,	/* waited longer than spin_timeout_ms */
	QSPIN_LOCKUP_DEADLOCK,	/* the chain is a cycle through this CPU */
	QSPIN_LOCKUP_NR
};

static const char *const qspin_lockup_names[QSPIN_LOCKUP_NR] = {
	[QSPIN_LOCKUP_STUCK] = "lockup",
	[QSPIN_LOCKUP_DEADLOCK] = "deadlock",
};

#define QSPIN_LOCKUPS_MAX 64

struct qspin_lockup {
	const qspinlock_t *lock;
	unsigned long waiter_ip;
	enum qspin_lockup_kind kind;
	int cpu;			/* the reporting waiter's */
	unsigned long hits;		/* waits seen, the reported one included */
	unsigned long left;		/* of those, checked waiters that left */
	char lock_name[KSYM_NAME_LEN];
	char waiter_fn[KSYM_SYMBOL_LEN];
	char holder_fn[KSYM_SYMBOL_LEN];
};

static struct qspin_lockup qspin_lockups[QSPIN_LOCKUPS_MAX];
static unsigned int qspin_nr_lockups;
static unsigned long qspin_lockups_dropped;	/* table full */
static unsigned long qspin_lockups_nmi;		/* NMI waiters, not reported */
/* The table and the report text: no interleaved reports. */
static DEFINE_RAW_SPINLOCK(qspin_lockup_lock);

/*
 * The holder's stack, saved by qspin_backtrace_nmi() on its CPU (printing
 * from the NMI would keep it there for ms under TCG), printed by the
 * waiter. Under qspin_lockup_lock: one request at a time.
 */
#define QSPIN_BT_DEPTH 24

struct qspin_backtrace {
	int wanted;			/* set by the waiter, cleared by the NMI */
	unsigned int len;
	unsigned long entries[QSPIN_BT_DEPTH];
};

static DEFINE_PER_CPU(struct qspin_backtrace, qspin_backtrace);
static bool qspin_nmi_registered;

static const char *qspin_name_of(const qspinlock_t *lock, unsigned int cls,
				 char *buf, size_t size)
{
	if (cls == QSPIN_CLASS_NONE || cls >= QSPIN_MAX_CLASSES)
		cls = qspin_class_of(lock);
	if (cls != QSPIN_CLASS_NONE)
		return qspin_class_name(cls);
	snprintf(buf, size, "%ps", lock);
	return buf;
}

/* The report's lock names, each in its own buffer. */
struct qspin_names {
	char buf[QSPIN_CHAIN_MAX][KSYM_NAME_LEN];
	const char *name[QSPIN_CHAIN_MAX];
};

static struct qspin_names qspin_report_names;	/* under qspin_lockup_lock */

/* Whether a frame is the NMI's own (its handler and the entry code). */
static bool qspin_nmi_frame(const char *sym)
{
	return strstr(sym, "nmi") || strstr(sym, "[qspin]");
}

static void qspin_ask_backtrace(int cpu)
{
	struct qspin_backtrace *bt = per_cpu_ptr(&qspin_backtrace, cpu);
	char sym[KSYM_SYMBOL_LEN];
	unsigned int i, first = 0;
	u64 t0;

	if (!qspin_nmi_registered || cpu == smp_processor_id() ||
	    !cpu_online(cpu))
		return;
	bt->len = 0;
	smp_wmb();
	WRITE_ONCE(bt->wanted, 1);
	apic->send_IPI(cpu, NMI_VECTOR);
	/* Up to 100 ms for its handler (TCG takes its time). */
	t0 = local_clock();
	while (READ_ONCE(bt->wanted) && local_clock() - t0 < 100 * NSEC_PER_MSEC)
		cpu_relax();
	if (READ_ONCE(bt->wanted)) {
		WRITE_ONCE(bt->wanted, 0);
		pr_err(" the holder's stack: CPU %d did not answer the NMI within 100 ms\n",
		       cpu);
		return;
	}
	smp_rmb();
	/* From the frame after the NMI's entry: what the holder runs. */
	for (i = 0; i < bt->len; i++) {
		sprint_symbol(sym, bt->entries[i]);
		if (qspin_nmi_frame(sym))
			first = i + 1;
	}
	if (first >= bt->len)
		first = 0;
	pr_err(" the holder's stack (NMI backtrace for cpu %d):\n", cpu);
	for (i = first; i < bt->len; i++)
		pr_err("  %pS\n", (void *)bt->entries[i]);
}

static int qspin_backtrace_nmi(unsigned int type, struct pt_regs *regs)
{
	struct qspin_backtrace *bt = this_cpu_ptr(&qspin_backtrace);

	if (!READ_ONCE(bt->wanted))
		return NMI_DONE;
	bt->len = stack_trace_save(bt->entries, QSPIN_BT_DEPTH, 0);
	smp_wmb();
	WRITE_ONCE(bt->wanted, 0);
	return NMI_HANDLED;
}

/* Find or add the table entry; true when it is new (print the report). */
static bool qspin_lockup_note(const struct qspin_chain *ch,
			      enum qspin_lockup_kind kind, bool left,
			      struct qspin_lockup **out)
{
	const struct qspin_link *l = &ch->link[0];
	struct qspin_lockup *e;
	unsigned int i;

	for (i = 0; i < qspin_nr_lockups; i++) {
		e = &qspin_lockups[i];
		if (e->lock == l->lock && e->waiter_ip == l->wait_ip &&
		    e->kind == kind) {
			e->hits++;
			e->left += left;
			*out = e;
			return false;
		}
	}
	if (qspin_nr_lockups == QSPIN_LOCKUPS_MAX) {
		qspin_lockups_dropped++;
		*out = NULL;
		return false;
	}
	e = &qspin_lockups[qspin_nr_lockups++];
	memset(e, 0, sizeof(*e));
	e->lock = l->lock;
	e->waiter_ip = l->wait_ip;
	e->kind = kind;
	e->cpu = l->cpu;
	e->hits = 1;
	e->left = left;
	strscpy(e->lock_name, qspin_report_names.name[0], sizeof(e->lock_name));
	snprintf(e->waiter_fn, sizeof(e->waiter_fn), "%pS", (void *)l->wait_ip);
	if (qspin_link_held(ch, 0))
		snprintf(e->holder_fn, sizeof(e->holder_fn), "%pS",
			 (void *)l->holder_ip);
	else
		strscpy(e->holder_fn, "-", sizeof(e->holder_fn));
	*out = e;
	return true;
}

static void qspin_report_scenario(const struct qspin_chain *ch)
{
	const char *const *nm = qspin_report_names.name;
	unsigned int i, n = ch->n;
	char cpu0[16], cpu1[16];

	/* lockdep's "Possible unsafe locking scenario", for two CPUs. */
	if (n != 2)
		return;
	snprintf(cpu0, sizeof(cpu0), "CPU%d", ch->link[0].cpu);
	snprintf(cpu1, sizeof(cpu1), "CPU%d", ch->link[1].cpu);
	pr_err(" Possible unsafe locking scenario, happening now:\n");
	pr_err("       %-24s%s\n", cpu0, cpu1);
	pr_err("       ----                    ----\n");
	/* Each takes the lock it holds, then the one the other holds. */
	for (i = 0; i < 2; i++)
		pr_err("%*slock(%s);\n", i ? 32 : 2, "", nm[(i + 1) % n]);
	for (i = 0; i < 2; i++)
		pr_err("%*slock(%s);\n", i ? 32 : 2, "", nm[i]);
}

/*
 * The report, under qspin_lockup_lock. `ret`: 0 for a waiter that keeps
 * spinning, or what qspin_lock_checked() returns.
 */
static void qspin_report_lockup(const struct qspin_chain *ch,
				enum qspin_lockup_kind kind, u64 waited_ns,
				bool checked, int ret)
{
	const struct qspin_link *l = &ch->link[0], *last = &ch->link[ch->n - 1];
	const char *const *nm = qspin_report_names.name;
	unsigned int i;

	pr_err("\n");
	pr_err("=============================================\n");
	if (kind == QSPIN_LOCKUP_DEADLOCK)
		pr_err("BUG: circular locking deadlock in progress on CPU#%d, %s/%d\n",
		       l->cpu, current->comm, task_pid_nr(current));
	else
		pr_err("BUG: spinlock lockup suspected on CPU#%d, %s/%d\n",
		       l->cpu, current->comm, task_pid_nr(current));
	pr_err("---------------------------------------------\n");
	pr_err(" lock: %s, .word: %#x\n", nm[0],
	       qspin_word_read(&((qspinlock_t *)l->lock)->word));
	pr_err(" waiter: CPU %d, %s context (%s, pid %d), in %pS, %s for %llu ms (spin_timeout_ms %u)\n",
	       l->cpu, qspin_ctx_names[l->ctx], current->comm,
	       task_pid_nr(current), (void *)l->wait_ip,
	       checked ? "qspin_lock_checked() waiting" : "spinning",
	       waited_ns / NSEC_PER_MSEC,
	       READ_ONCE(spin_timeout_ms));
	if (l->holder_cpu >= 0)
		pr_err(" held by: CPU %d, %s context, taken at %pS\n",
		       l->holder_cpu, qspin_ctx_names[l->holder_ctx],
		       (void *)l->holder_ip);
	else if (qspin_link_held(ch, 0))
		pr_err(" held by: task %s (pid %d), on no CPU: it left its CPU with the lock held (its record is parked), %s context, taken at %pS\n",
		       ch->parked_comm, ch->parked_pid,
		       qspin_ctx_names[l->holder_ctx], (void *)l->holder_ip);
	else
		pr_err(" held by: unknown (no held record: taken before validation was on, or beyond the held-lock stack)\n");
	pr_err(" wait-for chain:\n");
	for (i = 0; i < ch->n; i++) {
		const struct qspin_link *k = &ch->link[i];

		/* In a cycle the first waiter holds the last lock. */
		if (i || ch->end == QSPIN_CHAIN_CYCLE)
			pr_err("  CPU%d holds %s and waits for %s (%s context, in %pS)\n",
			       k->cpu, nm[(i + ch->n - 1) % ch->n], nm[i],
			       qspin_ctx_names[k->ctx], (void *)k->wait_ip);
		else
			pr_err("  CPU%d waits for %s (%s context, in %pS)\n",
			       k->cpu, nm[0], qspin_ctx_names[k->ctx],
			       (void *)k->wait_ip);
	}
	switch (ch->end) {
	case QSPIN_CHAIN_RUNNING:
		pr_err("  CPU%d holds %s (%s context, taken at %pS) and is not waiting for a qspin lock: it runs and does not release it\n",
		       last->holder_cpu, nm[ch->n - 1],
		       qspin_ctx_names[last->holder_ctx],
		       (void *)last->holder_ip);
		break;
	case QSPIN_CHAIN_UNKNOWN:
		if (qspin_word_read(&((qspinlock_t *)last->lock)->word) &
		    QSPIN_LOCKED_MASK)
			pr_err("  nobody has a record of holding %s\n",
			       nm[ch->n - 1]);
		else
			pr_err("  %s is free: the waiters queued ahead have not taken it yet (a queue head held up by interrupts, or a slow vCPU)\n",
			       nm[ch->n - 1]);
		break;
	case QSPIN_CHAIN_PARKED:
		pr_err("  %s (pid %d) holds %s (%s context, taken at %pS) and is not running: it slept or was switched out with the lock held; its waiters spin until it runs again and releases it\n",
		       ch->parked_comm, ch->parked_pid, nm[ch->n - 1],
		       qspin_ctx_names[last->holder_ctx],
		       (void *)last->holder_ip);
		break;
	case QSPIN_CHAIN_CYCLE:
		pr_err("  and %s is held by CPU%d, where the chain started: a cycle\n",
		       nm[ch->n - 1], l->cpu);
		break;
	case QSPIN_CHAIN_BEHIND:
		pr_err("  CPU%d is already in the chain: the waiter is stuck behind a deadlock between other CPUs\n",
		       last->holder_cpu);
		break;
	case QSPIN_CHAIN_LONG:
		pr_err("  ... (longer)\n");
		break;
	}
	if (kind == QSPIN_LOCKUP_DEADLOCK) {
		pr_err(" %s deadlock in progress: every CPU in the chain holds the lock the next one waits for\n",
		       ch->n == 1 ? "AA" : ch->n == 2 ? "ABBA" : "circular");
		qspin_report_scenario(ch);
		pr_err(" *** DEADLOCK ***\n");
		if (ch->n == 1)
			pr_err(" fix: release %s before taking it again\n", nm[0]);
		else
			pr_err(" fix: take the locks in one order everywhere (e.g. %s before %s, on every CPU)\n",
			       nm[1], nm[0]);
	} else if (ch->end == QSPIN_CHAIN_RUNNING) {
		pr_err(" fix: the holder at %pS does not release it: release %s before anything that can take long (a delay, a wait, a loop on another CPU's progress), or move that out of the critical section\n",
		       (void *)last->holder_ip, nm[ch->n - 1]);
	} else if (ch->end == QSPIN_CHAIN_PARKED) {
		pr_err(" fix: never sleep while holding %s: release it before anything that may sleep (a GFP_KERNEL allocation, a mutex, msleep()), or protect the data with a mutex\n",
		       nm[ch->n - 1]);
	} else if (ch->end == QSPIN_CHAIN_BEHIND) {
		pr_err(" fix: take the locks of that deadlock in one order everywhere\n");
	} else {
		pr_err(" fix: release %s on every path where it is taken\n",
		       nm[ch->n - 1]);
	}
	if (ret)
		pr_err(" qspin_lock_checked() returns %s instead of spinning\n",
		       ret == -EDEADLK ? "-EDEADLK" : "-ETIMEDOUT");
	else if (checked)
		pr_err(" the checked waiter keeps spinning: it cannot leave from where it waits (behind a plain waiter); more of these are counted in debugfs qspin/lockups\n");
	else
		pr_err(" the waiter keeps spinning (qspin_lock() cannot fail); more of these are counted in debugfs qspin/lockups\n");
	if (last->holder_cpu >= 0 && ch->end == QSPIN_CHAIN_RUNNING)
		qspin_ask_backtrace(last->holder_cpu);
	pr_err(" the waiter's stack:\n");
	dump_stack();
	pr_err("=============================================\n");
}

/*
 * One wait's verdict, reported once per lock, waiter site and kind. Marks
 * every waiter of the chain as reported: ABBA prints one report, not one
 * per CPU.
 */
static void qspin_lockup_found(struct qspin_wait *w, struct qspin_chain *ch,
			       enum qspin_lockup_kind kind, u64 waited_ns,
			       int ret)
{
	struct qspin_lockup *e;
	unsigned long flags;
	unsigned int i;
	bool covered;

	/* Once per wait: the watchdog first, then its leaving, count one. */
	if (w->judged)
		return;
	w->judged = true;
	if (in_nmi()) {
		WRITE_ONCE(w->reported, true);
		qspin_lockups_nmi++;
		return;
	}
	raw_spin_lock_irqsave(&qspin_lockup_lock, flags);
	/* Another CPU of the same cycle printed it: count only. */
	covered = READ_ONCE(w->reported);
	for (i = 0; i < ch->n; i++)
		qspin_report_names.name[i] =
			qspin_name_of(ch->link[i].lock,
				      qspin_link_held(ch, i) ?
				      ch->link[i].holder_cls : QSPIN_CLASS_NONE,
				      qspin_report_names.buf[i],
				      KSYM_NAME_LEN);
	/*
	 * The chain's other waiters are covered before the report is printed,
	 * not after: printing takes long on a slow console, and a waiter of
	 * the same cycle whose own timeout passes meanwhile must not judge
	 * its wait a second lockup.
	 */
	for (i = 0; i < ch->n; i++) {
		struct qspin_wait *o = per_cpu_ptr(&qspin_wait_cpu.ctx[ch->link[i].ctx],
						   ch->link[i].cpu);

		if (READ_ONCE(o->lock) == ch->link[i].lock)
			WRITE_ONCE(o->reported, true);
	}
	WRITE_ONCE(w->reported, true);
	if (qspin_lockup_note(ch, kind, ret, &e) && !covered)
		qspin_report_lockup(ch, kind, waited_ns, w->checked, ret);
	raw_spin_unlock_irqrestore(&qspin_lockup_lock, flags);
}

/* ---- the two hooks of core_env.h --------------------------------------- */

void qspin_env_watch(const struct qspin_lock_word *word)
{
	const qspinlock_t *lock = container_of(word, qspinlock_t, word);
	struct qspin_wait *w;
	struct qspin_chain ch;
	u64 waited;

	w = qspin_wait_this();
	/* Not recorded (validation switched on while it waited): nothing to say. */
	if (unlikely(w->lock != lock))
		return;
	/* Judged, or covered by another waiter's report of the same cycle. */
	if (likely(++w->spins % QSPIN_WATCH_EVERY) || w->judged ||
	    READ_ONCE(w->reported))
		return;
	waited = local_clock() - w->since;
	/*
	 * A checked waiter that can leave reports its own leaving
	 * (qspin_env_should_leave()); the watchdog speaks for it only if it
	 * could not (behind a plain waiter), later.
	 */
	if (likely(waited <= qspin_timeout_ns() << w->checked))
		return;
	qspin_chain_build(smp_processor_id(), qspin_ctx_now(), lock, w->ip,
			  &ch);
	qspin_lockup_found(w, &ch, ch.end == QSPIN_CHAIN_CYCLE ?
			   QSPIN_LOCKUP_DEADLOCK : QSPIN_LOCKUP_STUCK,
			   waited, 0);
}

int qspin_env_should_leave(const struct qspin_lock_word *word)
{
	const qspinlock_t *lock = container_of(word, qspinlock_t, word);
	struct qspin_wait *w;
	struct qspin_chain ch;
	u64 waited;

	w = qspin_wait_this();
	if (unlikely(w->lock != lock))
		return 0;
	/* The first time at once: a deadlock already there is left at once. */
	if (w->asks++ % QSPIN_LEAVE_EVERY)
		return 0;
	waited = local_clock() - w->since;
	qspin_chain_build(smp_processor_id(), qspin_ctx_now(), lock, w->ip,
			  &ch);
	if (ch.end == QSPIN_CHAIN_CYCLE) {
		qspin_lockup_found(w, &ch, QSPIN_LOCKUP_DEADLOCK, waited,
				   -EDEADLK);
		return -EDEADLK;
	}
	if (waited > qspin_timeout_ns()) {
		qspin_lockup_found(w, &ch, QSPIN_LOCKUP_STUCK, waited,
				   -ETIMEDOUT);
		return -ETIMEDOUT;
	}
	return 0;
}

u64 qspin_watchdog_timeout_ms(void)
{
	return READ_ONCE(spin_timeout_ms);
}
EXPORT_SYMBOL_GPL(qspin_watchdog_timeout_ms);

/* ---- debugfs "lockups" ---------------------------------------------------- */

static u64 qspin_max_wait(void)
{
	u64 max = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		max = max(max, READ_ONCE(*per_cpu_ptr(&qspin_wait_max, cpu)));
	return max;
}

static int lockups_show(struct seq_file *m, void *v)
{
	unsigned long flags;
	unsigned int i;

	raw_spin_lock_irqsave(&qspin_lockup_lock, flags);
	seq_printf(m, "spin_timeout_ms %u\n", READ_ONCE(spin_timeout_ms));
	seq_printf(m, "reports %u\n", qspin_nr_lockups);
	seq_printf(m, "dropped %lu\n", qspin_lockups_dropped);
	seq_printf(m, "nmi_skipped %lu\n", qspin_lockups_nmi);
	seq_printf(m, "max_wait_us %llu\n", qspin_max_wait() / NSEC_PER_USEC);
	seq_printf(m, "queue_nodes_busy %u\n", qspin_queue_nodes_busy());
	for (i = 0; i < qspin_nr_lockups; i++) {
		const struct qspin_lockup *e = &qspin_lockups[i];

		seq_printf(m, "kind=%s cpu=%d hits=%lu left=%lu lock=\"%s\" waiter=%s holder=%s\n",
			   qspin_lockup_names[e->kind], e->cpu, e->hits,
			   e->left, e->lock_name, e->waiter_fn, e->holder_fn);
	}
	raw_spin_unlock_irqrestore(&qspin_lockup_lock, flags);
	return 0;
}

/* "reset": forget the reports and their counts, and max_wait_us. */
static void qspin_lockups_reset(void)
{
	unsigned long flags;
	int cpu;

	raw_spin_lock_irqsave(&qspin_lockup_lock, flags);
	qspin_nr_lockups = 0;
	qspin_lockups_dropped = 0;
	qspin_lockups_nmi = 0;
	raw_spin_unlock_irqrestore(&qspin_lockup_lock, flags);
	for_each_possible_cpu(cpu)
		WRITE_ONCE(*per_cpu_ptr(&qspin_wait_max, cpu), 0);
}

static ssize_t lockups_write(struct file *file, const char __user *ubuf,
			     size_t len, loff_t *ppos)
{
	return qspin_debugfs_reset(ubuf, len, qspin_lockups_reset);
}
QSPIN_DEFINE_RW_ATTRIBUTE(lockups);

void qspin_watchdog_debugfs(struct dentry *dir)
{
	debugfs_create_file("lockups", 0600, dir, NULL, &lockups_fops);
}

unsigned long qspin_lockup_count(void)
{
	unsigned long flags, n = 0;
	unsigned int i;

	raw_spin_lock_irqsave(&qspin_lockup_lock, flags);
	for (i = 0; i < qspin_nr_lockups; i++)
		n += qspin_lockups[i].hits;
	raw_spin_unlock_irqrestore(&qspin_lockup_lock, flags);
	return n;
}
EXPORT_SYMBOL_GPL(qspin_lockup_count);

/* ---- load and unload ------------------------------------------------------ */

int qspin_watchdog_init(void)
{
	int ret = register_nmi_handler(NMI_LOCAL, qspin_backtrace_nmi, 0,
				       "qspin_watchdog");

	/* Without it the report only lacks the holder's stack. */
	if (ret)
		pr_warn("no NMI handler (%d): lockup reports will not show the holder's stack\n",
			ret);
	qspin_nmi_registered = !ret;
	return 0;
}

void qspin_watchdog_exit(void)
{
	if (qspin_nmi_registered)
		unregister_nmi_handler(NMI_LOCAL, "qspin_watchdog");
}
