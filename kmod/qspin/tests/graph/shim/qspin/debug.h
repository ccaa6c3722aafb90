/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host shim for graph_test.c: the report types of include/qspin/debug.h
 * (include/qspin/report_type.h, the one definition), without the driver API
 * debug.h also declares.
 */
#ifndef QSPIN_SHIM_DEBUG_H
#define QSPIN_SHIM_DEBUG_H

#include <qspin/report_type.h>

#endif /* QSPIN_SHIM_DEBUG_H */
