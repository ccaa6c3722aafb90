// SPDX-License-Identifier: GPL-2.0
//
// The C++ core in the kernel: qspin::slow_path instantiated with the kernel
// environments, behind the C entry points of core_env.h: qspin_slowpath()
// (plain), qspin_slowpath_watched() (instrumentation on) and
// qspin_slowpath_checked() (qspin_lock_checked(): slow_path_checked, which
// may leave without the lock).
// qspin.ko's only C++ translation unit.
//
// Built by Kbuild from the kernel's own C flags (code model, no red zone,
// no SSE, -pg -mfentry, retpolines, return thunks, SLS hardening, stack
// protector), minus the C-only ones, plus the freestanding C++ flags
// (scripts/kbuild-cxx.mk); objtool checks it like any C object. No C++
// runtime support is needed: no exceptions, RTTI, thread-safe statics,
// global constructors or virtual functions; scripts/kernel-checks.sh fails
// if any reference to the C++ runtime sneaks in.

#include <qspin/queued_lock.h>
#include "core_env.h"

namespace {

// The kernel's side of qspin::LockEnvironment. This CPU's node block and
// number come as slow_path()'s arguments; only a predecessor's block needs
// a call back into C. The caller (lock_api.c) holds preemption off.
struct KernelEnvironment {
	static qspin_node_block *cpu_nodes(unsigned cpu)
	{
		return qspin_env_cpu_nodes(cpu);
	}
	// x86's cpu_relax(): PAUSE.
	static void cpu_relax() { asm volatile("rep; nop" ::: "memory"); }
	// No per-iteration diagnostics in the kernel yet; a watchdog or
	// tracer would go here.
	static void spin_hook(const qspin_lock_word *) {}
	static void count(qspin::Event event)
	{
		qspin_env_count(static_cast<unsigned>(event));
	}
};

static_assert(qspin::LockEnvironment<KernelEnvironment>);

// A watched waiter (instrumentation on): the lockup watchdog on every spin.
struct WatchedEnvironment : KernelEnvironment {
	static void spin_hook(const qspin_lock_word *lock)
	{
		qspin_env_watch(lock);
	}
};

static_assert(qspin::LockEnvironment<WatchedEnvironment>);

// A checked waiter (qspin_lock_checked()): watched, and it may leave. The
// watchdog's side (watchdog.c) decides: 0 keep waiting, -EDEADLK or
// -ETIMEDOUT leave with that error.
struct CheckedEnvironment : WatchedEnvironment {
	static int should_leave(const qspin_lock_word *lock)
	{
		return qspin_env_should_leave(lock);
	}
};

static_assert(qspin::AbortableEnvironment<CheckedEnvironment>);

} // namespace

extern "C" void qspin_slowpath(qspin_lock_word *lock, qspin_u32 val,
			       qspin_node_block *nodes, unsigned int cpu)
{
	qspin::slow_path<KernelEnvironment>(lock, val, nodes, cpu);
}

extern "C" void qspin_slowpath_watched(qspin_lock_word *lock, qspin_u32 val,
				       qspin_node_block *nodes,
				       unsigned int cpu)
{
	qspin::slow_path<WatchedEnvironment>(lock, val, nodes, cpu);
}

// qspin_lock_checked()'s waiter: watched, and asked at every point where it
// can leave (queued_lock.h, "The checked waiter") whether to leave.
extern "C" int qspin_slowpath_checked(qspin_lock_word *lock, qspin_u32 val,
				      qspin_node_block *nodes, unsigned int cpu)
{
	return qspin::slow_path_checked<CheckedEnvironment>(lock, val, nodes,
							    cpu);
}
