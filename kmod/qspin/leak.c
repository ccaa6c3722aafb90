// SPDX-License-Identifier: GPL-2.0
/*
 * Leaked locks: a qspin lock still held when its task returns to user space
 * (raw_syscalls:sys_exit), when a task exits (sched_process_exit: a kernel
 * thread whose function returned holding one), or when a function that
 * must release what it takes returns (qspin_check_no_locks_held(), for
 * harnesses such as the demo's). lockdep's words: "lock held when
 * returning to user space!" and "... still has locks held!".
 *
 * Whose records: a task context's records are on its CPU's task stack while
 * it runs there, or parked with it (parked.c) once it left that CPU (it
 * slept under the lock, or the kernel repaired a leaked preempt count and
 * it was preempted or migrated). Both probes run in the task itself:
 * current's records are this CPU's task stack plus its parked ones.
 *
 * What a leak costs the kernel: the lock stays locked (every later taker
 * spins forever), and the preempt count stays raised, so the task's next
 * schedule() prints "BUG: scheduling while atomic" with nobody named. At a
 * return to user space and at an exit nobody can release it any more, so
 * after the report the probe releases each leaked lock's word, drops its
 * record and brings the preempt count back to what the probe itself runs
 * with (only as far as it is raised: a count the kernel repaired already,
 * as do_one_initcall() does, is left alone). No second splat follows.
 *
 * raw_syscalls:sys_exit sees returns from system calls only, not from
 * interrupts or exceptions (a lock leaked by an interrupt handler stays in
 * the hardirq records: the module-unload and kfree() checks find those).
 * Registering it sets every task's syscall-tracepoint work flag, so while
 * validation is on every system call takes the kernel's slower exit path;
 * with validation off the probes are not registered at all.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/kernel.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/tracepoint.h>
#include <asm/syscall.h>

#include <qspin/debug.h>
#include "held.h"
#include "internal.h"
#include "parked.h"
#include "validate.h"

/* Where a leak was found. */
enum qspin_leak_where {
	QSPIN_LEAK_SYSCALL,	/* returning to user space */
	QSPIN_LEAK_EXIT,	/* a task exiting */
	QSPIN_LEAK_RETURN,	/* a function returned (qspin_check_no_locks_held) */
	QSPIN_LEAK_NR
};

static const char *const qspin_leak_names[QSPIN_LEAK_NR] = {
	[QSPIN_LEAK_SYSCALL] = "syscall",
	[QSPIN_LEAK_EXIT] = "exit",
	[QSPIN_LEAK_RETURN] = "return",
};

static unsigned long qspin_leak_hits[QSPIN_LEAK_NR];
static unsigned long qspin_leak_released, qspin_leak_repaired;

/*
 * One leaked lock: reported once per lock and @where_ip (the syscall's
 * number, or the function that returned).
 */
static void qspin_report_leak(enum qspin_leak_where where,
			      const struct qspin_held *h, bool parked,
			      unsigned long where_ip)
{
	qspinlock_t *lock = qspin_held_lock(h);
	bool new;

	qspin_leak_hits[where]++;
	if (where == QSPIN_LEAK_SYSCALL) {
		if (!qspin_report_start(QSPIN_REPORT_LEAKED, (unsigned long)lock,
					where_ip))
			return;
	} else {
		/* lockdep's words for a task that should hold none. */
		new = qspin_report_start_untitled(QSPIN_REPORT_LEAKED,
						  (unsigned long)lock,
						  where_ip);
		if (!new)
			return;
		pr_err("WARNING: %s/%d still has locks held!\n", current->comm,
		       task_pid_nr(current));
	}
	switch (where) {
	case QSPIN_LEAK_SYSCALL:
		pr_err(" %s/%d is returning from system call %lu to user space holding lock %s (%ps)\n",
		       current->comm, task_pid_nr(current), where_ip,
		       qspin_class_name(h->cls), lock);
		break;
	case QSPIN_LEAK_EXIT:
		pr_err(" %s %s/%d is exiting holding lock %s (%ps)\n",
		       current->flags & PF_KTHREAD ? "kernel thread" : "task",
		       current->comm, task_pid_nr(current),
		       qspin_class_name(h->cls), lock);
		break;
	default:
		pr_err(" %ps returned holding lock %s (%ps)\n",
		       (void *)where_ip, qspin_class_name(h->cls), lock);
		break;
	}
	pr_err(" taken at %pS%s\n", (void *)h->ip,
	       parked ? " (then the task left its CPU: its records were parked)" : "");
	if (where != QSPIN_LEAK_RETURN)
		pr_err(" nobody can release it now: qspin releases it and gives back its preemption, so that nothing else hangs or splats\n");
	pr_err(" fix: release it on every path, e.g. goto unlock\n");
	if (where == QSPIN_LEAK_RETURN)
		dump_stack();
	qspin_report_end();
}

/*
 * The preempt count back to @base (what the probe runs with), only as far
 * as it is above it: the leaked locks' share, unless the kernel repaired
 * it already.
 */
static void qspin_leak_repair_preempt(unsigned int base)
{
	unsigned int now = preempt_count() & (PREEMPT_MASK | SOFTIRQ_MASK);

	if (now <= base)
		return;
	qspin_leak_repaired++;
	__preempt_count_sub(now - base);
}

/*
 * current is returning to user space or exiting (a tracepoint probe:
 * preemption disabled once, by the probe's caller): report every lock it
 * holds, release it, repair the preempt count.
 */
static void qspin_leak_check(enum qspin_leak_where where, unsigned long ip)
{
	struct qspin_held_stack *hs =
		this_cpu_ptr(&qspin_held_cpu.ctx[QSPIN_CTX_TASK]);
	struct qspin_parked parked[4];
	unsigned int depth, n, i;
	bool any = false;

	depth = qspin_held_depth(hs);
	for (i = depth; i-- > 0;) {
		struct qspin_held h = hs->held[i];

		qspin_report_leak(where, &h, false, ip);
		qspin_word_unlock(&qspin_held_lock(&h)->word);
		/* After the release: a record never claims less than is held. */
		barrier();
		WRITE_ONCE(hs->held[i].lock_tag, 0);
		qspin_leak_released++;
		any = true;
	}
	do {
		n = qspin_parked_take(current, parked, ARRAY_SIZE(parked));
		for (i = 0; i < n; i++) {
			qspin_report_leak(where, &parked[i].held, true, ip);
			qspin_word_unlock(&qspin_held_lock(&parked[i].held)->word);
			qspin_leak_released++;
			any = true;
		}
	} while (n == ARRAY_SIZE(parked));
	if (any)
		qspin_leak_repair_preempt(PREEMPT_DISABLE_OFFSET);
}

static void qspin_tp_sys_exit(void *data, struct pt_regs *regs, long ret)
{
	if (likely(!READ_ONCE(this_cpu_ptr(&qspin_held_cpu)->ctx[QSPIN_CTX_TASK].held[0].lock_tag) &&
		   !atomic_read(&qspin_nr_parked)))
		return;
	qspin_leak_check(QSPIN_LEAK_SYSCALL, syscall_get_nr(current, regs));
}

static void qspin_tp_process_exit(void *data, struct task_struct *p)
{
	if (likely(!READ_ONCE(this_cpu_ptr(&qspin_held_cpu)->ctx[QSPIN_CTX_TASK].held[0].lock_tag) &&
		   !atomic_read(&qspin_nr_parked)))
		return;
	qspin_leak_check(QSPIN_LEAK_EXIT, 0);
}

unsigned int qspin_check_no_locks_held(unsigned long fn)
{
	struct qspin_held_stack *hs;
	unsigned int depth, i;

	if (!qspin_validate_enabled())
		return 0;
	preempt_disable();
	hs = this_cpu_ptr(&qspin_held_cpu.ctx[QSPIN_CTX_TASK]);
	depth = qspin_held_depth(hs);
	for (i = 0; i < depth; i++)
		qspin_report_leak(QSPIN_LEAK_RETURN, &hs->held[i], false, fn);
	preempt_enable();
	return depth;
}
EXPORT_SYMBOL_GPL(qspin_check_no_locks_held);

/* ---- registration ------------------------------------------------------- */

static struct tracepoint *qspin_tp_exit, *qspin_tp_pexit;

void qspin_leak_probes(bool on)
{
	if (on && !qspin_tp_exit && !qspin_tp_pexit) {
		qspin_tp_exit = qspin_tracepoint_find("sys_exit");
		if (qspin_tp_exit &&
		    tracepoint_probe_register(qspin_tp_exit, qspin_tp_sys_exit,
					      NULL))
			qspin_tp_exit = NULL;
		qspin_tp_pexit = qspin_tracepoint_find("sched_process_exit");
		if (qspin_tp_pexit &&
		    tracepoint_probe_register(qspin_tp_pexit,
					      qspin_tp_process_exit, NULL))
			qspin_tp_pexit = NULL;
		pr_info("leaked locks: at return to user space %s, at task exit %s\n",
			qspin_tp_exit ? "(tracepoint:sys_exit)" : "not checked",
			qspin_tp_pexit ? "(tracepoint:sched_process_exit)" :
			"not checked");
	} else if (!on) {
		if (qspin_tp_exit)
			tracepoint_probe_unregister(qspin_tp_exit,
						    qspin_tp_sys_exit, NULL);
		if (qspin_tp_pexit)
			tracepoint_probe_unregister(qspin_tp_pexit,
						    qspin_tp_process_exit, NULL);
		tracepoint_synchronize_unregister();
		qspin_tp_exit = qspin_tp_pexit = NULL;
	}
}

void qspin_leak_reset(void)
{
	memset(qspin_leak_hits, 0, sizeof(qspin_leak_hits));
	qspin_leak_released = 0;
	qspin_leak_repaired = 0;
}

/* ---- debugfs "leaked" ------------------------------------------------------ */

static int leaked_show(struct seq_file *m, void *v)
{
	int w;

	seq_printf(m, "syscall %s\n", qspin_tp_exit ? "tracepoint:sys_exit" : "none");
	seq_printf(m, "exit %s\n", qspin_tp_pexit ?
		   "tracepoint:sched_process_exit" : "none");
	for (w = 0; w < QSPIN_LEAK_NR; w++)
		seq_printf(m, "hits %s %lu\n", qspin_leak_names[w],
			   READ_ONCE(qspin_leak_hits[w]));
	seq_printf(m, "released %lu\n", READ_ONCE(qspin_leak_released));
	seq_printf(m, "preempt_repaired %lu\n", READ_ONCE(qspin_leak_repaired));
	seq_printf(m, "# reports %lu seen %lu\n",
		   qspin_report_count(QSPIN_REPORT_LEAKED),
		   qspin_report_hits(QSPIN_REPORT_LEAKED));
	return 0;
}

/* "reset": the counters, and the leak reports (the next one prints again). */
static void qspin_leaked_reset(void)
{
	qspin_leak_reset();
	qspin_reports_forget_type(QSPIN_REPORT_LEAKED);
}

static ssize_t leaked_write(struct file *file, const char __user *ubuf,
			    size_t len, loff_t *ppos)
{
	return qspin_debugfs_reset(ubuf, len, qspin_leaked_reset);
}
QSPIN_DEFINE_RW_ATTRIBUTE(leaked);

void qspin_leak_debugfs(struct dentry *dir)
{
	debugfs_create_file("leaked", 0600, dir, NULL, &leaked_fops);
}
