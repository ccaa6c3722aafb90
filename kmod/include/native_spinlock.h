/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The native comparator of qspin-torture and qspin-bench: the kernel's own
 * spinning lock. That is spinlock_t, except on PREEMPT_RT, where spinlock_t
 * is an rt_mutex that sleeps ("BUG: scheduling while atomic" under the
 * harnesses' irq-off and preempt-off sections) and raw_spinlock_t is the
 * spinning lock qspin is to be compared with.
 */
#ifndef QSPIN_NATIVE_SPINLOCK_H
#define QSPIN_NATIVE_SPINLOCK_H

#include <linux/spinlock.h>

#ifdef CONFIG_PREEMPT_RT
#define NATIVE_SPINLOCK_NAME			"raw_spinlock_t"
typedef raw_spinlock_t native_spinlock_t;
#define native_spin_lock_init(l)		raw_spin_lock_init(l)
#define native_spin_lock(l)			raw_spin_lock(l)
#define native_spin_unlock(l)			raw_spin_unlock(l)
#define native_spin_lock_irqsave(l, f)		raw_spin_lock_irqsave(l, f)
#define native_spin_unlock_irqrestore(l, f)	raw_spin_unlock_irqrestore(l, f)
#define native_spin_lock_irq(l)			raw_spin_lock_irq(l)
#define native_spin_unlock_irq(l)		raw_spin_unlock_irq(l)
#define native_spin_lock_bh(l)			raw_spin_lock_bh(l)
#define native_spin_unlock_bh(l)		raw_spin_unlock_bh(l)
#define native_spin_is_locked(l)		raw_spin_is_locked(l)
#define native_spin_is_contended(l)		raw_spin_is_contended(l)
#else
#define NATIVE_SPINLOCK_NAME			"spinlock_t"
typedef spinlock_t native_spinlock_t;
#define native_spin_lock_init(l)		spin_lock_init(l)
#define native_spin_lock(l)			spin_lock(l)
#define native_spin_unlock(l)			spin_unlock(l)
#define native_spin_lock_irqsave(l, f)		spin_lock_irqsave(l, f)
#define native_spin_unlock_irqrestore(l, f)	spin_unlock_irqrestore(l, f)
#define native_spin_lock_irq(l)			spin_lock_irq(l)
#define native_spin_unlock_irq(l)		spin_unlock_irq(l)
#define native_spin_lock_bh(l)			spin_lock_bh(l)
#define native_spin_unlock_bh(l)		spin_unlock_bh(l)
#define native_spin_is_locked(l)		spin_is_locked(l)
#define native_spin_is_contended(l)		spin_is_contended(l)
#endif

#endif /* QSPIN_NATIVE_SPINLOCK_H */
