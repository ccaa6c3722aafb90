// SPDX-License-Identifier: GPL-2.0
//
// What qspin's core needs from the place it runs: the environment concept.
//
// The core does not know whether it runs in the kernel or in a host test.
// Each build supplies one type with static member functions, and the slow
// path is instantiated with it (qspin::slow_path<Env>):
//
//   kernel:  KernelEnvironment (kmod/qspin/core_env.cpp) over the per-CPU
//            node blocks of lock_api.c; the caller hands the slow path this
//            CPU's block and number (smp_processor_id()).
//   host:    ThreadCpuEnvironment (core/tests/thread_cpu_env.h), where each
//            test thread is given a "CPU" id indexing a global array of node
//            blocks.
//
// Callers hold preemption (or migration) off across the slow path, so the
// CPU id and this CPU's block are stable for its whole duration.
//
// An environment whose waiters may give up (AbortableEnvironment, below)
// can also be given to qspin::slow_path_checked<Env>: the kernel's
// CheckedEnvironment for qspin_lock_checked(), the host's
// CheckedThreadCpuEnvironment. slow_path<Env> never asks it anything more.
#ifndef QSPIN_ENVIRONMENT_H
#define QSPIN_ENVIRONMENT_H

#include <qspin/lock_word.h>

namespace qspin {

// Slow-path events the environment may count (statistics, test proofs):
// the C side's list (QSPIN_EVENTS in lock_word.h), same values.
enum class Event : unsigned {
#define QSPIN_EVENT_MEMBER(e, name) name = QSPIN_EV_##e,
	QSPIN_EVENTS(QSPIN_EVENT_MEMBER)
#undef QSPIN_EVENT_MEMBER
	count_ = QSPIN_EV_NR,
};

namespace detail {
template <typename A, typename B> inline constexpr bool is_same = false;
template <typename A> inline constexpr bool is_same<A, A> = true;
} // namespace detail

// std::same_as without <concepts>: the core includes no library header.
template <typename A, typename B>
concept same_type = detail::is_same<A, B> && detail::is_same<B, A>;

template <typename E>
concept LockEnvironment = requires(unsigned cpu, const qspin_lock_word *lock,
				   Event event) {
	// Any CPU's block by number: a waiter links into its predecessor's.
	// (This CPU's block and number are the slow path's arguments.)
	{ E::cpu_nodes(cpu) } -> same_type<qspin_node_block *>;
	// The spin-wait hint (x86: pause).
	E::cpu_relax();
	// Called on every iteration of every spin loop in the slow path.
	E::spin_hook(lock);
	// Statistics.
	E::count(event);
};

// A checked waiter's environment: the waiter asks it, at every point where
// it can leave the slow path (as the pending waiter, as the queue head, in
// the beyond-four fallback), whether to leave. 0: keep waiting; anything
// else: leave without the lock, and slow_path_checked() returns that value
// (the kernel's -EDEADLK or -ETIMEDOUT). A waiter in the middle of the
// queue is not asked: it cannot leave until it is the head.
template <typename E>
concept AbortableEnvironment =
	LockEnvironment<E> && requires(const qspin_lock_word *lock) {
		{ E::should_leave(lock) } -> same_type<int>;
	};

} // namespace qspin

#endif // QSPIN_ENVIRONMENT_H
