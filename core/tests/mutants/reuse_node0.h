// SPDX-License-Identifier: GPL-2.0
//
// Mutant: every nesting depth on a CPU takes node 0 (and a tail names node
// 0 of its CPU whatever its index). Broken rule: one queue node per context
// that can be in the slow path at once. An interrupt that queues while the
// task it interrupted is queued overwrites the task's node: caught by the
// stress tests' nesting runs (a lost hand-over hangs, or two owners).
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
inline qspin_node *grab_node<MutantEnv>(qspin_node_block *block, u32)
{
	return &block->node[0];
}

template <>
inline qspin_node *decode_tail<MutantEnv>(u32 tail)
{
	struct qspin_word_fields f = qspin_decode_word(tail);
	return &MutantEnv::cpu_nodes(unsigned(f.tail_cpu))->node[0];
}

} // namespace qspin::detail

#endif // QSPIN_MUTANT_H
