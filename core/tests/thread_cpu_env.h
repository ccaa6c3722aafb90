// SPDX-License-Identifier: GPL-2.0
//
// ThreadCpuEnvironment: qspin's LockEnvironment for host tests, where
// threads play CPUs.
//
// Each test thread is given a "CPU" id (CpuScope) that indexes one global
// array of node blocks, the way the kernel indexes per-CPU data. The id is
// thread_local; the node blocks are not, because other "CPUs" link into
// them through the lock's tail.
//
// spin_hook(lock) runs on every iteration of every slow-path spin loop:
//   - it may run a simulated interrupt on this "CPU" (set_interrupt), which
//     is how the tests nest slow-path acquisitions on one CPU (depth 1..4
//     and beyond), exactly as a hardirq arriving while the task spins;
//   - it yields every few iterations: on an oversubscribed host (8 queued
//     threads on 2 cores) a waiter whose predecessor is descheduled would
//     otherwise burn its whole time slice, and queues convoy for seconds.
//
// count(Event) increments one atomic counter per event so that tests can
// prove which paths were taken.
//
// CheckedThreadCpuEnvironment adds should_leave() for checked waiters
// (slow_path_checked), answered per thread by a test's callback.
#ifndef QSPIN_TESTS_THREAD_CPU_ENV_H
#define QSPIN_TESTS_THREAD_CPU_ENV_H

#include <qspin/environment.h>
#include <qspin/lock_word.h>

#include <sched.h>

#include <atomic>
#include <cassert>
#include <cstdint>

namespace qspin::test {

// Ids of the "CPUs" the host tests may hand out.
inline constexpr unsigned kMaxTestCpus = 256;

struct ThreadCpuEnvironment {
	// Called from spin_hook on the waiting thread itself: `lock` is the
	// lock this context is waiting for.
	using InterruptFn = void (*)(void *ctx, const qspin_lock_word *lock);

	// Global, not thread_local: a waiter links into its predecessor's
	// block, found by CPU number from the tail.
	static inline qspin_node_block nodes[kMaxTestCpus];
	static inline std::atomic<std::uint64_t>
		events[static_cast<unsigned>(Event::count_)];

	static inline thread_local unsigned t_cpu = ~0U;
	static inline thread_local InterruptFn t_irq = nullptr;
	static inline thread_local void *t_irq_ctx = nullptr;
	static inline thread_local unsigned t_spins = 0;

	// How often spin_hook yields: every (yield_mask + 1) calls. A power of
	// two minus one; ~0U never yields.
	static inline std::atomic<unsigned> yield_mask{15};

	static qspin_node_block *this_cpu_nodes()
	{
		assert(t_cpu < kMaxTestCpus && "thread has no CPU id");
		return &nodes[t_cpu];
	}
	static qspin_node_block *cpu_nodes(unsigned cpu)
	{
		assert(cpu < kMaxTestCpus);
		return &nodes[cpu];
	}
	static unsigned cpu_id() { return t_cpu; }
	static void cpu_relax() { __builtin_ia32_pause(); }
	static void spin_hook(const qspin_lock_word *lock)
	{
		if (t_irq)
			t_irq(t_irq_ctx, lock);
		unsigned mask = yield_mask.load(std::memory_order_relaxed);
		if ((++t_spins & mask) == 0)
			sched_yield();
	}
	static void count(Event e)
	{
		events[static_cast<unsigned>(e)].fetch_add(
			1, std::memory_order_relaxed);
	}

	static std::uint64_t events_of(Event e)
	{
		return events[static_cast<unsigned>(e)].load(
			std::memory_order_relaxed);
	}
	static void reset_events()
	{
		for (auto &e : events)
			e.store(0, std::memory_order_relaxed);
	}
	// This CPU's slow-path nesting depth (node 0's count).
	static unsigned depth() { return this_cpu_nodes()->node[0].count; }

	static void set_interrupt(InterruptFn fn, void *ctx)
	{
		t_irq = fn;
		t_irq_ctx = ctx;
	}
};

static_assert(LockEnvironment<ThreadCpuEnvironment>);

// A checked waiter's environment (slow_path_checked): ThreadCpuEnvironment
// plus should_leave(), answered by a per-thread callback (none: never
// leave). It shares ThreadCpuEnvironment's node blocks, so plain and
// checked waiters queue on the same lock and link into each other's nodes,
// as in the kernel.
struct CheckedThreadCpuEnvironment : ThreadCpuEnvironment {
	// Called on the waiting thread at every point where it can leave:
	// 0 keep waiting, else the value lock_checked() returns.
	using LeaveFn = int (*)(void *ctx, const qspin_lock_word *lock);

	static inline thread_local LeaveFn t_leave = nullptr;
	static inline thread_local void *t_leave_ctx = nullptr;

	static int should_leave(const qspin_lock_word *lock)
	{
		return t_leave ? t_leave(t_leave_ctx, lock) : 0;
	}
	static void set_leave(LeaveFn fn, void *ctx)
	{
		t_leave = fn;
		t_leave_ctx = ctx;
	}
};

static_assert(AbortableEnvironment<CheckedThreadCpuEnvironment>);

// What the tests' should_leave() callbacks answer to leave (the kernel's
// -ETIMEDOUT).
inline constexpr int kLeave = -110;

// Gives the calling thread a CPU id for its lifetime in scope. Ids must be
// unique among live threads; the block must be idle (depth 0) on both
// ends, or a context leaked a node.
class CpuScope {
public:
	explicit CpuScope(unsigned cpu)
	{
		assert(cpu < kMaxTestCpus);
		ThreadCpuEnvironment::t_cpu = cpu;
		ThreadCpuEnvironment::nodes[cpu].node[0].count = 0;
	}
	~CpuScope()
	{
		ThreadCpuEnvironment::set_interrupt(nullptr, nullptr);
		CheckedThreadCpuEnvironment::set_leave(nullptr, nullptr);
		ThreadCpuEnvironment::t_cpu = ~0U;
	}
	CpuScope(const CpuScope &) = delete;
	CpuScope &operator=(const CpuScope &) = delete;
};

} // namespace qspin::test

#endif // QSPIN_TESTS_THREAD_CPU_ENV_H
