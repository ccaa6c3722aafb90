// SPDX-License-Identifier: GPL-2.0
//
// Mutant: the slow path's acquiring loads of the lock word are relaxed
// (the read of the word after setting pending, the pending waiter's wait
// for the owner, the queue head's wait for owner and pending waiter).
// Broken rule: whoever takes the lock over from the owner must see the
// owner's critical section. x86 runs the same instructions either way, so
// only the memory model tells: built with ThreadSanitizer, caught by its
// report of a race on the data the lock protects.
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
inline u32 fetch_set_pending<MutantEnv>(qspin_lock_word *lock)
{
	u32 pending = atomic::fetch_or(&lock->val, u32(QSPIN_PENDING_VAL),
				       Order::acquire) &
		      QSPIN_PENDING_VAL;
	return pending |
	       (atomic::load(&lock->val, Order::relaxed) & ~QSPIN_PENDING_MASK);
}

template <>
inline void wait_for_owner<MutantEnv>(qspin_lock_word *lock, u32 val)
{
	if (val & QSPIN_LOCKED_MASK)
		spin_until<MutantEnv>(&lock->locked, Order::relaxed, lock,
				      [](u8 locked) { return locked == 0; });
}

template <>
inline u32 wait_for_owner_and_pending<MutantEnv>(const qspin_lock_word *lock)
{
	auto owner_and_pending_gone = [](u32 v) {
		return (v & QSPIN_LOCKED_PENDING_MASK) == 0;
	};
	return spin_until<MutantEnv>(&lock->val, Order::relaxed, lock,
				     owner_and_pending_gone);
}

} // namespace qspin::detail

#endif // QSPIN_MUTANT_H
