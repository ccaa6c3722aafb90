// SPDX-License-Identifier: GPL-2.0
/*
 * qspin.ko's exported lock API (include/qspin.h): the kernel's spinlock
 * operations over qspin's queued spinlock, and the module's load and unload.
 *
 * Each operation is laid out as the kernel's: first the primitives its
 * variant needs, in the order include/linux/spinlock_api_smp.h uses them
 * (local_irq_save() / local_irq_disable() / local_bh_disable(), then
 * preempt_disable() where those did not already disable preemption); then
 * one switch point, the static key qspin_instrument_key:
 *
 *  - off (stats=0 validate=0): qspin_acquire(), as the kernel's
 *    queued_spin_lock() in include/asm-generic/qspinlock.h: one CAS
 *    (qspin_word_lock_fast(), include/qspin/lock_word.h) and, only on
 *    contention, the one call into the C++ slow path (qspin_slowpath(),
 *    core_env.cpp), handed this CPU's node block and number;
 *  - on: qspin_acquire_instrumented(), handed the caller's address
 *    (_RET_IP_, taken here in the exported function, as the kernel's
 *    spin_acquire() takes it): with the validator alone on, its common
 *    case inline (held.h), no call; otherwise, out of line, the validator
 *    (validate.c) checks and records the acquisition, and on contention
 *    looks for a same-CPU deadlock; statistics (stats.c) count the path;
 *    around the same fast and slow path.
 *
 * Release goes in reverse; with the validator on, its common release is
 * inline (held.h), and anything else a tail call to the unlock's validated
 * twin (qspin_unlock_*_validated()), where the validator releases the word
 * (a bad unlock leaves it alone). The plain path is the same instructions
 * either way: the inline code sits behind the keys' jumps.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bottom_half.h>
#include <linux/cpumask.h>
#include <linux/irqflags.h>
#include <linux/jump_label.h>
#include <linux/kernel.h>
#include <linux/lockdep.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/smp.h>

#include <qspin.h>
#include "class.h"
#include "core_env.h"
#include "held.h"
#include "internal.h"
#include "trace.h"

/* ---- queue nodes and the instrumentation switch --------------------- */

/* Each CPU's four MCS queue nodes, as the kernel's qnodes in qspinlock.c. */
static DEFINE_PER_CPU_ALIGNED(struct qspin_node_block, qspin_nodes);

struct qspin_node_block *qspin_env_cpu_nodes(unsigned int cpu)
{
	return per_cpu_ptr(&qspin_nodes, cpu);
}

/* Queue nodes in use on every CPU (include/qspin/debug.h): 0 when idle. */
unsigned int qspin_queue_nodes_busy(void)
{
	unsigned int cpu, n = 0;

	for_each_possible_cpu(cpu)
		n += READ_ONCE(per_cpu_ptr(&qspin_nodes, cpu)->node[0].count);
	return n;
}
EXPORT_SYMBOL_GPL(qspin_queue_nodes_busy);

DEFINE_STATIC_KEY_TRUE(qspin_instrument_key);
DEFINE_STATIC_KEY_FALSE(qspin_validate_fast_key);
/*
 * The key each unlock tests, in place of the validator's: a count, on while
 * the validator, lock_stat or a qspin event (trace.h) is, each holding a
 * reference taken before its own key goes on and dropped after it went off
 * (internal.h); the plain unlock tests one key either way.
 */
DEFINE_STATIC_KEY_TRUE(qspin_release_key);

/* Any qspin event enabled (trace.h): acquisitions take the traced copy. */
static DEFINE_STATIC_KEY_FALSE(qspin_traced_key);

static __always_inline bool qspin_traced(void)
{
	return static_branch_unlikely(&qspin_traced_key);
}

/* lock_release enabled: the validator's inline release is skipped. */
static __always_inline bool qspin_release_traced(void)
{
	return trace_lock_release_enabled();
}

static DEFINE_MUTEX(qspin_instrument_mutex);

void qspin_instrument_update(void)
{
	bool validate, stats, traced;

	mutex_lock(&qspin_instrument_mutex);
	validate = static_key_enabled(&qspin_validate_key);
	/* lock_stat's hooks are the general way's, as the statistics'. */
	stats = qspin_stats_enabled() || qspin_lockstat_on();
	traced = qspin_trace_enabled();		/* a qspin event (trace.h) */
	/* The validator's inline path counts and traces nothing: off first, on last. */
	if (!validate || stats || traced)
		static_branch_disable(&qspin_validate_fast_key);
	if (stats || validate || traced)
		static_branch_enable(&qspin_instrument_key);
	else
		static_branch_disable(&qspin_instrument_key);
	if (traced)
		static_branch_enable(&qspin_traced_key);
	else
		static_branch_disable(&qspin_traced_key);
	if (validate && !stats && !traced)
		static_branch_enable(&qspin_validate_fast_key);
	mutex_unlock(&qspin_instrument_mutex);
}

/* ---- acquire and release -------------------------------------------- */

/*
 * The contention events (trace.h) around the instrumented path's slow
 * path; lock_acquired follows a contention_end that took the lock.
 */
static __always_inline void qspin_trace_contention_begin(qspinlock_t *lock,
							  bool back_off)
{
	trace_contention_begin(lock, QSPIN_TRACE_SPIN |
			       (back_off ? QSPIN_TRACE_CHECKED : 0));
}

static __always_inline void qspin_trace_contention_end(qspinlock_t *lock,
							unsigned long ip,
							int ret)
{
	trace_contention_end(lock, ret);
	if (!ret)
		trace_lock_acquired(lock, ip);
}

/* Contended: the one call into the C++ core. */
static __always_inline void qspin_acquire_contended(qspinlock_t *lock, u32 val)
{
	lockdep_assert_preemption_disabled();
	qspin_slowpath(&lock->word, val, this_cpu_ptr(&qspin_nodes),
		       smp_processor_id());
}

/* The plain path: one CAS, no stack frame, nothing else. */
static __always_inline void qspin_acquire(qspinlock_t *lock)
{
	u32 val;

	if (likely(qspin_word_lock_fast(&lock->word, &val)))
		return;
	qspin_acquire_contended(lock, val);
}

/* Contended with the validator off: the same call, between the events. */
static __always_inline void qspin_acquire_contended_traced(qspinlock_t *lock,
							   unsigned long ip,
							   u32 val, bool traced)
{
	if (traced)
		qspin_trace_contention_begin(lock, false);
	qspin_acquire_contended(lock, val);
	if (traced)
		qspin_trace_contention_end(lock, ip, 0);
}

/*
 * The instrumented path: the plain one plus validation and statistics. The
 * validator checks and records the acquisition before the atomic that
 * takes the lock, and looks for a same-CPU deadlock before the slow path
 * touches the word; `ip` names the caller in its records and reports.
 * `back_off` (qspin_lock_checked()): on a deadlock, forget the record and
 * return -EDEADLK instead of spinning. The common case (held.h: task
 * context, nothing else held, usage known) is inline, behind the keys'
 * jumps, and keeps no register across a call; the rest is out of line, in
 * two functions reached by tail calls.
 */

/* Contended, with the validator on: a same-CPU deadlock first. */
static noinline notrace int qspin_acquire_validated_contended(qspinlock_t *lock,
							     unsigned long ip,
							     u32 val,
							     bool recorded,
							     bool back_off)
{
	int ret = 0;

	qspin_trace_contention_begin(lock, back_off);
	if (qspin_validate_contended(lock, ip, recorded, back_off) &&
	    back_off) {
		ret = -EDEADLK;
		goto backed_off;
	}
	lockdep_assert_preemption_disabled();
	/* The watchdog's wait record (watchdog.c), for the slow path only. */
	qspin_wait_begin(lock, ip, back_off);
	if (!back_off) {
		qspin_slowpath_watched(&lock->word, val,
				       this_cpu_ptr(&qspin_nodes),
				       smp_processor_id());
		qspin_wait_end();
		qspin_trace_contention_end(lock, ip, 0);
		return 0;
	}
	ret = qspin_slowpath_checked(&lock->word, val,
				     this_cpu_ptr(&qspin_nodes),
				     smp_processor_id());
	qspin_wait_end();
	if (!ret) {
		qspin_trace_contention_end(lock, ip, 0);
		return 0;
	}
backed_off:
	qspin_trace_contention_end(lock, ip, ret);
	if (recorded)
		qspin_validate_back_off(lock);
	return ret;
}

/* qspin_validate_record_fast() for an `st` known only at run time. */
static __always_inline bool qspin_record_fast_st(qspinlock_t *lock,
						 unsigned long ip,
						 enum qspin_acq_state st)
{
	/* One specialised copy each, as the exported functions have. */
	if (st == QSPIN_ACQ_ANY)
		return qspin_validate_record_fast(lock, ip, QSPIN_ACQ_ANY);
	if (st == QSPIN_ACQ_IRQS_OFF)
		return qspin_validate_record_fast(lock, ip, QSPIN_ACQ_IRQS_OFF);
	return qspin_validate_record_fast(lock, ip, QSPIN_ACQ_BH);
}

/*
 * Everything but the common case: statistics alone, or the validator's
 * general way; `traced`: with the events (trace.h), in a copy of its own
 * (qspin_acquire_general_traced()), so that the untraced one keeps its
 * registers and instructions.
 */
static __always_inline int qspin_acquire_general_body(qspinlock_t *lock,
						      unsigned long ip,
						      unsigned int subclass,
						      enum qspin_acq_state st,
						      bool back_off,
						      bool traced)
{
	bool validate = qspin_validate_enabled(), recorded = false;
	u64 wait_since;
	int ret = 0;
	u32 val;

	/*
	 * With statistics on too (both are on by default), the validator's
	 * common case is tried here, out of line, before its general way.
	 */
	if (validate)
		recorded = (!subclass &&
			    qspin_record_fast_st(lock, ip, st)) ||
			   qspin_validate_acquire(lock, ip, subclass, false);
	if (likely(qspin_word_lock_fast(&lock->word, &val))) {
		qspin_stat_inc(QSPIN_STAT_FAST);
		qspin_lockstat_acquired(lock, ip, 0, false);
		if (traced)
			trace_lock_acquired(lock, ip);
		return 0;
	}
	wait_since = qspin_lockstat_contended(lock, ip);
	if (validate)
		ret = qspin_acquire_validated_contended(lock, ip, val,
							recorded, back_off);
	else
		qspin_acquire_contended_traced(lock, ip, val, traced);
	if (!ret)
		qspin_lockstat_acquired(lock, ip, wait_since, false);
	return ret;
}

static noinline notrace int qspin_acquire_general_traced(qspinlock_t *lock,
							 unsigned long ip,
							 unsigned int subclass,
							 enum qspin_acq_state st,
							 bool back_off)
{
	return qspin_acquire_general_body(lock, ip, subclass, st, back_off,
					  true);
}

static noinline notrace int qspin_acquire_general(qspinlock_t *lock,
						  unsigned long ip,
						  unsigned int subclass,
						  enum qspin_acq_state st,
						  bool back_off)
{
	/* A qspin event enabled: the traced copy, a tail call. */
	if (qspin_traced())
		return qspin_acquire_general_traced(lock, ip, subclass, st,
						    back_off);
	return qspin_acquire_general_body(lock, ip, subclass, st, back_off,
					  false);
}

/*
 * Inline in each exported lock function, behind the instrumentation key:
 * with the validator alone on (qspin_validate_fast_key), the common case
 * (held.h) and the CAS, no call; anything else, statistics included, the
 * general way. `st`: what the exported function knows of the interrupt
 * state (enum qspin_acq_state).
 */
static __always_inline int qspin_acquire_instrumented(qspinlock_t *lock,
						      unsigned long ip,
						      enum qspin_acq_state st,
						      bool back_off)
{
	u32 val;

	if (qspin_validate_fast() &&
	    likely(qspin_validate_record_fast(lock, ip, st))) {
		if (likely(qspin_word_lock_fast(&lock->word, &val)))
			return 0;
		return qspin_acquire_validated_contended(lock, ip, val, true,
							 back_off);
	}
	return qspin_acquire_general(lock, ip, 0, st, back_off);
}

/* A trylock that took the lock, with a qspin event enabled. */
static noinline void qspin_trylock_traced(qspinlock_t *lock, unsigned long ip)
{
	qspin_stat_inc(QSPIN_STAT_FAST);
	if (qspin_validate_enabled())
		qspin_validate_acquire(lock, ip, 0, true);
	trace_lock_acquired(lock, ip);
}

/*
 * A trylock that took the lock: count it, and record it for validation;
 * traced in a copy of its own, so that this one stays a tail call.
 */
static noinline void qspin_trylock_instrumented(qspinlock_t *lock,
						unsigned long ip)
{
	if (qspin_traced())
		return qspin_trylock_traced(lock, ip);
	qspin_stat_inc(QSPIN_STAT_FAST);
	if (qspin_validate_enabled())
		qspin_validate_acquire(lock, ip, 0, true);
	qspin_lockstat_acquired(lock, ip, 0, true);
}

static __always_inline int qspin_try_acquire(qspinlock_t *lock,
					     unsigned long ip)
{
	if (!qspin_word_trylock(&lock->word))
		return 0;
	if (qspin_instrumented())
		qspin_trylock_instrumented(lock, ip);
	return 1;
}

/*
 * _bh: softirqs off, and preemption off as under every qspin lock. On
 * PREEMPT_RT local_bh_disable() does not disable preemption: softirq state
 * is per task there, local_bh_disable() takes a per-CPU sleeping lock, and
 * the kernel's own raw_spin_lock_bh() leaves the holder preemptible too
 * (its SOFTIRQ_LOCK_OFFSET goes to that per-task count, not to
 * preempt_count): RT relies on every other _bh user of the lock on this
 * CPU blocking on that local lock, with priority inheritance, behind a
 * preempted holder. qspin cannot rely on that: a task preempting the holder
 * may take the same lock with qspin_lock() or _irqsave, which spin with
 * preemption off (this CPU would wait for a holder that cannot run), and
 * qspin's queue nodes and the validator's held-lock records are per CPU,
 * not per task. So on RT qspin's _bh adds preempt_disable(), after
 * local_bh_disable() (which may sleep), and drops it before
 * local_bh_enable_ip() (which may run softirqs in this task).
 */
#ifdef CONFIG_PREEMPT_RT
#define qspin_bh_disable()	do { local_bh_disable(); preempt_disable(); } while (0)
#define qspin_bh_enable_ip(ip)	do { preempt_enable(); local_bh_enable_ip(ip); } while (0)
#else
#define qspin_bh_disable()	local_bh_disable()
#define qspin_bh_enable_ip(ip)	local_bh_enable_ip(ip)
#endif

/*
 * Release with the validator or lock_stat on (qspin_release_key), when the
 * validator's inline common case (qspin_validate_release_fast(), held.h)
 * did not apply: lock_stat ends the hold time, then the validator releases
 * the word itself (after its checks, before its record goes: a record
 * never claims less than is held), then the variant's own steps follow
 * here. Out of line and called last (a tail call) by the exported
 * function, so that its plain path keeps no register across a call: the
 * plain unlock stays what it was. One key decides: one nop on the plain
 * path.
 */
/*
 * The release event, then the validator's general release, or, with the
 * validator off (qspin_release_key on for lock_stat or an event), the word.
 */
static __always_inline bool qspin_release_general(qspinlock_t *lock,
						  unsigned long ip)
{
	trace_lock_release(lock, ip);
	qspin_lockstat_release(lock);
	if (qspin_validate_enabled())
		return qspin_validate_release_general(lock);
	qspin_word_unlock(&lock->word);
	return false;
}

/*
 * `irqs`: the variant's interrupt step; `preempt`: its preemption (and
 * softirq) step, skipped for a lock whose record was parked (validate.c's
 * return): its holder slept or leaked, and the scheduler's reset or the
 * kernel's repair already took the lock's share off the preempt count.
 */
#define QSPIN_UNLOCK_VALIDATED(name, params, irqs, preempt)		\
static noinline notrace void name params				\
{									\
	bool parked = qspin_release_general(lock, _RET_IP_);		\
									\
	irqs;								\
	if (likely(!parked))						\
		preempt;						\
}

QSPIN_UNLOCK_VALIDATED(qspin_unlock_validated, (qspinlock_t *lock),
		       , preempt_enable())
QSPIN_UNLOCK_VALIDATED(qspin_unlock_irqrestore_validated,
		       (qspinlock_t *lock, unsigned long flags),
		       local_irq_restore(flags), preempt_enable())
QSPIN_UNLOCK_VALIDATED(qspin_unlock_irq_validated, (qspinlock_t *lock),
		       local_irq_enable(), preempt_enable())
QSPIN_UNLOCK_VALIDATED(qspin_unlock_bh_validated,
		       (qspinlock_t *lock, unsigned long ip),
		       , qspin_bh_enable_ip(ip))

/* ---- the exported operations, as include/linux/spinlock_api_smp.h ---- */

void __qspin_lock_init(qspinlock_t *lock, const char *name,
		       struct qspin_class_key *key)
{
	/* A held lock is reported and left alone (validate.c). */
	if (qspin_validate_enabled() && !qspin_validate_init(lock, _RET_IP_))
		return;
	lock->word = (struct qspin_lock_word)QSPIN_WORD_INIT;
	/* Classes are kept with validation off too: it may be switched on. */
	qspin_class_init_lock(lock, name, key, _RET_IP_);
	qspin_detect_note_init(lock, _RET_IP_);
}
EXPORT_SYMBOL_GPL(__qspin_lock_init);

void qspin_lock(qspinlock_t *lock) __acquires(lock)
{
	preempt_disable();
	__acquire(lock);
	if (qspin_instrumented())
		qspin_acquire_instrumented(lock, _RET_IP_, QSPIN_ACQ_ANY, false);
	else
		qspin_acquire(lock);
}
EXPORT_SYMBOL_GPL(qspin_lock);

void qspin_lock_nested(qspinlock_t *lock, unsigned int subclass)
	__acquires(lock)
{
	preempt_disable();
	__acquire(lock);
	if (qspin_instrumented())
		/* Subclasses are never the common case: the general way. */
		qspin_acquire_general(lock, _RET_IP_,
				      min(subclass, QSPIN_MAX_SUBCLASS - 1),
				      QSPIN_ACQ_ANY, false);
	else
		qspin_acquire(lock);
}
EXPORT_SYMBOL_GPL(qspin_lock_nested);

void qspin_unlock(qspinlock_t *lock) __releases(lock)
{
	__release(lock);
	if (qspin_release_watched()) {
		if (unlikely(qspin_release_traced() ||
			     !qspin_validate_release_fast(lock, 0)))
			return qspin_unlock_validated(lock);
		/* Its own copy: a jump to the plain path's would cost one. */
		preempt_enable();
		return;
	}
	qspin_word_unlock(&lock->word);
	preempt_enable();
}
EXPORT_SYMBOL_GPL(qspin_unlock);

unsigned long _qspin_lock_irqsave(qspinlock_t *lock) __acquires(lock)
{
	unsigned long flags;

	local_irq_save(flags);
	preempt_disable();
	__acquire(lock);
	if (qspin_instrumented())
		qspin_acquire_instrumented(lock, _RET_IP_, QSPIN_ACQ_IRQS_OFF,
					   false);
	else
		qspin_acquire(lock);
	return flags;
}
EXPORT_SYMBOL_GPL(_qspin_lock_irqsave);

unsigned long _qspin_lock_irqsave_nested(qspinlock_t *lock,
					 unsigned int subclass)
	__acquires(lock)
{
	unsigned long flags;

	local_irq_save(flags);
	preempt_disable();
	__acquire(lock);
	if (qspin_instrumented())
		qspin_acquire_general(lock, _RET_IP_,
				      min(subclass, QSPIN_MAX_SUBCLASS - 1),
				      QSPIN_ACQ_ANY, false);
	else
		qspin_acquire(lock);
	return flags;
}
EXPORT_SYMBOL_GPL(_qspin_lock_irqsave_nested);

void qspin_unlock_irqrestore(qspinlock_t *lock, unsigned long flags)
	__releases(lock)
{
	/* Taken with _irqsave: interrupts are still off. */
	lockdep_assert_irqs_disabled();
	__release(lock);
	if (qspin_release_watched()) {
		if (unlikely(qspin_release_traced() ||
			     !qspin_validate_release_fast(lock, QSPIN_HELD_IRQS_OFF |
							 QSPIN_HELD_SOFTIRQS_OFF)))
			return qspin_unlock_irqrestore_validated(lock, flags);
		local_irq_restore(flags);
		preempt_enable();
		return;
	}
	qspin_word_unlock(&lock->word);
	local_irq_restore(flags);
	preempt_enable();
}
EXPORT_SYMBOL_GPL(qspin_unlock_irqrestore);

void qspin_lock_irq(qspinlock_t *lock) __acquires(lock)
{
	local_irq_disable();
	preempt_disable();
	__acquire(lock);
	if (qspin_instrumented())
		qspin_acquire_instrumented(lock, _RET_IP_, QSPIN_ACQ_IRQS_OFF,
					   false);
	else
		qspin_acquire(lock);
}
EXPORT_SYMBOL_GPL(qspin_lock_irq);

void qspin_unlock_irq(qspinlock_t *lock) __releases(lock)
{
	/* Taken with _irq: interrupts are still off. */
	lockdep_assert_irqs_disabled();
	__release(lock);
	if (qspin_release_watched()) {
		if (unlikely(qspin_release_traced() ||
			     !qspin_validate_release_fast(lock, QSPIN_HELD_IRQS_OFF |
							 QSPIN_HELD_SOFTIRQS_OFF)))
			return qspin_unlock_irq_validated(lock);
		local_irq_enable();
		preempt_enable();
		return;
	}
	qspin_word_unlock(&lock->word);
	local_irq_enable();
	preempt_enable();
}
EXPORT_SYMBOL_GPL(qspin_unlock_irq);

/*
 * The kernel's __raw_spin_lock_bh() raises softirq and preempt count in one
 * step (SOFTIRQ_LOCK_OFFSET) and drops both with __local_bh_enable_ip();
 * modules have neither, nor preempt_enable_no_resched(). local_bh_disable()
 * alone is the same protection: a raised softirq count disables preemption
 * too (preemptible() is false), and local_bh_enable_ip() runs pending
 * softirqs and reschedules on the way out, as the kernel's unlock does.
 * Both warn when called in hardirq context, where _bh makes no sense.
 * On PREEMPT_RT, qspin_bh_disable() adds preempt_disable(): see there.
 */
void qspin_lock_bh(qspinlock_t *lock) __acquires(lock)
{
	qspin_bh_disable();
	__acquire(lock);
	if (qspin_instrumented())
		qspin_acquire_instrumented(lock, _RET_IP_, QSPIN_ACQ_BH, false);
	else
		qspin_acquire(lock);
}
EXPORT_SYMBOL_GPL(qspin_lock_bh);

void qspin_unlock_bh(qspinlock_t *lock) __releases(lock)
{
	__release(lock);
	if (qspin_release_watched()) {
		if (unlikely(qspin_release_traced() ||
			     !qspin_validate_release_fast(lock,
							 QSPIN_HELD_SOFTIRQS_OFF)))
			return qspin_unlock_bh_validated(lock, _RET_IP_);
		qspin_bh_enable_ip(_RET_IP_);
		return;
	}
	qspin_word_unlock(&lock->word);
	qspin_bh_enable_ip(_RET_IP_);
}
EXPORT_SYMBOL_GPL(qspin_unlock_bh);

int _qspin_trylock(qspinlock_t *lock)
{
	preempt_disable();
	if (qspin_try_acquire(lock, _RET_IP_))
		return 1;
	preempt_enable();
	return 0;
}
EXPORT_SYMBOL_GPL(_qspin_trylock);

int _qspin_trylock_irqsave(qspinlock_t *lock, unsigned long *flags)
{
	local_irq_save(*flags);
	preempt_disable();
	if (qspin_try_acquire(lock, _RET_IP_))
		return 1;
	local_irq_restore(*flags);
	preempt_enable();
	return 0;
}
EXPORT_SYMBOL_GPL(_qspin_trylock_irqsave);

int _qspin_trylock_bh(qspinlock_t *lock)
{
	qspin_bh_disable();
	if (qspin_try_acquire(lock, _RET_IP_))
		return 1;
	qspin_bh_enable_ip(_RET_IP_);
	return 0;
}
EXPORT_SYMBOL_GPL(_qspin_trylock_bh);

int qspin_lock_checked(qspinlock_t *lock)
{
	int ret = 0;

	preempt_disable();
	if (qspin_instrumented())
		ret = qspin_acquire_instrumented(lock, _RET_IP_, QSPIN_ACQ_ANY,
						 true);
	else
		qspin_acquire(lock);
	if (ret)
		preempt_enable();
	return ret;
}
EXPORT_SYMBOL_GPL(qspin_lock_checked);

/* ---- load and unload ------------------------------------------------ */

static int __init qspin_init(void)
{
	int ret;

	if (nr_cpu_ids - 1 > QSPIN_MAX_CPU) {
		pr_err("%u CPUs do not fit the tail's 14-bit CPU field (max %u)\n",
		       nr_cpu_ids, QSPIN_MAX_CPU + 1);
		return -EINVAL;
	}
	qspin_stats_init();
	ret = qspin_validate_init_module();
	if (ret)
		return ret;
	qspin_instrument_update();
	qspin_lockstat_init();
	qspin_watchdog_init();
	qspin_debugfs_init();

	pr_info("queued spinlock v%s loaded: %u CPUs, stats %s, validator %s\n",
		QSPIN_VERSION, num_possible_cpus(),
		qspin_stats_enabled() ? "on" : "off",
		qspin_validate_enabled() ? "on" : "off");
	return 0;
}

static void __exit qspin_exit(void)
{
	qspin_debugfs_exit();
	qspin_lockstat_exit();
	qspin_watchdog_exit();
	qspin_validate_exit_module();
	pr_info("unloaded\n");
}

module_init(qspin_init);
module_exit(qspin_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("qspin: queued spinlock in freestanding C++ with the kernel's spinlock API");
MODULE_VERSION(QSPIN_VERSION);
