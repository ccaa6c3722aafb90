// SPDX-License-Identifier: GPL-2.0
//
// Mutant: a checked waiter that leaves the queue path returns its reason
// without giving its node index back (node 0's count stays incremented).
// Broken rule: the node index is released on every way out. This CPU's
// depth grows with every leave until its next waiter finds no node and
// spins in the beyond-four fallback, and the node it leaked stays "in
// use". Caught by the unit tests' node counts and the stress tests' check
// that every CPU's count is back to 0.
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
inline int release_node_index<MutantEnv>(qspin_node_block *block, int left)
{
	if (left)
		return left; // wrong: the index is not given back
	put_node_index<MutantEnv>(block);
	return 0;
}

} // namespace qspin::detail

#endif // QSPIN_MUTANT_H
