// SPDX-License-Identifier: GPL-2.0
/*
 * qspin_fuzz: hostile input for one loaded qspin module. Driven by
 * qspin_fuzz.sh, which loads each module in turn:
 *
 *   qspin_fuzz [-n WRITES] [-s SEED] [-r READERS] [-w WRITERS] MODULE [DIR]
 *
 * MODULE is the name under /sys/module (qspin_demo), DIR its folder under
 * /sys/kernel/debug (qspin-demo), if it has one. Every file below DIR and
 * every file of /sys/module/MODULE/parameters is a target. WRITERS threads
 * write WRITES times in all, each write one write(2) on a fresh open:
 * boundary values (0, -1, 2^31, 2^63, huge numbers, empty, whitespace),
 * random bytes (non-UTF-8, NUL bytes), the file's own words mutated, and
 * oversized data (PAGE_SIZE - 1 up to 64 KiB); READERS threads read every
 * target meanwhile, from 1-byte to 64 KiB reads.
 *
 * Each write must fail with an error code, or be accepted with the effect
 * the table below documents for its file:
 *   commands   the write, up to its first NUL byte and with blanks around
 *              it trimmed (the kernel's strim()), is one of the file's
 *              words; a switch ("on"/"off") is put back at once to what it
 *              was before the run
 *   run        qspin-demo's run: only "irq-fixed" with a count of 1..3 may
 *              run (a scenario run is a long action: see demo_run_words)
 *   parameter  a writable module parameter: accepted if and only if the
 *              value is a decimal number in its documented range; read
 *              back, it must be that number; the old value is written back
 *   read-only  nothing may be accepted
 *   excluded   never written (test_qspin_mistakes: every write makes its
 *              mistake, whatever it says)
 * A file the table does not know is fuzzed all the same, and an accepted
 * write to it fails the run: a new file gets its entry here.
 *
 * Every parameter and the setting files (the table's "setting" entries) are
 * read before and after: they must be equal. Output: "# " lines (one per
 * target: writes, accepted words, errors by name), a summary line
 * "fuzz MODULE: writes N accepted N rejected N reads N failures N", and
 * exit status 0 when there were no failures, 1 otherwise, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEBUGFS "/sys/kernel/debug"
#define MAX_TARGETS 128
#define MAX_PAYLOAD (64 * 1024)
#define MAX_ERRNO 140
/* A write that takes longer than this is a failure (a hang, nearly). */
#define SLOW_WRITE_NS (30ULL * 1000 * 1000 * 1000)

enum kind {
	K_UNKNOWN,	/* not in the table: nothing may be accepted */
	K_READ_ONLY,
	K_COMMANDS,
	K_RUN,
	K_PARAM,
	K_EXCLUDED,
};

static const char *const kind_names[] = {
	[K_UNKNOWN] = "unknown", [K_READ_ONLY] = "read-only",
	[K_COMMANDS] = "commands", [K_RUN] = "run", [K_PARAM] = "parameter",
	[K_EXCLUDED] = "excluded",
};

#define MAX_WORDS 4

/*
 * One documented file. Paths are relative to /sys/kernel/debug, or
 * "param:MODULE/NAME". A switch word is undone by writing the word that
 * matches the value its setting had before the run: @setting is the file
 * that shows it and @key the "key value" line in it (NULL: the whole file
 * is "on" or "off").
 */
struct entry {
	const char *path;
	enum kind kind;
	const char *words[MAX_WORDS];
	const char *setting, *key;
	long long min, max;		/* K_PARAM */
	const char *why;		/* K_EXCLUDED */
};

static const struct entry table[] = {
	/* qspin.ko: kmod/qspin/debugfs.c's list. */
	{ "qspin/info", K_READ_ONLY },
	{ "qspin/stats", K_COMMANDS, { "reset", "on", "off" },
	  "qspin/info", "stats" },
	{ "qspin/slowpath_trace", K_COMMANDS, { "arm" } },
	{ "qspin/validate", K_EXCLUDED, .why =
	  "each switch patches kernel text (kprobes, tracepoints), which QEMU 7.2's multi-threaded TCG runs stale (README, \"The emulator's own fault\"): switched over and over by qspin_toggle.sh, in a boot of its own under single-threaded TCG" },
	{ "qspin/reset", K_COMMANDS, { "reset" } },
	{ "qspin/held", K_READ_ONLY },
	{ "qspin/classes", K_READ_ONLY },
	{ "qspin/reports", K_READ_ONLY },
	{ "qspin/dependencies", K_READ_ONLY },
	{ "qspin/deadlocks", K_COMMANDS, { "reset" } },
	{ "qspin/lockups", K_COMMANDS, { "reset" } },
	{ "qspin/sleeping", K_COMMANDS, { "reset" } },
	{ "qspin/leaked", K_COMMANDS, { "reset" } },
	{ "param:qspin/spin_timeout_ms", K_PARAM, .min = 10, .max = 10000 },
	{ "qspin/lock_stat", K_COMMANDS, { "reset", "0" } },
	{ "param:qspin/lock_stat", K_PARAM, .min = 0, .max = 1 },
	{ "qspin/queue", K_COMMANDS, { "all" }, "qspin/queue", "filter" },
	/* qspin-demo.ko: kmod/demo/debugfs.c. */
	{ "qspin-demo/list", K_READ_ONLY },
	{ "qspin-demo/run", K_RUN, { "irq-fixed" } },
	{ "qspin-demo/last", K_READ_ONLY },
	{ "qspin-demo/status", K_READ_ONLY },
	{ "param:qspin_demo/hold_ms", K_PARAM, .min = 1, .max = 1000 },
	{ "param:qspin_demo/cross_hold_us", K_PARAM, .min = 1, .max = 10000 },
	/* qspin-bench.ko */
	{ "qspin_bench/results", K_READ_ONLY },
	{ "qspin_bench/state", K_READ_ONLY },
};

/* Every file of test_qspin_mistakes makes its mistake on any write. */
static const char tqm_dir[] = "test_qspin_mistakes/";
static const char tqm_why[] =
	"each write makes its mistake whatever it says (sleeping under a lock, a leaked lock): qspin_mistakes.sh makes them and declares their reports";

/*
 * qspin-demo's run with a valid name runs a scenario: a long action (up to
 * DEMO_MAX_RUNS runs), and the deadlock scenarios print qspin's reports by
 * design. Only irq-fixed with these counts, or these bad ones, is written
 * in full; every other payload starts with no scenario name.
 */
static const char *const demo_run_words[] = {
	"irq-fixed", "irq-fixed 1", " irq-fixed\t2\n", "irq-fixed 3",
	"irq-fixed 0", "irq-fixed -1", "irq-fixed 10001", "irq-fixed 4294967296",
	"irq-fixed 99999999999999999999", "irq-fixed 1 2", "irq-fixed x",
	"irq-fixedx", "IRQ-FIXED", "irq-fixed\x01", "irq-deadlock 0",
	"bh-deadlock -1", "irq-fixed 0x1", "irq-fixed +0",
};

struct target {
	char path[PATH_MAX];	/* absolute */
	char name[256];		/* table key: debugfs-relative or param:M/N */
	const struct entry *e;
	enum kind kind;
	bool writable_mode;	/* any w bit */
	pthread_mutex_t mutex;	/* a stateful write, its check and restore */
	/* counters, under mutex_counts */
	unsigned long writes, accepted, rejected, errnos[MAX_ERRNO + 1];
	unsigned long word_hits[MAX_WORDS + 1];
	char before[4096];	/* K_PARAM and settings: the value before */
};

static struct target targets[MAX_TARGETS];
static int ntargets;
static const char *module;
static pthread_mutex_t mutex_counts = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t mutex_log = PTHREAD_MUTEX_INITIALIZER;
static unsigned long total_writes, total_reads, failures;
static volatile int stop_readers;
static long page_size;

static void fail(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&mutex_log);
	failures++;
	printf("# FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	pthread_mutex_unlock(&mutex_log);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* xorshift64*: one state per thread. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static const struct entry *lookup(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (!strcmp(table[i].path, name))
			return &table[i];
	return NULL;
}

static void add_target(const char *path, const char *name, mode_t mode)
{
	struct target *t;

	if (ntargets == MAX_TARGETS)
		return;
	t = &targets[ntargets++];
	snprintf(t->path, sizeof(t->path), "%s", path);
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->e = lookup(name);
	t->kind = t->e ? t->e->kind : K_UNKNOWN;
	if (!strncmp(name, tqm_dir, strlen(tqm_dir)))
		t->kind = K_EXCLUDED;
	/* A parameter without a w bit: the open fails, nothing to know. */
	t->writable_mode = mode & 0222;
	if (!strncmp(name, "param:", 6) && !t->writable_mode)
		t->kind = K_READ_ONLY;
	pthread_mutex_init(&t->mutex, NULL);
}

static void scan_debugfs(const char *rel)
{
	char path[PATH_MAX], sub[PATH_MAX];
	struct dirent *d;
	struct stat st;
	DIR *dir;

	snprintf(path, sizeof(path), DEBUGFS "/%s", rel);
	dir = opendir(path);
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%.3800s/%.255s", rel, d->d_name);
		snprintf(path, sizeof(path), DEBUGFS "/%.4000s", sub);
		if (lstat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode))
			scan_debugfs(sub);
		else if (S_ISREG(st.st_mode))
			add_target(path, sub, st.st_mode);
	}
	closedir(dir);
}

static void scan_params(void)
{
	char dirpath[PATH_MAX], path[PATH_MAX], name[300];
	struct dirent *d;
	struct stat st;
	DIR *dir;

	snprintf(dirpath, sizeof(dirpath), "/sys/module/%s/parameters", module);
	dir = opendir(dirpath);
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%.3800s/%.255s", dirpath, d->d_name);
		snprintf(name, sizeof(name), "param:%s/%s", module, d->d_name);
		if (!stat(path, &st) && S_ISREG(st.st_mode))
			add_target(path, name, st.st_mode);
	}
	closedir(dir);
}

/* The whole file (up to size - 1 bytes); "" when it cannot be read. */
static void slurp(const char *path, char *buf, size_t size)
{
	size_t have = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	buf[0] = '\0';
	if (fd < 0)
		return;
	while (have < size - 1 && (n = read(fd, buf + have, size - 1 - have)) > 0)
		have += n;
	buf[have] = '\0';
	close(fd);
}

static struct target *find_target(const char *name)
{
	int i;

	for (i = 0; i < ntargets; i++)
		if (!strcmp(targets[i].name, name))
			return &targets[i];
	return NULL;
}

/* A target that shows a setting, or a parameter: compared before/after. */
static bool is_setting(const struct target *t)
{
	size_t i;

	if (!strncmp(t->name, "param:", 6))
		return true;
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].setting && !strcmp(table[i].setting, t->name))
			return true;
	return false;
}

/* write(2) of the payload on a fresh open: bytes written or -errno. */
static long write_once(const char *path, const char *data, size_t len)
{
	ssize_t n;
	int fd = open(path, O_WRONLY | O_NONBLOCK);

	if (fd < 0)
		return -errno;
	n = write(fd, data, len);
	if (n < 0)
		n = -errno;
	close(fd);
	return n;
}

/* The kernel's view of a command: up to the first NUL, strim()med. */
static void kernel_word(const char *data, size_t len, char *out, size_t size)
{
	size_t n = strnlen(data, len), b = 0, e;

	if (n >= size)
		n = size - 1;
	memcpy(out, data, n);
	out[n] = '\0';
	e = n;
	while (e > 0 && strchr(" \t\n\r\v\f", out[e - 1]))
		out[--e] = '\0';
	while (out[b] && strchr(" \t\n\r\v\f", out[b]))
		b++;
	memmove(out, out + b, e - b + 1);
}

/*
 * kstrtouint(s, 10) as the parameter's set sees it: an optional '+',
 * digits, one optional trailing newline; -1 when it does not parse.
 */
static long long kernel_uint(const char *data, size_t len)
{
	size_t n = strnlen(data, len), i = 0;
	unsigned long long v = 0;

	if (n && data[n - 1] == '\n')
		n--;
	if (i < n && data[i] == '+')
		i++;
	if (i == n)
		return -1;
	for (; i < n; i++) {
		if (data[i] < '0' || data[i] > '9')
			return -1;
		v = v * 10 + (data[i] - '0');
		if (v > UINT_MAX)
			return -1;
	}
	return v;
}

/* The value in the "key value" line of @text, or NULL. */
static const char *key_value(const char *text, const char *key, char *out,
			     size_t size)
{
	size_t len = strlen(key);
	const char *p = text;

	while ((p = strstr(p, key))) {
		if ((p == text || p[-1] == '\n') && p[len] == ' ') {
			size_t n = strcspn(p + len + 1, "\n");

			snprintf(out, size, "%.*s", (int)n, p + len + 1);
			return out;
		}
		p += len;
	}
	return NULL;
}

/* Puts a switch back as it was before the run. */
static void restore_switch(struct target *t)
{
	const struct target *s = find_target(t->e->setting);
	char val[64];
	const char *word;

	if (!s) {
		fail("%s: its setting file %s is gone", t->name, t->e->setting);
		return;
	}
	if (t->e->key) {
		if (!key_value(s->before, t->e->key, val, sizeof(val))) {
			fail("%s: no '%s' line in %s", t->name, t->e->key, s->name);
			return;
		}
		word = atoi(val) ? "on" : "off";
	} else {
		word = !strncmp(s->before, "on", 2) ? "on" : "off";
	}
	if (write_once(t->path, word, strlen(word)) != (long)strlen(word))
		fail("%s: restoring '%s' failed", t->name, word);
}

/* After an accepted write: was it a documented one? Undo its setting. */
static void check_accepted(struct target *t, const char *data, size_t len,
			   long n, int *word_idx)
{
	char word[256], back[4096];
	long long want;
	int i;

	*word_idx = MAX_WORDS;
	switch (t->kind) {
	case K_COMMANDS:
	case K_RUN:
		kernel_word(data, len, word, sizeof(word));
		if (t->kind == K_RUN) {
			char name[64];
			int count = 1, extra = 0;

			if (sscanf(word, "%63s %d %n", name, &count, &extra) >= 1 &&
			    !strcmp(name, "irq-fixed") && count >= 1 && count <= 3) {
				*word_idx = 0;
				return;
			}
			fail("%s: accepted '%s': not a run the fuzzer asked for",
			     t->name, word);
			return;
		}
		for (i = 0; i < MAX_WORDS && t->e->words[i]; i++) {
			if (strcmp(word, t->e->words[i]))
				continue;
			*word_idx = i;
			if (t->e->setting && (!strcmp(word, "on") || !strcmp(word, "off")))
				restore_switch(t);
			return;
		}
		fail("%s: accepted '%.40s' (%zu bytes): not one of its words",
		     t->name, word, len);
		return;
	case K_PARAM:
		want = kernel_uint(data, len);
		slurp(t->path, back, sizeof(back));
		if (want < t->e->min || want > t->e->max)
			fail("%s: accepted '%.40s' (%zu bytes), outside %lld..%lld; now reads %s",
			     t->name, data, len, t->e->min, t->e->max, back);
		else if (atoll(back) != want)
			fail("%s: wrote %lld, reads back %s", t->name, want, back);
		if (write_once(t->path, t->before, strlen(t->before)) < 0)
			fail("%s: restoring %s failed", t->name, t->before);
		return;
	default:
		fail("%s (%s): accepted %ld of %zu bytes '%.40s'", t->name,
		     kind_names[t->kind], n, len, data);
	}
}

/* A payload for @t into @buf; its length. */
static size_t make_payload(struct target *t, uint64_t *s, char *buf)
{
	static const char *const boundary[] = {
		"", " ", "\n", " \t\n\v\f\r ", "0", "-1", "1", "+1", "-0",
		"2147483647", "2147483648", "-2147483648", "-2147483649",
		"4294967295", "4294967296", "9223372036854775807",
		"9223372036854775808", "-9223372036854775808",
		"18446744073709551615", "18446744073709551616",
		"340282366920938463463374607431768211456",
		"99999999999999999999999999999999999999999999999999",
		"0x7fffffff", "1e9", "5.5", " 5", "5 ", "5\n\n", "010",
		"on", "off", "reset", "arm", "1\n", "y", "N", "true",
		"%s%s%s%n", "\xff\xfe\xfd\xfc", "\xc3\x28", "\xed\xa0\x80",
		"\xf4\x90\x80\x80",
	};
	const char *w;
	size_t len, i;
	int nwords = 0;

	while (t->e && nwords < MAX_WORDS && t->e->words[nwords])
		nwords++;
	switch (rnd(s) % 8) {
	case 0: /* a boundary value, maybe with a NUL byte and a tail */
		w = boundary[rnd(s) % (sizeof(boundary) / sizeof(boundary[0]))];
		len = strlen(w);
		memcpy(buf, w, len);
		if (rnd(s) % 4 == 0) {
			memcpy(buf + len, "\0junk", 5);
			len += 5;
		}
		return len;
	case 1: /* the file's own words, mutated */
		if (t->kind == K_RUN) {
			w = demo_run_words[rnd(s) % (sizeof(demo_run_words) /
						   sizeof(demo_run_words[0]))];
			len = strlen(w);
			memcpy(buf, w, len);
			return len;
		}
		if (t->kind == K_PARAM) {
			long long span = t->e->max - t->e->min + 3;

			len = sprintf(buf, "%lld", t->e->min - 1 +
				      (long long)(rnd(s) % span));
			if (rnd(s) % 3 == 0)
				buf[len++] = '\n';
			return len;
		}
		w = nwords ? t->e->words[rnd(s) % nwords] : "reset";
		switch (rnd(s) % 6) {
		case 0:
			return sprintf(buf, "%s", w);
		case 1:
			return sprintf(buf, "  %s \n", w);
		case 2:
			return sprintf(buf, "%s%c", w, 'a' + (int)(rnd(s) % 26));
		case 3:
			len = sprintf(buf, "%s", w);
			buf[rnd(s) % len] ^= 0x20;	/* a letter's case */
			return len;
		case 4:
			len = sprintf(buf, "%s", w);
			buf[len++] = '\0';
			return len + sprintf(buf + len, "%s", "garbage");
		default:
			return sprintf(buf, "%s %s", w, w);
		}
	case 2: /* random bytes: NULs, non-UTF-8 */
		len = 1 + rnd(s) % 64;
		for (i = 0; i < len; i++)
			buf[i] = rnd(s);
		return len;
	case 3: /* random printable text */
		len = 1 + rnd(s) % 256;
		for (i = 0; i < len; i++)
			buf[i] = 32 + rnd(s) % 95;
		return len;
	case 4: /* a random 64-bit number */
		return sprintf(buf, "%lld", (long long)rnd(s) >> (rnd(s) % 64));
	case 5: { /* oversized: around PAGE_SIZE, up to 64 KiB */
		static const int fill[] = { 'x', '0', ' ', '\n', 0, 0xff };
		size_t sizes[] = { page_size - 1, page_size, page_size + 1,
				   2 * page_size, MAX_PAYLOAD };
		int c = fill[rnd(s) % 6];

		len = sizes[rnd(s) % 5];
		memset(buf, c, len);
		if (rnd(s) % 2 && nwords)	/* a word, then the flood */
			memcpy(buf, t->e->words[0], strlen(t->e->words[0]));
		return len;
	}
	case 6: /* a zero-length write */
		return 0;
	default: /* whitespace only */
		len = 1 + rnd(s) % 16;
		for (i = 0; i < len; i++)
			buf[i] = " \t\n\r\v\f"[rnd(s) % 6];
		return len;
	}
}

static void one_write(struct target *t, uint64_t *s, char *buf)
{
	size_t len = make_payload(t, s, buf);
	bool stateful = t->kind == K_PARAM || (t->e && t->e->setting) ||
			t->kind == K_UNKNOWN;
	uint64_t t0;
	long n;
	int word_idx = MAX_WORDS;

	if (stateful)
		pthread_mutex_lock(&t->mutex);
	t0 = now_ns();
	n = write_once(t->path, buf, len);
	if (now_ns() - t0 > SLOW_WRITE_NS)
		fail("%s: a write of %zu bytes took %llu ms", t->name, len,
		     (unsigned long long)(now_ns() - t0) / 1000000);
	if (n > 0)
		check_accepted(t, buf, len, n, &word_idx);
	if (stateful)
		pthread_mutex_unlock(&t->mutex);
	pthread_mutex_lock(&mutex_counts);
	total_writes++;
	t->writes++;
	if (n >= 0 && !(n == 0 && len == 0)) {
		t->accepted++;
		t->word_hits[word_idx]++;
	} else if (n < 0) {
		t->rejected++;
		t->errnos[-n > MAX_ERRNO ? MAX_ERRNO : -n]++;
	}
	pthread_mutex_unlock(&mutex_counts);
	if (n < 0) {
		switch (-n) {
		case EINVAL: case EACCES: case EPERM: case EBUSY: case ENOSPC:
		case E2BIG: case EOPNOTSUPP: case ERANGE: case EFAULT:
			break;
		default:
			fail("%s: a write of %zu bytes failed with %s", t->name,
			     len, strerror(-n));
		}
	}
}

static unsigned long writes_wanted;
static unsigned long writes_claimed;
static int writable[MAX_TARGETS], nwritable;

struct writer {
	pthread_t thread;
	uint64_t seed;
};

static void *writer_fn(void *arg)
{
	struct writer *w = arg;
	char *buf = malloc(MAX_PAYLOAD + 64);

	for (;;) {
		pthread_mutex_lock(&mutex_counts);
		if (writes_claimed >= writes_wanted) {
			pthread_mutex_unlock(&mutex_counts);
			break;
		}
		writes_claimed++;
		pthread_mutex_unlock(&mutex_counts);
		one_write(&targets[writable[rnd(&w->seed) % nwritable]],
			  &w->seed, buf);
	}
	free(buf);
	return NULL;
}

static void *reader_fn(void *arg)
{
	size_t chunk = (size_t)(uintptr_t)arg, have;
	char *buf = malloc(MAX_PAYLOAD);
	unsigned long reads = 0;
	ssize_t n;
	int i, fd;

	while (!stop_readers) {
		for (i = 0; i < ntargets && !stop_readers; i++) {
			fd = open(targets[i].path, O_RDONLY | O_NONBLOCK);
			if (fd < 0)
				continue;
			have = 0;
			/* Byte by byte, only the start: seq_file's restarts. */
			while (have < (chunk < 8 ? 4096 : MAX_PAYLOAD) &&
			       (n = read(fd, buf, chunk)) > 0)
				have += n;
			close(fd);
			reads++;
		}
	}
	free(buf);
	pthread_mutex_lock(&mutex_counts);
	total_reads += reads;
	pthread_mutex_unlock(&mutex_counts);
	return NULL;
}

static void snapshot(char (*vals)[4096])
{
	int i;

	for (i = 0; i < ntargets; i++)
		if (is_setting(&targets[i]))
			slurp(targets[i].path, vals[i], sizeof(vals[i]));
}

/*
 * Whether setting file @t reads the same in @a and @b: the lines its
 * switches are read back from, when it has such (qspin/queue also lists
 * the locks contended at the moment, which a torture beside the fuzzer
 * changes), else all of it.
 */
static bool setting_same(const struct target *t, const char *a, const char *b)
{
	char va[64], vb[64];
	bool keyed = false;
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (!table[i].setting || !table[i].key ||
		    strcmp(table[i].setting, t->name))
			continue;
		keyed = true;
		if (!key_value(a, table[i].key, va, sizeof(va)) ||
		    !key_value(b, table[i].key, vb, sizeof(vb)) || strcmp(va, vb))
			return false;
	}
	return keyed || !strcmp(a, b);
}

static void report_target(const struct target *t)
{
	char line[2048];
	int len, i;

	len = snprintf(line, sizeof(line), "# %s [%s]: writes %lu accepted %lu",
		       t->name, kind_names[t->kind], t->writes, t->accepted);
	for (i = 0; t->e && i < MAX_WORDS; i++)
		if (t->word_hits[i] && t->e->words[i])
			len += snprintf(line + len, sizeof(line) - len, " (%s %lu)",
					t->kind == K_RUN ? "irq-fixed runs" :
					t->e->words[i], t->word_hits[i]);
	for (i = 0; i <= MAX_ERRNO; i++)
		if (t->errnos[i])
			len += snprintf(line + len, sizeof(line) - len, " %s %lu",
					strerrorname_np(i) ?: "E?", t->errnos[i]);
	if (t->kind == K_EXCLUDED)
		snprintf(line + len, sizeof(line) - len, ": %s",
			 t->e && t->e->why ? t->e->why : tqm_why);
	puts(line);
}

int main(int argc, char **argv)
{
	int nreaders = 3, nwriters = 2, opt, i;
	static char before[MAX_TARGETS][4096], after[MAX_TARGETS][4096];
	static const size_t chunks[] = { 1, 7, 4096, MAX_PAYLOAD };
	pthread_t readers[16];
	struct writer writers[8];
	uint64_t seed = 0;
	unsigned long accepted = 0, rejected = 0;

	writes_wanted = 1000;
	while ((opt = getopt(argc, argv, "n:s:r:w:")) != -1) {
		switch (opt) {
		case 'n': writes_wanted = strtoul(optarg, NULL, 0); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'r': nreaders = atoi(optarg); break;
		case 'w': nwriters = atoi(optarg); break;
		default: goto usage;
		}
	}
	if (optind >= argc || nreaders < 0 || nreaders > 16 || nwriters < 1 ||
	    nwriters > 8)
		goto usage;
	module = argv[optind];
	page_size = sysconf(_SC_PAGESIZE);
	if (!seed)
		seed = now_ns() ^ getpid();
	printf("# fuzz %s: seed %llu\n", module, (unsigned long long)seed);
	if (optind + 1 < argc)
		scan_debugfs(argv[optind + 1]);
	scan_params();
	if (!ntargets) {
		printf("# fuzz %s: no debugfs file and no parameter\n", module);
		return 1;
	}
	for (i = 0; i < ntargets; i++) {
		if (is_setting(&targets[i]))
			slurp(targets[i].path, targets[i].before,
			      sizeof(targets[i].before));
		/* A parameter's value is written back without its newline. */
		if (targets[i].kind == K_PARAM)
			targets[i].before[strcspn(targets[i].before, "\n")] = '\0';
		if (targets[i].kind != K_EXCLUDED)
			writable[nwritable++] = i;
	}
	snapshot(before);

	for (i = 0; i < nreaders; i++)
		pthread_create(&readers[i], NULL, reader_fn,
			       (void *)(uintptr_t)chunks[i % 4]);
	for (i = 0; i < nwriters; i++) {
		writers[i].seed = seed * (i + 1) | 1;
		pthread_create(&writers[i].thread, NULL, writer_fn, &writers[i]);
	}
	for (i = 0; i < nwriters; i++)
		pthread_join(writers[i].thread, NULL);
	stop_readers = 1;
	for (i = 0; i < nreaders; i++)
		pthread_join(readers[i], NULL);

	snapshot(after);
	for (i = 0; i < ntargets; i++) {
		if (is_setting(&targets[i]) &&
		    !setting_same(&targets[i], before[i], after[i]))
			fail("%s changed: was '%.60s', is '%.60s'", targets[i].name,
			     before[i], after[i]);
		report_target(&targets[i]);
		accepted += targets[i].accepted;
		rejected += targets[i].rejected;
	}
	printf("fuzz %s: writes %lu accepted %lu rejected %lu reads %lu failures %lu\n",
	       module, total_writes, accepted, rejected, total_reads, failures);
	return failures ? 1 : 0;
usage:
	fprintf(stderr, "usage: %s [-n WRITES] [-s SEED] [-r READERS] [-w WRITERS] MODULE [DEBUGFS_DIR]\n",
		argv[0]);
	return 2;
}
