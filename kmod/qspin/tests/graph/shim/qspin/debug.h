/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host shim for graph_test.c: the report types of include/qspin/debug.h
 * (validator-interface.md), without the driver API it also declares.
 */
#ifndef QSPIN_SHIM_DEBUG_H
#define QSPIN_SHIM_DEBUG_H

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
	QSPIN_REPORT_NR
};

#endif /* QSPIN_SHIM_DEBUG_H */
