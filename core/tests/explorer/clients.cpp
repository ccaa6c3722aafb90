// SPDX-License-Identifier: GPL-2.0
//
// The explorer's clients: what each virtual CPU does with the locks.
// Small on purpose: every interleaving of their atomic operations is
// explored (or every one within a preemption bound, where the client
// says so).
#include "engine.h"

#include <cstdio>
#include <cstring>

namespace qspin::explore {
namespace {

enum LockId : unsigned { A = 0, B = 1 };

void lock_unlock(unsigned l)
{
	lock(l);
	unlock(l);
}

// Holds with the interrupt flag off, waits with it on (a lock also taken
// by handlers: irqsave around the critical section).
void lock_unlock_irqsave(unsigned l)
{
	irq_disable();
	lock(l);
	unlock(l);
	irq_enable();
}

void two_acquisitions(unsigned)
{
	lock_unlock(A);
	lock_unlock(A);
}

void one_acquisition(unsigned)
{
	lock_unlock(A);
}

// trylock next to lock: a trylock may fail at any moment, never take a
// lock that is held, and a successful one is an owner like any other.
void trylock_one(unsigned cpu)
{
	if (cpu == 0) {
		if (trylock(A))
			unlock(A);
	} else {
		lock_unlock(A);
	}
}

// Bigger (make explore): both orders on two CPUs, a third CPU locking.
void trylock_mixed(unsigned cpu)
{
	switch (cpu) {
	case 0:
		if (trylock(A))
			unlock(A);
		lock_unlock(A);
		break;
	case 1:
		lock_unlock(A);
		if (trylock(A))
			unlock(A);
		break;
	default:
		lock_unlock(A);
		break;
	}
}

// The queue at depth 2. Tasks take B with interrupts on; hardirq handlers
// take A (which no task takes, so no lock order runs through an
// interrupt). With cpu1 holding B, cpu2 pending on B, cpu1's handler
// holding A and cpu2's handler pending on A, cpu0's task queues on B
// (node 0) and cpu0's handler, arriving meanwhile, queues on A (node 1).
void depth2_task(unsigned)
{
	lock_unlock(B);
}

void depth2_handler()
{
	lock_unlock(A);
}

// A handler takes the lock its task holds with interrupts off: it can
// only come after the release.
void irqsave_task(unsigned cpu)
{
	if (cpu == 0)
		lock_unlock_irqsave(A);
	else
		lock_unlock(A);
}

void irqsave_handler()
{
	lock_unlock(A);
}

// The abortable acquisition: a checked waiter may leave wherever it asks
// (the search answers every should_leave() both ways); when it gets the
// lock it is an owner like any other.
void checked_lock_unlock(unsigned l)
{
	if (!lock_checked(l))
		unlock(l);
}

// cpu0 plain, the others checked: the plain waiter must get the lock
// whatever the checked ones do, and they leave around it every way but the
// fallback (head-ship passed on: a pending waiter that finds a tail after
// its bts queues behind the head).
void checked_one_plain(unsigned cpu)
{
	if (cpu == 0)
		lock_unlock(A);
	else
		checked_lock_unlock(A);
}

// Two checked acquisitions per CPU: the second queues behind the first's
// leftovers; a queue head slow to decide finds a successor linked (or
// linking) in and passes head-ship on.
void checked_twice(unsigned)
{
	checked_lock_unlock(A);
	checked_lock_unlock(A);
}

// cpu0 checked and four contexts deep (no node: the trylock fallback, and
// leaving from it), the others plain.
void checked_beyond(unsigned cpu)
{
	if (cpu == 0)
		checked_lock_unlock(A);
	else
		lock_unlock(A);
}

constexpr unsigned leave_bit(LeaveWay w)
{
	return 1U << unsigned(w);
}

// Litmus tests of the memory model (not of the lock): x and y are 0 at the
// start; each CPU's register is bit <cpu> of the outcome.
//
// SB, store buffering: cpu0 x = 1; r0 = y   cpu1 y = 1; r1 = x.
// r0 = r1 = 0 (outcome 0) is impossible under SC, allowed by x86-TSO.
void litmus_sb(unsigned cpu)
{
	QSPIN_ATOMIC_STORE(litmus_var(cpu), 1U, __ATOMIC_RELAXED);
	litmus_result(QSPIN_ATOMIC_LOAD(litmus_var(1 - cpu), __ATOMIC_RELAXED));
}

// SB with locked exchanges instead of stores: a locked instruction drains
// the store buffer, so outcome 0 is impossible under TSO too.
void litmus_sb_xchg(unsigned cpu)
{
	QSPIN_ATOMIC_EXCHANGE(litmus_var(cpu), 1U, __ATOMIC_RELAXED);
	litmus_result(QSPIN_ATOMIC_LOAD(litmus_var(1 - cpu), __ATOMIC_RELAXED));
}

// MP, message passing: cpu0 data = 1; flag = 1   cpu1 r1 = flag; r0' = data
// (cpu1 reports flag && !data). Stores stay in order under TSO: cpu1 never
// sees the flag without the data.
void litmus_mp(unsigned cpu)
{
	if (cpu == 0) {
		QSPIN_ATOMIC_STORE(litmus_var(0), 1U, __ATOMIC_RELAXED);
		QSPIN_ATOMIC_STORE(litmus_var(1), 1U, __ATOMIC_RELAXED);
		litmus_result(0);
	} else {
		const u32 flag = QSPIN_ATOMIC_LOAD(litmus_var(1),
						   __ATOMIC_RELAXED);
		const u32 data = QSPIN_ATOMIC_LOAD(litmus_var(0),
						   __ATOMIC_RELAXED);
		litmus_result(flag && !data);
	}
}

const Client kClients[] = {
	{
		.name = "2x2",
		.what = "2 CPUs x 2 acquisitions",
		.ncpus = 2, .nlocks = 1, .task = two_acquisitions,
		.irqs = {}, .nirqs = 0, .preset_depth = {},
		.default_bound = -1, .tso_bound = -1, .must_see = Event::queued,
	},
	{
		.name = "3x1",
		.what = "3 CPUs x 1 acquisition",
		.ncpus = 3, .nlocks = 1, .task = one_acquisition,
		.irqs = {}, .nirqs = 0, .preset_depth = {},
		.default_bound = -1, .tso_bound = -1, .must_see = Event::queued,
	},
	{
		.name = "trylock",
		.what = "3 CPUs: a trylock against two lock() calls",
		.ncpus = 3, .nlocks = 1, .task = trylock_one,
		.irqs = {}, .nirqs = 0, .preset_depth = {},
		.default_bound = -1, .tso_bound = -1, .must_see = Event::queued,
	},
	{
		.name = "trylock5",
		.what = "3 CPUs, 5 acquisitions: trylock before and after "
			"lock() on two CPUs, lock() on the third",
		.ncpus = 3, .nlocks = 1, .task = trylock_mixed,
		.irqs = {}, .nirqs = 0, .preset_depth = {},
		.default_bound = -1, .tso_bound = 2, .must_see = Event::queued,
	},
	{
		.name = "irqsave",
		.what = "cpu0's hardirq takes the lock cpu0's task holds "
			"with interrupts off; cpu1 contends",
		.ncpus = 2, .nlocks = 1, .task = irqsave_task,
		.irqs = {{0, Level::hardirq, irqsave_handler,
			  "hardirq takes A"}},
		.nirqs = 1, .preset_depth = {},
		.default_bound = -1, .tso_bound = -1, .must_see = Event::pending,
	},
	{
		.name = "depth2",
		.what = "3 CPUs, tasks take B, a hardirq on each CPU takes A: "
			"cpu0's handler queues on A while its task is queued "
			"on B (node 1)",
		.ncpus = 3, .nlocks = 2, .task = depth2_task,
		.irqs = {{0, Level::hardirq, depth2_handler, "hardirq takes A"},
			 {1, Level::hardirq, depth2_handler, "hardirq takes A"},
			 {2, Level::hardirq, depth2_handler, "hardirq takes A"}},
		.nirqs = 3, .preset_depth = {},
		.default_bound = 2, .tso_bound = 0, .must_see = Event::nested_depth2,
	},
	{
		.name = "depth4",
		.what = "3 CPUs x 1 acquisition, cpu0 already three contexts "
			"deep in the slow path (it queues with node 3)",
		.ncpus = 3, .nlocks = 1, .task = one_acquisition,
		.irqs = {}, .nirqs = 0, .preset_depth = {3, 0, 0},
		.default_bound = -1, .tso_bound = -1, .must_see = Event::nested_depth4,
	},
	{
		.name = "beyond4",
		.what = "3 CPUs x 1 acquisition, cpu0 already four contexts "
			"deep: no node left, the trylock fallback",
		.ncpus = 3, .nlocks = 1, .task = one_acquisition,
		.irqs = {}, .nirqs = 0, .preset_depth = {4, 0, 0},
		.default_bound = -1, .tso_bound = -1, .must_see = Event::beyond_max_nodes,
	},
	{
		.name = "checked3",
		.what = "3 CPUs x 1 acquisition: cpu0 plain, cpu1 and cpu2 "
			"checked (should_leave answered both ways)",
		.ncpus = 3, .nlocks = 1, .task = checked_one_plain,
		.irqs = {}, .nirqs = 0, .preset_depth = {},
		.default_bound = -1, .tso_bound = -1, .must_see = Event::queued,
		.must_leave = leave_bit(LeaveWay::pending) |
			      leave_bit(LeaveWay::head_last) |
			      leave_bit(LeaveWay::head_passed),
	},
	{
		.name = "checked2x2",
		.what = "2 CPUs x 2 checked acquisitions (should_leave "
			"answered both ways)",
		.ncpus = 2, .nlocks = 1, .task = checked_twice,
		.irqs = {}, .nirqs = 0, .preset_depth = {},
		// Exhaustive under TSO: 330,000 executions, ~10 s on a busy
		// machine (make explore); bound 3 in make check, under 1 s.
		.default_bound = -1, .tso_bound = 3, .must_see = Event::queued,
		.must_leave = leave_bit(LeaveWay::pending) |
			      leave_bit(LeaveWay::head_last) |
			      leave_bit(LeaveWay::head_passed),
	},
	{
		.name = "checked-beyond4",
		.what = "3 CPUs x 1 acquisition: cpu0 checked and four "
			"contexts deep (the fallback), cpu1 and cpu2 plain",
		.ncpus = 3, .nlocks = 1, .task = checked_beyond,
		.irqs = {}, .nirqs = 0, .preset_depth = {4, 0, 0},
		.default_bound = -1, .tso_bound = -1,
		.must_see = Event::beyond_max_nodes,
		.must_leave = leave_bit(LeaveWay::pending) |
			      leave_bit(LeaveWay::beyond),
	},
	{
		.name = "sb",
		.what = "litmus SB: store x; load y || store y; load x",
		.ncpus = 2, .nlocks = 2, .task = litmus_sb,
		.irqs = {}, .nirqs = 0, .preset_depth = {},
		.default_bound = -1, .tso_bound = -1,
		.must_see = Event::count_, .litmus = true,
		// r0 r1: 01 10 11 under SC; 00 too under TSO.
		.sc_outcomes = 0b1110, .tso_outcomes = 0b1111,
	},
	{
		.name = "sb-xchg",
		.what = "litmus SB with locked exchanges: xchg x; load y || "
			"xchg y; load x",
		.ncpus = 2, .nlocks = 2, .task = litmus_sb_xchg,
		.irqs = {}, .nirqs = 0, .preset_depth = {},
		.default_bound = -1, .tso_bound = -1,
		.must_see = Event::count_, .litmus = true,
		.sc_outcomes = 0b1110, .tso_outcomes = 0b1110,
	},
	{
		.name = "mp",
		.what = "litmus MP: store data; store flag || load flag; "
			"load data (cpu1 reports flag without data)",
		.ncpus = 2, .nlocks = 2, .task = litmus_mp,
		.irqs = {}, .nirqs = 0, .preset_depth = {},
		.default_bound = -1, .tso_bound = -1,
		.must_see = Event::count_, .litmus = true,
		// cpu0 reports 0; cpu1 never 1: outcome 0 only.
		.sc_outcomes = 0b0001, .tso_outcomes = 0b0001,
	},
};

} // namespace

const Client *find_client(const std::string &name)
{
	for (const Client &c : kClients)
		if (name == c.name)
			return &c;
	return nullptr;
}

void list_clients()
{
	for (const Client &c : kClients)
		std::printf("%-8s %s\n", c.name, c.what);
}

} // namespace qspin::explore
