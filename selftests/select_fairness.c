// SPDX-License-Identifier: GPL-2.0
/*
 * Fairness: among ready cases kchan_select() picks uniformly at random
 * (Go's pollorder).  Pearson's chi-square over >= 20,000 selects must
 * accept uniformity at p > 0.001; cases that are not ready never fire;
 * KCHAN_SELECT_ORDERED always picks the first ready case.
 *
 * Critical values of chi-square at p = 0.001 (upper tail):
 *   df = 3: 16.266, df = 7: 24.322, df = 15: 37.697.
 */
#include <sys/eventfd.h>

#include "select_util.h"

static unsigned int rounds(void)
{
	unsigned long n = sel_env("KCHAN_SELECT_FAIRNESS_ROUNDS", 20000);

	return n < 20000 ? 20000 : n;
}

static double chi_square(const unsigned int *seen, unsigned int k,
			 unsigned int total)
{
	double expect = (double)total / k, chi = 0;
	unsigned int i;

	for (i = 0; i < k; i++)
		chi += (seen[i] - expect) * (seen[i] - expect) / expect;
	return chi;
}

static double critical(unsigned int df)
{
	switch (df) {
	case 3:
		return 16.266;
	case 7:
		return 24.322;
	case 15:
		return 37.697;
	}
	return 0;
}

static void log_counts(struct __test_metadata *_metadata,
		       const unsigned int *seen, unsigned int k, double chi)
{
	char line[512];
	unsigned int i;
	int off = 0;

	for (i = 0; i < k && off < (int)sizeof(line) - 12; i++)
		off += snprintf(line + off, sizeof(line) - off, " %u", seen[i]);
	TH_LOG("counts:%s; chi-square %.2f (df %u, critical %.2f)", line, chi,
	       k - 1, critical(k - 1));
}

/* Puts @n empty messages into signal-only channel @ch, 1024 per call. */
static void fill(struct __test_metadata *_metadata, int ch, unsigned int n)
{
	static struct kchan_msg none[KCHAN_VEC_MAX];
	unsigned int done, k;

	for (done = 0; done < n; done += k) {
		k = n - done < KCHAN_VEC_MAX ? n - done : KCHAN_VEC_MAX;
		ASSERT_EQ((int)k, kchan_sendv(ch, none, k));
	}
}

/*
 * Slow kernels (lockdep, KASAN, under TCG) take minutes for what takes
 * seconds elsewhere: these tests get a longer timeout than the harness's.
 */
FIXTURE(fair)
{
};

FIXTURE_SETUP(fair)
{
}

FIXTURE_TEARDOWN(fair)
{
}

#define FAIR_TIMEOUT	300

/*
 * @k always-ready receive cases (each channel holds a message for every
 * round): the fired index must be uniform.
 */
static void uniform_recv(struct __test_metadata *_metadata, unsigned int k)
{
	unsigned int n = rounds(), seen[16] = { 0 }, i;
	struct kchan_case c[16];
	int ch[16], fired;
	double chi;

	for (i = 0; i < k; i++) {
		ch[i] = kt_make(n, 0, 0);
		fill(_metadata, ch[i], n);
		c[i] = sel_recv(ch[i], NULL, 0);
	}
	for (i = 0; i < n; i++) {
		fired = kchan_select(c, k, 0, 0);
		ASSERT_LE(0, fired);
		ASSERT_GT((int)k, fired);
		ASSERT_EQ(0, c[fired].res);
		c[fired].res = SEL_UNTOUCHED;
		seen[fired]++;
	}
	sel_check_untouched(c, k, -1);
	chi = chi_square(seen, k, n);
	log_counts(_metadata, seen, k, chi);
	EXPECT_GT(critical(k - 1), chi);
	for (i = 0; i < k; i++)
		close(ch[i]);
}

TEST_F_TIMEOUT(fair, uniform_over_4_ready_channels, FAIR_TIMEOUT)
{
	uniform_recv(_metadata, 4);
}

TEST_F_TIMEOUT(fair, uniform_over_16_ready_channels, FAIR_TIMEOUT)
{
	uniform_recv(_metadata, 16);
}

/*
 * Four ready cases of four kinds -- receive, send, poll, and a receive
 * from a closed channel -- among four that can never fire.
 */
TEST_F_TIMEOUT(fair, uniform_over_mixed_kinds_not_ready_never_fire,
	       FAIR_TIMEOUT)
{
	int recv_ch = kt_make(1, 8, 0), send_ch = kt_make(1, 8, 0);
	int closed = kt_make(0, 8, 0), empty = kt_make(0, 8, 0);
	int full = kt_make(1, 8, 0), efd = eventfd(1, EFD_CLOEXEC);
	int silent = eventfd(0, EFD_CLOEXEC);
	unsigned int n = rounds(), seen[8] = { 0 }, ready[4], i;
	struct kchan_case c[8];
	int fired;
	double chi;
	char b[8];

	ASSERT_LE(0, efd);
	ASSERT_LE(0, silent);
	ASSERT_EQ(0, kchan_send(recv_ch, "r", 1));
	ASSERT_EQ(0, kchan_send(full, "f", 1));
	ASSERT_EQ(0, kchan_close(closed));
	c[0] = sel_recv(empty, b, sizeof(b));
	c[1] = sel_recv(recv_ch, b, sizeof(b));
	c[2] = sel_send(full, "x", 1);
	c[3] = sel_send(send_ch, "s", 1);
	c[4] = sel_poll(silent, POLLIN);
	c[5] = sel_poll(efd, POLLIN);
	c[6] = sel_recv(-1, b, sizeof(b));
	c[7] = sel_recv(closed, b, sizeof(b));
	for (i = 0; i < n; i++) {
		fired = kchan_select(c, 8, 0, 0);
		ASSERT_TRUE(fired == 1 || fired == 3 || fired == 5 ||
			    fired == 7) TH_LOG("fired %d", fired);
		seen[fired]++;
		c[fired].res = SEL_UNTOUCHED;
		/* Make the fired case ready again. */
		switch (fired) {
		case 1:
			ASSERT_EQ(0, kchan_send(recv_ch, "r", 1));
			break;
		case 3:
			ASSERT_EQ(1, kchan_recv(send_ch, b, sizeof(b)));
			break;
		}
	}
	sel_check_untouched(c, 8, -1);
	for (i = 0; i < 4; i++)
		ready[i] = seen[2 * i + 1];
	chi = chi_square(ready, 4, n);
	log_counts(_metadata, ready, 4, chi);
	EXPECT_GT(critical(3), chi);
	close(recv_ch);
	close(send_ch);
	close(closed);
	close(empty);
	close(full);
	close(efd);
	close(silent);
}

/* A channel named in two cases of four gets half of the choices. */
TEST_F_TIMEOUT(fair, a_repeated_channel_counts_once_per_case, FAIR_TIMEOUT)
{
	unsigned int n = rounds(), seen[4] = { 0 }, i;
	int a = kt_make(n, 0, 0), b = kt_make(n, 0, 0), c_ch = kt_make(n, 0, 0);
	struct kchan_case c[4];
	int fired, ch[4];
	double chi;

	ch[0] = a;
	ch[1] = b;
	ch[2] = a;
	ch[3] = c_ch;
	fill(_metadata, a, n);
	fill(_metadata, b, n);
	fill(_metadata, c_ch, n);
	for (i = 0; i < 4; i++)
		c[i] = sel_recv(ch[i], NULL, 0);
	for (i = 0; i < n; i++) {
		fired = kchan_select(c, 4, 0, 0);
		ASSERT_LE(0, fired);
		seen[fired]++;
		c[fired].res = SEL_UNTOUCHED;
	}
	chi = chi_square(seen, 4, n);
	log_counts(_metadata, seen, 4, chi);
	EXPECT_GT(critical(3), chi);
	close(a);
	close(b);
	close(c_ch);
}

TEST(ordered_picks_the_first_ready_case)
{
	enum { K = 8 };
	int ch[K], i, j, fired;
	struct kchan_case c[K];
	char b[K][8];

	for (i = 0; i < K; i++)
		ch[i] = kt_make(1, 8, 0);
	/* Cases 0..first-1 empty, first..K-1 ready: first always wins. */
	for (i = K - 1; i >= 0; i--) {
		ASSERT_EQ(0, kchan_send(ch[i], "m", 1));
		for (j = 0; j < 500; j++) {
			int k;

			for (k = 0; k < K; k++)
				c[k] = sel_recv(ch[k], b[k], sizeof(b[k]));
			fired = kchan_select(c, K, 0, KCHAN_SELECT_ORDERED);
			ASSERT_EQ(i, fired);
			ASSERT_EQ(1, c[i].res);
			sel_check_untouched(c, K, i);
			ASSERT_EQ(0, kchan_send(ch[i], "m", 1));
		}
	}
	/* Nil and poll cases keep their place in the order too. */
	c[0] = sel_recv(-1, b[0], 8);
	c[1] = sel_poll(ch[3], POLLIN);
	c[2] = sel_recv(ch[2], b[2], 8);
	EXPECT_EQ(1, kchan_select(c, 3, 0, KCHAN_SELECT_ORDERED));
	EXPECT_EQ(1, kchan_len(ch[3]));
	/* Bad input: ORDERED with an unknown flag. */
	EXPECT_EQ(-EINVAL, kchan_select(c, 3, 0, KCHAN_SELECT_ORDERED | 0x8));
	for (i = 0; i < K; i++)
		close(ch[i]);
}

/* ORDERED chooses by array order among parked waiters' channels too. */
TEST(ordered_with_many_ready_chooses_by_position_not_time)
{
	int first = kt_make(1, 8, 0), second = kt_make(1, 8, 0);
	struct kchan_case c[2];
	char b[8];
	int i;

	for (i = 0; i < 100; i++) {
		/* The second channel became ready earlier. */
		ASSERT_EQ(0, kchan_send(second, "2", 1));
		ASSERT_EQ(0, kchan_send(first, "1", 1));
		c[0] = sel_recv(first, b, sizeof(b));
		c[1] = sel_recv(second, b, sizeof(b));
		ASSERT_EQ(0, kchan_select(c, 2, 0, KCHAN_SELECT_ORDERED));
		ASSERT_EQ('1', b[0]);
		ASSERT_EQ(1, kchan_recv(second, b, sizeof(b)));
	}
	close(first);
	close(second);
}

/* Which of two selects returned first; -1 if neither does in time. */
static int first_done(struct sel_async *a)
{
	int64_t end = kt_now_ns() + KT_WAIT_NS;

	while (kt_now_ns() < end) {
		if (sel_async_done(&a[0]))
			return 0;
		if (sel_async_done(&a[1]))
			return 1;
		kt_sleep_ms(1);
	}
	return -1;
}

/*
 * Two parked selects and a stream of messages on one channel: the waiter
 * FIFO alternates them, and neither starves.
 */
TEST(parked_selects_share_a_channel)
{
	int ch = kt_make(0, 4, 0), i;
	unsigned int per[2] = { 0, 0 };
	struct kchan_case c[2];
	struct sel_async a[2];
	uint32_t buf[2];
	uint32_t v;

	for (i = 0; i < 2; i++) {
		c[i] = sel_recv(ch, &buf[i], sizeof(buf[i]));
		sel_async_start(&a[i], &c[i], 1, -1, 0);
		ASSERT_EQ(0, kt_wait_waiters(ch, 0, i + 1));
	}
	for (v = 0; v < 400; v++) {
		ASSERT_EQ(0, kchan_send(ch, &v, sizeof(v)));
		i = first_done(a);
		ASSERT_LE(0, i);
		ASSERT_EQ(0, sel_async_join(&a[i]));
		ASSERT_EQ(v, buf[i]);
		per[i]++;
		c[i].res = SEL_UNTOUCHED;
		sel_async_start(&a[i], &c[i], 1, -1, 0);
		ASSERT_EQ(0, kt_wait_waiters(ch, 0, 2));
	}
	TH_LOG("select 0 got %u, select 1 got %u", per[0], per[1]);
	EXPECT_EQ(200U, per[0]);
	EXPECT_EQ(200U, per[1]);
	EXPECT_EQ(0, kchan_close(ch));
	EXPECT_EQ(0, sel_async_join(&a[0]));
	EXPECT_EQ(0, sel_async_join(&a[1]));
	close(ch);
}

TEST_HARNESS_MAIN
