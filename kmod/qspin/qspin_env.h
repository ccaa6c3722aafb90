/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C/C++ boundary inside qspin.ko: what the C++ core's kernel environment
 * (qspin_core.cpp) calls in the C glue (qspin_main.c), and the slow-path
 * entry the C glue calls in the C++ core. Included by both languages, so
 * only compiler builtin types appear here.
 */
#ifndef QSPIN_ENV_H
#define QSPIN_ENV_H

#include <qspin/lock_word.h>

/* Implemented in C (qspin_main.c). */
QSPIN_EXTERN_C struct qspin_node_block *qspin_env_cpu_nodes(unsigned int cpu);
QSPIN_EXTERN_C void qspin_env_count(unsigned int event);

/* Implemented in C++ (qspin_core.cpp): the contended acquisition. */
QSPIN_EXTERN_C void qspin_slowpath(struct qspin_lock_word *lock,
				   qspin_u32 val,
				   struct qspin_node_block *nodes,
				   unsigned int cpu);

#endif /* QSPIN_ENV_H */
