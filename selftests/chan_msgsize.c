// SPDX-License-Identifier: GPL-2.0
/*
 * Message sizes: a send longer than msg_size is -EMSGSIZE; a receive into a
 * buffer shorter than the next message is -EMSGSIZE and the message stays
 * (a parked sender's message counts as the next one); signal channels
 * (msg_size 0) carry empty messages; argument checks come before readiness.
 */
#include "kchan_test.h"

#define S	8

TEST(send_longer_than_msg_size_emsgsize)
{
	int ch = kt_make(2, S, 0);
	char big[S + 1] = "123456789";
	char m[64];

	EXPECT_EQ(-EMSGSIZE, kchan_send(ch, big, S + 1));
	EXPECT_EQ(-EMSGSIZE, kchan_try_send(ch, big, S + 1));
	EXPECT_EQ(-EMSGSIZE, kchan_send_timeout(ch, big, S + 1, 0));
	EXPECT_EQ(-EMSGSIZE, kchan_send(ch, big, SIZE_MAX));
	EXPECT_EQ(-EMSGSIZE, kchan_send(ch, big, (size_t)1 << 32));
	EXPECT_EQ(0, kchan_len(ch));

	EXPECT_EQ(0, kchan_send(ch, big, S));
	EXPECT_EQ(S, kchan_recv(ch, m, sizeof(m)));
	EXPECT_EQ(0, memcmp(m, big, S));
	close(ch);
}

TEST(empty_messages_on_sized_channel)
{
	int ch = kt_make(2, S, 0);
	char m[S];

	EXPECT_EQ(0, kchan_send(ch, "", 0));
	EXPECT_EQ(0, kchan_send(ch, NULL, 0));
	EXPECT_EQ(2, kchan_len(ch));
	EXPECT_EQ(0, kchan_recv(ch, m, sizeof(m)));
	EXPECT_EQ(0, kchan_recv(ch, NULL, 0));
	close(ch);
}

TEST(recv_short_buffer_emsgsize_message_stays)
{
	int ch = kt_make(2, S, 0);
	char m[S];

	ASSERT_EQ(0, kchan_send(ch, "abcdef", 6));
	EXPECT_EQ(-EMSGSIZE, kchan_recv(ch, m, 5));
	EXPECT_EQ(-EMSGSIZE, kchan_try_recv(ch, m, 1));
	EXPECT_EQ(-EMSGSIZE, kchan_recv_timeout(ch, m, 0, 0));
	EXPECT_EQ(-EMSGSIZE, kchan_recv(ch, NULL, 0));
	EXPECT_EQ(1, kchan_len(ch));
	EXPECT_EQ(6, kchan_recv(ch, m, 6));
	EXPECT_EQ(0, memcmp(m, "abcdef", 6));
	close(ch);
}

TEST(recv_buffer_larger_than_msg_size_is_fine)
{
	int ch = kt_make(1, S, 0);
	char m[4096];

	ASSERT_EQ(0, kchan_send(ch, "ab", 2));
	EXPECT_EQ(2, kchan_recv(ch, m, sizeof(m)));
	close(ch);
}

TEST(parked_senders_message_is_next)
{
	int ch = kt_make(0, S, 0);
	struct kt_async snd;
	char m[S];

	kt_async_park(&snd, ch, KT_SEND, "12345678", 8, 1, 0);
	EXPECT_EQ(-EMSGSIZE, kchan_recv(ch, m, 4));
	EXPECT_EQ(-EMSGSIZE, kchan_try_recv(ch, m, 7));
	/* The sender is still waiting, its message intact. */
	kt_sleep_ms(20);
	EXPECT_FALSE(kt_async_done(&snd));
	EXPECT_EQ(0, kt_wait_waiters(ch, 1, 0));
	EXPECT_EQ(8, kchan_recv(ch, m, 8));
	EXPECT_EQ(0, memcmp(m, "12345678", 8));
	EXPECT_EQ(0, kt_async_join(&snd));
	close(ch);
}

TEST(raw_recv_reports_needed_length)
{
	int ch = kt_make(1, 64, 0);
	struct kchan_xfer_args a = { .timeout_ns = -1 };
	char m[64];

	ASSERT_EQ(0, kchan_send(ch, "0123456789abcdef0123", 20));
	a.buf = (uintptr_t)m;
	a.len = 7;
	EXPECT_EQ(-EMSGSIZE, kt_ioctl(ch, KCHAN_IOC_RECV, &a));
	EXPECT_EQ(20ULL, a.len);
	EXPECT_EQ(20, kt_ioctl(ch, KCHAN_IOC_RECV, &a));
	EXPECT_EQ(0, memcmp(m, "0123456789abcdef0123", 20));
	close(ch);
}

TEST(signal_channel_carries_empty_messages)
{
	int ch = kt_make(3, 0, 0);
	struct kt_async rcv;
	char m[16];

	EXPECT_EQ(0, kchan_send(ch, NULL, 0));
	EXPECT_EQ(0, kchan_send(ch, m, 0));
	EXPECT_EQ(-EMSGSIZE, kchan_send(ch, "x", 1));
	EXPECT_EQ(2, kchan_len(ch));
	EXPECT_EQ(0, kchan_recv(ch, NULL, 0));
	EXPECT_EQ(0, kchan_recv(ch, m, sizeof(m)));
	EXPECT_EQ(-EAGAIN, kchan_try_recv(ch, m, sizeof(m)));
	close(ch);

	/* Unbuffered signals rendezvous like any message. */
	ch = kt_make(0, 0, 0);
	kt_async_park(&rcv, ch, KT_RECV, NULL, 0, 0, 1);
	EXPECT_EQ(0, kchan_send(ch, NULL, 0));
	EXPECT_EQ(0, kt_async_join(&rcv));
	close(ch);
}

TEST(oversize_try_send_to_full_channel_emsgsize)
{
	int ch = kt_make(1, S, 0);

	ASSERT_EQ(0, kchan_send(ch, "full", 4));
	EXPECT_EQ(-EMSGSIZE, kchan_try_send(ch, "123456789", 9));
	EXPECT_EQ(-EMSGSIZE, kchan_send_timeout(ch, "123456789", 9, 0));
	EXPECT_EQ(-EAGAIN, kchan_try_send(ch, "ok", 2));
	close(ch);
}

TEST(oversize_send_does_not_touch_parked_receiver)
{
	int ch = kt_make(0, S, 0);
	struct kt_async rcv;

	kt_async_park(&rcv, ch, KT_RECV, NULL, 64, 0, 1);
	EXPECT_EQ(-EMSGSIZE, kchan_send(ch, "123456789", 9));
	EXPECT_EQ(0, kt_wait_waiters(ch, 0, 1));
	EXPECT_FALSE(kt_async_done(&rcv));
	EXPECT_EQ(0, kchan_send(ch, "fits", 4));
	EXPECT_EQ(4, kt_async_join(&rcv));
	close(ch);
}

TEST(short_recv_on_empty_channel_still_waits)
{
	int ch = kt_make(1, S, 0);
	char m[S];

	/* Nothing to be too short for yet: the usual would-block answers. */
	EXPECT_EQ(-EAGAIN, kchan_try_recv(ch, m, 1));
	EXPECT_EQ(-ETIMEDOUT, kchan_recv_timeout(ch, m, 1, 0));
	close(ch);
}

TEST_HARNESS_MAIN
