/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qspin: a queued spinlock with the kernel's spinlock API, for drivers.
 *
 * Mirrors <linux/spinlock.h>: a driver switches by renaming
 *   spinlock_t -> qspinlock_t, DEFINE_SPINLOCK -> DEFINE_QSPINLOCK,
 *   spin_lock* -> qspin_lock*, spin_trylock* -> qspin_trylock*.
 *
 * qspin is a raw_spinlock_t-class lock: it never sleeps, also on PREEMPT_RT.
 * Every variant is built on the kernel's own local_irq_save(),
 * local_irq_disable(), local_bh_disable() and preempt_disable(), in the
 * order the kernel's spinlock uses them; release goes in reverse.
 *
 * Each operation is one call into qspin.ko; the one-CAS fast path is inlined
 * there and only contention calls the C++ slow path (core/).
 *
 * Build a client module with KBUILD_EXTRA_SYMBOLS=<qspin build>/Module.symvers
 * and -I for kmod/qspin/include and core/include (see README.md).
 */
#ifndef _QSPIN_H
#define _QSPIN_H

#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/typecheck.h>
#include <linux/types.h>
#include <qspin/lock_word.h>

typedef struct qspin_lock {
	struct qspin_lock_word word;
} qspinlock_t;

static_assert(sizeof(qspinlock_t) == 4, "qspinlock_t is the 32-bit word");
static_assert(__alignof__(qspinlock_t) == 4, "qspinlock_t is aligned");

#define __QSPIN_LOCK_UNLOCKED(name) { .word = QSPIN_WORD_INIT }
/* Usable as `static DEFINE_QSPINLOCK(name);`, like DEFINE_SPINLOCK. */
#define DEFINE_QSPINLOCK(name) qspinlock_t name = __QSPIN_LOCK_UNLOCKED(name)

/* Dynamic initialisation; the call site is remembered for diagnostics. */
void qspin_lock_init(qspinlock_t *lock);

void qspin_lock(qspinlock_t *lock) __acquires(lock);
void qspin_unlock(qspinlock_t *lock) __releases(lock);

unsigned long _qspin_lock_irqsave(qspinlock_t *lock) __acquires(lock);
void qspin_unlock_irqrestore(qspinlock_t *lock, unsigned long flags)
	__releases(lock);
#define qspin_lock_irqsave(lock, flags)				\
	do {							\
		typecheck(unsigned long, flags);		\
		flags = _qspin_lock_irqsave(lock);		\
	} while (0)

void qspin_lock_irq(qspinlock_t *lock) __acquires(lock);
void qspin_unlock_irq(qspinlock_t *lock) __releases(lock);

void qspin_lock_bh(qspinlock_t *lock) __acquires(lock);
void qspin_unlock_bh(qspinlock_t *lock) __releases(lock);

/* The trylocks return 1 when the lock was taken, 0 with no state changed. */
int _qspin_trylock(qspinlock_t *lock);
int _qspin_trylock_irqsave(qspinlock_t *lock, unsigned long *flags);
int _qspin_trylock_bh(qspinlock_t *lock);
#define qspin_trylock(lock) __cond_lock(lock, _qspin_trylock(lock))
#define qspin_trylock_bh(lock) __cond_lock(lock, _qspin_trylock_bh(lock))
#define qspin_trylock_irqsave(lock, flags)				\
	({								\
		typecheck(unsigned long, flags);			\
		__cond_lock(lock, _qspin_trylock_irqsave(lock, &(flags))); \
	})

/*
 * Checked acquisition, for code that can run in interrupt context: with
 * deadlock detection on (qspin.ko parameter detect=1), returns -EDEADLK
 * instead of spinning forever when the lock is held by a context this one
 * interrupted on the same CPU, after reporting it once in dmesg. Returns 0
 * with the lock held otherwise. Preemption is disabled only on success.
 */
int qspin_lock_checked(qspinlock_t *lock);

static inline int qspin_is_locked(qspinlock_t *lock)
{
	return qspin_word_is_locked(&lock->word);
}

/* Someone waits besides the owner: a pending waiter or a queue. */
static inline int qspin_is_contended(qspinlock_t *lock)
{
	return qspin_word_is_contended(&lock->word);
}

#endif /* _QSPIN_H */
