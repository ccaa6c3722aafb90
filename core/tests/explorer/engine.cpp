// SPDX-License-Identifier: GPL-2.0
//
// The explorer's engine: fibers for the virtual CPUs, the memory models
// (sequential consistency, x86-TSO), the monitors, and the depth-first
// search over schedules with a table of states seen. engine.h says what
// it does; this file says how.
//
// Scheduling steps. Every CPU stops at the announcement of its next atomic
// operation (seam.h). A step is one of:
//   run cpuN        perform the announced operation, run on to the next
//                   announcement (local code has no effect on other CPUs)
//   irq cpuN:k      fire interrupt k on cpuN: its handler starts on the
//                   interrupted context's stack and runs to its first
//                   announcement; it finishes in later steps of cpuN
//   spin-out cpuN   a spinner in a bounded loop (the pending waiter's
//                   QSPIN_PENDING_LOOPS) runs its loop to the end alone
//   flush cpuN      (TSO) the oldest store of cpuN's buffer reaches memory
//   answer cpuN     a checked waiter stopped in should_leave() is answered
//                   0 (keep waiting) or leave; both are explored, and the
//                   answer may come at any later point, as on a machine
//                   where the waiter is slow to ask (a decision is a step
//                   of its own, like an atomic operation)
//
// Spinning. A CPU whose spin iteration read the same values as its
// previous one, wrote nothing and whose reads nobody wrote since, would
// repeat that iteration forever: it is blocked until somebody writes what
// it reads (a re-read of an unchanged value is not progress). If its own
// stack changed between the two iterations (a loop counter), it may also
// leave by running out its bound alone: the spin-out step. A state where
// no step is possible and not every task has finished is a hang.
#include "engine.h"

#include <dlfcn.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

// Stack switching: callee-saved registers are pushed on the stack being
// left, so a suspended fiber's whole state is its stack from its saved
// stack pointer up (the state hash reads exactly that).
extern "C" void qspin_explore_switch(void **save_sp, void *new_sp);
extern "C" void qspin_explore_trampoline();
asm(".text\n"
    ".globl qspin_explore_switch\n"
    ".type qspin_explore_switch,@function\n"
    "qspin_explore_switch:\n"
    "	pushq %rbp\n"
    "	pushq %rbx\n"
    "	pushq %r12\n"
    "	pushq %r13\n"
    "	pushq %r14\n"
    "	pushq %r15\n"
    "	movq %rsp, (%rdi)\n"
    "	movq %rsi, %rsp\n"
    "	popq %r15\n"
    "	popq %r14\n"
    "	popq %r13\n"
    "	popq %r12\n"
    "	popq %rbx\n"
    "	popq %rbp\n"
    "	ret\n"
    ".size qspin_explore_switch, .-qspin_explore_switch\n"
    ".globl qspin_explore_trampoline\n"
    ".type qspin_explore_trampoline,@function\n"
    "qspin_explore_trampoline:\n"
    "	movq %rbx, %rdi\n"
    "	callq *%r12\n"
    "	ud2\n"
    ".size qspin_explore_trampoline, .-qspin_explore_trampoline\n");

namespace qspin::explore {
namespace {

constexpr std::size_t kStackSize = 64 * 1024;
constexpr unsigned kMaxReads = 4;
constexpr unsigned kBufferSlots = 8;
constexpr unsigned kMaxMoves = 16;
constexpr unsigned kMaxQueued = 8;
// A spin-out that has not left its loop after this many iterations never
// will (the core's longest bounded loop is QSPIN_PENDING_LOOPS).
constexpr unsigned kSpinOutLimit = 4 * QSPIN_PENDING_LOOPS;

// Where a suspended CPU stands.
enum class At : unsigned char {
	running,
	op,	// at an atomic operation's announcement
	spin,	// in the spin hook, between two iterations
	idle,	// task finished; interrupts may still come
	choice,	// a checked waiter in should_leave(), awaiting the answer
	dead,	// stopped by a failed check
};

struct Read {
	void *where;
	unsigned size;
	u64 value;
};

// One spin loop's last two iterations.
struct SpinTrack {
	Read reads[kMaxReads];
	unsigned nreads;
	bool wrote;	// stored, exchanged, ... in this iteration
	bool overflow;	// more reads than we keep
	Read prev[kMaxReads];
	unsigned nprev;
	u64 prev_hash;
	bool have_prev;
};

struct BufferedStore {
	void *where;
	unsigned size;
	u64 value;
};

struct Cpu {
	unsigned id;
	char *base;
	char *top;
	char *low;	// lowest stack pointer seen: stack in use down to it
	void *sp;
	At at;
	OpRequest *req;
	bool blocked;	// spinning on values nobody changes
	bool counting;	// ... with a loop counter that changes
	bool spinout;
	unsigned spinout_iters;
	int fire;	// interrupt to run when resumed, or -1
	unsigned level;
	bool irq_on;
	bool task_done;
	bool answer_leave;	// the answer a resumed choice gets
	LeaveWay leaving;	// a leave under way (count_: none)
	SpinTrack track;
	BufferedStore buf[kBufferSlots];
	unsigned nbuf;
};

enum class MoveKind : unsigned char { run, fire, spin_out, flush, answer };

struct Move {
	MoveKind kind;
	unsigned char cpu;
	unsigned char arg;
};

// A decision point of the current path.
struct Frame {
	Move moves[kMaxMoves];
	unsigned char n;
	unsigned char chosen;
	unsigned short preempt;	// preemptions before this step
	signed char last_cpu;
	bool last_can_run;
};

// A context: a CPU at a level (task, softirq, hardirq, NMI).
struct Ctx {
	signed char cpu; // -1: nobody
	unsigned char level;
	bool operator==(const Ctx &o) const
	{
		return cpu == o.cpu && level == o.level;
	}
};

// The monitors' state: part of the explored state (a property over the
// path must not be lost when two paths meet in one state).
struct Monitor {
	Ctx owner[kMaxLocks];
	Ctx queued[kMaxLocks][kMaxQueued]; // in tail-exchange order
	unsigned nqueued[kMaxLocks];
	u32 litmus[kMaxCpus]; // litmus clients' registers
};

Lock g_locks[kMaxLocks];

struct Engine {
	const Client *client = nullptr;
	Options opt;
	int bound = -1;
	Cpu cpus[kMaxCpus];
	void *sched_sp = nullptr;
	Cpu *cur = nullptr;
	Monitor mon;
	unsigned fired = 0;
	bool failed = false;
	bool dead_branch = false;
	char failure[512];
	bool tracing = false;
	std::vector<std::string> trace;
	std::vector<const void *> trace_sites; // per line; null: none
	int last_cpu = -1;
	unsigned preempt = 0;
	std::vector<Frame> path;
	std::unordered_map<u64, unsigned short> seen;
	Result res;
};

Engine E;

const char *level_name(unsigned level)
{
	static const char *names[] = {"task", "softirq", "hardirq", "nmi"};
	return level < 4 ? names[level] : "?";
}

std::string ctx_name(unsigned cpu, unsigned level)
{
	std::string s = "cpu" + std::to_string(cpu);
	if (level)
		s += std::string("/") + level_name(level);
	return s;
}

// ---- names for a readable schedule ----

std::string tail_name(u64 tail16)
{
	if (!tail16)
		return "0";
	struct qspin_word_fields f = qspin_decode_word(u32(tail16) << 16);
	return "cpu" + std::to_string(f.tail_cpu) + "/" +
	       std::to_string(f.tail_idx);
}

std::string word_name(u64 v)
{
	struct qspin_word_fields f = qspin_decode_word(u32(v));
	return "(" + tail_name(v >> 16) + "," + std::to_string(f.pending) +
	       "," + std::to_string(f.locked) + ")";
}

std::string node_name(const void *p)
{
	if (!p)
		return "null";
	for (unsigned c = 0; c < kMaxCpus; c++)
		for (unsigned k = 0; k < QSPIN_MAX_NODES; k++)
			if (p == &Env::nodes[c].node[k])
				return "cpu" + std::to_string(c) + ".node[" +
				       std::to_string(k) + "]";
	char b[32];
	std::snprintf(b, sizeof(b), "%p", p);
	return b;
}

enum class Field { word, locked, pending, locked_pending, tail, next,
		   node_locked, count, other };

Field field_of(const void *where, unsigned size, std::string *name)
{
	const char *p = static_cast<const char *>(where);
	for (unsigned l = 0; l < E.client->nlocks; l++) {
		const char *w = reinterpret_cast<const char *>(g_locks[l].word());
		if (p < w || p >= w + 4)
			continue;
		std::string L(1, char('A' + l));
		long off = p - w;
		if (off == 0 && size == 4) {
			*name = L;
			return Field::word;
		}
		if (off == 0 && size == 1) {
			*name = L + ".locked";
			return Field::locked;
		}
		if (off == 1 && size == 1) {
			*name = L + ".pending";
			return Field::pending;
		}
		if (off == 0 && size == 2) {
			*name = L + ".locked_pending";
			return Field::locked_pending;
		}
		if (off == 2 && size == 2) {
			*name = L + ".tail";
			return Field::tail;
		}
	}
	for (unsigned c = 0; c < kMaxCpus; c++)
		for (unsigned k = 0; k < QSPIN_MAX_NODES; k++) {
			const qspin_node *n = &Env::nodes[c].node[k];
			std::string N = node_name(n);
			if (where == &n->next) {
				*name = N + ".next";
				return Field::next;
			}
			if (where == &n->locked) {
				*name = N + ".locked";
				return Field::node_locked;
			}
			if (where == &n->count) {
				*name = N + ".count";
				return Field::count;
			}
		}
	char b[32];
	std::snprintf(b, sizeof(b), "%p", where);
	*name = b;
	return Field::other;
}

std::string value_name(Field f, u64 v)
{
	switch (f) {
	case Field::word:
		return word_name(v);
	case Field::tail:
		return tail_name(v);
	case Field::locked_pending:
		return "pending=" + std::to_string((v >> 8) & 0xff) +
		       ",locked=" + std::to_string(v & 0xff);
	case Field::next:
		return node_name(reinterpret_cast<const void *>(v));
	default:
		return std::to_string(v);
	}
}

std::string describe(const OpRequest &r, u64 result, bool buffered)
{
	std::string name;
	Field f = field_of(r.where, r.size, &name);
	switch (r.kind) {
	case OpKind::load:
		return "load " + name + " -> " + value_name(f, result);
	case OpKind::store:
		return "store " + name + " = " + value_name(f, r.value) +
		       (buffered ? "  (into the store buffer)" : "");
	case OpKind::exchange:
		return "xchg " + name + " = " + value_name(f, r.value) +
		       ", was " + value_name(f, result);
	case OpKind::fetch_or:
		return "fetch_or " + name + " |= " + value_name(f, r.value) +
		       ", was " + value_name(f, result);
	case OpKind::compare_exchange:
		return "cmpxchg " + name + " " + value_name(f, r.expected) +
		       " -> " + value_name(f, r.value) +
		       (result == r.expected ? ": done"
					     : ": failed, saw " +
						       value_name(f, result));
	}
	return "?";
}

void note(std::string line, const void *site = nullptr)
{
	if (!E.tracing)
		return;
	E.trace.push_back(std::move(line));
	E.trace_sites.push_back(site);
}

// ---- failures ----

void set_failure(const char *fmt, const char *a = "", const char *b = "",
		 const char *c = "")
{
	if (E.failed)
		return;
	E.failed = true;
	std::snprintf(E.failure, sizeof(E.failure), fmt, a, b, c);
}

// A check failed on a CPU: record it and stop that CPU for good.
[[noreturn]] void fail_here()
{
	Cpu &c = *E.cur;
	c.at = At::dead;
	qspin_explore_switch(&c.sp, E.sched_sp);
	__builtin_trap();
}

// ---- memory models ----

u64 mem_read(const void *p, unsigned n)
{
	u64 v = 0;
	std::memcpy(&v, p, n);
	return v;
}

bool overlaps(const void *a, unsigned an, const void *b, unsigned bn)
{
	const char *x = static_cast<const char *>(a);
	const char *y = static_cast<const char *>(b);
	return x < y + bn && y < x + an;
}

// Somebody wrote [p, p+n) (to memory, or to a store buffer its own CPU
// reads from): spinners that read it are no longer blocked.
void notify_write(const void *p, unsigned n)
{
	for (unsigned i = 0; i < E.client->ncpus; i++) {
		Cpu &c = E.cpus[i];
		if (!c.blocked)
			continue;
		for (unsigned k = 0; k < c.track.nprev; k++)
			if (overlaps(p, n, c.track.prev[k].where,
				     c.track.prev[k].size)) {
				c.blocked = false;
				c.counting = false;
				break;
			}
	}
}

void mem_write(void *p, unsigned n, u64 v)
{
	std::memcpy(p, &v, n);
	notify_write(p, n);
}

// x86-TSO load: each byte from the youngest store of our own buffer that
// covers it, else from memory.
u64 tso_read(const Cpu &c, const void *p, unsigned n)
{
	u64 v = mem_read(p, n);
	unsigned char *vb = reinterpret_cast<unsigned char *>(&v);
	for (unsigned i = 0; i < n; i++) {
		const char *a = static_cast<const char *>(p) + i;
		for (int j = int(c.nbuf) - 1; j >= 0; j--) {
			const BufferedStore &s = c.buf[j];
			const char *w = static_cast<const char *>(s.where);
			if (a >= w && a < w + s.size) {
				vb[i] = reinterpret_cast<const unsigned char *>(
					&s.value)[a - w];
				break;
			}
		}
	}
	return v;
}

void flush_one(Cpu &c)
{
	BufferedStore s = c.buf[0];
	for (unsigned i = 1; i < c.nbuf; i++)
		c.buf[i - 1] = c.buf[i];
	c.nbuf--;
	mem_write(s.where, s.size, s.value);
	if (E.tracing) {
		std::string name;
		Field f = field_of(s.where, s.size, &name);
		note("cpu" + std::to_string(c.id) + "  flush: store " + name +
		     " = " + value_name(f, s.value) + " reaches memory");
	}
}

u64 do_op(Cpu &c, const OpRequest &r, bool *buffered)
{
	const bool tso = E.opt.model == Model::tso;
	SpinTrack &t = c.track;
	*buffered = false;
	if (r.kind == OpKind::load) {
		u64 v = tso ? tso_read(c, r.where, r.size)
			    : mem_read(r.where, r.size);
		if (t.nreads < kMaxReads)
			t.reads[t.nreads++] = {r.where, r.size, v};
		else
			t.overflow = true;
		return v;
	}
	t.wrote = true;
	if (r.kind == OpKind::store) {
		if (!tso) {
			mem_write(r.where, r.size, r.value);
		} else {
			if (c.nbuf == kBufferSlots)
				flush_one(c);
			c.buf[c.nbuf++] = {r.where, r.size, r.value};
			notify_write(r.where, r.size);
			*buffered = true;
		}
		return 0;
	}
	// Locked read-modify-write: on x86 it drains the store buffer first.
	while (tso && c.nbuf)
		flush_one(c);
	u64 old = mem_read(r.where, r.size);
	switch (r.kind) {
	case OpKind::exchange:
		mem_write(r.where, r.size, r.value);
		break;
	case OpKind::fetch_or:
		mem_write(r.where, r.size, old | r.value);
		break;
	case OpKind::compare_exchange:
		if (old == r.expected)
			mem_write(r.where, r.size, r.value);
		break;
	default:
		break;
	}
	return old;
}

// ---- fibers ----

void resume(Cpu &c)
{
	E.cur = &c;
	Env::t_cpu = c.id;
	qspin_explore_switch(&E.sched_sp, c.sp);
	E.cur = nullptr;
	if (static_cast<char *>(c.sp) < c.low)
		c.low = static_cast<char *>(c.sp);
}

void run_handler(Cpu &c, unsigned k);

// On the fiber: give the scheduler control until it resumes us for what
// we announced; run the interrupts it fires here meanwhile.
void wait_turn(Cpu &c)
{
	for (;;) {
		qspin_explore_switch(&c.sp, E.sched_sp);
		if (c.fire < 0)
			return;
		unsigned k = unsigned(c.fire);
		c.fire = -1;
		At at = c.at;
		OpRequest *req = c.req;
		run_handler(c, k);
		c.at = at;
		c.req = req;
		if (at == At::spin)
			return; // the interrupted spin iteration goes on
	}
}

void run_handler(Cpu &c, unsigned k)
{
	const IrqSource &s = E.client->irqs[k];
	E.fired |= 1U << k;
	const unsigned level = c.level;
	const bool irq_on = c.irq_on;
	c.level = unsigned(s.level);
	c.irq_on = false;
	c.track = {};
	note(ctx_name(c.id, c.level) + "  interrupt: " + s.what);
	s.handler();
	note(ctx_name(c.id, c.level) + "  return from interrupt");
	c.level = level;
	c.irq_on = irq_on;
	c.track = {};
}

void fiber_main(Cpu *c)
{
	E.client->task(c->id);
	c->task_done = true;
	note(ctx_name(c->id, 0) + "  task done");
	for (;;) {
		c->at = At::idle;
		wait_turn(*c);
	}
}

// The spin hook of the test environment: every iteration of every spin
// loop of the core calls it.
void spin_point(void *, const qspin_lock_word *)
{
	Cpu &c = *E.cur;
	if (c.spinout) {
		// Running a bounded loop out alone: no decision to make, so
		// no switch (the iterations are replayed on every execution
		// through this step).
		c.track.nreads = 0;
		c.track.wrote = c.track.overflow = false;
		if (++c.spinout_iters <= kSpinOutLimit)
			return;
		E.res.dead_spinouts++;
		E.dead_branch = true;
		c.at = At::dead;
		qspin_explore_switch(&c.sp, E.sched_sp);
		__builtin_trap();
	}
	c.at = At::spin;
	wait_turn(c);
	c.at = At::running;
}

// ---- state ----

struct Hasher {
	u64 h = 0x243f6a8885a308d3ULL;
	void add(u64 w)
	{
		h ^= w;
		h *= 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	void bytes(const void *p, std::size_t n)
	{
		const unsigned char *b = static_cast<const unsigned char *>(p);
		std::size_t i = 0;
		for (; i + 8 <= n; i += 8) {
			u64 w;
			std::memcpy(&w, b + i, 8);
			add(w);
		}
		u64 w = 0;
		std::memcpy(&w, b + i, n - i);
		add(w ^ n);
	}
};

u64 stack_hash(const Cpu &c)
{
	Hasher h;
	h.bytes(c.sp, std::size_t(c.top - static_cast<char *>(c.sp)));
	return h.h;
}

u64 state_hash()
{
	Hasher h;
	for (unsigned l = 0; l < E.client->nlocks; l++)
		h.add(g_locks[l].word()->val);
	h.bytes(Env::nodes, sizeof(Env::nodes[0]) * E.client->ncpus);
	h.bytes(&E.mon, sizeof(E.mon));
	h.add(E.fired);
	if (E.bound >= 0)
		h.add(u64(E.last_cpu + 1));
	for (unsigned i = 0; i < E.client->ncpus; i++) {
		const Cpu &c = E.cpus[i];
		h.add(u64(c.at) | u64(c.blocked) << 8 | u64(c.counting) << 9 |
		      u64(c.level) << 10 | u64(c.irq_on) << 14 |
		      u64(c.task_done) << 15 | u64(c.nbuf) << 16 |
		      u64(c.leaving) << 24);
		for (unsigned k = 0; k < c.nbuf; k++) {
			h.add(reinterpret_cast<u64>(c.buf[k].where));
			h.add(c.buf[k].value ^ u64(c.buf[k].size) << 60);
		}
		h.add(c.track.have_prev);
		h.add(c.track.prev_hash);
		for (unsigned k = 0; k < c.track.nprev; k++) {
			h.add(reinterpret_cast<u64>(c.track.prev[k].where));
			h.add(c.track.prev[k].value);
		}
		h.add(stack_hash(c));
	}
	return h.h;
}

// ---- the spin rule ----

bool same_reads(const SpinTrack &t)
{
	if (t.nreads != t.nprev || !t.nreads)
		return false;
	for (unsigned k = 0; k < t.nreads; k++)
		if (t.reads[k].where != t.prev[k].where ||
		    t.reads[k].size != t.prev[k].size ||
		    t.reads[k].value != t.prev[k].value)
			return false;
	return true;
}

// At the spin hook: did this iteration repeat the previous one exactly?
// Shifts the iteration into `prev` either way.
bool iteration_repeats(Cpu &c)
{
	SpinTrack &t = c.track;
	const u64 h = stack_hash(c);
	const bool repeat = t.have_prev && !t.wrote && !t.overflow &&
			    same_reads(t);
	if (repeat)
		c.counting = h != t.prev_hash;
	std::memcpy(t.prev, t.reads, sizeof(t.reads));
	t.nprev = t.nreads;
	t.prev_hash = h;
	t.have_prev = !t.wrote && !t.overflow;
	t.nreads = 0;
	t.wrote = false;
	t.overflow = false;
	return repeat;
}

bool reads_prev(const Cpu &c, const OpRequest &r)
{
	for (unsigned k = 0; k < c.track.nprev; k++)
		if (c.track.prev[k].where == r.where &&
		    c.track.prev[k].size == r.size)
			return true;
	return false;
}

// After a resume: carry the CPU on through spin hooks that are not a
// decision (an iteration that made progress, a spin-out's iterations)
// until it announces an operation, blocks, finishes or fails.
void settle(Cpu &c)
{
	for (;;) {
		if (E.failed || c.at == At::dead)
			return;
		if (c.spinout) {
			c.spinout = false;
			note(ctx_name(c.id, c.level) + "  spins out (" +
			     std::to_string(c.spinout_iters) +
			     " iterations alone)");
			return;
		}
		if (c.at == At::spin) {
			if (iteration_repeats(c)) {
				c.blocked = true;
				return;
			}
			resume(c);
			continue;
		}
		return;
	}
}

// ---- the monitors (called on the fibers) ----

Ctx this_ctx()
{
	return {(signed char)E.cur->id, (unsigned char)E.cur->level};
}

std::string lock_name(unsigned l)
{
	return std::string(1, char('A' + l));
}

void record_tail_exchange(const OpRequest &r)
{
	for (unsigned l = 0; l < E.client->nlocks; l++)
		if (r.where == &g_locks[l].word()->tail) {
			unsigned &n = E.mon.nqueued[l];
			if (n < kMaxQueued)
				E.mon.queued[l][n++] = this_ctx();
		}
}

unsigned lock_index(const qspin_lock_word *lock)
{
	for (unsigned l = 0; l < E.client->nlocks; l++)
		if (lock == g_locks[l].word())
			return l;
	return 0;
}

// A waiter that leaves takes itself out of the FIFO record at once: once
// it has passed head-ship on, its successor may own the lock before the
// leaver's lock_checked() returns.
bool forget_queued(unsigned l, Ctx me)
{
	unsigned &n = E.mon.nqueued[l];
	for (unsigned k = 0; k < n; k++) {
		if (!(E.mon.queued[l][k] == me))
			continue;
		for (unsigned j = k + 1; j < n; j++)
			E.mon.queued[l][j - 1] = E.mon.queued[l][j];
		E.mon.queued[l][--n] = {};
		return true;
	}
	return false;
}

// CheckedEnv::should_leave(): a decision point. The CPU stops here; the
// search answers it 0 or leave (MoveKind::answer), at this step or any
// later one.
int leave_point(void *, const qspin_lock_word *lock)
{
	Cpu &c = *E.cur;
	c.at = At::choice;
	wait_turn(c);
	c.at = At::running;
	const std::string who = ctx_name(c.id, c.level);
	const unsigned l = lock_index(lock);
	if (!c.answer_leave) {
		note(who + "  should_leave(" + lock_name(l) + ") -> 0, waits on");
		return 0;
	}
	// Which way out: a waiter that published a tail leaves as the queue
	// head (how, its next operations say: perform()); one deeper than
	// the four nodes from the trylock fallback; else it is the pending
	// waiter.
	const bool queued = forget_queued(l, this_ctx());
	if (queued)
		c.leaving = LeaveWay::head_last; // or head_passed: perform()
	else if (Env::nodes[c.id].node[0].count > QSPIN_MAX_NODES)
		c.leaving = LeaveWay::beyond;
	else
		c.leaving = LeaveWay::pending;
	if (!queued)
		E.res.leaves[unsigned(c.leaving)]++;
	note(who + "  should_leave(" + lock_name(l) + ") -> leave (" +
	     (queued ? "queue head" : leave_way_name(c.leaving)) + ")");
	return test::kLeave;
}

// A leaving queue head's way out, from what it does: a tail CAS that
// works (the last waiter), or a store to a node's ->locked (head-ship
// passed on).
void watch_leaving_head(Cpu &c, const OpRequest &r, u64 old)
{
	if (r.kind == OpKind::compare_exchange && old == r.expected) {
		for (unsigned l = 0; l < E.client->nlocks; l++)
			if (r.where == &g_locks[l].word()->val) {
				E.res.leaves[unsigned(LeaveWay::head_last)]++;
				c.leaving = LeaveWay::count_;
			}
		return;
	}
	if (r.kind != OpKind::store)
		return;
	for (unsigned i = 0; i < E.client->ncpus; i++)
		for (unsigned k = 0; k < QSPIN_MAX_NODES; k++)
			if (r.where == &Env::nodes[i].node[k].locked) {
				E.res.leaves[unsigned(LeaveWay::head_passed)]++;
				c.leaving = LeaveWay::count_;
			}
}

} // namespace

const char *leave_way_name(LeaveWay w)
{
	switch (w) {
	case LeaveWay::pending:
		return "pending waiter";
	case LeaveWay::head_last:
		return "last queue head, tail CAS";
	case LeaveWay::head_passed:
		return "queue head, head-ship passed on";
	case LeaveWay::beyond:
		return "beyond four nodes";
	case LeaveWay::count_:
		break;
	}
	return "?";
}

u64 perform(OpRequest &r)
{
	Cpu &c = *E.cur;
	const void *site = __builtin_return_address(0);
	bool buffered;
	if (c.spinout && r.kind == OpKind::load && reads_prev(c, r))
		return do_op(c, r, &buffered);
	c.req = &r;
	c.at = At::op;
	wait_turn(c);
	c.at = At::running;
	u64 v = do_op(c, r, &buffered);
	if (r.kind == OpKind::exchange)
		record_tail_exchange(r);
	if (c.leaving == LeaveWay::head_last)
		watch_leaving_head(c, r, v);
	if (E.tracing)
		note(ctx_name(c.id, c.level) + "  " + describe(r, v, buffered),
		     site);
	return v;
}

namespace {

// The monitors, on every acquisition: mutual exclusion, FIFO.
void acquired(unsigned l)
{
	const Ctx me = this_ctx();
	const std::string who = ctx_name(me.cpu, me.level);
	Ctx &owner = E.mon.owner[l];
	if (owner.cpu >= 0) {
		const std::string other = ctx_name(owner.cpu, owner.level);
		set_failure("mutual exclusion: %s acquired %s while %s holds it",
			    who.c_str(), lock_name(l).c_str(), other.c_str());
		note(who + "  acquires " + lock_name(l) + "  <-- " + other +
		     " holds it");
		fail_here();
	}
	// FIFO among the waiters that published a tail: first in, first
	// to own.
	unsigned &n = E.mon.nqueued[l];
	for (unsigned k = 0; k < n; k++) {
		if (!(E.mon.queued[l][k] == me))
			continue;
		if (k != 0) {
			const Ctx first = E.mon.queued[l][0];
			const std::string other =
				ctx_name(first.cpu, first.level);
			set_failure("FIFO: %s acquired %s before %s, which "
				    "queued first",
				    who.c_str(), lock_name(l).c_str(),
				    other.c_str());
			note(who + "  acquires " + lock_name(l) + "  <-- " +
			     other + " queued first");
			fail_here();
		}
		for (unsigned j = 1; j < n; j++)
			E.mon.queued[l][j - 1] = E.mon.queued[l][j];
		E.mon.queued[l][--n] = {};
		break;
	}
	owner = me;
	note(who + "  holds " + lock_name(l));
}

} // namespace

void lock(unsigned l)
{
	g_locks[l].lock();
	acquired(l);
}

int lock_checked(unsigned l)
{
	const int left = g_locks[l].lock_checked<CheckedEnv>();
	Cpu &c = *E.cur;
	c.leaving = LeaveWay::count_;
	if (!left) {
		acquired(l);
		return 0;
	}
	note(ctx_name(c.id, c.level) + "  lock_checked(" + lock_name(l) +
	     ") returns without the lock");
	// It left: nothing of it may stay in the FIFO record.
	if (forget_queued(l, this_ctx())) {
		set_failure("a checked waiter of %s left while still queued "
			    "behind another",
			    lock_name(l).c_str());
		fail_here();
	}
	return left;
}

void unlock(unsigned l)
{
	g_locks[l].unlock();
	E.mon.owner[l] = {-1, 0};
}

bool trylock(unsigned l)
{
	if (!g_locks[l].try_lock()) {
		note(ctx_name(E.cur->id, E.cur->level) + "  trylock " +
		     lock_name(l) + " fails");
		return false;
	}
	const Ctx me = this_ctx();
	if (E.mon.owner[l].cpu >= 0) {
		const Ctx o = E.mon.owner[l];
		set_failure("mutual exclusion: %s took %s by trylock while %s "
			    "holds it",
			    ctx_name(me.cpu, me.level).c_str(),
			    lock_name(l).c_str(),
			    ctx_name(o.cpu, o.level).c_str());
		fail_here();
	}
	E.mon.owner[l] = me;
	note(ctx_name(me.cpu, me.level) + "  holds " + lock_name(l) +
	     " (trylock)");
	return true;
}

u32 *litmus_var(unsigned i)
{
	return &g_locks[i].word()->val;
}

void litmus_result(u32 value)
{
	E.mon.litmus[E.cur->id] = value;
}

void irq_disable()
{
	E.cur->irq_on = false;
}

void irq_enable()
{
	E.cur->irq_on = true;
}

namespace {

// ---- the search ----

void reset()
{
	const Client &cl = *E.client;
	for (unsigned l = 0; l < kMaxLocks; l++)
		g_locks[l].word()->val = 0;
	for (unsigned i = 0; i < kMaxCpus; i++)
		Env::nodes[i] = {};
	std::memset(&E.mon, 0, sizeof(E.mon));
	for (unsigned l = 0; l < kMaxLocks; l++)
		E.mon.owner[l] = {-1, 0};
	Env::set_interrupt(spin_point, nullptr);
	CheckedEnv::set_leave(leave_point, nullptr);
	Env::yield_mask.store(~0U);
	E.fired = 0;
	E.failed = false;
	E.dead_branch = false;
	E.last_cpu = -1;
	E.preempt = 0;
	E.trace.clear();
	E.trace_sites.clear();
	for (unsigned i = 0; i < cl.ncpus; i++) {
		Env::nodes[i].node[0].count = cl.preset_depth[i];
		Cpu &c = E.cpus[i];
		// Zero the stack in use: a state's hash reads it, stale bytes
		// from another execution would tell equal states apart.
		char *from = c.low - 256 > c.base ? c.low - 256 : c.base;
		std::memset(from, 0, std::size_t(c.top - from));
		c.low = c.top;
		// The frame qspin_explore_switch pops: r15 r14 r13 r12 rbx rbp
		// and the return address, so that the trampoline calls
		// fiber_main(c) on a 16-byte aligned stack.
		char *x = c.top - 16;
		void **s = reinterpret_cast<void **>(x - 56);
		s[0] = s[1] = s[2] = nullptr;
		s[3] = reinterpret_cast<void *>(&fiber_main);
		s[4] = &c;
		s[5] = nullptr;
		s[6] = reinterpret_cast<void *>(&qspin_explore_trampoline);
		c.sp = s;
		c.at = At::running;
		c.req = nullptr;
		c.blocked = c.counting = c.spinout = false;
		c.spinout_iters = 0;
		c.fire = -1;
		c.level = 0;
		c.irq_on = true;
		c.task_done = false;
		c.answer_leave = false;
		c.leaving = LeaveWay::count_;
		c.track = {};
		c.nbuf = 0;
	}
}

unsigned enumerate(Move *m)
{
	const Client &cl = *E.client;
	unsigned n = 0;
	// The CPU that moved last first: the search tries running on
	// before switching (fewest preemptions first).
	auto own_moves = [&](unsigned i) {
		if (E.cpus[i].at == At::op) {
			m[n++] = {MoveKind::run, (unsigned char)i, 0};
		} else if (E.cpus[i].at == At::choice) {
			// Keep waiting first: the search tries the lock's
			// ordinary path before the ways out.
			m[n++] = {MoveKind::answer, (unsigned char)i, 0};
			m[n++] = {MoveKind::answer, (unsigned char)i, 1};
		}
	};
	if (E.last_cpu >= 0)
		own_moves(unsigned(E.last_cpu));
	for (unsigned i = 0; i < cl.ncpus; i++)
		if (int(i) != E.last_cpu)
			own_moves(i);
	for (unsigned k = 0; k < cl.nirqs; k++) {
		const IrqSource &s = cl.irqs[k];
		const Cpu &c = E.cpus[s.cpu];
		if ((E.fired >> k) & 1)
			continue;
		if (c.at != At::op && c.at != At::spin && c.at != At::idle)
			continue;
		if (unsigned(s.level) <= c.level)
			continue;
		if (!c.irq_on && s.level != Level::nmi)
			continue;
		m[n++] = {MoveKind::fire, (unsigned char)s.cpu,
			  (unsigned char)k};
	}
	for (unsigned i = 0; i < cl.ncpus; i++)
		if (E.cpus[i].at == At::spin && E.cpus[i].blocked &&
		    E.cpus[i].counting)
			m[n++] = {MoveKind::spin_out, (unsigned char)i, 0};
	if (E.opt.model == Model::tso)
		for (unsigned i = 0; i < cl.ncpus; i++)
			if (E.cpus[i].nbuf)
				m[n++] = {MoveKind::flush, (unsigned char)i, 0};
	return n;
}

bool can_run(int cpu)
{
	return cpu >= 0 && (E.cpus[cpu].at == At::op ||
			    E.cpus[cpu].at == At::choice);
}

// A preemption: a step of another CPU while the one that moved last could
// go on. Under TSO a store of another CPU's buffer reaching memory counts
// too (a drain the running CPU did not cause); the bound then limits both.
unsigned cost(const Frame &f, const Move &m)
{
	return f.last_cpu >= 0 && m.cpu != f.last_cpu && f.last_can_run;
}

bool allowed(const Frame &f, const Move &m)
{
	return E.bound < 0 || f.preempt + cost(f, m) <= unsigned(E.bound);
}

void apply(const Move &m)
{
	Cpu &c = E.cpus[m.cpu];
	switch (m.kind) {
	case MoveKind::run:
		resume(c);
		settle(c);
		break;
	case MoveKind::fire:
		c.fire = m.arg;
		c.blocked = c.counting = false;
		resume(c);
		settle(c);
		break;
	case MoveKind::spin_out:
		E.res.spinouts++;
		c.spinout = true;
		c.spinout_iters = 0;
		c.blocked = c.counting = false;
		resume(c);
		settle(c);
		break;
	case MoveKind::flush:
		flush_one(c);
		return;
	case MoveKind::answer:
		c.answer_leave = m.arg != 0;
		resume(c);
		settle(c);
		break;
	}
	E.last_cpu = m.cpu;
}

std::string where_is(const Cpu &c)
{
	std::string who = ctx_name(c.id, c.level);
	switch (c.at) {
	case At::op: {
		std::string name;
		field_of(c.req->where, c.req->size, &name);
		return who + " about to access " + name;
	}
	case At::spin: {
		std::string s = who + " spins";
		for (unsigned k = 0; k < c.track.nprev; k++) {
			std::string name;
			Field f = field_of(c.track.prev[k].where,
					   c.track.prev[k].size, &name);
			s += " on " + name + " = " +
			     value_name(f, c.track.prev[k].value);
		}
		return s;
	}
	case At::idle:
		return who + " done";
	case At::choice:
		return who + " deciding whether to leave";
	default:
		return who + " ?";
	}
}

// No step is possible: either everything finished, and the locks and
// nodes must be back to where they started, or this is a hang.
void at_the_end()
{
	const Client &cl = *E.client;
	bool all_done = true;
	for (unsigned i = 0; i < cl.ncpus; i++)
		all_done &= E.cpus[i].at == At::idle;
	if (!all_done) {
		std::string s;
		for (unsigned i = 0; i < cl.ncpus; i++)
			s += (i ? "; " : "") + where_is(E.cpus[i]);
		set_failure("hang: no CPU can make progress: %s", s.c_str());
		return;
	}
	if (cl.litmus) {
		unsigned outcome = 0;
		for (unsigned i = 0; i < cl.ncpus; i++)
			outcome |= (E.mon.litmus[i] & 1) << i;
		E.res.outcomes |= 1U << outcome;
		return;
	}
	for (unsigned l = 0; l < cl.nlocks; l++) {
		const u32 v = g_locks[l].word()->val;
		if (v) {
			set_failure("at the end, lock %s's word is %s, not 0",
				    lock_name(l).c_str(), word_name(v).c_str());
			return;
		}
		if (E.mon.nqueued[l]) {
			set_failure("at the end, a waiter of %s never acquired "
				    "it", lock_name(l).c_str());
			return;
		}
	}
	for (unsigned i = 0; i < cl.ncpus; i++)
		if (Env::nodes[i].node[0].count != cl.preset_depth[i]) {
			const std::string c = "cpu" + std::to_string(i);
			const std::string n =
				std::to_string(Env::nodes[i].node[0].count);
			set_failure("at the end, %s's node count is %s: a node "
				    "was not released",
				    c.c_str(), n.c_str());
			return;
		}
}

// One execution along E.path (a prefix), extending it with first choices.
void execute()
{
	reset();
	for (unsigned i = 0; i < E.client->ncpus; i++) {
		resume(E.cpus[i]);
		settle(E.cpus[i]);
	}
	unsigned long depth = 0;
	for (;;) {
		if (E.failed) {
			note("*** " + std::string(E.failure));
			break;
		}
		if (E.dead_branch)
			break;
		// Spinners somebody's write has unblocked go on to their
		// next announcement: local code, not a decision.
		for (unsigned i = 0; i < E.client->ncpus; i++) {
			Cpu &c = E.cpus[i];
			if (c.at == At::spin && !c.blocked) {
				resume(c);
				settle(c);
			}
		}
		if (E.failed || E.dead_branch)
			continue;
		Move m[kMaxMoves];
		const unsigned n = enumerate(m);
		if (n == 0) {
			at_the_end();
			if (E.failed) {
				note("*** " + std::string(E.failure));
				break;
			}
			E.res.finished++;
			break;
		}
		if (depth >= E.opt.max_steps) {
			set_failure("no end after %s steps (livelock?)",
				    std::to_string(depth).c_str());
			note("*** " + std::string(E.failure));
			break;
		}
		Frame *f;
		if (depth < E.path.size()) {
			f = &E.path[depth];
			if (f->n != n) {
				std::fprintf(stderr, "explorer: replay diverged "
					     "at step %lu\n", depth);
				std::abort();
			}
		} else {
			if (E.tracing)
				break;
			if (E.opt.state_cache) {
				const u64 h = state_hash();
				auto it = E.seen.find(h);
				if (it != E.seen.end() &&
				    it->second <= E.preempt) {
					E.res.pruned++;
					break;
				}
				E.seen[h] = (unsigned short)E.preempt;
			}
			Frame nf;
			std::memcpy(nf.moves, m, sizeof(Move) * n);
			nf.n = (unsigned char)n;
			nf.preempt = (unsigned short)E.preempt;
			nf.last_cpu = (signed char)E.last_cpu;
			nf.last_can_run = can_run(E.last_cpu);
			nf.chosen = 0;
			while (nf.chosen < n && !allowed(nf, nf.moves[nf.chosen]))
				nf.chosen++;
			if (nf.chosen == n)
				break;
			E.path.push_back(nf);
			f = &E.path.back();
		}
		const Move mv = f->moves[f->chosen];
		E.preempt += cost(*f, mv);
		apply(mv);
		depth++;
		E.res.steps++;
	}
	if (depth > E.res.max_depth)
		E.res.max_depth = depth;
}

bool backtrack()
{
	while (!E.path.empty()) {
		Frame &f = E.path.back();
		for (unsigned k = f.chosen + 1u; k < f.n; k++)
			if (allowed(f, f.moves[k])) {
				f.chosen = (unsigned char)k;
				return true;
			}
		E.path.pop_back();
	}
	return false;
}

// The core's step that made each operation: from the return address of
// perform(), through addr2line's inline chain (the steps are inlined).
std::vector<std::string> step_names(const std::vector<const void *> &sites)
{
	std::vector<std::string> names(sites.size());
	Dl_info info;
	if (!dladdr(reinterpret_cast<void *>(&perform), &info))
		return names;
	std::string cmd = "addr2line -a -f -i -C -e /proc/" +
			  std::to_string(getpid()) + "/exe";
	bool any = false;
	for (const void *s : sites)
		if (s) {
			char b[32];
			std::snprintf(b, sizeof(b), " 0x%lx",
				      (unsigned long)((const char *)s -
						      (const char *)info.dli_fbase -
						      1));
			cmd += b;
			any = true;
		}
	if (!any)
		return names;
	FILE *p = popen((cmd + " 2>/dev/null").c_str(), "r");
	if (!p)
		return names;
	std::vector<std::vector<std::string>> chains;
	char line[4096];
	while (std::fgets(line, sizeof(line), p)) {
		std::string l(line);
		while (!l.empty() && (l.back() == '\n' || l.back() == '\r'))
			l.pop_back();
		if (l.rfind("0x", 0) == 0) {
			chains.emplace_back();
			continue;
		}
		if (chains.empty() || (l.find(':') != std::string::npos &&
					       l.find('(') == std::string::npos))
			continue; // file:line
		chains.back().push_back(l);
	}
	pclose(p);
	// Short names of the core's own steps, innermost first: "unsigned
	// int qspin::detail::fetch_set_pending<Env>(...)" is
	// fetch_set_pending; the spin loop and its lambdas are skipped for
	// the step that spins.
	auto short_name = [](const std::string &f) -> std::string {
		std::size_t p = f.find("qspin::detail::");
		std::string s;
		if (p != std::string::npos)
			s = f.substr(p + 15);
		else if (f.rfind("qspin_word_", 0) == 0)
			s = f;
		else
			return "";
		return s.substr(0, s.find_first_of("<("));
	};
	std::size_t j = 0;
	for (std::size_t i = 0; i < sites.size(); i++) {
		if (!sites[i] || j >= chains.size())
			continue;
		std::string pick;
		for (const std::string &f : chains[j]) {
			const std::string s = short_name(f);
			if (s.empty() || s == "spin_until" ||
			    f.find("lambda") != std::string::npos)
				continue;
			if (pick.empty())
				pick = s;
			else if (s != pick) {
				pick += " < " + s;
				break;
			}
		}
		names[i] = pick;
		j++;
	}
	return names;
}

std::string format_schedule()
{
	const std::vector<std::string> names = step_names(E.trace_sites);
	std::string out;
	char num[32];
	std::size_t shown = 0;
	for (std::size_t i = 0; i < E.trace.size();) {
		// A spin loop's iterations, one line: "(x N)".
		std::size_t same = 1;
		while (i + same < E.trace.size() &&
		       E.trace[i + same] == E.trace[i] &&
		       names[i + same] == names[i])
			same++;
		std::snprintf(num, sizeof(num), "%4zu  ", ++shown);
		std::string line = num + E.trace[i];
		if (same > 1)
			line += "  (x" + std::to_string(same) + ")";
		if (!names[i].empty()) {
			if (line.size() < 72)
				line.resize(72, ' ');
			line += "  [" + names[i] + "]";
		}
		out += line + "\n";
		i += same;
	}
	return out;
}

} // namespace

Result explore(const Client &client, const Options &opt)
{
	E.client = &client;
	E.opt = opt;
	E.bound = opt.bound != -2		? opt.bound
		  : opt.model == Model::tso ? client.tso_bound
					    : client.default_bound;
	E.res = {};
	E.path.clear();
	E.seen.clear();
	E.tracing = false;
	for (unsigned i = 0; i < client.ncpus; i++) {
		Cpu &c = E.cpus[i];
		if (!c.base) {
			c.base = static_cast<char *>(std::aligned_alloc(64, kStackSize));
			c.top = c.base + kStackSize;
			c.low = c.base; // zero it all the first time
		}
		c.id = i;
	}
	Env::reset_events();
	const auto t0 = std::chrono::steady_clock::now();
	for (;;) {
		execute();
		E.res.executions++;
		if (E.failed)
			break;
		if (!backtrack())
			break;
		if (opt.max_executions && E.res.executions >= opt.max_executions) {
			E.res.complete = false;
			break;
		}
		if (opt.max_seconds > 0 && (E.res.executions & 1023) == 0 &&
		    std::chrono::duration<double>(
			    std::chrono::steady_clock::now() - t0)
				    .count() > opt.max_seconds) {
			E.res.complete = false;
			break;
		}
	}
	E.res.states = E.seen.size();
	if (client.must_see != Event::count_)
		E.res.must_see_count = Env::events_of(client.must_see);
	if (E.failed) {
		E.res.failed = true;
		E.res.failure = E.failure;
		// Replay the failing path with the schedule written down.
		E.tracing = true;
		execute();
		E.tracing = false;
		E.res.schedule = format_schedule();
	}
	E.res.seconds = std::chrono::duration<double>(
				std::chrono::steady_clock::now() - t0)
				.count();
	return E.res;
}

} // namespace qspin::explore
