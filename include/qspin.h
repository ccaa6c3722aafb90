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
 * Each operation is one call into qspin.ko (kmod/qspin/lock_api.c); the
 * one-CAS fast path is inlined there and only contention calls the C++ slow
 * path (core/). Test and diagnostic hooks are in <qspin/debug.h>.
 *
 * Build a client module with -I<qspin>/include, the one folder this header
 * and <qspin/lock_word.h> live in, and
 * KBUILD_EXTRA_SYMBOLS=<qspin>/Module.symvers (README.md, "Build and load on
 * your own test VM").
 */
#ifndef _QSPIN_H
#define _QSPIN_H

#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/typecheck.h>
#include <linux/types.h>
#include <qspin/lock_word.h>

/**
 * typedef qspinlock_t - a queued spinlock: one 32-bit word
 *
 * The word's layout (locked byte, pending byte, queue tail) is in
 * <qspin/lock_word.h>; a driver never reads it directly.
 */
typedef struct qspin_lock {
	struct qspin_lock_word word;
} qspinlock_t;

static_assert(sizeof(qspinlock_t) == 4, "qspinlock_t is the 32-bit word");
static_assert(__alignof__(qspinlock_t) == 4, "qspinlock_t is aligned");

/**
 * __QSPIN_LOCK_UNLOCKED() - initialiser of an unlocked qspinlock_t
 * @name: the lock's name (unused; kept for <linux/spinlock.h>'s shape)
 */
#define __QSPIN_LOCK_UNLOCKED(name) { .word = QSPIN_WORD_INIT }

/**
 * DEFINE_QSPINLOCK() - define and initialise an unlocked qspinlock_t
 * @name: the variable; usable as `static DEFINE_QSPINLOCK(name);`
 *
 * Like DEFINE_SPINLOCK(). Such a static lock is a lock class of its own for
 * the validator, named by its symbol.
 */
#define DEFINE_QSPINLOCK(name) qspinlock_t name = __QSPIN_LOCK_UNLOCKED(name)

/**
 * struct qspin_class_key - the key of a lock class
 * @unused: never read; there only so that each key is an object of its own
 *
 * A static object whose address identifies a class of locks, as lockdep's
 * struct lock_class_key: qspin_lock_init() defines one per call site. Its
 * contents are never read.
 */
struct qspin_class_key {
	unsigned char unused;
};

void __qspin_lock_init(qspinlock_t *lock, const char *name,
		       struct qspin_class_key *key);

/**
 * qspin_lock_init() - initialise a qspinlock_t at run time
 * @lock: the lock, unlocked afterwards
 *
 * Like spin_lock_init(), for locks in allocated memory. Every lock
 * initialised at one call site is one lock class for the validator, named
 * after the argument as written there (e.g. "&priv->lock"): its reports
 * and debugfs "classes" use that name. A lock that is held is not
 * initialised again: the validator reports it and leaves the word intact.
 */
#define qspin_lock_init(lock)						\
	do {								\
		static struct qspin_class_key __qspin_key;		\
									\
		__qspin_lock_init((lock), #lock, &__qspin_key);		\
	} while (0)

/**
 * qspin_lock_nested() - acquire a second lock of a class already held
 * @lock: the lock
 * @subclass: 0..7, distinct for each level of nesting
 *
 * Like spin_lock_nested(): qspin_lock(), telling the validator that taking
 * two locks of one class is an order the caller keeps (e.g. parent before
 * child), so "possible recursive locking" is not reported. Each subclass
 * is a class of its own in the dependency graph. Release with
 * qspin_unlock().
 */
void qspin_lock_nested(qspinlock_t *lock, unsigned int subclass)
	__acquires(lock);

unsigned long _qspin_lock_irqsave_nested(qspinlock_t *lock,
					 unsigned int subclass)
	__acquires(lock);

/**
 * qspin_lock_irqsave_nested() - qspin_lock_irqsave() of a nested lock
 * @lock: the lock
 * @flags: an unsigned long lvalue that receives the saved interrupt state
 * @subclass: 0..7, as for qspin_lock_nested()
 *
 * Like spin_lock_irqsave_nested(). Release with qspin_unlock_irqrestore().
 */
#define qspin_lock_irqsave_nested(lock, flags, subclass)		\
	do {								\
		typecheck(unsigned long, flags);			\
		flags = _qspin_lock_irqsave_nested(lock, subclass);	\
	} while (0)

/**
 * qspin_lock() - acquire a lock
 * @lock: the lock
 *
 * Like spin_lock(): disables preemption, then spins until the lock is
 * taken. Interrupts and softirqs stay as they were, so a lock also taken
 * by an interrupt handler needs qspin_lock_irqsave() (or _irq, _bh) here.
 * Release with qspin_unlock().
 */
void qspin_lock(qspinlock_t *lock) __acquires(lock);

/**
 * qspin_unlock() - release a lock taken with qspin_lock()
 * @lock: the lock
 *
 * Releases the lock, then enables preemption (rescheduling if needed).
 */
void qspin_unlock(qspinlock_t *lock) __releases(lock);

unsigned long _qspin_lock_irqsave(qspinlock_t *lock) __acquires(lock);

/**
 * qspin_lock_irqsave() - acquire a lock, with interrupts disabled
 * @lock: the lock
 * @flags: an unsigned long lvalue that receives the saved interrupt state
 *
 * Like spin_lock_irqsave(): saves the interrupt state in @flags and
 * disables interrupts on this CPU (local_irq_save()), disables preemption,
 * then spins until the lock is taken. Safe from any context; the form for
 * a lock that an interrupt handler also takes. Release with
 * qspin_unlock_irqrestore() and the same @flags.
 */
#define qspin_lock_irqsave(lock, flags)				\
	do {							\
		typecheck(unsigned long, flags);		\
		flags = _qspin_lock_irqsave(lock);		\
	} while (0)

/**
 * qspin_unlock_irqrestore() - release a lock taken with qspin_lock_irqsave()
 * @lock: the lock
 * @flags: the interrupt state qspin_lock_irqsave() saved
 *
 * Releases the lock, restores the interrupt state from @flags
 * (local_irq_restore()), then enables preemption. Interrupts must still be
 * disabled when it is called.
 */
void qspin_unlock_irqrestore(qspinlock_t *lock, unsigned long flags)
	__releases(lock);

/**
 * qspin_lock_irq() - acquire a lock, with interrupts disabled
 * @lock: the lock
 *
 * Like spin_lock_irq(): disables interrupts on this CPU
 * (local_irq_disable()) and preemption, then spins until the lock is
 * taken. Only where interrupts are known to be enabled: qspin_unlock_irq()
 * enables them unconditionally. Otherwise use qspin_lock_irqsave().
 */
void qspin_lock_irq(qspinlock_t *lock) __acquires(lock);

/**
 * qspin_unlock_irq() - release a lock taken with qspin_lock_irq()
 * @lock: the lock
 *
 * Releases the lock, enables interrupts (local_irq_enable()), then enables
 * preemption. Interrupts must still be disabled when it is called.
 */
void qspin_unlock_irq(qspinlock_t *lock) __releases(lock);

/**
 * qspin_lock_bh() - acquire a lock, with softirqs disabled
 * @lock: the lock
 *
 * Like spin_lock_bh(): disables softirqs on this CPU (local_bh_disable(),
 * which also disables preemption), then spins until the lock is taken.
 * The form for process context when a softirq (tasklet, timer, NAPI) takes
 * the same lock. Not in hardirq context. Release with qspin_unlock_bh().
 */
void qspin_lock_bh(qspinlock_t *lock) __acquires(lock);

/**
 * qspin_unlock_bh() - release a lock taken with qspin_lock_bh()
 * @lock: the lock
 *
 * Releases the lock, then enables softirqs (local_bh_enable_ip(), which
 * runs pending softirqs and may reschedule).
 */
void qspin_unlock_bh(qspinlock_t *lock) __releases(lock);

int _qspin_trylock(qspinlock_t *lock);
int _qspin_trylock_irqsave(qspinlock_t *lock, unsigned long *flags);
int _qspin_trylock_bh(qspinlock_t *lock);

/**
 * qspin_trylock() - try to acquire a lock without spinning
 * @lock: the lock
 *
 * Like spin_trylock(): disables preemption and takes the lock if it is
 * free; if not, enables preemption again. It does not write the lock word
 * when the lock is taken. Release with qspin_unlock().
 *
 * Return: 1 if the lock was taken, 0 with no state changed.
 */
#define qspin_trylock(lock) __cond_lock(lock, _qspin_trylock(lock))

/**
 * qspin_trylock_bh() - try to acquire a lock, with softirqs disabled
 * @lock: the lock
 *
 * Like spin_trylock_bh(): disables softirqs (and so preemption) and takes
 * the lock if it is free; if not, enables softirqs again. Release with
 * qspin_unlock_bh().
 *
 * Return: 1 if the lock was taken, 0 with no state changed.
 */
#define qspin_trylock_bh(lock) __cond_lock(lock, _qspin_trylock_bh(lock))

/**
 * qspin_trylock_irqsave() - try to acquire a lock, with interrupts disabled
 * @lock: the lock
 * @flags: an unsigned long lvalue that receives the saved interrupt state
 *
 * Like spin_trylock_irqsave(): saves the interrupt state in @flags,
 * disables interrupts and preemption, and takes the lock if it is free; if
 * not, restores both. Release with qspin_unlock_irqrestore().
 *
 * Return: 1 if the lock was taken, 0 with no state changed.
 */
#define qspin_trylock_irqsave(lock, flags)				\
	({								\
		typecheck(unsigned long, flags);			\
		__cond_lock(lock, _qspin_trylock_irqsave(lock, &(flags))); \
	})

/**
 * qspin_lock_checked() - acquire a lock, or back off from a same-CPU deadlock
 * @lock: the lock
 *
 * For code that can run in interrupt context. Disables preemption and
 * acquires like qspin_lock(). With the validator on (qspin.ko parameter
 * validate=1, the default), when the lock is held by a context this one
 * interrupted on the same CPU (so spinning could never end), or by this
 * very context (the same lock again), it reports the deadlock once in
 * dmesg, enables preemption again and returns instead of spinning. With
 * the validator off it is qspin_lock(). Release with qspin_unlock().
 *
 * Return: 0 with the lock held, or -EDEADLK with the lock not taken and
 * preemption as it was.
 */
int qspin_lock_checked(qspinlock_t *lock);

/**
 * qspin_is_locked() - whether a lock is held
 * @lock: the lock
 *
 * Like spin_is_locked(): a snapshot, for assertions and diagnostics.
 *
 * Return: nonzero if the lock word is not free (held, or being handed on).
 */
static inline int qspin_is_locked(qspinlock_t *lock)
{
	return qspin_word_is_locked(&lock->word);
}

/**
 * qspin_is_contended() - whether someone waits for a lock
 * @lock: the lock
 *
 * Like spin_is_contended(): a snapshot; lets a long critical section
 * drop the lock for a waiter.
 *
 * Return: nonzero if a pending waiter or a queue is there besides the owner.
 */
static inline int qspin_is_contended(qspinlock_t *lock)
{
	return qspin_word_is_contended(&lock->word);
}

#endif /* _QSPIN_H */
