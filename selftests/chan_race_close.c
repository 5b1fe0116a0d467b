// SPDX-License-Identifier: GPL-2.0
/*
 * Operations racing close: kchan_close() against busy senders and
 * receivers, close(2) of an fd that another thread is blocked on, and the
 * last ends of a channel released by several threads at once.  Nothing may
 * hang, be lost, be delivered twice, or fail with anything but -EPIPE.
 */
#include <sys/epoll.h>
#include <sys/wait.h>

#include "kchan_test.h"

#define WORKERS	4	/* two senders, two receivers */

struct racer {
	pthread_t thread;
	int ch;
	bool send;
	unsigned long done;	/* messages sent or received */
	long last;		/* the result that ended the loop */
};

static void *race_fn(void *arg)
{
	struct racer *r = arg;
	unsigned int v = 0;
	long ret;

	for (;;) {
		ret = r->send ? kchan_send(r->ch, &v, sizeof(v)) :
				kchan_recv(r->ch, &v, sizeof(v));
		if (ret < 0)
			break;
		r->done++;
	}
	r->last = ret;
	return NULL;
}

static void close_races_busy_channel(struct __test_metadata *_metadata,
				     unsigned int cap)
{
	unsigned int iter, i, delay_us;

	for (iter = 0; iter < 40; iter++) {
		int ch = kt_make(cap, 8, 0);
		struct racer r[WORKERS];
		unsigned long sent = 0, received = 0;
		struct kchan_info info;

		for (i = 0; i < WORKERS; i++) {
			r[i] = (struct racer){ .ch = ch, .send = i % 2 };
			ASSERT_EQ(0, pthread_create(&r[i].thread, NULL,
						    race_fn, &r[i]));
		}
		delay_us = (iter * 397) % 3000;
		usleep(delay_us);
		ASSERT_EQ(0, kchan_close(ch));
		for (i = 0; i < WORKERS; i++) {
			pthread_join(r[i].thread, NULL);
			EXPECT_EQ(-EPIPE, r[i].last);
			if (r[i].send)
				sent += r[i].done;
			else
				received += r[i].done;
		}
		EXPECT_EQ(sent, received) TH_LOG("iteration %u", iter);
		ASSERT_EQ(0, kchan_info(ch, &info));
		EXPECT_EQ(sent, info.sent);
		EXPECT_EQ(received, info.received);
		close(ch);
	}
}

TEST(close_races_busy_unbuffered)
{
	close_races_busy_channel(_metadata, 0);
}

TEST(close_races_busy_buffered)
{
	close_races_busy_channel(_metadata, 3);
}

TEST(fd_closed_under_blocked_receiver)
{
	int ch = kt_make(0, 8, 0);
	int s = kt_open_end(ch, KCHAN_SEND_END, 0);
	struct kt_async rcv;

	kt_async_park(&rcv, ch, KT_RECV, NULL, 8, 0, 1);
	/* The blocked call holds the file: it keeps waiting. */
	ASSERT_EQ(0, close(ch));
	kt_sleep_ms(50);
	EXPECT_FALSE(kt_async_done(&rcv));
	EXPECT_EQ(0, kt_wait_waiters(s, 0, 1));
	EXPECT_EQ(0, kchan_send(s, "still", 5));
	EXPECT_EQ(5, kt_async_join(&rcv));
	close(s);
}

TEST(fd_closed_under_blocked_receiver_then_channel_closed)
{
	int ch = kt_make(0, 8, 0);
	int s = kt_open_end(ch, KCHAN_SEND_END, 0);
	int r = kt_open_end(ch, KCHAN_RECV_END, 0);
	struct kt_async rcv;

	ASSERT_EQ(0, close(ch));
	kt_async_park(&rcv, r, KT_RECV, NULL, 8, 0, 1);
	ASSERT_EQ(0, close(r));
	ASSERT_EQ(0, kchan_close(s));
	EXPECT_EQ(-EPIPE, kt_async_join(&rcv));
	/* The receive end is gone for good now. */
	EXPECT_EQ(-EPIPE, kchan_send(s, "x", 1));
	close(s);
}

TEST(fd_closed_under_blocked_sender_last_receiver_gone)
{
	int ch = kt_make(0, 8, 0);
	int s = kt_open_end(ch, KCHAN_SEND_END, 0);
	int r = kt_open_end(ch, KCHAN_RECV_END, 0);
	struct kt_async snd;

	ASSERT_EQ(0, close(ch));
	kt_async_park(&snd, s, KT_SEND, "x", 1, 1, 0);
	ASSERT_EQ(0, close(s));
	ASSERT_EQ(0, close(r));
	EXPECT_EQ(-EPIPE, kt_async_join(&snd));
}

TEST(exit_with_thread_blocked_on_closed_fd)
{
	int status;
	pid_t pid;

	kt_require_kchan();
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int ch = kchan_make(0, 8, 0);
		struct kt_async a = { .fd = ch, .op = KT_RECV, .len = 8 };
		pthread_t t;

		if (ch < 0 || pthread_create(&t, NULL, kt_async_fn, &a))
			_exit(1);
		if (kt_wait_waiters(ch, 0, 1))
			_exit(2);
		close(ch);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

struct closer {
	pthread_t thread;
	int fd;
	atomic_int *go;
	long ret;
	bool kchan;	/* kchan_close() rather than close(2) */
};

static void *closer_fn(void *arg)
{
	struct closer *c = arg;

	while (!atomic_load(c->go))
		;
	c->ret = c->kchan ? kchan_close(c->fd) : close(c->fd);
	return NULL;
}

/* Many send ends released at once: exactly one "last" closes the channel. */
TEST(send_ends_released_together)
{
	enum { ENDS = 4 };
	unsigned int iter, i;

	for (iter = 0; iter < 30; iter++) {
		int ch = kt_make(0, 8, 0);
		int r = kt_open_end(ch, KCHAN_RECV_END, 0);
		struct closer c[ENDS];
		struct kt_async rcv;
		atomic_int go = 0;

		for (i = 0; i < ENDS; i++) {
			c[i] = (struct closer){ .go = &go };
			c[i].fd = kt_open_end(ch, KCHAN_SEND_END, 0);
			ASSERT_EQ(0, pthread_create(&c[i].thread, NULL,
						    closer_fn, &c[i]));
		}
		ASSERT_EQ(0, close(ch));
		kt_async_park(&rcv, r, KT_RECV, NULL, 8, 0, 1);
		atomic_store(&go, 1);
		for (i = 0; i < ENDS; i++) {
			pthread_join(c[i].thread, NULL);
			EXPECT_EQ(0, c[i].ret);
		}
		EXPECT_EQ(-EPIPE, kt_async_join(&rcv));
		close(r);
	}
}

TEST(recv_ends_released_together)
{
	enum { ENDS = 4 };
	unsigned int iter, i;

	for (iter = 0; iter < 30; iter++) {
		int ch = kt_make(0, 8, 0);
		int s = kt_open_end(ch, KCHAN_SEND_END, 0);
		struct closer c[ENDS];
		struct kt_async snd;
		atomic_int go = 0;

		for (i = 0; i < ENDS; i++) {
			c[i] = (struct closer){ .go = &go };
			c[i].fd = kt_open_end(ch, KCHAN_RECV_END, 0);
			ASSERT_EQ(0, pthread_create(&c[i].thread, NULL,
						    closer_fn, &c[i]));
		}
		ASSERT_EQ(0, close(ch));
		kt_async_park(&snd, s, KT_SEND, "x", 1, 1, 0);
		atomic_store(&go, 1);
		for (i = 0; i < ENDS; i++)
			pthread_join(c[i].thread, NULL);
		EXPECT_EQ(-EPIPE, kt_async_join(&snd));
		close(s);
	}
}

TEST(kchan_close_races_itself)
{
	enum { CLOSERS = 4 };
	unsigned int iter, i, winners;

	for (iter = 0; iter < 50; iter++) {
		int ch = kt_make(iter % 3, 8, 0);
		struct closer c[CLOSERS];
		atomic_int go = 0;

		for (i = 0; i < CLOSERS; i++) {
			c[i] = (struct closer){ .go = &go, .fd = ch, .kchan = true };
			ASSERT_EQ(0, pthread_create(&c[i].thread, NULL,
						    closer_fn, &c[i]));
		}
		atomic_store(&go, 1);
		winners = 0;
		for (i = 0; i < CLOSERS; i++) {
			pthread_join(c[i].thread, NULL);
			if (c[i].ret == 0)
				winners++;
			else
				EXPECT_EQ(-EPIPE, c[i].ret);
		}
		EXPECT_EQ(1U, winners);
		close(ch);
	}
}

TEST(kchan_close_races_fd_close)
{
	unsigned int iter;
	char m[8];

	for (iter = 0; iter < 50; iter++) {
		int ch = kt_make(1, 8, 0);
		int s = kt_open_end(ch, KCHAN_SEND_END, 0);
		int r = kt_open_end(ch, KCHAN_RECV_END, 0);
		struct closer a, b;
		atomic_int go = 0;

		ASSERT_EQ(0, close(ch));
		a = (struct closer){ .go = &go, .fd = s, .kchan = true };
		b = (struct closer){ .go = &go, .fd = s };
		ASSERT_EQ(0, pthread_create(&a.thread, NULL, closer_fn, &a));
		ASSERT_EQ(0, pthread_create(&b.thread, NULL, closer_fn, &b));
		atomic_store(&go, 1);
		pthread_join(a.thread, NULL);
		pthread_join(b.thread, NULL);
		EXPECT_TRUE(a.ret == 0 || a.ret == -EBADF) TH_LOG("%ld", a.ret);
		EXPECT_EQ(0, b.ret);
		/* Either way the channel is closed: its last send end is gone. */
		EXPECT_EQ(-EPIPE, kchan_recv_timeout(r, m, sizeof(m),
						     5 * KT_NSEC_PER_SEC));
		close(r);
	}
}

TEST(close_wakes_epoll_waiters_racing)
{
	unsigned int iter;

	for (iter = 0; iter < 20; iter++) {
		int ch = kt_make(0, 8, 0);
		int ep = epoll_create1(EPOLL_CLOEXEC);
		struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
		struct kt_async rcv;

		ASSERT_LE(0, ep);
		ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, ch, &ev));
		kt_async_start(&rcv, ch, KT_RECV, NULL, 8);
		usleep(iter * 100);
		ASSERT_EQ(0, kchan_close(ch));
		ASSERT_EQ(1, epoll_wait(ep, &ev, 1, 10000));
		EXPECT_TRUE(!!(ev.events & EPOLLHUP));
		EXPECT_EQ(-EPIPE, kt_async_join(&rcv));
		close(ep);
		close(ch);
	}
}

TEST(open_end_races_close)
{
	unsigned int iter;

	for (iter = 0; iter < 50; iter++) {
		int ch = kt_make(0, 8, 0);
		struct closer c = { .fd = ch, .kchan = true };
		atomic_int go = 0;
		int fd;

		c.go = &go;
		ASSERT_EQ(0, pthread_create(&c.thread, NULL, closer_fn, &c));
		atomic_store(&go, 1);
		fd = kchan_open_end(ch, KCHAN_SEND_END, 0);
		pthread_join(c.thread, NULL);
		EXPECT_EQ(0, c.ret);
		/* An end of a closed channel, if given, is just closed. */
		if (fd >= 0) {
			EXPECT_EQ(-EPIPE, kchan_send(fd, "x", 1));
			close(fd);
		} else {
			EXPECT_EQ(-EPIPE, fd);
		}
		close(ch);
	}
}

TEST_HARNESS_MAIN
