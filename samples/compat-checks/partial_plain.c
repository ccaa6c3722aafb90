// SPDX-License-Identifier: GPL-2.0
/*
 * Build test: the half of compat-partial.ko built without the compat
 * header (see partial_mapped.c): the same lock, the kernel's lock code.
 */
#include "compat_types.h"

int compat_partial_plain(struct compat_dev *dev)
{
	spin_lock(&dev->lock);
	dev->seen++;
	spin_unlock(&dev->lock);
	return dev->seen;
}
