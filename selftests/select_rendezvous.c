// SPDX-License-Identifier: GPL-2.0
/*
 * A parked select is a real waiter on every channel it names: a plain send
 * or receive meets it, and so does another select (Go's select-to-select
 * rendezvous), in both directions, between threads and between processes.
 * When one of its cases fires, the waiters it left on its other channels
 * are gone; a channel closed under a parked select wakes it with -EPIPE.
 */
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "select_util.h"

/* ---- Select against select ------------------------------------------------ */

TEST(select_send_meets_parked_select_recv)
{
	int ch = kt_make(0, 16, 0), other = kt_make(0, 16, 0);
	struct kchan_case r[2], s[2];
	struct sel_async a;
	char b[16];

	r[0] = sel_recv(other, b, sizeof(b));
	r[1] = sel_recv(ch, b, sizeof(b));
	sel_async_park(&a, r, 2, ch, 0, 1);
	s[0] = sel_send(-1, "nil", 3);
	s[1] = sel_send(ch, "select-to-select", 16);
	EXPECT_EQ(1, kchan_select(s, 2, -1, 0));
	EXPECT_EQ(0, s[1].res);
	EXPECT_EQ(1, sel_async_join(&a));
	EXPECT_EQ(16, r[1].res);
	EXPECT_EQ(0, memcmp(b, "select-to-select", 16));
	sel_check_untouched(r, 2, 1);
	sel_check_untouched(s, 2, 1);
	EXPECT_EQ(0, kt_wait_waiters(ch, 0, 0));
	EXPECT_EQ(0, kt_wait_waiters(other, 0, 0));
	close(ch);
	close(other);
}

TEST(select_recv_meets_parked_select_send)
{
	int ch = kt_make(0, 16, 0), other = kt_make(0, 16, 0);
	struct kchan_case r[2], s[2];
	struct sel_async a;
	char b[16];

	s[0] = sel_send(other, "never", 5);
	s[1] = sel_send(ch, "parked-send", 11);
	sel_async_park(&a, s, 2, ch, 1, 0);
	ASSERT_EQ(0, kt_wait_waiters(other, 1, 0));
	r[0] = sel_recv(-1, b, sizeof(b));
	r[1] = sel_recv(ch, b, sizeof(b));
	EXPECT_EQ(1, kchan_select(r, 2, -1, 0));
	EXPECT_EQ(11, r[1].res);
	EXPECT_EQ(0, memcmp(b, "parked-send", 11));
	EXPECT_EQ(1, sel_async_join(&a));
	EXPECT_EQ(0, s[1].res);
	sel_check_untouched(s, 2, 1);
	/* The losing send case on "other" left with its select. */
	EXPECT_EQ(0, kt_wait_waiters(other, 0, 0));
	EXPECT_EQ(-EAGAIN, kchan_try_recv(other, b, sizeof(b)));
	close(ch);
	close(other);
}

TEST(buffered_select_rendezvous)
{
	int ch = kt_make(1, 8, 0);
	struct kchan_case r, s;
	struct sel_async a;
	char b[8];

	/* Empty: a parked select receive is handed the message directly. */
	r = sel_recv(ch, b, sizeof(b));
	sel_async_park(&a, &r, 1, ch, 0, 1);
	s = sel_send(ch, "hand", 4);
	EXPECT_EQ(0, kchan_select(&s, 1, -1, 0));
	EXPECT_EQ(0, sel_async_join(&a));
	EXPECT_EQ(4, r.res);
	EXPECT_EQ(0, kchan_len(ch));

	/* Full: a receive makes room, and the parked select send fills it. */
	ASSERT_EQ(0, kchan_send(ch, "first", 5));
	s = sel_send(ch, "second", 6);
	sel_async_park(&a, &s, 1, ch, 1, 0);
	r = sel_recv(ch, b, sizeof(b));
	EXPECT_EQ(0, kchan_select(&r, 1, -1, 0));
	EXPECT_EQ(5, r.res);
	EXPECT_EQ(0, memcmp(b, "first", 5));
	EXPECT_EQ(0, sel_async_join(&a));
	EXPECT_EQ(0, s.res);
	EXPECT_EQ(1, kchan_len(ch));
	EXPECT_EQ(6, kchan_try_recv(ch, b, sizeof(b)));
	EXPECT_EQ(0, memcmp(b, "second", 6));
	close(ch);
}

/* ---- Select against plain operations ---------------------------------------- */

TEST(parked_select_meets_plain_send_and_recv)
{
	int a_ch = kt_make(0, 8, 0), b_ch = kt_make(0, 8, 0);
	struct kchan_case c[2];
	struct sel_async a;
	char buf[8], m[8];

	c[0] = sel_recv(a_ch, buf, sizeof(buf));
	c[1] = sel_send(b_ch, "to-b", 4);

	/* A plain send fills the receive case... */
	sel_async_park(&a, c, 2, a_ch, 0, 1);
	ASSERT_EQ(0, kt_wait_waiters(b_ch, 1, 0));
	EXPECT_EQ(0, kchan_send(a_ch, "to-a", 4));
	EXPECT_EQ(0, sel_async_join(&a));
	EXPECT_EQ(4, c[0].res);
	EXPECT_EQ(0, memcmp(buf, "to-a", 4));
	sel_check_untouched(c, 2, 0);
	EXPECT_EQ(0, kt_wait_waiters(b_ch, 0, 0));

	/* ...and a plain receive takes the send case. */
	sel_reset(c, 2);
	sel_async_park(&a, c, 2, a_ch, 0, 1);
	ASSERT_EQ(0, kt_wait_waiters(b_ch, 1, 0));
	EXPECT_EQ(4, kchan_recv(b_ch, m, sizeof(m)));
	EXPECT_EQ(0, memcmp(m, "to-b", 4));
	EXPECT_EQ(1, sel_async_join(&a));
	EXPECT_EQ(0, c[1].res);
	sel_check_untouched(c, 2, 1);
	EXPECT_EQ(0, kt_wait_waiters(a_ch, 0, 0));

	/* read(2) and write(2) are plain operations too. */
	sel_reset(c, 2);
	sel_async_park(&a, c, 2, a_ch, 0, 1);
	EXPECT_EQ(3, write(a_ch, "wr!", 3));
	EXPECT_EQ(0, sel_async_join(&a));
	EXPECT_EQ(3, c[0].res);
	sel_reset(c, 2);
	sel_async_park(&a, c, 2, a_ch, 0, 1);
	EXPECT_EQ(4, read(b_ch, m, sizeof(m)));
	EXPECT_EQ(1, sel_async_join(&a));
	close(a_ch);
	close(b_ch);
}

TEST(select_meets_parked_plain_send_and_recv)
{
	int ch = kt_make(0, 8, 0);
	struct kt_async op;
	struct kchan_case c;
	char b[8];

	kt_async_park(&op, ch, KT_SEND, "plain", 5, 1, 0);
	c = sel_recv(ch, b, sizeof(b));
	EXPECT_EQ(0, kchan_select(&c, 1, 0, 0));
	EXPECT_EQ(5, c.res);
	EXPECT_EQ(0, kt_async_join(&op));

	kt_async_park(&op, ch, KT_RECV, NULL, 8, 0, 1);
	c = sel_send(ch, "sel", 3);
	EXPECT_EQ(0, kchan_select(&c, 1, 0, 0));
	EXPECT_EQ(0, c.res);
	EXPECT_EQ(3, kt_async_join(&op));
	EXPECT_EQ(0, memcmp(op.buf, "sel", 3));
	close(ch);
}

TEST(waiters_are_served_in_arrival_order)
{
	int ch = kt_make(0, 8, 0);
	struct kchan_case c1, c3;
	struct kt_async r0, r2;
	struct sel_async s1, s3;
	char b1[8], b3[8];
	char k;

	/* plain, select, plain, select: messages 0..3 go in that order. */
	kt_async_park(&r0, ch, KT_RECV, NULL, 8, 0, 1);
	c1 = sel_recv(ch, b1, sizeof(b1));
	sel_async_park(&s1, &c1, 1, ch, 0, 2);
	kt_async_park(&r2, ch, KT_RECV, NULL, 8, 0, 3);
	c3 = sel_recv(ch, b3, sizeof(b3));
	sel_async_park(&s3, &c3, 1, ch, 0, 4);
	for (k = 0; k < 4; k++)
		ASSERT_EQ(0, kchan_send(ch, &k, 1));
	EXPECT_EQ(1, kt_async_join(&r0));
	EXPECT_EQ(0, r0.buf[0]);
	EXPECT_EQ(0, sel_async_join(&s1));
	EXPECT_EQ(1, b1[0]);
	EXPECT_EQ(1, kt_async_join(&r2));
	EXPECT_EQ(2, r2.buf[0]);
	EXPECT_EQ(0, sel_async_join(&s3));
	EXPECT_EQ(3, b3[0]);
	close(ch);
}

TEST(losing_waiters_are_gone)
{
	enum { N = 5 };
	int ch[N], i;
	struct kchan_case c[N];
	struct sel_async a;
	char b[N][8];

	for (i = 0; i < N; i++) {
		ch[i] = kt_make(0, 8, 0);
		c[i] = i % 2 ? sel_send(ch[i], "s", 1) :
			       sel_recv(ch[i], b[i], sizeof(b[i]));
	}
	sel_async_park(&a, c, N, ch[0], 0, 1);
	for (i = 1; i < N; i++)
		ASSERT_EQ(0, kt_wait_waiters(ch[i], i % 2, !(i % 2)));
	EXPECT_EQ(0, kchan_send(ch[2], "win", 3));
	EXPECT_EQ(2, sel_async_join(&a));
	sel_check_untouched(c, N, 2);
	for (i = 0; i < N; i++) {
		EXPECT_EQ(0, kt_wait_waiters(ch[i], 0, 0)) TH_LOG("ch %d", i);
		/* No stale waiter answers a non-blocking peer. */
		EXPECT_EQ(-EAGAIN, kchan_try_send(ch[i], "x", 1));
		EXPECT_EQ(-EAGAIN, kchan_try_recv(ch[i], b[i], 8));
	}
	for (i = 0; i < N; i++)
		close(ch[i]);
}

/* ---- Close under a parked select ------------------------------------------- */

TEST(close_wakes_a_parked_recv_case)
{
	int ch = kt_make(0, 8, 0), other = kt_make(0, 8, 0);
	struct kchan_case c[2];
	struct sel_async a;
	char b[8];

	c[0] = sel_recv(other, b, sizeof(b));
	c[1] = sel_recv(ch, b, sizeof(b));
	sel_async_park(&a, c, 2, ch, 0, 1);
	EXPECT_EQ(0, kchan_close(ch));
	EXPECT_EQ(1, sel_async_join(&a));
	EXPECT_EQ(-EPIPE, c[1].res);
	sel_check_untouched(c, 2, 1);
	EXPECT_EQ(0, kt_wait_waiters(other, 0, 0));
	close(ch);
	close(other);
}

TEST(close_wakes_a_parked_send_case)
{
	char scratch[8];
	int ch = kt_make(0, 8, 0), other = kt_make(0, 8, 0);
	struct kchan_case c[2];
	struct sel_async a;

	c[0] = sel_recv(other, scratch, 8);
	c[1] = sel_send(ch, "x", 1);
	sel_async_park(&a, c, 2, ch, 1, 0);
	EXPECT_EQ(0, kchan_close(ch));
	EXPECT_EQ(1, sel_async_join(&a));
	EXPECT_EQ(-EPIPE, c[1].res);
	sel_check_untouched(c, 2, 1);
	close(ch);
	close(other);
}

TEST(last_end_released_under_a_parked_select)
{
	char scratch[8];
	int ch = kt_make(0, 8, 0);
	int snd = kt_open_end(ch, KCHAN_SEND_END, 0);
	int rcv = kt_open_end(ch, KCHAN_RECV_END, 0);
	struct kchan_case c;
	struct sel_async a;

	close(ch);
	/* The last receive end goes: a parked send fails with -EPIPE. */
	c = sel_send(snd, "x", 1);
	sel_async_park(&a, &c, 1, snd, 1, 0);
	close(rcv);
	EXPECT_EQ(0, sel_async_join(&a));
	EXPECT_EQ(-EPIPE, c.res);
	close(snd);

	/* The last send end goes: the channel closes under a parked receive. */
	ch = kt_make(0, 8, 0);
	snd = kt_open_end(ch, KCHAN_SEND_END, 0);
	rcv = kt_open_end(ch, KCHAN_RECV_END, 0);
	close(ch);
	c = sel_recv(rcv, scratch, 8);
	sel_async_park(&a, &c, 1, rcv, 0, 1);
	close(snd);
	EXPECT_EQ(0, sel_async_join(&a));
	EXPECT_EQ(-EPIPE, c.res);
	close(rcv);
}

/* ---- Across processes ---------------------------------------------------- */

/* Child side of a rendezvous: one select, its outcome as the exit status. */
static int child_select(struct kchan_case *c, unsigned int n, int want,
			ssize_t res, const char *msg)
{
	int fired;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	fired = kchan_select(c, n, 30 * KT_NSEC_PER_SEC, 0);
	if (fired != want)
		return 10 + (fired < 0 ? -fired % 100 : fired);
	if (c[fired].res != res)
		return 2;
	if (msg && memcmp(c[fired].buf, msg, res))
		return 3;
	return 0;
}

static void expect_child_ok(struct __test_metadata *_metadata, pid_t pid)
{
	int status;

	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status)) TH_LOG("status %#x", status);
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST(select_to_select_across_processes)
{
	int ch = kt_make(0, 32, 0), other = kt_make(0, 32, 0);
	struct kchan_case c[2];
	char b[32];
	pid_t pid;

	/* The child's select sends, the parent's receives... */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		c[0] = sel_recv(other, b, sizeof(b));
		c[1] = sel_send(ch, "from-child", 10);
		_exit(child_select(c, 2, 1, 0, NULL));
	}
	ASSERT_EQ(0, kt_wait_waiters(ch, 1, 0));
	c[0] = sel_recv(ch, b, sizeof(b));
	EXPECT_EQ(0, kchan_select(c, 1, -1, 0));
	EXPECT_EQ(10, c[0].res);
	EXPECT_EQ(0, memcmp(b, "from-child", 10));
	expect_child_ok(_metadata, pid);

	/* ...then the other way round. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		c[0] = sel_recv(other, b, sizeof(b));
		c[1] = sel_recv(ch, b, sizeof(b));
		_exit(child_select(c, 2, 1, 11, "from-parent"));
	}
	ASSERT_EQ(0, kt_wait_waiters(ch, 0, 1));
	c[0] = sel_send(ch, "from-parent", 11);
	EXPECT_EQ(0, kchan_select(c, 1, -1, 0));
	EXPECT_EQ(0, c[0].res);
	expect_child_ok(_metadata, pid);
	EXPECT_EQ(0, kt_wait_waiters(other, 0, 0));
	close(ch);
	close(other);
}

/*
 * Ping-pong between two processes whose every operation is a select over
 * both directions plus a nil case: each round trip is two select-to-select
 * rendezvous, whichever side parks first.
 */
TEST(select_ping_pong_across_processes)
{
	int ping = kt_make(0, 8, 0), pong = kt_make(0, 8, 0);
	unsigned int rounds = sel_env("KCHAN_SELECT_PINGPONG", 2000), i;
	struct kchan_case c[2];
	uint32_t v, got;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (i = 0; i < rounds; i++) {
			c[0] = sel_recv(ping, &got, sizeof(got));
			c[1] = sel_recv(-1, NULL, 0);
			if (kchan_select(c, 2, -1, 0) != 0 || c[0].res != 4 ||
			    got != i)
				_exit(1);
			got++;
			c[0] = sel_send(pong, &got, sizeof(got));
			c[1] = sel_send(-1, NULL, 0);
			if (kchan_select(c, 2, -1, 0) != 0 || c[0].res)
				_exit(2);
		}
		_exit(0);
	}
	for (i = 0; i < rounds; i++) {
		v = i;
		c[0] = sel_send(ping, &v, sizeof(v));
		c[1] = sel_recv(-1, NULL, 0);
		ASSERT_EQ(0, kchan_select(c, 2, -1, 0));
		c[0] = sel_recv(pong, &got, sizeof(got));
		c[1] = sel_send(-1, NULL, 0);
		ASSERT_EQ(0, kchan_select(c, 2, -1, 0));
		ASSERT_EQ(4, c[0].res);
		ASSERT_EQ(i + 1, got);
	}
	expect_child_ok(_metadata, pid);
	close(ping);
	close(pong);
}

/*
 * Both sides select over send and receive on the same unbuffered channel:
 * the two selects meet each other (never themselves), so each exchange
 * completes with exactly one sender and one receiver.
 */
TEST(two_symmetric_selects_pair_up)
{
	int ch = kt_make(0, 8, 0);
	unsigned int rounds = sel_env("KCHAN_SELECT_PINGPONG", 2000) / 4, i;
	int fired, sends = 0, recvs = 0, status;
	struct kchan_case c[2];
	char in[8], tag;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		tag = 'c';
		for (i = 0; i < rounds; i++) {
			c[0] = sel_send(ch, &tag, 1);
			c[1] = sel_recv(ch, in, sizeof(in));
			fired = kchan_select(c, 2, -1, 0);
			if (fired < 0 || c[fired].res != fired ||
			    (fired == 1 && in[0] != 'p'))
				_exit(1);
		}
		_exit(0);
	}
	tag = 'p';
	for (i = 0; i < rounds; i++) {
		c[0] = sel_send(ch, &tag, 1);
		c[1] = sel_recv(ch, in, sizeof(in));
		fired = kchan_select(c, 2, -1, 0);
		ASSERT_LE(0, fired);
		ASSERT_EQ(fired, c[fired].res);
		if (fired)
			EXPECT_EQ('c', in[0]);
		sends += !fired;
		recvs += fired;
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	EXPECT_EQ(rounds, (unsigned int)(sends + recvs));
	TH_LOG("parent sent %d, received %d", sends, recvs);
	EXPECT_EQ(0, kt_wait_waiters(ch, 0, 0));
	close(ch);
}

TEST(select_vs_blocking_ops_across_processes)
{
	int ch = kt_make(0, 8, 0);
	struct kchan_case c;
	char b[8];
	pid_t pid;

	/* A blocking receive in the child, a select send in the parent. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(kchan_recv(ch, b, sizeof(b)) == 4 &&
		      !memcmp(b, "down", 4) ? 0 : 1);
	}
	ASSERT_EQ(0, kt_wait_waiters(ch, 0, 1));
	c = sel_send(ch, "down", 4);
	EXPECT_EQ(0, kchan_select(&c, 1, 0, 0));
	expect_child_ok(_metadata, pid);

	/* A parked select receive in the child, a blocking send in the parent. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		c = sel_recv(ch, b, sizeof(b));
		_exit(child_select(&c, 1, 0, 2, "up"));
	}
	ASSERT_EQ(0, kt_wait_waiters(ch, 0, 1));
	EXPECT_EQ(0, kchan_send(ch, "up", 2));
	expect_child_ok(_metadata, pid);
	close(ch);
}

TEST(killed_select_leaves_no_waiter)
{
	int ch = kt_make(0, 8, 0), status;
	struct kchan_case c[2];
	pid_t pid;
	char b[8];

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		c[0] = sel_recv(ch, b, sizeof(b));
		c[1] = sel_send(ch, "dying", 5);
		kchan_select(c, 2, -1, 0);
		_exit(1);
	}
	ASSERT_EQ(0, kt_wait_waiters(ch, 1, 1));
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(0, kt_wait_waiters(ch, 0, 0));
	EXPECT_EQ(-EAGAIN, kchan_try_recv(ch, b, sizeof(b)));
	EXPECT_EQ(-EAGAIN, kchan_try_send(ch, "x", 1));
	close(ch);
}

TEST_HARNESS_MAIN
