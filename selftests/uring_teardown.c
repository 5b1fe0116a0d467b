// SPDX-License-Identifier: GPL-2.0
/*
 * Parked io_uring operations end when their reason to wait goes away:
 *  - the process that submitted them is SIGKILLed, exits, or execs;
 *  - their ring is closed while the process lives on;
 *  - their channel is closed (kchan_close: -EPIPE);
 *  - the last fd of the channel file they were submitted on is closed
 *    (-EPIPE), but not while another fd still refers to it.
 * Ending means: no hang (the exit completes, the waiter counts drop to 0),
 * no ghost (a later send finds no receiver), and no leak: every file the
 * operations pinned is released, so the module's reference count comes
 * back to what it was.  The module is not unloaded here (other tests run
 * after these in the same VM); a count at its baseline is what lets
 * delete_module() succeed.  The VM runner checks the kernel log.
 */
#include <sys/eventfd.h>

#include "uring_util.h"

/* The parked operations of one process, on channels of the test's. */
struct parked {
	int recv_ch;		/* receives park here */
	int send_ch;		/* sends park here */
	int sel_ch;		/* selects park here, with an eventfd case */
	unsigned int nrecv, nsend, nsel;
	/* park() opens these: */
	struct io_uring *ring;
	int fd[4];		/* the ends it parks on, and the eventfd */
};

#define PARK_SQ		256

/*
 * Parks @p's operations on a ring of its own, through ends of its own
 * (files the test's channel fds do not share), which stay open: closing
 * them would end the operations.  Buffers and select cases are left
 * behind on purpose: they must outlive the operations, which end whenever
 * the test makes them.  Returns false on error.
 */
static bool park(struct parked *p)
{
	struct io_uring *ring = malloc(sizeof(*ring));
	struct io_uring_params params = {
		.flags = IORING_SETUP_CQSIZE,
		.cq_entries = 4096,
	};
	int r = kchan_open_end(p->recv_ch, KCHAN_RECV_END, 0);
	int s = kchan_open_end(p->send_ch, KCHAN_SEND_END, 0);
	int t = kchan_open_end(p->sel_ch, KCHAN_RECV_END, 0);
	int efd = eventfd(0, EFD_CLOEXEC);
	struct kchan_case *cases;
	static const uint64_t msg = 42;
	uint64_t *buf;
	unsigned int i, n = p->nrecv + p->nsend + p->nsel;

	p->ring = ring;
	p->fd[0] = r;
	p->fd[1] = s;
	p->fd[2] = t;
	p->fd[3] = efd;
	cases = calloc(2 * p->nsel + 1, sizeof(*cases));
	buf = calloc(n + 1, sizeof(*buf));
	if (!ring || !cases || !buf || r < 0 || s < 0 || t < 0 || efd < 0)
		return false;
	if (io_uring_queue_init_params(PARK_SQ, ring, &params))
		return false;
	for (i = 0; i < n; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

		if (!sqe) {
			if (io_uring_submit(ring) != PARK_SQ)
				return false;
			sqe = io_uring_get_sqe(ring);
		}
		if (i < p->nrecv) {
			kchan_prep_recv(sqe, r, &buf[i], sizeof(buf[i]));
		} else if (i < p->nrecv + p->nsend) {
			kchan_prep_send(sqe, s, &msg, sizeof(msg));
		} else {
			struct kchan_case *c = &cases[2 * (i - p->nrecv - p->nsend)];

			c[0] = ur_case_recv(t, &buf[i], sizeof(buf[i]));
			c[1] = ur_case_poll(efd, POLLIN);
			kchan_prep_select(sqe, c, 2, 0);
		}
		io_uring_sqe_set_data64(sqe, i);
	}
	return io_uring_submit(ring) == (int)(n % PARK_SQ ?: PARK_SQ);
}

/* Closes what park() opened: first the ring, then the fds. */
static void unpark(struct parked *p)
{
	int i;

	io_uring_queue_exit(p->ring);
	free(p->ring);
	for (i = 0; i < 4; i++)
		close(p->fd[i]);
}

/* Child: parks @p's operations, then waits to be killed, or exits. */
static int park_and_wait(struct parked *p, bool exit_at_once)
{
	if (!park(p))
		return 1;
	if (exit_at_once)
		return 0;
	for (;;)
		pause();
}

/* Waits for @p's operations to be parked on the channels. */
#define expect_parked(p) do {						\
	ASSERT_EQ(0, kt_wait_waiters((p)->recv_ch, 0, (p)->nrecv));	\
	ASSERT_EQ(0, kt_wait_waiters((p)->send_ch, (p)->nsend, 0));	\
	ASSERT_EQ(0, kt_wait_waiters((p)->sel_ch, 0, (p)->nsel));	\
} while (0)

/*
 * @p's operations are gone: no waiter is left on any channel, a send
 * finds no ghost receiver, and a receive no ghost sender.
 */
#define expect_gone(p) do {						\
	uint64_t __m = 7;						\
	EXPECT_EQ(0, kt_wait_waiters((p)->recv_ch, 0, 0));		\
	EXPECT_EQ(0, kt_wait_waiters((p)->send_ch, 0, 0));		\
	EXPECT_EQ(0, kt_wait_waiters((p)->sel_ch, 0, 0));		\
	EXPECT_EQ(-EAGAIN, kchan_try_send((p)->recv_ch, &__m, 8));	\
	EXPECT_EQ(-EAGAIN, kchan_try_send((p)->sel_ch, &__m, 8));	\
	EXPECT_EQ(-EAGAIN, kchan_try_recv((p)->send_ch, &__m, 8));	\
} while (0)

FIXTURE(teardown)
{
	struct parked p;
	long base;		/* module refcount with only our files open */
};

FIXTURE_SETUP(teardown)
{
	self->p.recv_ch = kt_make(0, 8, 0);
	self->p.send_ch = kt_make(0, 8, 0);
	self->p.sel_ch = kt_make(0, 8, 0);
	self->base = ur_refcnt();
	ASSERT_LT(0, self->base);
}

FIXTURE_TEARDOWN(teardown)
{
	close(self->p.recv_ch);
	close(self->p.send_ch);
	close(self->p.sel_ch);
}

TEST_F_TIMEOUT(teardown, sigkill_with_1000_parked_ops, 120)
{
	pid_t pid;

	self->p.nrecv = 400;
	self->p.nsend = 400;
	self->p.nsel = 200;
	pid = ur_fork();
	if (!pid)
		_exit(park_and_wait(&self->p, false));
	expect_parked(&self->p);
	/* The child's own ends and ring hold the module. */
	EXPECT_LT(self->base, ur_refcnt());

	ASSERT_EQ(0, kill(pid, SIGKILL));
	EXPECT_EQ(128 + SIGKILL, ur_child_wait(pid));
	expect_gone(&self->p);
	EXPECT_EQ(self->base, ur_wait_refcnt(self->base));
}

TEST_F_TIMEOUT(teardown, exit_with_parked_ops, 120)
{
	pid_t pid;

	self->p.nrecv = 100;
	self->p.nsend = 100;
	self->p.nsel = 50;
	pid = ur_fork();
	if (!pid)
		_exit(park_and_wait(&self->p, true));
	EXPECT_EQ(0, ur_child_wait(pid));
	expect_gone(&self->p);
	EXPECT_EQ(self->base, ur_wait_refcnt(self->base));
}

/*
 * execve() cancels the io_uring requests of the process, parked ones too,
 * and the process lives on (its ends stay open across the exec).
 */
TEST_F_TIMEOUT(teardown, exec_with_parked_ops, 120)
{
	struct ur_gate go;
	pid_t pid;

	self->p.nrecv = 100;
	self->p.nsend = 100;
	self->p.nsel = 50;
	ur_gate_init(&go);
	pid = ur_fork();
	if (!pid) {
		if (!park(&self->p) || !ur_gate_pass(&go))
			_exit(1);
		execl("/bin/sleep", "sleep", "60", (char *)NULL);
		_exit(2);
	}
	expect_parked(&self->p);
	ur_gate_open(&go);
	expect_gone(&self->p);
	EXPECT_EQ(0, waitpid(pid, NULL, WNOHANG)) TH_LOG("exec failed");
	ASSERT_EQ(0, kill(pid, SIGKILL));
	EXPECT_EQ(128 + SIGKILL, ur_child_wait(pid));
	EXPECT_EQ(self->base, ur_wait_refcnt(self->base));
	ur_gate_close(&go);
}

/* The process lives on; its ring goes. */
TEST_F_TIMEOUT(teardown, ring_closed_with_parked_ops, 120)
{
	struct ur_cqe c[3];
	uint64_t m;
	int i;

	self->p.nrecv = 100;
	self->p.nsend = 100;
	self->p.nsel = 50;
	ASSERT_TRUE(park(&self->p));
	expect_parked(&self->p);
	io_uring_queue_exit(self->p.ring);
	free(self->p.ring);
	expect_gone(&self->p);
	/* Only the ends are left holding the module. */
	EXPECT_EQ(self->base + 3, ur_wait_refcnt(self->base + 3));
	for (i = 0; i < 4; i++)
		close(self->p.fd[i]);
	EXPECT_EQ(self->base, ur_wait_refcnt(self->base));

	/* The channels work on, for io_uring too. */
	self->p.nrecv = 1;
	self->p.nsend = 1;
	self->p.nsel = 1;
	ASSERT_TRUE(park(&self->p));
	expect_parked(&self->p);
	EXPECT_EQ(0, kchan_send(self->p.recv_ch, "12345678", 8));
	EXPECT_EQ(0, kchan_send(self->p.sel_ch, "12345678", 8));
	EXPECT_EQ(8, kchan_recv(self->p.send_ch, &m, sizeof(m)));
	ur_reap_sorted(self->p.ring, c, 3);
	EXPECT_EQ(8, c[0].res);
	EXPECT_EQ(0, c[1].res);
	EXPECT_EQ(0, c[2].res);
	unpark(&self->p);
}

/* A SIGKILL while a peer is completing the operations, some in flight. */
TEST_F_TIMEOUT(teardown, sigkill_while_a_peer_sends, 120)
{
	struct kchan_info info;
	pid_t pid, peer;
	int64_t end;

	self->p.nrecv = 1000;
	pid = ur_fork();
	if (!pid)
		_exit(park_and_wait(&self->p, false));
	expect_parked(&self->p);
	peer = ur_fork();
	if (!peer) {
		uint64_t m = 0;

		while (!kchan_send_timeout(self->p.recv_ch, &m, sizeof(m),
					   100 * KT_NSEC_PER_MSEC))
			m++;
		_exit(0);
	}
	end = kt_now_ns() + KT_WAIT_NS;
	for (;;) {
		ASSERT_EQ(0, kchan_info(self->p.recv_ch, &info));
		if (info.sent >= 100 || kt_now_ns() > end)
			break;
		kt_sleep_ms(1);
	}
	ASSERT_EQ(0, kill(pid, SIGKILL));
	EXPECT_EQ(128 + SIGKILL, ur_child_wait(pid));
	/* The peer runs out of receivers and gives up. */
	EXPECT_EQ(0, ur_child_wait(peer));
	expect_gone(&self->p);
	EXPECT_EQ(self->base, ur_wait_refcnt(self->base));
}

/* Go's close(): parked receives and sends end with -EPIPE. */
TEST_F(teardown, kchan_close_ends_parked_ops_with_epipe)
{
	struct ur_cqe c[60];
	unsigned int i;

	self->p.nrecv = 20;
	self->p.nsend = 20;
	self->p.nsel = 20;
	ASSERT_TRUE(park(&self->p));
	expect_parked(&self->p);
	ASSERT_EQ(0, kchan_close(self->p.recv_ch));
	ASSERT_EQ(0, kchan_close(self->p.send_ch));
	ASSERT_EQ(0, kchan_close(self->p.sel_ch));
	ur_reap_sorted(self->p.ring, c, 60);
	/* A select fires its closed channel's case: index 0. */
	for (i = 0; i < 60; i++)
		EXPECT_EQ(i < 40 ? -EPIPE : 0, c[i].res) TH_LOG("op %u", i);
	EXPECT_TRUE(ur_idle(self->p.ring));
	unpark(&self->p);
	EXPECT_EQ(self->base, ur_wait_refcnt(self->base));

	/* Closed: new operations end at once. */
	self->p.nsel = 0;
	ASSERT_TRUE(park(&self->p));
	ur_reap_sorted(self->p.ring, c, 40);
	for (i = 0; i < 40; i++)
		EXPECT_EQ(-EPIPE, c[i].res);
	unpark(&self->p);
}

/* Closing the only fd of a channel file ends what is parked on it. */
TEST_F(teardown, closing_the_last_fd_ends_parked_ops_with_epipe)
{
	int r = kt_open_end(self->p.recv_ch, KCHAN_RECV_END, 0);
	int s = kt_open_end(self->p.send_ch, KCHAN_SEND_END, 0);
	int only = kt_make(0, 8, 0);
	uint64_t buf[4];
	struct ur_cqe c[4];
	struct io_uring ring;

	ur_init(&ring, 8, 0, 0);
	ur_recv(&ring, r, &buf[0], 8, 0);
	ur_recv(&ring, r, &buf[1], 8, 1);
	ur_send(&ring, s, "12345678", 8, 2);
	ur_recv(&ring, only, &buf[3], 8, 3);
	ur_submit(&ring, 4);
	ASSERT_EQ(0, kt_wait_waiters(self->p.recv_ch, 0, 2));
	ASSERT_EQ(0, kt_wait_waiters(self->p.send_ch, 1, 0));
	ASSERT_EQ(0, kt_wait_waiters(only, 0, 1));
	close(r);
	close(s);
	close(only);
	ur_reap_sorted(&ring, c, 4);
	EXPECT_EQ(-EPIPE, c[0].res);
	EXPECT_EQ(-EPIPE, c[1].res);
	EXPECT_EQ(-EPIPE, c[2].res);
	EXPECT_EQ(-EPIPE, c[3].res);
	EXPECT_EQ(0, kt_wait_waiters(self->p.recv_ch, 0, 0));
	EXPECT_EQ(0, kt_wait_waiters(self->p.send_ch, 0, 0));
	io_uring_queue_exit(&ring);
	EXPECT_EQ(self->base, ur_wait_refcnt(self->base));
}

/* Closing one of two fds of a file leaves its parked operations be. */
TEST_F(teardown, closing_a_dup_leaves_parked_ops)
{
	int r = kt_open_end(self->p.recv_ch, KCHAN_RECV_END, 0);
	int dup_r = dup(r);
	struct io_uring ring;
	uint64_t buf = 0;

	ASSERT_LE(0, dup_r);
	ur_init(&ring, 8, 0, 0);
	ur_recv(&ring, r, &buf, sizeof(buf), 1);
	ur_submit(&ring, 1);
	ASSERT_EQ(0, kt_wait_waiters(self->p.recv_ch, 0, 1));
	close(dup_r);
	EXPECT_TRUE(ur_idle(&ring));
	EXPECT_EQ(0, kt_wait_waiters(self->p.recv_ch, 0, 1));
	EXPECT_EQ(0, kchan_send(self->p.recv_ch, "still ok", 8));
	ur_expect_cqe(&ring, 1, 8);
	EXPECT_EQ(0, memcmp(&buf, "still ok", 8));
	close(r);
	io_uring_queue_exit(&ring);
	EXPECT_EQ(self->base, ur_wait_refcnt(self->base));
}

TEST_HARNESS_MAIN
