// SPDX-License-Identifier: GPL-2.0
/*
 * Build test: every mapped spinlock_t call on the module's own locks, as a
 * driver writes them. Must compile; scripts/compat-checks.sh then requires
 * the object to call qspin's lock functions and none of the kernel's
 * (_raw_spin_*). The rt, no-root and wrong-root cases build this same
 * file and must stop at the header.
 */
#include <linux/bug.h>
#include <linux/lockdep.h>
#include <linux/module.h>

#include "compat_types.h"

static DEFINE_SPINLOCK(static_lock);
static struct compat_dev static_dev = {
	.lock = __SPIN_LOCK_UNLOCKED(static_dev.lock),
};

/* The module's locks, whichever way declared, are qspin's. */
static_assert(__builtin_types_compatible_p(spinlock_t, qspinlock_t));
static_assert(__builtin_types_compatible_p(typeof(static_lock), qspinlock_t));
static_assert(__builtin_types_compatible_p(typeof(static_dev.lock),
					   qspinlock_t));
static_assert(__builtin_types_compatible_p(typeof(((struct compat_dev *)0)->lock),
					   qspinlock_t));
static_assert(sizeof(struct compat_dev) == 8);

void compat_mapped_api(struct compat_dev *dev)
{
	unsigned long flags;

	spin_lock_init(&dev->lock);

	spin_lock(&dev->lock);
	lockdep_assert_held(&dev->lock);
	assert_spin_locked(&dev->lock);
	dev->seen = spin_is_locked(&dev->lock) + spin_is_contended(&dev->lock);
	spin_unlock(&dev->lock);

	spin_lock_nested(&dev->lock, SINGLE_DEPTH_NESTING);
	spin_unlock(&dev->lock);
	spin_lock_bh(&dev->lock);
	spin_unlock_bh(&dev->lock);
	spin_lock_irq(&dev->lock);
	spin_unlock_irq(&dev->lock);
	spin_lock_irqsave(&dev->lock, flags);
	spin_unlock_irqrestore(&dev->lock, flags);
	spin_lock_irqsave_nested(&dev->lock, flags, SINGLE_DEPTH_NESTING);
	spin_unlock_irqrestore(&dev->lock, flags);

	if (spin_trylock(&dev->lock))
		spin_unlock(&dev->lock);
	if (spin_trylock_bh(&dev->lock))
		spin_unlock_bh(&dev->lock);
	if (spin_trylock_irq(&dev->lock))
		spin_unlock_irq(&dev->lock);
	if (spin_trylock_irqsave(&dev->lock, flags))
		spin_unlock_irqrestore(&dev->lock, flags);

	spin_lock(&static_lock);
	spin_lock(&static_dev.lock);
	spin_unlock(&static_dev.lock);
	spin_unlock(&static_lock);
}
EXPORT_SYMBOL_GPL(compat_mapped_api);

MODULE_LICENSE("GPL");
