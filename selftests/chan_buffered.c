// SPDX-License-Identifier: GPL-2.0
/*
 * Buffered channels: FIFO, at most C sends ahead of the receives, kchan_len,
 * a blocked sender's message moved into the buffer when a receive makes room,
 * and blocked senders served in arrival order.
 */
#include "kchan_test.h"

#define CAP	4

FIXTURE(buf) {
	int ch;
};

FIXTURE_SETUP(buf)
{
	self->ch = kt_make(CAP, 16, 0);
}

FIXTURE_TEARDOWN(buf)
{
	close(self->ch);
}

TEST_F(buf, fifo_and_len)
{
	unsigned int i, v;

	for (i = 0; i < CAP; i++) {
		ASSERT_EQ((int)i, kchan_len(self->ch));
		ASSERT_EQ(0, kchan_send(self->ch, &i, sizeof(i)));
	}
	EXPECT_EQ(CAP, kchan_len(self->ch));
	EXPECT_EQ(CAP, kchan_cap(self->ch));
	for (i = 0; i < CAP; i++) {
		ASSERT_EQ((ssize_t)sizeof(v), kchan_recv(self->ch, &v, sizeof(v)));
		EXPECT_EQ(i, v);
		EXPECT_EQ(CAP - 1 - (int)i, kchan_len(self->ch));
	}
}

TEST_F(buf, full_and_empty_would_block)
{
	char m[16];
	int i;

	EXPECT_EQ(-EAGAIN, kchan_try_recv(self->ch, m, sizeof(m)));
	for (i = 0; i < CAP; i++)
		ASSERT_EQ(0, kchan_try_send(self->ch, "x", 1));
	EXPECT_EQ(-EAGAIN, kchan_try_send(self->ch, "y", 1));
	EXPECT_EQ(CAP, kchan_len(self->ch));
	EXPECT_EQ(1, kchan_try_recv(self->ch, m, sizeof(m)));
	EXPECT_EQ(0, kchan_try_send(self->ch, "y", 1));
	EXPECT_EQ(-EAGAIN, kchan_try_send(self->ch, "z", 1));
}

TEST_F(buf, wraps_around_many_times)
{
	unsigned int i, v, next = 0;

	for (i = 0; i < 10 * CAP + 3; i++) {
		ASSERT_EQ(0, kchan_send(self->ch, &i, sizeof(i)));
		if (kchan_len(self->ch) == CAP - 1 || i % 3 == 0) {
			ASSERT_EQ((ssize_t)sizeof(v),
				  kchan_recv(self->ch, &v, sizeof(v)));
			ASSERT_EQ(next++, v);
		}
	}
	while (kchan_try_recv(self->ch, &v, sizeof(v)) == sizeof(v))
		ASSERT_EQ(next++, v);
	EXPECT_EQ(10U * CAP + 3, next);
}

/* Counts completed sends while it sends 0, 1, 2, ... */
struct counter {
	int ch;
	int n;
	atomic_int completed;
	int err;
};

static void *send_many(void *arg)
{
	struct counter *c = arg;
	int i, ret;

	for (i = 0; i < c->n; i++) {
		ret = kchan_send(c->ch, &i, sizeof(i));
		if (ret) {
			c->err = ret;
			break;
		}
		atomic_fetch_add(&c->completed, 1);
	}
	return NULL;
}

TEST_F(buf, at_most_cap_sends_ahead_of_receives)
{
	struct counter c = { .ch = self->ch, .n = 3 * CAP };
	pthread_t t;
	int k, v;

	ASSERT_EQ(0, pthread_create(&t, NULL, send_many, &c));
	ASSERT_EQ(0, kt_wait_waiters(self->ch, 1, 0));
	EXPECT_EQ(CAP, atomic_load(&c.completed));

	/* The (k + CAP)-th send completes only after the k-th receive. */
	for (k = 1; k <= 2 * CAP; k++) {
		ASSERT_EQ((ssize_t)sizeof(v), kchan_recv(self->ch, &v, sizeof(v)));
		ASSERT_EQ(k - 1, v);
		ASSERT_GE(CAP + k, atomic_load(&c.completed));
		if (k < 2 * CAP)
			ASSERT_EQ(0, kt_wait_waiters(self->ch, 1, 0));
	}
	pthread_join(t, NULL);
	EXPECT_EQ(3 * CAP, atomic_load(&c.completed));
	EXPECT_EQ(0, c.err);
	EXPECT_EQ(CAP, kchan_len(self->ch));
}

TEST_F(buf, recv_moves_parked_sender_into_buffer)
{
	struct kt_async snd;
	char m[16];
	int i;

	for (i = 0; i < CAP; i++)
		ASSERT_EQ(0, kchan_send(self->ch, "0123" + i, 1));
	kt_async_park(&snd, self->ch, KT_SEND, "P", 1, 1, 0);
	EXPECT_EQ(CAP, kchan_len(self->ch));

	ASSERT_EQ(1, kchan_recv(self->ch, m, sizeof(m)));
	EXPECT_EQ('0', m[0]);
	/* The sender completed as part of that receive: still full. */
	EXPECT_EQ(0, kt_async_join(&snd));
	EXPECT_EQ(CAP, kchan_len(self->ch));
	EXPECT_EQ(0, kt_wait_waiters(self->ch, 0, 0));
	EXPECT_EQ(-EAGAIN, kchan_try_send(self->ch, "Q", 1));

	for (i = 1; i < CAP; i++) {
		ASSERT_EQ(1, kchan_recv(self->ch, m, sizeof(m)));
		EXPECT_EQ('0' + i, m[0]);
	}
	ASSERT_EQ(1, kchan_recv(self->ch, m, sizeof(m)));
	EXPECT_EQ('P', m[0]);
}

TEST_F(buf, blocked_senders_served_fifo)
{
	struct kt_async snd[5];
	unsigned int i;
	char m[16];

	for (i = 0; i < CAP; i++)
		ASSERT_EQ(0, kchan_send(self->ch, "b", 1));
	for (i = 0; i < ARRAY_SIZE(snd); i++) {
		char c = 'A' + i;

		kt_async_park(&snd[i], self->ch, KT_SEND, &c, 1, i + 1, 0);
	}
	for (i = 0; i < CAP; i++) {
		ASSERT_EQ(1, kchan_recv(self->ch, m, sizeof(m)));
		EXPECT_EQ('b', m[0]);
	}
	for (i = 0; i < ARRAY_SIZE(snd); i++) {
		ASSERT_EQ(1, kchan_recv(self->ch, m, sizeof(m)));
		EXPECT_EQ('A' + (int)i, m[0]);
	}
	for (i = 0; i < ARRAY_SIZE(snd); i++)
		EXPECT_EQ(0, kt_async_join(&snd[i]));
}

TEST_F(buf, send_hands_off_to_waiting_receiver)
{
	struct kchan_info info;
	struct kt_async rcv;

	kt_async_park(&rcv, self->ch, KT_RECV, NULL, 16, 0, 1);
	ASSERT_EQ(0, kchan_send(self->ch, "direct", 6));
	EXPECT_EQ(6, kt_async_join(&rcv));
	EXPECT_EQ(0, memcmp(rcv.buf, "direct", 6));
	ASSERT_EQ(0, kchan_info(self->ch, &info));
	EXPECT_EQ(0U, info.len);
	EXPECT_EQ(1ULL, info.sent);
	EXPECT_EQ(1ULL, info.received);
}

TEST(capacity_one_signal_channel)
{
	int ch = kt_make(1, 0, 0);
	char m[4];

	EXPECT_EQ(0, kchan_send(ch, NULL, 0));
	EXPECT_EQ(1, kchan_len(ch));
	EXPECT_EQ(-EAGAIN, kchan_try_send(ch, NULL, 0));
	EXPECT_EQ(0, kchan_recv(ch, m, sizeof(m)));
	EXPECT_EQ(0, kchan_len(ch));
	EXPECT_EQ(-EAGAIN, kchan_try_recv(ch, m, sizeof(m)));
	close(ch);
}

TEST(large_messages_kept_whole)
{
	enum { SIZE = 256 * 1024, N = 3 };
	unsigned char *out, *in;
	unsigned int i, j;
	int ch;

	ch = kt_make(N, SIZE, 0);
	out = malloc(SIZE);
	in = malloc(SIZE);
	ASSERT_TRUE(out && in);
	for (i = 0; i < N; i++) {
		for (j = 0; j < SIZE; j++)
			out[j] = (unsigned char)(i * 7 + j * 13);
		ASSERT_EQ(0, kchan_send(ch, out, SIZE - i));
	}
	for (i = 0; i < N; i++) {
		for (j = 0; j < SIZE; j++)
			out[j] = (unsigned char)(i * 7 + j * 13);
		ASSERT_EQ(SIZE - (int)i, kchan_recv(ch, in, SIZE));
		EXPECT_EQ(0, memcmp(in, out, SIZE - i));
	}
	free(out);
	free(in);
	close(ch);
}

TEST_HARNESS_MAIN
