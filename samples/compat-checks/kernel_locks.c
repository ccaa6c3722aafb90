// SPDX-License-Identifier: GPL-2.0
/*
 * Build test: in a mapped file, locks the kernel owns stay the kernel's,
 * whatever the order of the includes. The module's own header comes first,
 * then kernel headers with spinlock_t members that nothing read before it
 * (the compat header itself came before all of them, by -include). Every
 * spinlock_t call below is on a kernel lock: scripts/compat-checks.sh
 * requires the object to call the kernel's _raw_spin_* and no qspin lock
 * function.
 */
#include "compat_types.h"

#include <linux/fs.h>
#include <linux/refcount.h>
#include <linux/wait.h>
#include <linux/xarray.h>

/* The kernel's structs keep the kernel's lock in this module's view. */
#define kernel_lock(type, member)					\
	static_assert(__builtin_types_compatible_p(			\
		typeof(((type *)0)->member), qspin_compat_kernel_spinlock_t))
kernel_lock(struct wait_queue_head, lock);
kernel_lock(struct xarray, xa_lock);
kernel_lock(struct inode, i_lock);
kernel_lock(struct file, f_lock);
kernel_lock(struct super_block, s_inode_list_lock);

/* The kernel's initialisers, expanded here, initialise the kernel's type. */
static DECLARE_WAIT_QUEUE_HEAD(static_wq);
static DEFINE_XARRAY(static_xa);

void compat_kernel_locks(struct wait_queue_head *wq, struct xarray *xa,
			 refcount_t *ref);
void compat_kernel_locks(struct wait_queue_head *wq, struct xarray *xa,
			 refcount_t *ref)
{
	unsigned long flags;

	init_waitqueue_head(wq);
	spin_lock_init(&wq->lock);
	xa_init(xa);

	spin_lock(&wq->lock);
	lockdep_assert_held(&wq->lock);
	assert_spin_locked(&wq->lock);
	spin_unlock(&wq->lock);
	spin_lock_nested(&wq->lock, SINGLE_DEPTH_NESTING);
	spin_unlock(&wq->lock);
	spin_lock_bh(&wq->lock);
	spin_unlock_bh(&wq->lock);
	spin_lock_irq(&wq->lock);
	spin_unlock_irq(&wq->lock);
	spin_lock_irqsave(&wq->lock, flags);
	spin_unlock_irqrestore(&wq->lock, flags);
	if (spin_trylock(&wq->lock))
		spin_unlock(&wq->lock);
	if (spin_trylock_irqsave(&wq->lock, flags))
		spin_unlock_irqrestore(&wq->lock, flags);

	/* Kernel macros and inline functions over the same API. */
	xa_lock_irqsave(xa, flags);
	xa_unlock_irqrestore(xa, flags);
	spin_lock(&static_wq.lock);
	spin_unlock(&static_wq.lock);
	xa_lock(&static_xa);
	xa_unlock(&static_xa);

	/* A kernel API taking spinlock_t * takes the kernel's lock. */
	if (refcount_dec_and_lock(ref, &wq->lock))
		spin_unlock(&wq->lock);
}
EXPORT_SYMBOL_GPL(compat_kernel_locks);
