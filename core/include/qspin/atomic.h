// SPDX-License-Identifier: GPL-2.0
//
// Typed atomics for qspin's core, over the atomics seam of lock_word.h.
//
// Every access to shared lock state in core/ goes through these helpers so
// that each one names its memory order at the call site. They call the
// QSPIN_ATOMIC_* macros, which are the compiler's __atomic builtins unless
// a host build has replaced them (lock_word.h says how; core/tests/
// atomic_hooks.h does it), so the slow path's operations reach the same
// seam as the fast path's. Only naturally aligned objects of 1, 2, 4 or 8
// bytes are allowed: those compile to single instructions on x86-64, never
// to libatomic calls, which the kernel build forbids (see
// scripts/check-freestanding.sh).
#ifndef QSPIN_ATOMIC_H
#define QSPIN_ATOMIC_H

#include <qspin/lock_word.h>

namespace qspin::atomic {

enum class Order : int {
	relaxed = __ATOMIC_RELAXED,
	acquire = __ATOMIC_ACQUIRE,
	release = __ATOMIC_RELEASE,
	acq_rel = __ATOMIC_ACQ_REL,
};

template <typename T>
constexpr bool lock_free_size =
	sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8;

template <typename T>
inline __attribute__((always_inline)) T load(const T *p, Order o)
{
	static_assert(lock_free_size<T>);
	return QSPIN_ATOMIC_LOAD(p, static_cast<int>(o));
}

template <typename T>
inline __attribute__((always_inline)) void store(T *p, T v, Order o)
{
	static_assert(lock_free_size<T>);
	QSPIN_ATOMIC_STORE(p, v, static_cast<int>(o));
}

template <typename T>
inline __attribute__((always_inline)) T exchange(T *p, T v, Order o)
{
	static_assert(lock_free_size<T>);
	return QSPIN_ATOMIC_EXCHANGE(p, v, static_cast<int>(o));
}

template <typename T>
inline __attribute__((always_inline)) T fetch_or(T *p, T v, Order o)
{
	static_assert(lock_free_size<T>);
	return QSPIN_ATOMIC_FETCH_OR(p, v, static_cast<int>(o));
}

// Strong compare-and-swap; on failure *expected holds the value seen.
template <typename T>
inline __attribute__((always_inline)) bool compare_exchange(T *p, T *expected,
							    T desired, Order o)
{
	static_assert(lock_free_size<T>);
	return QSPIN_ATOMIC_CMPXCHG(p, expected, desired, static_cast<int>(o),
				    __ATOMIC_RELAXED);
}

// Keeps the compiler from moving memory accesses across it; emits nothing.
// For ordering against an interrupt on the same CPU, never between CPUs.
// Not an atomic operation, so not part of the seam.
inline __attribute__((always_inline)) void compiler_barrier()
{
	asm volatile("" ::: "memory");
}

} // namespace qspin::atomic

#endif // QSPIN_ATOMIC_H
