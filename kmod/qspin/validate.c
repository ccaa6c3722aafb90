// SPDX-License-Identifier: GPL-2.0
/*
 * The validator: lockdep's checks for qspin locks, on the kernel the driver
 * runs on. lock_api.c calls in here from its instrumented path only, so
 * with validation off (validate=0) the lock operations are the plain ones.
 *
 * Held locks: per CPU, one stack per context level (task, softirq,
 * hardirq, NMI), each record with the lock, its class, the caller, how
 * interrupts and softirqs were at acquisition, and whether it was a
 * trylock. Each context writes only its own level; a context of a higher
 * level reads the levels below (it interrupted them on this CPU), so a
 * compiler barrier orders them: a record is published, lock pointer last,
 * before the atomic that takes the lock, and dropped after the release.
 * Unlocking out of order is legal: the record is found and the ones above
 * it move down.
 *
 * What one acquisition costs, by design (README.md, "The validator"):
 *  - nothing else held in this context, usage already recorded: the
 *    context level, one lock-free lookup of the lock's class (class.h),
 *    one load of the class's usage bits, one record;
 *  - something held: a hash of the held classes (the chain) looked up in
 *    the chain cache; only a new chain takes the graph lock, checks
 *    recursion and hands the new dependencies to the graph (graph.c);
 *  - a usage the class never had: the graph lock, the usage's first site
 *    (saved stack), the inconsistent-state check, and the graph's irq
 *    checks (qspin_graph_usage()).
 * In NMI only read-only checks run: no class, usage, chain or graph change.
 *
 * Release: the record on top of this context's stack (or, for an
 * out-of-order unlock, further down) is the lock's. A lock that is not
 * locked, or that another CPU or context holds, is a bad unlock: reported,
 * the word left alone. A lock with no record anywhere was taken before
 * validation was switched on (or when the held stack was full): released
 * without a word. Interrupts (softirqs) on at release where they were off
 * at acquisition means they were enabled inside the critical section:
 * HARDIRQ-ON (SOFTIRQ-ON) usage, found without irq-flag tracing.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/hardirq.h>
#include <linux/irqflags.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/smp.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <trace/events/kmem.h>

#include <qspin/debug.h>
#include "class.h"
#include "graph.h"
#include "held.h"
#include "internal.h"
#include "parked.h"

DEFINE_STATIC_KEY_TRUE(qspin_validate_key);
DEFINE_RAW_SPINLOCK(qspin_graph_lock);

static bool validate = true;
module_param(validate, bool, 0444);
MODULE_PARM_DESC(validate, "Validate locking as lockdep does (default: on; debugfs validate switches it)");

static bool detect = true;
module_param(detect, bool, 0444);
MODULE_PARM_DESC(detect, "Old name of validate: detect=0 is validate=0");

const char *const qspin_ctx_names[QSPIN_CTX_NR] = {
	[QSPIN_CTX_TASK] = "task",
	[QSPIN_CTX_SOFTIRQ] = "softirq",
	[QSPIN_CTX_HARDIRQ] = "hardirq",
	[QSPIN_CTX_NMI] = "NMI",
};

/* ---- held locks ------------------------------------------------------- */

DEFINE_PER_CPU(struct qspin_held_cpu, qspin_held_cpu);

/* Softirqs can run here: lockdep's softirqs_enabled, which needs hardirqs on. */
static __always_inline bool qspin_softirqs_on(bool irqs_off)
{
	return !irqs_off && !softirq_count();
}

/* ---- chain cache ------------------------------------------------------ */

/*
 * Chains already checked: the hash of (this context's held classes with
 * their trylock bits, the new class). A hit means recursion and every
 * dependency of this acquisition were checked before. Open addressing,
 * lock-free lookup, inserts under the graph lock; 0 is a free slot.
 */
#define QSPIN_CHAIN_BITS 13
#define QSPIN_CHAIN_SIZE (1U << QSPIN_CHAIN_BITS)
#define QSPIN_CHAIN_PROBES 16

static u64 qspin_chains[QSPIN_CHAIN_SIZE];
static unsigned int qspin_nr_chains;	/* under the graph lock */
static bool qspin_chains_full;		/* under the graph lock */

static __always_inline u64 qspin_chain_mix(u64 key, u64 v)
{
	return (key ^ v) * 0x9e3779b97f4a7c15ULL + (key >> 29);
}

static u64 qspin_chain_key(const struct qspin_held_stack *hs, unsigned int depth,
			   unsigned int cls)
{
	u64 key = 0;
	unsigned int i;

	for (i = 0; i < depth; i++)
		key = qspin_chain_mix(key, hs->held[i].cls |
				      (u64)(hs->held[i].flags &
					    QSPIN_HELD_TRYLOCK) << 32);
	key = qspin_chain_mix(key, cls | (1ULL << 40));
	return key ?: 1;
}

static bool qspin_chain_known(u64 key)
{
	unsigned int i = key & (QSPIN_CHAIN_SIZE - 1), n;
	u64 k;

	for (n = 0; n < QSPIN_CHAIN_PROBES; n++) {
		k = READ_ONCE(qspin_chains[i]);
		if (k == key)
			return true;
		if (!k)
			return false;
		i = (i + 1) & (QSPIN_CHAIN_SIZE - 1);
	}
	return false;
}

/* Graph lock held. false: no room (reported once). */
static bool qspin_chain_add(u64 key)
{
	unsigned int i = key & (QSPIN_CHAIN_SIZE - 1), n;

	lockdep_assert_held(&qspin_graph_lock);
	for (n = 0; n < QSPIN_CHAIN_PROBES; n++) {
		if (!qspin_chains[i]) {
			WRITE_ONCE(qspin_chains[i], key);
			qspin_nr_chains++;
			return true;
		}
		if (qspin_chains[i] == key)
			return true;
		i = (i + 1) & (QSPIN_CHAIN_SIZE - 1);
	}
	if (!qspin_chains_full) {
		qspin_chains_full = true;
		if (qspin_report_start(QSPIN_REPORT_POOL_FULL, 5, 0)) {
			pr_err(" the chain cache is full (%u chains): new lock chains are checked every time they are taken, without a saved stack\n",
			       QSPIN_CHAIN_SIZE);
			qspin_report_end();
		}
	}
	return false;
}

void qspin_chains_reset(void)
{
	lockdep_assert_held(&qspin_graph_lock);
	memset(qspin_chains, 0, sizeof(qspin_chains));
	qspin_nr_chains = 0;
	qspin_chains_full = false;
}

/* ---- names for reports ---------------------------------------------------- */

/* "foo_read" for "foo_read [drv]": a function's name in a sentence. */
static void qspin_fn_name(unsigned long ip, char *buf, size_t size)
{
	char *mod;

	snprintf(buf, size, "%ps", (void *)ip);
	mod = strstr(buf, " [");
	if (mod)
		*mod = '\0';
}

/* ---- usage states and "inconsistent lock state" ------------------------- */

/* Usage bits whose first site came from a release (irqs enabled inside). */
static u8 qspin_usage_at_release[QSPIN_MAX_CLASSES];

static void qspin_report_inconsistent(unsigned int cls, enum qspin_usage u)
{
	bool soft = u == QSPIN_USED_IN_SOFTIRQ || u == QSPIN_ENABLED_SOFTIRQ;
	enum qspin_usage used = soft ? QSPIN_USED_IN_SOFTIRQ :
				       QSPIN_USED_IN_HARDIRQ;
	enum qspin_usage enabled = soft ? QSPIN_ENABLED_SOFTIRQ :
					  QSPIN_ENABLED_HARDIRQ;
	const struct qspin_site *us = qspin_class_usage_site(cls, used);
	const struct qspin_site *es = qspin_class_usage_site(cls, enabled);
	const char *name = qspin_class_name(cls);
	char user[KSYM_NAME_LEN], taker[KSYM_NAME_LEN];
	enum qspin_usage first = u == used ? enabled : used;

	if (!qspin_report_start(QSPIN_REPORT_INCONSISTENT, cls, soft))
		return;
	qspin_fn_name(es->ip, taker, sizeof(taker));
	qspin_fn_name(us->ip, user, sizeof(user));
	pr_err(" inconsistent {%s} -> {%s} usage.\n", qspin_usage_name(first),
	       qspin_usage_name(u));
	pr_err(" lock: %s\n", name);
	pr_err(" {%s} state was registered at: %pS\n",
	       qspin_usage_name(enabled), (void *)es->ip);
	qspin_stack_print(es->stack);
	pr_err(" {%s} state was registered at: %pS\n", qspin_usage_name(used),
	       (void *)us->ip);
	qspin_stack_print(us->stack);
	pr_err(" possible unsafe locking scenario:\n");
	pr_err("       CPU0\n");
	pr_err("       ----\n");
	pr_err("  lock(%s);\n", name);
	pr_err("  %s\n", soft ? "<Softirq>" : "<Interrupt>");
	pr_err("    lock(%s);\n", name);
	pr_err("  *** DEADLOCK ***\n");
	if (qspin_usage_at_release[cls] & BIT(enabled))
		pr_err(" fix: keep %s off while %s is held in %s() (it turns them on inside the critical section), because %s() takes it in %s context\n",
		       soft ? "softirqs" : "interrupts", name, taker, user,
		       soft ? "softirq" : "hardirq");
	else
		pr_err(" fix: take %s with %s in %s(), because %s() takes it in %s context\n",
		       name, soft ? "qspin_lock_bh()" : "qspin_lock_irqsave()",
		       taker, user, soft ? "softirq" : "hardirq");
	qspin_report_end();
}

/* `cls` needs the usage bits `need`; some are new. Not in NMI. */
static noinline void qspin_mark_usage(unsigned int cls, unsigned int need,
				      unsigned long ip, bool at_release)
{
	struct qspin_site site = { .ip = ip };
	unsigned long flags, missing;
	unsigned int u;

	raw_spin_lock_irqsave(&qspin_graph_lock, flags);
	missing = need & ~qspin_usage_bits[cls];
	if (!missing)
		goto out;
	site.stack = qspin_stack_save();
	for_each_set_bit(u, &missing, QSPIN_USAGE_NR) {
		if (at_release)
			qspin_usage_at_release[cls] |= BIT(u);
		else
			qspin_usage_at_release[cls] &= ~BIT(u);
		if (!qspin_class_mark_usage(cls, u, &site))
			continue;
		/* USED_IN_x and ENABLED_x differ in bit 1: the exclusive pair. */
		if (qspin_usage_bits[cls] & BIT(u ^ 2))
			qspin_report_inconsistent(cls, u);
		qspin_graph_usage(cls, u, &site);
	}
out:
	raw_spin_unlock_irqrestore(&qspin_graph_lock, flags);
}

/* The usage bits one acquisition implies (lockdep's mark_usage()). */
static __always_inline unsigned int qspin_usage_need(enum qspin_ctx ctx,
						     bool irqs_off,
						     bool trylock)
{
	unsigned int need = 0;

	if (!trylock) {
		if (ctx == QSPIN_CTX_HARDIRQ)
			need |= BIT(QSPIN_USED_IN_HARDIRQ);
		else if (ctx == QSPIN_CTX_SOFTIRQ)
			need |= BIT(QSPIN_USED_IN_SOFTIRQ);
	}
	if (!irqs_off) {
		need |= BIT(QSPIN_ENABLED_HARDIRQ);
		if (qspin_softirqs_on(irqs_off))
			need |= BIT(QSPIN_ENABLED_SOFTIRQ);
	}
	return need;
}

/* ---- dependencies and recursion: once per new chain ---------------------- */

static void qspin_report_recursive(const struct qspin_held *held,
				   unsigned int cls, unsigned long ip)
{
	const char *name = qspin_class_name(cls);

	if (!qspin_report_start(QSPIN_REPORT_RECURSIVE, held->cls, cls))
		return;
	pr_err(" trying to acquire a lock of class %s at %pS\n", name,
	       (void *)ip);
	pr_err(" but a lock of the same class is already held, taken at %pS\n",
	       (void *)held->ip);
	pr_err(" possible unsafe locking scenario:\n");
	pr_err("       CPU0\n");
	pr_err("       ----\n");
	pr_err("  lock(%s);\n", name);
	pr_err("  lock(%s);\n", name);
	pr_err("  *** DEADLOCK ***\n");
	pr_err("  May be due to missing lock nesting notation\n");
	pr_err(" fix: if the two locks are always taken in one order (e.g. parent before child), take the second with qspin_lock_nested(lock, 1); otherwise never hold two %s locks at once\n",
	       name);
	dump_stack();
	qspin_report_end();
}

/*
 * `cls` is being taken (not a trylock) with `depth` locks held in this
 * context: a new chain is checked once. Not in NMI.
 */
static noinline void qspin_check_chain(const qspinlock_t *lock,
				       unsigned long ip, unsigned int cls,
				       const struct qspin_held_stack *hs,
				       unsigned int depth)
{
	u64 key = qspin_chain_key(hs, depth, cls);
	struct qspin_site next = { .ip = ip }, prev = {};
	const struct qspin_held *h;
	unsigned long flags;
	bool same = false;
	int i;

	if (qspin_chain_known(key))
		return;
	raw_spin_lock_irqsave(&qspin_graph_lock, flags);
	if (qspin_chain_known(key))
		goto out;
	for (i = 0; i < depth; i++) {
		h = &hs->held[i];
		if (h->cls != cls)
			continue;
		same = true;
		/* The same lock again is a deadlock: reported on contention. */
		if (qspin_held_lock(h) != lock)
			qspin_report_recursive(h, cls, ip);
	}
	if (!same && qspin_chain_add(key))
		next.stack = qspin_stack_save();
	if (same) {
		qspin_chain_add(key);
		goto out;
	}
	/*
	 * prev -> next for each held lock from the top down to the first
	 * that is not a trylock: below it, that one's own dependencies
	 * connect them (lockdep's check_prevs_add()).
	 */
	for (i = depth - 1; i >= 0; i--) {
		h = &hs->held[i];
		if (h->cls != QSPIN_CLASS_NONE) {
			prev.ip = h->ip;
			qspin_graph_add(h->cls, cls, &prev, &next);
		}
		if (!(h->flags & QSPIN_HELD_TRYLOCK))
			break;
	}
out:
	raw_spin_unlock_irqrestore(&qspin_graph_lock, flags);
}

/* ---- acquire ----------------------------------------------------------------- */

/* The class, subclass included, made on first sight; NONE in NMI if new. */
static noinline unsigned int qspin_class_slow(qspinlock_t *lock,
					      unsigned long ip,
					      unsigned int subclass,
					      enum qspin_ctx ctx)
{
	unsigned int cls = qspin_class_of(lock);
	unsigned long flags;

	if (ctx == QSPIN_CTX_NMI)
		return subclass ? QSPIN_CLASS_NONE : cls;
	if (cls == QSPIN_CLASS_NONE)
		cls = qspin_class_register_lock(lock, ip);
	if (subclass && cls != QSPIN_CLASS_NONE) {
		raw_spin_lock_irqsave(&qspin_graph_lock, flags);
		cls = qspin_class_subclass(cls, subclass);
		raw_spin_unlock_irqrestore(&qspin_graph_lock, flags);
	}
	return cls;
}

static noinline void qspin_held_overflow(void)
{
	this_cpu_inc(qspin_held_cpu.overflow);
	if (in_nmi())
		return;
	if (qspin_report_start(QSPIN_REPORT_POOL_FULL, 6, 0)) {
		pr_err(" more than %d locks held in one context on one CPU: the rest go unrecorded (no dependencies, no deadlock check)\n",
		       QSPIN_HELD_MAX);
		qspin_report_end();
	}
}

bool notrace qspin_validate_acquire(qspinlock_t *lock, unsigned long ip,
				    unsigned int subclass, bool trylock)
{
	enum qspin_ctx ctx = qspin_ctx_now();
	struct qspin_held_stack *hs = this_cpu_ptr(&qspin_held_cpu.ctx[ctx]);
	unsigned int depth = qspin_held_depth(hs), cls, need;
	bool irqs_off = irqs_disabled();
	struct qspin_held *h;
	u8 flags;

	cls = qspin_class_of(lock);
	if (unlikely(cls == QSPIN_CLASS_NONE || subclass))
		cls = qspin_class_slow(lock, ip, subclass, ctx);
	if (unlikely(depth) && !trylock && cls != QSPIN_CLASS_NONE &&
	    ctx != QSPIN_CTX_NMI)
		qspin_check_chain(lock, ip, cls, hs, min(depth, QSPIN_HELD_MAX));
	need = qspin_usage_need(ctx, irqs_off, trylock);
	if (unlikely((READ_ONCE(qspin_usage_bits[cls & (QSPIN_MAX_CLASSES - 1)]) &
		      need) != need) && cls != QSPIN_CLASS_NONE &&
	    ctx != QSPIN_CTX_NMI)
		qspin_mark_usage(cls, need, ip, false);

	if (unlikely(depth >= QSPIN_HELD_MAX)) {
		qspin_held_overflow();
		return false;
	}
	flags = trylock ? QSPIN_HELD_TRYLOCK : 0;
	if (irqs_off)
		flags |= QSPIN_HELD_IRQS_OFF | QSPIN_HELD_SOFTIRQS_OFF;
	else if (!qspin_softirqs_on(irqs_off))
		flags |= QSPIN_HELD_SOFTIRQS_OFF;
	h = &hs->held[depth];
	h->ip = ip;
	h->cls = cls;
	h->flags = flags & QSPIN_HELD_TRYLOCK;
	/* An interrupting reader sees the record once it sees the lock. */
	barrier();
	WRITE_ONCE(h->lock_tag, qspin_held_tag(lock, flags));
	/* Published before the caller's atomic on the lock word. */
	barrier();
	return true;
}

/* Drop record `i` of this context's stack, moving the ones above down. */
static void qspin_held_remove(struct qspin_held_stack *hs, unsigned int i)
{
	unsigned int depth = qspin_held_depth(hs);

	for (; i + 1 < depth; i++) {
		hs->held[i].ip = hs->held[i + 1].ip;
		hs->held[i].cls = hs->held[i + 1].cls;
		hs->held[i].flags = hs->held[i + 1].flags;
		barrier();
		WRITE_ONCE(hs->held[i].lock_tag, hs->held[i + 1].lock_tag);
	}
	WRITE_ONCE(hs->held[depth - 1].lock_tag, 0);
}

/* qspin_lock_checked() backs off: forget the record just made. */
void qspin_validate_back_off(qspinlock_t *lock)
{
	struct qspin_held_stack *hs =
		this_cpu_ptr(&qspin_held_cpu.ctx[qspin_ctx_now()]);
	unsigned int depth = qspin_held_depth(hs);

	if (depth && qspin_held_lock(&hs->held[depth - 1]) == lock)
		qspin_held_remove(hs, depth - 1);
}

/*
 * On contention, before the waiter touches the lock word: a record of the
 * lock in a context this one interrupted on this CPU, or in this context
 * (besides the one just made, `recorded`), means it can never be released
 * while we spin. Report (detect.c), then the caller backs off or spins.
 */
bool qspin_validate_contended(qspinlock_t *lock, unsigned long ip,
			      bool recorded, bool checked)
{
	struct qspin_held_cpu *hc = this_cpu_ptr(&qspin_held_cpu);
	enum qspin_ctx ctx = qspin_ctx_now(), c;
	unsigned int i, depth = qspin_held_depth(&hc->ctx[ctx]);

	for (c = QSPIN_CTX_TASK; c <= ctx; c++) {
		for (i = 0; i < QSPIN_HELD_MAX; i++) {
			if (qspin_held_lock(&hc->ctx[c].held[i]) != lock)
				continue;
			/* The record this very attempt just made. */
			if (c == ctx && recorded && i + 1 == depth)
				continue;
			qspin_report_deadlock(lock, c,
					      READ_ONCE(hc->ctx[c].held[i].ip),
					      ctx, ip, checked);
			return true;
		}
	}
	return false;
}

/* ---- release ------------------------------------------------------------------ */

/* Where a lock is held, other than in this CPU's current context. */
struct qspin_holder {
	int cpu;
	enum qspin_ctx ctx;
	unsigned long ip;
};

static bool qspin_find_holder(const qspinlock_t *lock, struct qspin_holder *who)
{
	int cpu, c, i;

	for_each_possible_cpu(cpu) {
		struct qspin_held_cpu *hc = per_cpu_ptr(&qspin_held_cpu, cpu);

		for (c = 0; c < QSPIN_CTX_NR; c++) {
			for (i = 0; i < QSPIN_HELD_MAX; i++) {
				if (qspin_held_lock(&hc->ctx[c].held[i]) != lock)
					continue;
				who->cpu = cpu;
				who->ctx = c;
				who->ip = READ_ONCE(hc->ctx[c].held[i].ip);
				return true;
			}
		}
	}
	return false;
}

static unsigned long qspin_outside_caller(void);

/*
 * From validate=1 until the locks taken before it are released: until the
 * RCU grace period started once the switch is complete has ended (a holder
 * has preemption off). Polled, never waited for: the switch must not wait
 * for a holder that waits for its caller.
 *
 * While either switch is in progress (qspin_validate_switching), the keys'
 * jump sites are being patched one by one: a lock site may still take the
 * plain way (no record) while the unlock site after it already takes the
 * validator's, and the other way round. So the grace period starts only
 * once every key is on (a lock taken before then may have no record), and
 * during the switch off, too, a release without a record of its own
 * releases. Found by qspin_toggle.sh on 6.1-rt: the grace period started
 * before the keys went on ended while they were being patched; a lock
 * then taken the plain way was refused at its validated unlock as a "bad
 * unlock" (a waiter's record looked like its holder's), and every waiter
 * spun for ever.
 */
static bool qspin_validate_settling;
static bool qspin_validate_switching;
static unsigned long qspin_validate_on_gp;

static void qspin_report_bad_unlock(qspinlock_t *lock,
				    const struct qspin_holder *who)
{
	unsigned int cls = qspin_class_of(lock);
	unsigned long ip;

	if (!qspin_report_start(QSPIN_REPORT_BAD_UNLOCK, (unsigned long)lock,
				who ? 2 : 1))
		return;
	ip = qspin_outside_caller();
	if (cls != QSPIN_CLASS_NONE)
		pr_err(" %s (%s context, CPU %d) is trying to release lock %s at %pS\n",
		       current->comm, qspin_ctx_names[qspin_ctx_now()],
		       raw_smp_processor_id(), qspin_class_name(cls),
		       (void *)ip);
	else	/* never taken under validation: no class, its symbol if any */
		pr_err(" %s (%s context, CPU %d) is trying to release lock %pS at %pS\n",
		       current->comm, qspin_ctx_names[qspin_ctx_now()],
		       raw_smp_processor_id(), lock, (void *)ip);
	if (who)
		pr_err(" but it is held by CPU %d in %s context, taken at %pS\n",
		       who->cpu, qspin_ctx_names[who->ctx], (void *)who->ip);
	else
		pr_err(" but there are no more locks to release: it is not locked\n");
	pr_err(" the lock word is left as it is\n");
	pr_err(" fix: release a lock once, on the CPU and in the context that took it%s\n",
	       who ? " (an owner on another CPU or context is not ours to release)" :
		     " (a second unlock, or an unlock without lock)");
	dump_stack();
	qspin_report_end();
}

/* Usage a release reveals: interrupts or softirqs turned on inside. */
static void qspin_release_usage(const struct qspin_held *h)
{
	bool irqs_off = irqs_disabled();
	unsigned int need = 0;

	if ((qspin_held_flags(h) & QSPIN_HELD_IRQS_OFF) && !irqs_off)
		need |= BIT(QSPIN_ENABLED_HARDIRQ);
	if ((qspin_held_flags(h) & QSPIN_HELD_SOFTIRQS_OFF) &&
	    qspin_softirqs_on(irqs_off))
		need |= BIT(QSPIN_ENABLED_SOFTIRQ);
	if (need && h->cls != QSPIN_CLASS_NONE && !in_nmi() &&
	    (READ_ONCE(qspin_usage_bits[h->cls]) & need) != need)
		qspin_mark_usage(h->cls, need, qspin_outside_caller(), true);
}

/*
 * The first caller outside qspin.ko: who released the lock. The release
 * path takes no caller's address (on the plain path even loading one costs
 * an instruction), so its rare reports find it on the stack.
 */
static noinline unsigned long qspin_outside_caller(void)
{
	unsigned long entries[8];
	unsigned int n = stack_trace_save(entries, ARRAY_SIZE(entries), 1), i;

	for (i = 0; i < n; i++)
		if (!within_module_core(entries[i], THIS_MODULE))
			return entries[i];
	return n ? entries[n - 1] : 0;
}

/*
 * The caller's address is found on the stack only for what needs it (a
 * report, a new usage): an unlock in interrupt context or out of order
 * comes here every time and takes no stack trace.
 */
static bool qspin_validate_release_slow(qspinlock_t *lock,
					struct qspin_held_stack *hs)
{
	struct qspin_holder who;
	unsigned int i;

	for (i = qspin_held_depth(hs); i-- > 0;) {
		if (qspin_held_lock(&hs->held[i]) != lock)
			continue;
		if (!(qspin_word_read(&lock->word) & QSPIN_LOCKED_MASK)) {
			qspin_held_remove(hs, i);
			qspin_report_bad_unlock(lock, NULL);
			return false;
		}
		if (qspin_held_flags(&hs->held[i]) &
		    (QSPIN_HELD_IRQS_OFF | QSPIN_HELD_SOFTIRQS_OFF))
			qspin_release_usage(&hs->held[i]);
		qspin_word_unlock(&lock->word);
		/* After the release: a record never claims less than is held. */
		barrier();
		qspin_held_remove(hs, i);
		return true;
	}
	/*
	 * Just switched on: a lock taken before has no record, and a waiter's
	 * record, made before it spins, looks like its holder's. Until every
	 * such holder has released (qspin_validate_switch()), a release
	 * without a record of its own releases.
	 */
	if (READ_ONCE(qspin_validate_settling) &&
	    (smp_load_acquire(&qspin_validate_switching) ||
	     !poll_state_synchronize_rcu(READ_ONCE(qspin_validate_on_gp))) &&
	    (qspin_word_read(&lock->word) & QSPIN_LOCKED_MASK)) {
		qspin_word_unlock(&lock->word);
		return true;
	}
	if (qspin_find_holder(lock, &who)) {
		qspin_report_bad_unlock(lock, &who);
		return false;
	}
	if (!(qspin_word_read(&lock->word) & QSPIN_LOCKED_MASK)) {
		qspin_report_bad_unlock(lock, NULL);
		return false;
	}
	/* No record anywhere: taken before validation was switched on. */
	qspin_word_unlock(&lock->word);
	return true;
}

noinline bool qspin_validate_release_general(qspinlock_t *lock)
{
	struct qspin_held_stack *hs =
		this_cpu_ptr(&qspin_held_cpu.ctx[qspin_ctx_now()]);

	/* Ours, parked when we slept or leaked: no preemption to give back. */
	if (unlikely(atomic_read(&qspin_nr_parked)) &&
	    qspin_ctx_now() == QSPIN_CTX_TASK && qspin_parked_release(lock))
		return true;
	qspin_validate_release_slow(lock, hs);
	return false;
}

/* ---- init of a lock, held locks freed ------------------------------------------ */

/* qspin_lock_init() on a lock: false (after a report) when it is held. */
bool qspin_validate_init(qspinlock_t *lock, unsigned long ip)
{
	struct qspin_holder who;

	if (!qspin_find_holder(lock, &who))
		return true;
	if (qspin_report_start(QSPIN_REPORT_HELD_REINIT, (unsigned long)lock,
			       0)) {
		pr_err(" lock %s is initialised at %pS while CPU %d holds it in %s context (taken at %pS)\n",
		       qspin_class_name(qspin_class_of(lock)), (void *)ip,
		       who.cpu, qspin_ctx_names[who.ctx], (void *)who.ip);
		pr_err(" the lock word is left as it is\n");
		pr_err(" fix: initialise a lock once, before anyone can take it\n");
		dump_stack();
		qspin_report_end();
	}
	return false;
}

/*
 * Forget record `i` of CPU `cpu`'s context `c`, whose lock is being freed:
 * its class id may be reused and its address given to another lock, so the
 * record must not outlive it. Records are written only by their own
 * context: when that is us (this CPU, this context, preemption off) the
 * record is removed and the ones above move down. Otherwise one store
 * frees the slot; the stack now ends there, so what a concurrent owner
 * sees is at worst a record of its own above the slot made invisible: its
 * unlock then finds no record and releases the lock quietly (as for a lock
 * taken before validation was on). It is never a false report: no record
 * claims a lock that is not held, except the freed one, now gone.
 */
static void qspin_held_drop(int cpu, enum qspin_ctx c, unsigned int i)
{
	struct qspin_held_cpu *hc = per_cpu_ptr(&qspin_held_cpu, cpu);

	if (cpu == smp_processor_id() && c == qspin_ctx_now())
		qspin_held_remove(&hc->ctx[c], i);
	else
		WRITE_ONCE(hc->ctx[c].held[i].lock_tag, 0);
}

static bool qspin_parked_in_module(const qspinlock_t *lock, void *mod)
{
	return qspin_lock_in_module(lock, mod);
}

static void qspin_report_parked_going(const struct qspin_parked *p, void *arg)
{
	struct module *mod = arg;
	qspinlock_t *lock = qspin_held_lock(&p->held);

	if (qspin_report_start(QSPIN_REPORT_HELD_FREED, (unsigned long)lock, 0)) {
		pr_err(" module %s is unloading while a task that left CPU %d holds its lock %ps (taken at %pS)\n",
		       mod->name, p->cpu, lock, (void *)p->held.ip);
		pr_err(" fix: release every lock before the module's exit function returns\n");
		qspin_report_end();
	}
}

/* A module is going: its locks still held are reported and forgotten. */
void qspin_held_check_freed(struct module *mod)
{
	int cpu, c, i;

	/* No migration: qspin_held_drop() compares with this CPU. */
	preempt_disable();
	for_each_possible_cpu(cpu) {
		struct qspin_held_cpu *hc = per_cpu_ptr(&qspin_held_cpu, cpu);

		for (c = 0; c < QSPIN_CTX_NR; c++) {
			for (i = QSPIN_HELD_MAX; i-- > 0;) {
				qspinlock_t *lock = qspin_held_lock(&hc->ctx[c].held[i]);

				if (!lock || !qspin_lock_in_module(lock, mod))
					continue;
				if (qspin_report_start(QSPIN_REPORT_HELD_FREED,
						       (unsigned long)lock, 0)) {
					pr_err(" module %s is unloading while CPU %d holds its lock %ps in %s context (taken at %pS)\n",
					       mod->name, cpu, lock, qspin_ctx_names[c],
					       (void *)READ_ONCE(hc->ctx[c].held[i].ip));
					pr_err(" fix: release every lock before the module's exit function returns\n");
					qspin_report_end();
				}
				qspin_held_drop(cpu, c, i);
			}
		}
	}
	preempt_enable();
	qspin_parked_drop_if(qspin_parked_in_module, qspin_report_parked_going,
			     mod);
}

struct qspin_freed_range {
	unsigned long start, end, call_site;
};

static bool qspin_parked_in_range(const qspinlock_t *lock, void *arg)
{
	const struct qspin_freed_range *r = arg;

	return (unsigned long)lock >= r->start && (unsigned long)lock < r->end;
}

static void qspin_report_parked_freed(const struct qspin_parked *p, void *arg)
{
	const struct qspin_freed_range *r = arg;
	qspinlock_t *lock = qspin_held_lock(&p->held);

	if (qspin_report_start(QSPIN_REPORT_HELD_FREED, (unsigned long)lock, 0)) {
		pr_err(" memory [%px, %px) freed at %pS holds lock %s (%px), held by a task that left CPU %d (taken at %pS)\n",
		       (void *)r->start, (void *)r->end, (void *)r->call_site,
		       qspin_class_name(p->held.cls), lock, p->cpu,
		       (void *)p->held.ip);
		pr_err(" the record is dropped; the lock's memory is not touched\n");
		pr_err(" fix: release the lock before freeing its memory\n");
		qspin_report_end();
	}
}

/*
 * Memory freed (kfree(), kmem_cache_free()) with a held lock inside, as
 * lockdep's debug_check_no_locks_freed(): probes on the kmem tracepoints,
 * registered while validation is on. They run on every free in the
 * system: each context's first record says its stack is empty, so with
 * nothing held a free costs one read per CPU and context. No allocation,
 * no sleeping: a report and the dropped records only.
 */
static void qspin_check_freed_range(const void *ptr, size_t size,
				    unsigned long call_site)
{
	unsigned long start = (unsigned long)ptr, end = start + size;
	int cpu, c, i;

	for_each_possible_cpu(cpu) {
		struct qspin_held_cpu *hc = per_cpu_ptr(&qspin_held_cpu, cpu);

		for (c = 0; c < QSPIN_CTX_NR; c++) {
			if (!READ_ONCE(hc->ctx[c].held[0].lock_tag))
				continue;
			/* From the top: qspin_held_drop() moves records down. */
			for (i = QSPIN_HELD_MAX; i-- > 0;) {
				struct qspin_held *h = &hc->ctx[c].held[i];
				qspinlock_t *lock = qspin_held_lock(h);

				if ((unsigned long)lock < start ||
				    (unsigned long)lock >= end)
					continue;
				if (qspin_report_start(QSPIN_REPORT_HELD_FREED,
						       (unsigned long)lock, 0)) {
					pr_err(" memory [%px, %px) freed at %pS holds lock %s (%px), held by CPU %d in %s context (taken at %pS)\n",
					       ptr, (void *)end, (void *)call_site,
					       qspin_class_name(READ_ONCE(h->cls)),
					       lock, cpu, qspin_ctx_names[c],
					       (void *)READ_ONCE(h->ip));
					pr_err(" the record is dropped; the lock's memory is not touched\n");
					pr_err(" fix: release the lock before freeing its memory\n");
					qspin_report_end();
				}
				qspin_held_drop(cpu, c, i);
			}
		}
	}
	if (unlikely(atomic_read(&qspin_nr_parked))) {
		struct qspin_freed_range r = { start, end, call_site };

		qspin_parked_drop_if(qspin_parked_in_range,
				     qspin_report_parked_freed, &r);
	}
}

static void qspin_probe_kfree(void *data, unsigned long call_site,
			      const void *ptr)
{
	/* kfree() traces before it tests for NULL and ZERO_SIZE_PTR. */
	if (ZERO_OR_NULL_PTR(ptr) || !qspin_validate_enabled())
		return;
	qspin_check_freed_range(ptr, ksize(ptr), call_site);
}

static void qspin_probe_kmem_cache_free(void *data, unsigned long call_site,
					const void *ptr,
					const struct kmem_cache *s)
{
	if (!ptr || !qspin_validate_enabled())
		return;
	qspin_check_freed_range(ptr, kmem_cache_size((struct kmem_cache *)s),
				call_site);
}

struct qspin_tp_lookup {
	const char *name;
	struct tracepoint *tp;
};

static void qspin_tp_match(struct tracepoint *tp, void *priv)
{
	struct qspin_tp_lookup *l = priv;

	if (!strcmp(tp->name, l->name))
		l->tp = tp;
}

/*
 * A tracepoint of the kernel by name, exported or not (sched_switch,
 * sys_exit, ...): tracepoint_probe_register() takes it either way.
 * Return: NULL when the kernel has none by that name.
 */
struct tracepoint *qspin_tracepoint_find(const char *name)
{
	struct qspin_tp_lookup l = { .name = name };

	for_each_kernel_tracepoint(qspin_tp_match, &l);
	return l.tp;
}

static bool qspin_free_probes_on;	/* under qspin_validate_mutex */

static void qspin_free_probes(bool on)
{
	if (on && !qspin_free_probes_on) {
		if (register_trace_kfree(qspin_probe_kfree, NULL))
			goto fail;
		if (register_trace_kmem_cache_free(qspin_probe_kmem_cache_free,
						   NULL)) {
			unregister_trace_kfree(qspin_probe_kfree, NULL);
			tracepoint_synchronize_unregister();
			goto fail;
		}
		qspin_free_probes_on = true;
	} else if (!on && qspin_free_probes_on) {
		unregister_trace_kmem_cache_free(qspin_probe_kmem_cache_free,
						 NULL);
		unregister_trace_kfree(qspin_probe_kfree, NULL);
		tracepoint_synchronize_unregister();
		qspin_free_probes_on = false;
	}
	return;
fail:
	pr_warn("the kmem tracepoints refused a probe: locks freed while held are not caught\n");
}

/* ---- switch, reset ----------------------------------------------------------------- */

static DEFINE_MUTEX(qspin_validate_mutex);

static void qspin_held_clear_all(void)
{
	int cpu;

	qspin_parked_clear();
	for_each_possible_cpu(cpu)
		memset(per_cpu_ptr(&qspin_held_cpu, cpu), 0,
		       sizeof(struct qspin_held_cpu));
}

/*
 * Off: no lock operation writes records once every CPU that was inside one
 * left it (synchronize_rcu(): they run with preemption off), so the
 * records, stale now, are cleared. On: records start empty, at the switch.
 */
void qspin_validate_switch(bool on)
{
	mutex_lock(&qspin_validate_mutex);
	if (on && !static_key_enabled(&qspin_validate_key)) {
		qspin_held_clear_all();
		WRITE_ONCE(qspin_validate_switching, true);
		WRITE_ONCE(qspin_validate_settling, true);
		/* Unlocks see the validator before any record is made. */
		static_branch_inc(&qspin_release_key);
		static_branch_enable(&qspin_validate_key);
		qspin_instrument_update();
		/* Every jump site patched: from here each lock is recorded. */
		WRITE_ONCE(qspin_validate_on_gp, start_poll_synchronize_rcu());
		smp_store_release(&qspin_validate_switching, false);
		qspin_free_probes(true);
		qspin_sleep_probes(true);
		qspin_leak_probes(true);
	} else if (!on && static_key_enabled(&qspin_validate_key)) {
		WRITE_ONCE(qspin_validate_switching, true);
		WRITE_ONCE(qspin_validate_settling, true);
		static_branch_disable(&qspin_validate_key);
		qspin_instrument_update();
		qspin_leak_probes(false);
		qspin_sleep_probes(false);
		qspin_free_probes(false);
		synchronize_rcu();
		static_branch_dec(&qspin_release_key);
		qspin_held_clear_all();
		smp_store_release(&qspin_validate_switching, false);
	}
	mutex_unlock(&qspin_validate_mutex);
}

int qspin_validate_set(bool on)
{
	might_sleep();
	qspin_validate_switch(on);
	return 0;
}
EXPORT_SYMBOL_GPL(qspin_validate_set);

void qspin_validate_reset(void)
{
	unsigned long flags;

	mutex_lock(&qspin_validate_mutex);
	raw_spin_lock_irqsave(&qspin_graph_lock, flags);
	qspin_graph_reset();
	qspin_class_reset_usage();
	memset(qspin_usage_at_release, 0, sizeof(qspin_usage_at_release));
	qspin_chains_reset();
	qspin_stacks_reset();
	raw_spin_unlock_irqrestore(&qspin_graph_lock, flags);
	qspin_reports_reset();
	qspin_deadlocks_reset();
	qspin_sleep_reset();
	qspin_leak_reset();
	mutex_unlock(&qspin_validate_mutex);
}
EXPORT_SYMBOL_GPL(qspin_validate_reset);

bool qspin_validate_active(void)
{
	return qspin_validate_enabled();
}
EXPORT_SYMBOL_GPL(qspin_validate_active);

bool qspin_detect_active(void)
{
	return qspin_validate_enabled();
}
EXPORT_SYMBOL_GPL(qspin_detect_active);

int qspin_validate_init_module(void)
{
	int ret;

	if (!validate || !detect) {
		static_branch_disable(&qspin_validate_key);
		static_branch_dec(&qspin_release_key);
	}
	ret = qspin_graph_init();
	if (ret)
		return ret;
	ret = qspin_class_init();
	if (ret) {
		qspin_graph_exit();
		return ret;
	}
	qspin_sleep_init();
	mutex_lock(&qspin_validate_mutex);
	qspin_free_probes(static_key_enabled(&qspin_validate_key));
	qspin_sleep_probes(static_key_enabled(&qspin_validate_key));
	qspin_leak_probes(static_key_enabled(&qspin_validate_key));
	mutex_unlock(&qspin_validate_mutex);
	return 0;
}

void qspin_validate_exit_module(void)
{
	mutex_lock(&qspin_validate_mutex);
	qspin_leak_probes(false);
	qspin_sleep_probes(false);
	qspin_free_probes(false);
	mutex_unlock(&qspin_validate_mutex);
	qspin_class_exit();
	qspin_graph_exit();
}

/* ---- debugfs ------------------------------------------------------------------------ */

static int validate_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%s\n", qspin_validate_enabled() ? "on" : "off");
	return 0;
}

/* "on" / "off": switch validation; records start at the switch. */
static ssize_t validate_write(struct file *file, const char __user *ubuf,
			      size_t len, loff_t *ppos)
{
	char buf[8];
	int ret = qspin_debugfs_word(ubuf, len, buf, sizeof(buf));

	if (ret)
		return ret;
	if (!strcmp(buf, "on"))
		qspin_validate_switch(true);
	else if (!strcmp(buf, "off"))
		qspin_validate_switch(false);
	else
		return -EINVAL;
	return len;
}
QSPIN_DEFINE_RW_ATTRIBUTE(validate);

static int reset_show(struct seq_file *m, void *v)
{
	seq_puts(m, "write \"reset\": forget reports, dependencies, usage states, chain cache and saved stacks\n");
	return 0;
}

static ssize_t reset_write(struct file *file, const char __user *ubuf,
			   size_t len, loff_t *ppos)
{
	return qspin_debugfs_reset(ubuf, len, qspin_validate_reset);
}
QSPIN_DEFINE_RW_ATTRIBUTE(reset);

/* What each CPU holds right now, per context: a racy snapshot. */
static int held_show(struct seq_file *m, void *v)
{
	unsigned long overflow = 0;
	int cpu, c, i;

	for_each_possible_cpu(cpu) {
		struct qspin_held_cpu *hc = per_cpu_ptr(&qspin_held_cpu, cpu);

		overflow += READ_ONCE(hc->overflow);
		for (c = 0; c < QSPIN_CTX_NR; c++) {
			for (i = 0; i < QSPIN_HELD_MAX; i++) {
				qspinlock_t *lock = qspin_held_lock(&hc->ctx[c].held[i]);

				if (lock)
					seq_printf(m, "cpu%d %s %ps at %pS\n",
						   cpu, qspin_ctx_names[c],
						   lock,
						   (void *)READ_ONCE(hc->ctx[c].held[i].ip));
			}
		}
	}
	qspin_parked_show(m);
	seq_printf(m, "# validate %d slots %d overflow %lu chains %u\n",
		   qspin_validate_enabled(), QSPIN_HELD_MAX, overflow,
		   READ_ONCE(qspin_nr_chains));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(held);

void qspin_validate_debugfs(struct dentry *dir)
{
	debugfs_create_file("validate", 0600, dir, NULL, &validate_fops);
	debugfs_create_file("reset", 0600, dir, NULL, &reset_fops);
	debugfs_create_file("held", 0400, dir, NULL, &held_fops);
	qspin_class_debugfs(dir);
	qspin_report_debugfs(dir);
	qspin_graph_debugfs(dir);
	qspin_sleep_debugfs(dir);
	qspin_leak_debugfs(dir);
}
