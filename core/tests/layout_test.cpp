// SPDX-License-Identifier: GPL-2.0
//
// The lock word's layout and tail encoding (lock_word.h): the contract the
// kernel's C side and the C++ core share.
#include <qspin/lock_word.h>

#include <gtest/gtest.h>

#include <cstddef>

namespace {

TEST(Layout, lock_word_is_32_bits_and_naturally_aligned)
{
	static_assert(sizeof(qspin_lock_word) == 4);
	static_assert(alignof(qspin_lock_word) == 4);
	EXPECT_EQ(sizeof(qspin_lock_word), 4U);
}

TEST(Layout, byte_and_half_word_views_sit_at_their_offsets)
{
	static_assert(offsetof(qspin_lock_word, val) == 0);
	static_assert(offsetof(qspin_lock_word, locked) == 0);
	static_assert(offsetof(qspin_lock_word, pending) == 1);
	static_assert(offsetof(qspin_lock_word, locked_pending) == 0);
	static_assert(offsetof(qspin_lock_word, tail) == 2);

	qspin_lock_word w = QSPIN_WORD_INIT;
	EXPECT_EQ(w.val, 0U);
	w.locked = 1;
	EXPECT_EQ(w.val, QSPIN_LOCKED_VAL);
	w.pending = 1;
	EXPECT_EQ(w.val, QSPIN_LOCKED_VAL | QSPIN_PENDING_VAL);
	EXPECT_EQ(w.locked_pending, 0x0101U);
	w.tail = 0xffff;
	EXPECT_EQ(w.val & QSPIN_TAIL_MASK, QSPIN_TAIL_MASK);
}

TEST(Layout, field_masks_match_the_linux_layout)
{
	EXPECT_EQ(QSPIN_LOCKED_MASK, 0x000000ffU);
	EXPECT_EQ(QSPIN_PENDING_MASK, 0x0000ff00U);
	EXPECT_EQ(QSPIN_TAIL_IDX_MASK, 0x00030000U);
	EXPECT_EQ(QSPIN_TAIL_CPU_MASK, 0xfffc0000U);
	EXPECT_EQ(QSPIN_TAIL_MASK, 0xffff0000U);
	EXPECT_EQ(QSPIN_LOCKED_PENDING_MASK, 0x0000ffffU);
	EXPECT_EQ(QSPIN_LOCKED_VAL, 0x1U);
	EXPECT_EQ(QSPIN_PENDING_VAL, 0x100U);
}

TEST(Layout, queue_node_is_16_bytes_and_a_cpu_block_is_one_cache_line)
{
	static_assert(sizeof(qspin_node) == 16);
	static_assert(sizeof(qspin_node_block) == 64);
	static_assert(alignof(qspin_node_block) == 64);
	static_assert(QSPIN_MAX_NODES == 4);
	qspin_node_block blocks[2];
	EXPECT_EQ(reinterpret_cast<std::uintptr_t>(&blocks[1]) % 64, 0U);
}

TEST(Encoding, max_cpu_is_the_largest_whose_cpu_plus_1_fits_14_bits)
{
	EXPECT_EQ(QSPIN_MAX_CPU, 16382U);
	EXPECT_EQ(QSPIN_MAX_CPU + 1, (1U << QSPIN_TAIL_CPU_BITS) - 1);
}

TEST(Encoding, tail_cpu_and_idx_round_trip_for_cpu_0_and_max_cpu)
{
	for (unsigned cpu : {0U, 1U, 255U, QSPIN_MAX_CPU}) {
		for (unsigned idx = 0; idx < QSPIN_MAX_NODES; idx++) {
			qspin_u32 tail = qspin_encode_tail(cpu, idx);
			EXPECT_EQ(tail & ~QSPIN_TAIL_MASK, 0U)
				<< "tail leaks into locked/pending";
			EXPECT_NE(tail, 0U) << "0 means no tail";
			qspin_word_fields f = qspin_decode_word(tail);
			EXPECT_EQ(f.tail_cpu, int(cpu));
			EXPECT_EQ(f.tail_idx, idx);
			EXPECT_EQ(f.locked, 0U);
			EXPECT_EQ(f.pending, 0U);
		}
	}
}

TEST(Encoding, max_cpu_at_idx_3_fills_the_whole_tail)
{
	EXPECT_EQ(qspin_encode_tail(QSPIN_MAX_CPU, 3), 0xffff0000U);
	EXPECT_EQ(qspin_encode_tail(0, 0), 1U << QSPIN_TAIL_CPU_OFFSET);
}

TEST(Encoding, a_zero_tail_decodes_as_no_queue)
{
	qspin_word_fields f = qspin_decode_word(0);
	EXPECT_EQ(f.tail_cpu, -1);
	EXPECT_EQ(f.tail_idx, 0U);
	EXPECT_EQ(f.locked, 0U);
	EXPECT_EQ(f.pending, 0U);
}

TEST(Encoding, every_field_decodes_independently_of_the_others)
{
	const qspin_u32 tail = qspin_encode_tail(QSPIN_MAX_CPU, 2);
	const qspin_u32 word = tail | QSPIN_PENDING_VAL | QSPIN_LOCKED_VAL;
	qspin_word_fields f = qspin_decode_word(word);
	EXPECT_EQ(f.locked, 1U);
	EXPECT_EQ(f.pending, 1U);
	EXPECT_EQ(f.tail_cpu, int(QSPIN_MAX_CPU));
	EXPECT_EQ(f.tail_idx, 2U);

	f = qspin_decode_word(QSPIN_PENDING_VAL);
	EXPECT_EQ(f.locked, 0U);
	EXPECT_EQ(f.pending, 1U);
	EXPECT_EQ(f.tail_cpu, -1);

	f = qspin_decode_word(QSPIN_LOCKED_VAL);
	EXPECT_EQ(f.locked, 1U);
	EXPECT_EQ(f.pending, 0U);
	EXPECT_EQ(f.tail_cpu, -1);
}

TEST(Encoding, tail_half_word_view_equals_the_tail_bits_shifted_down)
{
	qspin_lock_word w = QSPIN_WORD_INIT;
	w.val = qspin_encode_tail(1234, 1) | QSPIN_LOCKED_VAL;
	EXPECT_EQ(qspin_u32(w.tail) << QSPIN_TAIL_OFFSET,
		  qspin_encode_tail(1234, 1));
	EXPECT_EQ(w.locked_pending, QSPIN_LOCKED_VAL);
}

} // namespace
