/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qspin's hooks for tests and tools, apart from the driver's API (qspin.h):
 * what a test module or a diagnostic reads about qspin.ko's state. A driver
 * does not need them.
 */
#ifndef _QSPIN_DEBUG_H
#define _QSPIN_DEBUG_H

#include <qspin.h>
#include <qspin/report_type.h>


/**
 * qspin_report_count() - distinct reports of one type
 * @type: the report type
 *
 * Return: how many distinct reports of @type were printed since qspin.ko
 * was loaded or since the last qspin_validate_reset() (repeats of one
 * report are counted in debugfs "reports", not here).
 */
unsigned long qspin_report_count(enum qspin_report_type type);

/**
 * qspin_report_hits() - every sighting of one type, repeats included
 * @type: the report type
 *
 * Return: how many times a problem of @type was seen since qspin.ko was
 * loaded or since the last qspin_validate_reset(): the printed reports and
 * their counted repeats.
 */
unsigned long qspin_report_hits(enum qspin_report_type type);

/**
 * qspin_check_no_locks_held() - report qspin locks still held by this task
 * @fn: the function that has just returned and must not leave locks held
 *	(its address, for the report), e.g. a callback the caller ran
 *
 * lockdep's debug_check_no_locks_held() for qspin locks: every lock this
 * CPU's task context holds is reported once per lock and @fn as "lock held
 * when returning" (QSPIN_REPORT_LEAKED), where it was taken and the fix.
 * The locks stay held: the caller, which knows how each was taken,
 * releases them. Task context, preemption disabled by the held locks
 * themselves or by the caller.
 *
 * Return: how many locks this task holds (0 with validation off).
 */
unsigned int qspin_check_no_locks_held(unsigned long fn);

/**
 * qspin_validate_reset() - forget what the validator learnt
 *
 * Forgets the reports (so each can be printed again), the dependency
 * graph, the usage states of every class and the chain cache; classes, the
 * lock -> class map and the held-lock records stay. debugfs "reset" does
 * the same. Sleeps: process context only.
 */
void qspin_validate_reset(void);

/**
 * qspin_validate_active() - whether the validator is on
 *
 * Return: true when qspin.ko validates (parameter validate=1, its alias
 * detect=1, the default; or debugfs "validate" on): then
 * qspin_lock_checked() backs off from a certain deadlock instead of
 * spinning.
 */
bool qspin_validate_active(void);

/**
 * qspin_validate_set() - switch the validator on or off
 * @on: the new state
 *
 * As debugfs "validate". Records start at the switch: a lock taken before
 * validation was switched on is released without a report. Sleeps:
 * process context only, with no qspin lock held by the caller.
 *
 * Return: 0.
 */
int qspin_validate_set(bool on);

/**
 * qspin_detect_active() - the older name of qspin_validate_active()
 *
 * Return: qspin_validate_active().
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

/**
 * qspin_watchdog_timeout_ms() - the lockup watchdog's spin_timeout_ms
 *
 * Return: the parameter's current value.
 */
u64 qspin_watchdog_timeout_ms(void);

/**
 * qspin_lockup_count() - waits the lockup watchdog judged, summed
 *
 * Return: every hit in debugfs qspin/lockups (reported or counted), since
 * load or its last "reset".
 */
unsigned long qspin_lockup_count(void);

/**
 * qspin_queue_nodes_busy() - queue nodes in use, over every CPU
 *
 * Return: the sum of every CPU's slow-path nesting depth; 0 when no CPU
 * waits in a slow path (after a test: every node free).
 */
unsigned int qspin_queue_nodes_busy(void);

#endif /* _QSPIN_DEBUG_H */
