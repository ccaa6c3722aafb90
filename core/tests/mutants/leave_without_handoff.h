// SPDX-License-Identifier: GPL-2.0
//
// Mutant: a checked queue head that is not the last leaves without passing
// head-ship on (the tail CAS fails, and it simply returns). Broken rule: the
// queue stays intact for the others. Its successor waits on its ->locked
// forever: caught by the unit test of the hand-over (the successor's node
// is never handed the head) and the stress tests' watchdog (a hang).
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
inline void leave_queue_head<MutantEnv>(qspin_lock_word *lock, qspin_node *,
					qspin_node *, u32 val, u32 tail)
{
	remove_own_tail<MutantEnv>(lock, val, tail); // wrong: no hand-over
}

} // namespace qspin::detail

#endif // QSPIN_MUTANT_H
