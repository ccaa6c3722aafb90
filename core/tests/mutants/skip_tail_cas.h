// SPDX-License-Identifier: GPL-2.0
//
// Mutant: the queue head never claims the lock as the last waiter
// (n,0,0 -> 0,0,1 is left out). Broken rule: the last waiter must empty
// the queue as it takes the lock. It sets the locked byte instead, leaves
// its tail in the word and waits for a successor that never comes: caught
// as a hang by the stress tests' watchdog.
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
inline bool claim_as_last_waiter<MutantEnv>(qspin_lock_word *, u32, u32)
{
	return false;
}

} // namespace qspin::detail

#endif // QSPIN_MUTANT_H
