/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The validator's held-lock records (validate.c) and the common case of an
 * acquisition, inline for lock_api.c's instrumented path: task context,
 * nothing else held there, the lock's class found at its first map slot
 * and its usage already recorded. That costs one preempt-count read, the
 * interrupt flag, one map probe, one usage byte and one record; anything
 * else goes to qspin_validate_acquire().
 */
#ifndef QSPIN_HELD_H
#define QSPIN_HELD_H

#include <linux/irqflags.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include "class.h"
#include "internal.h"

/* Locks one context can hold at once, per CPU (lockdep: 48 per task). */
#define QSPIN_HELD_MAX 16

enum qspin_held_flags {
	QSPIN_HELD_TRYLOCK = BIT(0),
	QSPIN_HELD_IRQS_OFF = BIT(1),		/* hardirqs off at acquisition */
	QSPIN_HELD_SOFTIRQS_OFF = BIT(2),	/* softirqs off at acquisition */
};

struct qspin_held {
	qspinlock_t *lock;	/* NULL: free; written last */
	unsigned long ip;	/* the caller of the lock operation */
	union {
		struct {
			u16 cls;	/* QSPIN_CLASS_NONE: unvalidated */
			u8 flags;	/* enum qspin_held_flags */
			u8 unused;
		};
		u32 info;	/* both, in one store */
	};
};

struct qspin_held_stack {
	unsigned int depth;
	struct qspin_held held[QSPIN_HELD_MAX];
};

struct qspin_held_cpu {
	struct qspin_held_stack ctx[QSPIN_CTX_NR];
	unsigned long overflow;	/* acquisitions not recorded: stack full */
};

DECLARE_PER_CPU(struct qspin_held_cpu, qspin_held_cpu);

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

/* The first record of an empty stack, published before the lock's atomic. */
static __always_inline void qspin_held_push0(struct qspin_held_stack *hs,
					     qspinlock_t *lock, unsigned long ip,
					     unsigned int cls, u8 flags)
{
	struct qspin_held *h = &hs->held[0];

	h->ip = ip;
	h->info = QSPIN_HELD_INFO(cls, flags);
	/* An interrupting reader sees the record once it sees the lock. */
	barrier();
	WRITE_ONCE(h->lock, lock);
	hs->depth = 1;
	/* Published before the caller's atomic on the lock word. */
	barrier();
}

/*
 * The common case of qspin_validate_acquire() for a plain (not trylock,
 * not nested) acquisition, before the atomic. Return: true when it applied
 * (the record is made); false: nothing was done, the caller goes the
 * general way (qspin_validate_acquire()).
 */
static __always_inline bool qspin_validate_record_fast(qspinlock_t *lock,
						       unsigned long ip)
{
	unsigned int pc = preempt_count(), slot, cls;
	struct qspin_held_stack *hs;
	bool irqs_off;

	/* PREEMPT_RT keeps softirq state per task: the general path. */
	if (IS_ENABLED(CONFIG_PREEMPT_RT) || unlikely(pc & QSPIN_NOT_TASK))
		return false;
	hs = this_cpu_ptr(&qspin_held_cpu.ctx[QSPIN_CTX_TASK]);
	slot = qspin_map_slot((unsigned long)lock);
	if (unlikely(hs->depth ||
		     smp_load_acquire(&qspin_lock_map[slot].lock) !=
		     (unsigned long)lock))
		return false;
	cls = READ_ONCE(qspin_lock_map[slot].cls);
	irqs_off = arch_irqs_disabled();
	/* Separate branches: the most common case must not pay for the others. */
	if (likely(!irqs_off && !(pc & SOFTIRQ_MASK))) {
		/* Plain qspin_lock() with everything on: both ENABLED bits. */
		if (unlikely((READ_ONCE(qspin_usage_bits[cls]) &
			      QSPIN_NEED_BOTH) != QSPIN_NEED_BOTH))
			return false;
		qspin_held_push0(hs, lock, ip, cls, 0);
	} else if (irqs_off) {
		/* _irqsave, _irq: no usage to learn. */
		qspin_held_push0(hs, lock, ip, cls,
				 QSPIN_HELD_IRQS_OFF | QSPIN_HELD_SOFTIRQS_OFF);
	} else {
		/* _bh: hardirqs on, softirqs off. */
		if (unlikely(!(READ_ONCE(qspin_usage_bits[cls]) &
			       BIT(QSPIN_ENABLED_HARDIRQ))))
			return false;
		qspin_held_push0(hs, lock, ip, cls, QSPIN_HELD_SOFTIRQS_OFF);
	}
	return true;
}

/* Whether the interrupt state at release is the one at acquisition. */
static __always_inline bool qspin_release_state_same(u8 flags, unsigned int pc)
{
	if (!flags)
		return true;
	if (arch_irqs_disabled())
		return true;
	/* Hardirqs are on now: fine only for a _bh holder still in _bh. */
	return !(flags & QSPIN_HELD_IRQS_OFF) && (pc & SOFTIRQ_MASK);
}

/*
 * The common release: task context, the lock on top of the stack, locked,
 * interrupts as they were at acquisition. Releases the word and drops the
 * record; false: nothing done, qspin_validate_release_general() decides.
 */
static __always_inline bool qspin_validate_release_fast(qspinlock_t *lock)
{
	unsigned int pc = preempt_count(), depth;
	struct qspin_held_stack *hs;
	struct qspin_held *h;

	if (IS_ENABLED(CONFIG_PREEMPT_RT) || unlikely(pc & QSPIN_NOT_TASK))
		return false;
	hs = this_cpu_ptr(&qspin_held_cpu.ctx[QSPIN_CTX_TASK]);
	depth = hs->depth;
	if (unlikely(!depth))
		return false;
	h = &hs->held[depth - 1];
	if (unlikely(h->lock != lock || !READ_ONCE(lock->word.locked) ||
		     !qspin_release_state_same(h->flags, pc)))
		return false;
	qspin_word_unlock(&lock->word);
	/* After the release: a record never claims less than is held. */
	barrier();
	WRITE_ONCE(h->lock, NULL);
	hs->depth = depth - 1;
	return true;
}

#endif /* QSPIN_HELD_H */
