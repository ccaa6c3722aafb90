/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qspin lock word: layout, fast path and queries.
 *
 * The one boundary between qspin's C++ core and the kernel's C side: both
 * include this file, so the layout and the fast path exist exactly once.
 * It uses only compiler builtins that C (gnu11) and C++ (gnu++17) both
 * accept, and no header at all: the kernel build adds -nostdinc and the
 * core must not see kernel headers.
 *
 * The 32-bit word, as Linux lays it out for NR_CPUS < 16K:
 *
 *   31            18 17 16 15      8 7       0
 *  +----------------+-----+---------+---------+
 *  | tail cpu + 1   | idx | pending | locked  |
 *  +----------------+-----+---------+---------+
 *
 *   locked   byte 0: 1 while an owner holds the lock
 *   pending  byte 1: 1 while the first waiter spins on the locked byte
 *   tail     bits 16-31: the last queued waiter, as (cpu + 1, node index);
 *            0 means no queue. The node index is the waiter's nesting depth
 *            on its CPU (task, softirq, hardirq, NMI).
 *
 * State transitions are written as (tail, pending, locked) triples, as in
 * kernel/locking/qspinlock.c; the ones made here:
 *
 *   0,0,0 -> 0,0,1   qspin_word_trylock / qspin_word_lock_fast
 *   *,*,1 -> *,*,0   qspin_word_unlock
 *
 * Everything else happens in the slow path (core/include/qspin/queued_lock.h).
 *
 * The atomics seam: every atomic operation of qspin, the fast path here and
 * the C++ slow path (core/include/qspin/atomic.h), is one of the five
 * QSPIN_ATOMIC_* macros below. They default to the compiler's __atomic
 * builtins, so the kernel's objects compile exactly as if the builtins were
 * written in place. A host build may define all five before it includes
 * this header, to observe or schedule every atomic operation without
 * touching the algorithm: core/tests/atomic_hooks.h routes them through a
 * per-thread observer (the host tests count the operations; an
 * interleaving explorer puts a scheduling point in each). Arguments are
 * the builtins': a pointer to a naturally aligned 1, 2, 4 or 8 byte
 * object, values, and __ATOMIC_* orders.
 *
 * Lives in include/ beside qspin.h: a driver builds with that one -I folder.
 */
#ifndef QSPIN_LOCK_WORD_H
#define QSPIN_LOCK_WORD_H

#ifdef __cplusplus
#define QSPIN_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#define QSPIN_EXTERN_C extern "C"
#define QSPIN_INLINE inline __attribute__((always_inline))
#else
#define QSPIN_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#define QSPIN_EXTERN_C
#define QSPIN_INLINE static inline __attribute__((always_inline))
#endif

/* The atomics seam (see above): a host build defines all five or none. */
#ifndef QSPIN_ATOMIC_LOAD
#define QSPIN_ATOMIC_LOAD(p, order)		__atomic_load_n(p, order)
#define QSPIN_ATOMIC_STORE(p, v, order)		__atomic_store_n(p, v, order)
#define QSPIN_ATOMIC_EXCHANGE(p, v, order)	__atomic_exchange_n(p, v, order)
#define QSPIN_ATOMIC_FETCH_OR(p, v, order)	__atomic_fetch_or(p, v, order)
/* Strong compare-and-swap; on failure *expected holds the value seen. */
#define QSPIN_ATOMIC_CMPXCHG(p, expected, desired, success, failure) \
	__atomic_compare_exchange_n(p, expected, desired, 0, success, failure)
#endif

typedef __UINT8_TYPE__ qspin_u8;
typedef __UINT16_TYPE__ qspin_u16;
typedef __UINT32_TYPE__ qspin_u32;

/*
 * The lock word. The byte and half-word views are what the slow path
 * stores to (locked byte release, locked_pending half-word, tail half-word
 * exchange); they are little-endian views, which is all x86 needs.
 */
struct qspin_lock_word {
	union {
		qspin_u32 val;
		struct {
			qspin_u8 locked;
			qspin_u8 pending;
		};
		struct {
			qspin_u16 locked_pending;
			qspin_u16 tail;
		};
	};
};

QSPIN_STATIC_ASSERT(sizeof(struct qspin_lock_word) == 4,
		    "the lock word is 32 bits");
QSPIN_STATIC_ASSERT(__alignof__(struct qspin_lock_word) == 4,
		    "the lock word is naturally aligned");
QSPIN_STATIC_ASSERT(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
		    "byte views assume little endian");

#define QSPIN_WORD_INIT { { 0 } }


/* Field geometry. */
#define QSPIN_LOCKED_OFFSET	0
#define QSPIN_LOCKED_BITS	8
#define QSPIN_PENDING_OFFSET	8
#define QSPIN_PENDING_BITS	8
#define QSPIN_TAIL_IDX_OFFSET	16
#define QSPIN_TAIL_IDX_BITS	2
#define QSPIN_TAIL_CPU_OFFSET	18
#define QSPIN_TAIL_CPU_BITS	14
#define QSPIN_TAIL_OFFSET	QSPIN_TAIL_IDX_OFFSET

#define QSPIN_FIELD_MASK(f) \
	(((1U << QSPIN_##f##_BITS) - 1) << QSPIN_##f##_OFFSET)
#define QSPIN_LOCKED_MASK	QSPIN_FIELD_MASK(LOCKED)
#define QSPIN_PENDING_MASK	QSPIN_FIELD_MASK(PENDING)
#define QSPIN_TAIL_IDX_MASK	QSPIN_FIELD_MASK(TAIL_IDX)
#define QSPIN_TAIL_CPU_MASK	(~0U << QSPIN_TAIL_CPU_OFFSET)
#define QSPIN_TAIL_MASK		(QSPIN_TAIL_IDX_MASK | QSPIN_TAIL_CPU_MASK)
#define QSPIN_LOCKED_PENDING_MASK (QSPIN_LOCKED_MASK | QSPIN_PENDING_MASK)

#define QSPIN_LOCKED_VAL	(1U << QSPIN_LOCKED_OFFSET)
#define QSPIN_PENDING_VAL	(1U << QSPIN_PENDING_OFFSET)

/*
 * Queue nodes per CPU: one per context that can be in the slow path. A
 * test-only build of qspin.ko may have fewer (QSPIN_TEST_MAX_NODES, from
 * kmod/qspin/Kbuild), so that the beyond-four fallback is reached in the
 * kernel; the word's idx field keeps its two bits either way.
 */
#ifdef QSPIN_TEST_MAX_NODES
#define QSPIN_MAX_NODES		QSPIN_TEST_MAX_NODES
#else
#define QSPIN_MAX_NODES		4
#endif
/* Largest CPU number whose cpu + 1 fits the tail cpu field. */
#define QSPIN_MAX_CPU		((1U << QSPIN_TAIL_CPU_BITS) - 2)
/* Reads of an exactly-"pending" word before queuing (Linux's x86 value). */
#define QSPIN_PENDING_LOOPS	512

QSPIN_STATIC_ASSERT(QSPIN_TAIL_CPU_OFFSET + QSPIN_TAIL_CPU_BITS == 32,
		    "tail cpu ends at bit 31");
QSPIN_STATIC_ASSERT(QSPIN_TAIL_IDX_OFFSET + QSPIN_TAIL_IDX_BITS ==
		    QSPIN_TAIL_CPU_OFFSET, "idx sits right below tail cpu");
QSPIN_STATIC_ASSERT(QSPIN_MAX_NODES >= 1 &&
		    (1U << QSPIN_TAIL_IDX_BITS) >= QSPIN_MAX_NODES,
		    "idx field holds one value per queue node");
QSPIN_STATIC_ASSERT((QSPIN_LOCKED_MASK & QSPIN_PENDING_MASK) == 0 &&
		    (QSPIN_LOCKED_PENDING_MASK & QSPIN_TAIL_MASK) == 0 &&
		    (QSPIN_LOCKED_PENDING_MASK | QSPIN_TAIL_MASK) == ~0U,
		    "fields tile the word");
QSPIN_STATIC_ASSERT(QSPIN_MAX_CPU == 16382, "NR_CPUS < 16K layout");

/*
 * MCS queue node: 16 bytes; a CPU's four nodes share one cache line.
 * A waiter spins on its own node's `locked` only. `count` is used in
 * node 0 alone: the CPU's current slow-path nesting depth, which is also
 * the index of the next free node.
 */
struct qspin_node {
	struct qspin_node *next;
	qspin_u32 locked;
	qspin_u32 count;
};

struct qspin_node_block {
	struct qspin_node node[QSPIN_MAX_NODES];
} __attribute__((aligned(64)));

QSPIN_STATIC_ASSERT(sizeof(struct qspin_node) == 16, "queue node is 16 bytes");
QSPIN_STATIC_ASSERT(sizeof(struct qspin_node_block) == 64 &&
		    __alignof__(struct qspin_node_block) == 64,
		    "a CPU's node block is one cache line");

/*
 * Slow-path events an environment may count (statistics and test proofs):
 * the one list. X(ENUM, name) expands to enum qspin_event's QSPIN_EV_ENUM
 * here, to qspin::Event's members (environment.h) and to the counter names
 * of /sys/kernel/debug/qspin/stats.
 */
#define QSPIN_EVENTS(X)							\
	X(PENDING, pending)	    /* took the lock through the pending bit */ \
	X(QUEUED, queued)	    /* entered the MCS queue path */	\
	X(DEPTH2, nested_depth2)    /* node 1: a lower context waits too */ \
	X(DEPTH3, nested_depth3)    /* node 2 */			\
	X(DEPTH4, nested_depth4)    /* node 3 */			\
	X(BEYOND, beyond_max_nodes) /* deeper than four: no node */

enum qspin_event {
#define QSPIN_EVENT_ENUM(e, name) QSPIN_EV_##e,
	QSPIN_EVENTS(QSPIN_EVENT_ENUM)
#undef QSPIN_EVENT_ENUM
	QSPIN_EV_NR
};

/* Tail encoding: (cpu + 1, idx); 0 is "no tail". */
QSPIN_INLINE qspin_u32 qspin_encode_tail(unsigned int cpu, unsigned int idx)
{
	return ((qspin_u32)(cpu + 1) << QSPIN_TAIL_CPU_OFFSET) |
	       ((qspin_u32)idx << QSPIN_TAIL_IDX_OFFSET);
}

/* A snapshot of the word, decoded for diagnostics and tests. */
struct qspin_word_fields {
	unsigned int locked;
	unsigned int pending;
	int tail_cpu;		/* -1: no queue */
	unsigned int tail_idx;
};

QSPIN_INLINE struct qspin_word_fields qspin_decode_word(qspin_u32 val)
{
	struct qspin_word_fields f;

	f.locked = (val & QSPIN_LOCKED_MASK) >> QSPIN_LOCKED_OFFSET;
	f.pending = (val & QSPIN_PENDING_MASK) >> QSPIN_PENDING_OFFSET;
	f.tail_cpu = (int)(val >> QSPIN_TAIL_CPU_OFFSET) - 1;
	f.tail_idx = (val & QSPIN_TAIL_IDX_MASK) >> QSPIN_TAIL_IDX_OFFSET;
	return f;
}

QSPIN_INLINE qspin_u32 qspin_word_read(const struct qspin_lock_word *w)
{
	return QSPIN_ATOMIC_LOAD(&w->val, __ATOMIC_RELAXED);
}

QSPIN_INLINE int qspin_word_is_locked(const struct qspin_lock_word *w)
{
	return qspin_word_read(w) != 0;
}

/* Someone waits besides the owner: a pending waiter or a queue. */
QSPIN_INLINE int qspin_word_is_contended(const struct qspin_lock_word *w)
{
	return (qspin_word_read(w) & ~QSPIN_LOCKED_MASK) != 0;
}

/*
 * Fast path: 0,0,0 -> 0,0,1 with one compare-and-swap.
 * Acquire pairs with the release in qspin_word_unlock (and with the
 * slow path's hand-over stores): the previous critical section happens
 * before ours. Returns nonzero when taken; otherwise *val holds the word
 * seen, which the caller hands to the slow path.
 */
QSPIN_INLINE int qspin_word_lock_fast(struct qspin_lock_word *w,
				      qspin_u32 *val)
{
	*val = 0;
	return __builtin_expect(QSPIN_ATOMIC_CMPXCHG(&w->val, val,
				QSPIN_LOCKED_VAL, __ATOMIC_ACQUIRE,
				__ATOMIC_RELAXED), 1);
}

/*
 * trylock: 0,0,0 -> 0,0,1, and no write at all when the word is not 0
 * (a failed CAS would still take the cache line exclusive).
 */
QSPIN_INLINE int qspin_word_trylock(struct qspin_lock_word *w)
{
	qspin_u32 val = qspin_word_read(w);

	if (__builtin_expect(val != 0, 0))
		return 0;
	return QSPIN_ATOMIC_CMPXCHG(&w->val, &val, QSPIN_LOCKED_VAL,
				    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/*
 * Unlock: *,*,1 -> *,*,0. A release store of the locked byte only: pending
 * and tail belong to the waiters. Pairs with the acquire loads in the fast
 * path and in the slow path's waits on the locked byte.
 */
QSPIN_INLINE void qspin_word_unlock(struct qspin_lock_word *w)
{
	QSPIN_ATOMIC_STORE(&w->locked, 0, __ATOMIC_RELEASE);
}

#endif /* QSPIN_LOCK_WORD_H */
