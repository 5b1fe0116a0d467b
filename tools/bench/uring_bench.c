// SPDX-License-Identifier: GPL-2.0
/*
 * uring_bench: kchan through io_uring (SPEC §6, §9).
 *
 *   uring_bench [-r RUNS] [-n ROUNDS] [-m MSGS] [-k PARKED] [-s SECTIONS]
 *
 * 1. Streaming 64-byte messages from one process to another, each with a
 *    ring of its own, 32 operations per io_uring_enter(): kchan's own
 *    send/receive commands (IORING_OP_URING_CMD), and IORING_OP_WRITE/READ
 *    on the channel fd; against a pipe, with blocking write/read and with
 *    io_uring WRITE/READ in batches of 32; and blocking kchan calls (one
 *    per call, and 32 per kchan_sendv()/kchan_recvv()).
 * 2. Ping-pong round trip between two processes with rings, each side
 *    submitting its send and its next receive in one io_uring_enter();
 *    against blocking kchan calls and pipes (blocking and io_uring).
 *    Rows marked DEFER_TASKRUN set up their rings with it (and
 *    SINGLE_ISSUER): completions of parked operations then wait for the
 *    submitter to ask for them instead of interrupting it.
 * 3. PARKED (100,000) receives parked on one ring: the kernel memory each
 *    takes (from /proc/slabinfo), and the time to park them and to have a
 *    sender process complete them all.
 * 4. What one message costs when nothing waits: one process sends 32
 *    messages into a buffered channel and receives them back, through
 *    io_uring and through the blocking calls; next to io_uring's own cost
 *    of 32 NOPs and of 32 commands to /dev/null (its uring_cmd does
 *    nothing), which no io_uring operation can beat.
 *
 * SPEC §9 targets: io_uring batches of 32 >= 4x pipe; <= 256 bytes of
 * kernel memory per parked operation.  Run it in the VM:
 *   tools/vm/kchan-vm -- /usr/lib/kchan/tools/bench/uring_bench
 */
#include <sys/utsname.h>

#include "chan_bench.h"

/*
 * Task work (how a parked operation's completion reaches its submitter)
 * interrupts the submitter at once by default; with DEFER_TASKRUN it runs
 * when the submitter next waits for completions.
 */
#define DEFER	(IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN)

/* The ring of one side: just big enough for a batch. */
static void ring_init(struct io_uring *ring, unsigned int flags)
{
	int ret = io_uring_queue_init(2 * BATCH, ring, flags);

	if (ret)
		die("io_uring_queue_init", ret);
}

/* Waits for @n completions and checks each res is @want. */
static void reap(struct io_uring *ring, unsigned int n, int want)
{
	struct io_uring_cqe *cqe;
	int ret;

	while (n--) {
		ret = io_uring_wait_cqe(ring, &cqe);
		if (ret)
			die("io_uring_wait_cqe", ret);
		ret = cqe->res;
		io_uring_cqe_seen(ring, cqe);
		if (ret != want)
			die("completion", ret < 0 ? ret : -EIO);
	}
}

/* Submits what is queued and waits for @n completions of @want each. */
static void submit_reap(struct io_uring *ring, unsigned int n, int want)
{
	int ret = io_uring_submit_and_wait(ring, n);

	if (ret < 0)
		die("io_uring_submit_and_wait", ret);
	reap(ring, n, want);
}

/*
 * Submits what is queued and waits for two completions, one of @a and
 * one of @b, in either order.
 */
static void submit_reap_pair(struct io_uring *ring, int a, int b)
{
	struct io_uring_cqe *cqe;
	int ret, res[2], i;

	ret = io_uring_submit_and_wait(ring, 2);
	if (ret < 0)
		die("io_uring_submit_and_wait", ret);
	for (i = 0; i < 2; i++) {
		ret = io_uring_wait_cqe(ring, &cqe);
		if (ret)
			die("io_uring_wait_cqe", ret);
		res[i] = cqe->res;
		io_uring_cqe_seen(ring, cqe);
	}
	if (!((res[0] == a && res[1] == b) || (res[0] == b && res[1] == a)))
		die("completion", res[0] < 0 ? res[0] : res[1] < 0 ? res[1] : -EIO);
}

/* Prepares a message op on @fd: kchan's command or plain READ/WRITE. */
static void prep(struct io_uring *ring, bool kchan_cmd, bool send, int fd,
		 void *buf, unsigned int len)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (kchan_cmd && send)
		kchan_prep_send(sqe, fd, buf, len);
	else if (kchan_cmd)
		kchan_prep_recv(sqe, fd, buf, len);
	else if (send)
		io_uring_prep_write(sqe, fd, buf, len, 0);
	else
		io_uring_prep_read(sqe, fd, buf, len, 0);
}

/* ---- Streaming ------------------------------------------------------------------ */

/*
 * Producer (side 1) and consumer (side 0), BATCH operations per enter, on
 * fds @tx (producer's) and @rx (consumer's).  A pipe READ could return
 * less than a message; with 64-byte writes (atomic) it never does, and
 * submit_reap() would report it.
 */
static void uring_stream(int tx, int rx, bool kchan_cmd, unsigned int flags,
			 int side, long n)
{
	static char m[BATCH][STREAM_MSG];
	int want = side && kchan_cmd ? 0 : STREAM_MSG;
	struct io_uring ring;
	int i, k;

	ring_init(&ring, flags);
	while (n > 0) {
		k = n < BATCH ? n : BATCH;
		for (i = 0; i < k; i++)
			prep(&ring, kchan_cmd, side, side ? tx : rx, m[i],
			     STREAM_MSG);
		submit_reap(&ring, k, want);
		n -= k;
	}
	io_uring_queue_exit(&ring);
}

static void kchan_uring_stream(void *ctx, int side, long n)
{
	struct kchan_pair *k = ctx;

	uring_stream(k->ab, k->ab, true, 0, side, n);
}

static void kchan_uring_stream_defer(void *ctx, int side, long n)
{
	struct kchan_pair *k = ctx;

	uring_stream(k->ab, k->ab, true, DEFER, side, n);
}

static void kchan_rw_stream(void *ctx, int side, long n)
{
	struct kchan_pair *k = ctx;

	uring_stream(k->ab, k->ab, false, 0, side, n);
}

static void pipe_uring_stream(void *ctx, int side, long n)
{
	struct fd_pair *p = ctx;

	uring_stream(p->ab[1], p->ab[0], false, 0, side, n);
}

/* ---- Ping-pong ---------------------------------------------------------------- */

/*
 * Each round trip, side 0 submits its send and its next receive in one
 * io_uring_enter(), and so does side 1 the other way round: the receive
 * parks (or, for READ, waits for poll) until the other side's send.
 */
static void uring_pingpong(int out, int in, bool kchan_cmd, unsigned int flags,
			   int side, long n)
{
	int sent = kchan_cmd ? 0 : PP_MSG;
	char m[PP_MSG] = "ping", r[PP_MSG];
	struct io_uring ring;

	ring_init(&ring, flags);
	if (side) {
		prep(&ring, kchan_cmd, false, in, r, PP_MSG);
		submit_reap(&ring, 1, PP_MSG);
	}
	while (n--) {
		prep(&ring, kchan_cmd, true, out, m, PP_MSG);
		if (!side || n) {
			prep(&ring, kchan_cmd, false, in, r, PP_MSG);
			submit_reap_pair(&ring, sent, PP_MSG);
		} else {
			submit_reap(&ring, 1, sent);
		}
	}
	io_uring_queue_exit(&ring);
}

static void kchan_uring_pingpong(void *ctx, int side, long n)
{
	struct kchan_pair *k = ctx;

	uring_pingpong(side ? k->ba : k->ab, side ? k->ab : k->ba, true, 0,
		       side, n);
}

static void kchan_uring_pingpong_defer(void *ctx, int side, long n)
{
	struct kchan_pair *k = ctx;

	uring_pingpong(side ? k->ba : k->ab, side ? k->ab : k->ba, true, DEFER,
		       side, n);
}

static void pipe_uring_pingpong(void *ctx, int side, long n)
{
	struct fd_pair *p = ctx;

	uring_pingpong(side ? p->ba[1] : p->ab[1], side ? p->ab[0] : p->ba[0],
		       false, 0, side, n);
}

/* ---- Parked operations ------------------------------------------------------------ */

/* Peer: sends @n 8-byte messages, BATCH per kchan_sendv(). */
static void send_all(int ch, long n)
{
	struct kchan_msg v[BATCH];
	uint64_t m[BATCH];
	int i, k, ret;

	while (n > 0) {
		k = n < BATCH ? n : BATCH;
		for (i = 0; i < k; i++)
			v[i] = (struct kchan_msg){ &m[i], sizeof(m[i]) };
		ret = kchan_sendv(ch, v, k);
		if (ret <= 0)
			die("kchan_sendv", ret ?: -EIO);
		n -= ret;
	}
}

static int recv_waiters(int ch)
{
	struct kchan_info info;
	int ret = kchan_info(ch, &info);

	return ret < 0 ? ret : (int)info.recv_waiters;
}

#define PARK_SQ		4096
#define PARK_CQ		65536	/* io_uring's most */
#define PARK_GUESS	2048	/* bytes per op to be sure memory allows */

static void parked_ops(long count)
{
	struct slab_snap *before = malloc(sizeof(*before));
	struct slab_snap *after = malloc(sizeof(*after));
	struct io_uring_params p = {
		.flags = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP,
		.cq_entries = PARK_CQ,
	};
	int64_t t_park, t_done, deadline;
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	long i, k, avail, done;
	uint64_t *buf;
	double each;
	int ch, ret;
	pid_t pid;

	printf("\n3. Parked receives on one ring\n\n");
	avail = meminfo_kb("MemAvailable");
	if (avail > 0 && count * PARK_GUESS / 1024 > avail / 2 &&
	    count > 10000) {
		printf("  MemAvailable %ld kB is short for %ld: parking 10000\n",
		       avail, count);
		count = 10000;
	}
	buf = calloc(count, sizeof(*buf));
	if (!before || !after || !buf)
		die("malloc", -ENOMEM);
	ch = kchan_make(0, sizeof(uint64_t), 0);
	if (ch < 0)
		die("kchan_make", ch);
	ret = io_uring_queue_init_params(PARK_SQ, &ring, &p);
	if (ret)
		die("io_uring_queue_init", ret);

	slab_snap(before);
	t_park = now_ns();
	for (i = 0; i < count; i += k) {
		k = count - i < PARK_SQ ? count - i : PARK_SQ;
		for (long j = i; j < i + k; j++)
			kchan_prep_recv(io_uring_get_sqe(&ring), ch, &buf[j],
					sizeof(buf[j]));
		ret = io_uring_submit(&ring);
		if (ret != k)
			die("io_uring_submit", ret < 0 ? ret : -EIO);
	}
	t_park = now_ns() - t_park;
	deadline = now_ns() + 10 * NSEC_PER_SEC;
	while ((ret = recv_waiters(ch)) != count && now_ns() < deadline)
		usleep(1000);
	if (ret != count)
		die("not all receives parked", ret < 0 ? ret : -EIO);
	slab_snap(after);

	printf("  %ld receives parked (unbuffered channel, 8-byte messages)\n\n",
	       count);
	each = slab_report(before, after, count);

	/* A sender process completes them all. */
	t_done = now_ns();
	pid = fork();
	if (pid < 0)
		die("fork", 0);
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		send_all(ch, count);
		_exit(0);
	}
	for (done = 0; done < count; done++) {
		ret = io_uring_wait_cqe(&ring, &cqe);
		if (ret)
			die("io_uring_wait_cqe", ret);
		if (cqe->res != sizeof(uint64_t))
			die("parked receive", cqe->res < 0 ? cqe->res : -EIO);
		io_uring_cqe_seen(&ring, cqe);
	}
	t_done = now_ns() - t_done;
	bench_reap(pid);

	printf("\n  park: %.2f us per receive (submitted %d per enter)\n",
	       t_park / 1000.0 / count, PARK_SQ);
	printf("  complete by a sender process (kchan_sendv, %d per call): %.2f us per receive\n",
	       BATCH, t_done / 1000.0 / count);
	printf("\n  kernel memory per parked operation: %.0f bytes (io_uring's request\n"
	       "  and kchan's waiter, both); target <= 256\n", each);
	io_uring_queue_exit(&ring);
	close(ch);
	free(buf);
	free(before);
	free(after);
}

/* ---- What one message costs ------------------------------------------------------ */

enum local_kind {
	LOCAL_NOP,		/* io_uring alone */
	LOCAL_NULL_CMD,		/* io_uring's uring_cmd path, to /dev/null */
	LOCAL_URING,		/* kchan send/recv commands */
	LOCAL_RW,		/* IORING_OP_WRITE/READ on the channel */
	LOCAL_VEC,		/* kchan_sendv/recvv */
	LOCAL_SINGLE,		/* kchan_send/recv */
	LOCAL_PIPE,		/* write/read on a pipe */
};

static const char *const local_names[] = {
	[LOCAL_NOP] = "io_uring NOP x32 (x2 per message)",
	[LOCAL_NULL_CMD] = "io_uring cmd to /dev/null x32 (x2)",
	[LOCAL_URING] = "kchan io_uring send x32, recv x32",
	[LOCAL_RW] = "kchan io_uring WRITE x32, READ x32",
	[LOCAL_VEC] = "kchan_sendv x32, kchan_recvv x32",
	[LOCAL_SINGLE] = "kchan_send, kchan_recv",
	[LOCAL_PIPE] = "pipe write, read",
};

/* Sends and receives @n messages in one process; ns per message. */
static double local_run(enum local_kind kind, long n)
{
	static char m[BATCH][STREAM_MSG];
	struct kchan_msg v[BATCH];
	struct io_uring ring;
	int ch, null, p[2], i, k, dir, ret;
	int64_t t;

	ch = kchan_make(STREAM_CAP, STREAM_MSG, 0);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (ch < 0 || null < 0 || pipe(p))
		die("setup", ch < 0 ? ch : 0);
	ring_init(&ring, 0);
	for (i = 0; i < BATCH; i++)
		v[i] = (struct kchan_msg){ m[i], STREAM_MSG };

	t = now_ns();
	for (; n > 0; n -= k) {
		k = n < BATCH ? n : BATCH;
		for (dir = 1; dir >= 0; dir--) {
			switch (kind) {
			case LOCAL_NOP:
			case LOCAL_NULL_CMD:
				for (i = 0; i < k; i++) {
					struct io_uring_sqe *sqe;

					sqe = io_uring_get_sqe(&ring);
					io_uring_prep_nop(sqe);
					if (kind == LOCAL_NULL_CMD) {
						sqe->opcode = IORING_OP_URING_CMD;
						sqe->fd = null;
					}
				}
				submit_reap(&ring, k, 0);
				break;
			case LOCAL_URING:
			case LOCAL_RW:
				for (i = 0; i < k; i++)
					prep(&ring, kind == LOCAL_URING, dir, ch,
					     m[i], STREAM_MSG);
				submit_reap(&ring, k, dir && kind == LOCAL_URING ?
						      0 : STREAM_MSG);
				break;
			case LOCAL_VEC:
				ret = dir ? kchan_sendv(ch, v, k) :
					    kchan_recvv(ch, v, k);
				if (ret != k)
					die("kchan_sendv/recvv", ret < 0 ? ret : -EIO);
				break;
			case LOCAL_SINGLE:
				for (i = 0; i < k; i++) {
					ret = dir ? kchan_send(ch, m[i], STREAM_MSG) :
						    kchan_recv(ch, m[i], STREAM_MSG) -
						    STREAM_MSG;
					if (ret)
						die("kchan_send/recv", -EIO);
				}
				break;
			case LOCAL_PIPE:
				for (i = 0; i < k; i++) {
					ret = dir ? write(p[1], m[i], STREAM_MSG) :
						    read(p[0], m[i], STREAM_MSG);
					if (ret != STREAM_MSG)
						die("pipe", 0);
				}
				break;
			}
		}
	}
	t = now_ns() - t;
	io_uring_queue_exit(&ring);
	close(ch);
	close(null);
	close(p[0]);
	close(p[1]);
	return t;
}

static void local_table(void)
{
	double v[MAX_RUNS], ns[ARRAY_SIZE(local_names)];
	unsigned int kind, r;

	printf("\n4. What a message costs with no one waiting (one process)\n");
	printf("%d-byte messages, %ld per run, each sent into a buffered channel and received back, median of %u runs\n\n",
	       STREAM_MSG, bench_msgs, bench_runs);
	printf("  %-44s %12s\n", "per message: one send and one receive",
	       "ns");
	local_run(LOCAL_PIPE, bench_msgs);	/* warm-up */
	for (kind = 0; kind < ARRAY_SIZE(local_names); kind++) {
		for (r = 0; r < bench_runs; r++)
			v[r] = local_run(kind, bench_msgs) / bench_msgs;
		ns[kind] = median(v, bench_runs);
		printf("  %-44s %12.0f\n", local_names[kind], ns[kind]);
		fflush(stdout);
	}
	printf("\n  kchan's own share of an io_uring message: %.0f ns (its commands\n"
	       "  less the same commands to /dev/null)\n",
	       ns[LOCAL_URING] - ns[LOCAL_NULL_CMD]);
}

/* ---- The tables --------------------------------------------------------------------- */

static const struct bench streams[] = {
	{ "pipe, blocking write/read", pipes_setup, pipes_teardown,
	  pipe_stream, "" },
	{ "pipe, io_uring WRITE/READ x32", pipes_setup, pipes_teardown,
	  pipe_uring_stream, "" },
	{ "kchan, blocking send/recv", kchan_stream_setup, kchan_pair_teardown,
	  kchan_stream, "(capacity 1024)" },
	{ "kchan, sendv/recvv x32", kchan_stream_setup, kchan_pair_teardown,
	  kchan_stream_vec, "(capacity 1024)" },
	{ "kchan, io_uring send/recv x32", kchan_stream_setup,
	  kchan_pair_teardown, kchan_uring_stream, "(capacity 1024)" },
	{ "kchan, io_uring send/recv x32, DEFER_TASKRUN", kchan_stream_setup,
	  kchan_pair_teardown, kchan_uring_stream_defer, "(capacity 1024)" },
	{ "kchan, io_uring WRITE/READ x32", kchan_stream_setup,
	  kchan_pair_teardown, kchan_rw_stream, "(capacity 1024)" },
};

static const struct bench pingpongs[] = {
	{ "pipe, blocking", pipes_setup, pipes_teardown, pipe_pingpong, "" },
	{ "pipe, io_uring WRITE+READ", pipes_setup, pipes_teardown,
	  pipe_uring_pingpong, "" },
	{ "kchan, blocking", kchan_pp_setup, kchan_pair_teardown,
	  kchan_pingpong, "(unbuffered)" },
	{ "kchan, io_uring send+recv", kchan_pp_setup, kchan_pair_teardown,
	  kchan_uring_pingpong, "(unbuffered)" },
	{ "kchan, io_uring send+recv, DEFER_TASKRUN", kchan_pp_setup,
	  kchan_pair_teardown, kchan_uring_pingpong_defer, "(unbuffered)" },
};

int main(int argc, char **argv)
{
	struct utsname u;
	int ch;

	bench_count = 100000;
	bench_options(argc, argv);
	ch = kchan_make(0, 0, 0);
	if (ch < 0)
		die("kchan_make (is kchan.ko loaded?)", ch);
	close(ch);
	uname(&u);
	printf("uring_bench: kernel %s, %ld CPUs\n", u.release,
	       sysconf(_SC_NPROCESSORS_ONLN));

	if (bench_section(1))
		stream_table("1. Streaming", streams, ARRAY_SIZE(streams));
	if (bench_section(2))
		pingpong_table("2. Ping-pong round trip", pingpongs,
			       ARRAY_SIZE(pingpongs));
	if (bench_section(3))
		parked_ops(bench_count);
	if (bench_section(4))
		local_table();
	return 0;
}
