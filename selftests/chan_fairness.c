// SPDX-License-Identifier: GPL-2.0
/*
 * Fairness: blocked receivers and senders are served in arrival order; one
 * message wakes exactly one receiver (no thundering herd); a message handed
 * to a parked receiver cannot be taken by a late arriver, nor can the room
 * a parked sender is owed.
 */
#include "kchan_test.h"

#define N	5

/* Parks N receivers on @ch, one after another so their order is known. */
static void park_receivers(struct __test_metadata *_metadata, int ch,
			   struct kt_async *rcv)
{
	int i;

	for (i = 0; i < N; i++)
		kt_async_park(&rcv[i], ch, KT_RECV, NULL, 8, 0, i + 1);
}

static int count_done(struct kt_async *a, int n)
{
	int i, done = 0;

	for (i = 0; i < n; i++)
		done += kt_async_done(&a[i]);
	return done;
}

/* Sends 0..N-1, one at a time: message k must go to the k-th receiver. */
static void serve_in_order(struct __test_metadata *_metadata, int ch)
{
	struct kt_async rcv[N];
	char k;

	park_receivers(_metadata, ch, rcv);
	for (k = 0; k < N; k++) {
		ASSERT_EQ(0, kchan_send(ch, &k, 1));
		ASSERT_EQ(1, kt_async_join(&rcv[(int)k]))
			TH_LOG("receiver %d did not get message %d", k, k);
		EXPECT_EQ(k, rcv[(int)k].buf[0]);
		ASSERT_EQ(0, kt_wait_waiters(ch, 0, N - 1 - k));
		EXPECT_EQ(k + 1, count_done(rcv, N));
	}
}

TEST(receivers_fifo_unbuffered)
{
	int ch = kt_make(0, 8, 0);

	serve_in_order(_metadata, ch);
	close(ch);
}

TEST(receivers_fifo_buffered)
{
	int ch = kt_make(4, 8, 0);

	serve_in_order(_metadata, ch);
	close(ch);
}

TEST(senders_fifo_unbuffered)
{
	int ch = kt_make(0, 8, 0);
	struct kt_async snd[N];
	char m[8];
	int i;

	for (i = 0; i < N; i++) {
		char c = 'a' + i;

		kt_async_park(&snd[i], ch, KT_SEND, &c, 1, i + 1, 0);
	}
	for (i = 0; i < N; i++) {
		ASSERT_EQ(1, kchan_recv(ch, m, sizeof(m)));
		EXPECT_EQ('a' + i, m[0]);
		EXPECT_EQ(0, kt_async_join(&snd[i]));
	}
}

TEST(one_message_wakes_one_receiver)
{
	int ch = kt_make(8, 8, 0);
	struct kt_async rcv[N];
	int i;

	park_receivers(_metadata, ch, rcv);
	ASSERT_EQ(0, kchan_send(ch, "1", 1));
	ASSERT_EQ(1, kt_async_join(&rcv[0]));
	kt_sleep_ms(100);
	EXPECT_EQ(1, count_done(rcv, N));
	EXPECT_EQ(0, kt_wait_waiters(ch, 0, N - 1));
	EXPECT_EQ(0, kchan_len(ch));

	ASSERT_EQ(0, kchan_close(ch));
	for (i = 1; i < N; i++)
		EXPECT_EQ(-EPIPE, kt_async_join(&rcv[i]));
}

TEST(handed_off_message_cannot_be_robbed)
{
	int ch = kt_make(4, 8, 0);
	struct kt_async rcv;
	char m[8];
	int i;

	for (i = 0; i < 20; i++) {
		kt_async_park(&rcv, ch, KT_RECV, NULL, 8, 0, 1);
		ASSERT_EQ(0, kchan_send(ch, "mine", 4));
		/* The parked receiver owns it, woken or not yet. */
		EXPECT_EQ(-EAGAIN, kchan_try_recv(ch, m, sizeof(m)));
		EXPECT_EQ(4, kt_async_join(&rcv));
	}
	close(ch);
}

TEST(room_owed_to_parked_sender_cannot_be_robbed)
{
	int ch = kt_make(1, 8, 0);
	struct kt_async snd;
	char m[8];
	int i;

	ASSERT_EQ(0, kchan_send(ch, "0", 1));
	for (i = 1; i <= 20; i++) {
		char c = '0' + i % 10;

		kt_async_park(&snd, ch, KT_SEND, &c, 1, 1, 0);
		ASSERT_EQ(1, kchan_recv(ch, m, sizeof(m)));
		EXPECT_EQ('0' + (i - 1) % 10, m[0]);
		/* The freed slot went to the parked sender. */
		EXPECT_EQ(-EAGAIN, kchan_try_send(ch, "x", 1));
		EXPECT_EQ(0, kt_async_join(&snd));
	}
	close(ch);
}

TEST(late_receiver_does_not_starve_parked_one)
{
	int ch = kt_make(0, 8, 0);
	struct kt_async first, late;
	char m[8];

	kt_async_park(&first, ch, KT_RECV, NULL, 8, 0, 1);
	kt_async_park(&late, ch, KT_RECV, NULL, 8, 0, 2);
	ASSERT_EQ(0, kchan_send(ch, "A", 1));
	EXPECT_EQ(1, kt_async_join(&first));
	EXPECT_EQ('A', first.buf[0]);
	ASSERT_EQ(0, kchan_send(ch, "B", 1));
	EXPECT_EQ(1, kt_async_join(&late));
	EXPECT_EQ('B', late.buf[0]);
	EXPECT_EQ(-EAGAIN, kchan_try_recv(ch, m, sizeof(m)));
	close(ch);
}

TEST_HARNESS_MAIN
