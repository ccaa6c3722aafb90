/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qspin-torture's shared declarations: the lock under test behind an ops
 * vector (lock_ops.c), the locks, writers and per-CPU state of the harness
 * (torture.c), the nesting levels with their kicks (nest.c), the checked
 * mode (checked.c) and CPU hotplug (onoff.c).
 */
#ifndef _QSPIN_TORTURE_H
#define _QSPIN_TORTURE_H

#include <linux/atomic.h>
#include <linux/cache.h>
#include <linux/compiler.h>
#include <linux/hrtimer.h>
#include <linux/interrupt.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include <qspin.h>

#include "native_spinlock.h"

/* The locks every run uses; who takes which is tabled in torture.c. */
enum tlock_id {
	L_ALL, L_BH, L_TASK, L_SOFT, L_HARD, L_NMI,
	L_CHECKED_A, L_CHECKED_B,	/* checked=N: qspin_lock_checked() only */
	NR_TLOCKS
};

/* Storage for one lock of either type; the ops vector knows which. */
union torture_lock {
	qspinlock_t q;
	native_spinlock_t s;
};

/* One serialized acquirer: a kthread, or one CPU's context of one kind. */
struct twriter {
	unsigned long acq[NR_TLOCKS];	/* only this writer writes these */
	u32 rnd;			/* xorshift state: NMI-safe */
};

/**
 * struct torture_lock_ops - one lock type under test, as locktorture's
 * @name: the torture_type that selects it
 * @init: initialise one lock, unlocked, as lock @id named @name (for qspin,
 *	a lock class of its own: the validator must not see "task" and
 *	"soft" as one class taken with softirqs both on and in softirq)
 * @writelock: plain acquisition, for contexts that need nothing disabled
 * @write_delay: the hold of a writer kthread, inside the critical section
 * @writeunlock: release of @writelock
 * @writelock_irqsave: acquisition with interrupts saved and disabled;
 *	returns the saved flags
 * @writeunlock_irqrestore: release of @writelock_irqsave
 * @writelock_irq: acquisition with interrupts disabled
 * @writeunlock_irq: release of @writelock_irq, interrupts enabled again
 * @writelock_bh: acquisition with bottom halves disabled
 * @writeunlock_bh: release of @writelock_bh
 * @is_locked: the lock has an owner or waiters (the end-of-run check)
 * @is_contended: the lock has waiters besides its owner
 *
 * Chosen once at init from torture_type; the harness calls only these.
 */
struct torture_lock_ops {
	const char *name;
	void (*init)(union torture_lock *lock, enum tlock_id id,
		     const char *name);
	void (*writelock)(union torture_lock *lock);
	void (*write_delay)(struct twriter *w);
	void (*writeunlock)(union torture_lock *lock);
	unsigned long (*writelock_irqsave)(union torture_lock *lock);
	void (*writeunlock_irqrestore)(union torture_lock *lock,
				       unsigned long flags);
	void (*writelock_irq)(union torture_lock *lock);
	void (*writeunlock_irq)(union torture_lock *lock);
	void (*writelock_bh)(union torture_lock *lock);
	void (*writeunlock_bh)(union torture_lock *lock);
	bool (*is_locked)(union torture_lock *lock);
	bool (*is_contended)(union torture_lock *lock);
};

extern const struct torture_lock_ops qspin_torture_ops;
extern const struct torture_lock_ops native_torture_ops;

/* torture.c: a writer kthread's hold, shared by every lock type. */
void torture_write_delay(struct twriter *w);

struct tlock {
	union torture_lock lock;
	void *owner;		/* sentinel: who is inside */
	unsigned long counter;	/* plain increment, under the lock */
} ____cacheline_aligned_in_smp;

/* The levels whose holder kicks the next level's waiters (nest.c). */
enum nest_level { LV_TASK, LV_SOFT, LV_HARD, NR_LEVELS };

/* Each level's lock, in level order, with "nmi" on top. */
static_assert(L_TASK + LV_SOFT == L_SOFT && L_TASK + LV_HARD == L_HARD &&
	      L_TASK + NR_LEVELS == L_NMI, "level locks in level order");

/* A kick from a level's holder to one CPU waiting on that level. */
enum kick_state {
	KICK_IDLE,	/* none outstanding: the next may be sent */
	KICK_SENT,	/* IPI or NMI on its way, its handler not yet run */
};

/* The per-CPU interrupt-context writers. */
enum cpu_writer {
	CW_SOFT_TIMER,	/* hrtimer, softirq: "all", "bh" */
	CW_HARD_TIMER,	/* hrtimer, hardirq: "all" */
	CW_SOFT_NEST,	/* tasklet: "soft" */
	CW_HARD_NEST,	/* IPI: "hard" */
	CW_NMI_NEST,	/* NMI: "nmi" */
	NR_CPU_WRITERS
};

/* Per CPU: the interrupt-context writers and the nesting machinery. */
struct tcpu {
	struct twriter w[NR_CPU_WRITERS];
	struct hrtimer soft_hrt;
	struct hrtimer hard_hrt;
	struct tasklet_struct tasklet;
	call_single_data_t csd_soft;	/* IPI that schedules the tasklet */
	call_single_data_t csd_hard;	/* IPI that takes "hard" */
	bool waiting[NR_LEVELS];	/* this CPU waits on that level */
	atomic_t kick[NR_LEVELS];	/* enum kick_state, by the kicking level */
	int cpu;
} ____cacheline_aligned_in_smp;

/* The run as every acquirer sees it. */
enum torture_state {
	TORTURE_RUNNING,
	TORTURE_PAUSED,		/* stutter: writers wait */
	TORTURE_STOPPING,	/* no new acquisitions, no new kicks */
};

extern const struct torture_lock_ops *torture_ops;
extern struct tlock torture_locks[NR_TLOCKS];
/* Each lock's name: statistics lines and its validator class. */
extern const char *const torture_lock_names[NR_TLOCKS];
extern struct tcpu *torture_cpus;
extern enum torture_state torture_state;
extern atomic_t torture_fails;

static inline bool torture_stopping(void)
{
	return READ_ONCE(torture_state) == TORTURE_STOPPING;
}

static inline u32 wrand(struct twriter *w)
{
	u32 x = w->rnd;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	w->rnd = x;
	return x;
}

/* Inside every critical section: the sentinel and the counters. */
static __always_inline void cs_enter(struct tlock *l, struct twriter *w,
				     enum tlock_id id)
{
	if (READ_ONCE(l->owner))
		atomic_inc(&torture_fails);
	WRITE_ONCE(l->owner, w);
	l->counter++;
	w->acq[id]++;
}

static __always_inline void cs_exit(struct tlock *l, struct twriter *w)
{
	if (READ_ONCE(l->owner) != w)
		atomic_inc(&torture_fails);
	WRITE_ONCE(l->owner, NULL);
}

/* checked.c: the checked mode (checked=N) */
void checked_start(void);
void checked_step(struct twriter *w, unsigned int long_freq);
void checked_print(const char *type);
bool checked_check(void);
/* torture.c: the short hold, for checked.c */
void short_hold_checked(struct twriter *w);

/* onoff.c: CPU hotplug (onoff_interval, onoff_holdoff) */
int onoff_start(void (*online_fn)(unsigned int cpu));
void onoff_stop(void);
void onoff_print(const char *type);
bool onoff_check(void);
/* onoff_interval/onoff_holdoff outside their ranges: -EINVAL, said in dmesg. */
int onoff_check_params(void);
int onoff_interval_ms(void);
int onoff_holdoff_s(void);

/* nest.c */
void nest_init_cpu(struct tcpu *t);
bool nest_start_nmi(void);
void nest_stop_nmi(void);
bool nest_nmi_active(void);
void nest_lock(struct tcpu *t, enum nest_level level, struct twriter *w);
void nest_unlock(enum nest_level level, struct twriter *w);
void nest_quiesce(void);
long nest_kicks(enum nest_level level);

#endif /* _QSPIN_TORTURE_H */
