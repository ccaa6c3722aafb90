#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs the in-kernel tests: loading test_qspin.ko (selftests/module/) runs
# them and fails the load when one fails. SKIPs while the module is absent.
"$(dirname "$0")"/../kselftest/module.sh "qspin" test_qspin
