/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The validator's report types, alone: included by qspin/debug.h and by the
 * host tests of the dependency graph (kmod/qspin/tests/graph/), which
 * cannot include the kernel headers debug.h needs. No includes of its own.
 */
#ifndef _QSPIN_REPORT_TYPE_H
#define _QSPIN_REPORT_TYPE_H

/**
 * enum qspin_report_type - the validator's reports, by kind
 * @QSPIN_REPORT_CIRCULAR: possible circular locking dependency detected
 * @QSPIN_REPORT_INCONSISTENT: inconsistent lock state (a class used in
 *	hardirq/softirq context and taken with that context enabled)
 * @QSPIN_REPORT_RECURSIVE: possible recursive locking detected (a second
 *	lock of a class already held, without qspin_lock_nested())
 * @QSPIN_REPORT_DEADLOCK: the same lock again (AA), or the same-CPU
 *	interrupt deadlock: certain, found on contention
 * @QSPIN_REPORT_IRQ_SAFE_UNSAFE: HARDIRQ-safe -> HARDIRQ-unsafe lock order
 *	detected (and the SOFTIRQ twin)
 * @QSPIN_REPORT_IRQ_INVERSION: possible irq lock inversion dependency
 *	detected
 * @QSPIN_REPORT_BAD_UNLOCK: bad unlock balance detected (not locked, or
 *	held by another CPU or context)
 * @QSPIN_REPORT_UNINITIALIZED: a lock used without qspin_lock_init() that
 *	is not a static object
 * @QSPIN_REPORT_HELD_REINIT: qspin_lock_init() of a held lock
 * @QSPIN_REPORT_POOL_FULL: a preallocated pool of the validator ran out
 * @QSPIN_REPORT_HELD_FREED: held lock freed (a module unloaded while one
 *	of its locks was held)
 * @QSPIN_REPORT_SLEEP: sleeping function called from invalid context (an
 *	allocation that may sleep, or a task that slept, with a lock held)
 * @QSPIN_REPORT_LEAKED: lock held when returning to user space (or when a
 *	kernel thread exits, or when a function that must release its locks
 *	returns: qspin_check_no_locks_held())
 * @QSPIN_REPORT_NR: the number of types
 *
 * Each report's title line in dmesg is "qspin: " followed by lockdep's own
 * words for it, so that people and log scanners that know lockdep
 * recognise them.
 */
enum qspin_report_type {
	QSPIN_REPORT_CIRCULAR,
	QSPIN_REPORT_INCONSISTENT,
	QSPIN_REPORT_RECURSIVE,
	QSPIN_REPORT_DEADLOCK,
	QSPIN_REPORT_IRQ_SAFE_UNSAFE,
	QSPIN_REPORT_IRQ_INVERSION,
	QSPIN_REPORT_BAD_UNLOCK,
	QSPIN_REPORT_UNINITIALIZED,
	QSPIN_REPORT_HELD_REINIT,
	QSPIN_REPORT_POOL_FULL,
	QSPIN_REPORT_HELD_FREED,
	QSPIN_REPORT_SLEEP,
	QSPIN_REPORT_LEAKED,
	QSPIN_REPORT_NR
};

#endif /* _QSPIN_REPORT_TYPE_H */
