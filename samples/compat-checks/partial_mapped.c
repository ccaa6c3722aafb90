// SPDX-License-Identifier: GPL-2.0
/*
 * Build test: the mapped half of compat-partial.ko, a module that got the
 * compat header in this file only (see Kbuild). Here struct compat_dev's
 * lock is a qspinlock_t; in partial_plain.c the same struct has a
 * spinlock_t, also 4 bytes, so the module builds and would corrupt the
 * lock at run time. scripts/compat-checks.sh must find partial_plain.o
 * without the compat marker.
 */
#include <linux/module.h>

#include "compat_types.h"

int compat_partial_mapped(struct compat_dev *dev)
{
	spin_lock(&dev->lock);
	dev->seen++;
	spin_unlock(&dev->lock);
	return compat_partial_plain(dev);
}
EXPORT_SYMBOL_GPL(compat_partial_mapped);

MODULE_LICENSE("GPL");
