// SPDX-License-Identifier: GPL-2.0
/*
 * chan_bench: kchan channels next to the kernel's other IPC (SPEC §9).
 *
 *   chan_bench [-r RUNS] [-n ROUNDS] [-m MSGS] [-k CHANNELS] [-s SECTIONS]
 *
 * 1. Cross-process ping-pong round trip over an unbuffered channel pair,
 *    against a pipe pair, an eventfd pair with the message in shared
 *    memory, POSIX message queues, an AF_UNIX SOCK_SEQPACKET pair, and a
 *    futex in shared memory (the floor: a wake-up and nothing else).
 * 2. Streaming 64-byte messages from one process to another: kchan one
 *    message per call and 32 per kchan_sendv()/kchan_recvv(), against a
 *    pipe (and message queues and SEQPACKET for reference).  The channel
 *    buffers as many messages as a pipe's 64 KiB hold.
 * 3. CHANNELS (10,000) channels made by one process: the time per channel,
 *    and the kernel memory per empty (unbuffered) channel, from
 *    /proc/slabinfo (or MemAvailable/Slab where it cannot be read).
 *
 * SPEC §9 targets: ping-pong at or below pipe and mqueue; single-op
 * streaming at or above pipe; sendv/recvv >= 4x pipe; <= 256 bytes per
 * empty channel.  Run it in the VM, where all mechanisms meet the same
 * emulated machine:
 *   tools/vm/kchan-vm -- /usr/lib/kchan/tools/bench/chan_bench
 */
#include <fcntl.h>
#include <linux/futex.h>
#include <mqueue.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include "chan_bench.h"

/* ---- eventfd, with the message in shared memory ------------------------------ */

struct efd_pair {
	int ab, ba;
	char *shm;		/* [0]: side 0's message, [PP_MSG]: side 1's */
};

static void efd_setup(void *ctx)
{
	struct efd_pair *e = ctx;

	e->ab = eventfd(0, 0);
	e->ba = eventfd(0, 0);
	e->shm = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (e->ab < 0 || e->ba < 0 || e->shm == MAP_FAILED)
		die("eventfd", 0);
}

static void efd_teardown(void *ctx)
{
	struct efd_pair *e = ctx;

	close(e->ab);
	close(e->ba);
	munmap(e->shm, 4096);
}

static void efd_pingpong(void *ctx, int side, long n)
{
	struct efd_pair *e = ctx;
	int out = side ? e->ba : e->ab, in = side ? e->ab : e->ba;
	char *mine = e->shm + side * PP_MSG, *theirs = e->shm + !side * PP_MSG;
	char m[PP_MSG] = "ping";
	uint64_t one = 1, v;

	while (n--) {
		if (!side) {
			memcpy(mine, m, sizeof(m));
			if (write(out, &one, 8) != 8)
				die("write", 0);
		}
		if (read(in, &v, 8) != 8)
			die("read", 0);
		memcpy(m, theirs, sizeof(m));
		if (side) {
			memcpy(mine, m, sizeof(m));
			if (write(out, &one, 8) != 8)
				die("write", 0);
		}
	}
}

/* ---- POSIX message queues ------------------------------------------------------- */

struct mq_pair {
	mqd_t ab, ba;
	long depth;
};

static mqd_t mq_make(const char *tag, long depth, size_t size)
{
	struct mq_attr attr = { .mq_maxmsg = depth, .mq_msgsize = size };
	char name[64];
	mqd_t q;

	snprintf(name, sizeof(name), "/chan_bench.%d.%s", getpid(), tag);
	q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
	if (q == (mqd_t)-1 && errno == EINVAL && depth > 10) {
		/* Above fs.mqueue.msg_max without CAP_SYS_RESOURCE. */
		attr.mq_maxmsg = 10;
		q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
	}
	if (q == (mqd_t)-1)
		die("mq_open (is /dev/mqueue mounted?)", 0);
	mq_unlink(name);
	return q;
}

static void mq_pp_setup(void *ctx)
{
	struct mq_pair *q = ctx;

	q->ab = mq_make("ab", 1, PP_MSG);
	q->ba = mq_make("ba", 1, PP_MSG);
}

static void mq_stream_setup(void *ctx)
{
	struct mq_pair *q = ctx;

	q->ab = mq_make("ab", STREAM_CAP, STREAM_MSG);
	q->ba = mq_make("ba", 1, STREAM_MSG);
}

static void mq_teardown(void *ctx)
{
	struct mq_pair *q = ctx;

	mq_close(q->ab);
	mq_close(q->ba);
}

static void mq_pingpong(void *ctx, int side, long n)
{
	struct mq_pair *q = ctx;
	mqd_t out = side ? q->ba : q->ab, in = side ? q->ab : q->ba;
	char m[PP_MSG] = "ping";

	while (n--) {
		if (!side && mq_send(out, m, sizeof(m), 0))
			die("mq_send", 0);
		if (mq_receive(in, m, sizeof(m), NULL) != sizeof(m))
			die("mq_receive", 0);
		if (side && mq_send(out, m, sizeof(m), 0))
			die("mq_send", 0);
	}
}

static void mq_stream(void *ctx, int side, long n)
{
	struct mq_pair *q = ctx;
	char m[STREAM_MSG] = "data";

	while (n--) {
		if (side ? mq_send(q->ab, m, sizeof(m), 0) :
			   mq_receive(q->ab, m, sizeof(m), NULL) != sizeof(m))
			die(side ? "mq_send" : "mq_receive", 0);
	}
}

/* ---- AF_UNIX SOCK_SEQPACKET -------------------------------------------------------- */

static void seqpacket_setup(void *ctx)
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, ctx))
		die("socketpair", 0);
}

static void seqpacket_teardown(void *ctx)
{
	int *sv = ctx;

	close(sv[0]);
	close(sv[1]);
}

static void seqpacket_pingpong(void *ctx, int side, long n)
{
	int fd = ((int *)ctx)[side];
	char m[PP_MSG] = "ping";

	while (n--) {
		if (!side && write(fd, m, sizeof(m)) != sizeof(m))
			die("write", 0);
		if (read(fd, m, sizeof(m)) != sizeof(m))
			die("read", 0);
		if (side && write(fd, m, sizeof(m)) != sizeof(m))
			die("write", 0);
	}
}

static void seqpacket_stream(void *ctx, int side, long n)
{
	int fd = ((int *)ctx)[side];
	char m[STREAM_MSG] = "data";

	while (n--) {
		if ((side ? write(fd, m, sizeof(m)) : read(fd, m, sizeof(m))) !=
		    sizeof(m))
			die(side ? "write" : "read", 0);
	}
}

/* ---- futex: the floor ------------------------------------------------------------- */

/* Hands the turn to @who and wakes the other side. */
static void futex_give(uint32_t *turn, uint32_t who)
{
	__atomic_store_n(turn, who, __ATOMIC_RELEASE);
	syscall(SYS_futex, turn, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* Waits for the turn to come to @me. */
static void futex_take(uint32_t *turn, uint32_t me)
{
	while (__atomic_load_n(turn, __ATOMIC_ACQUIRE) != me)
		syscall(SYS_futex, turn, FUTEX_WAIT, !me, NULL, NULL, 0);
}

struct futex_turn {
	uint32_t *turn;		/* whose turn it is: 0 or 1 */
};

static void futex_setup(void *ctx)
{
	struct futex_turn *f = ctx;

	f->turn = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (f->turn == MAP_FAILED)
		die("mmap", 0);
}

static void futex_teardown(void *ctx)
{
	struct futex_turn *f = ctx;

	munmap(f->turn, 4096);
}

static void futex_pingpong(void *ctx, int side, long n)
{
	struct futex_turn *f = ctx;

	while (n--) {
		if (!side)
			futex_give(f->turn, 1);
		futex_take(f->turn, side);
		if (side)
			futex_give(f->turn, 0);
	}
}

/* ---- Many channels --------------------------------------------------------------- */

static void many_channels(long count)
{
	struct slab_snap *before = malloc(sizeof(*before));
	struct slab_snap *after = malloc(sizeof(*after));
	int *fd = malloc(count * sizeof(*fd));
	int64_t t_make, t_close;
	bool slabinfo;
	double each;
	long i;

	printf("\n3. %ld channels made by one process (unbuffered, msg_size %d)\n\n",
	       count, STREAM_MSG);
	if (!before || !after || !fd)
		die("malloc", -ENOMEM);
	if (raise_nofile(count + 64) < (rlim_t)count + 16)
		die("RLIMIT_NOFILE too low", -EMFILE);
	/* Grow the fd table first: its growth is not per channel. */
	i = dup2(0, count + 16);
	if (i >= 0)
		close(i);

	slabinfo = slab_snap(before);
	t_make = now_ns();
	for (i = 0; i < count; i++) {
		fd[i] = kchan_make(0, STREAM_MSG, 0);
		if (fd[i] < 0)
			die("kchan_make", fd[i]);
	}
	t_make = now_ns() - t_make;
	slab_snap(after);
	t_close = now_ns();
	for (i = 0; i < count; i++)
		close(fd[i]);
	t_close = now_ns() - t_close;

	printf("  kchan_make: %.2f us per channel; close: %.2f us per channel\n\n",
	       t_make / 1000.0 / count, t_close / 1000.0 / count);
	if (!slabinfo)
		printf("  (no /proc/slabinfo: the meminfo Slab delta only)\n");
	each = slab_report(before, after, count);
	printf("\n  kernel memory per empty channel: %.0f bytes (all of it: the\n"
	       "  channel and its file, dentry and fd slot); target <= 256\n",
	       each);
	free(before);
	free(after);
	free(fd);
}

/* ---- The tables --------------------------------------------------------------------- */

static const struct bench pingpongs[] = {
	{ "pipe", pipes_setup, pipes_teardown, pipe_pingpong, "(two pipes)" },
	{ "kchan unbuffered send/recv", kchan_pp_setup, kchan_pair_teardown,
	  kchan_pingpong, "(two channels)" },
	{ "eventfd + shared memory", efd_setup, efd_teardown, efd_pingpong,
	  "" },
	{ "POSIX mqueue", mq_pp_setup, mq_teardown, mq_pingpong, "" },
	{ "AF_UNIX SOCK_SEQPACKET", seqpacket_setup, seqpacket_teardown,
	  seqpacket_pingpong, "" },
	{ "futex (floor)", futex_setup, futex_teardown, futex_pingpong,
	  "(no data, wake-ups only)" },
};

static const struct bench streams[] = {
	{ "pipe, 64-byte write/read", pipes_setup, pipes_teardown,
	  pipe_stream, "" },
	{ "kchan send/recv, 1 per call", kchan_stream_setup,
	  kchan_pair_teardown, kchan_stream, "(capacity 1024)" },
	{ "kchan sendv/recvv, 32 per call", kchan_stream_setup,
	  kchan_pair_teardown, kchan_stream_vec, "(capacity 1024)" },
	{ "POSIX mqueue", mq_stream_setup, mq_teardown, mq_stream, "" },
	{ "AF_UNIX SOCK_SEQPACKET", seqpacket_setup, seqpacket_teardown,
	  seqpacket_stream, "" },
};

int main(int argc, char **argv)
{
	struct utsname u;
	int ch;

	bench_count = 10000;
	bench_options(argc, argv);
	ch = kchan_make(0, 0, 0);
	if (ch < 0)
		die("kchan_make (is kchan.ko loaded?)", ch);
	close(ch);
	uname(&u);
	printf("chan_bench: kernel %s, %ld CPUs\n", u.release,
	       sysconf(_SC_NPROCESSORS_ONLN));

	if (bench_section(1))
		pingpong_table("1. Cross-process ping-pong", pingpongs,
			       ARRAY_SIZE(pingpongs));
	if (bench_section(2))
		stream_table("2. Streaming", streams, ARRAY_SIZE(streams));
	if (bench_section(3))
		many_channels(bench_count);
	return 0;
}
