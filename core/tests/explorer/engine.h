// SPDX-License-Identifier: GPL-2.0
//
// The interleaving explorer: virtual CPUs that run the real core
// (queued_lock.h, unchanged) one atomic operation at a time, and a
// depth-first search over the schedules.
//
// Each virtual CPU is a fiber with its own stack. Every atomic operation of
// the core reaches explore::perform() through the seam (seam.h) and stops
// there; the explorer picks which CPU moves next, fires a virtual interrupt
// on a CPU whose interrupt flag is on, or (x86-TSO) drains one store from a
// CPU's store buffer. A search is stateless (every execution is replayed
// from the start along a prefix of choices), with a table of the states
// already seen so that two orders of the same independent steps are
// explored once: a state is the shared memory, the store buffers, the
// monitors and each CPU's stack and registers, hashed.
//
// A clients file (clients.cpp) says what the CPUs do with the lock; the
// explorer checks on every execution: mutual exclusion, FIFO order among
// the waiters that queued (published a tail), that nothing hangs, and at
// the end that every lock word is 0 and every CPU's node count is back.
#ifndef QSPIN_EXPLORER_ENGINE_H
#define QSPIN_EXPLORER_ENGINE_H

#include "seam.h" // first: it replaces the seam

#include "../thread_cpu_env.h"

#include <qspin/queued_lock.h>

#include <cstdint>
#include <string>

namespace qspin::explore {

using Env = test::ThreadCpuEnvironment;
// A checked waiter's environment (lock_checked): Env's node blocks and
// spin hook, and should_leave(), which the explorer answers both ways.
using CheckedEnv = test::CheckedThreadCpuEnvironment;
using Lock = QueuedSpinLock<Env>;

inline constexpr unsigned kMaxCpus = 4;
inline constexpr unsigned kMaxLocks = 3;
inline constexpr unsigned kMaxIrqs = 4;

// Interrupt levels above the task, as the four queue nodes count them.
enum class Level : unsigned { task = 0, softirq = 1, hardirq = 2, nmi = 3 };

// A virtual interrupt: it fires at most once per execution, on its CPU, at
// any scheduling point where that CPU runs at a lower level with its
// interrupt flag on (an NMI ignores the flag), and runs to completion
// (other CPUs keep moving meanwhile).
struct IrqSource {
	unsigned cpu;
	Level level;
	void (*handler)();
	const char *what;
};

// The ways a checked waiter leaves without the lock (slow_path_checked):
// as the pending waiter, as the last queue head (its tail CAS), as a queue
// head with a successor (head-ship passed on), in the beyond-four fallback.
enum class LeaveWay : unsigned {
	pending,
	head_last,
	head_passed,
	beyond,
	count_,
};

const char *leave_way_name(LeaveWay w);

// What the virtual CPUs do: a task per CPU and the interrupts.
struct Client {
	const char *name;
	const char *what;
	unsigned ncpus;
	unsigned nlocks;
	void (*task)(unsigned cpu);
	IrqSource irqs[kMaxIrqs];
	unsigned nirqs;
	// Slow-path depth (node 0's count) each CPU starts with: contexts
	// below, waiting on other locks, that hold those nodes.
	unsigned preset_depth[kMaxCpus];
	// Preemption bounds when none is given (-1: exhaustive), under
	// sequential consistency and under x86-TSO.
	int default_bound;
	int tso_bound;
	// The slow-path event some execution must show, or the client did
	// not test what it is for (Event::count_: none).
	Event must_see;
	// Checked clients: the ways of leaving (bit per LeaveWay) some
	// execution must show.
	unsigned must_leave = 0;
	// A litmus test of the memory model itself, not of the lock: its
	// CPUs access litmus_var()s through the seam and report one
	// register each; no lock property applies, the outcomes are counted.
	bool litmus = false;
	// Litmus: the outcomes (bit i of register of cpu c at bit c, as a
	// set of those numbers) each model may show.
	unsigned sc_outcomes = 0;
	unsigned tso_outcomes = 0;
};

const Client *find_client(const std::string &name);
void list_clients();

// The operations a client's task and handlers call: the lock API over the
// core, with the monitors, and the virtual interrupt flag.
void lock(unsigned l);
void unlock(unsigned l);
bool trylock(unsigned l);
// The checked acquisition (QueuedSpinLock::lock_checked over CheckedEnv):
// every call of should_leave() is a decision the search explores both
// ways (keep waiting, leave). 0 with the lock held, else the waiter left.
int lock_checked(unsigned l);
void irq_disable();
// Litmus clients: variable i (the word of lock i, 0 at the start) and the
// register this CPU ends with.
u32 *litmus_var(unsigned i);
void litmus_result(u32 value);
void irq_enable();

enum class Model { sc, tso };

struct Options {
	Model model = Model::sc;
	int bound = -2;		// -2: the client's default; -1: exhaustive
	bool state_cache = true;
	unsigned long max_steps = 4000;		// per execution
	unsigned long max_executions = 0;	// 0: no limit
	double max_seconds = 0;			// 0: no limit
	bool quiet = false;
};

struct Result {
	bool failed = false;
	bool complete = true;	// false: max_executions reached
	std::string failure;	// what was violated
	std::string schedule;	// the counterexample, one step a line
	unsigned long executions = 0;	// runs, replays included
	unsigned long finished = 0;	// executions that reached the end
	unsigned long states = 0;	// distinct states seen
	unsigned long pruned = 0;	// executions cut at a state seen before
	unsigned long steps = 0;	// scheduling steps taken, replays included
	unsigned long max_depth = 0;
	unsigned long spinouts = 0;	// bounded loops run out alone
	unsigned long dead_spinouts = 0; // ... that never left their loop
	double seconds = 0;
	unsigned long must_see_count = 0; // client.must_see, all executions
	unsigned outcomes = 0;	// litmus: bit n set when outcome n was seen
	// Checked clients: how often each LeaveWay was taken, all
	// executions (replays included).
	unsigned long leaves[unsigned(LeaveWay::count_)] = {};
};

Result explore(const Client &client, const Options &options);

} // namespace qspin::explore

#endif // QSPIN_EXPLORER_ENGINE_H
