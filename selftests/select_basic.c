// SPDX-License-Identifier: GPL-2.0
/*
 * kchan_select() basics: exactly one case fires, its operation is done and
 * its res alone is written; nil cases never fire; channels of different
 * message sizes mix; a channel may repeat, and carry a send and a receive
 * in the same select (an unbuffered one never meets itself); a closed
 * channel fires with -EPIPE; a receive into a short buffer fires with
 * -EMSGSIZE and leaves the message where it was.
 */
#include "select_util.h"

TEST(recv_case_takes_the_message_and_writes_only_its_res)
{
	int empty = kt_make(4, 16, 0), full = kt_make(4, 16, 0);
	char b0[16], b1[16] = "untouched";
	struct kchan_case c[2];

	ASSERT_EQ(0, kchan_send(full, "hello", 5));
	c[0] = sel_recv(empty, b0, sizeof(b0));
	c[1] = sel_recv(full, b1, sizeof(b1));
	EXPECT_EQ(1, kchan_select(c, 2, -1, 0));
	EXPECT_EQ(5, c[1].res);
	EXPECT_EQ(0, memcmp(b1, "hello", 5));
	sel_check_untouched(c, 2, 1);
	EXPECT_EQ(0, kchan_len(full));
	EXPECT_EQ(0, kt_wait_waiters(empty, 0, 0));

	/* Nothing left: the same select now has nothing to do. */
	sel_reset(c, 2);
	EXPECT_EQ(-EAGAIN, kchan_select(c, 2, -1, KCHAN_SELECT_NOWAIT));
	sel_check_untouched(c, 2, -1);
	close(empty);
	close(full);
}

/*
 * "Left untouched" covers more than res: the buffer of a receive case
 * that did not fire keeps every byte, as does every buffer of a select
 * that fired nothing.
 */
TEST(buffers_of_cases_that_did_not_fire_are_untouched)
{
	int empty = kt_make(4, 16, 0), full = kt_make(4, 16, 0);
	char b0[16], b1[16], b2[16];
	struct kchan_case c[3];

	memset(b0, 0xa5, sizeof(b0));
	memset(b2, 0xa5, sizeof(b2));
	ASSERT_EQ(0, kchan_send(full, "msg", 3));
	c[0] = sel_recv(empty, b0, sizeof(b0));
	c[1] = sel_recv(full, b1, sizeof(b1));
	c[2] = sel_recv(-1, b2, sizeof(b2));
	EXPECT_EQ(1, kchan_select(c, 3, -1, 0));
	EXPECT_EQ((char)0xa5, b0[0]);
	EXPECT_EQ((char)0xa5, b2[0]);

	memset(b1, 0xa5, sizeof(b1));
	sel_reset(c, 3);
	EXPECT_EQ(-EAGAIN, kchan_select(c, 3, -1, KCHAN_SELECT_NOWAIT));
	EXPECT_EQ(-ETIMEDOUT, kchan_select(c, 3, 0, 0));
	EXPECT_EQ((char)0xa5, b0[0]);
	EXPECT_EQ((char)0xa5, b1[0]);
	sel_check_untouched(c, 3, -1);
	close(empty);
	close(full);
}

TEST(send_case_puts_the_message_in_the_channel)
{
	int full = kt_make(1, 16, 0), room = kt_make(1, 16, 0);
	struct kchan_case c[2];
	char m[16];

	ASSERT_EQ(0, kchan_send(full, "old", 3));
	c[0] = sel_send(full, "to-full", 7);
	c[1] = sel_send(room, "to-room", 7);
	EXPECT_EQ(1, kchan_select(c, 2, -1, 0));
	EXPECT_EQ(0, c[1].res);
	sel_check_untouched(c, 2, 1);
	EXPECT_EQ(1, kchan_len(full));
	EXPECT_EQ(7, kchan_try_recv(room, m, sizeof(m)));
	EXPECT_EQ(0, memcmp(m, "to-room", 7));
	EXPECT_EQ(3, kchan_try_recv(full, m, sizeof(m)));
	EXPECT_EQ(0, memcmp(m, "old", 3));
	close(full);
	close(room);
}

TEST(fired_index_follows_the_ready_case)
{
	enum { N = 6 };
	int ch[N], i, k;
	struct kchan_case c[N];
	char buf[N][8];

	for (i = 0; i < N; i++)
		ch[i] = kt_make(1, 8, 0);
	for (k = 0; k < N; k++) {
		ASSERT_EQ(0, kchan_send(ch[k], &k, 1));
		for (i = 0; i < N; i++)
			c[i] = sel_recv(ch[i], buf[i], sizeof(buf[i]));
		EXPECT_EQ(k, kchan_select(c, N, 0, 0));
		EXPECT_EQ(1, c[k].res);
		EXPECT_EQ(k, buf[k][0]);
		sel_check_untouched(c, N, k);
	}
	for (i = 0; i < N; i++)
		close(ch[i]);
}

TEST(nil_cases_never_fire)
{
	int ch = kt_make(1, 8, 0);
	struct kchan_case c[4];
	char b[8];
	int i;

	c[0] = sel_send(-1, "nil", 3);
	c[1] = sel_recv(-1, b, sizeof(b));
	c[2] = sel_poll(-1, POLLIN | POLLOUT);
	/* Only nil cases: nothing can ever be ready. */
	EXPECT_EQ(-EAGAIN, kchan_select(c, 3, -1, KCHAN_SELECT_NOWAIT));
	EXPECT_EQ(-ETIMEDOUT, kchan_select(c, 3, 0, 0));
	EXPECT_EQ(-ETIMEDOUT, kchan_select(c, 3, 20 * KT_NSEC_PER_MSEC, 0));
	sel_check_untouched(c, 3, -1);

	/* Next to a ready case, a nil case loses every time. */
	for (i = 0; i < 50; i++) {
		ASSERT_EQ(0, kchan_send(ch, "m", 1));
		sel_reset(c, 3);
		c[3] = sel_recv(ch, b, sizeof(b));
		ASSERT_EQ(3, kchan_select(c, 4, -1, 0));
		EXPECT_EQ(1, c[3].res);
		sel_check_untouched(c, 4, 3);
	}
	close(ch);
}

TEST(nil_case_with_unknown_op_is_still_invalid)
{
	struct kchan_case c = sel_recv(-1, NULL, 0);

	kt_require_kchan();
	c.op = 0;
	EXPECT_EQ(-EINVAL, kchan_select(&c, 1, 0, 0));
	EXPECT_EQ(SEL_UNTOUCHED, c.res);
}

TEST(message_sizes_mix)
{
	int sig = kt_make(1, 0, 0), small = kt_make(1, 8, 0);
	int big = kt_make(1, 4096, 0);
	static char bigmsg[4096], bigbuf[4096];
	char sbuf[8];
	struct kchan_case c[3];
	int i;

	for (i = 0; i < 4096; i++)
		bigmsg[i] = i * 7;

	/* Receives: each channel in turn is the ready one. */
	ASSERT_EQ(0, kchan_send(big, bigmsg, sizeof(bigmsg)));
	c[0] = sel_recv(sig, NULL, 0);
	c[1] = sel_recv(small, sbuf, sizeof(sbuf));
	c[2] = sel_recv(big, bigbuf, sizeof(bigbuf));
	EXPECT_EQ(2, kchan_select(c, 3, 0, 0));
	EXPECT_EQ(4096, c[2].res);
	EXPECT_EQ(0, memcmp(bigmsg, bigbuf, sizeof(bigmsg)));
	sel_check_untouched(c, 3, 2);

	ASSERT_EQ(0, kchan_send(sig, NULL, 0));
	sel_reset(c, 3);
	EXPECT_EQ(0, kchan_select(c, 3, 0, 0));
	EXPECT_EQ(0, c[0].res);
	sel_check_untouched(c, 3, 0);

	ASSERT_EQ(0, kchan_send(small, "12345678", 8));
	sel_reset(c, 3);
	EXPECT_EQ(1, kchan_select(c, 3, 0, 0));
	EXPECT_EQ(8, c[1].res);
	EXPECT_EQ(0, memcmp(sbuf, "12345678", 8));
	sel_check_untouched(c, 3, 1);

	/* Sends: fill two, so the third is the one with room. */
	ASSERT_EQ(0, kchan_send(sig, NULL, 0));
	ASSERT_EQ(0, kchan_send(small, "x", 1));
	c[0] = sel_send(sig, NULL, 0);
	c[1] = sel_send(small, "y", 1);
	c[2] = sel_send(big, bigmsg, sizeof(bigmsg));
	EXPECT_EQ(2, kchan_select(c, 3, 0, 0));
	EXPECT_EQ(0, c[2].res);
	sel_check_untouched(c, 3, 2);
	memset(bigbuf, 0, sizeof(bigbuf));
	EXPECT_EQ(4096, kchan_try_recv(big, bigbuf, sizeof(bigbuf)));
	EXPECT_EQ(0, memcmp(bigmsg, bigbuf, sizeof(bigmsg)));
	EXPECT_EQ(1, kchan_len(sig));
	EXPECT_EQ(1, kchan_len(small));
	close(sig);
	close(small);
	close(big);
}

TEST(recv_buffer_larger_than_msg_size)
{
	int ch = kt_make(1, 4, 0);
	char buf[64] = { 0 };
	struct kchan_case c = sel_recv(ch, buf, sizeof(buf));

	ASSERT_EQ(0, kchan_send(ch, "abcd", 4));
	EXPECT_EQ(0, kchan_select(&c, 1, 0, 0));
	EXPECT_EQ(4, c.res);
	EXPECT_EQ(0, memcmp(buf, "abcd", 5));
	close(ch);
}

TEST(repeated_channel_fires_once)
{
	int ch = kt_make(2, 8, 0);
	char b[3][8];
	struct kchan_case c[3];
	int i, fired;

	ASSERT_EQ(0, kchan_send(ch, "only", 4));
	for (i = 0; i < 3; i++)
		c[i] = sel_recv(ch, b[i], sizeof(b[i]));
	fired = kchan_select(c, 3, 0, 0);
	ASSERT_LE(0, fired);
	ASSERT_GT(3, fired);
	EXPECT_EQ(4, c[fired].res);
	EXPECT_EQ(0, memcmp(b[fired], "only", 4));
	EXPECT_EQ(1U, sel_count_written(c, 3));
	EXPECT_EQ(0, kchan_len(ch));
	sel_reset(c, 3);
	EXPECT_EQ(-EAGAIN, kchan_select(c, 3, 0, KCHAN_SELECT_NOWAIT));

	/* Repeated send cases: one message goes in, not two. */
	for (i = 0; i < 3; i++)
		c[i] = sel_send(ch, "dup", 3);
	fired = kchan_select(c, 3, 0, 0);
	ASSERT_LE(0, fired);
	EXPECT_EQ(0, c[fired].res);
	EXPECT_EQ(1U, sel_count_written(c, 3));
	EXPECT_EQ(1, kchan_len(ch));
	close(ch);
}

TEST(send_and_recv_on_one_buffered_channel)
{
	int ch = kt_make(1, 8, 0);
	char b[8];
	struct kchan_case c[2];

	/* Empty: only the send can go. */
	c[0] = sel_recv(ch, b, sizeof(b));
	c[1] = sel_send(ch, "self", 4);
	EXPECT_EQ(1, kchan_select(c, 2, 0, 0));
	EXPECT_EQ(0, c[1].res);
	sel_check_untouched(c, 2, 1);
	EXPECT_EQ(1, kchan_len(ch));

	/* Full: only the receive can, and it gets what the send put in. */
	sel_reset(c, 2);
	EXPECT_EQ(0, kchan_select(c, 2, 0, 0));
	EXPECT_EQ(4, c[0].res);
	EXPECT_EQ(0, memcmp(b, "self", 4));
	sel_check_untouched(c, 2, 0);
	EXPECT_EQ(0, kchan_len(ch));
	close(ch);
}

TEST(unbuffered_channel_never_meets_itself)
{
	int ch = kt_make(0, 8, 0);
	int64_t start;
	char b[8];
	struct kchan_case c[2];

	c[0] = sel_send(ch, "self", 4);
	c[1] = sel_recv(ch, b, sizeof(b));
	EXPECT_EQ(-EAGAIN, kchan_select(c, 2, -1, KCHAN_SELECT_NOWAIT));
	start = kt_now_ns();
	EXPECT_EQ(-ETIMEDOUT, kchan_select(c, 2, 50 * KT_NSEC_PER_MSEC, 0));
	EXPECT_LE(50 * KT_NSEC_PER_MSEC, kt_now_ns() - start);
	sel_check_untouched(c, 2, -1);
	EXPECT_EQ(0, kt_wait_waiters(ch, 0, 0));
	EXPECT_EQ(-EAGAIN, kchan_try_recv(ch, b, sizeof(b)));

	/* Through two fds of the same channel, still the same channel. */
	c[0].fd = kt_open_end(ch, KCHAN_SEND_END, 0);
	c[1].fd = kt_open_end(ch, KCHAN_RECV_END, 0);
	EXPECT_EQ(-ETIMEDOUT, kchan_select(c, 2, 20 * KT_NSEC_PER_MSEC, 0));
	sel_check_untouched(c, 2, -1);
	close(c[0].fd);
	close(c[1].fd);
	close(ch);
}

TEST(parked_self_select_meets_others)
{
	int ch = kt_make(0, 8, 0);
	struct kchan_case c[2];
	struct sel_async a;
	char b[8], m[8];

	/* Parked on both sides of one unbuffered channel: a receiver takes the send. */
	c[0] = sel_send(ch, "out", 3);
	c[1] = sel_recv(ch, b, sizeof(b));
	sel_async_park(&a, c, 2, ch, 1, 1);
	EXPECT_EQ(3, kchan_recv(ch, m, sizeof(m)));
	EXPECT_EQ(0, memcmp(m, "out", 3));
	EXPECT_EQ(0, sel_async_join(&a));
	EXPECT_EQ(0, c[0].res);
	sel_check_untouched(c, 2, 0);
	EXPECT_EQ(0, kt_wait_waiters(ch, 0, 0));

	/* ... and a sender fills the receive. */
	sel_reset(c, 2);
	sel_async_park(&a, c, 2, ch, 1, 1);
	EXPECT_EQ(0, kchan_send(ch, "in", 2));
	EXPECT_EQ(1, sel_async_join(&a));
	EXPECT_EQ(2, c[1].res);
	EXPECT_EQ(0, memcmp(b, "in", 2));
	sel_check_untouched(c, 2, 1);
	EXPECT_EQ(0, kt_wait_waiters(ch, 0, 0));
	close(ch);
}

TEST(closed_channel_fires_with_epipe)
{
	int ch = kt_make(2, 8, 0), other = kt_make(0, 8, 0);
	struct kchan_case c[2];
	char b[8];

	ASSERT_EQ(0, kchan_send(ch, "left", 4));
	ASSERT_EQ(0, kchan_close(ch));

	/* A closed channel drains first... */
	c[0] = sel_recv(other, b, sizeof(b));
	c[1] = sel_recv(ch, b, sizeof(b));
	EXPECT_EQ(1, kchan_select(c, 2, -1, 0));
	EXPECT_EQ(4, c[1].res);
	EXPECT_EQ(0, memcmp(b, "left", 4));
	/* ...then is always ready, with -EPIPE (Go's ok == false). */
	sel_reset(c, 2);
	EXPECT_EQ(1, kchan_select(c, 2, -1, 0));
	EXPECT_EQ(-EPIPE, c[1].res);
	sel_check_untouched(c, 2, 1);
	sel_reset(c, 2);
	EXPECT_EQ(1, kchan_select(c, 2, -1, 0));
	EXPECT_EQ(-EPIPE, c[1].res);

	/* A send to a closed channel fires too, with -EPIPE. */
	c[0] = sel_send(other, "x", 1);
	c[1] = sel_send(ch, "x", 1);
	EXPECT_EQ(1, kchan_select(c, 2, -1, 0));
	EXPECT_EQ(-EPIPE, c[1].res);
	sel_check_untouched(c, 2, 1);
	EXPECT_EQ(0, kchan_len(ch));
	close(ch);
	close(other);
}

TEST(send_to_channel_without_receivers_fires_with_epipe)
{
	int ch = kt_make(4, 8, 0);
	int snd = kt_open_end(ch, KCHAN_SEND_END, 0);
	struct kchan_case c;

	close(ch);	/* the last receive end */
	c = sel_send(snd, "lost", 4);
	EXPECT_EQ(0, kchan_select(&c, 1, -1, 0));
	EXPECT_EQ(-EPIPE, c.res);
	close(snd);
}

TEST(short_buffer_fires_emsgsize_and_message_stays)
{
	int ch = kt_make(1, 16, 0), un = kt_make(0, 16, 0);
	struct kchan_case c;
	struct kt_async snd;
	char b[16];

	/* Buffered: the message at the head stays for a bigger buffer. */
	ASSERT_EQ(0, kchan_send(ch, "0123456789", 10));
	c = sel_recv(ch, b, 4);
	EXPECT_EQ(0, kchan_select(&c, 1, -1, 0));
	EXPECT_EQ(-EMSGSIZE, c.res);
	EXPECT_EQ(1, kchan_len(ch));
	c = sel_recv(ch, b, 10);
	EXPECT_EQ(0, kchan_select(&c, 1, -1, 0));
	EXPECT_EQ(10, c.res);
	EXPECT_EQ(0, memcmp(b, "0123456789", 10));

	/* Unbuffered: the parked sender keeps its message and stays parked. */
	kt_async_park(&snd, un, KT_SEND, "0123456789", 10, 1, 0);
	c = sel_recv(un, b, 9);
	EXPECT_EQ(0, kchan_select(&c, 1, -1, 0));
	EXPECT_EQ(-EMSGSIZE, c.res);
	EXPECT_FALSE(kt_async_done(&snd));
	EXPECT_EQ(0, kt_wait_waiters(un, 1, 0));
	EXPECT_EQ(10, kchan_recv(un, b, sizeof(b)));
	EXPECT_EQ(0, kt_async_join(&snd));
	close(ch);
	close(un);
}

TEST(parked_short_recv_case_fires_emsgsize)
{
	char scratch[8];
	int ch = kt_make(1, 16, 0);
	struct kchan_case c = sel_recv(ch, scratch, 4);
	struct sel_async a;
	char b[16];

	sel_async_park(&a, &c, 1, ch, 0, 1);
	ASSERT_EQ(0, kchan_send(ch, "too-long", 8));
	EXPECT_EQ(0, sel_async_join(&a));
	EXPECT_EQ(-EMSGSIZE, c.res);
	/* The sender's message was not lost: it went into the buffer. */
	EXPECT_EQ(1, kchan_len(ch));
	EXPECT_EQ(8, kchan_try_recv(ch, b, sizeof(b)));
	EXPECT_EQ(0, memcmp(b, "too-long", 8));
	close(ch);
}

TEST(signal_only_channel)
{
	int ch = kt_make(1, 0, 0);
	struct kchan_case c[2];

	c[0] = sel_send(ch, NULL, 0);
	c[1] = sel_recv(ch, NULL, 0);
	EXPECT_EQ(0, kchan_select(c, 2, 0, 0));
	EXPECT_EQ(0, c[0].res);
	sel_reset(c, 2);
	EXPECT_EQ(1, kchan_select(c, 2, 0, 0));
	EXPECT_EQ(0, c[1].res);
	/* Bad input: a signal-only channel carries no bytes. */
	c[0] = sel_send(ch, "x", 1);
	EXPECT_EQ(-EMSGSIZE, kchan_select(c, 1, 0, 0));
	EXPECT_EQ(0, kchan_len(ch));
	close(ch);
}

TEST(recv_from_full_channel_takes_in_the_parked_sender)
{
	int ch = kt_make(1, 8, 0);
	struct kchan_case c;
	struct kt_async snd;
	char b[8];

	ASSERT_EQ(0, kchan_send(ch, "first", 5));
	kt_async_park(&snd, ch, KT_SEND, "second", 6, 1, 0);
	c = sel_recv(ch, b, sizeof(b));
	EXPECT_EQ(0, kchan_select(&c, 1, -1, 0));
	EXPECT_EQ(5, c.res);
	EXPECT_EQ(0, memcmp(b, "first", 5));
	EXPECT_EQ(0, kt_async_join(&snd));
	EXPECT_EQ(1, kchan_len(ch));
	c = sel_recv(ch, b, sizeof(b));
	EXPECT_EQ(0, kchan_select(&c, 1, -1, 0));
	EXPECT_EQ(6, c.res);
	EXPECT_EQ(0, memcmp(b, "second", 6));
	close(ch);
}

TEST(errno_is_left_alone)
{
	char scratch[8];
	int ch = kt_make(1, 8, 0);
	struct kchan_case c = sel_recv(ch, scratch, 8);

	errno = 4242;
	EXPECT_EQ(-EAGAIN, kchan_select(&c, 1, -1, KCHAN_SELECT_NOWAIT));
	EXPECT_EQ(-EINVAL, kchan_select(&c, 0, -1, 0));
	EXPECT_EQ(-EFAULT, kchan_select(NULL, 1, -1, 0));
	ASSERT_EQ(0, kchan_send(ch, "m", 1));
	EXPECT_EQ(0, kchan_select(&c, 1, -1, 0));
	EXPECT_EQ(4242, errno);
	close(ch);
}

TEST(counters_count_select_traffic)
{
	int ch = kt_make(2, 8, 0);
	struct kchan_case c[2];
	struct kchan_info info;
	char b[8];

	c[0] = sel_send(ch, "a", 1);
	EXPECT_EQ(0, kchan_select(c, 1, 0, 0));
	c[0] = sel_recv(ch, b, sizeof(b));
	EXPECT_EQ(0, kchan_select(c, 1, 0, 0));
	ASSERT_EQ(0, kchan_info(ch, &info));
	EXPECT_EQ(1ULL, info.sent);
	EXPECT_EQ(1ULL, info.received);
	EXPECT_EQ(0U, info.send_waiters);
	EXPECT_EQ(0U, info.recv_waiters);
	close(ch);
}

TEST_HARNESS_MAIN
