// SPDX-License-Identifier: GPL-2.0
//
// Helpers shared by the host stress tests: a watchdog that turns a hang into
// a failure, a start gate, the exclusion checker and the run's scale.
#ifndef QSPIN_TESTS_STRESS_SUPPORT_H
#define QSPIN_TESTS_STRESS_SUPPORT_H

#include "thread_cpu_env.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

// Acquisitions per thread in the stress tests. The build sets a default per
// flavour (sanitizers run slower); QSPIN_STRESS_ITERS overrides it.
#ifndef QSPIN_STRESS_DEFAULT_ITERS
#define QSPIN_STRESS_DEFAULT_ITERS 100000
#endif
// Seconds a stress test may run before the watchdog fails it.
#ifndef QSPIN_WATCHDOG_DEFAULT_S
#define QSPIN_WATCHDOG_DEFAULT_S 60
#endif

namespace qspin::test {

inline long env_long(const char *name, long fallback)
{
	const char *s = std::getenv(name);
	if (!s || !*s)
		return fallback;
	return std::strtol(s, nullptr, 10);
}

inline long stress_iters()
{
	return env_long("QSPIN_STRESS_ITERS", QSPIN_STRESS_DEFAULT_ITERS);
}

inline long watchdog_seconds()
{
	return env_long("QSPIN_WATCHDOG_S", QSPIN_WATCHDOG_DEFAULT_S);
}

// Progress of the stress threads, one padded counter per "CPU" so that
// noting progress adds no shared cache line to the run being measured.
struct alignas(64) ProgressSlot {
	std::atomic<std::uint64_t> n{0};
	std::atomic<bool> active{false}; // inside its acquisition loop
};
inline ProgressSlot progress_slots[kMaxTestCpus];

// Called after every acquisition by the thread playing CPU `cpu`.
inline void note_progress(unsigned cpu)
{
	auto &n = progress_slots[cpu].n;
	n.store(n.load(std::memory_order_relaxed) + 1,
		std::memory_order_relaxed);
}

// Marks the calling "CPU" as inside its acquisition loop for the scope: a
// CPU that is inside and completes no acquisition is stalled.
class ProgressScope {
public:
	explicit ProgressScope(unsigned cpu) : slot_(progress_slots[cpu])
	{
		slot_.active.store(true);
	}
	~ProgressScope() { slot_.active.store(false); }
	ProgressScope(const ProgressScope &) = delete;
	ProgressScope &operator=(const ProgressScope &) = delete;

private:
	ProgressSlot &slot_;
};

// Seconds a CPU inside its loop may go without completing an acquisition.
// The queue is FIFO: once queued, a waiter is overtaken by nobody, so on
// a working lock every waiter progresses within a few scheduler periods.
inline long stall_seconds()
{
	return env_long("QSPIN_STALL_S", 10);
}

// A broken hand-off hangs rather than corrupts. The watchdog fails the
// test, with _exit(124) so that the process (and the ctest entry running
// it) fails instead of hanging until an outer timeout, when either
//   - a thread inside its loop completed no acquisition for
//     stall_seconds() (a lost waiter: it spins forever while the others
//     go on and finish), or
//   - the scope was not left before the overall deadline (a livelock).
class Watchdog {
public:
	explicit Watchdog(const char *what, long seconds = watchdog_seconds(),
			  long stall = stall_seconds())
		: what_(what), thread_([this, seconds, stall] {
			  run(seconds, stall);
		  })
	{
	}
	~Watchdog()
	{
		{
			std::lock_guard<std::mutex> g(mu_);
			done_ = true;
		}
		cv_.notify_one();
		thread_.join();
	}
	Watchdog(const Watchdog &) = delete;
	Watchdog &operator=(const Watchdog &) = delete;

private:
	void run(long seconds, long stall)
	{
		using clock = std::chrono::steady_clock;
		const auto start = clock::now();
		const auto deadline = start + std::chrono::seconds(seconds);
		std::uint64_t last[kMaxTestCpus];
		clock::time_point changed[kMaxTestCpus];
		for (unsigned c = 0; c < kMaxTestCpus; c++) {
			last[c] = progress_slots[c].n.load();
			changed[c] = start;
		}
		std::unique_lock<std::mutex> g(mu_);
		for (;;) {
			if (cv_.wait_for(g, std::chrono::milliseconds(100),
					 [this] { return done_; }))
				return;
			const auto now = clock::now();
			for (unsigned c = 0; c < kMaxTestCpus; c++) {
				const std::uint64_t n =
					progress_slots[c].n.load();
				if (n != last[c] ||
				    !progress_slots[c].active.load()) {
					last[c] = n;
					changed[c] = now;
				} else if (now - changed[c] >
					   std::chrono::seconds(stall)) {
					std::fprintf(stderr,
						     "\nWATCHDOG: CPU %u ", c);
					fail("stalled in its loop for", stall);
				}
			}
			if (now > deadline)
				fail("did not finish within", seconds);
		}
	}
	[[noreturn]] void fail(const char *why, long seconds)
	{
		std::fprintf(stderr,
			     "\nWATCHDOG: %s %s %lds (a lost hand-off or a "
			     "livelock); failing.\n",
			     what_, why, seconds);
		std::fflush(stderr);
		_exit(124);
	}

	const char *what_;
	std::mutex mu_;
	std::condition_variable cv_;
	bool done_ = false;
	std::thread thread_;
};

// Releases all workers at once, so they contend from the first iteration.
class StartGate {
public:
	explicit StartGate(unsigned parties) : waiting_(parties) {}
	void arrive_and_wait()
	{
		waiting_.fetch_sub(1, std::memory_order_acq_rel);
		while (waiting_.load(std::memory_order_acquire) != 0)
			std::this_thread::yield();
	}

private:
	std::atomic<unsigned> waiting_;
};

// State protected by one lock. Deliberately plain (volatile so that every
// access really happens, but not atomic): two owners at once show up as a
// seen "inside" flag, as a lost counter increment, and under TSan as a
// data race.
struct Guarded {
	volatile bool inside = false;
	volatile std::uint64_t counter = 0;
	std::atomic<std::uint64_t> violations{0};

	// The critical section: call with the lock held. `preempted`: the
	// owner gives up its CPU in the middle, as a preempted holder would,
	// which widens the window a second owner hits to a time slice.
	void critical_section(bool preempted = false)
	{
		if (inside)
			violations.fetch_add(1, std::memory_order_relaxed);
		inside = true;
		std::uint64_t c = counter;
		__builtin_ia32_pause(); // widen the window a second owner hits
		if (preempted)
			std::this_thread::yield();
		counter = c + 1;
		inside = false;
	}
};

} // namespace qspin::test

#endif // QSPIN_TESTS_STRESS_SUPPORT_H
