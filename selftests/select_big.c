// SPDX-License-Identifier: GPL-2.0
/*
 * Big selects: 1024 and KCHAN_SELECT_MAX cases over as many channels, one
 * of them ready, or none until a peer comes; many poll cases; two selects
 * naming the same channels in opposite orders (Go's lockorder keeps them
 * from deadlocking).  One case more than KCHAN_SELECT_MAX is -EINVAL, and
 * a select whose send cases add up to more than the kernel can stage
 * fails cleanly, without a kernel warning.
 */
#include <sys/eventfd.h>

#include "select_util.h"

struct big {
	unsigned int n;		/* cases */
	unsigned int nch;	/* distinct channels; case i uses i % nch */
	int *ch;
	struct kchan_case *c;
	uint32_t *buf;
};

/* @n receive cases over @n channels, or as many as RLIMIT_NOFILE allows. */
static void big_init(struct __test_metadata *_metadata, struct big *b,
		     unsigned int n)
{
	rlim_t lim = sel_raise_nofile(n + 64);
	unsigned int i;

	b->n = n;
	b->nch = lim >= n + 64 ? n : lim - 64;
	if (b->nch != n)
		TH_LOG("RLIMIT_NOFILE %llu: %u cases over %u channels",
		       (unsigned long long)lim, n, b->nch);
	b->ch = calloc(b->nch, sizeof(*b->ch));
	b->c = calloc(n, sizeof(*b->c));
	b->buf = calloc(n, sizeof(*b->buf));
	ASSERT_TRUE(b->ch && b->c && b->buf);
	for (i = 0; i < b->nch; i++)
		b->ch[i] = kt_make(1, sizeof(uint32_t), KCHAN_CLOEXEC);
	for (i = 0; i < n; i++)
		b->c[i] = sel_recv(b->ch[i % b->nch], &b->buf[i],
				   sizeof(b->buf[i]));
}

static void big_free(struct big *b)
{
	unsigned int i;

	for (i = 0; i < b->nch; i++)
		close(b->ch[i]);
	free(b->ch);
	free(b->c);
	free(b->buf);
}

/* No case but @fired written, and no waiter left on any channel. */
static void big_check(struct __test_metadata *_metadata, struct big *b,
		      int fired)
{
	struct kchan_info info;
	unsigned int i, stale = 0;

	EXPECT_EQ(fired < 0 ? 0U : 1U, sel_count_written(b->c, b->n));
	for (i = 0; i < b->nch; i++) {
		ASSERT_EQ(0, kchan_info(b->ch[i], &info));
		stale += info.recv_waiters + info.send_waiters;
	}
	EXPECT_EQ(0U, stale);
}

static void one_ready(struct __test_metadata *_metadata, unsigned int n)
{
	const unsigned int where[] = { 0, 1, n / 2, n - 2, n - 1 };
	struct big b;
	unsigned int i;
	uint32_t v;
	int fired;

	big_init(_metadata, &b, n);
	for (i = 0; i < ARRAY_SIZE(where); i++) {
		unsigned int k = where[i] % b.nch;

		v = 0xb16 + i;
		sel_reset(b.c, n);
		ASSERT_EQ(0, kchan_send(b.ch[k], &v, sizeof(v)));
		fired = kchan_select(b.c, n, -1, 0);
		ASSERT_LE(0, fired);
		EXPECT_EQ(k, fired % b.nch);
		EXPECT_EQ(4, b.c[fired].res);
		EXPECT_EQ(v, b.buf[fired]);
		big_check(_metadata, &b, fired);
	}
	/* Nothing ready: all n cases park and time out cleanly. */
	sel_reset(b.c, n);
	EXPECT_EQ(-ETIMEDOUT, kchan_select(b.c, n, 10 * KT_NSEC_PER_MSEC, 0));
	big_check(_metadata, &b, -1);
	EXPECT_EQ(-EAGAIN, kchan_select(b.c, n, -1, KCHAN_SELECT_NOWAIT));
	big_free(&b);
}

TEST(n_1024_one_ready)
{
	one_ready(_metadata, 1024);
}

TEST(n_max_one_ready)
{
	one_ready(_metadata, KCHAN_SELECT_MAX);
}

static void parked_then_one(struct __test_metadata *_metadata, unsigned int n)
{
	struct sel_async a;
	struct big b;
	unsigned int k;
	uint32_t v = 0xfeed;
	int fired;

	big_init(_metadata, &b, n);
	k = n * 3 / 4 % b.nch;
	sel_async_park(&a, b.c, n, b.ch[k], 0, (n + b.nch - 1 - k) / b.nch);
	ASSERT_EQ(0, kchan_send(b.ch[k], &v, sizeof(v)));
	fired = sel_async_join(&a);
	ASSERT_LE(0, fired);
	EXPECT_EQ(k, fired % b.nch);
	EXPECT_EQ(4, b.c[fired].res);
	EXPECT_EQ(v, b.buf[fired]);
	big_check(_metadata, &b, fired);

	/* And a close of one channel wakes it too. */
	sel_reset(b.c, n);
	sel_async_park(&a, b.c, n, b.ch[1], 0, n / b.nch);
	ASSERT_EQ(0, kchan_close(b.ch[1]));
	fired = sel_async_join(&a);
	ASSERT_LE(0, fired);
	EXPECT_EQ(1U, fired % b.nch);
	EXPECT_EQ(-EPIPE, b.c[fired].res);
	big_check(_metadata, &b, fired);
	big_free(&b);
}

TEST(n_1024_parked_then_one_sends)
{
	parked_then_one(_metadata, 1024);
}

TEST(n_max_parked_then_one_sends)
{
	parked_then_one(_metadata, KCHAN_SELECT_MAX);
}

TEST(one_more_than_max_is_einval)
{
	struct big b;
	uint32_t v = 1;

	big_init(_metadata, &b, KCHAN_SELECT_MAX + 1);
	ASSERT_EQ(0, kchan_send(b.ch[0], &v, sizeof(v)));
	EXPECT_EQ(-EINVAL, kchan_select(b.c, KCHAN_SELECT_MAX + 1, -1, 0));
	big_check(_metadata, &b, -1);
	EXPECT_EQ(1, kchan_len(b.ch[0]));
	EXPECT_EQ(0, kchan_select(b.c, KCHAN_SELECT_MAX, -1, 0));
	big_free(&b);
}

TEST(max_cases_with_one_bad_case_last)
{
	struct big b;
	uint32_t v = 1;

	big_init(_metadata, &b, KCHAN_SELECT_MAX);
	ASSERT_EQ(0, kchan_send(b.ch[0], &v, sizeof(v)));
	b.c[KCHAN_SELECT_MAX - 1].op = 77;
	EXPECT_EQ(-EINVAL, kchan_select(b.c, KCHAN_SELECT_MAX, -1, 0));
	big_check(_metadata, &b, -1);
	EXPECT_EQ(1, kchan_len(b.ch[0]));
	big_free(&b);
}

TEST(many_poll_cases_among_channels)
{
	enum { NPOLL = 300, NCH = 700 };
	struct kchan_case c[NPOLL + NCH];
	int efd[NPOLL], ch[NCH], i, fired = 2 * (NPOLL / 2) + 1;
	struct sel_async a;
	uint64_t one = 1;

	ASSERT_LE((rlim_t)NPOLL + NCH + 64, sel_raise_nofile(NPOLL + NCH + 64));
	for (i = 0; i < NCH; i++)
		ch[i] = kt_make(0, 0, KCHAN_CLOEXEC);
	for (i = 0; i < NPOLL; i++) {
		efd[i] = eventfd(0, EFD_CLOEXEC);
		ASSERT_LE(0, efd[i]);
	}
	/* Interleave: channels and eventfds alternate, then channels. */
	for (i = 0; i < NCH; i++)
		c[i < NPOLL ? 2 * i : NPOLL + i] = sel_recv(ch[i], NULL, 0);
	for (i = 0; i < NPOLL; i++)
		c[2 * i + 1] = sel_poll(efd[i], POLLIN);
	sel_async_park(&a, c, NPOLL + NCH, ch[NCH - 1], 0, 1);
	ASSERT_EQ(8, write(efd[NPOLL / 2], &one, sizeof(one)));
	EXPECT_EQ(fired, sel_async_join(&a));
	EXPECT_EQ(POLLIN, c[fired].res);
	EXPECT_EQ(1U, sel_count_written(c, NPOLL + NCH));
	for (i = 0; i < NCH; i++)
		EXPECT_EQ(0, kt_wait_waiters(ch[i], 0, 0));
	for (i = 0; i < NCH; i++)
		close(ch[i]);
	for (i = 0; i < NPOLL; i++)
		close(efd[i]);
}

struct crossing {
	struct kchan_case *c;
	unsigned int n;
	unsigned int rounds;
	unsigned int fired;
	int errors;
};

static void *crossing_fn(void *arg)
{
	struct crossing *x = arg;
	unsigned int i;
	int ret;

	for (i = 0; i < x->rounds; i++) {
		sel_reset(x->c, x->n);
		ret = kchan_select(x->c, x->n, 2 * KT_NSEC_PER_MSEC, 0);
		if (ret >= 0)
			x->fired++;
		else if (ret != -ETIMEDOUT)
			x->errors++;
	}
	return NULL;
}

/*
 * Two threads select over the same 256 channels, one in array order, the
 * other reversed, each sending to some and receiving from the others,
 * so each keeps meeting the other: locking the channels in array order
 * would deadlock (ABBA); a hang shows as the test's timeout.
 */
TEST(opposite_orders_do_not_deadlock)
{
	enum { N = 256 };
	struct kchan_case fwd[N], rev[N];
	struct crossing x[2];
	pthread_t t[2];
	uint32_t in[2][N], out = 7;
	int ch[N], i;

	ASSERT_LE((rlim_t)N + 64, sel_raise_nofile(N + 64));
	for (i = 0; i < N; i++)
		ch[i] = kt_make(i % 3 ? 0 : 2, 4, KCHAN_CLOEXEC);
	for (i = 0; i < N; i++) {
		fwd[i] = i % 2 ? sel_send(ch[i], &out, 4) :
				 sel_recv(ch[i], &in[0][i], 4);
		rev[N - 1 - i] = i % 2 ? sel_recv(ch[i], &in[1][i], 4) :
					 sel_send(ch[i], &out, 4);
	}
	x[0] = (struct crossing){ .c = fwd, .n = N, .rounds = 300 };
	x[1] = (struct crossing){ .c = rev, .n = N, .rounds = 300 };
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, crossing_fn, &x[i]));
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	EXPECT_EQ(0, x[0].errors);
	EXPECT_EQ(0, x[1].errors);
	TH_LOG("fired %u and %u of 300 each", x[0].fired, x[1].fired);
	EXPECT_LT(0U, x[0].fired + x[1].fired);
	for (i = 0; i < N; i++) {
		EXPECT_EQ(0, kt_wait_waiters(ch[i], 0, 0));
		close(ch[i]);
	}
}

/*
 * Send cases are staged in the kernel before anything is taken.  Naming
 * one big message in many send cases asks for more staging memory than
 * the kernel can allocate: the select must fail (without a WARN in the
 * kernel log, which kchan-vm reports) and take nothing.
 */
TEST(send_cases_beyond_what_can_be_staged)
{
	size_t msg = kt_param("max_msg_size", 1U << 20);
	unsigned int n, i;
	struct kchan_case *c;
	char *buf;
	int ch, ret;

	kt_require_kchan();
	if (msg > 16U << 20)
		msg = 16U << 20;
	n = ((size_t)INT_MAX + msg) / msg + 1;	/* > INT_MAX bytes in all */
	if (n > KCHAN_SELECT_MAX)
		SKIP(return, "max_msg_size %zu: cannot exceed INT_MAX in %u cases",
		     msg, KCHAN_SELECT_MAX);
	ch = kt_make(0, msg, 0);
	buf = calloc(1, msg);
	c = calloc(n, sizeof(*c));
	ASSERT_TRUE(buf && c);
	for (i = 0; i < n; i++)
		c[i] = sel_send(ch, buf, msg);
	ret = kchan_select(c, n, 0, 0);
	TH_LOG("%u send cases of %zu bytes: %s", n, msg, strerror(-ret));
	EXPECT_GT(0, ret);
	EXPECT_NE(-ETIMEDOUT, ret);
	EXPECT_EQ(0U, sel_count_written(c, n));
	EXPECT_EQ(0, kt_wait_waiters(ch, 0, 0));
	free(c);
	free(buf);
	close(ch);
}

TEST_HARNESS_MAIN
