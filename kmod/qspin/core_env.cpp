// SPDX-License-Identifier: GPL-2.0
//
// The C++ core in the kernel: qspin::slow_path instantiated with the kernel
// environment, behind the one C entry point qspin_slowpath() (core_env.h).
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

// Interface placeholder: the abortable slow path is not written yet, so a
// checked waiter waits as a watched one and never leaves.
extern "C" int qspin_slowpath_checked(qspin_lock_word *lock, qspin_u32 val,
				      qspin_node_block *nodes, unsigned int cpu)
{
	qspin::slow_path<WatchedEnvironment>(lock, val, nodes, cpu);
	return 0;
}
