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

/*
 * The same acquisition with the waiter watched (instrumentation on: stats or
 * validate): every iteration of every spin loop calls qspin_env_watch(),
 * which keeps the lockup watchdog (watchdog.c). A plain waiter: it cannot
 * fail, and it never leaves the queue.
 */
QSPIN_EXTERN_C void qspin_slowpath_watched(struct qspin_lock_word *lock,
					   qspin_u32 val,
					   struct qspin_node_block *nodes,
					   unsigned int cpu);

/*
 * qspin_lock_checked()'s contended acquisition: watched as above, and at
 * every point where it can leave (as the pending waiter, as the queue head,
 * in the beyond-four fallback) it asks qspin_env_should_leave(). Returns 0
 * with the lock held, or that function's nonzero answer (-EDEADLK,
 * -ETIMEDOUT) with the lock not held and the queue intact for everyone
 * else.
 */
QSPIN_EXTERN_C int qspin_slowpath_checked(struct qspin_lock_word *lock,
					  qspin_u32 val,
					  struct qspin_node_block *nodes,
					  unsigned int cpu);

/*
 * Called on every spin iteration of a watched or checked waiter
 * (watchdog.c; it reads the clock only now and then).
 */
QSPIN_EXTERN_C void qspin_env_watch(const struct qspin_lock_word *lock);

/*
 * A checked waiter at a point where it can leave: 0 to keep waiting, or
 * the error qspin_lock_checked() returns (-EDEADLK, -ETIMEDOUT) to leave
 * (watchdog.c). Asked on every spin iteration, right after
 * qspin_env_watch(), while the waiter is the pending waiter, the queue head
 * or in the beyond-four fallback, and only after a read of the word found
 * the lock busy; never while it waits in the middle of the queue (it
 * cannot leave there, and is only watched). A nonzero answer is final: the
 * waiter leaves at once (core/include/qspin/queued_lock.h, "The checked
 * waiter").
 */
QSPIN_EXTERN_C int qspin_env_should_leave(const struct qspin_lock_word *lock);

/* Any CPU's node block: a waiter links into its predecessor's (lock_api.c). */
QSPIN_EXTERN_C struct qspin_node_block *qspin_env_cpu_nodes(unsigned int cpu);

/* One slow-path event (enum qspin_event) happened on this CPU (stats.c). */
QSPIN_EXTERN_C void qspin_env_count(unsigned int event);

#endif /* QSPIN_CORE_ENV_H */
