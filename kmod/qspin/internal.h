/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared inside qspin.ko (C only), between the files that make it up:
 *
 *   lock_api.c   the exported lock API, the instrumentation switch, load/unload
 *   core_env.cpp the C++ slow path in the kernel environment (core_env.h)
 *   stats.c      per-CPU path counters and the slow-path stack trace
 *   validate.c   the validator: held locks, usage states, chains,
 *                recursion, bad unlock, the validate switch and reset
 *   class.c      lock classes and the lock -> class map (class.h)
 *   report.c     the validator's report table and saved stacks
 *   detect.c     the same-CPU deadlock report (and debugfs "deadlocks")
 *   parked.c     held records parked with a task that left its CPU (parked.h)
 *   sleep.c      sleeping under a lock: allocation hooks, sched_switch
 *   leak.c       leaked locks: return to user space, task exit
 *   graph.c      the dependency graph (graph.h)
 *   watchdog.c   wait records, the lockup watchdog, checked waiters' leaving
 *   lockstat.c   lock_stat: contentions, wait and hold times per class
 *   queueview.c  debugfs "queue": contended locks' MCS queues, live
 *   debugfs.c    /sys/kernel/debug/qspin/
 */
#ifndef QSPIN_INTERNAL_H
#define QSPIN_INTERNAL_H

#include <linux/jump_label.h>
#include <linux/kallsyms.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <qspin.h>
#include <qspin/debug.h>

#define QSPIN_VERSION "0.1.0"

/* ---- the switch between the plain and the instrumented path (lock_api.c) */

/*
 * On while statistics or deadlock detection is: the one key each lock
 * operation tests, so that with both off the fast path is the plain one.
 * qspin_instrument_update() recomputes it after either changes.
 */
DECLARE_STATIC_KEY_TRUE(qspin_instrument_key);

static __always_inline bool qspin_instrumented(void)
{
	return static_branch_unlikely(&qspin_instrument_key);
}

void qspin_instrument_update(void);

/*
 * On while the validator or lock_stat is (a count: each takes a reference
 * before its own key goes on, drops it after its key went off): unlocks
 * then go their out-of-line way (lock_api.c), where both see the release.
 */
DECLARE_STATIC_KEY_TRUE(qspin_release_key);

static __always_inline bool qspin_release_watched(void)
{
	return static_branch_unlikely(&qspin_release_key);
}

/* ---- statistics (stats.c) ------------------------------------------ */

/* Per-CPU path counters: the core's events (QSPIN_EVENTS), then "fast". */
#define QSPIN_STAT_FAST QSPIN_EV_NR
#define QSPIN_STAT_NR (QSPIN_EV_NR + 1)

struct qspin_stats {
	unsigned long count[QSPIN_STAT_NR];
};

DECLARE_PER_CPU(struct qspin_stats, qspin_stats);
DECLARE_STATIC_KEY_TRUE(qspin_stats_key);
/* The counters' names in debugfs "stats", indexed like qspin_stats.count. */
extern const char *const qspin_stat_names[QSPIN_STAT_NR];

static __always_inline void qspin_stat_inc(unsigned int stat)
{
	if (static_branch_likely(&qspin_stats_key))
		this_cpu_inc(qspin_stats.count[stat]);
}

static inline bool qspin_stats_enabled(void)
{
	return static_key_enabled(&qspin_stats_key);
}

void qspin_stats_init(void);
void qspin_stats_switch(bool on);
void qspin_stats_reset(void);

/*
 * The slow-path stack trace (debugfs slowpath_trace): armed from debugfs,
 * taken by the next slow-path event on any CPU, kept until armed again.
 */
enum qspin_trace_state {
	QSPIN_TRACE_IDLE,
	QSPIN_TRACE_ARMED,
	QSPIN_TRACE_CAPTURING,	/* a CPU is saving its stack right now */
	QSPIN_TRACE_CAPTURED,
};

#define QSPIN_TRACE_DEPTH 16

struct qspin_slowpath_trace {
	int cpu;
	unsigned int len;
	/* Symbolised at capture time: a client module may be gone when read. */
	char frames[QSPIN_TRACE_DEPTH][KSYM_SYMBOL_LEN];
};

int qspin_slowpath_trace_arm(void);
/* The state; with QSPIN_TRACE_CAPTURED, *trace is the captured one. */
enum qspin_trace_state
qspin_slowpath_trace_get(const struct qspin_slowpath_trace **trace);

/* ---- the validator (validate.c, class.c, report.c, detect.c) ------ */

/* On: validate=1 (and detect=1, its alias), the default. */
DECLARE_STATIC_KEY_TRUE(qspin_validate_key);

static __always_inline bool qspin_validate_enabled(void)
{
	return static_branch_unlikely(&qspin_validate_key);
}

/*
 * On while the validator is and statistics are not (lock_api.c): the
 * instrumented path then takes the validator's inline common case
 * (held.h) without testing either key again.
 */
DECLARE_STATIC_KEY_FALSE(qspin_validate_fast_key);

static __always_inline bool qspin_validate_fast(void)
{
	return static_branch_likely(&qspin_validate_fast_key);
}

enum qspin_ctx {
	QSPIN_CTX_TASK,
	QSPIN_CTX_SOFTIRQ,
	QSPIN_CTX_HARDIRQ,
	QSPIN_CTX_NMI,
	QSPIN_CTX_NR
};

extern const char *const qspin_ctx_names[QSPIN_CTX_NR];

/*
 * Before the atomic that takes the lock (after it, for a trylock that
 * succeeded): check and record the acquisition. `subclass`: 0, or
 * qspin_lock_nested()'s. Return: whether a record was made.
 */
bool qspin_validate_acquire(qspinlock_t *lock, unsigned long ip,
			    unsigned int subclass, bool trylock);
/*
 * On contention, before the slow path: true (after a report) when the lock
 * can never be released while this context spins (same CPU).
 */
bool qspin_validate_contended(qspinlock_t *lock, unsigned long ip,
			      bool recorded, bool checked);
/* qspin_lock_checked() backs off: forget the record. */
void qspin_validate_back_off(qspinlock_t *lock);
/*
 * Release the lock's word, unless it is a bad unlock (reported): what
 * qspin_validate_release_fast() (held.h) leaves. Return: true when the
 * lock's record was parked with this task (parked.c): it slept or its
 * leak was repaired, so its preempt count no longer holds the lock's share
 * and the unlock must not give it back.
 */
bool qspin_validate_release_general(qspinlock_t *lock);
/* qspin_lock_init(): false (after a report) when the lock is held. */
bool qspin_validate_init(qspinlock_t *lock, unsigned long ip);
void qspin_validate_switch(bool on);
int qspin_validate_init_module(void);
void qspin_validate_exit_module(void);
void qspin_validate_debugfs(struct dentry *dir);

/* class.c */
struct qspin_class_key;
void qspin_class_init_lock(qspinlock_t *lock, const char *name,
			   struct qspin_class_key *key, unsigned long ip);
bool qspin_lock_in_module(const qspinlock_t *lock, struct module *mod);
void qspin_chains_reset(void);			/* validate.c; graph lock held */
void qspin_held_check_freed(struct module *mod);	/* validate.c */
const char *qspin_usage_name(unsigned int u);

/* report.c */
bool qspin_report_start_untitled(unsigned int type, unsigned long key1,
				 unsigned long key2);
void qspin_reports_reset(void);
void qspin_reports_forget_type(enum qspin_report_type type);
void qspin_reports_forget(struct module *mod, const unsigned long *classes);
void qspin_stacks_reset(void);			/* graph lock held */
void qspin_report_debugfs(struct dentry *dir);

/* detect.c: the same-CPU deadlock report, once per lock and context pair. */
void qspin_report_deadlock(qspinlock_t *lock, enum qspin_ctx holder,
			   unsigned long holder_ip, enum qspin_ctx waiter,
			   unsigned long waiter_ip, bool checked);
void qspin_deadlocks_reset(void);
/* qspin_lock_init(): remember a dynamic lock's init site for reports. */
void qspin_detect_note_init(qspinlock_t *lock, unsigned long ip);
void qspin_detect_debugfs(struct dentry *dir);

/* watchdog.c: the wait records around a watched or checked slow path. */
void qspin_wait_begin(const qspinlock_t *lock, unsigned long ip, bool checked);
void qspin_wait_end(void);
int qspin_watchdog_init(void);
void qspin_watchdog_exit(void);
void qspin_watchdog_debugfs(struct dentry *dir);
/* The queue view's reads of the wait records and the holder (watchdog.c). */
const qspinlock_t *qspin_wait_peek(int cpu, enum qspin_ctx ctx, u64 *since,
				   unsigned long *ip);
bool qspin_wait_holder_of(const qspinlock_t *lock, int *cpu,
			  enum qspin_ctx *ctx, unsigned long *ip);
/* queueview.c: debugfs "queue", the MCS queues of contended locks, live. */
void qspin_queue_debugfs(struct dentry *dir);
/*
 * The validator's probes on the kernel, registered while validation is on
 * (qspin_validate_switch()): a tracepoint by name, exported or not
 * (validate.c); sleeping under a lock (sleep.c); leaked locks (leak.c).
 */
struct tracepoint *qspin_tracepoint_find(const char *name);
void qspin_sleep_init(void);
void qspin_sleep_probes(bool on);
void qspin_sleep_sync(void);
void qspin_sleep_reset(void);
void qspin_sleep_debugfs(struct dentry *dir);
void qspin_leak_probes(bool on);
void qspin_leak_reset(void);
void qspin_leak_debugfs(struct dentry *dir);

/* ---- lock_stat (lockstat.c) ------------------------------------------ */

/* On: parameter lock_stat=1 (off by default, as the kernel's). */
DECLARE_STATIC_KEY_FALSE(qspin_lockstat_key);

static __always_inline bool qspin_lockstat_enabled(void)
{
	return static_branch_unlikely(&qspin_lockstat_key);
}

bool qspin_lockstat_on(void);
u64 __qspin_lockstat_contended(qspinlock_t *lock, unsigned long ip);
void __qspin_lockstat_acquired(qspinlock_t *lock, unsigned long ip,
			       u64 wait_since, bool trylock);
void __qspin_lockstat_release(qspinlock_t *lock);

/* The fast CAS failed: a contention. Return: the wait's start (0: not counted). */
static __always_inline u64 qspin_lockstat_contended(qspinlock_t *lock,
						    unsigned long ip)
{
	return qspin_lockstat_enabled() ? __qspin_lockstat_contended(lock, ip) : 0;
}

/* Taken (after waiting since `wait_since`, or not: 0): the hold starts. */
static __always_inline void qspin_lockstat_acquired(qspinlock_t *lock,
						    unsigned long ip,
						    u64 wait_since, bool trylock)
{
	if (qspin_lockstat_enabled())
		__qspin_lockstat_acquired(lock, ip, wait_since, trylock);
}

/* Before the release of the word: the hold ends. */
static __always_inline void qspin_lockstat_release(qspinlock_t *lock)
{
	if (qspin_lockstat_enabled())
		__qspin_lockstat_release(lock);
}

void qspin_lockstat_forget_class(unsigned int cls);	/* class.c */
void qspin_lockstat_init(void);
void qspin_lockstat_exit(void);
void qspin_lockstat_debugfs(struct dentry *dir);

/* ---- debugfs (debugfs.c) ------------------------------------------- */

void qspin_debugfs_init(void);
void qspin_debugfs_exit(void);

/*
 * debugfs command files: one word written, no trailing newline; -EINVAL for
 * an empty or oversized write.
 */
int qspin_debugfs_word(const char __user *ubuf, size_t len, char *buf,
		       size_t size);
/*
 * A debugfs file whose one command is "reset": calls @reset for it.
 * Return: @len, or -EINVAL (another word) / -EFAULT.
 */
ssize_t qspin_debugfs_reset(const char __user *ubuf, size_t len,
			    void (*reset)(void));

/*
 * A debugfs file read through seq_file (name##_show) that takes commands
 * (name##_write): DEFINE_SHOW_ATTRIBUTE's read-write twin.
 */
#define QSPIN_DEFINE_RW_ATTRIBUTE(name)					\
static int name##_open(struct inode *inode, struct file *file)		\
{									\
	return single_open(file, name##_show, inode->i_private);	\
}									\
static const struct file_operations name##_fops = {			\
	.owner = THIS_MODULE,						\
	.open = name##_open,						\
	.read = seq_read,						\
	.llseek = seq_lseek,						\
	.release = single_release,					\
	.write = name##_write,						\
}

#endif /* QSPIN_INTERNAL_H */
