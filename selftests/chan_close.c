// SPDX-License-Identifier: GPL-2.0
/*
 * kchan_close() is Go's close(): receivers drain what is buffered, then get
 * -EPIPE; blocked senders wake with -EPIPE and later sends fail with it; a
 * second close is -EPIPE.  Close through a receive-only end is -EBADF.
 */
#include "kchan_test.h"

TEST(close_drains_then_epipe)
{
	int ch = kt_make(4, 8, 0);
	char m[8];
	int i;

	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, kchan_send(ch, "012" + i, 1));
	ASSERT_EQ(0, kchan_close(ch));
	EXPECT_EQ(3, kchan_len(ch));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(1, kchan_recv(ch, m, sizeof(m)));
		EXPECT_EQ('0' + i, m[0]);
	}
	EXPECT_EQ(-EPIPE, kchan_recv(ch, m, sizeof(m)));
	EXPECT_EQ(-EPIPE, kchan_recv(ch, m, sizeof(m)));
	EXPECT_EQ(-EPIPE, kchan_try_recv(ch, m, sizeof(m)));
	EXPECT_EQ(-EPIPE, kchan_recv_timeout(ch, m, sizeof(m), 0));
	EXPECT_EQ(-EPIPE, kchan_recv_timeout(ch, m, sizeof(m),
					     KT_NSEC_PER_SEC));
	close(ch);
}

TEST(send_after_close_epipe)
{
	int ch = kt_make(4, 8, 0);

	ASSERT_EQ(0, kchan_close(ch));
	EXPECT_EQ(-EPIPE, kchan_send(ch, "x", 1));
	EXPECT_EQ(-EPIPE, kchan_try_send(ch, "x", 1));
	EXPECT_EQ(-EPIPE, kchan_send_timeout(ch, "x", 1, 0));
	EXPECT_EQ(-EPIPE, kchan_send_timeout(ch, "x", 1, KT_NSEC_PER_SEC));
	EXPECT_EQ(0, kchan_len(ch));
	close(ch);
}

TEST(close_twice_epipe)
{
	int ch = kt_make(0, 8, 0);

	EXPECT_EQ(0, kchan_close(ch));
	EXPECT_EQ(-EPIPE, kchan_close(ch));
	EXPECT_EQ(-EPIPE, kchan_close(ch));
	close(ch);
}

TEST(close_sets_info_flag)
{
	struct kchan_info info;
	int ch = kt_make(1, 8, 0);

	ASSERT_EQ(0, kchan_info(ch, &info));
	EXPECT_FALSE(!!(info.flags & KCHAN_INFO_CLOSED));
	ASSERT_EQ(0, kchan_close(ch));
	ASSERT_EQ(0, kchan_info(ch, &info));
	EXPECT_TRUE(!!(info.flags & KCHAN_INFO_CLOSED));
	close(ch);
}

TEST(close_unbuffered_recv_epipe_at_once)
{
	int ch = kt_make(0, 8, 0);
	char m[8];

	ASSERT_EQ(0, kchan_close(ch));
	EXPECT_EQ(-EPIPE, kchan_recv(ch, m, sizeof(m)));
	EXPECT_EQ(-EPIPE, kchan_try_recv(ch, m, sizeof(m)));
	close(ch);
}

TEST(close_wakes_all_blocked_receivers)
{
	int ch = kt_make(2, 8, 0);
	struct kt_async rcv[4];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rcv); i++)
		kt_async_park(&rcv[i], ch, KT_RECV, NULL, 8, 0, i + 1);
	ASSERT_EQ(0, kchan_close(ch));
	for (i = 0; i < ARRAY_SIZE(rcv); i++)
		EXPECT_EQ(-EPIPE, kt_async_join(&rcv[i]));
	EXPECT_EQ(0, kt_wait_waiters(ch, 0, 0));
	close(ch);
}

TEST(close_wakes_blocked_senders_unbuffered)
{
	int ch = kt_make(0, 8, 0);
	struct kt_async snd[3];
	unsigned int i;
	char m[8];

	for (i = 0; i < ARRAY_SIZE(snd); i++)
		kt_async_park(&snd[i], ch, KT_SEND, "s", 1, i + 1, 0);
	ASSERT_EQ(0, kchan_close(ch));
	for (i = 0; i < ARRAY_SIZE(snd); i++)
		EXPECT_EQ(-EPIPE, kt_async_join(&snd[i]));
	/* Their messages were not delivered. */
	EXPECT_EQ(-EPIPE, kchan_recv(ch, m, sizeof(m)));
	close(ch);
}

TEST(close_wakes_blocked_senders_buffered_keeps_buffer)
{
	int ch = kt_make(2, 8, 0);
	struct kt_async snd[2];
	unsigned int i;
	char m[8];

	ASSERT_EQ(0, kchan_send(ch, "a", 1));
	ASSERT_EQ(0, kchan_send(ch, "b", 1));
	for (i = 0; i < ARRAY_SIZE(snd); i++)
		kt_async_park(&snd[i], ch, KT_SEND, "s", 1, i + 1, 0);
	ASSERT_EQ(0, kchan_close(ch));
	for (i = 0; i < ARRAY_SIZE(snd); i++)
		EXPECT_EQ(-EPIPE, kt_async_join(&snd[i]));

	/* What was buffered before the close drains; nothing more. */
	ASSERT_EQ(1, kchan_recv(ch, m, sizeof(m)));
	EXPECT_EQ('a', m[0]);
	ASSERT_EQ(1, kchan_recv(ch, m, sizeof(m)));
	EXPECT_EQ('b', m[0]);
	EXPECT_EQ(-EPIPE, kchan_recv(ch, m, sizeof(m)));
	close(ch);
}

TEST(close_wakes_timed_waiters)
{
	int rch = kt_make(0, 8, 0);
	int sch = kt_make(1, 8, 0);
	struct kt_async rcv, snd;

	ASSERT_EQ(0, kchan_send(sch, "full", 4));
	kt_async_start_timeout(&rcv, rch, KT_RECV_TIMEOUT, NULL, 8,
			       60 * KT_NSEC_PER_SEC);
	kt_async_start_timeout(&snd, sch, KT_SEND_TIMEOUT, "x", 1,
			       60 * KT_NSEC_PER_SEC);
	ASSERT_EQ(0, kt_wait_waiters(rch, 0, 1));
	ASSERT_EQ(0, kt_wait_waiters(sch, 1, 0));
	ASSERT_EQ(0, kchan_close(rch));
	ASSERT_EQ(0, kchan_close(sch));
	EXPECT_EQ(-EPIPE, kt_async_join(&rcv));
	EXPECT_EQ(-EPIPE, kt_async_join(&snd));
	close(rch);
	close(sch);
}

TEST(close_through_any_fd_of_the_channel)
{
	int ch = kt_make(1, 8, 0);
	int dup_fd = dup(ch);
	int s = kt_open_end(ch, KCHAN_SEND_END, 0);
	char m[8];

	ASSERT_LE(0, dup_fd);
	ASSERT_EQ(0, kchan_send(ch, "a", 1));
	EXPECT_EQ(0, kchan_close(s));
	EXPECT_EQ(-EPIPE, kchan_close(dup_fd));
	EXPECT_EQ(-EPIPE, kchan_close(ch));
	EXPECT_EQ(-EPIPE, kchan_send(dup_fd, "b", 1));
	EXPECT_EQ(1, kchan_recv(dup_fd, m, sizeof(m)));
	EXPECT_EQ(-EPIPE, kchan_recv(ch, m, sizeof(m)));
	close(s);
	close(dup_fd);
	close(ch);
}

TEST(close_via_recv_only_end_ebadf)
{
	int ch = kt_make(1, 8, 0);
	int r = kt_open_end(ch, KCHAN_RECV_END, 0);
	struct kchan_info info;

	EXPECT_EQ(-EBADF, kchan_close(r));
	ASSERT_EQ(0, kchan_info(ch, &info));
	EXPECT_FALSE(!!(info.flags & KCHAN_INFO_CLOSED));
	EXPECT_EQ(0, kchan_send(ch, "a", 1));
	close(r);
	close(ch);
}

TEST(close_leaves_fd_usable)
{
	int ch = kt_make(1, 8, 0);

	ASSERT_EQ(0, kchan_close(ch));
	EXPECT_EQ(1, kchan_cap(ch));
	EXPECT_EQ(0, kchan_len(ch));
	EXPECT_LE(0, fcntl(ch, F_GETFL));
	EXPECT_EQ(0, close(ch));
}

TEST_HARNESS_MAIN
