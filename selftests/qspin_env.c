// SPDX-License-Identifier: GPL-2.0
/*
 * Placeholder user-space kselftest: checks that the test VM offers what the
 * qspin tests rely on (debugfs, tracefs, more than one CPU).
 */
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "kselftest_harness.h"

#define DEBUGFS_MAGIC	0x64626720
#define TRACEFS_MAGIC	0x74726163

static int fs_magic(const char *path, long *magic)
{
	struct statfs sfs;

	if (statfs(path, &sfs))
		return -1;
	*magic = sfs.f_type;
	return 0;
}

TEST(debugfs_mounted)
{
	long magic = 0;

	ASSERT_EQ(0, fs_magic("/sys/kernel/debug", &magic));
	EXPECT_EQ(DEBUGFS_MAGIC, magic);
}

TEST(tracefs_mounted)
{
	long magic = 0;

	ASSERT_EQ(0, fs_magic("/sys/kernel/tracing", &magic));
	EXPECT_EQ(TRACEFS_MAGIC, magic);
}

TEST(smp)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (cpus < 2)
		SKIP(return, "only %ld CPU online", cpus);
	EXPECT_GE(cpus, 2);
}

TEST_HARNESS_MAIN
