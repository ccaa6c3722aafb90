// SPDX-License-Identifier: GPL-2.0
//
// One thread, one lock: the fast path, trylock and the queries.
#include "thread_cpu_env.h"

#include <qspin/queued_lock.h>

#include <gtest/gtest.h>

#include <sys/mman.h>
#include <unistd.h>

namespace qspin::test {
namespace {

using Env = ThreadCpuEnvironment;
using Lock = QueuedSpinLock<Env>;

class SingleThread : public ::testing::Test {
protected:
	CpuScope cpu_{0};
	Lock lock_;
};

TEST_F(SingleThread, a_new_lock_is_free_and_its_word_is_zero)
{
	EXPECT_EQ(lock_.snapshot(), 0U);
	EXPECT_FALSE(lock_.is_locked());
	EXPECT_FALSE(lock_.is_contended());
}

TEST_F(SingleThread, lock_sets_only_the_locked_byte)
{
	lock_.lock();
	EXPECT_EQ(lock_.snapshot(), QSPIN_LOCKED_VAL);
	EXPECT_TRUE(lock_.is_locked());
	EXPECT_FALSE(lock_.is_contended());
	lock_.unlock();
}

TEST_F(SingleThread, the_word_is_zero_after_every_release)
{
	for (int i = 0; i < 1000; i++) {
		lock_.lock();
		lock_.unlock();
		ASSERT_EQ(lock_.snapshot(), 0U) << "after lock #" << i;
		ASSERT_TRUE(lock_.try_lock());
		lock_.unlock();
		ASSERT_EQ(lock_.snapshot(), 0U) << "after trylock #" << i;
	}
}

TEST_F(SingleThread, trylock_takes_a_free_lock)
{
	EXPECT_TRUE(lock_.try_lock());
	EXPECT_EQ(lock_.snapshot(), QSPIN_LOCKED_VAL);
	lock_.unlock();
	EXPECT_EQ(lock_.snapshot(), 0U);
}

TEST_F(SingleThread, trylock_fails_on_a_held_lock_and_leaves_the_word_as_is)
{
	lock_.lock();
	EXPECT_FALSE(lock_.try_lock());
	EXPECT_EQ(lock_.snapshot(), QSPIN_LOCKED_VAL);
	lock_.unlock();
	EXPECT_EQ(lock_.snapshot(), 0U);
}

TEST_F(SingleThread, trylock_fails_on_a_pending_or_queued_word_without_change)
{
	const qspin_u32 words[] = {
		QSPIN_PENDING_VAL,
		QSPIN_PENDING_VAL | QSPIN_LOCKED_VAL,
		qspin_encode_tail(3, 1),
		qspin_encode_tail(3, 1) | QSPIN_LOCKED_VAL,
	};
	for (qspin_u32 v : words) {
		qspin_lock_word w = QSPIN_WORD_INIT;
		w.val = v;
		EXPECT_FALSE(qspin_word_trylock(&w)) << std::hex << v;
		EXPECT_EQ(w.val, v) << std::hex << v;
	}
}

// The strongest form of "does not write": the word sits on a read-only
// page. A compare-and-swap there faults even when it fails, so passing
// proves trylock only loaded.
TEST(TryLock, on_a_held_word_it_does_not_write_even_on_a_read_only_page)
{
	const long page = sysconf(_SC_PAGESIZE);
	void *mem = mmap(nullptr, page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(mem, MAP_FAILED);
	auto *w = static_cast<qspin_lock_word *>(mem);
	w->val = QSPIN_LOCKED_VAL | QSPIN_PENDING_VAL;
	ASSERT_EQ(mprotect(mem, page, PROT_READ), 0);

	EXPECT_FALSE(qspin_word_trylock(w));
	EXPECT_EQ(w->val, QSPIN_LOCKED_VAL | QSPIN_PENDING_VAL);

	munmap(mem, page);
}

TEST(Queries, is_locked_is_true_for_any_nonzero_word)
{
	qspin_lock_word w = QSPIN_WORD_INIT;
	EXPECT_FALSE(qspin_word_is_locked(&w));
	for (qspin_u32 v : {QSPIN_LOCKED_VAL, QSPIN_PENDING_VAL,
			    qspin_encode_tail(0, 0)}) {
		w.val = v;
		EXPECT_TRUE(qspin_word_is_locked(&w)) << std::hex << v;
	}
}

TEST(Queries, is_contended_means_a_pending_waiter_or_a_queue)
{
	qspin_lock_word w = QSPIN_WORD_INIT;
	EXPECT_FALSE(qspin_word_is_contended(&w));
	w.val = QSPIN_LOCKED_VAL;
	EXPECT_FALSE(qspin_word_is_contended(&w));
	w.val = QSPIN_LOCKED_VAL | QSPIN_PENDING_VAL;
	EXPECT_TRUE(qspin_word_is_contended(&w));
	w.val = QSPIN_LOCKED_VAL | qspin_encode_tail(QSPIN_MAX_CPU, 3);
	EXPECT_TRUE(qspin_word_is_contended(&w));
	w.val = qspin_encode_tail(0, 0);
	EXPECT_TRUE(qspin_word_is_contended(&w));
}

TEST(Queries, unlock_clears_the_locked_byte_only)
{
	qspin_lock_word w = QSPIN_WORD_INIT;
	const qspin_u32 others = qspin_encode_tail(7, 2) | QSPIN_PENDING_VAL;
	w.val = others | QSPIN_LOCKED_VAL;
	qspin_word_unlock(&w);
	EXPECT_EQ(w.val, others);
}

TEST_F(SingleThread, an_uncontended_lock_never_enters_the_slow_path)
{
	Env::reset_events();
	for (int i = 0; i < 100; i++) {
		lock_.lock();
		lock_.unlock();
	}
	for (unsigned e = 0; e < unsigned(Event::count_); e++)
		EXPECT_EQ(Env::events_of(Event(e)), 0U) << "event " << e;
	EXPECT_EQ(Env::depth(), 0U);
}

} // namespace
} // namespace qspin::test
