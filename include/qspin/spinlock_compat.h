/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qspin/spinlock_compat.h: a driver's spinlock_t locks become qspin locks
 * without renaming anything, so qspin checks the driver's locking on the
 * stock kernel it runs on.
 *
 * Use it for a WHOLE module, from the module's Kbuild, never for one file:
 *
 *   ccflags-y += -I$(QSPIN)/include -include qspin/spinlock_compat.h
 *   ccflags-y += -DQSPIN_COMPAT_ROOT='"$(src)/"'
 *
 * Why never one file: qspinlock_t and spinlock_t are both 4 bytes. A struct
 * with a spinlock_t member, declared in the module's header, compiles in a
 * file with this header (the member is a qspinlock_t, taken by qspin) and
 * in a file without it (a spinlock_t, taken by the kernel's lock code). The
 * two files then take one lock with two different algorithms: nothing fails
 * to build, and the lock word is corrupted at run time. So that a partial
 * use can be found, every object built with this header carries a modinfo
 * line "qspin_compat=<object>": `modinfo -F qspin_compat x.ko` lists the
 * mapped objects, and `scripts/compat-checks.sh --module x.ko` names each
 * object in the module's x.mod that lacks the line (and fails).
 *
 * How it stays safe whatever order the headers come in. `-include` puts
 * this header before every kernel header of the file, so a plain
 * `#define spinlock_t qspinlock_t` would also rename the locks of every
 * kernel header read later (struct wait_queue_head, struct timer_base, ...)
 * in this module's view only, while the kernel's compiled code keeps
 * spinlock_t on the same memory. Instead:
 *
 * - The type is chosen per use, by the file the `spinlock_t` token is in:
 *   inside QSPIN_COMPAT_ROOT (the module's own folder: its .c files and
 *   headers) it is qspinlock_t; anywhere else (every kernel header, read
 *   before or after this one) it stays the kernel's spinlock_t. GCC folds
 *   __builtin_strncmp(__FILE__, ROOT) at compile time, so the choice costs
 *   nothing and needs no list of headers.
 * - The calls are chosen by the lock's type (C11 _Generic): spin_lock() on a
 *   qspinlock_t calls qspin_lock(); on anything else it is the kernel's own
 *   spin_lock(), with the kernel's own type checks. So the module may still
 *   take a lock the kernel owns (spin_lock_irqsave(&wq->lock, flags)), and
 *   the kernel's inline functions read after this header keep theirs.
 * - Everything else fails to compile: a qspinlock_t * is not a
 *   spinlock_t *, so a kernel API that takes a spinlock_t *
 *   (refcount_dec_and_lock(), atomic_dec_and_lock(), cond_resched_lock(),
 *   spin_lock_nest_lock(), raw access to ->rlock) stops the build with
 *   "incompatible pointer type" instead of running on the wrong lock.
 *
 * Mapped: spinlock_t, DEFINE_SPINLOCK, __SPIN_LOCK_UNLOCKED (as an
 * initialiser; see there), spin_lock_init, spin_lock, spin_lock_nested,
 * spin_lock_bh, spin_lock_irq, spin_lock_irqsave, spin_lock_irqsave_nested,
 * their unlocks, spin_trylock, spin_trylock_bh, spin_trylock_irq,
 * spin_trylock_irqsave, spin_is_locked, spin_is_contended,
 * assert_spin_locked, lockdep_assert_held. raw_spinlock_t stays the
 * kernel's (a raw lock is raw on purpose). A kernel macro that declares a
 * spinlock_t variable in the caller's code (pte_offset_map_lock()) fails
 * to compile in a mapped file.
 *
 * The header reads <linux/spinlock.h>, and so printk.h, before the file
 * starts: a file that defines pr_fmt() before its includes gets a
 * "pr_fmt redefined" warning (its own definition still applies to its
 * messages). Written against 6.1: the kernel branches of spin_lock_init()
 * and lockdep_assert_held() repeat 6.1's definitions.
 *
 * Not for PREEMPT_RT, where spinlock_t is a sleeping lock (an rt_mutex):
 * a spinning lock is no drop-in for it, so the build stops there.
 */
#ifndef _QSPIN_SPINLOCK_COMPAT_H
#define _QSPIN_SPINLOCK_COMPAT_H

#ifdef CONFIG_PREEMPT_RT
#error "qspin/spinlock_compat.h: on PREEMPT_RT spinlock_t sleeps (an rt_mutex); qspin spins, so it is no drop-in there. Build this module without the header, or convert the locks that must spin to qspinlock_t by hand."
#else /* the rest only off PREEMPT_RT, so the #error above stands alone */

#ifndef QSPIN_COMPAT_ROOT
#error "qspin/spinlock_compat.h: say which files are the module's: ccflags-y += -DQSPIN_COMPAT_ROOT='\"$(src)/\"'"
#endif

/* The kernel's definitions first: they are read before any renaming. */
#include <linux/bug.h>
#include <linux/irqflags.h>
#include <linux/lockdep.h>
#include <linux/moduleparam.h>
#include <linux/spinlock.h>
#include <qspin.h>

/*
 * Each mapped object says so in the module's modinfo, so a module built with
 * this header in some files and not in others can be found (see above).
 */
#ifdef KBUILD_BASENAME
__MODULE_INFO(qspin_compat, qspin_compat_object, KBUILD_BASENAME);
#endif

/*
 * A pointer of the wrong lock type handed to a function is always an
 * error in this module, also where a Makefile turned -Werror off: it is
 * the one diagnostic that stands between a mismatch and a corrupted lock.
 */
#pragma GCC diagnostic error "-Wincompatible-pointer-types"

/*
 * sparse (make C=1/C=2) cannot fold a comparison of __FILE__, so it would
 * see no type at all: it checks the module as the spinlock_t code it is,
 * with nothing renamed. The compiler, below, renames.
 */
#ifndef __CHECKER__

/* The kernel's spinlock_t, under a name the renaming below leaves alone. */
typedef spinlock_t qspin_compat_kernel_spinlock_t;

/* Whether @path (a string literal) names a file of this module. */
#define qspin_compat_in_module(path)					\
	(__builtin_strncmp(path, QSPIN_COMPAT_ROOT,			\
			   sizeof(QSPIN_COMPAT_ROOT) - 1) == 0)

/* A wrong QSPIN_COMPAT_ROOT would map nothing: the file compiled is inside. */
_Static_assert(qspin_compat_in_module(__BASE_FILE__),
	       "qspin/spinlock_compat.h: QSPIN_COMPAT_ROOT is not the folder of "
	       __BASE_FILE__ "; pass -DQSPIN_COMPAT_ROOT='\"$(src)/\"'");

/*
 * The renaming: qspinlock_t in the module's files, the kernel's spinlock_t
 * in everyone else's. __FILE__ is the file this token is written in, or for
 * a kernel macro (DECLARE_WAIT_QUEUE_HEAD(), ...) the file that uses the
 * macro, which is why __SPIN_LOCK_UNLOCKED needs care below. The inner
 * spinlock_t is the kernel's: a macro is not expanded in itself.
 */
#define spinlock_t							\
	__typeof__(__builtin_choose_expr(qspin_compat_in_module(__FILE__), \
					 *(qspinlock_t *)0, *(spinlock_t *)0))

/* Whether @lock points to a lock of this module, a qspinlock_t. */
#define qspin_compat_mapped(lock)					\
	__builtin_types_compatible_p(__typeof__(*(lock)), qspinlock_t)
/*
 * @lock for the branch that matches its type; the other branch gets a null
 * pointer of its own type, compiled and never run: both branches of an if
 * must compile, and neither may cast away the caller's type checks.
 */
#define qspin_compat_as_qspin(lock)					\
	__builtin_choose_expr(qspin_compat_mapped(lock), (lock),	\
			      (qspinlock_t *)NULL)
#define qspin_compat_as_kernel(lock)					\
	__builtin_choose_expr(qspin_compat_mapped(lock),		\
			      (qspin_compat_kernel_spinlock_t *)NULL, (lock))

/*
 * The kernel's macro-only variants as functions, written while their names
 * still mean the kernel's, for _Generic to pick below. Always inlined, so
 * the kernel's _RET_IP_ still names the caller.
 */
static __always_inline unsigned long
qspin_compat_kernel_lock_irqsave(qspin_compat_kernel_spinlock_t *lock)
{
	unsigned long flags;

	spin_lock_irqsave(lock, flags);
	return flags;
}

static __always_inline unsigned long
qspin_compat_kernel_lock_irqsave_nested(qspin_compat_kernel_spinlock_t *lock,
					int subclass)
{
	unsigned long flags;

	spin_lock_irqsave_nested(lock, flags, subclass);
	return flags;
}

static __always_inline void
qspin_compat_kernel_lock_nested(qspin_compat_kernel_spinlock_t *lock,
				int subclass)
{
	spin_lock_nested(lock, subclass);
}

static __always_inline int
qspin_compat_kernel_trylock_irqsave(qspin_compat_kernel_spinlock_t *lock,
				    unsigned long *flags)
{
	return spin_trylock_irqsave(lock, *flags);
}

/* The validator's subclass annotation, as the kernel's. */
static __always_inline void qspin_compat_lock_nested(qspinlock_t *lock,
						     int subclass)
{
	qspin_lock_nested(lock, subclass);
}

static __always_inline unsigned long
qspin_compat_lock_irqsave_nested(qspinlock_t *lock, int subclass)
{
	return _qspin_lock_irqsave_nested(lock, subclass);
}

/* As the kernel's raw_spin_trylock_irq(): irqs stay off only on success. */
static __always_inline int qspin_compat_trylock_irq(qspinlock_t *lock)
{
	local_irq_disable();
	if (_qspin_trylock(lock))
		return 1;
	local_irq_enable();
	return 0;
}

/* ---- the renaming of the API ----------------------------------------- */

#undef DEFINE_SPINLOCK
#define DEFINE_SPINLOCK(x)	DEFINE_QSPINLOCK(x)

/*
 * __SPIN_LOCK_UNLOCKED(name) is expanded in the module's files both for
 * the kernel's locks, by kernel initialisers (__WAIT_QUEUE_HEAD_INITIALIZER(),
 * XARRAY_INIT(), DEFINE_IDA(), ...), and for the module's own, by drivers
 * (`.lock = __SPIN_LOCK_UNLOCKED(foo.lock)`). Neither the file nor the
 * argument tells which: IDA_INIT(ida) passes `ida.xa_lock`, which is no
 * expression at all, so __typeof__(name) cannot decide. Without lock
 * debugging an unlocked spinlock_t is all zeroes, as an unlocked
 * qspinlock_t is, so one untyped initialiser fits both. With lock
 * debugging the kernel's has fields to fill: it stays the kernel's, and a
 * module lock initialised with it fails to compile (use spin_lock_init()
 * or DEFINE_SPINLOCK). Either way, a driver assigning it
 * (`l = __SPIN_LOCK_UNLOCKED(l)`) instead of initialising fails to compile.
 */
#undef __SPIN_LOCK_UNLOCKED
#if defined(CONFIG_DEBUG_SPINLOCK) || defined(CONFIG_DEBUG_LOCK_ALLOC)
#define __SPIN_LOCK_UNLOCKED(name)					\
	(qspin_compat_kernel_spinlock_t)__SPIN_LOCK_INITIALIZER(name)
#else
#define __SPIN_LOCK_UNLOCKED(name)	{}
#endif

/*
 * The kernel branch is the kernel's own spin_lock_init() (6.1, !RT), with
 * its lock class per call site on a lockdep kernel.
 *
 * The qspin branch is qspin_lock_init()'s own expansion, so that each call
 * site is one lock class named after the driver's own words (#lock), not
 * after this header's cast.
 */
#ifdef CONFIG_DEBUG_SPINLOCK
#define qspin_compat_kernel_lock_init(lock, name)			\
	do {								\
		static struct lock_class_key __key;			\
									\
		__raw_spin_lock_init(spinlock_check(lock), name, &__key, \
				     LD_WAIT_CONFIG);			\
	} while (0)
#else
#define qspin_compat_kernel_lock_init(lock, name)			\
	do {								\
		qspin_compat_kernel_spinlock_t *__l = (lock);		\
									\
		*__l = (qspin_compat_kernel_spinlock_t)		\
			__SPIN_LOCK_INITIALIZER(name);			\
	} while (0)
#endif

#undef spin_lock_init
#define spin_lock_init(lock)						\
	do {								\
		static struct qspin_class_key __qkey;			\
									\
		if (qspin_compat_mapped(lock))				\
			__qspin_lock_init(qspin_compat_as_qspin(lock),	\
					  #lock, &__qkey);		\
		else							\
			qspin_compat_kernel_lock_init(			\
				qspin_compat_as_kernel(lock), #lock);	\
	} while (0)

/* Picks qspin's function for a qspinlock_t, the kernel's for the rest. */
#define qspin_compat_pick(lock, qspin_fn, kernel_fn)			\
	_Generic((lock), qspinlock_t *: (qspin_fn), default: (kernel_fn))

/* Each name below, inside its own expansion, is the kernel's function. */
#define spin_lock(lock)	qspin_compat_pick(lock, qspin_lock, spin_lock)(lock)
#define spin_unlock(lock)						\
	qspin_compat_pick(lock, qspin_unlock, spin_unlock)(lock)
#define spin_lock_bh(lock)						\
	qspin_compat_pick(lock, qspin_lock_bh, spin_lock_bh)(lock)
#define spin_unlock_bh(lock)						\
	qspin_compat_pick(lock, qspin_unlock_bh, spin_unlock_bh)(lock)
#define spin_lock_irq(lock)						\
	qspin_compat_pick(lock, qspin_lock_irq, spin_lock_irq)(lock)
#define spin_unlock_irq(lock)						\
	qspin_compat_pick(lock, qspin_unlock_irq, spin_unlock_irq)(lock)
#define spin_unlock_irqrestore(lock, flags)				\
	qspin_compat_pick(lock, qspin_unlock_irqrestore,		\
			  spin_unlock_irqrestore)(lock, flags)
#define spin_trylock(lock)						\
	qspin_compat_pick(lock, _qspin_trylock, spin_trylock)(lock)
#define spin_trylock_bh(lock)						\
	qspin_compat_pick(lock, _qspin_trylock_bh, spin_trylock_bh)(lock)
#define spin_trylock_irq(lock)						\
	qspin_compat_pick(lock, qspin_compat_trylock_irq,		\
			  spin_trylock_irq)(lock)
#define spin_is_locked(lock)						\
	qspin_compat_pick(lock, qspin_is_locked, spin_is_locked)(lock)
#define spin_is_contended(lock)						\
	qspin_compat_pick(lock, qspin_is_contended, spin_is_contended)(lock)

#undef spin_lock_irqsave
#define spin_lock_irqsave(lock, flags)					\
	do {								\
		typecheck(unsigned long, flags);			\
		flags = qspin_compat_pick(lock, _qspin_lock_irqsave,	\
			qspin_compat_kernel_lock_irqsave)(lock);	\
	} while (0)

#undef spin_lock_irqsave_nested
#define spin_lock_irqsave_nested(lock, flags, subclass)			\
	do {								\
		typecheck(unsigned long, flags);			\
		flags = qspin_compat_pick(lock,				\
			qspin_compat_lock_irqsave_nested,		\
			qspin_compat_kernel_lock_irqsave_nested)(lock, subclass); \
	} while (0)

#undef spin_lock_nested
#define spin_lock_nested(lock, subclass)				\
	qspin_compat_pick(lock, qspin_compat_lock_nested,		\
			  qspin_compat_kernel_lock_nested)(lock, subclass)

#undef spin_trylock_irqsave
#define spin_trylock_irqsave(lock, flags)				\
	({								\
		typecheck(unsigned long, flags);			\
		qspin_compat_pick(lock, _qspin_trylock_irqsave,		\
			qspin_compat_kernel_trylock_irqsave)(lock, &(flags)); \
	})

/* The kernel's is BUG_ON(!raw_spin_is_locked(&lock->rlock)): the same test. */
#undef assert_spin_locked
#define assert_spin_locked(lock)	BUG_ON(!spin_is_locked(lock))

/*
 * On a mapped lock, "held" is "locked by someone", what assert_spin_locked()
 * tests; qspin's held-lock records can make it "by this CPU" later. The
 * kernel branch is the kernel's own lockdep_assert_held() (6.1), for any
 * lock type.
 */
#ifdef CONFIG_LOCKDEP
#define qspin_compat_kernel_assert_held(l)				\
	lockdep_assert(lockdep_is_held(l) != LOCK_STATE_NOT_HELD)
#else
#define qspin_compat_kernel_assert_held(l)	do { (void)(l); } while (0)
#endif

#undef lockdep_assert_held
#define lockdep_assert_held(l)						\
	do {								\
		if (qspin_compat_mapped(l))				\
			WARN_ON_ONCE(!qspin_is_locked(qspin_compat_as_qspin(l))); \
		else							\
			qspin_compat_kernel_assert_held(qspin_compat_as_kernel(l)); \
	} while (0)

#endif /* !__CHECKER__ */
#endif /* !CONFIG_PREEMPT_RT */
#endif /* _QSPIN_SPINLOCK_COMPAT_H */
