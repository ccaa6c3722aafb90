// SPDX-License-Identifier: GPL-2.0
//
// Mutant: a checked queue head that is not the last hands head-ship on only
// if its successor has linked in already, and otherwise leaves at once.
// Broken rule: a node is given back only when nobody can still reach it;
// a successor that has taken our tail will write our ->next and then wait
// for us. It links into a node we no longer watch (or that a later waiter
// on this CPU has reinitialised) and waits forever. Caught by the unit
// test of the late successor and the stress tests' watchdog.
//
// A mutant is a correct step of queued_lock.h replaced for the host tests'
// checked environment by explicit specialization; core/tests/CMakeLists.txt
// force-includes this file (-include) into its own build of leave_test.cpp
// and checked_stress_test.cpp, ahead of the code that instantiates the
// slow path.
#ifndef QSPIN_MUTANT_H
#define QSPIN_MUTANT_H

#include "../thread_cpu_env.h"

#include <qspin/queued_lock.h>

namespace qspin::detail {

using MutantEnv = test::CheckedThreadCpuEnvironment;

template <>
inline void leave_queue_head<MutantEnv>(qspin_lock_word *lock,
					qspin_node *node, qspin_node *next,
					u32 val, u32 tail)
{
	if (remove_own_tail<MutantEnv>(lock, val, tail))
		return;
	if (!next) // wrong: does not wait for the successor to link in
		next = atomic::load(&node->next, Order::acquire);
	if (next)
		atomic::store(&next->locked, u32(1), Order::release);
}

} // namespace qspin::detail

#endif // QSPIN_MUTANT_H
