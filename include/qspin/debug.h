/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qspin's hooks for tests and tools, apart from the driver's API (qspin.h):
 * what a test module or a diagnostic reads about qspin.ko's state. A driver
 * does not need them.
 */
#ifndef _QSPIN_DEBUG_H
#define _QSPIN_DEBUG_H

#include <qspin.h>

/**
 * qspin_detect_active() - whether deadlock detection is on
 *
 * Return: true when qspin.ko was loaded with detect=1 (the default), so
 * that qspin_lock_checked() backs off instead of spinning.
 */
bool qspin_detect_active(void);

/**
 * qspin_lock_fields() - the lock word, decoded
 * @lock: the lock
 *
 * Return: a snapshot of the locked and pending bytes and the queue tail
 * (tail_cpu -1: no queue).
 */
static inline struct qspin_word_fields qspin_lock_fields(qspinlock_t *lock)
{
	return qspin_decode_word(qspin_word_read(&lock->word));
}

/**
 * qspin_stat_read() - a statistics counter, summed over all CPUs
 * @name: its name in /sys/kernel/debug/qspin/stats ("fast", "pending",
 *        "queued", "nested_depth2", ...)
 *
 * Return: the sum, or 0 for an unknown name.
 */
unsigned long qspin_stat_read(const char *name);

#endif /* _QSPIN_DEBUG_H */
