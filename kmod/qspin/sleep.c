// SPDX-License-Identifier: GPL-2.0
/*
 * Sleeping under a qspin lock: "BUG: sleeping function called from invalid
 * context", as the kernel's might_sleep() says it (with
 * CONFIG_DEBUG_ATOMIC_SLEEP, which distribution kernels leave off).
 *
 * Two kinds of evidence, both while this CPU holds a qspin lock (any
 * context's held records, held.h):
 *
 *  - an allocation whose GFP flags allow direct reclaim
 *    (gfpflags_allow_blocking()): it may sleep, so it is reported even
 *    when it happens not to. Where the kernel has a call that receives the
 *    flags before the allocator can sleep, a kprobe sits there and the
 *    report comes first: should_failslab() before every slab allocation,
 *    should_fail_alloc_page() before every page allocation (6.1: plain
 *    calls). On kernels where those calls sit behind a static key (6.11
 *    on: only taken while fault injection is configured), the kprobe is
 *    placed but never hit: every hook is proved by a test allocation when
 *    it is registered, and one that did not fire is replaced by the kmem
 *    tracepoints (kmalloc, kmem_cache_alloc, and mm_page_alloc found by
 *    name), which report after the allocation returned. dmesg says at
 *    load which hook each kind uses; debugfs "sleeping" too.
 *  - a task that schedules holding one: the scheduler's schedule_debug()
 *    prints "BUG: scheduling while atomic" (__schedule_bug()) and resets
 *    the preempt count. A kprobe on __schedule_bug() sees it first, in the
 *    task, before the runqueue lock: it reports, and parks the records
 *    with the task (parked.c), so that its qspin_unlock() later releases
 *    the lock without taking the preempt count below zero and without a
 *    second splat. sched_switch (found by name) parks what a switched-out
 *    task still holds: a leak whose preempt count the kernel repaired.
 *    Without the kprobe, sched_switch reports too, from an irq_work right
 *    after the switch (it runs under the runqueue lock, where printk may
 *    deadlock), and misses a sleep whose wake-up came first (the scheduler
 *    then picks the same task: no switch; found on TCG with msleep(1)).
 *
 * One report per call site and lock class, counted after that (debugfs
 * "sleeping", reset with "reset", or with the validator's reset). The
 * probes are registered only while validation is on; none of them is on a
 * lock operation's path.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/gfp.h>
#include <linux/irq_work.h>
#include <linux/kallsyms.h>
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/stacktrace.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <trace/events/kmem.h>

#include "held.h"
#include "internal.h"
#include "parked.h"
#include "validate.h"

/* ---- where the allocation comes from ----------------------------------- */

/* Frames that belong to the allocator or to the probe's own machinery. */
static const char *const qspin_alloc_frames[] = {
	"should_fail", "slab_", "__slab", "___slab", "kmem_cache_alloc",
	"__kmem_cache_alloc", "kmalloc", "__kmalloc", "kzalloc", "kvmalloc",
	"__kvmalloc", "kmalloc_", "alloc_pages", "__alloc_pages",
	"prepare_alloc_pages", "__get_free_pages", "get_zeroed_page",
	/* 6.10 on, allocation profiling's names */
	"get_free_pages_noprof", "get_zeroed_page_noprof",
	"folio_alloc", "__folio_alloc", "alloc_slab", "allocate_slab",
	"new_slab", "kprobe", "__kprobe", "ftrace", "arch_ftrace",
	"trace_", "__traceiter", "perf_", "0x", NULL,
};

/*
 * The allocator's bookkeeping inside an allocation that is being made:
 * kmemleak (CONFIG_DEBUG_KMEMLEAK) records every object from the object's
 * own allocation, with the caller's gfp flags. The same sleeping
 * allocation, reported once at its caller's site (found on the sanitizer
 * kernels: a second report "at __create_object" for each kmalloc).
 */
#define QSPIN_BOOKKEEPING_FRAMES "__create_object", "create_object", "kmemleak_"

static const char *const qspin_bookkeeping_frames[] = {
	QSPIN_BOOKKEEPING_FRAMES, NULL,
};

/* The slab allocator getting a page: its own report came first. */
static const char *const qspin_slab_frames[] = {
	"allocate_slab", "new_slab", "___slab_alloc", "__slab_alloc",
	QSPIN_BOOKKEEPING_FRAMES, NULL,
};

/* Frames of the scheduler and of the sleep primitives that called it. */
static const char *const qspin_sched_frames[] = {
	"__schedule", "schedule", "preempt_schedule", "__cond_resched",
	"_cond_resched", "io_schedule", "trace_", "__traceiter", "kprobe",
	"__kprobe", "ftrace", "arch_ftrace", "0x", NULL,
};

static bool qspin_frame_is(const char *sym, const char *const *names)
{
	for (; *names; names++)
		if (!strncmp(sym, *names, strlen(*names)))
			return true;
	return false;
}

/*
 * The first frame of @entries that is neither qspin.ko's nor one of
 * @skip's: the call that may sleep is the one just below it. Return: its
 * index, or -1 when one of @stop's frames came first (or none was found).
 */
static int qspin_first_caller(const unsigned long *entries, unsigned int n,
			      const char *const *skip,
			      const char *const *stop)
{
	char sym[KSYM_SYMBOL_LEN];
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (within_module_core(entries[i], THIS_MODULE))
			continue;
		sprint_symbol_no_offset(sym, entries[i]);
		if (stop && qspin_frame_is(sym, stop))
			return -1;
		if (!qspin_frame_is(sym, skip))
			return i;
	}
	return -1;
}

/* ---- the report ------------------------------------------------------- */

/* How a sighting was made: the hooks, for the report and debugfs. */
enum qspin_sleep_hook {
	QSPIN_HOOK_KPROBE_SLAB,		/* kprobe should_failslab: before */
	QSPIN_HOOK_KPROBE_PAGE,		/* kprobe should_fail_alloc_page: before */
	QSPIN_HOOK_TP_KMALLOC,		/* tracepoint kmalloc: after */
	QSPIN_HOOK_TP_CACHE,		/* tracepoint kmem_cache_alloc: after */
	QSPIN_HOOK_TP_PAGE,		/* tracepoint mm_page_alloc: after */
	QSPIN_HOOK_SCHEDULE_BUG,	/* kprobe __schedule_bug: it schedules */
	QSPIN_HOOK_SCHED_SWITCH,	/* the task was switched out */
	QSPIN_HOOK_NR
};

static const char *const qspin_hook_names[QSPIN_HOOK_NR] = {
	[QSPIN_HOOK_KPROBE_SLAB] = "kprobe:should_failslab",
	[QSPIN_HOOK_KPROBE_PAGE] = "kprobe:should_fail_alloc_page",
	[QSPIN_HOOK_TP_KMALLOC] = "tracepoint:kmalloc",
	[QSPIN_HOOK_TP_CACHE] = "tracepoint:kmem_cache_alloc",
	[QSPIN_HOOK_TP_PAGE] = "tracepoint:mm_page_alloc",
	[QSPIN_HOOK_SCHEDULE_BUG] = "kprobe:__schedule_bug",
	[QSPIN_HOOK_SCHED_SWITCH] = "tracepoint:sched_switch",
};

static unsigned long qspin_hook_hits[QSPIN_HOOK_NR];

/* The innermost lock this CPU holds: the context's top, else below it. */
static const struct qspin_held *qspin_innermost_held(struct qspin_held_cpu *hc,
						     int *ctx)
{
	int c, d;

	for (c = QSPIN_CTX_NR - 1; c >= 0; c--) {
		d = qspin_held_depth(&hc->ctx[c]);
		if (d) {
			*ctx = c;
			return &hc->ctx[c].held[d - 1];
		}
	}
	return NULL;
}

static const char *qspin_sleep_fix(void)
{
	/* PREEMPT_RT: a raw-class lock allows no allocation at all. */
	return IS_ENABLED(CONFIG_PREEMPT_RT) ?
		"allocate before taking the lock" :
		"allocate with GFP_ATOMIC, or before taking the lock";
}

/* Every lock of @hs, one line each. */
static void qspin_print_held(const struct qspin_held *held, unsigned int n,
			     int cpu, const char *ctx)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		pr_err("  #%u: %s (%ps), %s context on CPU %d, taken at %pS\n",
		       i, qspin_class_name(held[i].cls),
		       qspin_held_lock(&held[i]), ctx, cpu,
		       (void *)held[i].ip);
}

static DEFINE_PER_CPU(bool, qspin_sleep_reporting);

/*
 * An allocation with @gfp while this CPU holds a qspin lock, seen by
 * @hook; @call_site: its caller when the hook knows it (the tracepoints),
 * else found on the stack.
 */
static noinline void qspin_report_alloc(enum qspin_sleep_hook hook, gfp_t gfp,
					unsigned int order,
					unsigned long call_site)
{
	struct qspin_held_cpu *hc = this_cpu_ptr(&qspin_held_cpu);
	unsigned long entries[32];
	const struct qspin_held *h;
	unsigned int n;
	int ctx, i, c;

	if (this_cpu_read(qspin_sleep_reporting))
		return;
	h = qspin_innermost_held(hc, &ctx);
	if (!h)
		return;
	n = stack_trace_save(entries, ARRAY_SIZE(entries), 0);
	i = qspin_first_caller(entries, n, qspin_alloc_frames,
			       hook == QSPIN_HOOK_KPROBE_PAGE ||
			       hook == QSPIN_HOOK_TP_PAGE ?
			       qspin_slab_frames : qspin_bookkeeping_frames);
	if (!call_site) {
		if (i < 0)
			return;	/* a slab page or bookkeeping: another sighting spoke */
		call_site = entries[i];
	} else {
		char sym[KSYM_SYMBOL_LEN];

		sprint_symbol_no_offset(sym, call_site);
		if (qspin_frame_is(sym, qspin_bookkeeping_frames))
			return;	/* the tracepoints name the caller: bookkeeping */
	}
	qspin_hook_hits[hook]++;
	this_cpu_write(qspin_sleep_reporting, true);
	if (qspin_report_start(QSPIN_REPORT_SLEEP, call_site, h->cls)) {
		pr_err(" in_atomic(): 1, irqs_disabled(): %d, pid: %d, name: %s, CPU %d, %s context\n",
		       irqs_disabled(), task_pid_nr(current), current->comm,
		       smp_processor_id(), qspin_ctx_names[qspin_ctx_now()]);
		if (hook == QSPIN_HOOK_KPROBE_PAGE || hook == QSPIN_HOOK_TP_PAGE)
			pr_err(" a page allocation that may sleep (%pGg, order %u) at %pS\n",
			       &gfp, order, (void *)call_site);
		else
			pr_err(" an allocation that may sleep (%pGg) at %pS\n",
			       &gfp, (void *)call_site);
		pr_err(" while holding lock %s (%ps), taken at %pS\n",
		       qspin_class_name(h->cls), qspin_held_lock(h),
		       (void *)h->ip);
		pr_err(" seen by %s, %s\n", qspin_hook_names[hook],
		       hook <= QSPIN_HOOK_KPROBE_PAGE ?
		       "before the allocator could sleep" :
		       "after the allocation returned (it may have slept)");
		pr_err(" locks held by this CPU:\n");
		for (c = 0; c < QSPIN_CTX_NR; c++)
			qspin_print_held(hc->ctx[c].held,
					 qspin_held_depth(&hc->ctx[c]),
					 smp_processor_id(),
					 qspin_ctx_names[c]);
		pr_err(" fix: %s\n", qspin_sleep_fix());
		dump_stack();
		qspin_report_end();
	}
	this_cpu_write(qspin_sleep_reporting, false);
}

/* Whether this CPU holds a qspin lock in any context: one load each. */
static __always_inline bool qspin_cpu_holds_any(void)
{
	struct qspin_held_cpu *hc = this_cpu_ptr(&qspin_held_cpu);
	int c;

	for (c = 0; c < QSPIN_CTX_NR; c++)
		if (READ_ONCE(hc->ctx[c].held[0].lock_tag))
			return true;
	return false;
}

/* A test allocation proves each hook: set while it runs. */
static struct task_struct *qspin_hook_probe_task;
static bool qspin_hook_fired[QSPIN_HOOK_NR];

static __always_inline bool qspin_alloc_seen(enum qspin_sleep_hook hook,
					     gfp_t gfp)
{
	if (unlikely(READ_ONCE(qspin_hook_probe_task) == current)) {
		WRITE_ONCE(qspin_hook_fired[hook], true);
		return false;
	}
	return gfpflags_allow_blocking(gfp) && qspin_cpu_holds_any() &&
	       qspin_validate_enabled();
}

/* ---- the hooks: kprobes before, tracepoints after ---------------------- */

static int qspin_kp_failslab(struct kprobe *p, struct pt_regs *regs)
{
	/* should_failslab(struct kmem_cache *s, gfp_t gfpflags) */
	gfp_t gfp = (__force gfp_t)regs_get_kernel_argument(regs, 1);

	if (unlikely(qspin_alloc_seen(QSPIN_HOOK_KPROBE_SLAB, gfp)))
		qspin_report_alloc(QSPIN_HOOK_KPROBE_SLAB, gfp, 0, 0);
	return 0;
}

static int qspin_kp_fail_page(struct kprobe *p, struct pt_regs *regs)
{
	/* should_fail_alloc_page(gfp_t gfp_mask, unsigned int order) */
	gfp_t gfp = (__force gfp_t)regs_get_kernel_argument(regs, 0);
	unsigned int order = regs_get_kernel_argument(regs, 1);

	if (unlikely(qspin_alloc_seen(QSPIN_HOOK_KPROBE_PAGE, gfp)))
		qspin_report_alloc(QSPIN_HOOK_KPROBE_PAGE, gfp, order, 0);
	return 0;
}

static struct kprobe qspin_kprobe_slab = {
	.symbol_name = "should_failslab",
	.pre_handler = qspin_kp_failslab,
};

static struct kprobe qspin_kprobe_page = {
	.symbol_name = "should_fail_alloc_page",
	.pre_handler = qspin_kp_fail_page,
};

static void qspin_tp_kmalloc(void *data, unsigned long call_site,
			     const void *ptr, size_t bytes_req,
			     size_t bytes_alloc, gfp_t gfp, int node)
{
	if (unlikely(qspin_alloc_seen(QSPIN_HOOK_TP_KMALLOC, gfp)))
		qspin_report_alloc(QSPIN_HOOK_TP_KMALLOC, gfp, 0, call_site);
}

static void qspin_tp_kmem_cache_alloc(void *data, unsigned long call_site,
				      const void *ptr, struct kmem_cache *s,
				      gfp_t gfp, int node)
{
	if (unlikely(qspin_alloc_seen(QSPIN_HOOK_TP_CACHE, gfp)))
		qspin_report_alloc(QSPIN_HOOK_TP_CACHE, gfp, 0, call_site);
}

/* mm_page_alloc (not exported: found by name). */
static void qspin_tp_page_alloc(void *data, struct page *page,
				unsigned int order, gfp_t gfp, int migratetype)
{
	if (unlikely(qspin_alloc_seen(QSPIN_HOOK_TP_PAGE, gfp)))
		qspin_report_alloc(QSPIN_HOOK_TP_PAGE, gfp, order, 0);
}

/* ---- sched_switch: a task that slept holding a lock --------------------- */

#define QSPIN_SLEEP_STACK 24

/* What the probe saw, for the irq_work that prints it. */
struct qspin_slept {
	bool busy;
	char comm[TASK_COMM_LEN];
	pid_t pid;
	int cpu;
	unsigned int nheld, nstack;
	struct qspin_held held[QSPIN_HELD_MAX];
	unsigned long stack[QSPIN_SLEEP_STACK];
};

static DEFINE_PER_CPU(struct qspin_slept, qspin_slept);
static DEFINE_PER_CPU(struct irq_work, qspin_slept_work);
static unsigned long qspin_slept_dropped;

/*
 * @s's task slept (scheduled) holding its locks, seen by @hook: the
 * report. From the kprobe, in the task itself; from the irq_work, right
 * after the switch.
 */
static void qspin_report_slept(const struct qspin_slept *s,
			       enum qspin_sleep_hook hook)
{
	const struct qspin_held *h = &s->held[s->nheld - 1];
	unsigned long site;
	int i;

	i = qspin_first_caller(s->stack, s->nstack, qspin_sched_frames, NULL);
	site = i < 0 ? 0 : s->stack[i];
	qspin_hook_hits[hook]++;
	if (!qspin_report_start(QSPIN_REPORT_SLEEP, site, h->cls))
		return;
	pr_err(" %s/%d slept on CPU %d holding lock %s (%ps), taken at %pS\n",
	       s->comm, s->pid, s->cpu, qspin_class_name(h->cls),
	       qspin_held_lock(h), (void *)h->ip);
	if (i >= 0)
		pr_err(" the call that slept: %pS, called from %pS\n",
		       (void *)site,
		       (void *)(i + 1 < s->nstack ? s->stack[i + 1] : 0));
	pr_err(" seen by %s: the scheduler %s \"scheduling while atomic\" and %s the preempt count\n",
	       qspin_hook_names[hook],
	       hook == QSPIN_HOOK_SCHEDULE_BUG ? "is about to report" : "reported",
	       hook == QSPIN_HOOK_SCHEDULE_BUG ? "to reset" : "reset");
	pr_err(" its locks stay held, parked with the task: its qspin_unlock() releases them without a second preempt_enable()\n");
	pr_err(" locks held by %s/%d:\n", s->comm, s->pid);
	qspin_print_held(s->held, s->nheld, s->cpu, "task");
	pr_err(" fix: never sleep under a spinlock: %s; take a mutex where the section must sleep\n",
	       qspin_sleep_fix());
	pr_err(" stack of the task that slept:\n");
	stack_trace_print(s->stack + max(i - 1, 0), s->nstack - max(i - 1, 0), 2);
	qspin_report_end();
}

/* Take @prev's story from this CPU's task stack into @s. */
static void qspin_slept_note(struct qspin_slept *s, struct task_struct *prev,
			     const struct qspin_held_stack *hs)
{
	strscpy(s->comm, prev->comm, sizeof(s->comm));
	s->pid = task_pid_nr(prev);
	s->cpu = smp_processor_id();
	s->nheld = qspin_held_depth(hs);
	memcpy(s->held, hs->held, sizeof(s->held));
	s->nstack = stack_trace_save(s->stack, ARRAY_SIZE(s->stack), 0);
}

static void qspin_slept_print(struct irq_work *work)
{
	struct qspin_slept *s = this_cpu_ptr(&qspin_slept);

	if (!READ_ONCE(s->busy))
		return;
	qspin_report_slept(s, QSPIN_HOOK_SCHED_SWITCH);
	/* Pairs with the probe's test: the slot is free for the next. */
	smp_store_release(&s->busy, false);
}

static bool qspin_schedule_bug_on;	/* the kprobe below is in place */
static DEFINE_PER_CPU(struct qspin_slept, qspin_slept_now);

/*
 * __schedule_bug(prev): schedule_debug() found the task scheduling with
 * its preempt count raised, and is about to print "BUG: scheduling while
 * atomic" and reset the count; prev is current; the runqueue lock is not
 * taken yet, so the report is printed here. This sees every such call,
 * also the one that picks the same task again (a wake-up that came first:
 * no switch, no sched_switch), where the count is reset all the same.
 */
static int qspin_kp_schedule_bug(struct kprobe *p, struct pt_regs *regs)
{
	struct qspin_held_stack *hs =
		this_cpu_ptr(&qspin_held_cpu.ctx[QSPIN_CTX_TASK]);
	/* Preemption is off in here: this CPU's, not the deep stack's. */
	struct qspin_slept *s = this_cpu_ptr(&qspin_slept_now);

	if (!READ_ONCE(hs->held[0].lock_tag) || !qspin_validate_enabled() ||
	    qspin_ctx_now() != QSPIN_CTX_TASK)
		return 0;
	qspin_slept_note(s, current, hs);
	qspin_park_records(current);
	qspin_report_slept(s, QSPIN_HOOK_SCHEDULE_BUG);
	return 0;
}

static struct kprobe qspin_kprobe_schedule_bug = {
	.symbol_name = "__schedule_bug",
	.pre_handler = qspin_kp_schedule_bug,
};

/*
 * The scheduler switches @prev out (current is still prev; runqueue lock
 * held, interrupts off). Records on this CPU's task stack are prev's:
 * park them. With the __schedule_bug kprobe in place, a task that slept
 * under a lock was reported and parked there, so what is found here is a
 * leak whose preempt count the kernel repaired (reported when the task
 * returns to user space or exits). Without it, a voluntary switch (a
 * sleep, not a preemption) is reported here, from an irq_work; a sleep
 * that picks the same task again (no switch) then goes unseen.
 */
static void qspin_tp_sched_switch(void *data, bool preempt,
				  struct task_struct *prev,
				  struct task_struct *next,
				  unsigned int prev_state)
{
	struct qspin_held_stack *hs =
		this_cpu_ptr(&qspin_held_cpu.ctx[QSPIN_CTX_TASK]);
	struct qspin_slept *s = this_cpu_ptr(&qspin_slept);

	if (likely(!READ_ONCE(hs->held[0].lock_tag)))
		return;
	/* With the kprobe, a sleep was parked before: this is a repaired leak. */
	if (!preempt && !prev->exit_state && !qspin_schedule_bug_on) {
		/* Pairs with qspin_slept_print()'s release: the slot was read. */
		if (smp_load_acquire(&s->busy)) {
			qspin_slept_dropped++;
		} else {
			qspin_slept_note(s, prev, hs);
			WRITE_ONCE(s->busy, true);
			irq_work_queue(this_cpu_ptr(&qspin_slept_work));
		}
	}
	qspin_park_records(prev);
}

/* ---- registration --------------------------------------------------------- */

/* The allocation hooks in use: before (kprobe) or after (tracepoint). */
enum qspin_alloc_way { QSPIN_WAY_NONE, QSPIN_WAY_KPROBE, QSPIN_WAY_TRACEPOINT };

static enum qspin_alloc_way qspin_slab_way, qspin_page_way;
static struct tracepoint *qspin_tp_switch, *qspin_tp_page;
static bool qspin_switch_on;

/* Registered kprobes of the two allocation hooks, fired or not. */
static bool qspin_kprobe_placed[QSPIN_HOOK_KPROBE_PAGE + 1];

/*
 * Register @kp and prove it with one allocation by this task (@alloc).
 * Return: true when it fired; false: not placed, or placed where the
 * kernel never calls (behind a static key, or inlined away): then only
 * disarmed, and unregistered at switch-off. Switch-on must not wait for
 * an RCU grace period, as unregister_kprobe() does: its caller may hold
 * another CPU spinning with preemption off until it returns (a lock owner
 * told when to let go, as test_qspin's validate_switch does), and on a
 * kernel where should_failslab() is never called (the KCSAN one) the
 * switch then never returned.
 */
static bool qspin_kprobe_proved(struct kprobe *kp, enum qspin_sleep_hook hook,
				void (*alloc)(void))
{
	int ret;

	kp->addr = NULL;
	kp->flags = 0;
	ret = register_kprobe(kp);
	if (ret) {
		pr_info("no kprobe on %s (%d)\n", kp->symbol_name, ret);
		return false;
	}
	qspin_kprobe_placed[hook] = true;
	WRITE_ONCE(qspin_hook_fired[hook], false);
	WRITE_ONCE(qspin_hook_probe_task, current);
	alloc();
	WRITE_ONCE(qspin_hook_probe_task, NULL);
	if (READ_ONCE(qspin_hook_fired[hook]))
		return true;
	pr_info("kprobe on %s placed but never hit by an allocation (behind a static key?)\n",
		kp->symbol_name);
	disable_kprobe(kp);
	return false;
}

static void qspin_kprobe_remove(struct kprobe *kp, enum qspin_sleep_hook hook)
{
	if (qspin_kprobe_placed[hook])
		unregister_kprobe(kp);
	qspin_kprobe_placed[hook] = false;
}

static void qspin_test_kmalloc(void)
{
	kfree(kmalloc(64, GFP_KERNEL));
}

static void qspin_test_page(void)
{
	unsigned long page = __get_free_page(GFP_KERNEL);

	if (page)
		free_page(page);
}

void qspin_sleep_probes(bool on)
{
	if (on && !qspin_switch_on) {
		if (qspin_kprobe_proved(&qspin_kprobe_slab,
					QSPIN_HOOK_KPROBE_SLAB,
					qspin_test_kmalloc))
			qspin_slab_way = QSPIN_WAY_KPROBE;
		else if (!register_trace_kmalloc(qspin_tp_kmalloc, NULL) &&
			 !register_trace_kmem_cache_alloc(qspin_tp_kmem_cache_alloc,
							  NULL))
			qspin_slab_way = QSPIN_WAY_TRACEPOINT;
		if (qspin_kprobe_proved(&qspin_kprobe_page,
					QSPIN_HOOK_KPROBE_PAGE,
					qspin_test_page)) {
			qspin_page_way = QSPIN_WAY_KPROBE;
		} else {
			qspin_tp_page = qspin_tracepoint_find("mm_page_alloc");
			if (qspin_tp_page &&
			    !tracepoint_probe_register(qspin_tp_page,
						       qspin_tp_page_alloc, NULL))
				qspin_page_way = QSPIN_WAY_TRACEPOINT;
		}
		qspin_kprobe_schedule_bug.addr = NULL;
		qspin_kprobe_schedule_bug.flags = 0;
		qspin_schedule_bug_on =
			!register_kprobe(&qspin_kprobe_schedule_bug);
		qspin_tp_switch = qspin_tracepoint_find("sched_switch");
		if (qspin_tp_switch &&
		    tracepoint_probe_register(qspin_tp_switch,
					      qspin_tp_sched_switch, NULL))
			qspin_tp_switch = NULL;
		qspin_switch_on = true;
		pr_info("sleeping under a lock: slab allocations %s, page allocations %s, sleeps %s%s\n",
			qspin_slab_way == QSPIN_WAY_KPROBE ?
			"before they may sleep (kprobe:should_failslab)" :
			qspin_slab_way == QSPIN_WAY_TRACEPOINT ?
			"after the fact (tracepoints kmalloc, kmem_cache_alloc)" :
			"not checked",
			qspin_page_way == QSPIN_WAY_KPROBE ?
			"before (kprobe:should_fail_alloc_page)" :
			qspin_page_way == QSPIN_WAY_TRACEPOINT ?
			"after the fact (tracepoint:mm_page_alloc)" :
			"not checked",
			qspin_schedule_bug_on ?
			"when the scheduler finds them atomic (kprobe:__schedule_bug)" :
			qspin_tp_switch ? "at the switch (tracepoint:sched_switch)" :
			"not checked",
			qspin_schedule_bug_on && qspin_tp_switch ?
			", records parked at tracepoint:sched_switch" : "");
	} else if (!on && qspin_switch_on) {
		qspin_kprobe_remove(&qspin_kprobe_slab, QSPIN_HOOK_KPROBE_SLAB);
		if (qspin_slab_way == QSPIN_WAY_TRACEPOINT) {
			unregister_trace_kmem_cache_alloc(qspin_tp_kmem_cache_alloc,
							  NULL);
			unregister_trace_kmalloc(qspin_tp_kmalloc, NULL);
		}
		qspin_kprobe_remove(&qspin_kprobe_page, QSPIN_HOOK_KPROBE_PAGE);
		if (qspin_page_way == QSPIN_WAY_TRACEPOINT)
			tracepoint_probe_unregister(qspin_tp_page,
						    qspin_tp_page_alloc, NULL);
		if (qspin_schedule_bug_on)
			unregister_kprobe(&qspin_kprobe_schedule_bug);
		qspin_schedule_bug_on = false;
		if (qspin_tp_switch)
			tracepoint_probe_unregister(qspin_tp_switch,
						    qspin_tp_sched_switch, NULL);
		/* No probe runs any more; then no irq_work of ours either. */
		tracepoint_synchronize_unregister();
		qspin_sleep_sync();
		qspin_slab_way = qspin_page_way = QSPIN_WAY_NONE;
		qspin_tp_switch = qspin_tp_page = NULL;
		qspin_switch_on = false;
	}
}

/* No report is pending in an irq_work. */
void qspin_sleep_sync(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		irq_work_sync(per_cpu_ptr(&qspin_slept_work, cpu));
}

void qspin_sleep_init(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		init_irq_work(per_cpu_ptr(&qspin_slept_work, cpu),
			      qspin_slept_print);
}

void qspin_sleep_reset(void)
{
	memset(qspin_hook_hits, 0, sizeof(qspin_hook_hits));
	qspin_slept_dropped = 0;
}

/* ---- debugfs "sleeping" ------------------------------------------------- */

static int sleeping_show(struct seq_file *m, void *v)
{
	int h;

	seq_printf(m, "slab %s\n", qspin_slab_way == QSPIN_WAY_KPROBE ?
		   "kprobe:should_failslab" :
		   qspin_slab_way == QSPIN_WAY_TRACEPOINT ?
		   "tracepoint:kmalloc,kmem_cache_alloc" : "none");
	seq_printf(m, "page %s\n", qspin_page_way == QSPIN_WAY_KPROBE ?
		   "kprobe:should_fail_alloc_page" :
		   qspin_page_way == QSPIN_WAY_TRACEPOINT ?
		   "tracepoint:mm_page_alloc" : "none");
	seq_printf(m, "sleep %s\n", qspin_schedule_bug_on ?
		   "kprobe:__schedule_bug" : qspin_tp_switch ?
		   "tracepoint:sched_switch" : "none");
	seq_printf(m, "switch %s\n", qspin_tp_switch ?
		   "tracepoint:sched_switch" : "none");
	for (h = 0; h < QSPIN_HOOK_NR; h++)
		seq_printf(m, "hits %s %lu\n", qspin_hook_names[h],
			   READ_ONCE(qspin_hook_hits[h]));
	seq_printf(m, "# reports %lu seen %lu dropped %lu\n",
		   qspin_report_count(QSPIN_REPORT_SLEEP),
		   qspin_report_hits(QSPIN_REPORT_SLEEP),
		   READ_ONCE(qspin_slept_dropped));
	return 0;
}

/* "reset": the hits, and the sleep reports (the next one prints again). */
static void qspin_sleeping_reset(void)
{
	qspin_sleep_reset();
	qspin_reports_forget_type(QSPIN_REPORT_SLEEP);
}

static ssize_t sleeping_write(struct file *file, const char __user *ubuf,
			      size_t len, loff_t *ppos)
{
	return qspin_debugfs_reset(ubuf, len, qspin_sleeping_reset);
}
QSPIN_DEFINE_RW_ATTRIBUTE(sleeping);

void qspin_sleep_debugfs(struct dentry *dir)
{
	debugfs_create_file("sleeping", 0600, dir, NULL, &sleeping_fops);
}
