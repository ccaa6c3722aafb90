// SPDX-License-Identifier: GPL-2.0
/*
 * lock_stat for qspin locks: the kernel's /proc/lock_stat (CONFIG_LOCK_STAT,
 * kernel/locking/lockdep.c and lockdep_proc.c) for the locks qspin.ko
 * serves, in debugfs qspin/lock_stat, in the same layout and words.
 *
 * Per lock class (the validator's classes, class.c); a lock without a class
 * (a static DEFINE_QSPINLOCK never taken under the validator) is counted on
 * its own, keyed by its address and named by its symbol. For each:
 *
 *   contentions     acquisitions that had to wait (the fast CAS failed) and
 *                   got the lock; their wait time min/max/total/avg, from
 *                   the failed CAS to the lock taken
 *   con-bounces     contentions where the lock was last taken on another
 *                   CPU (its cache line had to move: lockdep's "bounces")
 *   acquisitions    acquisitions released, trylocks included; their hold
 *                   time, from the lock taken to its unlock
 *   acq-bounces     acquisitions (not trylocks) of a lock last taken on
 *                   another CPU
 *   contention points   the callers that waited (up to four per class)
 *   contending points   where the holder they waited for took the lock
 *
 * Off by default, as the kernel's: parameter lock_stat (0/1, writable) and
 * a static key. Its hooks sit on the instrumented path (lock_api.c), which
 * lock_stat switches on; releases reach qspin_lockstat_release() through
 * the out-of-line unlock, which qspin_release_key opens while lock_stat or
 * the validator is on. The plain path is unchanged.
 *
 * Counters are per CPU, in tables allocated at the first switch on (one
 * per possible CPU: the stats of every class and lock, and the acquisition
 * stamps of the locks this CPU holds, per context level, as held.h's
 * records), updated with interrupts off and summed on read. NMIs are counted too, unprotected: an
 * NMI that updates the class its CPU was updating may lose one update.
 * What a lock instance needs across CPUs (the CPU and the caller that took
 * it last: bounces and contending points) lives in a direct-mapped table by
 * address; a lock that shares a slot with another is seen anew, no bounce.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/hash.h>
#include <linux/irqflags.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/sched/clock.h>
#include <linux/seq_file.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "class.h"
#include "held.h"
#include "internal.h"

/* Locks without a class, counted on their own. */
#define QSPIN_LOCKSTAT_LOCKS 256
#define QSPIN_LOCKSTAT_PROBES 16
/* What lock_stat counts: a class, or a lock without one. */
#define QSPIN_LOCKSTAT_ENTRIES (QSPIN_MAX_CLASSES + QSPIN_LOCKSTAT_LOCKS)
#define QSPIN_LOCKSTAT_NONE QSPIN_LOCKSTAT_ENTRIES
/* Call sites kept per class, as lockdep's LOCKSTAT_POINTS. */
#define QSPIN_LOCKSTAT_POINTS 4
/* Last acquirer per lock instance: direct-mapped by address. */
#define QSPIN_LOCKSTAT_OWNER_BITS 10

DEFINE_STATIC_KEY_FALSE(qspin_lockstat_key);

/* min/max/total of nr samples, in ns (lockdep's struct lock_time). */
struct qspin_lock_time {
	u64 min;
	u64 max;
	u64 total;
	unsigned long nr;
};

enum qspin_bounce {
	QSPIN_BOUNCE_CONTENDED,
	QSPIN_BOUNCE_ACQUIRED,
	QSPIN_BOUNCE_NR
};

/* One CPU's counts for one class or lock. */
struct qspin_lockstat_counts {
	struct qspin_lock_time waittime;
	struct qspin_lock_time holdtime;
	unsigned long bounces[QSPIN_BOUNCE_NR];
	unsigned long contention_point[QSPIN_LOCKSTAT_POINTS];
	unsigned long contending_point[QSPIN_LOCKSTAT_POINTS];
};

/* A lock this CPU holds in one context: since when, counted where. */
struct qspin_lockstat_held {
	unsigned long lock;
	u64 since;
	unsigned int entry;
};

/*
 * One context level's held locks, packed, in no order (a release moves the
 * last one into its hole). Written only by its own context on its CPU.
 */
struct qspin_lockstat_stack {
	unsigned int depth;
	struct qspin_lockstat_held held[QSPIN_HELD_MAX];
};

struct qspin_lockstat_cpu {
	struct qspin_lockstat_stack held[QSPIN_CTX_NR];
	struct qspin_lockstat_counts counts[QSPIN_LOCKSTAT_ENTRIES];
};

/* This CPU's table; NULL until lock_stat is first switched on. */
static DEFINE_PER_CPU(struct qspin_lockstat_cpu *, qspin_lockstat_cpu);

/* The call sites of each class: claimed once (cmpxchg), counted per CPU. */
static struct {
	unsigned long contention[QSPIN_LOCKSTAT_POINTS];
	unsigned long contending[QSPIN_LOCKSTAT_POINTS];
} qspin_lockstat_points[QSPIN_LOCKSTAT_ENTRIES];

/* Locks counted on their own, by address; 0: free. */
static unsigned long qspin_lockstat_locks[QSPIN_LOCKSTAT_LOCKS];

/* Who took a lock last: lockdep keeps it in the lock (lock->cpu, lock->ip). */
static struct {
	unsigned long lock;
	unsigned long ip;
	int cpu;
} qspin_lockstat_owner[1U << QSPIN_LOCKSTAT_OWNER_BITS];

/* Acquisitions not counted: no entry left, or the held table full. */
static atomic_long_t qspin_lockstat_lost;

/* ---- the switch ------------------------------------------------------- */

static DEFINE_MUTEX(qspin_lockstat_mutex);
static unsigned int lock_stat;	/* the parameter's value */
static bool qspin_lockstat_ready;	/* between init and exit */

static int qspin_lockstat_alloc(void)
{
	struct qspin_lockstat_cpu *t;
	int cpu;

	for_each_possible_cpu(cpu) {
		if (per_cpu(qspin_lockstat_cpu, cpu))
			continue;
		t = vzalloc_node(sizeof(*t), cpu_to_node(cpu));
		if (!t)
			return -ENOMEM;
		per_cpu(qspin_lockstat_cpu, cpu) = t;
	}
	return 0;
}

static void qspin_lockstat_free(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		vfree(per_cpu(qspin_lockstat_cpu, cpu));
		per_cpu(qspin_lockstat_cpu, cpu) = NULL;
	}
}

/*
 * On: the stamps start empty (none is written while the key is off), the
 * release hook opens before the first stamp, then the key, then the
 * instrumented path. Off: the reverse; once every CPU has left the lock
 * operation it was in (they run with preemption off), the release hook
 * may close. The numbers stay, readable, until reset.
 */
static int qspin_lockstat_switch(bool on)
{
	int cpu, ret;

	lockdep_assert_held(&qspin_lockstat_mutex);
	if (on == static_key_enabled(&qspin_lockstat_key))
		return 0;
	if (on) {
		ret = qspin_lockstat_alloc();
		if (ret) {
			pr_err("lock_stat=1: no memory for its per-CPU tables (%zu bytes per CPU)\n",
			       sizeof(struct qspin_lockstat_cpu));
			return ret;
		}
		for_each_possible_cpu(cpu)
			memset(per_cpu(qspin_lockstat_cpu, cpu)->held, 0,
			       sizeof(per_cpu(qspin_lockstat_cpu, cpu)->held));
		static_branch_inc(&qspin_release_key);
		static_branch_enable(&qspin_lockstat_key);
		qspin_instrument_update();
	} else {
		static_branch_disable(&qspin_lockstat_key);
		qspin_instrument_update();
		synchronize_rcu();
		static_branch_dec(&qspin_release_key);
	}
	return 0;
}

static int lock_stat_set(const char *val, const struct kernel_param *kp)
{
	unsigned int on;
	int ret = kstrtouint(val, 10, &on);

	if (ret || on > 1) {
		pr_err("lock_stat=%.*s rejected: must be 0 or 1\n",
		       (int)strcspn(val, "\n"), val);
		return -EINVAL;
	}
	mutex_lock(&qspin_lockstat_mutex);
	/* Before init (modprobe's parameters): applied by qspin_lockstat_init(). */
	ret = qspin_lockstat_ready ? qspin_lockstat_switch(on) : 0;
	if (!ret)
		lock_stat = on;
	mutex_unlock(&qspin_lockstat_mutex);
	return ret;
}

static const struct kernel_param_ops lock_stat_ops = {
	.set = lock_stat_set,
	.get = param_get_uint,
};
module_param_cb(lock_stat, &lock_stat_ops, &lock_stat, 0644);
MODULE_PARM_DESC(lock_stat, "Lock statistics per class, as /proc/lock_stat, in debugfs qspin/lock_stat (0/1, default 0)");

bool qspin_lockstat_on(void)
{
	return static_key_enabled(&qspin_lockstat_key);
}

/* ---- classes and locks ------------------------------------------------- */

static __always_inline unsigned int qspin_lockstat_lock_slot(unsigned long key)
{
	return hash_32((u32)(key >> 2), ilog2(QSPIN_LOCKSTAT_LOCKS));
}

/* The entry `lock` counts in: its class, or its own; NONE when full. */
static unsigned int qspin_lockstat_entry(const qspinlock_t *lock)
{
	unsigned long key = (unsigned long)lock, k;
	unsigned int cls = qspin_class_of(lock), i, n;

	if (cls != QSPIN_CLASS_NONE)
		return cls;
	i = qspin_lockstat_lock_slot(key);
	for (n = 0; n < QSPIN_LOCKSTAT_PROBES; n++) {
		k = READ_ONCE(qspin_lockstat_locks[i]);
		if (!k)
			k = cmpxchg(&qspin_lockstat_locks[i], 0, key) ?: key;
		if (k == key)
			return QSPIN_MAX_CLASSES + i;
		i = (i + 1) & (QSPIN_LOCKSTAT_LOCKS - 1);
	}
	return QSPIN_LOCKSTAT_NONE;
}

/* The index of `ip` among `points`, claimed if new; POINTS when full. */
static unsigned int qspin_lockstat_point(unsigned long *points,
					 unsigned long ip)
{
	unsigned long old;
	unsigned int i;

	for (i = 0; i < QSPIN_LOCKSTAT_POINTS; i++) {
		old = READ_ONCE(points[i]);
		if (!old)
			old = cmpxchg(&points[i], 0, ip) ?: ip;
		if (old == ip)
			break;
	}
	return i;
}

static void qspin_lock_time_inc(struct qspin_lock_time *lt, u64 t)
{
	if (t > lt->max)
		lt->max = t;
	if (t < lt->min || !lt->nr)
		lt->min = t;
	lt->total += t;
	lt->nr++;
}

static __always_inline unsigned int qspin_lockstat_owner_slot(const qspinlock_t *lock)
{
	return hash_32((u32)((unsigned long)lock >> 2), QSPIN_LOCKSTAT_OWNER_BITS);
}

/* ---- the hooks (lock_api.c) --------------------------------------------- */

u64 notrace __qspin_lockstat_contended(qspinlock_t *lock, unsigned long ip)
{
	struct qspin_lockstat_cpu *t = this_cpu_read(qspin_lockstat_cpu);
	unsigned int e, slot = qspin_lockstat_owner_slot(lock), c, h = QSPIN_LOCKSTAT_POINTS;
	struct qspin_lockstat_counts *s;
	unsigned long flags, holder_ip = 0;
	bool bounce = false;

	if (!t)
		return 0;
	e = qspin_lockstat_entry(lock);
	if (e == QSPIN_LOCKSTAT_NONE)
		return 0;
	if (READ_ONCE(qspin_lockstat_owner[slot].lock) == (unsigned long)lock) {
		holder_ip = READ_ONCE(qspin_lockstat_owner[slot].ip);
		bounce = READ_ONCE(qspin_lockstat_owner[slot].cpu) !=
			 raw_smp_processor_id();
	}
	c = qspin_lockstat_point(qspin_lockstat_points[e].contention, ip);
	if (holder_ip)
		h = qspin_lockstat_point(qspin_lockstat_points[e].contending,
					 holder_ip);
	s = &t->counts[e];
	local_irq_save(flags);
	if (c < QSPIN_LOCKSTAT_POINTS)
		s->contention_point[c]++;
	if (h < QSPIN_LOCKSTAT_POINTS)
		s->contending_point[h]++;
	if (bounce)
		s->bounces[QSPIN_BOUNCE_CONTENDED]++;
	local_irq_restore(flags);
	return local_clock() ?: 1;
}

void notrace __qspin_lockstat_acquired(qspinlock_t *lock, unsigned long ip,
				       u64 wait_since, bool trylock)
{
	struct qspin_lockstat_cpu *t = this_cpu_read(qspin_lockstat_cpu);
	unsigned int e, slot = qspin_lockstat_owner_slot(lock);
	struct qspin_lockstat_stack *hs;
	struct qspin_lockstat_counts *s;
	int cpu = raw_smp_processor_id();
	bool bounce = false;
	unsigned long flags;
	u64 now;

	if (!t)
		return;
	/*
	 * Who took it last, first thing: the next waiter, already spinning
	 * on another CPU, reads it as soon as we release. As lockdep: a
	 * trylock that succeeds is no lock_acquired().
	 */
	if (!trylock) {
		bounce = READ_ONCE(qspin_lockstat_owner[slot].lock) == (unsigned long)lock &&
			 READ_ONCE(qspin_lockstat_owner[slot].cpu) != cpu;
		WRITE_ONCE(qspin_lockstat_owner[slot].lock, (unsigned long)lock);
		WRITE_ONCE(qspin_lockstat_owner[slot].ip, ip);
		WRITE_ONCE(qspin_lockstat_owner[slot].cpu, cpu);
	}
	e = qspin_lockstat_entry(lock);
	if (e == QSPIN_LOCKSTAT_NONE)
		goto lost;
	hs = &t->held[qspin_ctx_now()];
	if (unlikely(hs->depth >= QSPIN_HELD_MAX))
		goto lost;
	now = local_clock();
	hs->held[hs->depth].lock = (unsigned long)lock;
	hs->held[hs->depth].since = now;
	hs->held[hs->depth].entry = e;
	hs->depth++;
	s = &t->counts[e];
	local_irq_save(flags);
	if (wait_since)
		qspin_lock_time_inc(&s->waittime, now - wait_since);
	if (bounce)
		s->bounces[QSPIN_BOUNCE_ACQUIRED]++;
	local_irq_restore(flags);
	return;
lost:
	atomic_long_inc(&qspin_lockstat_lost);
}

void notrace __qspin_lockstat_release(qspinlock_t *lock)
{
	struct qspin_lockstat_cpu *t = this_cpu_read(qspin_lockstat_cpu);
	struct qspin_lockstat_stack *hs;
	unsigned long flags;
	unsigned int i, e;
	u64 held_for;

	if (!t)
		return;
	hs = &t->held[qspin_ctx_now()];
	/* Most often the last one taken: from the top. */
	for (i = hs->depth; i-- > 0;) {
		if (hs->held[i].lock != (unsigned long)lock)
			continue;
		held_for = local_clock() - hs->held[i].since;
		e = hs->held[i].entry;
		hs->held[i] = hs->held[--hs->depth];
		local_irq_save(flags);
		qspin_lock_time_inc(&t->counts[e].holdtime, held_for);
		local_irq_restore(flags);
		return;
	}
	/*
	 * Taken before lock_stat was on, or not counted, or taken on another
	 * CPU by a holder that slept (a bug the validator reports; its stamp
	 * stays there until lock_stat is switched on again): no hold time.
	 */
}

/* ---- forgetting --------------------------------------------------------- */

static void qspin_lockstat_clear_entry(unsigned int e)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct qspin_lockstat_cpu *t = per_cpu(qspin_lockstat_cpu, cpu);

		if (t)
			memset(&t->counts[e], 0, sizeof(t->counts[e]));
	}
	memset(&qspin_lockstat_points[e], 0, sizeof(qspin_lockstat_points[e]));
}

/* class.c: a new class (perhaps an id a module's class had) starts at 0. */
void qspin_lockstat_forget_class(unsigned int cls)
{
	if (cls < QSPIN_MAX_CLASSES)
		qspin_lockstat_clear_entry(cls);
}

/* debugfs "reset" (or "0", as /proc/lock_stat): every count to 0. */
static void qspin_lockstat_reset(void)
{
	unsigned int e;

	for (e = 0; e < QSPIN_LOCKSTAT_ENTRIES; e++)
		qspin_lockstat_clear_entry(e);
	memset(qspin_lockstat_locks, 0, sizeof(qspin_lockstat_locks));
	atomic_long_set(&qspin_lockstat_lost, 0);
}

/* A module going: its locks counted on their own go with it. */
static int qspin_lockstat_module_event(struct notifier_block *nb,
				       unsigned long state, void *data)
{
	unsigned int i;
	unsigned long k;

	if (state != MODULE_STATE_GOING)
		return NOTIFY_OK;
	for (i = 0; i < QSPIN_LOCKSTAT_LOCKS; i++) {
		k = READ_ONCE(qspin_lockstat_locks[i]);
		if (k && qspin_lock_in_module((qspinlock_t *)k, data)) {
			qspin_lockstat_clear_entry(QSPIN_MAX_CLASSES + i);
			/* Not 0: a later lock's probe must go on past it. */
			WRITE_ONCE(qspin_lockstat_locks[i], QSPIN_MAP_GONE);
		}
	}
	return NOTIFY_OK;
}

static struct notifier_block qspin_lockstat_module_nb = {
	.notifier_call = qspin_lockstat_module_event,
};

/* ---- debugfs "lock_stat": /proc/lock_stat's layout ---------------------- */

struct qspin_lockstat_row {
	unsigned int entry;
	struct qspin_lockstat_counts sum;
};

static void qspin_lock_time_add(const struct qspin_lock_time *src,
				struct qspin_lock_time *dst)
{
	if (!src->nr)
		return;
	if (src->max > dst->max)
		dst->max = src->max;
	if (src->min < dst->min || !dst->nr)
		dst->min = src->min;
	dst->total += src->total;
	dst->nr += src->nr;
}

static void qspin_lockstat_sum(unsigned int e, struct qspin_lockstat_counts *sum)
{
	int cpu, i;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		const struct qspin_lockstat_counts *c;

		if (!per_cpu(qspin_lockstat_cpu, cpu))
			continue;
		c = &per_cpu(qspin_lockstat_cpu, cpu)->counts[e];
		qspin_lock_time_add(&c->waittime, &sum->waittime);
		qspin_lock_time_add(&c->holdtime, &sum->holdtime);
		for (i = 0; i < QSPIN_BOUNCE_NR; i++)
			sum->bounces[i] += c->bounces[i];
		for (i = 0; i < QSPIN_LOCKSTAT_POINTS; i++) {
			sum->contention_point[i] += c->contention_point[i];
			sum->contending_point[i] += c->contending_point[i];
		}
	}
}

/* Most contentions first, then most acquisitions (lockdep: contentions). */
static int qspin_lockstat_cmp(const void *l, const void *r)
{
	const struct qspin_lockstat_row *a = l, *b = r;

	if (a->sum.waittime.nr != b->sum.waittime.nr)
		return a->sum.waittime.nr < b->sum.waittime.nr ? 1 : -1;
	if (a->sum.holdtime.nr != b->sum.holdtime.nr)
		return a->sum.holdtime.nr < b->sum.holdtime.nr ? 1 : -1;
	return 0;
}

static void qspin_lockstat_name(unsigned int e, char *buf, size_t size)
{
	unsigned long lock;
	char *mod;

	if (e < QSPIN_MAX_CLASSES) {
		strscpy(buf, qspin_class_name(e), size);
		return;
	}
	lock = READ_ONCE(qspin_lockstat_locks[e - QSPIN_MAX_CLASSES]);
	/* Its symbol, as class.c names a static lock: "my_lock". */
	snprintf(buf, size, "%pS", (void *)lock);
	if (strstr(buf, "+0x0/"))
		snprintf(buf, size, "%ps", (void *)lock);
	mod = strstr(buf, " [");
	if (mod)
		*mod = '\0';
}

static void seq_line(struct seq_file *m, char c, int offset, int length)
{
	seq_printf(m, "%*s", offset, "");
	while (length-- > 0)
		seq_putc(m, c);
	seq_putc(m, '\n');
}

/* ns as lockdep prints them: microseconds, two decimals, rounded. */
static void seq_time(struct seq_file *m, u64 ns)
{
	char num[24];
	u32 rem;
	u64 us = div_u64_rem(ns + 5, 1000, &rem);

	snprintf(num, sizeof(num), "%llu.%02u", us, rem / 10);
	seq_printf(m, " %14s", num);
}

static void seq_lock_time(struct seq_file *m, const struct qspin_lock_time *lt)
{
	seq_printf(m, "%14lu", lt->nr);
	seq_time(m, lt->min);
	seq_time(m, lt->max);
	seq_time(m, lt->total);
	seq_time(m, lt->nr ? div64_u64(lt->total, lt->nr) : 0);
}

static void seq_points(struct seq_file *m, const char *name, int namelen,
		       const unsigned long *ips, const unsigned long *counts)
{
	char ip[32];
	int i;

	for (i = 0; i < QSPIN_LOCKSTAT_POINTS; i++) {
		unsigned long p = READ_ONCE(ips[i]);

		if (!p)
			break;
		if (!i)
			seq_line(m, '-', 40 - namelen, namelen);
		snprintf(ip, sizeof(ip), "[<%p>]", (void *)p);
		seq_printf(m, "%40s %14lu %29s %pS\n", name, counts[i], ip,
			   (void *)p);
	}
}

static void seq_row(struct seq_file *m, const struct qspin_lockstat_row *row)
{
	const struct qspin_lockstat_counts *s = &row->sum;
	char name[39];
	int namelen;

	qspin_lockstat_name(row->entry, name, sizeof(name) - 1);
	namelen = strlen(name);
	seq_printf(m, "%40s:", name);
	seq_printf(m, "%14lu ", s->bounces[QSPIN_BOUNCE_CONTENDED]);
	seq_lock_time(m, &s->waittime);
	seq_printf(m, " %14lu ", s->bounces[QSPIN_BOUNCE_ACQUIRED]);
	seq_lock_time(m, &s->holdtime);
	seq_putc(m, '\n');
	if (!s->waittime.nr)
		return;
	seq_points(m, name, namelen, qspin_lockstat_points[row->entry].contention,
		   s->contention_point);
	seq_points(m, name, namelen, qspin_lockstat_points[row->entry].contending,
		   s->contending_point);
	seq_puts(m, "\n");
	seq_line(m, '.', 0, 40 + 1 + 12 * (14 + 1));
	seq_puts(m, "\n");
}

static int lock_stat_show(struct seq_file *m, void *v)
{
	struct qspin_lockstat_row *rows;
	unsigned int e, n = 0, i;
	long lost = atomic_long_read(&qspin_lockstat_lost);

	seq_puts(m, "lock_stat version 0.4\n");
	if (!qspin_lockstat_on())
		seq_puts(m, "*WARNING* lock_stat is off (parameter lock_stat=0): these counts do not grow\n");
	if (lost)
		seq_printf(m, "*WARNING* %ld acquisitions not counted: more than %u locks without a class, or more than %u held in one context\n",
			   lost, QSPIN_LOCKSTAT_LOCKS, QSPIN_HELD_MAX);
	seq_line(m, '-', 0, 40 + 1 + 12 * (14 + 1));
	seq_printf(m, "%40s %14s %14s %14s %14s %14s %14s %14s %14s %14s %14s %14s %14s\n",
		   "class name", "con-bounces", "contentions", "waittime-min",
		   "waittime-max", "waittime-total", "waittime-avg",
		   "acq-bounces", "acquisitions", "holdtime-min",
		   "holdtime-max", "holdtime-total", "holdtime-avg");
	seq_line(m, '-', 0, 40 + 1 + 12 * (14 + 1));
	seq_putc(m, '\n');

	rows = vmalloc(array_size(QSPIN_LOCKSTAT_ENTRIES, sizeof(*rows)));
	if (!rows)
		return -ENOMEM;
	for (e = 0; e < QSPIN_LOCKSTAT_ENTRIES; e++) {
		if (e < QSPIN_MAX_CLASSES ? !strcmp(qspin_class_name(e), "(none)") :
		    READ_ONCE(qspin_lockstat_locks[e - QSPIN_MAX_CLASSES]) <= QSPIN_MAP_GONE)
			continue;
		rows[n].entry = e;
		qspin_lockstat_sum(e, &rows[n].sum);
		/* As lockdep: a class shows once it has a hold time or a wait. */
		if (rows[n].sum.holdtime.nr || rows[n].sum.waittime.nr)
			n++;
	}
	sort(rows, n, sizeof(*rows), qspin_lockstat_cmp, NULL);
	for (i = 0; i < n; i++)
		seq_row(m, &rows[i]);
	vfree(rows);
	return 0;
}

/* "reset" or "0" (what /proc/lock_stat takes) clears every count. */
static ssize_t lock_stat_write(struct file *file, const char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	char buf[8];
	int ret = qspin_debugfs_word(ubuf, len, buf, sizeof(buf));

	if (ret)
		return ret;
	if (strcmp(buf, "reset") && strcmp(buf, "0"))
		return -EINVAL;
	qspin_lockstat_reset();
	return len;
}
QSPIN_DEFINE_RW_ATTRIBUTE(lock_stat);

void qspin_lockstat_debugfs(struct dentry *dir)
{
	debugfs_create_file("lock_stat", 0600, dir, NULL, &lock_stat_fops);
}

/* ---- load and unload ----------------------------------------------------- */

void qspin_lockstat_init(void)
{
	register_module_notifier(&qspin_lockstat_module_nb);
	mutex_lock(&qspin_lockstat_mutex);
	qspin_lockstat_ready = true;
	if (lock_stat && qspin_lockstat_switch(true))
		lock_stat = 0;
	mutex_unlock(&qspin_lockstat_mutex);
}

void qspin_lockstat_exit(void)
{
	mutex_lock(&qspin_lockstat_mutex);
	qspin_lockstat_ready = false;
	qspin_lockstat_switch(false);
	qspin_lockstat_free();
	mutex_unlock(&qspin_lockstat_mutex);
	unregister_module_notifier(&qspin_lockstat_module_nb);
}
