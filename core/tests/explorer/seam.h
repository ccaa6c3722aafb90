// SPDX-License-Identifier: GPL-2.0
//
// The explorer's side of the atomics seam (include/qspin/lock_word.h):
// every QSPIN_ATOMIC_* operation of the core, fast path and slow path,
// becomes a call to explore::perform(), which is a scheduling point (the
// virtual CPU stops there until the explorer picks it) and then carries
// out the operation under the memory model being explored (sequential
// consistency or x86-TSO with store buffers, engine.cpp). The core's
// headers are compiled unchanged over it.
//
// Unlike atomic_hooks.h, which observes an operation and then performs it
// with the real builtin, this seam performs nothing itself: under TSO a
// store goes to the CPU's store buffer, not to memory. Like it, it must be
// read before lock_word.h, and every translation unit of the executable
// must agree on it.
#ifndef QSPIN_EXPLORER_SEAM_H
#define QSPIN_EXPLORER_SEAM_H

#ifdef QSPIN_LOCK_WORD_H
#error "explorer/seam.h must come before <qspin/lock_word.h>: the seam is read there"
#endif

namespace qspin::explore {

using u64 = unsigned long long;

enum class OpKind : unsigned char {
	load,
	store,
	exchange,
	fetch_or,
	compare_exchange,
};

// One atomic operation of the core, as the explorer receives it.
struct OpRequest {
	OpKind kind;
	unsigned char size;	// 1, 2, 4 or 8 bytes
	int order;		// __ATOMIC_*; compare_exchange: on success
	void *where;
	u64 value;		// store, exchange, fetch_or; compare_exchange: desired
	u64 expected;		// compare_exchange only
};

// Scheduling point, then the operation under the model. Returns the value
// loaded, or the old value of a read-modify-write. Not inlined: its return
// address names the step of the core that called it (a counterexample
// prints it).
__attribute__((noinline)) u64 perform(OpRequest &request);

template <typename T>
inline __attribute__((always_inline)) u64 to_bits(T v)
{
	static_assert(sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4 ||
		      sizeof(T) == 8);
	if constexpr (sizeof(T) == 1)
		return __builtin_bit_cast(unsigned char, v);
	else if constexpr (sizeof(T) == 2)
		return __builtin_bit_cast(unsigned short, v);
	else if constexpr (sizeof(T) == 4)
		return __builtin_bit_cast(unsigned int, v);
	else
		return __builtin_bit_cast(unsigned long long, v);
}

template <typename T>
inline __attribute__((always_inline)) T from_bits(u64 b)
{
	if constexpr (sizeof(T) == 1)
		return __builtin_bit_cast(T, (unsigned char)b);
	else if constexpr (sizeof(T) == 2)
		return __builtin_bit_cast(T, (unsigned short)b);
	else if constexpr (sizeof(T) == 4)
		return __builtin_bit_cast(T, (unsigned int)b);
	else
		return __builtin_bit_cast(T, (unsigned long long)b);
}

#define QSPIN_EXPLORE_HOOK inline __attribute__((always_inline))

template <typename T>
QSPIN_EXPLORE_HOOK T seam_load(const T *p, int order)
{
	OpRequest r{OpKind::load, sizeof(T), order, (void *)p, 0, 0};
	return from_bits<T>(perform(r));
}

template <typename T, typename V>
QSPIN_EXPLORE_HOOK void seam_store(T *p, V v, int order)
{
	OpRequest r{OpKind::store, sizeof(T), order, p, to_bits(T(v)), 0};
	perform(r);
}

template <typename T, typename V>
QSPIN_EXPLORE_HOOK T seam_exchange(T *p, V v, int order)
{
	OpRequest r{OpKind::exchange, sizeof(T), order, p, to_bits(T(v)), 0};
	return from_bits<T>(perform(r));
}

template <typename T, typename V>
QSPIN_EXPLORE_HOOK T seam_fetch_or(T *p, V v, int order)
{
	OpRequest r{OpKind::fetch_or, sizeof(T), order, p, to_bits(T(v)), 0};
	return from_bits<T>(perform(r));
}

template <typename T, typename V>
QSPIN_EXPLORE_HOOK bool seam_cmpxchg(T *p, T *expected, V desired,
				     int success, int)
{
	OpRequest r{OpKind::compare_exchange, sizeof(T), success, p,
		    to_bits(T(desired)), to_bits(*expected)};
	u64 old = perform(r);
	if (old == r.expected)
		return true;
	*expected = from_bits<T>(old);
	return false;
}

#undef QSPIN_EXPLORE_HOOK

} // namespace qspin::explore

#define QSPIN_ATOMIC_LOAD(p, order) ::qspin::explore::seam_load(p, order)
#define QSPIN_ATOMIC_STORE(p, v, order) ::qspin::explore::seam_store(p, v, order)
#define QSPIN_ATOMIC_EXCHANGE(p, v, order) \
	::qspin::explore::seam_exchange(p, v, order)
#define QSPIN_ATOMIC_FETCH_OR(p, v, order) \
	::qspin::explore::seam_fetch_or(p, v, order)
#define QSPIN_ATOMIC_CMPXCHG(p, expected, desired, success, failure) \
	::qspin::explore::seam_cmpxchg(p, expected, desired, success, failure)

#endif // QSPIN_EXPLORER_SEAM_H
