// SPDX-License-Identifier: GPL-2.0
//
// The atomics seam, proven from the host: with lock_word.h's QSPIN_ATOMIC_*
// macros routed to a per-thread observer (atomic_hooks.h), the tests
// record every atomic operation a lock, a trylock or an unlock makes, fast
// path and slow path, and compare it with what the protocol says it is.
// The recordings also steer the contended runs: a thread that is about to
// spin announces it through its observer, and only then does the owner let
// go, so each run takes the same path every time.
#include "atomic_hooks.h" // first: it replaces the seam

#include "stress_support.h"
#include "thread_cpu_env.h"

#include <qspin/queued_lock.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace qspin::test {
namespace {

using Env = ThreadCpuEnvironment;
using Lock = QueuedSpinLock<Env>;

// What a Recording waits for: an operation on an object (its address
// and size: the locked byte shares its address with the word).
struct Cue {
	AtomicOp op;
	const void *where;
	unsigned size;

	bool matches(const AtomicAccess &a) const
	{
		return a.op == op && a.where == where && a.size == size;
	}
};

// Records this thread's atomic operations while in scope. `announce` is
// raised the first time the thread is about to do what `cue` names.
class Recording {
public:
	explicit Recording(Cue cue = {AtomicOp::load, nullptr, 0}) : cue_(cue)
	{
		t_atomic_observer = &Recording::observe;
		t_atomic_observer_ctx = this;
	}
	~Recording()
	{
		t_atomic_observer = nullptr;
		t_atomic_observer_ctx = nullptr;
	}
	Recording(const Recording &) = delete;
	Recording &operator=(const Recording &) = delete;

	std::vector<AtomicAccess> log;
	std::atomic<bool> announce{false};

private:
	static void observe(const AtomicAccess &access, void *ctx)
	{
		auto *self = static_cast<Recording *>(ctx);
		self->log.push_back(access);
		if (self->cue_.matches(access))
			self->announce.store(true, std::memory_order_release);
	}

	const Cue cue_;
};

// Names for the places the lock's atomics touch.
struct Places {
	const qspin_lock_word *word;
	const qspin_node *node; // the recording thread's queue node, if any

	std::string name(const void *p, unsigned size) const
	{
		// The word, its locked byte and its locked_pending half share
		// an address: the size tells them apart.
		if (p == &word->val)
			return size == 4 ? "word"
			       : size == 2 ? "locked_pending"
					   : "locked";
		if (p == &word->pending)
			return "pending";
		if (p == &word->tail)
			return "tail";
		if (node && p == &node->locked)
			return "node.locked";
		if (node && p == &node->next)
			return "node.next";
		return "elsewhere";
	}
};

const char *op_name(AtomicOp op)
{
	switch (op) {
	case AtomicOp::load: return "load";
	case AtomicOp::store: return "store";
	case AtomicOp::exchange: return "exchange";
	case AtomicOp::fetch_or: return "fetch_or";
	case AtomicOp::compare_exchange: return "cmpxchg";
	}
	return "?";
}

const char *order_name(int order)
{
	switch (order) {
	case __ATOMIC_RELAXED: return "relaxed";
	case __ATOMIC_ACQUIRE: return "acquire";
	case __ATOMIC_RELEASE: return "release";
	case __ATOMIC_ACQ_REL: return "acq_rel";
	case __ATOMIC_SEQ_CST: return "seq_cst";
	}
	return "?";
}

// The log as "op place order" lines; a spin loop's repeated loads are one
// line ending in "..." (how many times depends on the scheduler).
std::vector<std::string> describe(const std::vector<AtomicAccess> &log,
				  const Places &places)
{
	std::vector<std::string> lines;
	const AtomicAccess *prev = nullptr;
	for (const AtomicAccess &a : log) {
		if (prev && prev->op == a.op && prev->where == a.where &&
		    prev->size == a.size && prev->order == a.order) {
			if (lines.back().back() != '.')
				lines.back() += " ...";
			continue;
		}
		lines.push_back(std::string(op_name(a.op)) + " " +
				places.name(a.where, a.size) + " " +
				order_name(a.order));
		prev = &a;
	}
	return lines;
}

// Waits (bounded by the test's watchdog) until `flag` is raised.
void wait_for(const std::atomic<bool> &flag)
{
	while (!flag.load(std::memory_order_acquire))
		std::this_thread::yield();
}

using Lines = std::vector<std::string>;

// ---------------------------------------------------------------------------
// One thread.

TEST(Uncontended, lock_and_unlock_are_one_acquire_cas_and_one_release_store)
{
	CpuScope cpu(0);
	Lock lock;
	Recording rec;

	lock.lock();
	lock.unlock();

	EXPECT_EQ(describe(rec.log, {lock.word(), nullptr}),
		  (Lines{"cmpxchg word acquire", "store locked release"}));
	ASSERT_EQ(rec.log.size(), 2U);
	EXPECT_EQ(rec.log[0].size, 4U);
	EXPECT_EQ(rec.log[1].size, 1U) << "unlock stores the locked byte only";
}

TEST(TryLock, on_a_held_lock_is_one_relaxed_load_and_no_write)
{
	CpuScope cpu(0);
	Lock lock;
	lock.lock();
	{
		Recording rec;
		EXPECT_FALSE(lock.try_lock());
		EXPECT_EQ(describe(rec.log, {lock.word(), nullptr}),
			  (Lines{"load word relaxed"}));
	}
	lock.unlock();
}

TEST(TryLock, on_a_free_lock_is_one_relaxed_load_then_one_acquire_cas)
{
	CpuScope cpu(0);
	Lock lock;
	{
		Recording rec;
		EXPECT_TRUE(lock.try_lock());
		EXPECT_EQ(describe(rec.log, {lock.word(), nullptr}),
			  (Lines{"load word relaxed", "cmpxchg word acquire"}));
	}
	lock.unlock();
}

// A contender on its own "CPU": records its lock and unlock, announcing
// the first time it is about to do what `cue` names.
struct Contender {
	Recording *rec = nullptr;
	std::atomic<bool> ready{false};
	Lines lines;
	std::thread thread;

	Contender(Lock &lock, unsigned cpu, Cue cue)
		: thread([this, &lock, cpu, cue] {
			  CpuScope scope(cpu);
			  Recording recording(cue);
			  rec = &recording;
			  ready.store(true, std::memory_order_release);
			  lock.lock();
			  lock.unlock();
			  // Node 0 of this CPU: its queue node at depth 0.
			  lines = describe(recording.log,
					   {lock.word(),
					    &Env::cpu_nodes(cpu)->node[0]});
		  })
	{
		wait_for(ready);
	}
};

// ---------------------------------------------------------------------------
// Contended: the fast path's failed CAS, then the slow path, both seen.

// The pending path: 0,0,1 -> 0,1,1 -> 0,1,0 -> 0,0,1.
const Lines kPendingWaiter = {
	"cmpxchg word acquire",	       // fast path, fails: 0,0,1
	"fetch_or word acquire",       // 0,0,1 -> 0,1,1
	"load word acquire",	       // the rest of the word after the bts
	"load locked acquire ...",     // wait for the owner: 0,1,1 -> 0,1,0
	"store locked_pending relaxed", // 0,1,0 -> 0,0,1
	"store locked release",	       // unlock
};

TEST(Contended, a_second_thread_is_seen_on_the_fast_and_the_pending_path)
{
	Watchdog wd("seam: pending path", 20, 20);
	CpuScope cpu(0);
	Lock lock;
	Recording owner;
	lock.lock();

	Contender waiter(lock, 1, {AtomicOp::load, &lock.word()->locked, 1});
	wait_for(waiter.rec->announce); // spins on the locked byte: 0,1,1
	lock.unlock();
	waiter.thread.join();

	EXPECT_EQ(describe(owner.log, {lock.word(), nullptr}),
		  (Lines{"cmpxchg word acquire", "store locked release"}));
	EXPECT_EQ(waiter.lines, kPendingWaiter);
	EXPECT_EQ(lock.snapshot(), 0U);
}

// The queue: a third thread finds an owner and a pending waiter, queues as
// head of an empty queue, and takes the lock as its last waiter.
TEST(Contended, a_third_thread_is_seen_on_every_step_of_the_queue)
{
	Watchdog wd("seam: queue path", 20, 20);
	CpuScope cpu(0);
	Lock lock;
	lock.lock();

	Contender pending(lock, 1, {AtomicOp::load, &lock.word()->locked, 1});
	wait_for(pending.rec->announce); // spins on the locked byte: 0,1,1
	Contender queued(lock, 2, {AtomicOp::exchange, &lock.word()->tail, 2});
	wait_for(queued.rec->announce); // about to publish its tail
	// Its tail is in the word: it is the queue head now.
	while ((lock.snapshot() & QSPIN_TAIL_MASK) == 0)
		std::this_thread::yield();
	lock.unlock();
	pending.thread.join();
	queued.thread.join();

	EXPECT_EQ(pending.lines, kPendingWaiter);
	EXPECT_EQ(queued.lines,
		  (Lines{
			  "cmpxchg word acquire",      // fast path fails: 0,1,1
			  "store node.locked relaxed", // node init
			  "store node.next relaxed",
			  "load word relaxed",	       // trylock, fails
			  "exchange tail acq_rel",     // 0,1,1 -> n,1,1
			  "load word acquire ...",     // head waits: n,0,0
			  "cmpxchg word relaxed",      // n,0,0 -> 0,0,1
			  "store locked release",      // unlock
		  }));
	EXPECT_EQ(lock.snapshot(), 0U);
}

// Free running: two threads, many acquisitions, every one observed. Each
// unlock is exactly one release store of the locked byte, each lock at
// least one acquire CAS of the word, and the slow path's own operations
// (setting pending, publishing a tail) show up once contention did.
TEST(Contended, two_free_running_threads_are_observed_on_every_operation)
{
	Watchdog wd("seam: free running", 60, 20);
	Env::reset_events();
	Lock lock;
	const long iters = 20000;
	struct Counts {
		std::uint64_t acquisitions = 0;
		std::uint64_t release_stores = 0, acquire_cas = 0;
		std::uint64_t set_pending = 0, publish_tail = 0;
	} counts[2];
	auto contended = [] {
		return Env::events_of(Event::pending) +
			       Env::events_of(Event::queued) >
		       0;
	};
	const auto deadline =
		std::chrono::steady_clock::now() + std::chrono::seconds(5);
	StartGate gate(2);

	auto run = [&](unsigned cpu) {
		CpuScope scope(cpu);
		Recording rec;
		Counts &c = counts[cpu];
		gate.arrive_and_wait();
		// N acquisitions, then on until the slow path was taken (on
		// a loaded host one thread may run its loop in one slice).
		for (; c.acquisitions < std::uint64_t(iters) ||
		       (!contended() &&
			std::chrono::steady_clock::now() < deadline);
		     c.acquisitions++) {
			lock.lock();
			lock.unlock();
			for (const AtomicAccess &a : rec.log) {
				const void *w = a.where;
				c.release_stores +=
					a.op == AtomicOp::store &&
					w == &lock.word()->locked &&
					a.order == __ATOMIC_RELEASE;
				c.acquire_cas +=
					a.op == AtomicOp::compare_exchange &&
					w == &lock.word()->val &&
					a.order == __ATOMIC_ACQUIRE;
				c.set_pending += a.op == AtomicOp::fetch_or;
				c.publish_tail += a.op == AtomicOp::exchange;
			}
			rec.log.clear();
		}
	};
	std::thread a(run, 0), b(run, 1);
	a.join();
	b.join();

	for (const Counts &c : counts) {
		EXPECT_EQ(c.release_stores, c.acquisitions);
		EXPECT_GE(c.acquire_cas, c.acquisitions);
	}
	const std::uint64_t set_pending =
		counts[0].set_pending + counts[1].set_pending;
	const std::uint64_t publish_tail =
		counts[0].publish_tail + counts[1].publish_tail;
	ASSERT_TRUE(contended()) << "the two threads never met in 5 s";
	// Every pending acquisition set the bit once (a lost race sets it
	// too); a queued one publishes a tail at most once.
	EXPECT_GE(set_pending, Env::events_of(Event::pending));
	EXPECT_LE(publish_tail, Env::events_of(Event::queued));
	EXPECT_GT(set_pending + publish_tail, 0U);
	EXPECT_EQ(lock.snapshot(), 0U);
}

} // namespace
} // namespace qspin::test
