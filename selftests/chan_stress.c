// SPDX-License-Identifier: GPL-2.0
/*
 * Stress: producer and consumer processes, each with two threads (one
 * moving single messages, one batches), push about a million messages
 * (KCHAN_STRESS_MSGS overrides) through buffered and unbuffered channels,
 * while kchan_close() races the sends.  Every message is received exactly
 * once or its send returned -EPIPE, each producer's messages reach each
 * consumer in order, and the counts add up, also in the channel's own
 * counters.  Once KCHAN_STRESS_SECS (default 50) have passed, the round
 * under way is closed and no other starts: a slow kernel (debug, crowded
 * host) gets a shorter run instead of a timeout.
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include "kchan_test.h"

#define PROCS		2	/* producer processes, and consumer processes */
#define THREADS		2	/* threads in each of them */
#define PRODUCERS	(PROCS * THREADS)
#define CONSUMERS	(PROCS * THREADS)
#define ROUNDS		8	/* a fresh channel, and a close, per round */
#define MSG_SIZE	16
#define DEFAULT_MSGS	1000000UL
#define DEFAULT_SECS	50	/* start no new round after this */

struct msg {
	unsigned int producer;
	unsigned int seq;
	unsigned char pad[MSG_SIZE - 8];
};

/* One round's bookkeeping, shared by all processes. */
struct round {
	unsigned long per_producer;
	atomic_ulong received;
	atomic_ulong sent;
	atomic_int errors;
	char first_error[128];
	/* [producer][seq]: send returned 0; times received */
	unsigned char *sent_ok;
	unsigned char *recvd;
};

static unsigned int msg_len(unsigned int seq)
{
	return 8 + seq % (MSG_SIZE - 8 + 1);
}

static unsigned char pad_byte(unsigned int producer, unsigned int seq,
			      unsigned int i)
{
	return (unsigned char)(producer * 131 + seq * 7 + i);
}

static void fail(struct round *r, const char *what, long a, long b)
{
	if (atomic_fetch_add(&r->errors, 1) == 0)
		snprintf(r->first_error, sizeof(r->first_error),
			 "%s (%ld, %ld)", what, a, b);
}

struct worker {
	struct round *r;
	int ch;
	unsigned int id;
};

/*
 * Odd-numbered workers move messages in batches (kchan_sendv/recvv), so
 * partial batches cut short by the close are checked too.
 */
#define BATCH		16

static bool batched(const struct worker *w)
{
	return w->id % 2;
}

static void make_msg(struct msg *m, unsigned int producer, unsigned int seq)
{
	unsigned int i;

	m->producer = producer;
	m->seq = seq;
	for (i = 0; i < sizeof(m->pad); i++)
		m->pad[i] = pad_byte(producer, seq, i);
}

static void *produce(void *arg)
{
	struct worker *w = arg;
	struct round *r = w->r;
	unsigned char *ok = r->sent_ok + w->id * r->per_producer;
	unsigned int seq = 0, n, i;
	struct kchan_msg v[BATCH];
	struct msg m[BATCH];
	int ret;

	while (seq < r->per_producer) {
		n = batched(w) ? BATCH : 1;
		if (n > r->per_producer - seq)
			n = r->per_producer - seq;
		for (i = 0; i < n; i++) {
			make_msg(&m[i], w->id, seq + i);
			v[i].buf = &m[i];
			v[i].len = msg_len(seq + i);
		}
		if (batched(w))
			ret = kchan_sendv(w->ch, v, n);
		else
			ret = kchan_send(w->ch, &m[0], v[0].len) ?: 1;
		if (ret == -EPIPE)
			break;
		if (ret <= 0 || (unsigned int)ret > n) {
			fail(r, "send failed", ret, seq);
			break;
		}
		for (i = 0; i < (unsigned int)ret; i++)
			ok[seq + i] = 1;
		atomic_fetch_add(&r->sent, ret);
		seq += ret;
	}
	return NULL;
}

/* Checks and counts one received message; false if it is garbage. */
static bool take(struct round *r, long *last, const struct msg *m, long len)
{
	unsigned int i;

	if (len < 8 || m->producer >= PRODUCERS ||
	    m->seq >= r->per_producer || len != msg_len(m->seq)) {
		fail(r, "bad message", len, m->seq);
		return false;
	}
	for (i = 0; i < len - 8; i++)
		if (m->pad[i] != pad_byte(m->producer, m->seq, i))
			fail(r, "bad payload", m->producer, m->seq);
	if ((long)m->seq <= last[m->producer])
		fail(r, "out of order", last[m->producer], m->seq);
	last[m->producer] = m->seq;
	__atomic_fetch_add(&r->recvd[m->producer * r->per_producer + m->seq],
			   1, __ATOMIC_RELAXED);
	atomic_fetch_add(&r->received, 1);
	return true;
}

static void *consume(void *arg)
{
	struct worker *w = arg;
	struct round *r = w->r;
	struct kchan_msg v[BATCH];
	long last[PRODUCERS];
	struct msg m[BATCH];
	unsigned int i;
	long ret;

	for (i = 0; i < PRODUCERS; i++)
		last[i] = -1;
	for (;;) {
		if (batched(w)) {
			for (i = 0; i < BATCH; i++) {
				v[i].buf = &m[i];
				v[i].len = sizeof(m[i]);
			}
			ret = kchan_recvv(w->ch, v, BATCH);
		} else {
			v[0].len = kchan_recv(w->ch, &m[0], sizeof(m[0]));
			ret = (long)v[0].len < 0 ? (long)v[0].len : 1;
		}
		if (ret == -EPIPE)
			break;
		if (ret <= 0 || ret > BATCH) {
			fail(r, "receive failed", ret, 0);
			break;
		}
		for (i = 0; i < ret; i++)
			if (!take(r, last, &m[i], v[i].len))
				return NULL;
	}
	return NULL;
}

/* A process running THREADS workers: producers or consumers. */
static void run_proc(struct round *r, int ch, unsigned int first_id,
		     void *(*fn)(void *))
{
	struct worker w[THREADS];
	pthread_t t[THREADS];
	unsigned int i;

	for (i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .r = r, .ch = ch, .id = first_id + i };
		if (i && pthread_create(&t[i], NULL, fn, &w[i]))
			_exit(3);
	}
	fn(&w[0]);
	for (i = 1; i < THREADS; i++)
		pthread_join(t[i], NULL);
	_exit(0);
}

static void *shared_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

FIXTURE(stress) {
	unsigned long msgs;
	unsigned long secs;
};

FIXTURE_VARIANT(stress) {
	unsigned int capacity;
	unsigned int share;	/* percent of KCHAN_STRESS_MSGS */
	unsigned int time;	/* percent of KCHAN_STRESS_SECS */
};

/* A rendezvous costs a few times a buffered message under TCG. */
FIXTURE_VARIANT_ADD(stress, unbuffered) {
	.capacity = 0,
	.share = 20,
	.time = 40,
};

FIXTURE_VARIANT_ADD(stress, buffered) {
	.capacity = 64,
	.share = 80,
	.time = 60,
};

FIXTURE_SETUP(stress)
{
	const char *msgs = getenv("KCHAN_STRESS_MSGS");
	const char *secs = getenv("KCHAN_STRESS_SECS");

	kt_require_kchan();
	self->msgs = msgs ? strtoul(msgs, NULL, 0) : DEFAULT_MSGS;
	self->secs = secs ? strtoul(secs, NULL, 0) : DEFAULT_SECS;
}

FIXTURE_TEARDOWN(stress)
{
}

/*
 * One round: a fresh channel, PROCS producer and PROCS consumer processes,
 * and a close once @close_at of the round's messages were received, or at
 * @deadline, whichever comes first.
 */
static void run_round(struct __test_metadata *_metadata, unsigned int cap,
		      unsigned long per_producer, unsigned long close_at,
		      int64_t deadline, unsigned long *sent_total)
{
	unsigned long n = per_producer * PRODUCERS, i, ok = 0, got = 0;
	pid_t pid[2 * PROCS];
	struct kchan_info info;
	struct round *r;
	int ch, p, status;

	r = shared_alloc(sizeof(*r));
	ASSERT_TRUE(!!r);
	r->per_producer = per_producer;
	r->sent_ok = shared_alloc(n);
	r->recvd = shared_alloc(n);
	ASSERT_TRUE(r->sent_ok && r->recvd);
	ch = kt_make(cap, MSG_SIZE, KCHAN_CLOEXEC);

	for (p = 0; p < 2 * PROCS; p++) {
		pid[p] = fork();
		ASSERT_LE(0, pid[p]);
		if (pid[p] == 0) {
			if (p < PROCS)
				run_proc(r, ch, p * THREADS, produce);
			else
				run_proc(r, ch, (p - PROCS) * THREADS, consume);
		}
	}

	while (atomic_load(&r->received) < close_at && !atomic_load(&r->errors) &&
	       kt_now_ns() < deadline)
		kt_sleep_ms(1);
	EXPECT_EQ(0, kchan_close(ch));

	for (p = 0; p < 2 * PROCS; p++) {
		ASSERT_EQ(pid[p], waitpid(pid[p], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
			TH_LOG("worker %d: status %#x", p, status);
	}
	EXPECT_EQ(0, atomic_load(&r->errors)) TH_LOG("%s", r->first_error);

	for (i = 0; i < n; i++) {
		if (r->recvd[i] > 1 || r->recvd[i] != r->sent_ok[i]) {
			EXPECT_EQ(r->sent_ok[i], r->recvd[i])
				TH_LOG("producer %lu seq %lu: send %s, received %u times",
				       i / per_producer, i % per_producer,
				       r->sent_ok[i] ? "ok" : "-EPIPE",
				       r->recvd[i]);
			break;
		}
		ok += r->sent_ok[i];
		got += r->recvd[i];
	}
	EXPECT_EQ(ok, got);
	EXPECT_EQ(ok, atomic_load(&r->sent));
	EXPECT_EQ(got, atomic_load(&r->received));

	ASSERT_EQ(0, kchan_info(ch, &info));
	EXPECT_EQ(ok, info.sent);
	EXPECT_EQ(got, info.received);
	EXPECT_EQ(0U, info.len);
	EXPECT_EQ(0U, info.send_waiters);
	EXPECT_EQ(0U, info.recv_waiters);
	*sent_total += ok;

	close(ch);
	munmap(r->sent_ok, n);
	munmap(r->recvd, n);
	munmap(r, sizeof(*r));
}

TEST_F_TIMEOUT(stress, close_races_many_senders, 600)
{
	/* Where in each round the close lands, in per mille of its messages. */
	static const unsigned int close_at[ROUNDS] = {
		500, 900, 990, 700, 999, 300, 950, 1000,
	};
	unsigned long total = self->msgs * variant->share / 100;
	unsigned long per = total / ROUNDS / PRODUCERS;
	int64_t budget = self->secs * KT_NSEC_PER_SEC * variant->time / 100;
	int64_t start = kt_now_ns();
	unsigned long sent = 0;
	unsigned int k;

	if (!per)
		per = 1;
	for (k = 0; k < ROUNDS; k++) {
		/* A slow kernel gets fewer rounds, not a test killed late. */
		if (k && kt_now_ns() - start > budget) {
			TH_LOG("time budget spent: %u of %u rounds", k, ROUNDS);
			break;
		}
		run_round(_metadata, variant->capacity, per,
			  per * PRODUCERS * close_at[k] / 1000, start + budget,
			  &sent);
	}
	TH_LOG("capacity %u: %lu of %lu messages delivered in %lld ms",
	       variant->capacity, sent, per * PRODUCERS * k,
	       (long long)((kt_now_ns() - start) / KT_NSEC_PER_MSEC));
	EXPECT_LT(0UL, sent);
}

TEST_HARNESS_MAIN
