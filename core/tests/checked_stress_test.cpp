// SPDX-License-Identifier: GPL-2.0
//
// Multi-thread stress of the checked waiter (slow_path_checked) among plain
// ones, with threads playing CPUs: plain lock() and checked acquisitions
// whose should_leave() says "leave" after a random number of asks, on one
// lock. Proves: mutual exclusion (exact counter: plain acquisitions plus
// the checked ones that returned 0), the word 0 at the end, every CPU's
// node count back to 0, nobody lost (the watchdog fails a hang), and that
// each way of leaving was taken. Built plain, with ThreadSanitizer, with
// AddressSanitizer + UBSan, and with each leaving mutant of
// core/tests/mutants/ (core/tests/CMakeLists.txt), where it must fail.
#include "stress_support.h"
#include "thread_cpu_env.h"

#include <qspin/queued_lock.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace qspin::test {
namespace {

using Env = ThreadCpuEnvironment;
using Checked = CheckedThreadCpuEnvironment;
using Lock = QueuedSpinLock<Env>;

// Where a checked waiter was when it was told to leave, as its
// should_leave() sees it: no node (pending waiter), the queue head with
// its own tail in the word (leaves by the tail CAS, unless a successor
// comes first) or with a successor's (passes head-ship), or beyond four.
enum Where : unsigned { pending, head_last, head_followed, beyond, n_where };
const char *const where_name[] = {"pending", "head_last", "head_followed",
				  "beyond"};

struct alignas(64) Shared {
	Lock lock;
	alignas(64) Guarded guarded;
	std::atomic<std::uint64_t> acquired{0}; // plain + checked returning 0
	std::atomic<std::uint64_t> left{0};
	std::atomic<std::uint64_t> where[n_where] = {};
};

// A checked acquisition's answer to should_leave(): keep waiting for
// `budget` asks, then leave (~0U: never).
struct LeavePolicy {
	Shared *shared;
	unsigned budget;
	unsigned asks;
};

int stress_should_leave(void *ctx, const qspin_lock_word *lock)
{
	auto &pol = *static_cast<LeavePolicy *>(ctx);
	if (pol.budget == ~0U || ++pol.asks <= pol.budget)
		return 0;
	const unsigned depth = Env::depth();
	Where w;
	if (depth == 0)
		w = pending;
	else if (depth > QSPIN_MAX_NODES)
		w = beyond;
	else if ((qspin_word_read(lock) & QSPIN_TAIL_MASK) ==
		 qspin_encode_tail(Env::cpu_id(), depth - 1))
		w = head_last;
	else
		w = head_followed;
	pol.shared->where[w].fetch_add(1, std::memory_order_relaxed);
	return kLeave;
}

// xorshift32: each thread its own sequence.
unsigned next_random(unsigned &s)
{
	s ^= s << 13;
	s ^= s >> 17;
	s ^= s << 5;
	return s;
}

// Time outside the lock, varied so that the waiters find every shape of
// queue: none (a lone pending waiter), a head alone behind an owner and a
// pending waiter, a head with successors.
void think(unsigned r)
{
	switch ((r >> 24) % 4) {
	case 0:
		std::this_thread::yield();
		break;
	case 1:
		for (unsigned i = 0; i < 64; i++)
			Env::cpu_relax();
		break;
	default:
		break;
	}
}

// One acquisition: plain, or checked with a random budget of asks. Returns
// true when it got (and released) the lock.
bool acquire_once(Shared &sh, bool plain, unsigned &rnd, bool may_never)
{
	const unsigned r = next_random(rnd);

	if (plain) {
		sh.lock.lock();
	} else {
		// Budgets of 0..3 asks: most checked waiters that wait at
		// all are told to leave, at every kind of place.
		LeavePolicy pol{&sh, r % 4, 0};
		if (may_never && (r >> 8) % 4 == 0)
			pol.budget = ~0U;
		Checked::set_leave(stress_should_leave, &pol);
		int ret = sh.lock.lock_checked<Checked>();
		Checked::set_leave(nullptr, nullptr);
		if (ret) {
			EXPECT_EQ(ret, kLeave);
			sh.left.fetch_add(1, std::memory_order_relaxed);
			think(r);
			return false;
		}
	}
	// One holder in eight is "preempted" while it holds the lock: on two
	// cores, waiters otherwise mostly find the lock free by the time they
	// run, and a queue head would hardly ever wait for an owner. It also
	// gives a second owner, if a broken leave lets one in, a time slice
	// to be caught in.
	sh.guarded.critical_section((r >> 16) % 8 == 0);
	sh.lock.unlock();
	sh.acquired.fetch_add(1, std::memory_order_relaxed);
	think(r);
	return true;
}

struct Mix {
	unsigned threads;
	unsigned plain_every; // cpu is plain if cpu % plain_every == 0 (0: none)
	bool every_way;	      // must see every way out (else: any)
	const char *name;
};

class CheckedStress : public ::testing::TestWithParam<Mix> {};

TEST_P(CheckedStress, exclusion_holds_nobody_hangs_and_every_way_out_is_taken)
{
	const Mix mix = GetParam();
	// Holders yield now and then: half the plain stress's count for one
	// thread, shared among all (more until every way out was seen).
	const long iters = stress_iters() / (2 * long(mix.threads));
	Watchdog wd("CheckedStress");
	Env::reset_events();
	Shared sh;

	const bool all_checked = mix.plain_every == 0;
	// With 8 threads on 2 cores the queue never runs short: its heads
	// always have successors. Such a mix is there for exclusion; the
	// others must show every way out.
	auto seen_all = [&] {
		if (!mix.every_way)
			return sh.left.load() > 0;
		return sh.where[pending].load() > 0 &&
		       sh.where[head_last].load() > 0 &&
		       sh.where[head_followed].load() > 0;
	};
	const auto deadline =
		std::chrono::steady_clock::now() + std::chrono::seconds(10);

	StartGate gate(mix.threads);
	std::atomic<unsigned> leaked_nodes{0};
	std::vector<std::thread> pool;
	for (unsigned cpu = 0; cpu < mix.threads; cpu++)
		pool.emplace_back([&, cpu] {
			CpuScope scope(cpu);
			const bool plain =
				!all_checked && cpu % mix.plain_every == 0;
			unsigned rnd = 0x9e3779b9U * (cpu + 1);
			gate.arrive_and_wait();
			{
				ProgressScope in_loop(cpu);
				for (long n = 0;
				     n < iters ||
				     (!seen_all() &&
				      std::chrono::steady_clock::now() < deadline);
				     n++) {
					acquire_once(sh, plain, rnd, !all_checked);
					note_progress(cpu);
				}
			}
			if (Env::depth() != 0)
				leaked_nodes.fetch_add(1);
		});
	for (auto &t : pool)
		t.join();

	std::printf("acquired %llu left %llu (pending %llu head_last %llu "
		    "head_followed %llu beyond %llu); queued %llu\n",
		    (unsigned long long)sh.acquired.load(),
		    (unsigned long long)sh.left.load(),
		    (unsigned long long)sh.where[pending].load(),
		    (unsigned long long)sh.where[head_last].load(),
		    (unsigned long long)sh.where[head_followed].load(),
		    (unsigned long long)sh.where[beyond].load(),
		    (unsigned long long)Env::events_of(Event::queued));

	EXPECT_EQ(leaked_nodes.load(), 0U)
		<< "a CPU's node count did not return to 0";
	EXPECT_EQ(sh.guarded.violations.load(), 0U)
		<< "two owners were inside the critical section at once";
	EXPECT_EQ(sh.guarded.counter, sh.acquired.load())
		<< "the counter is not the number of acquisitions";
	EXPECT_EQ(sh.lock.snapshot(), 0U) << "the word is not 0 at the end";
	EXPECT_GT(sh.left.load(), 0U);
	EXPECT_EQ(sh.left.load(), sh.where[pending].load() +
					  sh.where[head_last].load() +
					  sh.where[head_followed].load() +
					  sh.where[beyond].load());
	EXPECT_TRUE(seen_all()) << "not every way out was taken";
	for (unsigned w : {pending, head_last, head_followed}) {
		if (!mix.every_way)
			break;
		EXPECT_GT(sh.where[w].load(), 0U)
			<< "nobody left as " << where_name[w];
	}
	EXPECT_EQ(sh.where[beyond].load(), 0U);
}

INSTANTIATE_TEST_SUITE_P(
	Mixes, CheckedStress,
	::testing::Values(Mix{4, 2, true, "4_threads_half_plain"},
			  Mix{6, 3, true, "6_threads_one_in_three_plain"},
			  Mix{4, 0, true, "4_threads_all_checked"},
			  Mix{8, 2, false, "8_threads_half_plain"}),
	[](const ::testing::TestParamInfo<Mix> &info) {
		return std::string(info.param.name);
	});

} // namespace
} // namespace qspin::test
