/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What chan_bench and uring_bench share: two-process ping-pong and
 * streaming drivers, the pipe and blocking-kchan baselines both compare
 * against, kernel memory from /proc/slabinfo, and the table format.
 *
 * A ping-pong runs ROUNDS round trips between this process and a forked
 * peer after one untimed warm-up; a stream moves MSGS messages from a
 * forked producer to this process, timed from the moment the producer is
 * let go.  The clock is read once per run, never per message: the guest
 * reads it from an emulated HPET, which is slow.  Each figure is the
 * median of several runs; compare figures only within one run of the
 * program (one VM boot), as ratios.
 *
 * Options of both programs: -r RUNS (median of), -n ROUNDS (round trips
 * per ping-pong), -m MSGS (messages per stream), -k COUNT (channels, or
 * parked operations), -s SECTIONS (the table numbers to run, as "14").
 */
#ifndef CHAN_BENCH_H
#define CHAN_BENCH_H

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kchan.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define NSEC_PER_SEC	1000000000LL
#define MAX_RUNS	31

#define PP_MSG		8	/* ping-pong message size */
#define STREAM_MSG	64	/* streaming message size */
#define STREAM_CAP	1024	/* messages buffered: a pipe's 64 KiB */
#define BATCH		32	/* messages per vector call or io_uring_enter */

/* Set from the command line (bench_options()). */
static unsigned int bench_runs = 5;
static long bench_rounds = 5000;
static long bench_msgs = 200000;
static long bench_count;	/* channels, parked operations: the program's */
static const char *bench_only;	/* the sections to run, as digits; NULL: all */

/* Whether section @n is to run (-s). */
static inline bool bench_section(int n)
{
	return !bench_only || strchr(bench_only, '0' + n);
}

static inline int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/* Reports a failed step (@err: -errno, or 0 to use errno) and exits. */
static inline _Noreturn void die(const char *what, long err)
{
	fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what,
		strerror(err ? -err : errno));
	exit(1);
}

static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static inline double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* -r RUNS -n ROUNDS -m MSGS -k COUNT -s SECTIONS */
static inline void bench_options(int argc, char **argv)
{
	int opt;

	while ((opt = getopt(argc, argv, "r:n:m:k:s:h")) != -1) {
		switch (opt) {
		case 'r':
			bench_runs = strtoul(optarg, NULL, 0);
			break;
		case 'n':
			bench_rounds = strtol(optarg, NULL, 0);
			break;
		case 'm':
			bench_msgs = strtol(optarg, NULL, 0);
			break;
		case 'k':
			bench_count = strtol(optarg, NULL, 0);
			break;
		case 's':
			bench_only = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s [-r RUNS] [-n ROUNDS] [-m MSGS] [-k COUNT] [-s SECTIONS]\n",
				program_invocation_short_name);
			exit(2);
		}
	}
	if (optind < argc || !bench_runs || bench_runs > MAX_RUNS ||
	    bench_rounds < 1 || bench_msgs < BATCH || bench_count < 1) {
		fprintf(stderr, "%s: runs 1..%d, rounds >= 1, msgs >= %d, count >= 1\n",
			program_invocation_short_name, MAX_RUNS, BATCH);
		exit(2);
	}
}

/* Raises RLIMIT_NOFILE to @want if it can; returns the limit in force. */
static inline rlim_t raise_nofile(rlim_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 0;
	if (rl.rlim_cur < want) {
		rl.rlim_cur = want;
		if (rl.rlim_max < want)
			rl.rlim_max = want;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur;
}

/* ---- Two processes ---------------------------------------------------------- */

/*
 * One side of a two-process benchmark.  @side is 0 for this process, 1 for
 * the forked peer; @n is how many round trips or messages it does.  A side
 * calls die() on any error.
 */
typedef void (*bench_side_fn)(void *ctx, int side, long n);

/* Forks a peer that runs @fn(ctx, 1, n) and exits; dies with us. */
static inline pid_t bench_fork(bench_side_fn fn, void *ctx, long n)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork", 0);
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fn(ctx, 1, n);
		_exit(0);
	}
	return pid;
}

static inline void bench_reap(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		die("waitpid", 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		die("the peer process failed", -EIO);
}

/*
 * Nanoseconds per round trip: @fn does round trips, side 0 sending first.
 * One warm-up round trip, untimed, lets both sides get going.
 */
static inline double pingpong(bench_side_fn fn, void *ctx)
{
	pid_t pid = bench_fork(fn, ctx, bench_rounds + 1);
	int64_t t0;

	fn(ctx, 0, 1);
	t0 = now_ns();
	fn(ctx, 0, bench_rounds);
	t0 = now_ns() - t0;
	bench_reap(pid);
	return (double)t0 / bench_rounds;
}

/*
 * Messages per second: the peer (side 1) produces bench_msgs messages once
 * told to go, and this process (side 0) consumes them.
 */
static inline double stream(bench_side_fn fn, void *ctx)
{
	int go[2];
	pid_t pid;
	int64_t t0;
	char c = 0;

	if (pipe(go))
		die("pipe", 0);
	pid = fork();
	if (pid < 0)
		die("fork", 0);
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		fn(ctx, 1, bench_msgs);
		_exit(0);
	}
	t0 = now_ns();
	if (write(go[1], &c, 1) != 1)
		die("write", 0);
	fn(ctx, 0, bench_msgs);
	t0 = now_ns() - t0;
	bench_reap(pid);
	close(go[0]);
	close(go[1]);
	return bench_msgs * (double)NSEC_PER_SEC / t0;
}

/*
 * A benchmark: @setup makes fresh channels or fds for one run (and
 * @teardown closes them); @side is what each process does.
 */
struct bench {
	const char *name;
	void (*setup)(void *ctx);
	void (*teardown)(void *ctx);
	bench_side_fn side;
	const char *note;	/* printed after the figures */
};

static inline double bench_once(const struct bench *b,
				double (*drive)(bench_side_fn, void *))
{
	long ctx[64];		/* a benchmark's own struct */
	double v;

	memset(ctx, 0, sizeof(ctx));
	b->setup(ctx);
	v = drive(b->side, ctx);
	b->teardown(ctx);
	return v;
}

/*
 * The median of bench_runs runs of @b; with @warm, after one run that
 * does not count (the first run after boot is slow).
 */
static inline double bench_median(const struct bench *b,
				  double (*drive)(bench_side_fn, void *),
				  bool warm)
{
	double v[MAX_RUNS];
	unsigned int i;

	if (warm)
		bench_once(b, drive);
	for (i = 0; i < bench_runs; i++)
		v[i] = bench_once(b, drive);
	return median(v, bench_runs);
}

/*
 * Runs each of @b, ping-pongs, and prints the microseconds per round trip
 * and the ratio to the first, which is the pipe.
 */
static inline void pingpong_table(const char *title, const struct bench *b,
				  unsigned int n)
{
	double us, pipe_us = 0;
	unsigned int i;

	printf("\n%s\n", title);
	printf("%d-byte messages, %ld round trips per run, median of %u runs\n\n",
	       PP_MSG, bench_rounds, bench_runs);
	printf("  %-44s %14s %8s\n", "mechanism", "us/round trip", "x pipe");
	for (i = 0; i < n; i++) {
		us = bench_median(&b[i], pingpong, !i) / 1000;
		if (!i)
			pipe_us = us;
		printf("  %-44s %14.1f %8.2f  %s\n", b[i].name, us,
		       us / pipe_us, b[i].note ? b[i].note : "");
		fflush(stdout);
	}
}

/*
 * Runs each of @b, streams, and prints messages per second and the ratio
 * to the first, which is the pipe.
 */
static inline void stream_table(const char *title, const struct bench *b,
				unsigned int n)
{
	double rate, pipe_rate = 0;
	unsigned int i;

	printf("\n%s\n", title);
	printf("%d-byte messages, %ld per run, producer and consumer processes, median of %u runs\n\n",
	       STREAM_MSG, bench_msgs, bench_runs);
	printf("  %-44s %10s %8s\n", "mechanism", "msgs/s", "x pipe");
	for (i = 0; i < n; i++) {
		rate = bench_median(&b[i], stream, !i);
		if (!i)
			pipe_rate = rate;
		printf("  %-44s %10.0f %8.2f  %s\n", b[i].name, rate,
		       rate / pipe_rate, b[i].note ? b[i].note : "");
		fflush(stdout);
	}
}

/* ---- Baselines: pipe and blocking kchan -------------------------------------- */

struct fd_pair {
	int ab[2];		/* side 0 -> side 1: [read end, write end] */
	int ba[2];		/* side 1 -> side 0 */
};

static inline void pipes_setup(void *ctx)
{
	struct fd_pair *p = ctx;

	if (pipe(p->ab) || pipe(p->ba))
		die("pipe", 0);
}

static inline void pipes_teardown(void *ctx)
{
	struct fd_pair *p = ctx;

	close(p->ab[0]);
	close(p->ab[1]);
	close(p->ba[0]);
	close(p->ba[1]);
}

/* Reads exactly @len bytes (a pipe may split what was written). */
static inline void read_full(int fd, void *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = read(fd, buf, len);
		if (n <= 0)
			die("read", n < 0 ? 0 : -EPIPE);
		buf = (char *)buf + n;
		len -= n;
	}
}

static inline void pipe_pingpong(void *ctx, int side, long n)
{
	struct fd_pair *p = ctx;
	int out = side ? p->ba[1] : p->ab[1];
	int in = side ? p->ab[0] : p->ba[0];
	char m[PP_MSG] = "ping";

	while (n--) {
		if (!side && write(out, m, sizeof(m)) != sizeof(m))
			die("write", 0);
		read_full(in, m, sizeof(m));
		if (side && write(out, m, sizeof(m)) != sizeof(m))
			die("write", 0);
	}
}

static inline void pipe_stream(void *ctx, int side, long n)
{
	struct fd_pair *p = ctx;
	char m[STREAM_MSG] = "data";

	while (n--) {
		if (side) {
			if (write(p->ab[1], m, sizeof(m)) != sizeof(m))
				die("write", 0);
		} else {
			read_full(p->ab[0], m, sizeof(m));
		}
	}
}

struct kchan_pair {
	int ab, ba;
};

static inline int kchan_pair_make(struct kchan_pair *k, unsigned int cap,
				  unsigned int size)
{
	k->ab = kchan_make(cap, size, 0);
	k->ba = kchan_make(cap, size, 0);
	return k->ab < 0 ? k->ab : k->ba;
}

static inline void kchan_pp_setup(void *ctx)
{
	int ret = kchan_pair_make(ctx, 0, PP_MSG);

	if (ret < 0)
		die("kchan_make", ret);
}

static inline void kchan_stream_setup(void *ctx)
{
	int ret = kchan_pair_make(ctx, STREAM_CAP, STREAM_MSG);

	if (ret < 0)
		die("kchan_make", ret);
}

static inline void kchan_pair_teardown(void *ctx)
{
	struct kchan_pair *k = ctx;

	close(k->ab);
	close(k->ba);
}

static inline void kchan_pingpong(void *ctx, int side, long n)
{
	struct kchan_pair *k = ctx;
	int out = side ? k->ba : k->ab, in = side ? k->ab : k->ba;
	char m[PP_MSG] = "ping";
	long ret;

	while (n--) {
		ret = side ? 0 : kchan_send(out, m, sizeof(m));
		if (ret)
			die("kchan_send", ret);
		ret = kchan_recv(in, m, sizeof(m));
		if (ret != sizeof(m))
			die("kchan_recv", ret < 0 ? ret : -EIO);
		ret = side ? kchan_send(out, m, sizeof(m)) : 0;
		if (ret)
			die("kchan_send", ret);
	}
}

static inline void kchan_stream(void *ctx, int side, long n)
{
	struct kchan_pair *k = ctx;
	char m[STREAM_MSG] = "data";
	long ret;

	while (n--) {
		if (side) {
			ret = kchan_send(k->ab, m, sizeof(m));
			if (ret)
				die("kchan_send", ret);
		} else {
			ret = kchan_recv(k->ab, m, sizeof(m));
			if (ret != sizeof(m))
				die("kchan_recv", ret < 0 ? ret : -EIO);
		}
	}
}

/* kchan_sendv()/kchan_recvv(), BATCH messages per call at most. */
static inline void kchan_stream_vec(void *ctx, int side, long n)
{
	static char m[BATCH][STREAM_MSG];
	struct kchan_pair *k = ctx;
	struct kchan_msg v[BATCH];
	int i, want, ret;

	while (n > 0) {
		want = n < BATCH ? n : BATCH;
		for (i = 0; i < want; i++)
			v[i] = (struct kchan_msg){ m[i], STREAM_MSG };
		if (side)
			ret = kchan_sendv(k->ab, v, want);
		else
			ret = kchan_recvv(k->ab, v, want);
		if (ret <= 0)
			die(side ? "kchan_sendv" : "kchan_recvv", ret ?: -EIO);
		n -= ret;
	}
}

/* ---- Kernel memory ------------------------------------------------------------ */

#define SLAB_MAX	512

struct slab_snap {
	unsigned int n;
	struct {
		char name[64];
		long objs;	/* active objects */
		long size;	/* object size */
	} c[SLAB_MAX];
	long slab_kb;		/* /proc/meminfo Slab */
	long avail_kb;		/* /proc/meminfo MemAvailable */
};

static inline long meminfo_kb(const char *key)
{
	char line[256];
	size_t len = strlen(key);
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, len) && line[len] == ':')
			kb = strtol(line + len + 1, NULL, 10);
	fclose(f);
	return kb;
}

/* Returns false when /proc/slabinfo cannot be read (not root, no SLUB). */
static inline bool slab_snap(struct slab_snap *s)
{
	char line[512];
	FILE *f = fopen("/proc/slabinfo", "r");

	s->n = 0;
	s->slab_kb = meminfo_kb("Slab");
	s->avail_kb = meminfo_kb("MemAvailable");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f) && s->n < SLAB_MAX) {
		if (line[0] == '#' || !strncmp(line, "slabinfo", 8))
			continue;
		if (sscanf(line, "%63s %ld %*d %ld", s->c[s->n].name,
			   &s->c[s->n].objs, &s->c[s->n].size) == 3)
			s->n++;
	}
	fclose(f);
	return true;
}

/*
 * The other names of @name's cache: SLUB merges caches of one size and
 * kind, and /proc/slabinfo shows the merged cache under one of its names
 * (an io_kiocb may be counted as a "filp").  /sys/kernel/slab links every
 * name to its cache.
 */
static inline void slab_aliases(const char *name, char *out, size_t len)
{
	char path[PATH_MAX], mine[PATH_MAX], theirs[PATH_MAX];
	struct dirent *e;
	size_t used = 0;
	DIR *d;

	out[0] = 0;
	snprintf(path, sizeof(path), "/sys/kernel/slab/%s", name);
	if (!realpath(path, mine))
		return;
	d = opendir("/sys/kernel/slab");
	if (!d)
		return;
	while ((e = readdir(d)) && used + 2 < len) {
		if (e->d_name[0] == '.' || e->d_name[0] == ':' ||
		    !strcmp(e->d_name, name))
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s", e->d_name);
		if (!realpath(path, theirs) || strcmp(mine, theirs))
			continue;
		used += snprintf(out + used, len - used, "%s%s",
				 used ? ", " : "", e->d_name);
	}
	closedir(d);
}

/*
 * Prints how much more slab memory @after holds than @before, per one of
 * @count objects: the caches that grew by at least a tenth of an object
 * each, and the total; with no slabinfo, the meminfo Slab delta only.
 * Returns the total bytes per object.
 */
static inline double slab_report(const struct slab_snap *before,
				 const struct slab_snap *after, long count)
{
	double total = 0, each;
	unsigned int i, j;
	char alias[256];
	long grew;

	printf("  %-24s %10s %8s %14s\n", "slab cache", "objects", "size",
	       "bytes per item");
	for (i = 0; i < after->n; i++) {
		grew = after->c[i].objs;
		for (j = 0; j < before->n; j++)
			if (!strcmp(before->c[j].name, after->c[i].name))
				grew -= before->c[j].objs;
		each = (double)grew * after->c[i].size / count;
		if (grew <= 0)
			continue;
		total += each;
		if (grew * 10 < count)
			continue;
		printf("  %-24s %+10ld %8ld %14.1f\n", after->c[i].name, grew,
		       after->c[i].size, each);
		slab_aliases(after->c[i].name, alias, sizeof(alias));
		if (alias[0])
			printf("    (the same cache as: %s)\n", alias);
	}
	if (after->n)
		printf("  %-24s %10s %8s %14.1f\n", "all caches", "", "", total);
	printf("  %-24s %10s %8s %14.1f  (meminfo Slab: %+ld kB)\n",
	       "meminfo Slab", "", "",
	       (after->slab_kb - before->slab_kb) * 1024.0 / count,
	       after->slab_kb - before->slab_kb);
	return after->n ? total :
	       (after->slab_kb - before->slab_kb) * 1024.0 / count;
}

#endif /* CHAN_BENCH_H */
