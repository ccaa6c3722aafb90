// SPDX-License-Identifier: GPL-2.0
/*
 * Same-CPU deadlock detection for qspin (placeholder: records nothing yet;
 * the full per-context held-lock sets and the report come with the demos).
 */
#include <linux/debugfs.h>
#include <linux/module.h>

#include "qspin_internal.h"

DEFINE_STATIC_KEY_TRUE(qspin_detect_key);

static bool detect = true;
module_param(detect, bool, 0444);
MODULE_PARM_DESC(detect, "Detect same-CPU lock/interrupt deadlocks (default: on)");

void qspin_held_add(qspinlock_t *lock, unsigned long ip)
{
}

void qspin_held_del(qspinlock_t *lock)
{
}

bool qspin_detect_deadlock(qspinlock_t *lock, unsigned long ip, bool checked)
{
	return false;
}

void qspin_detect_note_init(qspinlock_t *lock, unsigned long ip)
{
}

int qspin_detect_init(void)
{
	if (!detect)
		static_branch_disable(&qspin_detect_key);
	return 0;
}

void qspin_detect_exit(void)
{
}

void qspin_detect_debugfs(struct dentry *dir)
{
}
