// SPDX-License-Identifier: GPL-2.0
//
// The host side of the atomics seam (include/qspin/lock_word.h): every
// atomic operation of qspin, fast path and slow path, calls this thread's
// observer with what it is about to do, then does it with the same
// builtin and order as the default would.
//
// The seam is read when lock_word.h is, so a translation unit includes this
// file first; and every translation unit of an executable must agree on
// the seam (the lock's inline functions are defined once per program), so
// a test that uses it is an executable of its own. The seam tests
// (atomic_seam_test.cpp) record the operations; an interleaving explorer
// would make the observer a scheduling point.
#ifndef QSPIN_TESTS_ATOMIC_HOOKS_H
#define QSPIN_TESTS_ATOMIC_HOOKS_H

#ifdef QSPIN_LOCK_WORD_H
#error "atomic_hooks.h must come before <qspin/lock_word.h>: the seam is read there"
#endif

namespace qspin::test {

enum class AtomicOp { load, store, exchange, fetch_or, compare_exchange };

// One atomic operation, as the observer sees it before it happens.
struct AtomicAccess {
	AtomicOp op;
	const void *where;
	unsigned size;
	int order; // __ATOMIC_*; for compare_exchange, the success order
};

using AtomicObserver = void (*)(const AtomicAccess &access, void *ctx);

// Per thread: threads play CPUs, each observed (or not) on its own.
inline thread_local AtomicObserver t_atomic_observer = nullptr;
inline thread_local void *t_atomic_observer_ctx = nullptr;

inline void observe_atomic(AtomicOp op, const void *where, unsigned size,
			   int order)
{
	if (t_atomic_observer)
		t_atomic_observer({op, where, size, order},
				  t_atomic_observer_ctx);
}

// always_inline, as atomic.h's helpers are: the order stays a constant
// by the time it reaches the builtin (a variable order would be treated as
// seq_cst, which is not what the core asked for).
#define QSPIN_HOOK inline __attribute__((always_inline))

template <typename T>
QSPIN_HOOK T hooked_load(const T *p, int order)
{
	observe_atomic(AtomicOp::load, p, sizeof(T), order);
	return __atomic_load_n(p, order);
}

template <typename T, typename V>
QSPIN_HOOK void hooked_store(T *p, V v, int order)
{
	observe_atomic(AtomicOp::store, p, sizeof(T), order);
	__atomic_store_n(p, T(v), order);
}

template <typename T, typename V>
QSPIN_HOOK T hooked_exchange(T *p, V v, int order)
{
	observe_atomic(AtomicOp::exchange, p, sizeof(T), order);
	return __atomic_exchange_n(p, T(v), order);
}

template <typename T, typename V>
QSPIN_HOOK T hooked_fetch_or(T *p, V v, int order)
{
	observe_atomic(AtomicOp::fetch_or, p, sizeof(T), order);
	return __atomic_fetch_or(p, T(v), order);
}

template <typename T, typename V>
QSPIN_HOOK bool hooked_cmpxchg(T *p, T *expected, V desired, int success,
			       int failure)
{
	observe_atomic(AtomicOp::compare_exchange, p, sizeof(T), success);
	return __atomic_compare_exchange_n(p, expected, T(desired), false,
					   success, failure);
}

#undef QSPIN_HOOK

} // namespace qspin::test

#define QSPIN_ATOMIC_LOAD(p, order) ::qspin::test::hooked_load(p, order)
#define QSPIN_ATOMIC_STORE(p, v, order) ::qspin::test::hooked_store(p, v, order)
#define QSPIN_ATOMIC_EXCHANGE(p, v, order) \
	::qspin::test::hooked_exchange(p, v, order)
#define QSPIN_ATOMIC_FETCH_OR(p, v, order) \
	::qspin::test::hooked_fetch_or(p, v, order)
#define QSPIN_ATOMIC_CMPXCHG(p, expected, desired, success, failure) \
	::qspin::test::hooked_cmpxchg(p, expected, desired, success, failure)

#endif // QSPIN_TESTS_ATOMIC_HOOKS_H
