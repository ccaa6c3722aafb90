#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Host unit test of the validator's dependency graph (kmod/qspin/graph.c):
# builds graph_test.c, which includes graph.c whole, with the kernel shim of
# shim/ (under AddressSanitizer and UBSan), and runs it.
#
#   kmod/qspin/tests/graph/graph-test.sh [CASE]    every case, or one
#   BUILD=dir ...                                  where to build
#                                                  (default build/graph-test)
#
# graph.c and graph.h are copied next to the test first: graph.h's
# #include "validate.h" must find the shim's validate.h, not the kernel's.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../../.." && pwd)
build=${BUILD:-$top/build/graph-test}
mkdir -p "$build/src"
cp "$top/kmod/qspin/graph.c" "$top/kmod/qspin/graph.h" "$here/graph_test.c" "$build/src/"
${CC:-gcc} -std=gnu11 -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	-Wno-sign-compare -fsanitize=address,undefined -fno-sanitize-recover=all \
	-I"$here/shim" -I"$top/include" -o "$build/graph_test" "$build/src/graph_test.c"
exec "$build/graph_test" "$@"
