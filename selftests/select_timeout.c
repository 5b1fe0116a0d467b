// SPDX-License-Identifier: GPL-2.0
/*
 * kchan_select() timeouts: relative, or absolute on CLOCK_MONOTONIC with
 * KCHAN_ABSTIME; negative waits forever; 0 or a deadline already past
 * gives -ETIMEDOUT at once when nothing is ready, and still fires a ready
 * case; KCHAN_SELECT_NOWAIT wins over any timeout.  A timeout is never cut
 * short (only "at least" is checked: under TCG anything may be late), and
 * a select that timed out leaves nothing behind on its channels.
 */
#include <sys/eventfd.h>

#include "select_util.h"

#define MS	KT_NSEC_PER_MSEC

TEST(relative_timeout_when_nothing_is_ready)
{
	int ch = kt_make(0, 8, 0), buf = kt_make(1, 8, 0);
	struct kchan_case c[3];
	int64_t start, took;
	char b[8];

	ASSERT_EQ(0, kchan_send(buf, "full", 4));
	c[0] = sel_recv(ch, b, sizeof(b));
	c[1] = sel_send(ch, "x", 1);
	c[2] = sel_send(buf, "x", 1);
	start = kt_now_ns();
	EXPECT_EQ(-ETIMEDOUT, kchan_select(c, 3, 50 * MS, 0));
	took = kt_now_ns() - start;
	EXPECT_LE(50 * MS, took);
	sel_check_untouched(c, 3, -1);
	EXPECT_EQ(0, kt_wait_waiters(ch, 0, 0));
	EXPECT_EQ(0, kt_wait_waiters(buf, 0, 0));
	EXPECT_EQ(1, kchan_len(buf));
	EXPECT_EQ(-EAGAIN, kchan_try_recv(ch, b, sizeof(b)));
	close(ch);
	close(buf);
}

TEST(relative_timeout_is_never_early)
{
	char scratch[8];
	static const int64_t timeouts[] = {
		1, 1000, 100000, 1 * MS, 2 * MS, 3 * MS, 5 * MS, 10 * MS,
	};
	int ch = kt_make(0, 8, 0);
	struct kchan_case c = sel_recv(ch, scratch, 8);
	int64_t start, took;
	unsigned int i, round;

	for (round = 0; round < 4; round++) {
		for (i = 0; i < ARRAY_SIZE(timeouts); i++) {
			start = kt_now_ns();
			ASSERT_EQ(-ETIMEDOUT, kchan_select(&c, 1, timeouts[i], 0));
			took = kt_now_ns() - start;
			EXPECT_LE(timeouts[i], took)
				TH_LOG("timeout %lld ns returned after %lld ns",
				       (long long)timeouts[i], (long long)took);
		}
	}
	EXPECT_EQ(SEL_UNTOUCHED, c.res);
	close(ch);
}

TEST(absolute_deadline_on_clock_monotonic)
{
	char scratch[8];
	int ch = kt_make(0, 8, 0);
	struct kchan_case c = sel_recv(ch, scratch, 8);
	int64_t deadline, now;
	int i;

	for (i = 0; i < 20; i++) {
		deadline = kt_now_ns() + (i % 5 + 1) * MS;
		ASSERT_EQ(-ETIMEDOUT, kchan_select(&c, 1, deadline,
						   KCHAN_ABSTIME));
		now = kt_now_ns();
		EXPECT_LE(deadline, now)
			TH_LOG("deadline %lld ns, returned at %lld ns",
			       (long long)deadline, (long long)now);
	}
	/* Relative to CLOCK_MONOTONIC: a later deadline waits longer. */
	deadline = kt_now_ns() + 100 * MS;
	EXPECT_EQ(-ETIMEDOUT, kchan_select(&c, 1, deadline, KCHAN_ABSTIME));
	EXPECT_LE(deadline, kt_now_ns());
	EXPECT_EQ(SEL_UNTOUCHED, c.res);
	EXPECT_EQ(0, kt_wait_waiters(ch, 0, 0));
	close(ch);
}

TEST(zero_timeout)
{
	int ch = kt_make(1, 8, 0);
	struct kchan_case c[2];
	char b[8];

	c[0] = sel_recv(ch, b, sizeof(b));
	c[1] = sel_recv(-1, b, sizeof(b));
	EXPECT_EQ(-ETIMEDOUT, kchan_select(c, 2, 0, 0));
	sel_check_untouched(c, 2, -1);
	EXPECT_EQ(0, kt_wait_waiters(ch, 0, 0));

	/* A ready case still fires: 0 means "do not wait", not "fail". */
	ASSERT_EQ(0, kchan_send(ch, "now", 3));
	EXPECT_EQ(0, kchan_select(c, 2, 0, 0));
	EXPECT_EQ(3, c[0].res);
	sel_check_untouched(c, 2, 0);
	close(ch);
}

TEST(deadline_in_the_past)
{
	const int64_t past[] = { 0, 1, kt_now_ns() - KT_NSEC_PER_SEC,
				 kt_now_ns() };
	int ch = kt_make(1, 8, 0);
	struct kchan_case c;
	unsigned int i;
	char b[8];

	for (i = 0; i < ARRAY_SIZE(past); i++) {
		c = sel_recv(ch, b, sizeof(b));
		EXPECT_EQ(-ETIMEDOUT, kchan_select(&c, 1, past[i],
						   KCHAN_ABSTIME));
		EXPECT_EQ(SEL_UNTOUCHED, c.res);
		ASSERT_EQ(0, kchan_send(ch, "late", 4));
		EXPECT_EQ(0, kchan_select(&c, 1, past[i], KCHAN_ABSTIME));
		EXPECT_EQ(4, c.res);
	}
	EXPECT_EQ(0, kt_wait_waiters(ch, 0, 0));
	close(ch);
}

TEST(nowait_wins_over_any_timeout)
{
	int ch = kt_make(1, 8, 0);
	struct kchan_case c;
	int64_t start;
	char b[8];

	c = sel_recv(ch, b, sizeof(b));
	start = kt_now_ns();
	EXPECT_EQ(-EAGAIN, kchan_select(&c, 1, 5 * KT_NSEC_PER_SEC,
					KCHAN_SELECT_NOWAIT));
	EXPECT_EQ(-EAGAIN, kchan_select(&c, 1, -1, KCHAN_SELECT_NOWAIT));
	EXPECT_EQ(-EAGAIN, kchan_select(&c, 1, 0, KCHAN_SELECT_NOWAIT));
	EXPECT_EQ(-EAGAIN, kchan_select(&c, 1, 0, KCHAN_SELECT_NOWAIT |
					KCHAN_ABSTIME));
	EXPECT_EQ(-EAGAIN, kchan_select(&c, 1, kt_now_ns() + KT_NSEC_PER_SEC,
					KCHAN_SELECT_NOWAIT | KCHAN_ABSTIME));
	/* Not one of these waited for its timeout. */
	EXPECT_GT(KT_NSEC_PER_SEC, kt_now_ns() - start);
	EXPECT_EQ(SEL_UNTOUCHED, c.res);

	ASSERT_EQ(0, kchan_send(ch, "ready", 5));
	EXPECT_EQ(0, kchan_select(&c, 1, 5 * KT_NSEC_PER_SEC,
				  KCHAN_SELECT_NOWAIT));
	EXPECT_EQ(5, c.res);
	close(ch);
}

/* A select that must wait until a message comes, however its timeout reads. */
static void waits_for_message(struct __test_metadata *_metadata,
			      int64_t timeout_ns, unsigned int flags)
{
	int ch = kt_make(0, 8, 0);
	char b[8];
	struct kchan_case c = sel_recv(ch, b, sizeof(b));
	struct sel_async a;

	sel_async_start(&a, &c, 1, timeout_ns, flags);
	ASSERT_EQ(0, kt_wait_waiters(ch, 0, 1));
	kt_sleep_ms(100);
	EXPECT_FALSE(sel_async_done(&a)) TH_LOG("returned %d", a.ret);
	EXPECT_EQ(0, kchan_send(ch, "woke", 4));
	EXPECT_EQ(0, sel_async_join(&a));
	EXPECT_EQ(4, c.res);
	EXPECT_EQ(0, memcmp(b, "woke", 4));
	close(ch);
}

TEST(negative_timeout_waits_forever)
{
	waits_for_message(_metadata, -1, 0);
	waits_for_message(_metadata, INT64_MIN, 0);
	waits_for_message(_metadata, -1, KCHAN_ABSTIME);
}

TEST(huge_timeout_does_not_overflow)
{
	waits_for_message(_metadata, INT64_MAX, 0);
	waits_for_message(_metadata, INT64_MAX - 1, 0);
	waits_for_message(_metadata, INT64_MAX, KCHAN_ABSTIME);
}

TEST(message_before_the_deadline_wins)
{
	int ch = kt_make(0, 8, 0);
	char b[8];
	struct kchan_case c = sel_recv(ch, b, sizeof(b));
	struct sel_async a;

	sel_async_start(&a, &c, 1, 20 * KT_NSEC_PER_SEC, 0);
	ASSERT_EQ(0, kt_wait_waiters(ch, 0, 1));
	EXPECT_EQ(0, kchan_send(ch, "in", 2));
	EXPECT_EQ(0, sel_async_join(&a));
	EXPECT_EQ(2, c.res);
	EXPECT_GT(20 * KT_NSEC_PER_SEC, a.elapsed_ns);

	sel_async_start(&a, &c, 1, kt_now_ns() + 20 * KT_NSEC_PER_SEC,
			KCHAN_ABSTIME);
	ASSERT_EQ(0, kt_wait_waiters(ch, 0, 1));
	EXPECT_EQ(0, kchan_send(ch, "in2", 3));
	EXPECT_EQ(0, sel_async_join(&a));
	EXPECT_EQ(3, c.res);
	close(ch);
}

TEST(timed_out_send_sends_nothing)
{
	int un = kt_make(0, 8, 0), full = kt_make(1, 8, 0);
	struct kchan_case c[2];
	char b[8];

	ASSERT_EQ(0, kchan_send(full, "old", 3));
	c[0] = sel_send(un, "new", 3);
	c[1] = sel_send(full, "new", 3);
	EXPECT_EQ(-ETIMEDOUT, kchan_select(c, 2, 20 * MS, 0));
	sel_check_untouched(c, 2, -1);
	EXPECT_EQ(0, kt_wait_waiters(un, 0, 0));
	EXPECT_EQ(0, kt_wait_waiters(full, 0, 0));
	EXPECT_EQ(-EAGAIN, kchan_try_recv(un, b, sizeof(b)));
	EXPECT_EQ(3, kchan_try_recv(full, b, sizeof(b)));
	EXPECT_EQ(0, memcmp(b, "old", 3));
	EXPECT_EQ(-EAGAIN, kchan_try_recv(full, b, sizeof(b)));
	close(un);
	close(full);
}

TEST(timeout_with_only_nil_and_poll_cases)
{
	int efd = eventfd(0, EFD_CLOEXEC);
	struct kchan_case c[2];
	int64_t start;
	uint64_t v = 1;

	kt_require_kchan();
	ASSERT_LE(0, efd);
	c[0] = sel_send(-1, "x", 1);
	c[1] = sel_poll(efd, POLLIN);
	start = kt_now_ns();
	EXPECT_EQ(-ETIMEDOUT, kchan_select(c, 2, 30 * MS, 0));
	EXPECT_LE(30 * MS, kt_now_ns() - start);
	start = kt_now_ns();
	EXPECT_EQ(-ETIMEDOUT, kchan_select(c, 1, 30 * MS, 0));
	EXPECT_LE(30 * MS, kt_now_ns() - start);
	sel_check_untouched(c, 2, -1);

	ASSERT_EQ(8, write(efd, &v, sizeof(v)));
	EXPECT_EQ(1, kchan_select(c, 2, 30 * MS, 0));
	EXPECT_EQ(POLLIN, c[1].res);
	close(efd);
}

TEST(unknown_flag_next_to_timeout_flags)
{
	char scratch[8];
	int ch = kt_make(1, 8, 0);
	struct kchan_case c = sel_recv(ch, scratch, 8);

	ASSERT_EQ(0, kchan_send(ch, "m", 1));
	EXPECT_EQ(-EINVAL, kchan_select(&c, 1, 0, KCHAN_ABSTIME | 0x8));
	EXPECT_EQ(-EINVAL, kchan_select(&c, 1, 10 * MS,
					KCHAN_SELECT_NOWAIT | 0x40));
	EXPECT_EQ(SEL_UNTOUCHED, c.res);
	EXPECT_EQ(1, kchan_len(ch));
	EXPECT_EQ(0, kchan_select(&c, 1, 0, KCHAN_ABSTIME));
	close(ch);
}

TEST_HARNESS_MAIN
