// SPDX-License-Identifier: GPL-2.0
/*
 * test_qspin_nest.ko: one CPU queued at every nesting level at once (task,
 * softirq, hardirq, NMI), each level on its own lock, all four held by
 * another CPU; loaded by selftests/qspin_nest.sh, with the normal qspin.ko
 * (four queue nodes per CPU) and with a test-only build of fewer nodes
 * (QSPIN_TEST_MAX_NODES, Kbuild), where the deeper levels reach the
 * beyond-four fallback (no node: spin on trylock).
 *
 * The owner (this task, on its own CPU) takes the four locks and raises
 * each one's pending byte, the state a pending waiter leaves (*,1,1), so
 * that every waiter of the nesting CPU queues (a waiter that finds only a
 * holder takes the pending bit instead, without a node). Then, one level
 * at a time, it starts the next level on the nesting CPU while the level
 * below spins there, and waits until the word's tail names (nesting CPU,
 * level) - or, beyond the node count, until the beyond_max_nodes counter
 * moved:
 *
 *   level    how it starts on the nesting CPU               lock
 *   task     a kthread bound there                          nest_task_lock
 *   softirq  an IPI that schedules a tasklet (runs at its   nest_softirq_lock
 *            irq_exit, over the spinning task)
 *   hardirq  an IPI (smp_call_function_single_async)        nest_hardirq_lock
 *   NMI      apic->send_IPI(cpu, NMI_VECTOR), our NMI_LOCAL  nest_nmi_lock
 *            handler
 *
 * At the peak it checks the queue nodes in use (qspin_queue_nodes_busy():
 * one per level, the fallback included, since the depth is counted before
 * the node is taken) and, after the run, the statistics: nested_depth2..4
 * one more each up to the node count, beyond_max_nodes one more for each
 * level past it. The owner releases innermost first (clear pending, unlock)
 * and waits for that level to finish, as the interrupted CPU needs.
 *
 * Bounded: every wait has a time limit; on a miss the owner stops starting
 * levels, releases everything (so every waiter that did start gets its
 * lock) and fails the check.
 *
 * On PREEMPT_RT softirqs run in threads, never at interrupt exit over a
 * task spinning with preemption off: the softirq level is skipped and said
 * so (three levels: task, hardirq, NMI).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/interrupt.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/smp.h>
#include <asm/apic.h>
#include <asm/nmi.h>
#include <qspin.h>
#include <qspin/debug.h>

#include "kselftest_module.h"
#include "tq_check.h"

static int max_nodes = QSPIN_MAX_NODES;
module_param(max_nodes, int, 0444);
MODULE_PARM_DESC(max_nodes, "Queue nodes per CPU of the loaded qspin.ko (debugfs info max_nodes; 1..4)");

/* Spin budget for each wait on the nesting CPU: generous for TCG. */
#define WAIT_NS (5 * NSEC_PER_SEC)

#define SPIN_UNTIL(cond)						\
	({								\
		u64 __end = ktime_get_ns() + WAIT_NS;			\
		bool __ok;						\
		while (!(__ok = (cond)) && ktime_get_ns() < __end)	\
			cpu_relax();					\
		__ok;							\
	})

enum nest_level { NL_TASK, NL_SOFTIRQ, NL_HARDIRQ, NL_NMI, NR_NEST_LEVELS };

static const char *const level_names[NR_NEST_LEVELS] = {
	"task", "softirq", "hardirq", "NMI",
};

static const char *const depth_stats[NR_NEST_LEVELS] = {
	NULL, "nested_depth2", "nested_depth3", "nested_depth4",
};

/*
 * One lock per level, each its own lock class for the validator (the owner
 * holds all four at once: one class would be recursive locking).
 */
static DEFINE_QSPINLOCK(nest_task_lock);
static DEFINE_QSPINLOCK(nest_softirq_lock);
static DEFINE_QSPINLOCK(nest_hardirq_lock);
static DEFINE_QSPINLOCK(nest_nmi_lock);
static qspinlock_t *const nest_locks[NR_NEST_LEVELS] = {
	&nest_task_lock, &nest_softirq_lock, &nest_hardirq_lock, &nest_nmi_lock,
};

/* What each level did on the nesting CPU; read by the owner. */
struct level_state {
	atomic_t arrived;	/* about to take its lock */
	atomic_t done;		/* took and released it */
	bool right_ctx;		/* ran in the context it stands for */
};

static struct level_state levels[NR_NEST_LEVELS];
static int nest_cpu;
static atomic_t nmi_armed;	/* one NMI of ours is on its way */
static call_single_data_t csd_soft, csd_hard;

static void level_run(enum nest_level level, bool right_ctx)
{
	struct level_state *s = &levels[level];

	s->right_ctx = right_ctx && smp_processor_id() == nest_cpu;
	atomic_set(&s->arrived, 1);
	qspin_lock(nest_locks[level]);
	qspin_unlock(nest_locks[level]);
	atomic_set(&s->done, 1);
}

static int task_level_fn(void *arg)
{
	level_run(NL_TASK, in_task());
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

static void softirq_level_fn(struct tasklet_struct *t)
{
	level_run(NL_SOFTIRQ, in_serving_softirq());
}
static DECLARE_TASKLET(softirq_level, softirq_level_fn);

/* Hardirq on the nesting CPU: the tasklet runs at its irq_exit. */
static void softirq_kick_fn(void *info)
{
	tasklet_schedule(&softirq_level);
}

static void hardirq_level_fn(void *info)
{
	level_run(NL_HARDIRQ, in_hardirq());
}

static int nmi_level_fn(unsigned int type, struct pt_regs *regs)
{
	if (smp_processor_id() != nest_cpu || !atomic_xchg(&nmi_armed, 0))
		return NMI_DONE;
	level_run(NL_NMI, in_nmi());
	return NMI_HANDLED;
}

static void set_pending(qspinlock_t *l, u8 pending)
{
	__atomic_store_n(&l->word.pending, pending, __ATOMIC_RELAXED);
}

static bool tail_is(qspinlock_t *l, int cpu, unsigned int idx)
{
	struct qspin_word_fields f = qspin_lock_fields(l);

	return f.tail_cpu == cpu && f.tail_idx == idx;
}

static unsigned long report_total(void)
{
	unsigned long n = 0;
	int t;

	for (t = 0; t < QSPIN_REPORT_NR; t++)
		n += qspin_report_count(t);
	return n;
}

/* Start `level` on the nesting CPU. */
static void level_start(enum nest_level level, struct task_struct *task)
{
	switch (level) {
	case NL_TASK:
		wake_up_process(task);
		break;
	case NL_SOFTIRQ:
		smp_call_function_single_async(nest_cpu, &csd_soft);
		break;
	case NL_HARDIRQ:
		smp_call_function_single_async(nest_cpu, &csd_hard);
		break;
	case NL_NMI:
		atomic_set(&nmi_armed, 1);
		apic->send_IPI(nest_cpu, NMI_VECTOR);
		break;
	default:
		break;
	}
}

/*
 * `level` is waiting as the depth-th slow path of the nesting CPU: queued
 * (the tail names it) or, past the node count, in the fallback (the
 * beyond_max_nodes counter moved past `beyond`).
 */
static bool level_waits(enum nest_level level, unsigned int depth,
			unsigned long beyond)
{
	if (depth < max_nodes)
		return SPIN_UNTIL(tail_is(nest_locks[level], nest_cpu, depth));
	return SPIN_UNTIL(atomic_read(&levels[level].arrived) &&
			  qspin_stat_read("beyond_max_nodes") > beyond);
}

static void test_every_level(void)
{
	const bool rt = IS_ENABLED(CONFIG_PREEMPT_RT);
	unsigned long depth_before[NR_NEST_LEVELS] = { 0 };
	unsigned long beyond_before, reports_before, flags_hard, flags_nmi;
	unsigned int depth = 0, peak_busy = 0, want_beyond = 0;
	bool used[NR_NEST_LEVELS] = { false }, ok = true;
	struct task_struct *task;
	int me = raw_smp_processor_id(), level, ret;

	if (num_online_cpus() < 2 || max_nodes < 1 || max_nodes > QSPIN_MAX_NODES) {
		SKIP("needs 2 CPUs (have %u) and max_nodes 1..%d (have %d)",
		     num_online_cpus(), QSPIN_MAX_NODES, max_nodes);
		return;
	}
	nest_cpu = cpumask_any_but(cpu_online_mask, me);
	ret = register_nmi_handler(NMI_LOCAL, nmi_level_fn, 0, "test_qspin_nest");
	if (!CHECK(ret == 0, "register_nmi_handler: %d", ret))
		return;
	INIT_CSD(&csd_soft, softirq_kick_fn, NULL);
	INIT_CSD(&csd_hard, hardirq_level_fn, NULL);
	for (level = 0; level < NR_NEST_LEVELS; level++) {
		atomic_set(&levels[level].arrived, 0);
		atomic_set(&levels[level].done, 0);
		levels[level].right_ctx = false;
		if (depth_stats[level])
			depth_before[level] = qspin_stat_read(depth_stats[level]);
	}
	beyond_before = qspin_stat_read("beyond_max_nodes");
	reports_before = report_total();
	task = kthread_create(task_level_fn, NULL, "qspin_nest/%d", nest_cpu);
	if (!CHECK(!IS_ERR(task), "kthread_create: %ld", PTR_ERR(task))) {
		unregister_nmi_handler(NMI_LOCAL, "test_qspin_nest");
		return;
	}
	kthread_bind(task, nest_cpu);
	get_task_struct(task);

	/* Each lock the way its other user needs it held. */
	qspin_lock(nest_locks[NL_TASK]);
	qspin_lock_bh(nest_locks[NL_SOFTIRQ]);
	qspin_lock_irqsave(nest_locks[NL_HARDIRQ], flags_hard);
	qspin_lock_irqsave(nest_locks[NL_NMI], flags_nmi);
	for (level = 0; level < NR_NEST_LEVELS; level++)
		set_pending(nest_locks[level], 1);

	for (level = 0; level < NR_NEST_LEVELS && ok; level++) {
		if (level == NL_SOFTIRQ && rt)
			continue;
		if (depth >= max_nodes)
			want_beyond++;
		level_start(level, task);
		ok = CHECK(level_waits(level, depth, beyond_before + want_beyond - 1),
			   "%s level not waiting at depth %u on cpu %d: word %x arrived %d beyond_max_nodes %lu",
			   level_names[level], depth + 1, nest_cpu,
			   qspin_word_read(&nest_locks[level]->word),
			   atomic_read(&levels[level].arrived),
			   qspin_stat_read("beyond_max_nodes") - beyond_before);
		used[level] = true;
		depth++;
	}
	/* The peak: every level of the nesting CPU in the slow path. */
	peak_busy = qspin_queue_nodes_busy();
	if (ok)
		CHECK(peak_busy == depth, "slow paths in use at the peak: %u, want %u",
		      peak_busy, depth);
	atomic_set(&nmi_armed, 0);

	/* Innermost first, as the interrupted CPU needs. */
	for (level = NR_NEST_LEVELS - 1; level >= 0; level--) {
		set_pending(nest_locks[level], 0);
		switch (level) {
		case NL_NMI:
			qspin_unlock_irqrestore(nest_locks[level], flags_nmi);
			break;
		case NL_HARDIRQ:
			qspin_unlock_irqrestore(nest_locks[level], flags_hard);
			break;
		case NL_SOFTIRQ:
			qspin_unlock_bh(nest_locks[level]);
			break;
		default:
			qspin_unlock(nest_locks[level]);
			break;
		}
		if (used[level])
			CHECK(SPIN_UNTIL(atomic_read(&levels[level].done)),
			      "%s level never got its lock", level_names[level]);
	}
	kthread_stop(task);
	put_task_struct(task);
	tasklet_kill(&softirq_level);
	unregister_nmi_handler(NMI_LOCAL, "test_qspin_nest");

	for (level = 0; level < NR_NEST_LEVELS; level++) {
		if (!used[level])
			continue;
		CHECK(levels[level].right_ctx, "%s level ran elsewhere (cpu or context)",
		      level_names[level]);
		CHECK(qspin_word_read(&nest_locks[level]->word) == 0,
		      "%s lock word %x after the run", level_names[level],
		      qspin_word_read(&nest_locks[level]->word));
	}
	CHECK(qspin_queue_nodes_busy() == 0, "queue nodes busy after the run: %u",
	      qspin_queue_nodes_busy());
	/* One more nested_depthN for each queued level above the first. */
	depth = 0;
	for (level = 0; level < NR_NEST_LEVELS; level++) {
		if (!used[level])
			continue;
		if (depth > 0 && depth < max_nodes)
			CHECK(qspin_stat_read(depth_stats[depth]) > depth_before[depth],
			      "%s: %lu -> %lu", depth_stats[depth],
			      depth_before[depth],
			      qspin_stat_read(depth_stats[depth]));
		depth++;
	}
	CHECK(qspin_stat_read("beyond_max_nodes") - beyond_before == want_beyond,
	      "beyond_max_nodes: +%lu, want +%u",
	      qspin_stat_read("beyond_max_nodes") - beyond_before, want_beyond);
	CHECK(report_total() == reports_before, "validator reports: %lu new",
	      report_total() - reports_before);
	pr_info("nesting depth %u on cpu %d (max_nodes %d): %u in the slow path at the peak, %u in the beyond-%d fallback\n",
		depth, nest_cpu, max_nodes, peak_busy, want_beyond, max_nodes);
	if (rt)
		SKIP("PREEMPT_RT: softirqs run in threads, not at interrupt exit; no softirq nests over a task spinning with preemption off (task, hardirq and NMI checked)");
}

static void selftest(void)
{
	cpumask_var_t saved;
	bool pinned = alloc_cpumask_var(&saved, GFP_KERNEL);

	/* The owner stays on its CPU: the nesting CPU is another. */
	if (pinned) {
		cpumask_copy(saved, current->cpus_ptr);
		pinned = !set_cpus_allowed_ptr(current,
					       cpumask_of(raw_smp_processor_id()));
	}
	if (CHECK(pinned, "could not pin the test task to one CPU"))
		test_every_level();
	if (pinned)
		set_cpus_allowed_ptr(current, saved);
	free_cpumask_var(saved);
}

KSTM_MODULE_LOADERS(test_qspin_nest);
MODULE_AUTHOR("qspin developers");
MODULE_DESCRIPTION("qspin: one CPU queued at every nesting level at once");
MODULE_LICENSE("GPL");
