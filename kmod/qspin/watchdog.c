// SPDX-License-Identifier: GPL-2.0
/*
 * The lockup watchdog and the checked waiter's decision to leave
 * (core_env.h): placeholders until they are written.
 */
#include <linux/errno.h>

#include <qspin.h>
#include "core_env.h"

void qspin_env_watch(const struct qspin_lock_word *lock)
{
}

int qspin_env_should_leave(const struct qspin_lock_word *lock)
{
	return 0;
}
