/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The validator's held-lock records (validate.c) and the common case of an
 * acquisition and of a release, inline in lock_api.c's exported functions:
 * task context, nothing else held there, the lock's class found at its
 * first map slot and its usage already recorded. An acquisition costs a
 * test of the preempt count, one of the first record, the interrupt flags,
 * one map probe, one test of the usage byte and three stores (ip, class,
 * lock word); a release four compares (context, lock word with the state
 * the variant expects, the next record, the lock's word) and one store.
 * Anything else goes to qspin_validate_acquire() and
 * qspin_validate_release_general().
 */
#ifndef QSPIN_HELD_H
#define QSPIN_HELD_H

#include <linux/compiler.h>
#include <linux/hardirq.h>
#include <linux/irqflags.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/version.h>
#include "class.h"
#include "internal.h"

/* Locks one context can hold at once, per CPU (lockdep: 48 per task). */
#define QSPIN_HELD_MAX 16

/*
 * How interrupts were at acquisition, and whether it was a trylock. The
 * first two live in the record's lock word (lock_tag's low bits: a lock is
 * 4-byte aligned), so that a release compares the lock and the state it
 * expects in one instruction; the trylock bit lives in `flags`.
 */
enum qspin_held_flags {
	QSPIN_HELD_IRQS_OFF = BIT(0),		/* hardirqs off at acquisition */
	QSPIN_HELD_SOFTIRQS_OFF = BIT(1),	/* softirqs off at acquisition */
	QSPIN_HELD_TRYLOCK = BIT(2),
};

/* The flags kept in lock_tag. */
#define QSPIN_HELD_TAG_MASK ((unsigned long)(QSPIN_HELD_IRQS_OFF | \
					     QSPIN_HELD_SOFTIRQS_OFF))

struct qspin_held {
	/* The lock's address | its QSPIN_HELD_TAG_MASK flags; 0: free; written last. */
	unsigned long lock_tag;
	unsigned long ip;	/* the caller of the lock operation */
	union {
		struct {
			u16 cls;	/* QSPIN_CLASS_NONE: unvalidated */
			u8 flags;	/* QSPIN_HELD_TRYLOCK or 0 */
			u8 unused;
		};
		u32 info;	/* both, in one store */
	};
};

/* A record's lock word for `lock` held with `flags` (enum qspin_held_flags). */
static __always_inline unsigned long qspin_held_tag(const qspinlock_t *lock,
						    unsigned int flags)
{
	/* + rather than |: the bits are free, and + is one lea. */
	return (unsigned long)lock + (flags & QSPIN_HELD_TAG_MASK);
}

/* The record's lock (NULL: free), read once: other contexts read it too. */
static __always_inline qspinlock_t *qspin_held_lock(const struct qspin_held *h)
{
	return (qspinlock_t *)(READ_ONCE(h->lock_tag) & ~QSPIN_HELD_TAG_MASK);
}

/* All of the record's flags (enum qspin_held_flags). */
static __always_inline unsigned int qspin_held_flags(const struct qspin_held *h)
{
	return h->flags | (READ_ONCE(h->lock_tag) & QSPIN_HELD_TAG_MASK);
}

/*
 * One context level's held locks, packed from held[0]: the first free
 * record ends the stack (qspin_held_depth()). No depth counter to keep:
 * the inline paths test held[0] (and held[1]) and write one lock word.
 */
struct qspin_held_stack {
	struct qspin_held held[QSPIN_HELD_MAX];
};

/* How many records the stack holds; its own context only. */
static inline unsigned int qspin_held_depth(const struct qspin_held_stack *hs)
{
	unsigned int n = 0;

	while (n < QSPIN_HELD_MAX && hs->held[n].lock_tag)
		n++;
	return n;
}

struct qspin_held_cpu {
	struct qspin_held_stack ctx[QSPIN_CTX_NR];
	unsigned long overflow;	/* acquisitions not recorded: stack full */
};

DECLARE_PER_CPU(struct qspin_held_cpu, qspin_held_cpu);

/*
 * The context level: in_nmi(), in_hardirq(), in_serving_softirq() (the
 * last is per task on PREEMPT_RT, where the preempt count's softirq bits
 * are never set). A task with bottom halves disabled is task context.
 */
static __always_inline enum qspin_ctx qspin_ctx_now(void)
{
	if (unlikely(in_nmi()))
		return QSPIN_CTX_NMI;
	if (in_hardirq())
		return QSPIN_CTX_HARDIRQ;
	if (in_serving_softirq())
		return QSPIN_CTX_SOFTIRQ;
	return QSPIN_CTX_TASK;
}

/* The context levels the inline paths leave to validate.c. */
#define QSPIN_NOT_TASK (NMI_MASK | HARDIRQ_MASK | SOFTIRQ_OFFSET)

/* Hardirqs on: HARDIRQ-ON; and softirqs on too: SOFTIRQ-ON. */
#define QSPIN_NEED_BOTH (BIT(QSPIN_ENABLED_HARDIRQ) | BIT(QSPIN_ENABLED_SOFTIRQ))

/* cls and flags as struct qspin_held's info: one store. */
#ifdef __LITTLE_ENDIAN
#define QSPIN_HELD_INFO(cls, flags) ((u32)(cls) | (u32)(flags) << 16)
#else
#define QSPIN_HELD_INFO(cls, flags) ((u32)(cls) << 16 | (u32)(flags) << 8)
#endif

/* This CPU's task-level stack and its first record, for this_cpu_*(). */
#define QSPIN_TASK_STACK qspin_held_cpu.ctx[QSPIN_CTX_TASK]
#define QSPIN_TASK_HELD0 QSPIN_TASK_STACK.held[0]
#define QSPIN_TASK_HELD1 QSPIN_TASK_STACK.held[1]

/*
 * Tests of this CPU's variables that the inline paths make: on x86 each is
 * one instruction with the per-CPU variable as its memory operand and the
 * flags as its result (this_cpu_read() would load it into a register
 * first: one instruction more per test, on every lock and unlock).
 */
#if defined(CONFIG_X86_64) && !defined(__CHECKER__)
/* x86's per-CPU preempt count: in struct pcpu_hot from 6.2 to 6.14. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0) && \
	LINUX_VERSION_CODE < KERNEL_VERSION(6, 15, 0)
#define QSPIN_PREEMPT_COUNT pcpu_hot.preempt_count
#else
#define QSPIN_PREEMPT_COUNT __preempt_count
#endif

/*
 * A per-CPU variable as an asm "m" operand. Where the compiler addresses
 * per-CPU data through %gs itself (USE_X86_SEG_SUPPORT, 6.8 on, as on
 * 6.12) __percpu_arg() adds no "%gs:" and the operand must carry the
 * address space (__my_cpu_var()); before that the variable is plain.
 */
#ifdef __my_cpu_var
#define qspin_cpu_var(var) __my_cpu_var(var)
#else
#define qspin_cpu_var(var) (var)
#endif

/* Any of `mask`'s bits set in this CPU's preempt count. */
static __always_inline bool qspin_pc_any(unsigned int mask)
{
	bool nz;

	asm("testl %[mask], " __percpu_arg([pc]) CC_SET(nz)
	    : CC_OUT(nz) (nz)
	    : [mask] "i" (mask), [pc] "m" (qspin_cpu_var(QSPIN_PREEMPT_COUNT)));
	return nz;
}

/* This CPU's `var` (a pointer or an unsigned long) is `val`. */
#define qspin_this_cpu_eq(var, val)					\
({									\
	bool __eq;							\
	asm("cmpq %[v], " __percpu_arg([p]) CC_SET(e)			\
	    : CC_OUT(e) (__eq)						\
	    : [v] "er" ((unsigned long)(val)), [p] "m" (qspin_cpu_var(var)));	\
	__eq;								\
})

/* This CPU's u32 `var` is `val`. */
#define qspin_this_cpu_eq32(var, val)					\
({									\
	bool __eq;							\
	asm("cmpl %[v], " __percpu_arg([p]) CC_SET(e)			\
	    : CC_OUT(e) (__eq)						\
	    : [v] "ir" ((u32)(val)), [p] "m" (qspin_cpu_var(var)));		\
	__eq;								\
})

/* Any of `mask`'s bits set in this CPU's u8 `var`. */
#define qspin_this_cpu_any8(var, mask)					\
({									\
	bool __nz;							\
	asm("testb %[m], " __percpu_arg([p]) CC_SET(nz)			\
	    : CC_OUT(nz) (__nz)						\
	    : [m] "i" ((u8)(mask)), [p] "m" (qspin_cpu_var(var)));		\
	__nz;								\
})
#else
static __always_inline bool qspin_pc_any(unsigned int mask)
{
	return preempt_count() & mask;
}

#define qspin_this_cpu_eq(var, val) \
	(this_cpu_read(var) == (typeof(var))(val))
#define qspin_this_cpu_eq32(var, val) (this_cpu_read(var) == (val))
#define qspin_this_cpu_any8(var, mask) (this_cpu_read(var) & (mask))
#endif

/*
 * The first record of an empty task stack (not a trylock), published
 * before the lock's atomic.
 */
static __always_inline void qspin_held_push0(qspinlock_t *lock,
					     unsigned long ip,
					     unsigned int cls,
					     unsigned int flags)
{
	this_cpu_write(QSPIN_TASK_HELD0.ip, ip);
	this_cpu_write(QSPIN_TASK_HELD0.info, QSPIN_HELD_INFO(cls, 0));
	/* An interrupting reader sees the record once it sees the lock. */
	barrier();
	this_cpu_write(QSPIN_TASK_HELD0.lock_tag, qspin_held_tag(lock, flags));
	/* Published before the caller's atomic on the lock word. */
	barrier();
}

/*
 * What the exported function knows of the interrupt state when it calls
 * qspin_validate_record_fast(): nothing (qspin_lock(), taken with
 * interrupts on or off), interrupts off (it turned them off: _irqsave,
 * _irq), or softirqs off (it turned them off: _bh).
 */
enum qspin_acq_state {
	QSPIN_ACQ_ANY,
	QSPIN_ACQ_IRQS_OFF,
	QSPIN_ACQ_BH,
};

/*
 * The common case of qspin_validate_acquire() for a plain (not trylock,
 * not nested) acquisition, before the atomic, inline in the exported
 * function: task context, nothing held there, the lock's class at its
 * first map slot, its usage for this state already recorded. Made of one
 * test of the preempt count, one of the first record, the interrupt flags
 * (unless the caller just turned interrupts off), one map probe, one test
 * of the usage bits still missing, and the record: ip, class, then the
 * lock word with the interrupt state in its low bits (published last).
 * Return: true when it applied (the record is made); false: nothing was
 * done, the caller goes the general way (qspin_validate_acquire()).
 */
static __always_inline bool qspin_validate_record_fast(qspinlock_t *lock,
						       unsigned long ip,
						       enum qspin_acq_state st)
{
	unsigned long key = (unsigned long)lock;
	unsigned long cls;	/* an index: no zero-extension to make */
	unsigned long irq_flags = 0;
	unsigned int slot;

	/* PREEMPT_RT keeps softirq state per task: the general path. */
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		return false;
	/*
	 * Task context. qspin_lock() asks for softirqs on too (the usual
	 * case), so that the state it records takes no second look at the
	 * count; under local_bh_disable() it goes the general way.
	 */
	if (unlikely(st == QSPIN_ACQ_ANY ?
		     qspin_pc_any(QSPIN_NOT_TASK | SOFTIRQ_MASK) :
		     qspin_pc_any(QSPIN_NOT_TASK)))
		return false;
	if (unlikely(!qspin_this_cpu_eq(QSPIN_TASK_HELD0.lock_tag, 0)))
		return false;
	/* The flags first: their read (pushf; pop %rax) clobbers a register. */
	if (st != QSPIN_ACQ_IRQS_OFF)
		irq_flags = arch_local_save_flags();
	slot = qspin_map_slot(key);
	if (unlikely(data_race(qspin_map_lock[slot]) != key))
		return false;
	/* The slot's class after its lock, as qspin_class_of()'s acquire. */
	smp_rmb();
	cls = READ_ONCE(qspin_map_cls[slot]);
	/* One register for the record and the index (gcc would copy it). */
	OPTIMIZER_HIDE_VAR(cls);
	/* Separate branches: the most common case must not pay for the others. */
	if (st == QSPIN_ACQ_IRQS_OFF || arch_irqs_disabled_flags(irq_flags)) {
		/* No usage to learn with interrupts off. */
		qspin_held_push0(lock, ip, cls,
				 QSPIN_HELD_IRQS_OFF | QSPIN_HELD_SOFTIRQS_OFF);
	} else if (st == QSPIN_ACQ_ANY) {
		/* Plain qspin_lock() with everything on: both ENABLED bits. */
		/* A lower bound of what is missing: a race only sends us the long way. */
		if (unlikely(data_race(qspin_usage_missing[cls]) & QSPIN_NEED_BOTH))
			return false;
		qspin_held_push0(lock, ip, cls, 0);
	} else {
		/* _bh: hardirqs on, softirqs off. */
		if (unlikely(data_race(qspin_usage_missing[cls]) &
			     BIT(QSPIN_ENABLED_HARDIRQ)))
			return false;
		qspin_held_push0(lock, ip, cls, QSPIN_HELD_SOFTIRQS_OFF);
	}
	return true;
}

/*
 * The common release, inline in the exported function: task context, the
 * lock the only record of this CPU's task stack, taken in the state this
 * unlock variant expects (`flags`: none for qspin_unlock(), interrupts off
 * for _irqrestore and _irq, softirqs off for _bh), locked, and that state
 * still in force. Releases the word and drops the record; false: nothing
 * done, qspin_validate_release_general() decides (another state, any other
 * record on top, out of order, other contexts, bad unlocks).
 */
static __always_inline bool qspin_validate_release_fast(qspinlock_t *lock,
							unsigned int flags)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RT) || unlikely(qspin_pc_any(QSPIN_NOT_TASK)))
		return false;
	/* lock_stat ends the hold time out of line (lock_api.c). */
	if (qspin_lockstat_enabled())
		return false;
	if (unlikely(!qspin_this_cpu_eq(QSPIN_TASK_HELD0.lock_tag,
					qspin_held_tag(lock, flags)) ||
		     !qspin_this_cpu_eq(QSPIN_TASK_HELD1.lock_tag, 0) ||
		     !data_race(lock->word.locked)))
		return false;
	/*
	 * Interrupts (softirqs) turned on inside the critical section are
	 * usage to learn: the general way. A _bh holder is fine with
	 * softirqs still off, or with interrupts off.
	 */
	if (flags == QSPIN_HELD_SOFTIRQS_OFF) {
		if (unlikely(!qspin_pc_any(SOFTIRQ_MASK) && !arch_irqs_disabled()))
			return false;
	} else if (flags && unlikely(!arch_irqs_disabled())) {
		return false;
	}
	qspin_word_unlock(&lock->word);
	/* After the release: a record never claims less than is held. */
	barrier();
	this_cpu_write(QSPIN_TASK_HELD0.lock_tag, 0);
	return true;
}

#endif /* QSPIN_HELD_H */
