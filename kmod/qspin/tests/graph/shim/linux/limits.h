/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host shim for graph_test.c: see ../kernel_shim.h. glibc includes the
 * system's linux/limits.h too: give it that one as well.
 */
#include_next <linux/limits.h>
#include "../kernel_shim.h"
