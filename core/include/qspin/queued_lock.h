// SPDX-License-Identifier: GPL-2.0
//
// qspin's queued spinlock: the slow path (pending bit + MCS queue) and a C++
// lock type over it.
//
// Used by the kernel module (kmod/qspin/core_env.cpp instantiates
// slow_path() and slow_path_checked() with the kernel's environments) and by the host tests and
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
// A checked waiter (slow_path_checked(), qspin_lock_checked()'s) may also
// leave without the lock, at three points, the others' queue intact ("m" a
// tail that is not ours, "p"/"l" pending/locked as they are):
//
//   leave pending *,1,* -> *,0,*                      pending waiter
//   leave head    n,p,l -> 0,p,l                      last waiter: tail CAS
//                 m,p,l    (as is)                    head-ship passed on
//                                                     (successor ->locked=1)
//   leave beyond  *,*,*    (as is)                    no node: stop trying
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
// queued_spin_lock_slowpath() does; slow_path_checked() runs the checked
// waiter's versions of the waits (the "_or_leave" steps, from the section
// "The checked waiter" on) and never runs in slow_path(). Every step beyond a single store or
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

// A checked waiter's spin_until: the same loop, and after the spin hook it
// asks the environment whether to leave. Returns the value seen last: when
// *left is nonzero the waiter was told to leave after a read that did not
// satisfy done(), and leaves whatever the location holds since.
template <typename Env, typename T, typename Done>
inline T spin_until_or_leave(const T *where, Order order,
			     const qspin_lock_word *lock, Done done, int *left)
{
	for (;;) {
		T seen = atomic::load(where, order);
		if (done(seen))
			return seen;
		Env::spin_hook(lock);
		*left = Env::should_leave(lock);
		if (*left)
			return seen;
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

// Become the pending waiter: the first waiter spins on the locked byte
// instead of queuing. Returns true when we set pending (0,0,* -> 0,1,*),
// with *val the word as our RMW found it; false when the caller must
// queue. `*val` is the word seen by the failed fast path.
template <typename Env>
inline bool become_pending_waiter(qspin_lock_word *lock, u32 *val)
{
	// 0,1,0 -> 0,0,1 is in flight: the pending waiter is taking over.
	// Wait a bounded while for it rather than queue at once.
	if (*val == QSPIN_PENDING_VAL) {
		int loops = QSPIN_PENDING_LOOPS;
		*val = spin_until<Env>(&lock->val, Order::relaxed, lock,
				       [&loops](u32 v) {
					       return v != QSPIN_PENDING_VAL ||
						      loops-- == 0;
				       });
	}

	// Anyone besides the owner (pending or a queue): queue behind them.
	if (*val & ~QSPIN_LOCKED_MASK)
		return false;

	// 0,0,* -> 0,1,*
	*val = fetch_set_pending<Env>(lock);
	if (*val & ~QSPIN_LOCKED_MASK) {
		// Somebody else got pending or queued first. Undo our bit
		// (only if we were the one who set it) and queue.
		if (!(*val & QSPIN_PENDING_MASK))
			clear_pending(lock);
		return false;
	}
	return true;
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

// Take this context's node index: node 0's count, incremented before we
// touch our node, so that an interrupt arriving between the two already
// sees the node in use. Same CPU, so a compiler barrier is the whole
// ordering needed. Returns the index (the depth before us).
template <typename Env>
inline u32 take_node_index(qspin_node_block *block)
{
	const u32 idx = block->node[0].count++;
	atomic::compiler_barrier();
	return idx;
}

// Give the node index back, on every way out of the queue path.
template <typename Env>
inline void put_node_index(qspin_node_block *block)
{
	atomic::compiler_barrier();
	block->node[0].count--;
}

// Set up our node and join the queue. Returns true when the lock was
// released while we set up and we took it (no queue joined); false when we
// are the queue head, with *next our successor if it linked in already.
template <typename Env>
inline bool join_queue(qspin_lock_word *lock, qspin_node *node, u32 tail,
		       qspin_node **next)
{
	atomic::store(&node->locked, u32(0), Order::relaxed);
	atomic::store(&node->next, (qspin_node *)nullptr, Order::relaxed);

	// The lock may have been released while we set up.
	if (qspin_word_trylock(lock))
		return true;

	// *,*,* -> n,*,*
	const u32 old = xchg_tail(lock, tail);
	*next = nullptr;

	if (old & QSPIN_TAIL_MASK) {
		// Link behind the previous tail. Release pairs with its
		// acquire load of ->next: our node's init is visible before
		// it writes our ->locked.
		qspin_node *prev = decode_tail<Env>(old);
		atomic::store(&prev->next, node, Order::release);

		// Wait for the MCS hand-over; acquire pairs with the
		// predecessor's release store of our ->locked.
		spin_until<Env>(&node->locked, Order::acquire, lock,
				[](u32 v) { return v != 0; });
		*next = atomic::load(&node->next, Order::acquire);
	}
	return false;
}

// Counts a nested context's depth (node 1..3).
template <typename Env>
inline void count_queued_depth(u32 idx)
{
	if (idx > 0)
		Env::count(static_cast<Event>(
			static_cast<unsigned>(Event::nested_depth2) + idx - 1));
}

// The plain waiter's queue path. Its middle is join_queue() written out:
// with the step called instead, GCC 12 swaps two registers in the kernel's
// qspin_slowpath(), and the plain path is to stay byte for byte what it
// was (compare `objdump -d kmod/qspin/core_env.o` before and after a
// change). Keep the two in step.
template <typename Env>
inline void acquire_queued(qspin_lock_word *lock, qspin_node_block *block,
			   unsigned cpu)
{
	Env::count(Event::queued);

	const u32 idx = take_node_index<Env>(block);

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
	count_queued_depth<Env>(idx);

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
			// Link behind the previous tail, wait for the MCS
			// hand-over (orders: see join_queue).
			qspin_node *prev = decode_tail<Env>(old);
			atomic::store(&prev->next, node, Order::release);
			spin_until<Env>(&node->locked, Order::acquire, lock,
					[](u32 v) { return v != 0; });
			next = atomic::load(&node->next, Order::acquire);
		}

		acquire_as_queue_head<Env>(lock, node, next, tail);
	}

release:
	put_node_index<Env>(block);
}

// ---------------------------------------------------------------------------
// The checked waiter (slow_path_checked, an AbortableEnvironment): the same
// steps, and at the three points where a waiter can leave it asks the
// environment, and leaves as follows, the queue intact for the others:
//
//   pending waiter   *,1,* -> *,0,*   clear pending; the owner and the queue
//                                     go on as if we never came
//   queue head, last n,p,l -> 0,p,l   one CAS takes our tail out, keeping
//                                     locked and pending as they are
//   queue head, not  m,p,l (as is)    wait for the successor to link in,
//     the last                        then pass head-ship on to it
//                                     (next->locked = 1) without the lock
//   beyond four      (as is)          stop trying the lock
//
// A checked waiter in the middle of the queue cannot leave: nobody but its
// predecessor may write its ->locked, and unlinking it would race with
// that. It waits to be the head (bounded when every waiter ahead of it is
// checked too: each of them leaves or takes the lock in time) and leaves
// as the head.
//
// The choice when the lock frees up as we decide: a waiter asks only after
// a read showed the lock taken (the read that shows it free takes it, as a
// plain waiter would); once told to leave, it leaves, even if the owner
// has released since. Leaving then loses nothing: the pending bit or the
// head-ship goes on to whoever is next, who takes the free lock.
//
// Node reuse: the node index is given back on every way out
// (put_node_index, via release_node_index), and our node is then free for
// the next context on this CPU. Nobody can still reach it:
//   - after the tail CAS, the tail that named our node is gone from the
//     word, and nobody ever read it from there with xchg_tail (the CAS
//     would have failed), so no successor will write our ->next;
//   - after passing head-ship, our successor's store to our ->next (its
//     last access to our node) was seen before we wrote its ->locked;
//   - our predecessor's last access to our node was its store to our
//     ->locked, which made us the head before we could leave;
//   - the pending waiter and the beyond-four fallback use no node.

// 0,1,1 -> 0,1,0, or leave: wait_for_owner for a checked waiter. Returns
// 0 once the owner is gone, or the reason to leave.
template <typename Env>
inline int wait_for_owner_or_leave(qspin_lock_word *lock, u32 val)
{
	int left = 0;
	if (val & QSPIN_LOCKED_MASK)
		spin_until_or_leave<Env>(&lock->locked, Order::acquire, lock,
					 [](u8 locked) { return locked == 0; },
					 &left);
	return left;
}

// *,1,* -> *,0,*   The pending waiter leaves: it owns the pending bit
// (nobody else clears a bit they did not set), so a byte store gives it
// back. Relaxed: it took nothing that others must see.
template <typename Env>
inline void leave_pending(qspin_lock_word *lock)
{
	clear_pending(lock);
}

// What a checked acquisition's pending path ended with.
enum class PendingOutcome { locked, must_queue, left };

// acquire_pending for a checked waiter; *left gets the reason when it
// leaves.
template <typename Env>
inline PendingOutcome acquire_pending_or_leave(qspin_lock_word *lock,
					       u32 val, int *left)
{
	if (!become_pending_waiter<Env>(lock, &val))
		return PendingOutcome::must_queue;

	// 0,1,1 -> 0,1,0, or *,1,* -> *,0,*
	*left = wait_for_owner_or_leave<Env>(lock, val);
	if (*left) {
		leave_pending<Env>(lock);
		return PendingOutcome::left;
	}
	Env::count(Event::pending);

	// 0,1,0 -> 0,0,1
	clear_pending_set_locked(lock);
	return PendingOutcome::locked;
}

// n,*,* -> n,0,0, or leave: wait_for_owner_and_pending for a checked
// head. Returns the word seen last; *left the reason when it leaves.
template <typename Env>
inline u32 wait_for_owner_and_pending_or_leave(const qspin_lock_word *lock,
					       int *left)
{
	return spin_until_or_leave<Env>(
		&lock->val, Order::acquire, lock,
		[](u32 v) { return (v & QSPIN_LOCKED_PENDING_MASK) == 0; },
		left);
}

// n,p,l -> 0,p,l   The head takes its tail out of the word while it is the
// last waiter, keeping locked and pending as they are. `val` is the word
// seen last; a CAS that fails because the owner or the pending waiter
// changed the low half since is retried with the word it saw, as long as
// the tail is still ours. Returns false once the tail is someone else's: a
// waiter took it with xchg_tail and will link in behind us. Relaxed: the
// word carries nothing of ours that others must see.
template <typename Env>
inline bool remove_own_tail(qspin_lock_word *lock, u32 val, u32 tail)
{
	while ((val & QSPIN_TAIL_MASK) == tail) {
		if (atomic::compare_exchange(&lock->val, &val,
					     u32(val & ~QSPIN_TAIL_MASK),
					     Order::relaxed))
			return true;
	}
	return false;
}

// The head leaves without the lock: takes its tail out if it is the last,
// else hands head-ship on to its successor, waiting for it to link in
// first (pass_queue_on: the successor's store to our ->next is its last
// access to our node). The lock word is left as it is: the successor, now
// the head, waits for the owner and the pending waiter as we did.
template <typename Env>
inline void leave_queue_head(qspin_lock_word *lock, qspin_node *node,
			     qspin_node *next, u32 val, u32 tail)
{
	if (remove_own_tail<Env>(lock, val, tail))
		return;
	pass_queue_on<Env>(lock, node, next);
}

// acquire_as_queue_head for a checked waiter: 0 with the lock held, or the
// reason it left.
template <typename Env>
inline int acquire_as_queue_head_or_leave(qspin_lock_word *lock,
					  qspin_node *node, qspin_node *next,
					  u32 tail)
{
	int left = 0;
	u32 val = wait_for_owner_and_pending_or_leave<Env>(lock, &left);

	if (left) {
		leave_queue_head<Env>(lock, node, next, val, tail);
		return left;
	}
	if (claim_as_last_waiter<Env>(lock, val, tail))
		return 0;
	set_locked(lock);
	pass_queue_on<Env>(lock, node, next);
	return 0;
}

// The beyond-four fallback for a checked waiter: trylock until it works
// (0) or the environment says leave (the reason). No node, nothing to undo.
template <typename Env>
inline int trylock_or_leave(qspin_lock_word *lock)
{
	while (!qspin_word_trylock(lock)) {
		Env::spin_hook(lock);
		if (int left = Env::should_leave(lock))
			return left;
		Env::cpu_relax();
	}
	return 0;
}

// Every way out of a checked waiter's queue path: the node index back,
// then the outcome (0: the lock is held; else the reason it left).
template <typename Env>
inline int release_node_index(qspin_node_block *block, int left)
{
	put_node_index<Env>(block);
	return left;
}

// acquire_queued for a checked waiter: 0 with the lock held, or the reason
// it left.
template <typename Env>
inline int acquire_queued_or_leave(qspin_lock_word *lock,
				   qspin_node_block *block, unsigned cpu)
{
	Env::count(Event::queued);

	const u32 idx = take_node_index<Env>(block);

	if (idx >= QSPIN_MAX_NODES) {
		Env::count(Event::beyond_max_nodes);
		return release_node_index<Env>(block,
					       trylock_or_leave<Env>(lock));
	}
	count_queued_depth<Env>(idx);

	qspin_node *node = grab_node<Env>(block, idx);
	const u32 tail = qspin_encode_tail(cpu, idx);
	qspin_node *next;

	if (join_queue<Env>(lock, node, tail, &next))
		return release_node_index<Env>(block, 0);
	return release_node_index<Env>(
		block, acquire_as_queue_head_or_leave<Env>(lock, node, next,
							   tail));
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

// The checked waiter's contended acquisition (qspin_lock_checked()): as
// slow_path(), and it leaves where Env::should_leave() says so. Returns 0
// with the lock held, or should_leave()'s nonzero answer with the lock not
// held, this CPU's node index given back and the queue intact for the
// others. Plain and checked waiters may queue on the same lock (and must
// then share the node blocks); a plain waiter runs slow_path() unchanged.
template <AbortableEnvironment Env>
int slow_path_checked(qspin_lock_word *lock, u32 val, qspin_node_block *nodes,
		      unsigned cpu)
{
	int left = 0;

	switch (detail::acquire_pending_or_leave<Env>(lock, val, &left)) {
	case detail::PendingOutcome::locked:
		return 0;
	case detail::PendingOutcome::left:
		return left;
	case detail::PendingOutcome::must_queue:
		break;
	}
	return detail::acquire_queued_or_leave<Env>(lock, nodes, cpu);
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
	// qspin_lock_checked()'s host twin: 0 with the lock held, or the
	// reason Checked::should_leave() gave to leave, without it. Checked
	// must find the same node blocks as Env (a checked and a plain waiter
	// link into each other's nodes).
	template <AbortableEnvironment Checked>
	int lock_checked()
	{
		u32 val;
		if (qspin_word_lock_fast(&word_, &val))
			return 0;
		return slow_path_checked<Checked>(&word_, val,
						  Checked::this_cpu_nodes(),
						  Checked::cpu_id());
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
