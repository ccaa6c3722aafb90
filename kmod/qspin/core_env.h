/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one C/C++ boundary inside qspin.ko, included by both languages:
 *
 *  - C calls C++ once per contended acquisition: qspin_slowpath(), the
 *    core's slow path instantiated with the kernel environment
 *    (core_env.cpp), called from lock_api.c;
 *  - the kernel environment calls back into C for what only C can reach:
 *    another CPU's queue-node block (lock_api.c) and the statistics
 *    (stats.c).
 *
 * Only the lock word's builtin-typed declarations appear here: the C++
 * side sees no kernel header.
 */
#ifndef QSPIN_CORE_ENV_H
#define QSPIN_CORE_ENV_H

#include <qspin/lock_word.h>

/*
 * The contended acquisition (C++, core_env.cpp). `val` is the word the
 * fast path's CAS saw; `nodes` and `cpu` are this CPU's queue-node block
 * and number. The caller holds preemption off throughout.
 */
QSPIN_EXTERN_C void qspin_slowpath(struct qspin_lock_word *lock,
				   qspin_u32 val,
				   struct qspin_node_block *nodes,
				   unsigned int cpu);

/* Any CPU's node block: a waiter links into its predecessor's (lock_api.c). */
QSPIN_EXTERN_C struct qspin_node_block *qspin_env_cpu_nodes(unsigned int cpu);

/* One slow-path event (enum qspin_event) happened on this CPU (stats.c). */
QSPIN_EXTERN_C void qspin_env_count(unsigned int event);

#endif /* QSPIN_CORE_ENV_H */
