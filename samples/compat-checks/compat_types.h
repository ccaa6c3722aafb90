/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The build tests' own "driver" header: a struct with a spinlock_t, as a
 * driver declares it. In a mapped file the lock is a qspinlock_t.
 */
#ifndef _COMPAT_TYPES_H
#define _COMPAT_TYPES_H

#include <linux/spinlock.h>
#include <linux/types.h>

struct compat_dev {
	spinlock_t lock;
	int seen;
};

void compat_mapped_api(struct compat_dev *dev);
int compat_partial_mapped(struct compat_dev *dev);
int compat_partial_plain(struct compat_dev *dev);

#endif /* _COMPAT_TYPES_H */
