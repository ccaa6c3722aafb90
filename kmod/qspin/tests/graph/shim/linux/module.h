/* SPDX-License-Identifier: GPL-2.0 */
/* Host shim for graph_test.c: see ../kernel_shim.h. */
#include "../kernel_shim.h"
