// SPDX-License-Identifier: GPL-2.0
//
// The checked waiter's ways out of the slow path (slow_path_checked), one
// transition at a time: as the pending waiter, as the last queue head (tail
// CAS), as a queue head with a successor (head-ship passed on, also to a
// successor that links in late), in the beyond-four fallback, and from the
// middle of the queue (only once it is the head). After each: the word as
// the transition says, every node count back where it was, the successor
// handed the head.
//
// Most tests run on one thread: the lock's owner, a pending waiter and the
// other queue nodes are played by the test, which writes the word and the
// nodes as those CPUs would, from the waiter's should_leave() callback and
// its spin hook. The last test uses real threads for the owner, the
// pending waiter and a plain successor. Every test runs under a watchdog:
// a lost hand-over hangs, and the watchdog fails the test instead.
#include "stress_support.h"
#include "thread_cpu_env.h"

#include <qspin/queued_lock.h>

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace qspin::test {
namespace {

using Env = ThreadCpuEnvironment;
using Checked = CheckedThreadCpuEnvironment;
using Lock = QueuedSpinLock<Env>;

// The CPU ids: the checked waiter, a queued successor, a queued
// predecessor, a thread playing the pending waiter.
constexpr unsigned kWaiterCpu = 1, kSuccessorCpu = 2, kPredecessorCpu = 3,
		   kPendingCpu = 4;

qspin_u32 word(Lock &l) { return l.snapshot(); }
qspin_u32 tail_of(unsigned cpu, unsigned idx)
{
	return qspin_encode_tail(cpu, idx);
}
qspin_node *node_of(unsigned cpu, unsigned idx)
{
	return &Env::nodes[cpu].node[idx];
}
unsigned depth_of(unsigned cpu) { return Env::nodes[cpu].node[0].count; }

// Whatever a test does when its waiter is asked, and what it saw.
struct Asked {
	Lock *lock = nullptr;
	unsigned asks = 0;	    // should_leave() calls
	unsigned leave_at = 1;	    // answer kLeave on this call (0: never)
	qspin_u32 seen = 0;	    // the word at the last call
	unsigned depth_seen = 0;    // this CPU's node count then
	void (*act)(Asked &) = nullptr; // run on every call, before answering
	void *ctx = nullptr;

	static int should_leave(void *p, const qspin_lock_word *)
	{
		auto &a = *static_cast<Asked *>(p);
		a.asks++;
		a.seen = a.lock->snapshot();
		a.depth_seen = Env::depth();
		if (a.act)
			a.act(a);
		return a.asks == a.leave_at ? kLeave : 0;
	}
};

class CheckedLeave : public ::testing::Test {
protected:
	void SetUp() override
	{
		Env::reset_events();
		for (unsigned c : {kSuccessorCpu, kPredecessorCpu})
			Env::nodes[c].node[0].count = 0;
		asked_.lock = &lock_;
		Checked::set_leave(Asked::should_leave, &asked_);
	}
	int lock_checked() { return lock_.lock_checked<Checked>(); }
	// Sets the word as other CPUs left it (no waiter of ours in it).
	void set_word(qspin_u32 v) { lock_.word()->val = v; }

	Watchdog wd_{"CheckedLeave"};
	CpuScope cpu_{kWaiterCpu};
	Lock lock_;
	Asked asked_;
};

// ---------------------------------------------------------------------------
// Pending waiter: *,1,* -> *,0,*

TEST_F(CheckedLeave, pending_waiter_leaves_clearing_pending)
{
	set_word(QSPIN_LOCKED_VAL); // an owner
	asked_.leave_at = 3;

	EXPECT_EQ(lock_checked(), kLeave);
	EXPECT_EQ(asked_.asks, 3U);
	EXPECT_EQ(asked_.seen, QSPIN_PENDING_VAL | QSPIN_LOCKED_VAL)
		<< "it was asked as the pending waiter (0,1,1)";
	EXPECT_EQ(asked_.depth_seen, 0U) << "a pending waiter holds no node";
	EXPECT_EQ(word(lock_), QSPIN_LOCKED_VAL) << "0,1,1 -> 0,0,1";
	EXPECT_EQ(Env::depth(), 0U);
	EXPECT_EQ(Env::events_of(Event::queued), 0U);
}

TEST_F(CheckedLeave, pending_waiter_leaving_keeps_the_queue_behind_it)
{
	// Owner, us pending, then a waiter queues behind (n,1,1).
	set_word(QSPIN_LOCKED_VAL);
	asked_.leave_at = 2;
	asked_.act = [](Asked &a) {
		if (a.asks == 1)
			__atomic_fetch_or(&a.lock->word()->val,
					  tail_of(kSuccessorCpu, 0),
					  __ATOMIC_RELAXED);
	};

	EXPECT_EQ(lock_checked(), kLeave);
	EXPECT_EQ(word(lock_), tail_of(kSuccessorCpu, 0) | QSPIN_LOCKED_VAL)
		<< "n,1,1 -> n,0,1";
}

TEST_F(CheckedLeave, pending_waiter_told_to_leave_leaves_even_if_the_owner_just_left)
{
	// The choice the core makes: a waiter asks after a read showed the
	// lock taken; told to leave, it leaves. The lock is then free.
	set_word(QSPIN_LOCKED_VAL);
	asked_.act = [](Asked &a) { a.lock->unlock(); };

	EXPECT_EQ(lock_checked(), kLeave);
	EXPECT_EQ(word(lock_), 0U) << "0,1,0 -> 0,0,0: free for the next";
}

TEST_F(CheckedLeave, pending_waiter_not_told_to_leave_takes_the_lock)
{
	set_word(QSPIN_LOCKED_VAL);
	asked_.leave_at = 0;
	asked_.act = [](Asked &a) {
		if (a.asks == 5)
			a.lock->unlock(); // the owner leaves
	};

	EXPECT_EQ(lock_checked(), 0);
	EXPECT_EQ(asked_.asks, 5U);
	EXPECT_EQ(word(lock_), QSPIN_LOCKED_VAL) << "0,1,0 -> 0,0,1";
	EXPECT_EQ(Env::events_of(Event::pending), 1U);
	lock_.unlock();
	EXPECT_EQ(word(lock_), 0U);
}

// ---------------------------------------------------------------------------
// Last queue head: n,p,l -> 0,p,l with one CAS

TEST_F(CheckedLeave, last_queue_head_takes_its_tail_out_keeping_locked_and_pending)
{
	// An owner and a pending waiter: we queue, as the head (no tail yet).
	set_word(QSPIN_PENDING_VAL | QSPIN_LOCKED_VAL);
	asked_.leave_at = 2;

	EXPECT_EQ(lock_checked(), kLeave);
	EXPECT_EQ(asked_.seen, tail_of(kWaiterCpu, 0) | QSPIN_PENDING_VAL |
				       QSPIN_LOCKED_VAL)
		<< "it was asked as the queue head";
	EXPECT_EQ(asked_.depth_seen, 1U) << "holding node 0";
	EXPECT_EQ(word(lock_), QSPIN_PENDING_VAL | QSPIN_LOCKED_VAL)
		<< "n,1,1 -> 0,1,1";
	EXPECT_EQ(Env::depth(), 0U) << "node index given back";
	EXPECT_EQ(Env::events_of(Event::queued), 1U);
}

TEST_F(CheckedLeave, tail_cas_retries_when_owner_or_pending_changed_since_the_read)
{
	// Asked with n,1,1 seen; before it acts, the pending waiter takes
	// over (n,1,0 -> n,0,1): the CAS on the stale word fails, the tail is
	// still ours, the retry takes it out: n,0,1 -> 0,0,1.
	set_word(QSPIN_PENDING_VAL | QSPIN_LOCKED_VAL);
	asked_.act = [](Asked &a) {
		__atomic_store_n(&a.lock->word()->locked_pending,
				 qspin_u16(QSPIN_LOCKED_VAL), __ATOMIC_RELAXED);
	};

	EXPECT_EQ(lock_checked(), kLeave);
	EXPECT_EQ(word(lock_), QSPIN_LOCKED_VAL);
	EXPECT_EQ(Env::depth(), 0U);
}

TEST_F(CheckedLeave, queue_head_not_told_to_leave_claims_as_the_last_waiter)
{
	set_word(QSPIN_PENDING_VAL | QSPIN_LOCKED_VAL);
	asked_.leave_at = 0;
	asked_.act = [](Asked &a) {
		if (a.asks == 3) // owner and pending waiter both gone
			__atomic_store_n(&a.lock->word()->locked_pending,
					 qspin_u16(0), __ATOMIC_RELEASE);
	};

	EXPECT_EQ(lock_checked(), 0);
	EXPECT_EQ(word(lock_), QSPIN_LOCKED_VAL) << "n,0,0 -> 0,0,1";
	EXPECT_EQ(Env::depth(), 0U);
	lock_.unlock();
}

// ---------------------------------------------------------------------------
// Queue head with a successor: head-ship passed on, lock word as it is

// Plays the successor on CPU kSuccessorCpu, node 0: publishes its tail
// (the xchg gives it ours) and, if `link`, writes our ->next.
void successor_queues(Lock &lock, bool link)
{
	qspin_node *s = node_of(kSuccessorCpu, 0);
	__atomic_store_n(&s->locked, 0U, __ATOMIC_RELAXED);
	__atomic_store_n(&s->next, (qspin_node *)nullptr, __ATOMIC_RELAXED);
	qspin_u16 old = __atomic_exchange_n(
		&lock.word()->tail,
		qspin_u16(tail_of(kSuccessorCpu, 0) >> QSPIN_TAIL_OFFSET),
		__ATOMIC_ACQ_REL);
	ASSERT_EQ(qspin_u32(old) << QSPIN_TAIL_OFFSET, tail_of(kWaiterCpu, 0));
	if (link)
		__atomic_store_n(&node_of(kWaiterCpu, 0)->next, s,
				 __ATOMIC_RELEASE);
}

TEST_F(CheckedLeave, queue_head_passes_head_ship_to_its_successor_without_the_lock)
{
	set_word(QSPIN_PENDING_VAL | QSPIN_LOCKED_VAL);
	asked_.leave_at = 2;
	asked_.act = [](Asked &a) {
		if (a.asks == 1)
			successor_queues(*a.lock, true);
	};

	EXPECT_EQ(lock_checked(), kLeave);
	EXPECT_EQ(__atomic_load_n(&node_of(kSuccessorCpu, 0)->locked,
				  __ATOMIC_ACQUIRE),
		  1U)
		<< "the successor was not made the head";
	EXPECT_EQ(word(lock_), tail_of(kSuccessorCpu, 0) | QSPIN_PENDING_VAL |
				       QSPIN_LOCKED_VAL)
		<< "m,1,1 stays: the lock is not taken, the queue is intact";
	EXPECT_EQ(Env::depth(), 0U) << "node index given back";
}

// The successor has published its tail but links in only after some spins
// of ours: the leaving head must wait for the link before it can hand over
// (and before its node may be reused).
struct LateLink {
	bool leaving = false;
	unsigned spins_after = 0;
	bool linked = false;
	bool handed_before_link = false;
};

TEST_F(CheckedLeave, queue_head_waits_for_a_late_successor_to_link_then_passes_head_ship)
{
	static LateLink late;
	late = LateLink{};
	set_word(QSPIN_PENDING_VAL | QSPIN_LOCKED_VAL);
	asked_.leave_at = 1;
	asked_.act = [](Asked &a) {
		successor_queues(*a.lock, false);
		late.leaving = true;
	};
	Env::set_interrupt(
		[](void *, const qspin_lock_word *) {
			if (!late.leaving || late.linked)
				return;
			if (__atomic_load_n(&node_of(kSuccessorCpu, 0)->locked,
					    __ATOMIC_RELAXED))
				late.handed_before_link = true;
			if (++late.spins_after == 50) {
				__atomic_store_n(&node_of(kWaiterCpu, 0)->next,
						 node_of(kSuccessorCpu, 0),
						 __ATOMIC_RELEASE);
				late.linked = true;
			}
		},
		nullptr);

	EXPECT_EQ(lock_checked(), kLeave);
	Env::set_interrupt(nullptr, nullptr);
	EXPECT_TRUE(late.linked) << "it left before the successor linked in";
	EXPECT_FALSE(late.handed_before_link);
	EXPECT_EQ(__atomic_load_n(&node_of(kSuccessorCpu, 0)->locked,
				  __ATOMIC_ACQUIRE),
		  1U);
	EXPECT_EQ(word(lock_), tail_of(kSuccessorCpu, 0) | QSPIN_PENDING_VAL |
				       QSPIN_LOCKED_VAL);
	EXPECT_EQ(Env::depth(), 0U);
}

// ---------------------------------------------------------------------------
// Middle of the queue: not asked until it is the head

TEST_F(CheckedLeave, middle_waiter_is_not_asked_and_leaves_once_it_is_the_head)
{
	static bool head_passed;
	static unsigned asks_before_head;
	head_passed = false;
	asks_before_head = 0;

	// A predecessor (CPU 3, node 0) is queued; an owner holds the lock.
	qspin_node *pred = node_of(kPredecessorCpu, 0);
	pred->locked = 1;
	pred->next = nullptr;
	set_word(tail_of(kPredecessorCpu, 0) | QSPIN_LOCKED_VAL);

	asked_.leave_at = 1;
	asked_.act = [](Asked &) {
		if (!head_passed)
			asks_before_head++;
	};
	// The predecessor passes head-ship on after 100 spins of ours.
	Env::set_interrupt(
		[](void *, const qspin_lock_word *) {
			static unsigned spins;
			if (head_passed)
				return;
			qspin_node *p = node_of(kPredecessorCpu, 0);
			qspin_node *next =
				__atomic_load_n(&p->next, __ATOMIC_ACQUIRE);
			if (!next || ++spins < 100)
				return;
			spins = 0;
			head_passed = true;
			__atomic_store_n(&next->locked, 1U, __ATOMIC_RELEASE);
		},
		nullptr);

	EXPECT_EQ(lock_checked(), kLeave);
	Env::set_interrupt(nullptr, nullptr);
	EXPECT_TRUE(head_passed);
	EXPECT_EQ(asks_before_head, 0U)
		<< "a waiter in the middle of the queue was asked to leave";
	EXPECT_EQ(pred->next, node_of(kWaiterCpu, 0)) << "it linked in";
	EXPECT_EQ(word(lock_), QSPIN_LOCKED_VAL)
		<< "as the last head: n,0,1 -> 0,0,1";
	EXPECT_EQ(Env::depth(), 0U);
}

// ---------------------------------------------------------------------------
// Beyond four: no node, just stop trying

TEST_F(CheckedLeave, beyond_four_fallback_just_returns)
{
	// Four contexts of this CPU are queued already (nodes 0..3 in use).
	Env::this_cpu_nodes()->node[0].count = QSPIN_MAX_NODES;
	set_word(QSPIN_PENDING_VAL | QSPIN_LOCKED_VAL);
	asked_.leave_at = 4;

	EXPECT_EQ(lock_checked(), kLeave);
	EXPECT_EQ(Env::events_of(Event::beyond_max_nodes), 1U);
	EXPECT_EQ(asked_.depth_seen, QSPIN_MAX_NODES + 1U);
	EXPECT_EQ(word(lock_), QSPIN_PENDING_VAL | QSPIN_LOCKED_VAL)
		<< "the word is not touched";
	EXPECT_EQ(Env::depth(), unsigned(QSPIN_MAX_NODES))
		<< "the index taken is given back";
	Env::this_cpu_nodes()->node[0].count = 0;
}

TEST_F(CheckedLeave, beyond_four_fallback_not_told_to_leave_takes_a_free_lock)
{
	Env::this_cpu_nodes()->node[0].count = QSPIN_MAX_NODES;
	set_word(QSPIN_PENDING_VAL | QSPIN_LOCKED_VAL);
	asked_.leave_at = 0;
	asked_.act = [](Asked &a) {
		if (a.asks == 2)
			a.lock->word()->val = 0;
	};

	EXPECT_EQ(lock_checked(), 0);
	EXPECT_EQ(word(lock_), QSPIN_LOCKED_VAL);
	EXPECT_EQ(Env::depth(), unsigned(QSPIN_MAX_NODES));
	Env::this_cpu_nodes()->node[0].count = 0;
	lock_.unlock();
}

// ---------------------------------------------------------------------------
// Real threads: a plain successor is handed the head by a leaving checked
// head, and gets the lock once the owner and the pending waiter are done.

TEST(CheckedLeaveThreads, plain_successor_gets_the_lock_after_a_checked_head_leaves)
{
	Watchdog wd("CheckedLeaveThreads");
	CpuScope owner(0);
	Lock lock;
	Guarded g;
	std::atomic<int> checked_ret{1};
	std::atomic<bool> pending_done{false}, successor_done{false};

	lock.lock(); // the owner

	std::thread pending([&] { // becomes the pending waiter: 0,1,1
		CpuScope cpu(kPendingCpu);
		ProgressScope in(kPendingCpu);
		lock.lock();
		g.critical_section();
		lock.unlock();
		note_progress(kPendingCpu);
		pending_done = true;
	});
	while ((lock.snapshot() & QSPIN_PENDING_MASK) == 0)
		std::this_thread::yield();

	std::thread checked([&] { // queues as the head, leaves when followed
		CpuScope cpu(kWaiterCpu);
		Checked::set_leave(
			[](void *l, const qspin_lock_word *) {
				auto *lk = static_cast<Lock *>(l);
				qspin_u32 t = lk->snapshot() & QSPIN_TAIL_MASK;
				return t && t != tail_of(kWaiterCpu, 0)
					       ? kLeave
					       : 0;
			},
			&lock);
		checked_ret = lock.lock_checked<Checked>();
	});
	while ((lock.snapshot() & QSPIN_TAIL_MASK) != tail_of(kWaiterCpu, 0))
		std::this_thread::yield();

	std::thread successor([&] { // plain, queues behind the checked head
		CpuScope cpu(kSuccessorCpu);
		ProgressScope in(kSuccessorCpu);
		lock.lock();
		g.critical_section();
		lock.unlock();
		note_progress(kSuccessorCpu);
		successor_done = true;
	});

	checked.join();
	EXPECT_EQ(checked_ret.load(), kLeave);
	EXPECT_FALSE(pending_done.load());
	EXPECT_FALSE(successor_done.load());
	EXPECT_EQ(lock.snapshot() & QSPIN_LOCKED_PENDING_MASK,
		  QSPIN_PENDING_VAL | QSPIN_LOCKED_VAL);

	g.critical_section();
	lock.unlock(); // the owner leaves: pending waiter, then the successor
	pending.join();
	successor.join();
	EXPECT_TRUE(pending_done.load());
	EXPECT_TRUE(successor_done.load());
	EXPECT_EQ(g.counter, 3U);
	EXPECT_EQ(g.violations.load(), 0U);
	EXPECT_EQ(lock.snapshot(), 0U);
	EXPECT_EQ(depth_of(kWaiterCpu), 0U);
	EXPECT_EQ(depth_of(kSuccessorCpu), 0U);
}

} // namespace
} // namespace qspin::test
