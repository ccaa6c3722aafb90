// SPDX-License-Identifier: GPL-2.0
//
// Mutant: the queue head hands the head of the queue on before it owns
// the lock. Broken rule: one queue head at a time, so that only one waiter
// spins on the lock word. Two heads race for the locked byte (two owners),
// and a last waiter waits for a successor that never comes (a hang):
// caught by the stress tests' exclusion check or their watchdog.
//
// A mutant is a correct step of queued_lock.h replaced for the host tests'
// environment by explicit specialization; core/tests/CMakeLists.txt
// force-includes this file (-include) into its own build of
// stress_test.cpp, ahead of the code that instantiates the slow path.
#ifndef QSPIN_MUTANT_H
#define QSPIN_MUTANT_H

#include "../thread_cpu_env.h"

#include <qspin/queued_lock.h>

namespace qspin::detail {

using MutantEnv = test::ThreadCpuEnvironment;

template <>
inline void acquire_as_queue_head<MutantEnv>(qspin_lock_word *lock,
					     qspin_node *node,
					     qspin_node *next, u32 tail)
{
	pass_queue_on<MutantEnv>(lock, node, next); // wrong: too early

	u32 val = wait_for_owner_and_pending<MutantEnv>(lock);
	if (claim_as_last_waiter<MutantEnv>(lock, val, tail))
		return;
	set_locked(lock);
}

} // namespace qspin::detail

#endif // QSPIN_MUTANT_H
