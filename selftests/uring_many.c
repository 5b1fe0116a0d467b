// SPDX-License-Identifier: GPL-2.0
/*
 * Many parked io_uring operations on one ring: 10,000 receives (or sends)
 * wait on one unbuffered channel, with no thread behind any of them, and
 * a peer process completes them all.  Waiters are served FIFO, so the
 * k-th parked receive gets the k-th message: every message arrives exactly
 * once, in its place.  The peer process moves one message per call, 32
 * per kchan_sendv()/kchan_recvv(), or 32 per io_uring_enter() (the
 * variants).
 */
#include "uring_util.h"

#define NR_OPS		10000
#define SQ_ENTRIES	1024
#define CQ_ENTRIES	16384	/* all NR_OPS completions fit */
#define PEER_BATCH	32

enum peer_kind { PEER_BLOCKING, PEER_VECTOR, PEER_URING };

/* Peer process: sends @n messages, @first onwards, each its own number. */
static int peer_send(int ch, uint64_t first, unsigned int n,
		     enum peer_kind kind)
{
	struct kchan_msg v[PEER_BATCH];
	uint64_t m[PEER_BATCH];
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	unsigned int done = 0, k, i;
	int ret;

	if (kind == PEER_URING && io_uring_queue_init(PEER_BATCH, &ring, 0))
		return 1;
	while (done < n) {
		k = n - done < PEER_BATCH ? n - done : PEER_BATCH;
		for (i = 0; i < k; i++) {
			m[i] = first + done + i;
			v[i] = (struct kchan_msg){ &m[i], sizeof(m[i]) };
		}
		switch (kind) {
		case PEER_BLOCKING:
			for (i = 0; i < k; i++)
				if (kchan_send(ch, &m[i], sizeof(m[i])))
					return 2;
			break;
		case PEER_VECTOR:
			if (kchan_sendv(ch, v, k) != (int)k)
				return 3;
			break;
		case PEER_URING:
			for (i = 0; i < k; i++)
				kchan_prep_send(io_uring_get_sqe(&ring), ch,
						&m[i], sizeof(m[i]));
			if (io_uring_submit(&ring) != (int)k)
				return 4;
			for (i = 0; i < k; i++) {
				if (io_uring_wait_cqe(&ring, &cqe))
					return 5;
				ret = cqe->res;
				io_uring_cqe_seen(&ring, cqe);
				if (ret)
					return 6;
			}
			break;
		}
		done += k;
	}
	return 0;
}

/* Peer process: receives @n messages, checking they count up from @first. */
static int peer_recv(int ch, uint64_t first, unsigned int n,
		     enum peer_kind kind)
{
	struct kchan_msg v[PEER_BATCH];
	uint64_t m[PEER_BATCH];
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	unsigned int done = 0, k, i;
	int got;

	if (kind == PEER_URING && io_uring_queue_init(PEER_BATCH, &ring, 0))
		return 1;
	while (done < n) {
		k = n - done < PEER_BATCH ? n - done : PEER_BATCH;
		for (i = 0; i < k; i++) {
			m[i] = ~0ULL;
			v[i] = (struct kchan_msg){ &m[i], sizeof(m[i]) };
		}
		switch (kind) {
		case PEER_BLOCKING:
			k = 1;
			if (kchan_recv(ch, &m[0], sizeof(m[0])) != sizeof(m[0]))
				return 2;
			break;
		case PEER_VECTOR:
			got = kchan_recvv(ch, v, k);
			if (got < 1)
				return 3;
			k = got;
			break;
		case PEER_URING:
			for (i = 0; i < k; i++) {
				struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

				kchan_prep_recv(sqe, ch, &m[i], sizeof(m[i]));
				io_uring_sqe_set_data64(sqe, i);
			}
			if (io_uring_submit(&ring) != (int)k)
				return 4;
			for (i = 0; i < k; i++) {
				if (io_uring_wait_cqe(&ring, &cqe))
					return 5;
				got = cqe->res;
				io_uring_cqe_seen(&ring, cqe);
				if (got != sizeof(m[0]))
					return 6;
			}
			break;
		}
		for (i = 0; i < k; i++)
			if (m[i] != first + done + i)
				return 7;
		done += k;
	}
	return 0;
}

FIXTURE(many)
{
	int ch;
	struct io_uring ring;
	uint64_t *buf;		/* one per operation */
	unsigned char *seen;	/* completions per user_data */
};

FIXTURE_VARIANT(many)
{
	enum peer_kind peer;
};

FIXTURE_VARIANT_ADD(many, blocking_peer)
{
	.peer = PEER_BLOCKING,
};

FIXTURE_VARIANT_ADD(many, sendv_peer)
{
	.peer = PEER_VECTOR,
};

FIXTURE_VARIANT_ADD(many, uring_peer)
{
	.peer = PEER_URING,
};

FIXTURE_SETUP(many)
{
	self->ch = kt_make(0, sizeof(uint64_t), 0);
	ur_init(&self->ring, SQ_ENTRIES, CQ_ENTRIES, 0);
	self->buf = malloc(NR_OPS * sizeof(*self->buf));
	self->seen = calloc(NR_OPS, 1);
	ASSERT_NE(NULL, self->buf);
	ASSERT_NE(NULL, self->seen);
	memset(self->buf, 0xff, NR_OPS * sizeof(*self->buf));
}

FIXTURE_TEARDOWN(many)
{
	if (self->ring.ring_fd > 0)
		io_uring_queue_exit(&self->ring);
	free(self->buf);
	free(self->seen);
	close(self->ch);
}

/*
 * Submits receives for operations 0..NR_OPS-1, SQ_ENTRIES per
 * io_uring_enter(); operation i has capacity @cap(i).
 */
#define park_receives(self, cap) __park_receives(_metadata, self, cap)

static void __park_receives(struct __test_metadata *_metadata,
			    FIXTURE_DATA(many) *self, size_t (*cap)(unsigned int))
{
	unsigned int i, j, k;

	for (i = 0; i < NR_OPS; i += k) {
		k = NR_OPS - i < SQ_ENTRIES ? NR_OPS - i : SQ_ENTRIES;
		for (j = i; j < i + k; j++)
			ur_recv(&self->ring, self->ch, &self->buf[j], cap(j), j);
		ur_submit(&self->ring, k);
	}
	ASSERT_EQ(0, kt_wait_waiters(self->ch, 0, NR_OPS));
	EXPECT_TRUE(ur_idle(&self->ring));
	/* Parked in the channel: no io-wq thread waits for any of them. */
	EXPECT_EQ(1, ur_threads());
}

/*
 * Reaps NR_OPS completions and asserts each comes once; @ok(i, res) says
 * whether operation i's is right.  Returns how many are not.
 */
#define reap_all(self, ok) __reap_all(_metadata, self, ok)

static unsigned int __reap_all(struct __test_metadata *_metadata,
			       FIXTURE_DATA(many) *self,
			       bool (*ok)(unsigned int, int))
{
	unsigned int got = 0, n, i, bad = 0;
	struct ur_cqe c[SQ_ENTRIES];
	uint64_t d;

	while (got < NR_OPS) {
		n = NR_OPS - got < SQ_ENTRIES ? NR_OPS - got : SQ_ENTRIES;
		n = ur_reap(&self->ring, c, n);
		ASSERT_LT(0U, n) TH_LOG("%u of %u completions came", got,
					NR_OPS);
		for (i = 0; i < n; i++) {
			d = c[i].data;
			ASSERT_GT((uint64_t)NR_OPS, d);
			ASSERT_EQ(0, self->seen[d]++)
				TH_LOG("op %llu completed twice",
				       (unsigned long long)d);
			if (!ok(d, c[i].res) && bad++ < 5)
				TH_LOG("op %llu: res %d", (unsigned long long)d,
				       c[i].res);
		}
		got += n;
	}
	EXPECT_TRUE(ur_idle(&self->ring));
	return bad;
}

static size_t full_cap(unsigned int i)
{
	return sizeof(uint64_t);
}

static bool recv_ok(unsigned int i, int res)
{
	return res == (int)sizeof(uint64_t);
}

TEST_F_TIMEOUT(many, ten_thousand_parked_receives, 300)
{
	unsigned int i, wrong = 0;
	pid_t pid;

	park_receives(self, full_cap);
	pid = ur_fork();
	if (!pid)
		_exit(peer_send(self->ch, 0, NR_OPS, variant->peer));
	EXPECT_EQ(0U, reap_all(self, recv_ok));
	EXPECT_EQ(0, ur_child_wait(pid));

	/* FIFO: the i-th receive parked got the i-th message. */
	for (i = 0; i < NR_OPS; i++)
		if (self->buf[i] != i && wrong++ < 5)
			TH_LOG("receive %u got message %llu", i,
			       (unsigned long long)self->buf[i]);
	EXPECT_EQ(0U, wrong);
	EXPECT_EQ(0, kt_wait_waiters(self->ch, 0, 0));
	EXPECT_EQ(-EAGAIN, kchan_try_send(self->ch, &i, sizeof(uint64_t)));
}

/*
 * Bad input among the many: every 1000th receive has a buffer too short
 * for any message.  The message that meets one fails it (-EMSGSIZE) and
 * goes on to the next receive, so the others still get every message,
 * in order, exactly once.
 */
#define SHORT_EVERY	1000

static bool is_short(unsigned int i)
{
	/* Never the last: every short receive has a message meet it. */
	return i % SHORT_EVERY == SHORT_EVERY / 2;
}

static size_t mixed_cap(unsigned int i)
{
	return is_short(i) ? sizeof(uint32_t) : sizeof(uint64_t);
}

static bool mixed_ok(unsigned int i, int res)
{
	return res == (is_short(i) ? -EMSGSIZE : (int)sizeof(uint64_t));
}

TEST_F_TIMEOUT(many, short_buffers_among_them_fail_alone, 300)
{
	unsigned int i, want = 0, wrong = 0;
	pid_t pid;

	park_receives(self, mixed_cap);
	pid = ur_fork();
	if (!pid)
		_exit(peer_send(self->ch, 0, NR_OPS - NR_OPS / SHORT_EVERY,
				variant->peer));
	EXPECT_EQ(0U, reap_all(self, mixed_ok));
	EXPECT_EQ(0, ur_child_wait(pid));
	for (i = 0; i < NR_OPS; i++) {
		if (is_short(i))
			continue;
		if (self->buf[i] != want && wrong++ < 5)
			TH_LOG("receive %u got message %llu, not %u", i,
			       (unsigned long long)self->buf[i], want);
		want++;
	}
	EXPECT_EQ(0U, wrong);
	EXPECT_EQ(0, kt_wait_waiters(self->ch, 0, 0));
}

static bool send_ok(unsigned int i, int res)
{
	return res == 0;
}

/* 10,000 parked sends, taken by a receiving process in order. */
TEST_F_TIMEOUT(many, ten_thousand_parked_sends, 300)
{
	unsigned int i, j, k;
	pid_t pid;

	for (i = 0; i < NR_OPS; i++)
		self->buf[i] = i;
	for (i = 0; i < NR_OPS; i += k) {
		k = NR_OPS - i < SQ_ENTRIES ? NR_OPS - i : SQ_ENTRIES;
		for (j = i; j < i + k; j++)
			ur_send(&self->ring, self->ch, &self->buf[j],
				sizeof(uint64_t), j);
		ur_submit(&self->ring, k);
	}
	ASSERT_EQ(0, kt_wait_waiters(self->ch, NR_OPS, 0));
	/* Unbuffered: the sends wait as senders, nothing is buffered. */
	EXPECT_EQ(0, kchan_len(self->ch));
	EXPECT_EQ(1, ur_threads());

	pid = ur_fork();
	if (!pid)
		_exit(peer_recv(self->ch, 0, NR_OPS, variant->peer));
	EXPECT_EQ(0U, reap_all(self, send_ok));
	EXPECT_EQ(0, ur_child_wait(pid));
	EXPECT_EQ(0, kt_wait_waiters(self->ch, 0, 0));
}

TEST_HARNESS_MAIN
