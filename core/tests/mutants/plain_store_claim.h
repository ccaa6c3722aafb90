// SPDX-License-Identifier: GPL-2.0
//
// Mutant: the last waiter claims the lock with a plain store instead of a
// compare-and-swap (n,0,0 -> 0,0,1 written over whatever the word holds
// by then). Broken rule: a waiter that publishes its tail after the last
// waiter read the word must not be lost. Its tail is overwritten with 0;
// nobody ever passes it the queue: a hang (or, if it is then seen as the
// tail by nobody, a later owner overlapping it).
//
// This is SKIP_TAIL_CAS in its original form (commit bd37812 weakened it
// to "leave the claim out" because the window, one store after one load,
// survived every stress run on two cores). The stress tests do not build
// it; the interleaving explorer (core/tests/explorer/) catches it.
//
// A mutant is a correct step of queued_lock.h replaced for the host tests'
// environment by explicit specialization; core/tests/CMakeLists.txt
// force-includes this file (-include) ahead of the code that instantiates
// the slow path.
#ifndef QSPIN_MUTANT_H
#define QSPIN_MUTANT_H

#include "../thread_cpu_env.h"

#include <qspin/queued_lock.h>

namespace qspin::detail {

using MutantEnv = test::ThreadCpuEnvironment;

template <>
inline bool claim_as_last_waiter<MutantEnv>(qspin_lock_word *lock, u32 val,
					    u32 tail)
{
	if ((val & QSPIN_TAIL_MASK) != tail)
		return false;
	// Wrong on purpose: a waiter that published its tail since `val`
	// was read is forgotten.
	atomic::store(&lock->val, u32(QSPIN_LOCKED_VAL), Order::relaxed);
	return true;
}

} // namespace qspin::detail

#endif // QSPIN_MUTANT_H
