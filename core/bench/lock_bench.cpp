// SPDX-License-Identifier: GPL-2.0
//
// Host benchmark: qspin's core against pthread_spin_lock and Concurrency
// Kit's MCS, ticket and FAS spinlocks, in one harness.
//
//   uncontended/<lock>   one thread, lock + unlock: ns per pair
//   contended/<lock>     N threads (2, and more where there are more cores)
//                        each incrementing one shared counter under the
//                        lock: pairs per second in total (items_per_second)
//
// Every lock sits alone on its own cache line(s), so no lock shares a line
// with another lock or with the harness. qspin runs with BenchEnvironment,
// whose spin hook does nothing (the kernel's does nothing either).
#include <qspin/queued_lock.h>

#include <benchmark/benchmark.h>
#include <ck_spinlock.h>
#include <pthread.h>

#include <atomic>
#include <cstdint>
#include <thread>

namespace {

constexpr unsigned kMaxBenchCpus = 256;

struct BenchEnvironment {
	static inline qspin_node_block nodes[kMaxBenchCpus];
	static inline std::atomic<unsigned> next_cpu{0};
	static inline thread_local unsigned t_cpu = ~0U;

	static unsigned cpu_id()
	{
		if (__builtin_expect(t_cpu == ~0U, 0))
			t_cpu = next_cpu.fetch_add(1) % kMaxBenchCpus;
		return t_cpu;
	}
	static qspin_node_block *this_cpu_nodes() { return &nodes[cpu_id()]; }
	static qspin_node_block *cpu_nodes(unsigned cpu) { return &nodes[cpu]; }
	static void cpu_relax() { __builtin_ia32_pause(); }
	static void spin_hook(const qspin_lock_word *) {}
	static void count(qspin::Event) {}
};
static_assert(qspin::LockEnvironment<BenchEnvironment>);

struct QspinLock {
	static constexpr const char *name = "qspin";
	alignas(64) qspin::QueuedSpinLock<BenchEnvironment> l;
	void lock() { l.lock(); }
	void unlock() { l.unlock(); }
};

struct PthreadSpin {
	static constexpr const char *name = "pthread_spin";
	alignas(64) pthread_spinlock_t l;
	PthreadSpin() { pthread_spin_init(&l, PTHREAD_PROCESS_PRIVATE); }
	void lock() { pthread_spin_lock(&l); }
	void unlock() { pthread_spin_unlock(&l); }
};

struct CkMcs {
	static constexpr const char *name = "ck_mcs";
	alignas(64) ck_spinlock_mcs_t l = CK_SPINLOCK_MCS_INITIALIZER;
	// The waiter's queue node: one per thread, on its own line.
	struct alignas(64) Node {
		ck_spinlock_mcs_context_t ctx;
	};
	static inline thread_local Node node;
	void lock() { ck_spinlock_mcs_lock(&l, &node.ctx); }
	void unlock() { ck_spinlock_mcs_unlock(&l, &node.ctx); }
};

struct CkTicket {
	static constexpr const char *name = "ck_ticket";
	alignas(64) ck_spinlock_ticket_t l = CK_SPINLOCK_TICKET_INITIALIZER;
	void lock() { ck_spinlock_ticket_lock(&l); }
	void unlock() { ck_spinlock_ticket_unlock(&l); }
};

struct CkFas {
	static constexpr const char *name = "ck_fas";
	alignas(64) ck_spinlock_fas_t l = CK_SPINLOCK_FAS_INITIALIZER;
	void lock() { ck_spinlock_fas_lock(&l); }
	void unlock() { ck_spinlock_fas_unlock(&l); }
};

template <typename Lock>
struct alignas(64) Shared {
	Lock lock;
	alignas(64) std::uint64_t counter = 0;
};

template <typename Lock>
void uncontended(benchmark::State &state)
{
	static Shared<Lock> s;
	for (auto _ : state) {
		s.lock.lock();
		benchmark::ClobberMemory();
		s.lock.unlock();
	}
	state.SetItemsProcessed(state.iterations());
}

template <typename Lock>
void contended(benchmark::State &state)
{
	static Shared<Lock> s;
	for (auto _ : state) {
		s.lock.lock();
		s.counter++;
		benchmark::ClobberMemory();
		s.lock.unlock();
	}
	state.SetItemsProcessed(state.iterations());
}

template <typename Lock>
void register_lock()
{
	std::string n = Lock::name;
	benchmark::RegisterBenchmark(("uncontended/" + n).c_str(),
				     uncontended<Lock>);
	auto *b = benchmark::RegisterBenchmark(("contended/" + n).c_str(),
					       contended<Lock>);
	// A fixed count per thread: when the two threads end up sharing one
	// core (a loaded host), a fair lock pays a time slice per hand-off,
	// and an open-ended run would take minutes.
	b->UseRealTime()->Iterations(300000)->Threads(2);
	unsigned hw = std::thread::hardware_concurrency();
	if (hw >= 4)
		b->Threads(4);
	if (hw >= 8)
		b->Threads(hw);
}

// Where qspin's uncontended time goes: the word operations alone, without
// any lock logic. qspin's unlock is a 1-byte release store to the locked
// byte (waiters own the other bytes) and its next lock a 4-byte locked
// compare-and-swap on the same word; a load that is wider than the store
// still in the store buffer cannot be forwarded from it. The second pair
// releases with a 4-byte store instead, which is only correct for a lock
// with no pending bit or queue in its word (ck_fas, pthread_spin): it is
// measured to show the cost, never used.
alignas(64) qspin_lock_word diag_word;

void diag_cas32_after_store8(benchmark::State &state)
{
	for (auto _ : state) {
		qspin_u32 val;
		qspin_word_lock_fast(&diag_word, &val);
		benchmark::ClobberMemory();
		__atomic_store_n(&diag_word.locked, qspin_u8(0), __ATOMIC_RELEASE);
	}
}

void diag_cas32_after_store32(benchmark::State &state)
{
	for (auto _ : state) {
		qspin_u32 val;
		qspin_word_lock_fast(&diag_word, &val);
		benchmark::ClobberMemory();
		__atomic_store_n(&diag_word.val, qspin_u32(0), __ATOMIC_RELEASE);
	}
}

} // namespace

int main(int argc, char **argv)
{
	register_lock<QspinLock>();
	register_lock<PthreadSpin>();
	register_lock<CkMcs>();
	register_lock<CkTicket>();
	register_lock<CkFas>();
	benchmark::RegisterBenchmark("diag/cas32_after_store8",
				     diag_cas32_after_store8);
	benchmark::RegisterBenchmark("diag/cas32_after_store32",
				     diag_cas32_after_store32);
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 1;
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	return 0;
}
