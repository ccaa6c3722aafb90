// SPDX-License-Identifier: GPL-2.0
/*
 * Build test that must FAIL: a module's lock handed to a kernel API that
 * takes a spinlock_t *. The kernel would run its own lock code on a qspin
 * word; the distinct type makes it a compile error instead:
 * "passing argument 2 of 'refcount_dec_and_lock' from incompatible pointer
 * type", expected 'spinlock_t *', given 'qspinlock_t *'.
 */
#include <linux/module.h>
#include <linux/refcount.h>

#include "compat_types.h"

bool compat_put(struct compat_dev *dev, refcount_t *ref);
bool compat_put(struct compat_dev *dev, refcount_t *ref)
{
	return refcount_dec_and_lock(ref, &dev->lock);	/* the error */
}

MODULE_LICENSE("GPL");
