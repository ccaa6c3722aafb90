// SPDX-License-Identifier: GPL-2.0
//
// Mutant: the pending waiter leaves without clearing its pending bit.
// Broken rule: *,1,* -> *,0,* on leaving. Nobody else clears a bit it did
// not set, so the word keeps pending forever: the queue head waits for a
// pending waiter that is gone (a hang), and a later pending waiter is
// turned away. Caught by the pending unit tests (the word) and the stress
// tests' watchdog.
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
inline void leave_pending<MutantEnv>(qspin_lock_word *)
{
	// wrong: pending stays set
}

} // namespace qspin::detail

#endif // QSPIN_MUTANT_H
