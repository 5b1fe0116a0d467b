// SPDX-License-Identifier: GPL-2.0
/*
 * Unbuffered channels (capacity 0): a send completes only once a receiver
 * has taken its message (rendezvous), and a waiting receiver is handed the
 * message directly; nothing is ever queued.
 */
#include "kchan_test.h"

FIXTURE(unbuf) {
	int ch;
};

FIXTURE_SETUP(unbuf)
{
	self->ch = kt_make(0, 64, 0);
}

FIXTURE_TEARDOWN(unbuf)
{
	close(self->ch);
}

TEST_F(unbuf, send_waits_for_receiver)
{
	struct kt_async snd;
	char buf[64];

	kt_async_park(&snd, self->ch, KT_SEND, "hello", 5, 1, 0);
	kt_sleep_ms(50);
	EXPECT_FALSE(kt_async_done(&snd));
	EXPECT_EQ(0, kchan_len(self->ch));

	EXPECT_EQ(5, kchan_recv(self->ch, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	EXPECT_EQ(0, kt_async_join(&snd));
	EXPECT_EQ(0, kt_wait_waiters(self->ch, 0, 0));
}

TEST_F(unbuf, recv_waits_for_sender)
{
	struct kt_async rcv;
	char buf[64];

	kt_async_park(&rcv, self->ch, KT_RECV, NULL, 64, 0, 1);
	kt_sleep_ms(50);
	EXPECT_FALSE(kt_async_done(&rcv));

	/* A receiver is waiting, so the send completes at once... */
	EXPECT_EQ(0, kchan_send(self->ch, "world!", 6));
	/* ... handing the message to it: nothing is left for anyone else. */
	EXPECT_EQ(-EAGAIN, kchan_try_recv(self->ch, buf, sizeof(buf)));
	EXPECT_EQ(0, kchan_len(self->ch));
	EXPECT_EQ(6, kt_async_join(&rcv));
	EXPECT_EQ(0, memcmp(rcv.buf, "world!", 6));
}

TEST_F(unbuf, try_ops_never_queue)
{
	char buf[64];

	EXPECT_EQ(-EAGAIN, kchan_try_send(self->ch, "x", 1));
	EXPECT_EQ(-EAGAIN, kchan_try_recv(self->ch, buf, sizeof(buf)));
	EXPECT_EQ(0, kchan_len(self->ch));
	EXPECT_EQ(0, kchan_cap(self->ch));
	EXPECT_EQ(-EAGAIN, kchan_try_recv(self->ch, buf, sizeof(buf)));
}

TEST_F(unbuf, try_send_hands_off_to_parked_receiver)
{
	struct kt_async rcv;

	kt_async_park(&rcv, self->ch, KT_RECV, NULL, 64, 0, 1);
	EXPECT_EQ(0, kchan_try_send(self->ch, "abc", 3));
	EXPECT_EQ(3, kt_async_join(&rcv));
	EXPECT_EQ(0, memcmp(rcv.buf, "abc", 3));
}

TEST_F(unbuf, try_recv_takes_from_parked_sender)
{
	struct kt_async snd;
	char buf[64];

	kt_async_park(&snd, self->ch, KT_SEND, "parked", 6, 1, 0);
	/* A parked sender is not "buffered". */
	EXPECT_EQ(0, kchan_len(self->ch));
	EXPECT_EQ(6, kchan_try_recv(self->ch, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "parked", 6));
	EXPECT_EQ(0, kt_async_join(&snd));
	EXPECT_EQ(-EAGAIN, kchan_try_recv(self->ch, buf, sizeof(buf)));
}

TEST_F(unbuf, lengths_and_bytes_preserved)
{
	unsigned char out[64], in[64];
	struct kt_async rcv;
	unsigned int len, i;

	for (len = 0; len <= sizeof(out); len += 7) {
		for (i = 0; i < len; i++)
			out[i] = (unsigned char)(len * 31 + i);
		kt_async_park(&rcv, self->ch, KT_RECV, NULL, 64, 0, 1);
		ASSERT_EQ(0, kchan_send(self->ch, out, len));
		ASSERT_EQ((long)len, kt_async_join(&rcv));
		memcpy(in, rcv.buf, len);
		EXPECT_EQ(0, memcmp(in, out, len));
	}
}

TEST_F(unbuf, counters_count_handoffs)
{
	struct kchan_info info;
	struct kt_async rcv;
	int i;

	for (i = 0; i < 3; i++) {
		kt_async_park(&rcv, self->ch, KT_RECV, NULL, 64, 0, 1);
		ASSERT_EQ(0, kchan_send(self->ch, "m", 1));
		ASSERT_EQ(1, kt_async_join(&rcv));
	}
	ASSERT_EQ(0, kchan_info(self->ch, &info));
	EXPECT_EQ(3ULL, info.sent);
	EXPECT_EQ(3ULL, info.received);
	EXPECT_EQ(0U, info.len);
}

/* Many rendezvous in a row between two threads, each with its own bytes. */
struct pingpong {
	int ch;
	int n;
	int bad;
	int first_bad;		/* index, result and value of the first */
	long first_ret;
	unsigned int first_v;
};

static void *pong(void *arg)
{
	struct pingpong *p = arg;
	unsigned int v;
	long ret;
	int i;

	for (i = 0; i < p->n; i++) {
		v = ~0U;
		ret = kchan_recv(p->ch, &v, sizeof(v));
		if (ret != sizeof(v) || v != (unsigned int)i) {
			if (!p->bad++) {
				p->first_bad = i;
				p->first_ret = ret;
				p->first_v = v;
			}
		}
	}
	return NULL;
}

TEST_F(unbuf, stream_of_rendezvous_in_order)
{
	struct pingpong p = { .ch = self->ch, .n = 2000 };
	pthread_t t;
	unsigned int i;

	ASSERT_EQ(0, pthread_create(&t, NULL, pong, &p));
	for (i = 0; i < (unsigned int)p.n; i++)
		ASSERT_EQ(0, kchan_send(self->ch, &i, sizeof(i)));
	pthread_join(t, NULL);
	EXPECT_EQ(0, p.bad) TH_LOG("receive %d: returned %ld, value %u",
				   p.first_bad, p.first_ret, p.first_v);
}

TEST_F(unbuf, rendezvous_across_processes)
{
	unsigned int v, i;
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		for (i = 0; i < 500; i++)
			if (kchan_send(self->ch, &i, sizeof(i)))
				_exit(1);
		_exit(0);
	}
	for (i = 0; i < 500; i++) {
		ASSERT_EQ((ssize_t)sizeof(v), kchan_recv(self->ch, &v, sizeof(v)));
		ASSERT_EQ(i, v);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST_HARNESS_MAIN
