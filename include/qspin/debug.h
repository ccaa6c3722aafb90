/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qspin's hooks for tests and tools, apart from the driver's API (qspin.h):
 * what a test module or a diagnostic reads about qspin.ko's state. A driver
 * does not need them.
 */
#ifndef _QSPIN_DEBUG_H
#define _QSPIN_DEBUG_H

#include <qspin.h>

/* Whether deadlock detection is on, so qspin_lock_checked() can back off. */
bool qspin_detect_active(void);

/* The word, decoded. */
static inline struct qspin_word_fields qspin_lock_fields(qspinlock_t *lock)
{
	return qspin_decode_word(qspin_word_read(&lock->word));
}

/*
 * A statistics counter summed over all CPUs, by its name in
 * /sys/kernel/debug/qspin/stats ("fast", "pending", "queued",
 * "nested_depth2", ...); 0 for an unknown name.
 */
unsigned long qspin_stat_read(const char *name);

#endif /* _QSPIN_DEBUG_H */
