// SPDX-License-Identifier: GPL-2.0
/*
 * select_bench: what kchan_select() costs next to a plain kchan_recv().
 *
 *   select_bench [-r RUNS] [-m MSGS] [-n ROUNDS]
 *
 * Receives: a buffered channel refilled (untimed) with a batch of
 * messages, then the batch taken by kchan_recv(), or by kchan_select()
 * over 1, 8 or 64 channels of which only that one is ready.  Ping-pong:
 * two processes bounce a message over a pair of unbuffered channels, with
 * plain send/receive or with a select on each side.
 *
 * The clock is read once per batch, never per operation (a guest clock
 * under TCG is slow to read).  Each figure is the median of RUNS runs,
 * after one untimed run; compare figures only within one run of the
 * program, as ratios.  The options are chan_bench's: -r RUNS, -m MSGS
 * (receives per run), -n ROUNDS (round trips per ping-pong).  SPEC
 * section 9 asks for a 64-case select within 2x of a plain receive.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kchan.h>

#define BATCH		512	/* messages per refill, timed as one */
#define MSG		8
#define MAX_CASES	64
#define MAX_RUNS	31

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static unsigned int ops = 20000, runs = 7, rounds = 5000;

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what, long err)
{
	fprintf(stderr, "select_bench: %s: %s\n", what, strerror(-err));
	exit(1);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Fills @ch with BATCH messages in one call. */
static void refill(int ch)
{
	static uint64_t payload[BATCH];
	static struct kchan_msg msgs[BATCH];
	int i, ret;

	for (i = 0; i < BATCH; i++) {
		payload[i] = i;
		msgs[i].buf = &payload[i];
		msgs[i].len = MSG;
	}
	ret = kchan_sendv(ch, msgs, BATCH);
	if (ret != BATCH)
		die("kchan_sendv", ret < 0 ? ret : -EIO);
}

/* What the other cases of a receive benchmark's select are. */
enum others {
	IDLE,		/* unbuffered channels no one else uses */
	NIL,		/* fd -1 */
	SAME,		/* the ready channel again */
	NONE_READY,	/* all idle, the select NOWAIT: no message moves */
};

/*
 * ns per receive of one message from a ready buffered channel: by
 * kchan_recv() when @ncases is 0, else by kchan_select() over @ncases
 * cases, the ready one at a random position.
 */
static double recv_run(int ready, const int *idle, unsigned int ncases,
		       enum others others)
{
	struct kchan_case c[MAX_CASES];
	unsigned int done, i, pos = ncases ? rand() % ncases : 0;
	uint64_t buf;
	int64_t t, total = 0;
	long ret;

	for (i = 0; i < ncases; i++) {
		c[i].fd = others == SAME ? ready : others == NIL ? -1 : idle[i];
		c[i].op = KCHAN_OP_RECV;
		c[i].buf = &buf;
		c[i].len = sizeof(buf);
	}
	if (others != NONE_READY)
		c[pos].fd = ready;
	for (done = 0; done < ops; done += BATCH) {
		if (others != NONE_READY)
			refill(ready);
		t = now_ns();
		for (i = 0; i < BATCH; i++) {
			if (!ncases) {
				ret = kchan_recv(ready, &buf, sizeof(buf));
				if (ret != MSG)
					die("kchan_recv", ret < 0 ? ret : -EIO);
			} else if (others == NONE_READY) {
				ret = kchan_select(c, ncases, -1,
						   KCHAN_SELECT_NOWAIT);
				if (ret != -EAGAIN)
					die("kchan_select NOWAIT", ret);
			} else {
				ret = kchan_select(c, ncases, -1, 0);
				if (ret < 0 || (others != SAME && ret != pos) ||
				    c[ret].res != MSG)
					die("kchan_select", ret < 0 ? ret : -EIO);
			}
		}
		total += now_ns() - t;
	}
	return (double)total / done;
}

/* One side's operation in the ping-pong; @ncases 0 means plain calls. */
static void pp_op(int ch, bool send, const int *idle, unsigned int ncases,
		  uint64_t *v)
{
	struct kchan_case c[MAX_CASES];
	unsigned int i;
	long ret;

	if (!ncases) {
		ret = send ? kchan_send(ch, v, sizeof(*v)) :
			     kchan_recv(ch, v, sizeof(*v));
		if (ret < 0)
			die(send ? "kchan_send" : "kchan_recv", ret);
		return;
	}
	for (i = 0; i < ncases; i++) {
		c[i].fd = i ? idle[i] : ch;
		c[i].op = send ? KCHAN_OP_SEND : KCHAN_OP_RECV;
		c[i].buf = v;
		c[i].len = sizeof(*v);
	}
	ret = kchan_select(c, ncases, -1, 0);
	if (ret != 0 || c[0].res < 0)
		die("kchan_select (ping-pong)", ret ? -EPROTO : c[0].res);
}

/* ns per round trip between two processes over unbuffered channels. */
static double pingpong_run(const int *idle, unsigned int ncases)
{
	int ping = kchan_make(0, MSG, 0), pong = kchan_make(0, MSG, 0);
	unsigned int i, warm = rounds / 10 + 1;
	uint64_t v = 0;
	int64_t t = 0;
	int status;
	pid_t pid;

	if (ping < 0 || pong < 0)
		die("kchan_make", ping < 0 ? ping : pong);
	pid = fork();
	if (pid < 0)
		die("fork", -errno);
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* Idle channels of its own: the two sides must not meet there. */
		idle += MAX_CASES / 2;
		for (i = 0; i < warm + rounds; i++) {
			pp_op(ping, false, idle, ncases, &v);
			v++;
			pp_op(pong, true, idle, ncases, &v);
		}
		_exit(0);
	}
	for (i = 0; i < warm + rounds; i++) {
		if (i == warm)
			t = now_ns();
		pp_op(ping, true, idle, ncases, &v);
		pp_op(pong, false, idle, ncases, &v);
	}
	t = now_ns() - t;
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		die("ping-pong child", -EIO);
	if (v != warm + rounds)
		die("ping-pong count", -EIO);
	close(ping);
	close(pong);
	return (double)t / rounds;
}

struct row {
	const char *name;
	double ns;
	double base;	/* what the ratio is against */
};

static void print_row(const struct row *r)
{
	printf("%-46s %10.0f %8.2fx\n", r->name, r->ns, r->ns / r->base);
}

static void usage(void)
{
	fputs("usage: select_bench [-r RUNS] [-m MSGS] [-n ROUNDS]\n", stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		unsigned int ncases;
		enum others others;
	} recvs[] = {
		{ "kchan_recv, buffered, message ready", 0, IDLE },
		{ "kchan_select, 1 channel, ready", 1, IDLE },
		{ "kchan_select, 8 channels, 1 ready", 8, IDLE },
		{ "kchan_select, 64 channels, 1 ready", 64, IDLE },
		{ "  64 cases: 1 ready + 63 nil", 64, NIL },
		{ "  64 cases, all on the ready channel", 64, SAME },
		{ "  64 channels, none ready (NOWAIT)", 64, NONE_READY },
	};
	static const unsigned int pp_widths[] = { 0, 1, 8 };
	static const char *const pp_names[] = {
		"plain kchan_send / kchan_recv",
		"kchan_select, 1 case each side",
		"kchan_select, 8 cases each side (1 live)",
	};
	double samples[ARRAY_SIZE(recvs)][MAX_RUNS], pp[3][MAX_RUNS];
	double recv_ns, sel64, pp0;
	int idle[MAX_CASES], ready, opt;
	unsigned int i, r;
	struct utsname u;
	struct row row;

	while ((opt = getopt(argc, argv, "r:m:n:h")) != -1) {
		switch (opt) {
		case 'r':
			runs = strtoul(optarg, NULL, 0);
			break;
		case 'm':
			ops = strtoul(optarg, NULL, 0);
			break;
		case 'n':
			rounds = strtoul(optarg, NULL, 0);
			break;
		default:
			usage();
		}
	}
	if (!ops || !runs || runs > MAX_RUNS || !rounds)
		usage();
	ops = (ops + BATCH - 1) / BATCH * BATCH;

	ready = kchan_make(BATCH, MSG, 0);
	if (ready < 0)
		die("kchan_make (is kchan.ko loaded?)", ready);
	for (i = 0; i < MAX_CASES; i++) {
		idle[i] = kchan_make(0, MSG, 0);
		if (idle[i] < 0)
			die("kchan_make", idle[i]);
	}
	srand(1);

	/*
	 * Interleave the kinds run by run, so drift hits all of them alike;
	 * run 0 only warms up (page faults, slab caches, the first fork).
	 */
	for (r = 0; r <= runs; r++) {
		for (i = 0; i < ARRAY_SIZE(recvs); i++)
			samples[i][r ? r - 1 : 0] =
				recv_run(ready, idle, recvs[i].ncases,
					 recvs[i].others);
		for (i = 0; i < 3; i++)
			pp[i][r ? r - 1 : 0] = pingpong_run(idle, pp_widths[i]);
	}

	uname(&u);
	printf("kchan select benchmark: %s %s, %ld CPUs; median of %u runs\n",
	       u.sysname, u.release, sysconf(_SC_NPROCESSORS_ONLN), runs);
	printf("%u receives of %d-byte messages per run, clock read every %d\n\n",
	       ops, MSG, BATCH);
	printf("%-46s %10s %9s\n", "receive, one message ready", "ns/op",
	       "vs recv");
	recv_ns = median(samples[0], runs);
	for (i = 0; i < ARRAY_SIZE(recvs); i++) {
		row = (struct row){ recvs[i].name, median(samples[i], runs),
				    recv_ns };
		print_row(&row);
	}
	sel64 = median(samples[3], runs);

	printf("\n%-46s %10s %9s\n", "unbuffered ping-pong, 2 processes",
	       "ns/rtt", "vs plain");
	pp0 = median(pp[0], runs);
	for (i = 0; i < 3; i++) {
		row = (struct row){ pp_names[i], median(pp[i], runs), pp0 };
		print_row(&row);
	}
	printf("(%u round trips per run)\n\n", rounds);

	printf("SPEC 9, 64-channel select within 2x of a plain receive: %.2fx, %s\n",
	       sel64 / recv_ns,
	       sel64 <= 2 * recv_ns ? "met" : "NOT met");

	for (i = 0; i < MAX_CASES; i++)
		close(idle[i]);
	close(ready);
	return 0;
}
