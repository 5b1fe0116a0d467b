// SPDX-License-Identifier: GPL-2.0
/*
 * KCHAN_OP_POLL cases: any pollable fd (eventfd, timerfd, pipe, socket,
 * a channel) next to channel cases.  res is the fd's readiness masked to
 * the events asked for, plus POLLERR and POLLHUP; the fd itself is never
 * read.  A poll case wakes a parked select, and a wake-up that lands while
 * the select is still looking at its cases is not lost.
 */
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>

#include "select_util.h"

#define MS	KT_NSEC_PER_MSEC

static uint64_t efd_count(int efd)
{
	uint64_t v = 0;

	if (read(efd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

TEST(eventfd_cancels_a_parked_select)
{
	int ch = kt_make(0, 8, 0), efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct kchan_case c[2];
	struct sel_async a;
	uint64_t one = 1;
	char b[8];

	ASSERT_LE(0, efd);
	c[0] = sel_recv(ch, b, sizeof(b));
	c[1] = sel_poll(efd, POLLIN);
	sel_async_park(&a, c, 2, ch, 0, 1);
	ASSERT_EQ(8, write(efd, &one, sizeof(one)));
	EXPECT_EQ(1, sel_async_join(&a));
	EXPECT_EQ(POLLIN, c[1].res);
	sel_check_untouched(c, 2, 1);
	/* The select left the channel, and did not read the eventfd. */
	EXPECT_EQ(0, kt_wait_waiters(ch, 0, 0));
	EXPECT_EQ(1ULL, efd_count(efd));
	close(efd);
	close(ch);
}

TEST(signalled_eventfd_fires_at_once_and_stays_signalled)
{
	char scratch[8];
	int efd = eventfd(3, EFD_CLOEXEC | EFD_NONBLOCK), ch = kt_make(1, 8, 0);
	struct kchan_case c[2];
	int i;

	ASSERT_LE(0, efd);
	c[0] = sel_recv(ch, scratch, 8);
	c[1] = sel_poll(efd, POLLIN);
	for (i = 0; i < 5; i++) {
		sel_reset(c, 2);
		EXPECT_EQ(1, kchan_select(c, 2, -1, 0));
		EXPECT_EQ(POLLIN, c[1].res);
	}
	EXPECT_EQ(3ULL, efd_count(efd));
	sel_reset(c, 2);
	EXPECT_EQ(-ETIMEDOUT, kchan_select(c, 2, 0, 0));
	close(efd);
	close(ch);
}

TEST(res_is_masked_to_the_events_asked_for)
{
	int efd = eventfd(1, EFD_CLOEXEC);
	struct kchan_case c;

	kt_require_kchan();
	ASSERT_LE(0, efd);
	/* The eventfd is readable and writable: each asks for one. */
	c = sel_poll(efd, POLLIN);
	EXPECT_EQ(0, kchan_select(&c, 1, 0, 0));
	EXPECT_EQ(POLLIN, c.res);
	c = sel_poll(efd, POLLOUT);
	EXPECT_EQ(0, kchan_select(&c, 1, 0, 0));
	EXPECT_EQ(POLLOUT, c.res);
	c = sel_poll(efd, POLLIN | POLLOUT | POLLPRI);
	EXPECT_EQ(0, kchan_select(&c, 1, 0, 0));
	EXPECT_EQ(POLLIN | POLLOUT, c.res);
	/* Asking for nothing but what is not there: never fires. */
	c = sel_poll(efd, POLLPRI);
	EXPECT_EQ(-ETIMEDOUT, kchan_select(&c, 1, 0, 0));
	c = sel_poll(efd, 0);
	EXPECT_EQ(-ETIMEDOUT, kchan_select(&c, 1, 0, 0));
	EXPECT_EQ(SEL_UNTOUCHED, c.res);
	close(efd);
}

TEST(timerfd_bounds_a_select)
{
	int ch = kt_make(0, 8, 0);
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	struct itimerspec its = { .it_value.tv_nsec = 30 * MS };
	struct kchan_case c[2];
	int64_t start;
	char b[8];

	ASSERT_LE(0, tfd);
	c[0] = sel_recv(ch, b, sizeof(b));
	c[1] = sel_poll(tfd, POLLIN);
	start = kt_now_ns();
	ASSERT_EQ(0, timerfd_settime(tfd, 0, &its, NULL));
	EXPECT_EQ(1, kchan_select(c, 2, -1, 0));
	EXPECT_LE(30 * MS, kt_now_ns() - start);
	EXPECT_EQ(POLLIN, c[1].res);
	sel_check_untouched(c, 2, 1);
	EXPECT_EQ(1ULL, efd_count(tfd));	/* one expiry, unread until now */
	EXPECT_EQ(0, kt_wait_waiters(ch, 0, 0));
	close(tfd);
	close(ch);
}

TEST(pipe_read_and_write_ends)
{
	int p[2], ch = kt_make(0, 8, 0);
	struct kchan_case c[3];
	struct sel_async a;
	char b[8];

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	c[0] = sel_recv(ch, b, sizeof(b));
	c[1] = sel_poll(p[0], POLLIN);
	sel_async_park(&a, c, 2, ch, 0, 1);
	ASSERT_EQ(3, write(p[1], "abc", 3));
	EXPECT_EQ(1, sel_async_join(&a));
	EXPECT_EQ(POLLIN, c[1].res);
	/* Never read: the bytes are still in the pipe. */
	EXPECT_EQ(3, read(p[0], b, sizeof(b)));

	c[2] = sel_poll(p[1], POLLOUT);
	sel_reset(c, 2);
	EXPECT_EQ(2, kchan_select(c, 3, -1, 0));
	EXPECT_EQ(POLLOUT, c[2].res);
	sel_check_untouched(c, 3, 2);
	close(p[0]);
	close(p[1]);
	close(ch);
}

TEST(pollhup_when_the_write_end_closes)
{
	char scratch[8];
	int p[2], ch = kt_make(0, 8, 0);
	struct kchan_case c[2];
	struct sel_async a;

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	c[0] = sel_recv(ch, scratch, 8);
	c[1] = sel_poll(p[0], POLLIN);
	sel_async_park(&a, c, 2, ch, 0, 1);
	close(p[1]);
	EXPECT_EQ(1, sel_async_join(&a));
	/* Asked for POLLIN only, and got the hang-up poll(2) would give. */
	EXPECT_EQ(POLLHUP, c[1].res);
	/* POLLHUP comes even when no event was asked for. */
	c[1] = sel_poll(p[0], 0);
	EXPECT_EQ(1, kchan_select(c, 2, 0, 0));
	EXPECT_EQ(POLLHUP, c[1].res);
	close(p[0]);
	close(ch);
}

TEST(pollerr_when_the_read_end_closes)
{
	int p[2];
	struct kchan_case c;

	kt_require_kchan();
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	close(p[0]);
	c = sel_poll(p[1], POLLOUT);
	EXPECT_EQ(0, kchan_select(&c, 1, 0, 0));
	EXPECT_EQ(POLLERR, c.res & POLLERR);
	c = sel_poll(p[1], POLLPRI);
	EXPECT_EQ(0, kchan_select(&c, 1, 0, 0));
	EXPECT_EQ(POLLERR, c.res);
	close(p[1]);
}

TEST(unix_socketpair)
{
	int sv[2], ch = kt_make(0, 8, 0);
	struct kchan_case c[2];
	struct sel_async a;
	char b[8];

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	c[0] = sel_recv(ch, b, sizeof(b));
	c[1] = sel_poll(sv[0], POLLIN | POLLRDHUP);
	sel_async_park(&a, c, 2, ch, 0, 1);
	ASSERT_EQ(4, send(sv[1], "sock", 4, 0));
	EXPECT_EQ(1, sel_async_join(&a));
	EXPECT_EQ(POLLIN, c[1].res);
	EXPECT_EQ(4, recv(sv[0], b, sizeof(b), 0));

	sel_reset(c, 2);
	sel_async_park(&a, c, 2, ch, 0, 1);
	ASSERT_EQ(0, shutdown(sv[1], SHUT_WR));
	EXPECT_EQ(1, sel_async_join(&a));
	EXPECT_EQ(POLLIN | POLLRDHUP, c[1].res);

	c[1] = sel_poll(sv[0], POLLOUT);
	EXPECT_EQ(1, kchan_select(c, 2, 0, 0));
	EXPECT_EQ(POLLOUT, c[1].res);
	close(sv[0]);
	close(sv[1]);
	close(ch);
}

TEST(channel_fd_as_a_poll_case)
{
	int ch = kt_make(1, 8, 0), other = kt_make(0, 8, 0);
	struct kchan_case c[2];
	struct sel_async a;
	char b[8];

	c[0] = sel_recv(other, b, sizeof(b));
	c[1] = sel_poll(ch, POLLIN);
	sel_async_park(&a, c, 2, other, 0, 1);
	ASSERT_EQ(0, kchan_send(ch, "kept", 4));
	EXPECT_EQ(1, sel_async_join(&a));
	EXPECT_EQ(POLLIN, c[1].res);
	/* Readiness only: the message is still there. */
	EXPECT_EQ(1, kchan_len(ch));

	/* Full: not writable; writable again once emptied. */
	c[1] = sel_poll(ch, POLLOUT);
	EXPECT_EQ(-ETIMEDOUT, kchan_select(c, 2, 0, 0));
	EXPECT_EQ(4, kchan_recv(ch, b, sizeof(b)));
	EXPECT_EQ(1, kchan_select(c, 2, 0, 0));
	EXPECT_EQ(POLLOUT, c[1].res);

	/* Closed: POLLHUP, with POLLIN (a receive would not block). */
	c[1] = sel_poll(ch, POLLIN);
	sel_async_park(&a, c, 2, other, 0, 1);
	ASSERT_EQ(0, kchan_close(ch));
	EXPECT_EQ(1, sel_async_join(&a));
	EXPECT_EQ(POLLIN | POLLHUP, c[1].res);
	close(ch);
	close(other);
}

TEST(poll_case_on_a_parked_peer)
{
	/* An unbuffered channel is readable while a sender is parked on it. */
	int ch = kt_make(0, 8, 0), other = kt_make(0, 8, 0);
	struct kchan_case c[2];
	struct sel_async a;
	struct kt_async snd;
	char b[8];

	c[0] = sel_recv(other, b, sizeof(b));
	c[1] = sel_poll(ch, POLLIN);
	sel_async_park(&a, c, 2, other, 0, 1);
	kt_async_start(&snd, ch, KT_SEND, "parked", 6);
	EXPECT_EQ(1, sel_async_join(&a));
	EXPECT_EQ(POLLIN, c[1].res);
	EXPECT_FALSE(kt_async_done(&snd));
	EXPECT_EQ(6, kchan_recv(ch, b, sizeof(b)));
	EXPECT_EQ(0, kt_async_join(&snd));
	close(ch);
	close(other);
}

TEST(channel_and_poll_cases_both_ready)
{
	int ch = kt_make(1, 8, 0), efd = eventfd(1, EFD_CLOEXEC);
	struct kchan_case c[2];
	int seen[2] = { 0, 0 }, i, fired;
	char b[8];

	ASSERT_LE(0, efd);
	for (i = 0; i < 200; i++) {
		if (kchan_len(ch) == 0)
			ASSERT_EQ(0, kchan_send(ch, "m", 1));
		c[0] = sel_recv(ch, b, sizeof(b));
		c[1] = sel_poll(efd, POLLIN);
		fired = kchan_select(c, 2, 0, 0);
		ASSERT_LE(0, fired);
		ASSERT_GT(2, fired);
		seen[fired]++;
		EXPECT_EQ(fired ? POLLIN : 1, c[fired].res);
		sel_check_untouched(c, 2, fired);
	}
	/* Both kinds of case get chosen (each with p = 2^-200 of not). */
	EXPECT_LT(0, seen[0]);
	EXPECT_LT(0, seen[1]);
	close(ch);
	close(efd);
}

struct late_write {
	int efd;
	int64_t delay_ns;
};

static void *late_write_fn(void *arg)
{
	struct late_write *lw = arg;
	int64_t until = kt_now_ns() + lw->delay_ns;
	uint64_t one = 1;

	while (kt_now_ns() < until)
		;
	if (write(lw->efd, &one, sizeof(one)) != sizeof(one))
		return (void *)1;
	return NULL;
}

/*
 * The eventfd is written at every moment of a select's life: before it
 * looks, while it registers and arms, after it sleeps.  It must always
 * wake (a lost wake-up shows as the 10 s timeout).
 */
TEST(poll_wakeup_while_arming_is_not_lost)
{
	int ch = kt_make(0, 8, 0), efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	unsigned int rounds = sel_env("KCHAN_SELECT_POLL_ROUNDS", 300), i;
	struct late_write lw = { .efd = efd };
	struct kchan_case c[2];
	pthread_t t;
	char b[8];
	void *ret;

	ASSERT_LE(0, efd);
	for (i = 0; i < rounds; i++) {
		lw.delay_ns = (i * 7919) % 200000;
		c[0] = sel_recv(ch, b, sizeof(b));
		c[1] = sel_poll(efd, POLLIN);
		ASSERT_EQ(0, pthread_create(&t, NULL, late_write_fn, &lw));
		ASSERT_EQ(1, kchan_select(c, 2, KT_WAIT_NS, 0))
			TH_LOG("round %u, delay %lld ns", i,
			       (long long)lw.delay_ns);
		EXPECT_EQ(POLLIN, c[1].res);
		pthread_join(t, &ret);
		ASSERT_EQ(NULL, ret);
		ASSERT_EQ(1ULL, efd_count(efd));
	}
	EXPECT_EQ(0, kt_wait_waiters(ch, 0, 0));
	close(efd);
	close(ch);
}

struct flicker {
	int p[2];
	atomic_bool stop;
};

/* Makes the pipe readable and at once unreadable again, over and over. */
static void *flicker_fn(void *arg)
{
	struct flicker *f = arg;
	char x = 'x';

	while (!atomic_load(&f->stop)) {
		if (write(f->p[1], &x, 1) != 1 || read(f->p[0], &x, 1) != 1)
			break;
	}
	return NULL;
}

/*
 * A poll case woken by data that someone else then reads must not fire
 * with nothing to report: either it saw POLLIN, or the select goes on
 * waiting and the channel case fires.
 */
TEST(poll_woken_but_no_longer_ready_keeps_waiting)
{
	int ch = kt_make(1, 8, 0);
	struct flicker f = { };
	struct kchan_case c[2];
	int i, fired, polled = 0;
	pthread_t t;
	char b[8];

	ASSERT_EQ(0, pipe2(f.p, O_CLOEXEC));
	ASSERT_EQ(0, pthread_create(&t, NULL, flicker_fn, &f));
	for (i = 0; i < 200; i++) {
		c[0] = sel_recv(ch, b, sizeof(b));
		c[1] = sel_poll(f.p[0], POLLIN);
		if (i % 2)
			ASSERT_EQ(0, kchan_send(ch, "m", 1));
		fired = kchan_select(c, 2, KT_WAIT_NS, 0);
		ASSERT_LE(0, fired) TH_LOG("round %d", i);
		if (fired == 1) {
			EXPECT_EQ(POLLIN, c[1].res);
			polled++;
		} else {
			EXPECT_EQ(1, c[0].res);
		}
		sel_check_untouched(c, 2, fired);
		if (fired == 1 && i % 2)
			ASSERT_EQ(1, kchan_recv(ch, b, sizeof(b)));
	}
	atomic_store(&f.stop, true);
	pthread_join(t, NULL);
	TH_LOG("%d of 200 selects fired on the pipe", polled);
	close(f.p[0]);
	close(f.p[1]);
	close(ch);
}

TEST(many_poll_cases)
{
	char scratch[8];
	enum { N = 40 };
	int efd[N], ch = kt_make(0, 8, 0), i;
	struct kchan_case c[N + 1];
	struct sel_async a;
	uint64_t one = 1;

	for (i = 0; i < N; i++) {
		efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		ASSERT_LE(0, efd[i]);
		c[i] = sel_poll(efd[i], POLLIN);
	}
	c[N] = sel_recv(ch, scratch, 8);
	sel_async_park(&a, c, N + 1, ch, 0, 1);
	ASSERT_EQ(8, write(efd[N - 3], &one, sizeof(one)));
	EXPECT_EQ(N - 3, sel_async_join(&a));
	EXPECT_EQ(POLLIN, c[N - 3].res);
	sel_check_untouched(c, N + 1, N - 3);
	for (i = 0; i < N; i++)
		close(efd[i]);
	close(ch);
}

TEST(bad_poll_cases)
{
	char scratch[8];
	int mfd = memfd_create("kchan-select-poll", MFD_CLOEXEC);
	int efd = eventfd(1, EFD_CLOEXEC), ch = kt_make(1, 8, 0);
	struct kchan_case c[2];

	ASSERT_LE(0, mfd);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, kchan_send(ch, "m", 1));
	c[0] = sel_recv(ch, scratch, 8);
	/* A regular file has no ->poll: refused, not "always ready". */
	c[1] = sel_poll(mfd, POLLIN);
	EXPECT_EQ(-EINVAL, kchan_select(c, 2, 0, 0));
	c[1] = sel_poll(efd, 0x10000 | POLLIN);
	EXPECT_EQ(-EINVAL, kchan_select(c, 2, 0, 0));
	c[1] = sel_poll(-7, POLLIN);
	EXPECT_EQ(-EBADF, kchan_select(c, 2, 0, 0));
	sel_check_untouched(c, 2, -1);
	EXPECT_EQ(1, kchan_len(ch));
	/* Good: the eventfd, asked for within 16 bits. */
	c[1] = sel_poll(efd, POLLIN);
	EXPECT_LE(0, kchan_select(c, 2, 0, 0));
	close(mfd);
	close(efd);
	close(ch);
}

TEST_HARNESS_MAIN
