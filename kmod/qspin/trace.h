/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qspin's tracepoints, the events system "qspin" in tracefs
 * (events/qspin/), for trace-cmd, perf and bpftrace:
 *
 *   contention_begin  lock_addr flags   a waiter enters the slow path
 *   contention_end    lock_addr ret     it leaves: 0 (it holds the lock) or
 *                                       -EDEADLK / -ETIMEDOUT (a checked
 *                                       waiter that backed off)
 *   lock_acquired     lock_addr ip      the lock is taken (fast path,
 *                                       after contention_end, or trylock)
 *   lock_release      lock_addr ip      about to release it
 *
 * contention_begin/end have the fields of the kernel's own
 * lock:contention_begin/end (include/trace/events/lock.h), so that a
 * script written for one reads the other; the kernel's events are not
 * exported to modules on 6.1, and `perf lock` reads only those.
 * lock_acquired and lock_release are named after lockdep's lock: events.
 * The lock's address prints as a number, not %p: tracefs hashes %p (trace
 * option hash-ptr, on by default on 6.1), and an address is what one
 * matches against /proc/kallsyms; trace-cmd and perf print the same.
 *
 * Fired from lock_api.c's instrumented path only. Enabling any of them
 * turns that path on (the events' reg/unreg callbacks below count the
 * enabled events and call qspin_instrument_update()), so the events fire
 * whatever stats= and validate= say; with none enabled each site is a
 * tracepoint's nop, on the instrumented path only: the plain path has none.
 *
 * Defined by trace.c (CREATE_TRACE_POINTS). An out-of-tree module's trace
 * header is found through TRACE_INCLUDE_PATH, relative to the include path:
 * Kbuild gives trace.o -I$(src).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM qspin

#if !defined(QSPIN_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define QSPIN_TRACE_H

#include <linux/tracepoint.h>

/* contention_begin's flags: the kernel's LCB_F_SPIN, and qspin's own. */
#define QSPIN_TRACE_SPIN	(1U << 0)	/* LCB_F_SPIN: a spinning waiter */
#define QSPIN_TRACE_CHECKED	(1U << 8)	/* qspin_lock_checked(): may back off */

/* The events' reg/unreg callbacks (trace.c). */
int qspin_trace_reg(void);
void qspin_trace_unreg(void);
/* Any qspin event enabled: qspin_instrument_update() keeps the path on. */
bool qspin_trace_enabled(void);

TRACE_EVENT_FN(contention_begin,

	TP_PROTO(void *lock, unsigned int flags),

	TP_ARGS(lock, flags),

	TP_STRUCT__entry(
		__field(void *, lock_addr)
		__field(unsigned int, flags)
	),

	TP_fast_assign(
		__entry->lock_addr = lock;
		__entry->flags = flags;
	),

	TP_printk("0x%lx (flags=%s)", (unsigned long)__entry->lock_addr,
		  __print_flags(__entry->flags, "|",
				{ QSPIN_TRACE_SPIN,	"SPIN" },
				{ QSPIN_TRACE_CHECKED,	"CHECKED" })),

	qspin_trace_reg, qspin_trace_unreg
);

TRACE_EVENT_FN(contention_end,

	TP_PROTO(void *lock, int ret),

	TP_ARGS(lock, ret),

	TP_STRUCT__entry(
		__field(void *, lock_addr)
		__field(int, ret)
	),

	TP_fast_assign(
		__entry->lock_addr = lock;
		__entry->ret = ret;
	),

	TP_printk("0x%lx (ret=%d)", (unsigned long)__entry->lock_addr,
		  __entry->ret),

	qspin_trace_reg, qspin_trace_unreg
);

DECLARE_EVENT_CLASS(qspin_lock_ip,

	TP_PROTO(void *lock, unsigned long ip),

	TP_ARGS(lock, ip),

	TP_STRUCT__entry(
		__field(void *, lock_addr)
		__field(unsigned long, ip)
	),

	TP_fast_assign(
		__entry->lock_addr = lock;
		__entry->ip = ip;
	),

	TP_printk("0x%lx ip=%pS", (unsigned long)__entry->lock_addr,
		  (void *)__entry->ip)
);

DEFINE_EVENT_FN(qspin_lock_ip, lock_acquired,

	TP_PROTO(void *lock, unsigned long ip),

	TP_ARGS(lock, ip),

	qspin_trace_reg, qspin_trace_unreg
);

DEFINE_EVENT_FN(qspin_lock_ip, lock_release,

	TP_PROTO(void *lock, unsigned long ip),

	TP_ARGS(lock, ip),

	qspin_trace_reg, qspin_trace_unreg
);

#endif /* QSPIN_TRACE_H */

/* Outside the guard: define_trace.h reads this file again. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
