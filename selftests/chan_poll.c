// SPDX-License-Identifier: GPL-2.0
/*
 * poll/epoll: EPOLLIN when a receive would not block (message buffered,
 * sender parked, or closed), EPOLLOUT when a send would not block (room, or
 * receiver parked), EPOLLHUP once closed, EPOLLERR on a send end that can
 * never have a receiver.  Level-triggered and EPOLLET waiters are woken by
 * every change that makes the fd ready.
 */
#include <poll.h>
#include <sys/epoll.h>

#include "kchan_test.h"

static short revents(int fd, short events)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int n = poll(&pfd, 1, 0);

	return n < 0 ? -1 : pfd.revents;
}

/* epoll_wait() for one event; returns its mask, 0 on timeout. */
static int ep_wait(int ep, int timeout_ms)
{
	struct epoll_event ev;
	int n;

	do
		n = epoll_wait(ep, &ev, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	return n <= 0 ? n : (int)ev.events;
}

static int ep_new(int fd, unsigned int events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
		return -1;
	return ep;
}

/* An epoll_wait() on its own thread. */
struct ep_waiter {
	pthread_t thread;
	int ep;
	int events;
	atomic_bool done;
};

static void *ep_waiter_fn(void *arg)
{
	struct ep_waiter *w = arg;

	w->events = ep_wait(w->ep, 20000);
	atomic_store(&w->done, true);
	return NULL;
}

static int ep_waiter_join(struct ep_waiter *w)
{
	pthread_join(w->thread, NULL);
	return w->events;
}

/* Starts a waiter and checks that it is really waiting. */
#define ep_waiter_start(w, epfd) do {					\
	memset((w), 0, sizeof(*(w)));					\
	(w)->ep = (epfd);						\
	ASSERT_EQ(0, pthread_create(&(w)->thread, NULL, ep_waiter_fn, (w))); \
	kt_sleep_ms(50);						\
	ASSERT_FALSE(atomic_load(&(w)->done));				\
} while (0)

TEST(buffered_states)
{
	int ch = kt_make(2, 8, 0);
	char m[8];

	EXPECT_EQ(POLLOUT, revents(ch, POLLIN | POLLOUT));
	ASSERT_EQ(0, kchan_send(ch, "a", 1));
	EXPECT_EQ(POLLIN | POLLOUT, revents(ch, POLLIN | POLLOUT));
	ASSERT_EQ(0, kchan_send(ch, "b", 1));
	EXPECT_EQ(POLLIN, revents(ch, POLLIN | POLLOUT));
	ASSERT_EQ(1, kchan_recv(ch, m, sizeof(m)));
	EXPECT_EQ(POLLIN | POLLOUT, revents(ch, POLLIN | POLLOUT));
	ASSERT_EQ(0, kchan_close(ch));
	EXPECT_EQ(POLLIN | POLLHUP,
		  revents(ch, POLLIN) & (POLLIN | POLLHUP | POLLERR));
	ASSERT_EQ(1, kchan_recv(ch, m, sizeof(m)));
	/* Closed and drained: a receive still would not block. */
	EXPECT_EQ(POLLIN | POLLHUP,
		  revents(ch, POLLIN) & (POLLIN | POLLHUP | POLLERR));
	close(ch);
}

TEST(unbuffered_parked_peer_makes_ready)
{
	int ch = kt_make(0, 8, 0);
	struct kt_async a;
	char m[8];

	EXPECT_EQ(0, revents(ch, POLLIN | POLLOUT));
	kt_async_park(&a, ch, KT_SEND, "s", 1, 1, 0);
	EXPECT_EQ(POLLIN, revents(ch, POLLIN | POLLOUT));
	EXPECT_EQ(1, kchan_try_recv(ch, m, sizeof(m)));
	EXPECT_EQ(0, kt_async_join(&a));
	EXPECT_EQ(0, revents(ch, POLLIN | POLLOUT));

	kt_async_park(&a, ch, KT_RECV, NULL, 8, 0, 1);
	EXPECT_EQ(POLLOUT, revents(ch, POLLIN | POLLOUT));
	EXPECT_EQ(0, kchan_try_send(ch, "r", 1));
	EXPECT_EQ(1, kt_async_join(&a));
	EXPECT_EQ(0, revents(ch, POLLIN | POLLOUT));
	close(ch);
}

TEST(level_triggered_repeats_until_drained)
{
	int ch = kt_make(2, 8, 0);
	int ep = ep_new(ch, EPOLLIN);
	char m[8];

	ASSERT_LE(0, ep);
	EXPECT_EQ(0, ep_wait(ep, 0));
	ASSERT_EQ(0, kchan_send(ch, "a", 1));
	EXPECT_EQ(EPOLLIN, ep_wait(ep, 0));
	EXPECT_EQ(EPOLLIN, ep_wait(ep, 0));
	ASSERT_EQ(1, kchan_recv(ch, m, sizeof(m)));
	EXPECT_EQ(0, ep_wait(ep, 0));
	close(ep);
	close(ch);
}

TEST(level_triggered_wakes_on_send)
{
	int ch = kt_make(2, 8, 0);
	int ep = ep_new(ch, EPOLLIN);
	struct ep_waiter w;

	ASSERT_LE(0, ep);
	ep_waiter_start(&w, ep);
	ASSERT_EQ(0, kchan_send(ch, "a", 1));
	EXPECT_EQ(EPOLLIN, ep_waiter_join(&w));
	close(ep);
	close(ch);
}

TEST(edge_triggered_reports_each_change_once)
{
	int ch = kt_make(4, 8, 0);
	int ep = ep_new(ch, EPOLLIN | EPOLLET);
	struct ep_waiter w;
	char m[8];

	ASSERT_LE(0, ep);
	EXPECT_EQ(0, ep_wait(ep, 0));
	ASSERT_EQ(0, kchan_send(ch, "a", 1));
	EXPECT_EQ(EPOLLIN, ep_wait(ep, 0));
	EXPECT_EQ(0, ep_wait(ep, 0));

	/* Drained and refilled: a new edge. */
	ASSERT_EQ(1, kchan_recv(ch, m, sizeof(m)));
	ASSERT_EQ(0, kchan_send(ch, "b", 1));
	EXPECT_EQ(EPOLLIN, ep_wait(ep, 0));
	EXPECT_EQ(0, ep_wait(ep, 0));

	/* A waiter blocked in epoll_wait is woken by the edge. */
	ASSERT_EQ(1, kchan_recv(ch, m, sizeof(m)));
	ep_waiter_start(&w, ep);
	ASSERT_EQ(0, kchan_send(ch, "c", 1));
	EXPECT_EQ(EPOLLIN, ep_waiter_join(&w));
	close(ep);
	close(ch);
}

TEST(edge_triggered_epollout_after_full)
{
	int ch = kt_make(1, 8, 0);
	int ep = ep_new(ch, EPOLLOUT | EPOLLET);
	struct ep_waiter w;
	char m[8];

	ASSERT_LE(0, ep);
	EXPECT_EQ(EPOLLOUT, ep_wait(ep, 0));
	EXPECT_EQ(0, ep_wait(ep, 0));
	ASSERT_EQ(0, kchan_send(ch, "a", 1));
	EXPECT_EQ(0, ep_wait(ep, 0));
	ep_waiter_start(&w, ep);
	ASSERT_EQ(1, kchan_recv(ch, m, sizeof(m)));
	EXPECT_EQ(EPOLLOUT, ep_waiter_join(&w));
	close(ep);
	close(ch);
}

TEST(unbuffered_epoll_wakes_when_peer_parks)
{
	int ch = kt_make(0, 8, 0);
	int epin = ep_new(ch, EPOLLIN);
	int epout = ep_new(ch, EPOLLOUT | EPOLLET);
	struct ep_waiter w;
	struct kt_async a;
	char m[8];

	ASSERT_LE(0, epin);
	ASSERT_LE(0, epout);
	ep_waiter_start(&w, epin);
	kt_async_start(&a, ch, KT_SEND, "p", 1);
	EXPECT_EQ(EPOLLIN, ep_waiter_join(&w));
	EXPECT_EQ(1, kchan_recv(ch, m, sizeof(m)));
	EXPECT_EQ(0, kt_async_join(&a));

	ep_waiter_start(&w, epout);
	kt_async_start(&a, ch, KT_RECV, NULL, 8);
	EXPECT_EQ(EPOLLOUT, ep_waiter_join(&w));
	EXPECT_EQ(0, kchan_send(ch, "q", 1));
	EXPECT_EQ(1, kt_async_join(&a));
	close(epin);
	close(epout);
	close(ch);
}

TEST(close_wakes_epoll_with_hup)
{
	int ch = kt_make(0, 8, 0);
	int ep = ep_new(ch, EPOLLIN | EPOLLET);
	struct ep_waiter w;

	ASSERT_LE(0, ep);
	ep_waiter_start(&w, ep);
	ASSERT_EQ(0, kchan_close(ch));
	EXPECT_EQ(EPOLLIN | EPOLLHUP, ep_waiter_join(&w) & ~EPOLLOUT);
	close(ep);
	close(ch);
}

TEST(no_receiver_wakes_send_end_with_err)
{
	int ch = kt_make(0, 8, 0);
	int s = kt_open_end(ch, KCHAN_SEND_END, 0);
	int r = kt_open_end(ch, KCHAN_RECV_END, 0);
	int ep = ep_new(s, EPOLLOUT);
	struct ep_waiter w;

	ASSERT_LE(0, ep);
	close(ch);
	ep_waiter_start(&w, ep);
	close(r);
	EXPECT_TRUE(ep_waiter_join(&w) & EPOLLERR);
	EXPECT_TRUE(revents(s, POLLOUT) & POLLERR);
	close(ep);
	close(s);
}

TEST(poll_many_channels_one_ready)
{
	struct pollfd pfd[16];
	unsigned int i;
	int ready = 11;

	for (i = 0; i < ARRAY_SIZE(pfd); i++) {
		pfd[i].fd = kt_make(1, 8, 0);
		pfd[i].events = POLLIN;
	}
	ASSERT_EQ(0, kchan_send(pfd[ready].fd, "x", 1));
	ASSERT_EQ(1, poll(pfd, ARRAY_SIZE(pfd), 1000));
	for (i = 0; i < ARRAY_SIZE(pfd); i++) {
		EXPECT_EQ(i == (unsigned int)ready ? POLLIN : 0, pfd[i].revents);
		close(pfd[i].fd);
	}
}

TEST_HARNESS_MAIN
