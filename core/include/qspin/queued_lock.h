// SPDX-License-Identifier: GPL-2.0
//
// qspin's queued spinlock: the slow path (pending bit + MCS queue) and a C++
// lock type over it.
//
// Used by the kernel module (kmod/qspin/core_env.cpp instantiates
// slow_path() with the kernel's environment) and by the host tests and
// benchmark (core/tests/, with threads playing CPUs). The lock word and the
// one-CAS fast path live in lock_word.h, shared with the kernel's C side.
//
// The algorithm is the one Linux uses on x86 (kernel/locking/qspinlock.c).
// Transitions of the (tail, pending, locked) triple, where "n" is a queue
// tail and "*" any value:
//
//   fast path     0,0,0 -> 0,0,1                      one CAS (lock_word.h)
//   pending       0,0,1 -> 0,1,1 -> 0,1,0 -> 0,0,1    first waiter
//   queue         *,*,* -> n,*,*                      publish tail
//                 n,0,0 -> 0,0,1                      last waiter claims
//                 n,0,0 -> n,0,1                      head claims, queue stays
//   unlock        *,*,1 -> *,*,0                      release the byte
//
// Memory orders follow the C++ model rather than x86's: every hand-over is a
// release store paired with an acquire load of the same location, so
// ThreadSanitizer can check the protocol (it does not model fences, and the
// core has none). Every atomic operation goes through atomic.h, over the
// seam in lock_word.h that a host build may replace.
//
// The slow path is written as named steps in the order they run: the
// word's transitions, then the pending path's and the queue's steps;
// slow_path() at the end tries the pending path, then queues, as
// queued_spin_lock_slowpath() does. Every step beyond a single store or
// exchange is a template on the environment, even where it does not call
// it: a build may give its own environment a different version of one step
// by explicit specialization, as the kernel's paravirt hooks replace one.
// The host tests build their mutants that way (core/tests/mutants/); the
// correct algorithm is the only one in this file.
#ifndef QSPIN_QUEUED_LOCK_H
#define QSPIN_QUEUED_LOCK_H

#include <qspin/atomic.h>
#include <qspin/environment.h>
#include <qspin/lock_word.h>

namespace qspin {

using u8 = qspin_u8;
using u16 = qspin_u16;
using u32 = qspin_u32;
using atomic::Order;

namespace detail {

// Spin until done(value) holds; every iteration calls the environment's
// spin hook (watchdogs, diagnostics, yielding on an oversubscribed host)
// and cpu_relax.
template <typename Env, typename T, typename Done>
inline T spin_until(const T *where, Order order, const qspin_lock_word *lock,
		    Done done)
{
	for (;;) {
		T seen = atomic::load(where, order);
		if (done(seen))
			return seen;
		Env::spin_hook(lock);
		Env::cpu_relax();
	}
}

// *,1,* -> *,0,*   (we set pending but lost the race; undo it)
inline void clear_pending(qspin_lock_word *lock)
{
	atomic::store(&lock->pending, u8(0), Order::relaxed);
}

// *,1,0 -> *,0,1   (the pending waiter takes over). Relaxed: the acquire
// was the wait that saw the locked byte clear.
inline void clear_pending_set_locked(qspin_lock_word *lock)
{
	atomic::store(&lock->locked_pending, u16(QSPIN_LOCKED_VAL),
		      Order::relaxed);
}

// *,0,0 -> *,0,1   (the queue head takes the lock, the queue stays)
inline void set_locked(qspin_lock_word *lock)
{
	atomic::store(&lock->locked, u8(QSPIN_LOCKED_VAL), Order::relaxed);
}

// *,*,* -> *,1,*   Set pending and return the word as it was, pending
// bit included. One RMW that cannot fail, as Linux does on x86: a fetch_or
// whose result we used whole would compile to a compare-and-swap loop that
// retries under contention; testing only the pending bit compiles to
// `lock bts`. The rest of the word is read after it: acquire, so that a
// locked byte seen clear there pairs with the owner's release (the bts may
// have read the word before that release).
template <typename Env>
inline u32 fetch_set_pending(qspin_lock_word *lock)
{
	u32 pending = atomic::fetch_or(&lock->val, u32(QSPIN_PENDING_VAL),
				       Order::acquire) &
		      QSPIN_PENDING_VAL;
	return pending |
	       (atomic::load(&lock->val, Order::acquire) & ~QSPIN_PENDING_MASK);
}

// p,*,* -> n,*,*   Publish our node as the tail; returns the old word's
// tail bits. Release: our node's initialisation happens before anyone
// finds it through the tail. Acquire: the previous tail's initialisation
// of its node (next = null) happens before we link into it.
inline u32 xchg_tail(qspin_lock_word *lock, u32 tail)
{
	u16 old = atomic::exchange(&lock->tail,
				   u16(tail >> QSPIN_TAIL_OFFSET),
				   Order::acq_rel);
	return u32(old) << QSPIN_TAIL_OFFSET;
}

// 0,1,1 -> 0,1,0   The pending waiter, having seen `val`, waits for the
// owner's release if there is an owner (pairs with qspin_word_unlock's
// release store).
template <typename Env>
inline void wait_for_owner(qspin_lock_word *lock, u32 val)
{
	if (val & QSPIN_LOCKED_MASK)
		spin_until<Env>(&lock->locked, Order::acquire, lock,
				[](u8 locked) { return locked == 0; });
}

// This context's queue node: one per nesting depth on this CPU.
template <typename Env>
inline qspin_node *grab_node(qspin_node_block *block, u32 idx)
{
	return &block->node[idx];
}

// The queue node a tail names, on any CPU.
template <typename Env>
inline qspin_node *decode_tail(u32 tail)
{
	struct qspin_word_fields f = qspin_decode_word(tail);
	return &Env::cpu_nodes(unsigned(f.tail_cpu))->node[f.tail_idx];
}

// n,*,* -> n,0,0   The queue head waits for the owner and the pending
// waiter to leave; returns the word it saw. Acquire pairs with the owner's
// unlock.
template <typename Env>
inline u32 wait_for_owner_and_pending(const qspin_lock_word *lock)
{
	return spin_until<Env>(&lock->val, Order::acquire, lock, [](u32 v) {
		return (v & QSPIN_LOCKED_PENDING_MASK) == 0;
	});
}

// n,0,0 -> 0,0,1   When our node is still the tail we are the last waiter:
// take the lock and empty the queue in one step. A compare-and-swap, so a
// waiter that publishes its tail after `val` was read is not lost.
// Relaxed: the acquire was the wait that returned `val`.
template <typename Env>
inline bool claim_as_last_waiter(qspin_lock_word *lock, u32 val, u32 tail)
{
	return (val & QSPIN_TAIL_MASK) == tail &&
	       atomic::compare_exchange(&lock->val, &val,
					u32(QSPIN_LOCKED_VAL), Order::relaxed);
}

// Pass the MCS lock on to the successor, waiting for it to link in when
// it has published its tail but not yet written our ->next. Acquire pairs
// with its release store of our ->next (its node is initialised); release
// pairs with its acquire wait on its ->locked.
template <typename Env>
inline void pass_queue_on(const qspin_lock_word *lock, qspin_node *node,
			  qspin_node *next)
{
	if (!next)
		next = spin_until<Env>(&node->next, Order::acquire, lock,
				       [](qspin_node *n) { return n != nullptr; });
	atomic::store(&next->locked, u32(1), Order::release);
}

// Head of the queue: take the lock once the owner and the pending waiter
// are gone, then hand the head on. `next` is our successor if it has
// linked in already.
template <typename Env>
inline void acquire_as_queue_head(qspin_lock_word *lock, qspin_node *node,
				  qspin_node *next, u32 tail)
{
	u32 val = wait_for_owner_and_pending<Env>(lock);

	if (claim_as_last_waiter<Env>(lock, val, tail))
		return;

	// n,0,0 -> n,0,1   Somebody queued behind us, or set pending and
	// will see our tail and queue: either way a successor will link in.
	set_locked(lock);
	pass_queue_on<Env>(lock, node, next);
}

// The pending path: the first waiter spins on the locked byte instead of
// queuing. Returns true with the lock held, false when the caller must
// queue. `val` is the word seen by the failed fast path.
template <typename Env>
inline bool acquire_pending(qspin_lock_word *lock, u32 val)
{
	// 0,1,0 -> 0,0,1 is in flight: the pending waiter is taking over.
	// Wait a bounded while for it rather than queue at once.
	if (val == QSPIN_PENDING_VAL) {
		int loops = QSPIN_PENDING_LOOPS;
		val = spin_until<Env>(&lock->val, Order::relaxed, lock,
				      [&loops](u32 v) {
					      return v != QSPIN_PENDING_VAL ||
						     loops-- == 0;
				      });
	}

	// Anyone besides the owner (pending or a queue): queue behind them.
	if (val & ~QSPIN_LOCKED_MASK)
		return false;

	// 0,0,* -> 0,1,*
	val = fetch_set_pending<Env>(lock);
	if (val & ~QSPIN_LOCKED_MASK) {
		// Somebody else got pending or queued first. Undo our bit
		// (only if we were the one who set it) and queue.
		if (!(val & QSPIN_PENDING_MASK))
			clear_pending(lock);
		return false;
	}
	Env::count(Event::pending);

	// 0,1,1 -> 0,1,0
	wait_for_owner<Env>(lock, val);

	// 0,1,0 -> 0,0,1
	clear_pending_set_locked(lock);
	return true;
}

// The MCS queue. Each CPU owns four nodes, one per context that can be in
// the slow path at once (task, softirq, hardirq, NMI); node 0's count is
// the depth, so an interrupt on this CPU takes the next node and returns
// it before the interrupted waiter resumes.
template <typename Env>
inline void acquire_queued(qspin_lock_word *lock, qspin_node_block *block,
			   unsigned cpu)
{
	Env::count(Event::queued);

	const u32 idx = block->node[0].count++;
	// Increment before touching our node: an interrupt arriving between
	// the two must already see the node in use. Same CPU, so a compiler
	// barrier is the whole ordering needed.
	atomic::compiler_barrier();

	if (idx >= QSPIN_MAX_NODES) {
		// Deeper than task/softirq/hardirq/NMI: only possible with
		// nested NMIs or a bug. Spin on trylock without a node.
		Env::count(Event::beyond_max_nodes);
		while (!qspin_word_trylock(lock)) {
			Env::spin_hook(lock);
			Env::cpu_relax();
		}
		goto release;
	}
	if (idx > 0)
		Env::count(static_cast<Event>(
			static_cast<unsigned>(Event::nested_depth2) + idx - 1));

	{
		qspin_node *node = grab_node<Env>(block, idx);
		const u32 tail = qspin_encode_tail(cpu, idx);

		atomic::store(&node->locked, u32(0), Order::relaxed);
		atomic::store(&node->next, (qspin_node *)nullptr,
			      Order::relaxed);

		// The lock may have been released while we set up.
		if (qspin_word_trylock(lock))
			goto release;

		// *,*,* -> n,*,*
		const u32 old = xchg_tail(lock, tail);
		qspin_node *next = nullptr;

		if (old & QSPIN_TAIL_MASK) {
			// Link behind the previous tail. Release pairs with
			// its acquire load of ->next: our node's init is
			// visible before it writes our ->locked.
			qspin_node *prev = decode_tail<Env>(old);
			atomic::store(&prev->next, node, Order::release);

			// Wait for the MCS hand-over; acquire pairs with the
			// predecessor's release store of our ->locked.
			spin_until<Env>(&node->locked, Order::acquire, lock,
					[](u32 v) { return v != 0; });
			next = atomic::load(&node->next, Order::acquire);
		}

		acquire_as_queue_head<Env>(lock, node, next, tail);
	}

release:
	atomic::compiler_barrier();
	block->node[0].count--;
}

} // namespace detail

// Contended acquisition: `val` is the word the failed fast path saw;
// `nodes` and `cpu` are this CPU's node block and number (the caller holds
// preemption off, so both stay this CPU's throughout).
template <LockEnvironment Env>
void slow_path(qspin_lock_word *lock, u32 val, qspin_node_block *nodes,
	       unsigned cpu)
{
	if (!detail::acquire_pending<Env>(lock, val))
		detail::acquire_queued<Env>(lock, nodes, cpu);
}

// The lock as a C++ type: what host tests and benchmarks use. The kernel
// side uses the C API in include/qspin.h over the same word.
template <LockEnvironment Env>
class QueuedSpinLock {
public:
	constexpr QueuedSpinLock() = default;
	QueuedSpinLock(const QueuedSpinLock &) = delete;
	QueuedSpinLock &operator=(const QueuedSpinLock &) = delete;

	void lock()
	{
		u32 val;
		if (!qspin_word_lock_fast(&word_, &val))
			slow_path<Env>(&word_, val, Env::this_cpu_nodes(),
				       Env::cpu_id());
	}
	bool try_lock() { return qspin_word_trylock(&word_); }
	void unlock() { qspin_word_unlock(&word_); }

	bool is_locked() const { return qspin_word_is_locked(&word_); }
	bool is_contended() const { return qspin_word_is_contended(&word_); }
	u32 snapshot() const { return qspin_word_read(&word_); }
	qspin_lock_word *word() { return &word_; }

private:
	qspin_lock_word word_ = QSPIN_WORD_INIT;
};

} // namespace qspin

#endif // QSPIN_QUEUED_LOCK_H
