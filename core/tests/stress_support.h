// SPDX-License-Identifier: GPL-2.0
//
// Helpers shared by the host stress tests: a watchdog that turns a hang into
// a failure, a start gate, the exclusion checker and the run's scale.
#ifndef QSPIN_TESTS_STRESS_SUPPORT_H
#define QSPIN_TESTS_STRESS_SUPPORT_H

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

// A broken hand-off hangs rather than corrupts: if the scope is not left
// before the deadline, report and _exit(124), so the test (and the ctest
// entry running it) fails instead of hanging until an outer timeout.
class Watchdog {
public:
	explicit Watchdog(const char *what, long seconds = watchdog_seconds())
		: what_(what), thread_([this, seconds] { run(seconds); })
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
	void run(long seconds)
	{
		std::unique_lock<std::mutex> g(mu_);
		if (cv_.wait_for(g, std::chrono::seconds(seconds),
				 [this] { return done_; }))
			return;
		std::fprintf(stderr,
			     "\nWATCHDOG: %s did not finish within %lds: "
			     "a lost hand-off or a livelock; failing.\n",
			     what_, seconds);
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

	// The critical section: call with the lock held.
	void critical_section()
	{
		if (inside)
			violations.fetch_add(1, std::memory_order_relaxed);
		inside = true;
		std::uint64_t c = counter;
		__builtin_ia32_pause(); // widen the window a second owner hits
		counter = c + 1;
		inside = false;
	}
};

} // namespace qspin::test

#endif // QSPIN_TESTS_STRESS_SUPPORT_H
