// SPDX-License-Identifier: GPL-2.0
//
// Mutant: the pending waiter does not wait for the owner's release
// (0,1,1 -> 0,1,0 is left out) and takes the lock at once. Broken rule:
// one owner at a time. Caught by the stress tests' exclusion check (two
// threads inside the critical section) or their exact counter.
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
inline void wait_for_owner<MutantEnv>(qspin_lock_word *, u32)
{
}

} // namespace qspin::detail

#endif // QSPIN_MUTANT_H
