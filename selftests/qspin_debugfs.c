// SPDX-License-Identifier: GPL-2.0
/*
 * qspin.ko's debugfs interface from user space: what /sys/kernel/debug/qspin
 * shows, what each command does, and that bad input gets a clear error
 * (EINVAL), never a hang or an oops. Runs as root in the test VM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"

#define QSPIN_DIR "/sys/kernel/debug/qspin"

/* The whole file as a string; "" when it cannot be read. */
static char *slurp(const char *path)
{
	static char buf[8192];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	buf[0] = '\0';
	if (fd < 0)
		return buf;
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	return buf;
}

/* write(2) of exactly len bytes; returns 0 or -errno. */
static int write_file(const char *path, const char *data, size_t len)
{
	ssize_t n;
	int fd = open(path, O_WRONLY);

	if (fd < 0)
		return -errno;
	n = write(fd, data, len);
	close(fd);
	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 0 : -EIO;
}

static int write_str(const char *path, const char *s)
{
	return write_file(path, s, strlen(s));
}

/* The value of "name value" in a stats-style file, or -1. */
static long field(const char *text, const char *name)
{
	const char *p = text;
	size_t len = strlen(name);

	while ((p = strstr(p, name))) {
		if ((p == text || p[-1] == '\n') && p[len] == ' ')
			return strtol(p + len + 1, NULL, 10);
		p += len;
	}
	return -1;
}

FIXTURE(qspin) {};

FIXTURE_SETUP(qspin)
{
	if (system("modprobe qspin") != 0)
		SKIP(return, "qspin.ko does not load");
	if (access(QSPIN_DIR "/info", F_OK))
		SKIP(return, "no " QSPIN_DIR " (debugfs not mounted?)");
}

FIXTURE_TEARDOWN(qspin)
{
	write_str(QSPIN_DIR "/stats", "on");
}

TEST_F(qspin, info_describes_the_lock_word)
{
	char *info = slurp(QSPIN_DIR "/info");

	EXPECT_TRUE(strstr(info, "layout locked:0-7 pending:8-15 tail_idx:16-17 tail_cpu:18-31\n") != NULL);
	EXPECT_EQ(4, field(info, "lock_size"));
	EXPECT_EQ(4, field(info, "max_nodes"));
	EXPECT_EQ(64, field(info, "node_block_size"));
	EXPECT_EQ(sysconf(_SC_NPROCESSORS_ONLN), field(info, "cpus_online"));
}

TEST_F(qspin, files_are_root_only)
{
	struct stat st;

	ASSERT_EQ(0, stat(QSPIN_DIR "/info", &st));
	EXPECT_EQ(0400U, st.st_mode & 0777);
	ASSERT_EQ(0, stat(QSPIN_DIR "/stats", &st));
	EXPECT_EQ(0600U, st.st_mode & 0777);
	ASSERT_EQ(0, stat(QSPIN_DIR "/slowpath_trace", &st));
	EXPECT_EQ(0600U, st.st_mode & 0777);
}

TEST_F(qspin, stats_lists_every_path)
{
	static const char *const names[] = {
		"fast", "pending", "queued", "nested_depth2", "nested_depth3",
		"nested_depth4", "beyond_max_nodes",
	};
	char *stats = slurp(QSPIN_DIR "/stats");
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		EXPECT_LE(0, field(stats, names[i])) TH_LOG("no %s", names[i]);
}

TEST_F(qspin, stats_reset_zeroes_the_slow_paths)
{
	char *stats;

	ASSERT_EQ(0, write_str(QSPIN_DIR "/stats", "reset\n"));
	stats = slurp(QSPIN_DIR "/stats");
	/* Nothing else in the VM contends on a qspin lock meanwhile. */
	EXPECT_EQ(0, field(stats, "pending"));
	EXPECT_EQ(0, field(stats, "queued"));
	EXPECT_EQ(0, field(stats, "nested_depth2"));
	EXPECT_EQ(0, field(stats, "beyond_max_nodes"));
}

TEST_F(qspin, stats_off_and_on_show_in_info)
{
	ASSERT_EQ(0, write_str(QSPIN_DIR "/stats", "off"));
	EXPECT_EQ(0, field(slurp(QSPIN_DIR "/info"), "stats"));
	ASSERT_EQ(0, write_str(QSPIN_DIR "/stats", "on"));
	EXPECT_EQ(1, field(slurp(QSPIN_DIR "/info"), "stats"));
}

TEST_F(qspin, unknown_stats_command_is_einval)
{
	EXPECT_EQ(-EINVAL, write_str(QSPIN_DIR "/stats", "frobnicate"));
	EXPECT_EQ(-EINVAL, write_str(QSPIN_DIR "/stats", "resetx"));
}

TEST_F(qspin, empty_write_is_einval)
{
	EXPECT_EQ(-EINVAL, write_file(QSPIN_DIR "/stats", "", 0));
	EXPECT_EQ(-EINVAL, write_file(QSPIN_DIR "/slowpath_trace", "", 0));
}

TEST_F(qspin, oversized_write_is_einval)
{
	char big[4096];

	memset(big, 'r', sizeof(big));
	EXPECT_EQ(-EINVAL, write_file(QSPIN_DIR "/stats", big, sizeof(big)));
	EXPECT_EQ(-EINVAL, write_file(QSPIN_DIR "/slowpath_trace", big, sizeof(big)));
}

TEST_F(qspin, slowpath_trace_arms_on_request_only)
{
	EXPECT_EQ(-EINVAL, write_str(QSPIN_DIR "/slowpath_trace", "fire"));
	ASSERT_EQ(0, write_str(QSPIN_DIR "/slowpath_trace", "arm"));
	/* Nothing contends meanwhile, so it stays armed. */
	EXPECT_STREQ("armed\n", slurp(QSPIN_DIR "/slowpath_trace"));
}

/* The validator's files: validate, reset, classes, reports, held. */
TEST_F(qspin, validator_files_exist_root_only)
{
	static const char *const rw[] = { "validate", "reset" };
	static const char *const ro[] = { "classes", "reports", "held" };
	char path[128];
	struct stat st;
	unsigned int i;

	for (i = 0; i < sizeof(rw) / sizeof(rw[0]); i++) {
		snprintf(path, sizeof(path), QSPIN_DIR "/%s", rw[i]);
		ASSERT_EQ(0, stat(path, &st)) TH_LOG("no %s", path);
		EXPECT_EQ(0600U, st.st_mode & 0777) TH_LOG("%s", path);
	}
	for (i = 0; i < sizeof(ro) / sizeof(ro[0]); i++) {
		snprintf(path, sizeof(path), QSPIN_DIR "/%s", ro[i]);
		ASSERT_EQ(0, stat(path, &st)) TH_LOG("no %s", path);
		EXPECT_EQ(0400U, st.st_mode & 0777) TH_LOG("%s", path);
	}
}

TEST_F(qspin, validate_is_on_by_default_and_in_info)
{
	char *info = slurp(QSPIN_DIR "/info");

	EXPECT_EQ(1, field(info, "validate"));
	/* detect: the old name of the same switch. */
	EXPECT_EQ(1, field(info, "detect"));
	EXPECT_STREQ("on\n", slurp(QSPIN_DIR "/validate"));
}

TEST_F(qspin, validate_off_and_on)
{
	ASSERT_EQ(0, write_str(QSPIN_DIR "/validate", "off"));
	EXPECT_STREQ("off\n", slurp(QSPIN_DIR "/validate"));
	EXPECT_EQ(0, field(slurp(QSPIN_DIR "/info"), "validate"));
	EXPECT_EQ(0, field(slurp(QSPIN_DIR "/info"), "detect"));
	ASSERT_EQ(0, write_str(QSPIN_DIR "/validate", "on\n"));
	EXPECT_STREQ("on\n", slurp(QSPIN_DIR "/validate"));
	EXPECT_EQ(1, field(slurp(QSPIN_DIR "/info"), "validate"));
}

TEST_F(qspin, validator_files_reject_garbage)
{
	char big[4096];

	memset(big, 'o', sizeof(big));
	EXPECT_EQ(-EINVAL, write_str(QSPIN_DIR "/validate", "maybe"));
	EXPECT_EQ(-EINVAL, write_str(QSPIN_DIR "/validate", "1"));
	EXPECT_EQ(-EINVAL, write_file(QSPIN_DIR "/validate", "", 0));
	EXPECT_EQ(-EINVAL, write_file(QSPIN_DIR "/validate", big, sizeof(big)));
	EXPECT_EQ(-EINVAL, write_str(QSPIN_DIR "/reset", "now"));
	EXPECT_EQ(-EINVAL, write_file(QSPIN_DIR "/reset", "", 0));
	EXPECT_EQ(-EINVAL, write_file(QSPIN_DIR "/reset", big, sizeof(big)));
	EXPECT_NE(0, write_str(QSPIN_DIR "/classes", "x"));
	EXPECT_NE(0, write_str(QSPIN_DIR "/reports", "x"));
	EXPECT_NE(0, write_str(QSPIN_DIR "/held", "x"));
	/* Still on after all that. */
	EXPECT_STREQ("on\n", slurp(QSPIN_DIR "/validate"));
}

TEST_F(qspin, reset_empties_the_report_table)
{
	char *reports;

	ASSERT_EQ(0, write_str(QSPIN_DIR "/reset", "reset"));
	reports = slurp(QSPIN_DIR "/reports");
	EXPECT_TRUE(strstr(reports, "# reports 0 seen 0 unrecorded 0\n") != NULL)
		TH_LOG("%s", reports);
	EXPECT_TRUE(strstr(reports, "# inconsistent 0\n") != NULL)
		TH_LOG("%s", reports);
}

TEST_F(qspin, info_is_read_only)
{
	EXPECT_NE(0, write_str(QSPIN_DIR "/info", "x"));
}

TEST_HARNESS_MAIN
