// SPDX-License-Identifier: GPL-2.0
/*
 * kchan_select() through io_uring (kchan_prep_select): the CQE's res is
 * the index of the case that fired, whose res the kernel has written (and
 * no other case's) by the time the CQE is seen.  A select that cannot fire
 * at once parks on every channel it names, and meets whatever comes: a
 * plain send or receive, an io_uring operation, another io_uring select,
 * a blocking select in another process.  There is no timeout: a timerfd
 * KCHAN_OP_POLL case bounds a select, an eventfd cancels one.
 */
#include <sys/eventfd.h>
#include <sys/timerfd.h>

#include "uring_util.h"

TEST(ready_case_fires_at_once)
{
	int a = kt_make(1, 8, 0), b = kt_make(1, 8, 0);
	struct kchan_case c[2];
	struct io_uring ring;
	char ba[8], bb[8];

	ASSERT_EQ(0, kchan_send(b, "bee", 3));
	c[0] = ur_case_recv(a, ba, sizeof(ba));
	c[1] = ur_case_recv(b, bb, sizeof(bb));
	ur_init(&ring, 8, 0, 0);
	ur_select(&ring, c, 2, 0, 1);
	ur_submit(&ring, 1);
	ur_expect_cqe(&ring, 1, 1);
	EXPECT_EQ(3, c[1].res);
	EXPECT_EQ(0, memcmp(bb, "bee", 3));
	ur_check_untouched(c, 2, 1);
	EXPECT_EQ(0, kt_wait_waiters(a, 0, 0));
	io_uring_queue_exit(&ring);
	close(a);
	close(b);
}

TEST(parked_recv_case_fires_when_a_sender_comes)
{
	int a = kt_make(0, 8, 0), b = kt_make(0, 8, 0);
	struct kchan_case c[2];
	struct io_uring ring;
	char ba[8], bb[8];

	c[0] = ur_case_recv(a, ba, sizeof(ba));
	c[1] = ur_case_recv(b, bb, sizeof(bb));
	ur_init(&ring, 8, 0, 0);
	ur_select(&ring, c, 2, 0, 1);
	ur_submit(&ring, 1);
	ASSERT_EQ(0, kt_wait_waiters(a, 0, 1));
	ASSERT_EQ(0, kt_wait_waiters(b, 0, 1));
	EXPECT_TRUE(ur_idle(&ring));
	ur_check_untouched(c, 2, -1);

	/* The parked select is a receiver: a plain send hands off to it. */
	EXPECT_EQ(0, kchan_send(b, "to b", 4));
	ur_expect_cqe(&ring, 1, 1);
	EXPECT_EQ(4, c[1].res);
	EXPECT_EQ(0, memcmp(bb, "to b", 4));
	ur_check_untouched(c, 2, 1);
	/* The case that lost is gone from its channel. */
	EXPECT_EQ(0, kt_wait_waiters(a, 0, 0));
	EXPECT_EQ(-EAGAIN, kchan_try_send(a, "x", 1));
	io_uring_queue_exit(&ring);
	close(a);
	close(b);
}

/* The pattern for cancellation: an eventfd POLL case next to the work. */
TEST(eventfd_cancels_a_parked_select)
{
	int ch = kt_make(0, 8, 0);
	int efd = eventfd(0, EFD_CLOEXEC);
	struct kchan_case c[2];
	struct io_uring ring;
	uint64_t one = 1;
	char buf[8];

	ASSERT_LE(0, efd);
	c[0] = ur_case_recv(ch, buf, sizeof(buf));
	c[1] = ur_case_poll(efd, POLLIN);
	ur_init(&ring, 8, 0, 0);
	ur_select(&ring, c, 2, 0, 1);
	ur_submit(&ring, 1);
	ASSERT_EQ(0, kt_wait_waiters(ch, 0, 1));
	EXPECT_TRUE(ur_idle(&ring));

	ASSERT_EQ(8, write(efd, &one, sizeof(one)));
	ur_expect_cqe(&ring, 1, 1);
	EXPECT_EQ(POLLIN, c[1].res);
	ur_check_untouched(c, 2, 1);
	EXPECT_EQ(0, kt_wait_waiters(ch, 0, 0));
	/* The poll case only looked: the count is still there. */
	EXPECT_EQ(8, read(efd, &one, sizeof(one)));
	EXPECT_EQ(1U, one);
	io_uring_queue_exit(&ring);
	close(efd);
	close(ch);
}

/* A timerfd bounds a select, as a timeout would. */
TEST(timerfd_bounds_a_select)
{
	int ch = kt_make(0, 8, 0);
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	struct itimerspec its = { .it_value.tv_nsec = 20 * KT_NSEC_PER_MSEC };
	struct kchan_case c[2];
	struct io_uring ring;
	int64_t start;
	char buf[8];

	ASSERT_LE(0, tfd);
	c[0] = ur_case_recv(ch, buf, sizeof(buf));
	c[1] = ur_case_poll(tfd, POLLIN);
	ur_init(&ring, 8, 0, 0);
	start = kt_now_ns();
	ASSERT_EQ(0, timerfd_settime(tfd, 0, &its, NULL));
	ur_select(&ring, c, 2, 0, 1);
	ur_submit(&ring, 1);
	ur_expect_cqe(&ring, 1, 1);
	EXPECT_LE(20 * KT_NSEC_PER_MSEC, kt_now_ns() - start);
	EXPECT_EQ(POLLIN, c[1].res);
	ur_check_untouched(c, 2, 1);
	EXPECT_EQ(0, kt_wait_waiters(ch, 0, 0));
	io_uring_queue_exit(&ring);
	close(tfd);
	close(ch);
}

TEST(send_case_meets_uring_recv)
{
	int ch = kt_make(0, 8, 0), other = kt_make(0, 8, 0);
	struct kchan_case c[2];
	struct ur_cqe cqe[2];
	struct io_uring ring;
	char buf[8], ob[8];

	c[0] = ur_case_recv(other, ob, sizeof(ob));
	c[1] = ur_case_send(ch, "sel", 3);
	ur_init(&ring, 8, 0, 0);
	ur_select(&ring, c, 2, 0, 1);
	ur_submit(&ring, 1);
	ASSERT_EQ(0, kt_wait_waiters(ch, 1, 0));
	ur_recv(&ring, ch, buf, sizeof(buf), 2);
	ur_submit(&ring, 1);
	ur_reap_sorted(&ring, cqe, 2);
	EXPECT_EQ(1, cqe[0].res);
	EXPECT_EQ(3, cqe[1].res);
	EXPECT_EQ(0, c[1].res);
	EXPECT_EQ(0, memcmp(buf, "sel", 3));
	ur_check_untouched(c, 2, 1);
	EXPECT_EQ(0, kt_wait_waiters(other, 0, 0));
	io_uring_queue_exit(&ring);
	close(ch);
	close(other);
}

TEST(recv_case_meets_uring_send)
{
	int ch = kt_make(0, 8, 0);
	struct kchan_case c[1];
	struct ur_cqe cqe[2];
	struct io_uring ring;
	char buf[8];

	c[0] = ur_case_recv(ch, buf, sizeof(buf));
	ur_init(&ring, 8, 0, 0);
	/* Issued in order: the select parks, then the send finds it. */
	ur_select(&ring, c, 1, 0, 1);
	ur_send(&ring, ch, "op", 2, 2);
	ur_submit(&ring, 2);
	ur_reap_sorted(&ring, cqe, 2);
	EXPECT_EQ(0, cqe[0].res);
	EXPECT_EQ(0, cqe[1].res);
	EXPECT_EQ(2, c[0].res);
	EXPECT_EQ(0, memcmp(buf, "op", 2));
	io_uring_queue_exit(&ring);
	close(ch);
}

/* Two io_uring selects on the two ends of an unbuffered channel meet. */
TEST(uring_select_meets_uring_select)
{
	int ch = kt_make(0, 8, 0), x = kt_make(0, 8, 0);
	struct kchan_case s[2], r[2];
	struct ur_cqe cqe[2];
	struct io_uring ring;
	char buf[8], xs[8], xr[8];
	int round;

	ur_init(&ring, 8, 0, 0);
	for (round = 0; round < 2; round++) {
		/* Each also waits to receive on x, where no one sends. */
		s[0] = ur_case_recv(x, xs, sizeof(xs));
		s[1] = ur_case_send(ch, "s2s", 3);
		r[0] = ur_case_recv(x, xr, sizeof(xr));
		r[1] = ur_case_recv(ch, buf, sizeof(buf));
		memset(buf, 0, sizeof(buf));
		ur_select(&ring, s, 2, 0, 1);
		if (!round) {
			/* The sender parks alone first... */
			ur_submit(&ring, 1);
			ASSERT_EQ(0, kt_wait_waiters(ch, 1, 0));
		}
		/* ...or both go in one submit. */
		ur_select(&ring, r, 2, 0, 2);
		ur_submit(&ring, round ? 2 : 1);
		ur_reap_sorted(&ring, cqe, 2);
		EXPECT_EQ(1, cqe[0].res);
		EXPECT_EQ(1, cqe[1].res);
		EXPECT_EQ(0, s[1].res);
		EXPECT_EQ(3, r[1].res);
		EXPECT_EQ(0, memcmp(buf, "s2s", 3));
		ur_check_untouched(s, 2, 1);
		ur_check_untouched(r, 2, 1);
		/* Both cases on x are gone, unfired. */
		EXPECT_EQ(0, kt_wait_waiters(x, 0, 0));
		EXPECT_EQ(0, kt_wait_waiters(ch, 0, 0));
	}
	io_uring_queue_exit(&ring);
	close(ch);
	close(x);
}

/* A send and a receive on one unbuffered channel: it never meets itself. */
TEST(select_never_meets_itself)
{
	int ch = kt_make(0, 8, 0), efd = eventfd(0, EFD_CLOEXEC);
	struct kchan_case c[3];
	struct io_uring ring;
	uint64_t one = 1;
	char buf[8];

	ASSERT_LE(0, efd);
	c[0] = ur_case_send(ch, "self", 4);
	c[1] = ur_case_recv(ch, buf, sizeof(buf));
	c[2] = ur_case_poll(efd, POLLIN);
	ur_init(&ring, 8, 0, 0);
	ur_select(&ring, c, 3, 0, 1);
	ur_submit(&ring, 1);
	ASSERT_EQ(0, kt_wait_waiters(ch, 1, 1));
	EXPECT_TRUE(ur_idle(&ring));
	ASSERT_EQ(8, write(efd, &one, sizeof(one)));
	ur_expect_cqe(&ring, 1, 2);
	ur_check_untouched(c, 3, 2);
	EXPECT_EQ(0, kt_wait_waiters(ch, 0, 0));
	io_uring_queue_exit(&ring);
	close(efd);
	close(ch);
}

/* Child: a blocking select with one case; exits 0 if it fired right. */
static int child_select(int ch, int op, const char *msg)
{
	struct kchan_case c;
	char buf[16];
	int ret;

	if (op == KCHAN_OP_SEND)
		c = ur_case_send(ch, msg, strlen(msg));
	else
		c = ur_case_recv(ch, buf, sizeof(buf));
	ret = kchan_select(&c, 1, 10 * KT_NSEC_PER_SEC, 0);
	if (ret)
		return 10 + (ret < 0 ? -ret % 100 : 99);
	if (op == KCHAN_OP_SEND)
		return c.res ? 1 : 0;
	if (c.res != (ssize_t)strlen(msg))
		return 2;
	return memcmp(buf, msg, c.res) ? 3 : 0;
}

TEST(uring_select_meets_blocking_select_in_another_process)
{
	int ch = kt_make(0, 16, 0);
	struct kchan_case c[1];
	struct io_uring ring;
	char buf[16];
	pid_t pid;

	ur_init(&ring, 8, 0, 0);

	/* The blocking select parks first; the io_uring one sends. */
	pid = ur_fork();
	if (!pid)
		_exit(child_select(ch, KCHAN_OP_RECV, "ping"));
	ASSERT_EQ(0, kt_wait_waiters(ch, 0, 1));
	c[0] = ur_case_send(ch, "ping", 4);
	ur_select(&ring, c, 1, 0, 1);
	ur_submit(&ring, 1);
	ur_expect_cqe(&ring, 1, 0);
	EXPECT_EQ(0, c[0].res);
	EXPECT_EQ(0, ur_child_wait(pid));

	/* The io_uring select parks first; the blocking one sends. */
	c[0] = ur_case_recv(ch, buf, sizeof(buf));
	ur_select(&ring, c, 1, 0, 2);
	ur_submit(&ring, 1);
	ASSERT_EQ(0, kt_wait_waiters(ch, 0, 1));
	pid = ur_fork();
	if (!pid)
		_exit(child_select(ch, KCHAN_OP_SEND, "pong"));
	ur_expect_cqe(&ring, 2, 0);
	EXPECT_EQ(4, c[0].res);
	EXPECT_EQ(0, memcmp(buf, "pong", 4));
	EXPECT_EQ(0, ur_child_wait(pid));
	io_uring_queue_exit(&ring);
	close(ch);
}

TEST(uring_select_meets_blocking_send_in_another_process)
{
	int a = kt_make(0, 16, 0), b = kt_make(4, 16, 0);
	struct kchan_case c[2];
	struct io_uring ring;
	char ba[16], bb[16];
	pid_t pid;

	c[0] = ur_case_recv(a, ba, sizeof(ba));
	c[1] = ur_case_recv(b, bb, sizeof(bb));
	ur_init(&ring, 8, 0, 0);
	ur_select(&ring, c, 2, 0, 1);
	ur_submit(&ring, 1);
	ASSERT_EQ(0, kt_wait_waiters(a, 0, 1));
	pid = ur_fork();
	if (!pid)
		_exit(kchan_send(a, "cross", 5) ? 1 : 0);
	ur_expect_cqe(&ring, 1, 0);
	EXPECT_EQ(5, c[0].res);
	EXPECT_EQ(0, memcmp(ba, "cross", 5));
	ur_check_untouched(c, 2, 0);
	EXPECT_EQ(0, ur_child_wait(pid));
	EXPECT_EQ(0, kt_wait_waiters(b, 0, 0));
	io_uring_queue_exit(&ring);
	close(a);
	close(b);
}

/* Go's default: — nothing ready gives -EAGAIN and parks nothing. */
TEST(nowait)
{
	int ch = kt_make(1, 8, 0);
	struct kchan_case c[2];
	struct io_uring ring;
	char buf[8];

	c[0] = ur_case_recv(ch, buf, sizeof(buf));
	c[1] = ur_case_recv(-1, buf, sizeof(buf));
	ur_init(&ring, 8, 0, 0);
	ur_select(&ring, c, 2, KCHAN_SELECT_NOWAIT, 1);
	ur_submit(&ring, 1);
	ur_expect_cqe(&ring, 1, -EAGAIN);
	ur_check_untouched(c, 2, -1);
	EXPECT_EQ(0, kt_wait_waiters(ch, 0, 0));

	ASSERT_EQ(0, kchan_send(ch, "now", 3));
	ur_select(&ring, c, 2, KCHAN_SELECT_NOWAIT, 2);
	ur_submit(&ring, 1);
	ur_expect_cqe(&ring, 2, 0);
	EXPECT_EQ(3, c[0].res);
	ur_check_untouched(c, 2, 0);
	io_uring_queue_exit(&ring);
	close(ch);
}

/* KCHAN_SELECT_ORDERED: the first ready case wins; otherwise a random one. */
TEST(ordered_and_random)
{
	enum { N = 4, TRIES = 64 };
	int ch[N], i, t, seen = 0;
	struct kchan_case c[N];
	struct io_uring ring;
	char buf[N][8];

	for (i = 0; i < N; i++)
		ch[i] = kt_make(1, 8, 0);
	ur_init(&ring, 8, 0, 0);
	for (t = 0; t < 2 * TRIES; t++) {
		bool ordered = t < TRIES;
		struct ur_cqe cqe;

		/* Cases 1..N-1 ready; case 0 (first) is not. */
		for (i = 1; i < N; i++)
			if (!kchan_len(ch[i]))
				ASSERT_EQ(0, kchan_send(ch[i], "r", 1));
		for (i = 0; i < N; i++)
			c[i] = ur_case_recv(ch[i], buf[i], sizeof(buf[i]));
		ur_select(&ring, c, N, ordered ? KCHAN_SELECT_ORDERED : 0, t);
		ur_submit(&ring, 1);
		cqe = ur_reap_one(&ring);
		ASSERT_LE(1, cqe.res);
		ASSERT_GT(N, cqe.res);
		EXPECT_EQ(1, c[cqe.res].res);
		ur_check_untouched(c, N, cqe.res);
		EXPECT_TRUE(!ordered || cqe.res == 1);
		if (!ordered)
			seen |= 1 << cqe.res;
	}
	/* Each of the three ready cases won at least once in 64 tries. */
	EXPECT_EQ(0xe, seen);
	io_uring_queue_exit(&ring);
	for (i = 0; i < N; i++)
		close(ch[i]);
}

TEST(closed_channel_fires_with_epipe)
{
	int ch = kt_make(0, 8, 0);
	struct kchan_case c[1];
	struct io_uring ring;
	char buf[8];

	c[0] = ur_case_recv(ch, buf, sizeof(buf));
	ur_init(&ring, 8, 0, 0);
	ur_select(&ring, c, 1, 0, 1);
	ur_submit(&ring, 1);
	ASSERT_EQ(0, kt_wait_waiters(ch, 0, 1));
	ASSERT_EQ(0, kchan_close(ch));
	ur_expect_cqe(&ring, 1, 0);
	EXPECT_EQ(-EPIPE, c[0].res);

	/* A send case on the closed channel fires at once, too. */
	c[0] = ur_case_send(ch, "late", 4);
	ur_select(&ring, c, 1, 0, 2);
	ur_submit(&ring, 1);
	ur_expect_cqe(&ring, 2, 0);
	EXPECT_EQ(-EPIPE, c[0].res);
	io_uring_queue_exit(&ring);
	close(ch);
}

/* A select needs no /dev/kchan: a channel fd takes it as well. */
TEST(select_on_a_channel_fd)
{
	int ch = kt_make(1, 8, 0), other = kt_make(1, 8, 0);
	struct io_uring_sqe *sqe;
	struct kchan_case c[1];
	struct io_uring ring;
	char buf[8];

	ASSERT_EQ(0, kchan_send(other, "elsewhere", 8));
	c[0] = ur_case_recv(other, buf, sizeof(buf));
	ur_init(&ring, 8, 0, 0);
	sqe = ur_select(&ring, c, 1, 0, 1);
	sqe->fd = ch;
	ur_submit(&ring, 1);
	ur_expect_cqe(&ring, 1, 0);
	EXPECT_EQ(8, c[0].res);
	io_uring_queue_exit(&ring);
	close(ch);
	close(other);
}

/* ---- Bad input: the whole select fails, and nothing is taken --------------- */

TEST(bad_arguments_fail_the_whole_select)
{
	int ch = kt_make(1, 8, 0), s = kt_open_end(ch, KCHAN_SEND_END, 0);
	int efd = eventfd(0, EFD_CLOEXEC);
	struct kchan_case c[2];
	struct io_uring ring;
	struct ur_cqe cqe;
	char buf[8];
	struct {
		const char *what;
		struct kchan_case bad;
		unsigned int n, flags;
		int res;
	} t[] = {
		{ "no cases", ur_case_recv(ch, buf, 8), 0, 0, -EINVAL },
		{ "too many cases", ur_case_recv(ch, buf, 8),
		  KCHAN_SELECT_MAX + 1, 0, -EINVAL },
		{ "KCHAN_ABSTIME (no timeout here)", ur_case_recv(ch, buf, 8),
		  2, KCHAN_ABSTIME, -EINVAL },
		{ "unknown flag", ur_case_recv(ch, buf, 8), 2, 0x100, -EINVAL },
		{ "unknown op", { .fd = ch, .op = 9, .res = UR_UNTOUCHED },
		  2, 0, -EINVAL },
		{ "send case on an eventfd", ur_case_send(efd, "x", 1), 2, 0,
		  -EINVAL },
		{ "recv case on a send end", ur_case_recv(s, buf, 8), 2, 0,
		  -EBADF },
		{ "closed fd", ur_case_recv(1000, buf, 8), 2, 0, -EBADF },
		{ "send longer than msg_size", ur_case_send(ch, "123456789", 9),
		  2, 0, -EMSGSIZE },
		{ "bad send buffer", ur_case_send(ch, kt_bad_ptr(), 4), 2, 0,
		  -EFAULT },
		{ "bad recv buffer", ur_case_recv(ch, kt_bad_ptr(), 8), 2, 0,
		  -EFAULT },
	};
	unsigned int i;

	ASSERT_LE(0, efd);
	ASSERT_EQ(0, kchan_send(ch, "ready", 5));
	ur_init(&ring, 8, 0, 0);
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		/* A ready case first: an error must still win over it. */
		c[0] = ur_case_recv(ch, buf, sizeof(buf));
		c[1] = t[i].bad;
		ur_select(&ring, c, t[i].n, t[i].flags, i);
		ur_submit(&ring, 1);
		cqe = ur_reap_one(&ring);
		EXPECT_EQ(t[i].res, cqe.res) TH_LOG("%s", t[i].what);
		ur_check_untouched(c, 2, -1);
		EXPECT_EQ(1, kchan_len(ch));
	}
	EXPECT_EQ(0, kt_wait_waiters(ch, 0, 0));
	io_uring_queue_exit(&ring);
	close(efd);
	close(s);
	close(ch);
}

TEST(bad_cases_pointer_is_efault)
{
	int ch = kt_make(1, 8, 0);
	struct io_uring ring;

	ur_init(&ring, 8, 0, 0);
	ur_select(&ring, kt_bad_ptr(), 1, 0, 1);
	ur_select(&ring, NULL, 1, 0, 2);
	ur_submit(&ring, 2);
	ur_expect_cqe(&ring, 1, -EFAULT);
	ur_expect_cqe(&ring, 2, -EFAULT);
	io_uring_queue_exit(&ring);
	close(ch);
}

/* A recv case whose buffer is too short fires with -EMSGSIZE; the message stays. */
TEST(short_recv_case_is_emsgsize_and_message_stays)
{
	int ch = kt_make(1, 8, 0);
	struct kchan_case c[1];
	struct io_uring ring;
	char buf[8];

	ASSERT_EQ(0, kchan_send(ch, "12345678", 8));
	c[0] = ur_case_recv(ch, buf, 4);
	ur_init(&ring, 8, 0, 0);
	ur_select(&ring, c, 1, 0, 1);
	ur_submit(&ring, 1);
	ur_expect_cqe(&ring, 1, 0);
	EXPECT_EQ(-EMSGSIZE, c[0].res);
	EXPECT_EQ(1, kchan_len(ch));
	io_uring_queue_exit(&ring);
	close(ch);
}

TEST_HARNESS_MAIN
