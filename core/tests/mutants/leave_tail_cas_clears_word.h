// SPDX-License-Identifier: GPL-2.0
//
// Mutant: the last queue head takes its tail out with a CAS that clears the
// whole word (n,p,l -> 0,0,0) instead of keeping locked and pending as they
// are (n,p,l -> 0,p,l). Broken rule: leaving changes nothing but our own
// part of the word. The owner's locked byte is dropped: a newcomer takes the
// lock while the owner still holds it (two owners), and a pending waiter's
// bit is lost. Caught by the tail-CAS unit tests (the word) and the stress
// tests' exclusion check.
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
inline bool remove_own_tail<MutantEnv>(qspin_lock_word *lock, u32 val,
				       u32 tail)
{
	while ((val & QSPIN_TAIL_MASK) == tail) {
		if (atomic::compare_exchange(&lock->val, &val, u32(0),
					     Order::relaxed)) // wrong: 0,0,0
			return true;
	}
	return false;
}

} // namespace qspin::detail

#endif // QSPIN_MUTANT_H
