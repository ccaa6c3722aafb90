/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host shim for graph_test.c: see ../kernel_shim.h. glibc includes the
 * system's linux/errno.h too: give it that one as well.
 */
#include_next <linux/errno.h>
#include "../kernel_shim.h"
