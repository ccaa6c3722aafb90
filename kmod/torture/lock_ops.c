// SPDX-License-Identifier: GPL-2.0
/*
 * qspin-torture's lock types, one ops vector each, as locktorture's
 * lock_torture_ops: torture_type=qspin drives qspinlock_t through qspin.h,
 * torture_type=native drives the kernel's spinlock_t through the same
 * harness. Only the public API of each is used: the end-of-run check asks
 * is_locked()/is_contended(), it never reads a lock's fields.
 */
#include <linux/lockdep.h>

#include "native_spinlock.h"
#include "torture.h"

/* ---- qspin ------------------------------------------------------------ */

/*
 * One validator class per torture lock, named after it, as if each had a
 * qspin_lock_init() call site of its own: the level locks are each taken
 * in their own context only (nest.c), so one class for all of them would
 * be "inconsistent lock state" (task's SOFTIRQ-ON, soft's IN-SOFTIRQ).
 */
static struct qspin_class_key qspin_torture_keys[NR_TLOCKS];

static void qspin_torture_init(union torture_lock *lock, enum tlock_id id,
			       const char *name)
{
	__qspin_lock_init(&lock->q, name, &qspin_torture_keys[id]);
}

static void qspin_torture_lock(union torture_lock *lock)
	__acquires(&lock->q)
{
	qspin_lock(&lock->q);
}

static void qspin_torture_unlock(union torture_lock *lock)
	__releases(&lock->q)
{
	qspin_unlock(&lock->q);
}

static unsigned long qspin_torture_lock_irqsave(union torture_lock *lock)
	__acquires(&lock->q)
{
	unsigned long flags;

	qspin_lock_irqsave(&lock->q, flags);
	return flags;
}

static void qspin_torture_unlock_irqrestore(union torture_lock *lock,
					    unsigned long flags)
	__releases(&lock->q)
{
	qspin_unlock_irqrestore(&lock->q, flags);
}

static void qspin_torture_lock_irq(union torture_lock *lock)
	__acquires(&lock->q)
{
	qspin_lock_irq(&lock->q);
}

static void qspin_torture_unlock_irq(union torture_lock *lock)
	__releases(&lock->q)
{
	qspin_unlock_irq(&lock->q);
}

static void qspin_torture_lock_bh(union torture_lock *lock)
	__acquires(&lock->q)
{
	qspin_lock_bh(&lock->q);
}

static void qspin_torture_unlock_bh(union torture_lock *lock)
	__releases(&lock->q)
{
	qspin_unlock_bh(&lock->q);
}

static bool qspin_torture_is_locked(union torture_lock *lock)
{
	return qspin_is_locked(&lock->q);
}

static bool qspin_torture_is_contended(union torture_lock *lock)
{
	return qspin_is_contended(&lock->q);
}

const struct torture_lock_ops qspin_torture_ops = {
	.name			= "qspin",
	.init			= qspin_torture_init,
	.writelock		= qspin_torture_lock,
	.write_delay		= torture_write_delay,
	.writeunlock		= qspin_torture_unlock,
	.writelock_irqsave	= qspin_torture_lock_irqsave,
	.writeunlock_irqrestore	= qspin_torture_unlock_irqrestore,
	.writelock_irq		= qspin_torture_lock_irq,
	.writeunlock_irq	= qspin_torture_unlock_irq,
	.writelock_bh		= qspin_torture_lock_bh,
	.writeunlock_bh		= qspin_torture_unlock_bh,
	.is_locked		= qspin_torture_is_locked,
	.is_contended		= qspin_torture_is_contended,
};

/* ---- native: the kernel's spinlock_t (raw_spinlock_t on PREEMPT_RT) ----- */

/*
 * The same for lockdep on a debug kernel: spin_lock_init() in a loop gives
 * every torture lock one class (&lock->s), and the level locks' contexts
 * then made lockdep report "inconsistent lock state" {SOFTIRQ-ON-W} ->
 * {IN-SOFTIRQ-W} and turn itself off (check-sanitizers' KASAN kernel). A
 * class each, named after the lock; nothing on a kernel without lockdep.
 */
static struct lock_class_key native_torture_keys[NR_TLOCKS];

static void native_torture_init(union torture_lock *lock, enum tlock_id id,
				const char *name)
{
	native_spin_lock_init(&lock->s);
	lockdep_set_class_and_name(&lock->s, &native_torture_keys[id], name);
}

static void native_torture_lock(union torture_lock *lock)
	__acquires(&lock->s)
{
	native_spin_lock(&lock->s);
}

static void native_torture_unlock(union torture_lock *lock)
	__releases(&lock->s)
{
	native_spin_unlock(&lock->s);
}

static unsigned long native_torture_lock_irqsave(union torture_lock *lock)
	__acquires(&lock->s)
{
	unsigned long flags;

	native_spin_lock_irqsave(&lock->s, flags);
	return flags;
}

static void native_torture_unlock_irqrestore(union torture_lock *lock,
					     unsigned long flags)
	__releases(&lock->s)
{
	native_spin_unlock_irqrestore(&lock->s, flags);
}

static void native_torture_lock_irq(union torture_lock *lock)
	__acquires(&lock->s)
{
	native_spin_lock_irq(&lock->s);
}

static void native_torture_unlock_irq(union torture_lock *lock)
	__releases(&lock->s)
{
	native_spin_unlock_irq(&lock->s);
}

static void native_torture_lock_bh(union torture_lock *lock)
	__acquires(&lock->s)
{
	native_spin_lock_bh(&lock->s);
}

static void native_torture_unlock_bh(union torture_lock *lock)
	__releases(&lock->s)
{
	native_spin_unlock_bh(&lock->s);
}

static bool native_torture_is_locked(union torture_lock *lock)
{
	return native_spin_is_locked(&lock->s);
}

static bool native_torture_is_contended(union torture_lock *lock)
{
	return native_spin_is_contended(&lock->s);
}

const struct torture_lock_ops native_torture_ops = {
	.name			= "native",
	.init			= native_torture_init,
	.writelock		= native_torture_lock,
	.write_delay		= torture_write_delay,
	.writeunlock		= native_torture_unlock,
	.writelock_irqsave	= native_torture_lock_irqsave,
	.writeunlock_irqrestore	= native_torture_unlock_irqrestore,
	.writelock_irq		= native_torture_lock_irq,
	.writeunlock_irq	= native_torture_unlock_irq,
	.writelock_bh		= native_torture_lock_bh,
	.writeunlock_bh		= native_torture_unlock_bh,
	.is_locked		= native_torture_is_locked,
	.is_contended		= native_torture_is_contended,
};
