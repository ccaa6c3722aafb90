// SPDX-License-Identifier: GPL-2.0
//
// Multi-thread stress of qspin's slow path, with threads playing CPUs
// (ThreadCpuEnvironment). Every test runs under a watchdog: a broken
// hand-off hangs rather than corrupts, and the watchdog turns that into a
// failure. This file is also built with ThreadSanitizer, with
// AddressSanitizer + UBSan, and with each mutant of core/tests/mutants/
// force-included (core/tests/CMakeLists.txt), where it must fail.
#include "stress_support.h"
#include "thread_cpu_env.h"

#include <qspin/queued_lock.h>

#include <gtest/gtest.h>


#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace qspin::test {
namespace {

using Env = ThreadCpuEnvironment;
using Lock = QueuedSpinLock<Env>;

// One lock and the state it protects, on cache lines of their own.
struct alignas(64) Protected {
	Lock lock;
	alignas(64) Guarded guarded;
	std::atomic<std::uint64_t> acquisitions{0};
};

void locked_increment(Protected &p)
{
	p.lock.lock();
	p.guarded.critical_section();
	p.lock.unlock();
	note_progress(Env::cpu_id());
}

// Runs `body(cpu)` on `threads` threads, each given CPU id `cpu`, released
// together. Fails the test if any thread leaves a node in use.
template <typename Body>
void run_on_cpus(unsigned threads, Body body)
{
	StartGate gate(threads);
	std::atomic<unsigned> leaked_nodes{0};
	std::vector<std::thread> pool;
	for (unsigned cpu = 0; cpu < threads; cpu++)
		pool.emplace_back([&, cpu] {
			CpuScope scope(cpu);
			gate.arrive_and_wait();
			{
				ProgressScope in_loop(cpu);
				body(cpu);
			}
			if (Env::depth() != 0)
				leaked_nodes.fetch_add(1);
		});
	for (auto &t : pool)
		t.join();
	EXPECT_EQ(leaked_nodes.load(), 0U)
		<< "a CPU's node count did not return to 0";
}

// ---------------------------------------------------------------------------
// Mutual exclusion under contention, T threads x N acquisitions.

class MutualExclusion : public ::testing::TestWithParam<unsigned> {};

std::vector<unsigned> thread_counts()
{
	std::vector<unsigned> counts = {2, 4, 8};
	unsigned hw = std::thread::hardware_concurrency();
	if (hw > 8)
		counts.push_back(hw);
	if (hw > 4)
		counts.push_back(std::min(2 * hw, kMaxTestCpus));
	std::sort(counts.begin(), counts.end());
	counts.erase(std::unique(counts.begin(), counts.end()), counts.end());
	return counts;
}

TEST_P(MutualExclusion, counter_is_exact_and_word_is_zero_after_all_threads)
{
	const unsigned threads = GetParam();
	const long iters = stress_iters();
	Watchdog wd("MutualExclusion stress");
	Env::reset_events();
	Protected p;

	run_on_cpus(threads, [&](unsigned) {
		for (long i = 0; i < iters; i++)
			locked_increment(p);
	});

	EXPECT_EQ(p.guarded.violations.load(), 0U)
		<< "two owners were inside the critical section at once";
	EXPECT_EQ(p.guarded.counter, std::uint64_t(threads) * iters);
	EXPECT_EQ(p.lock.snapshot(), 0U) << "the word is not 0 at the end";
}

INSTANTIATE_TEST_SUITE_P(
	Threads, MutualExclusion, ::testing::ValuesIn(thread_counts()),
	[](const ::testing::TestParamInfo<unsigned> &info) {
		return std::to_string(info.param) + "_threads";
	});

// ---------------------------------------------------------------------------
// The slow path's two ways in.

TEST(SlowPath, contention_takes_both_the_pending_and_the_queue_path)
{
	const long iters = stress_iters();
	Watchdog wd("SlowPath stress");
	Env::reset_events();
	Protected p;

	auto both_seen = [] {
		return Env::events_of(Event::pending) > 0 &&
		       Env::events_of(Event::queued) > 0;
	};
	const auto deadline =
		std::chrono::steady_clock::now() + std::chrono::seconds(5);

	// N acquisitions each, then on until both paths were seen: on an
	// oversubscribed host a thread may run its whole loop in one time
	// slice, uncontended.
	run_on_cpus(4, [&](unsigned) {
		long n = 0;
		for (; n < iters || (!both_seen() &&
				     std::chrono::steady_clock::now() <
					     deadline);
		     n++)
			locked_increment(p);
		p.acquisitions.fetch_add(std::uint64_t(n));
	});

	EXPECT_GT(Env::events_of(Event::pending), 0U);
	EXPECT_GT(Env::events_of(Event::queued), 0U);
	EXPECT_EQ(Env::events_of(Event::beyond_max_nodes), 0U);
	EXPECT_EQ(p.guarded.violations.load(), 0U);
	EXPECT_EQ(p.guarded.counter, p.acquisitions.load());
	EXPECT_EQ(p.lock.snapshot(), 0U);
}

// ---------------------------------------------------------------------------
// The last waiter's claim. A queue head that reads "n,0,0" with n its own
// node is the last waiter and claims the lock and clears the tail in one
// step (n,0,0 -> 0,0,1). A waiter that publishes its tail between that read
// and the claim must be noticed (the claim is a compare-and-swap), or it is
// lost and spins forever. On two cores the window is a few nanoseconds, so
// the test steers into it: thread A makes thread B the last waiter, lets
// the lock go, and queues again after a delay swept over a range, so that
// some iterations publish A's tail right inside B's window.
//
// A plays two "CPUs" of the protocol in turn, each with legal transitions
// only: owner (0,0,1), then a pending waiter arriving (0,1,1), which makes
// B queue (n,1,1); owner releases (n,1,0); the pending waiter takes over
// (n,0,1) and releases (n,0,0).

TEST(LastWaiterClaim, a_tail_published_between_its_read_and_its_claim_is_kept)
{
	const long iters = stress_iters();
	const unsigned sweep = 192; // delays 0..sweep-1 pauses
	Watchdog wd("LastWaiterClaim");
	Env::reset_events();
	Protected p;
	qspin_lock_word *w = p.lock.word();
	std::atomic<long> go{-1}, done{-1};

	auto wait_for = [](std::atomic<long> &a, long v) {
		for (unsigned n = 1; a.load(std::memory_order_acquire) != v;
		     n++)
			if ((n & 1023) == 0)
				std::this_thread::yield();
			else
				__builtin_ia32_pause();
	};

	run_on_cpus(2, [&](unsigned cpu) {
		if (cpu == 1) { // B: becomes the last waiter, then claims
			for (long i = 0; i < iters; i++) {
				wait_for(go, i);
				locked_increment(p);
				done.store(i, std::memory_order_release);
			}
			return;
		}
		for (long i = 0; i < iters; i++) { // A
			p.lock.lock();
			// A pending waiter arrives: B will queue behind it.
			__atomic_fetch_or(&w->val, QSPIN_PENDING_VAL,
					  __ATOMIC_ACQUIRE);
			go.store(i, std::memory_order_release);
			for (unsigned n = 1;
			     (qspin_word_read(w) & QSPIN_TAIL_MASK) == 0; n++)
				if ((n & 1023) == 0)
					std::this_thread::yield();
			p.guarded.critical_section();
			p.lock.unlock(); // n,1,0
			// The pending waiter takes over (n,0,1) and leaves.
			__atomic_store_n(&w->locked_pending,
					 qspin_u16(QSPIN_LOCKED_VAL),
					 __ATOMIC_RELAXED);
			p.guarded.critical_section();
			p.lock.unlock(); // n,0,0: B, the last waiter, claims
			for (unsigned d = unsigned(i) % sweep; d > 0; d--)
				Env::cpu_relax();
			locked_increment(p); // queues behind B, or not
			wait_for(done, i);
		}
	});

	EXPECT_GT(Env::events_of(Event::queued), 0U);
	EXPECT_EQ(p.guarded.violations.load(), 0U);
	EXPECT_EQ(p.guarded.counter, 4U * iters); // A: 3, B: 1
	EXPECT_EQ(p.lock.snapshot(), 0U);
}

// ---------------------------------------------------------------------------
// Simulated nesting: a "CPU" waiting in the queue for lock level k-1 takes
// a simulated interrupt (from Env::spin_hook, on the same thread) that
// acquires lock level k. Levels 1..3 use queue nodes 1..3; level 4 has no
// node left and must fall back to spinning on trylock.
//
// Each level's lock is also hammered by contender threads, so the nested
// acquisition finds it contended and really goes to the queue.

constexpr unsigned kLevels = 5; // locks for levels 0..4

struct NestingRig {
	unsigned top_level; // deepest interrupt level raised
	Protected level[kLevels];
	std::atomic<bool> stop{false};

	int level_of(const qspin_lock_word *lock)
	{
		for (unsigned k = 0; k < kLevels; k++)
			if (level[k].lock.word() == lock)
				return int(k);
		return -1;
	}
};

thread_local bool t_in_irq[kLevels + 1];
thread_local unsigned t_irq_tick[kLevels + 1];

// The simulated interrupt handler, run from spin_hook while this thread
// waits for `lock`.
void simulated_interrupt(void *ctx, const qspin_lock_word *lock)
{
	auto *rig = static_cast<NestingRig *>(ctx);
	const int waiting = rig->level_of(lock);
	if (waiting < 0)
		return;
	const unsigned k = unsigned(waiting) + 1;
	// One interrupt per level at a time (re-entrancy guard).
	if (k > rig->top_level || t_in_irq[k])
		return;
	// Only while every context below is queued (holds node 0..k-1), so
	// that this one gets node k...
	if (Env::depth() != k)
		return;
	// ...and when level k's lock is contended, so that the nested
	// acquisition really queues rather than taking the fast path.
	if ((rig->level[k].lock.snapshot() & ~QSPIN_LOCKED_MASK) == 0)
		return;
	if ((++t_irq_tick[k] & 3) != 0)
		return;

	t_in_irq[k] = true;
	locked_increment(rig->level[k]);
	rig->level[k].acquisitions.fetch_add(1, std::memory_order_relaxed);
	t_in_irq[k] = false;
}

struct NestingResult {
	bool reached_targets;
};

// Two "CPUs" take level 0 in a loop, with interrupts; two contenders per
// level hammer that level's lock. Runs until every nested event the rig
// can produce was seen `target` times, or `max_seconds`.
NestingResult run_nesting(NestingRig &rig, std::uint64_t target,
			  double max_seconds)
{
	const unsigned nesting_cpus = 2;
	const unsigned contenders_per_level = 2;
	const unsigned levels = rig.top_level + 1;
	const unsigned threads = nesting_cpus + contenders_per_level * levels;

	auto targets_reached = [&] {
		for (unsigned k = 1; k <= rig.top_level; k++) {
			Event e = k < QSPIN_MAX_NODES
					  ? static_cast<Event>(
						    unsigned(Event::nested_depth2) +
						    k - 1)
					  : Event::beyond_max_nodes;
			// The beyond-4 fallback spins on trylock and is slow
			// to get through contention: a tenth will do.
			std::uint64_t want = k < QSPIN_MAX_NODES
						     ? target
						     : (target + 9) / 10;
			if (Env::events_of(e) < want)
				return false;
		}
		return true;
	};
	const auto deadline = std::chrono::steady_clock::now() +
			      std::chrono::duration<double>(max_seconds);

	run_on_cpus(threads, [&](unsigned cpu) {
		if (cpu < nesting_cpus) {
			Env::set_interrupt(simulated_interrupt, &rig);
			std::uint64_t n = 0;
			while (!rig.stop.load(std::memory_order_relaxed)) {
				locked_increment(rig.level[0]);
				n++;
				if ((n & 15) == 0 &&
				    (targets_reached() ||
				     std::chrono::steady_clock::now() >
					     deadline))
					rig.stop.store(true);
			}
			Env::set_interrupt(nullptr, nullptr);
			rig.level[0].acquisitions.fetch_add(n);
		} else {
			Protected &p = rig.level[(cpu - nesting_cpus) % levels];
			std::uint64_t n = 0;
			while (!rig.stop.load(std::memory_order_relaxed)) {
				locked_increment(p);
				n++;
				// A little work outside the lock: the word must
				// come back to 0 now and then for the beyond-4
				// fallback, which only spins on trylock.
				for (int i = 0; i < 32; i++)
					Env::cpu_relax();
			}
			p.acquisitions.fetch_add(n);
		}
	});
	std::printf("events: pending %llu queued %llu depth2 %llu depth3 %llu "
		    "depth4 %llu beyond %llu\n",
		    (unsigned long long)Env::events_of(Event::pending),
		    (unsigned long long)Env::events_of(Event::queued),
		    (unsigned long long)Env::events_of(Event::nested_depth2),
		    (unsigned long long)Env::events_of(Event::nested_depth3),
		    (unsigned long long)Env::events_of(Event::nested_depth4),
		    (unsigned long long)Env::events_of(Event::beyond_max_nodes));
	return {targets_reached()};
}

void expect_every_level_exact(NestingRig &rig)
{
	for (unsigned k = 0; k <= rig.top_level; k++) {
		Protected &p = rig.level[k];
		EXPECT_EQ(p.guarded.violations.load(), 0U) << "level " << k;
		EXPECT_EQ(p.guarded.counter, p.acquisitions.load())
			<< "level " << k;
		EXPECT_EQ(p.lock.snapshot(), 0U) << "level " << k;
	}
}

std::uint64_t nesting_target()
{
	return std::uint64_t(env_long("QSPIN_NESTING_TARGET", 200));
}

TEST(Nesting, interrupts_queue_on_nodes_1_to_3_and_counters_stay_exact)
{
	Watchdog wd("Nesting stress");
	Env::reset_events();
	NestingRig rig;
	rig.top_level = 3;

	NestingResult r = run_nesting(rig, nesting_target(), 20.0);

	EXPECT_TRUE(r.reached_targets);
	EXPECT_GT(Env::events_of(Event::nested_depth2), 0U);
	EXPECT_GT(Env::events_of(Event::nested_depth3), 0U);
	EXPECT_GT(Env::events_of(Event::nested_depth4), 0U);
	EXPECT_EQ(Env::events_of(Event::beyond_max_nodes), 0U)
		<< "four nodes must suffice for four levels";
	expect_every_level_exact(rig);
}

TEST(Nesting, fifth_level_falls_back_to_trylock_and_keeps_exclusion)
{
	// The fifth level has no node: it spins on trylock, which succeeds
	// only when nobody is queued, so queued waiters may overtake it for
	// a long while on an oversubscribed host (not FIFO, as in Linux).
	// Give it a longer stall allowance than a queued waiter's.
	Watchdog wd("Nesting beyond-4 stress", 2 * watchdog_seconds(),
		    6 * stall_seconds());
	Env::reset_events();
	NestingRig rig;
	rig.top_level = 4;

	NestingResult r = run_nesting(rig, nesting_target(), 20.0);

	EXPECT_TRUE(r.reached_targets);
	EXPECT_GT(Env::events_of(Event::nested_depth4), 0U);
	EXPECT_GT(Env::events_of(Event::beyond_max_nodes), 0U);
	expect_every_level_exact(rig);
}

} // namespace
} // namespace qspin::test
