// SPDX-License-Identifier: GPL-2.0
/*
 * Select under load.  Threads share a handful of channels (unbuffered and
 * buffered): plain senders and receivers, selects that only send, selects
 * that only receive, and workers whose every select holds both a send of
 * their next message and a receive on every channel.  Timeouts, NOWAIT and
 * signals cut selects short at random while peers complete them; a closer
 * closes channels halfway through.
 *
 * Every message carries a unique id.  In the end each message whose send
 * succeeded was received exactly once, no other message was received at
 * all, every select wrote exactly the res of the case it returned, and no
 * waiter is left on any channel.
 *
 * KCHAN_SELECT_STRESS_MSGS sets the number of messages (the default takes
 * a few seconds in the TCG VM); KCHAN_SELECT_STRESS_SECS the time budget
 * after which senders stop early (slow debug kernels).
 */
#include <signal.h>

#include "select_util.h"

#define NCH		6
#define DEFAULT_MSGS	30000

enum role {
	PLAIN_SEND, SELECT_SEND, MIXED, PLAIN_RECV, SELECT_RECV, NROLES,
};

static const unsigned int role_threads[NROLES] = { 2, 2, 3, 2, 2 };
static const unsigned int caps[NCH] = { 0, 0, 1, 4, 16, 0 };

#define NTHREADS	11	/* the sum of role_threads */

struct stress {
	int ch[NCH];
	atomic_bool closed[NCH];	/* some thread saw -EPIPE on it */
	unsigned int per_sender;	/* messages each sending thread owns */
	unsigned int nsenders;
	atomic_uchar *sent;		/* by message index: send succeeded */
	atomic_uchar *recvd;		/* by message index: times received */
	atomic_uint senders_left;
	atomic_uint nsent, nrecvd, nselects, nintr, ntimeouts;
	atomic_uint errors;
	char first_error[256];
	atomic_bool stop_sending;	/* the time budget is spent */
	atomic_bool stop_signals;
};

struct worker {
	struct stress *st;
	pthread_t thread;
	enum role role;
	unsigned int sender;	/* index among sending threads */
	unsigned int seed;
};

static void fail(struct stress *st, const char *fmt, long a, long b)
{
	if (atomic_fetch_add(&st->errors, 1) == 0)
		snprintf(st->first_error, sizeof(st->first_error), fmt, a, b);
}

static void on_usr1(int sig)
{
}

static uint64_t msg_id(struct worker *w, unsigned int seq)
{
	return (uint64_t)w->sender * w->st->per_sender + seq;
}

static void got(struct stress *st, ssize_t len, uint64_t id)
{
	uint64_t total = (uint64_t)st->nsenders * st->per_sender;

	if (len != sizeof(id) || id >= total) {
		fail(st, "received length %ld, id %ld", len, (long)id);
		return;
	}
	atomic_fetch_add(&st->recvd[id], 1);
	atomic_fetch_add(&st->nrecvd, 1);
}

static void put(struct stress *st, uint64_t id)
{
	atomic_store(&st->sent[id], 1);
	atomic_fetch_add(&st->nsent, 1);
}

static bool all_closed(struct stress *st)
{
	int i;

	for (i = 0; i < NCH; i++)
		if (!atomic_load(&st->closed[i]))
			return false;
	return true;
}

/* A random timeout mode: forever, none, NOWAIT, or a short wait. */
static int stress_select(struct worker *w, struct kchan_case *c,
			 unsigned int n)
{
	unsigned int mode = rand_r(&w->seed) % 8, i, written = 0;
	int fired;

	sel_reset(c, n);
	switch (mode) {
	case 0:
		fired = kchan_select(c, n, 0, 0);
		break;
	case 1:
		fired = kchan_select(c, n, -1, KCHAN_SELECT_NOWAIT);
		break;
	case 2:
		fired = kchan_select(c, n, 20000 + rand_r(&w->seed) % 200000, 0);
		break;
	case 3:
		fired = kchan_select(c, n, -1, KCHAN_SELECT_ORDERED);
		break;
	default:
		fired = kchan_select(c, n, -1, 0);
		break;
	}
	atomic_fetch_add(&w->st->nselects, 1);
	for (i = 0; i < n; i++)
		written += c[i].res != SEL_UNTOUCHED;
	if (fired >= 0) {
		if ((unsigned int)fired >= n || written != 1 ||
		    c[fired].res == SEL_UNTOUCHED)
			fail(w->st, "select fired %ld, %ld cases written",
			     fired, written);
	} else {
		if (written)
			fail(w->st, "select failed %ld, %ld cases written",
			     fired, written);
		if (fired == -EINTR)
			atomic_fetch_add(&w->st->nintr, 1);
		else if (fired == -ETIMEDOUT || fired == -EAGAIN)
			atomic_fetch_add(&w->st->ntimeouts, 1);
		else
			fail(w->st, "select: %ld (%ld)", fired, mode);
	}
	return fired;
}

static void plain_send(struct worker *w)
{
	struct stress *st = w->st;
	unsigned int seq, tries;
	uint64_t id;
	int k, ret;

	for (seq = 0; seq < st->per_sender; seq++) {
		if (atomic_load(&st->stop_sending))
			break;
		id = msg_id(w, seq);
		for (tries = 0; !all_closed(st); tries++) {
			k = rand_r(&w->seed) % NCH;
			if (atomic_load(&st->closed[k]))
				continue;
			ret = kchan_send(st->ch[k], &id, sizeof(id));
			if (!ret) {
				put(st, id);
				break;
			}
			if (ret == -EPIPE)
				atomic_store(&st->closed[k], true);
			else if (ret != -EINTR)
				fail(st, "send: %ld on channel %ld", ret, k);
		}
	}
}

/* Send cases on every channel not known closed; nil for the rest. */
static void select_send(struct worker *w)
{
	struct stress *st = w->st;
	struct kchan_case c[NCH + 1];
	unsigned int seq;
	uint64_t id;
	int i, fired;

	for (seq = 0; seq < st->per_sender && !all_closed(st) &&
		      !atomic_load(&st->stop_sending); ) {
		id = msg_id(w, seq);
		for (i = 0; i < NCH; i++)
			c[i] = sel_send(atomic_load(&st->closed[i]) ? -1 :
					st->ch[i], &id, sizeof(id));
		c[NCH] = sel_recv(-1, NULL, 0);
		fired = stress_select(w, c, NCH + 1);
		if (fired < 0)
			continue;
		if (c[fired].res == 0) {
			put(st, id);
			seq++;
		} else if (c[fired].res == -EPIPE) {
			atomic_store(&st->closed[fired], true);
		} else {
			fail(st, "send case res %ld", c[fired].res, 0);
		}
	}
}

/*
 * Receive cases on every channel until each has said -EPIPE; with a send
 * case of the worker's own next message on each open channel while it
 * still has messages to send (@sends).
 */
static void select_recv(struct worker *w, bool sends)
{
	struct stress *st = w->st;
	struct kchan_case c[2 * NCH];
	bool drained[NCH] = { false }, sending = sends;
	uint64_t buf[NCH], id = 0;
	unsigned int seq = 0, left = NCH;
	int i, fired;

	while (left) {
		if (sending && (seq == st->per_sender || all_closed(st) ||
				atomic_load(&st->stop_sending))) {
			sending = false;
			atomic_fetch_sub(&st->senders_left, 1);
		}
		if (sending)
			id = msg_id(w, seq);
		for (i = 0; i < NCH; i++) {
			c[i] = sel_recv(drained[i] ? -1 : st->ch[i], &buf[i],
					sizeof(buf[i]));
			c[NCH + i] = sel_send(sending &&
					      !atomic_load(&st->closed[i]) ?
					      st->ch[i] : -1, &id, sizeof(id));
		}
		fired = stress_select(w, c, 2 * NCH);
		if (fired < 0)
			continue;
		if (fired >= NCH) {
			if (c[fired].res == 0) {
				put(st, id);
				seq++;
			} else if (c[fired].res == -EPIPE) {
				atomic_store(&st->closed[fired - NCH], true);
			} else {
				fail(st, "mixed send res %ld", c[fired].res, 0);
			}
		} else if (c[fired].res == -EPIPE) {
			atomic_store(&st->closed[fired], true);
			drained[fired] = true;
			left--;
		} else {
			got(st, c[fired].res, buf[fired]);
		}
	}
	if (sending)
		atomic_fetch_sub(&st->senders_left, 1);
}

static void plain_recv(struct worker *w)
{
	struct stress *st = w->st;
	bool drained[NCH] = { false };
	unsigned int left = NCH;
	int k = w->seed % NCH;
	uint64_t id;
	ssize_t ret;

	while (left) {
		k = (k + 1) % NCH;
		if (drained[k])
			continue;
		ret = kchan_recv(st->ch[k], &id, sizeof(id));
		if (ret == -EPIPE) {
			drained[k] = true;
			left--;
		} else if (ret != -EINTR) {
			got(st, ret, id);
		}
	}
}

static void *worker_fn(void *arg)
{
	struct worker *w = arg;

	switch (w->role) {
	case PLAIN_SEND:
		plain_send(w);
		atomic_fetch_sub(&w->st->senders_left, 1);
		break;
	case SELECT_SEND:
		select_send(w);
		atomic_fetch_sub(&w->st->senders_left, 1);
		break;
	case MIXED:
		select_recv(w, true);
		break;
	case PLAIN_RECV:
		plain_recv(w);
		break;
	case SELECT_RECV:
		select_recv(w, false);
		break;
	default:
		break;
	}
	return NULL;
}

struct signaller {
	struct stress *st;
	struct worker *w;
};

/* SIGUSR1 to a random worker every millisecond or so. */
static void *signal_fn(void *arg)
{
	struct signaller *s = arg;
	unsigned int seed = 1, i;

	while (!atomic_load(&s->st->stop_signals)) {
		i = rand_r(&seed) % NTHREADS;
		pthread_kill(s->w[i].thread, SIGUSR1);
		kt_sleep_ms(1);
	}
	return NULL;
}

static void *shared_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

FIXTURE(stress)
{
	struct stress st;
	struct worker w[NTHREADS];
};

FIXTURE_SETUP(stress)
{
	unsigned long msgs = sel_env("KCHAN_SELECT_STRESS_MSGS", DEFAULT_MSGS);
	struct sigaction sa = { .sa_handler = on_usr1 };
	unsigned int i, r, t = 0, senders = 0;
	size_t total;

	static_assert(NTHREADS == 11, "role_threads adds up to NTHREADS");
	for (i = 0; i < NCH; i++)
		self->st.ch[i] = kt_make(caps[i], sizeof(uint64_t), 0);
	for (r = 0; r < NROLES; r++) {
		for (i = 0; i < role_threads[r]; i++, t++) {
			self->w[t].st = &self->st;
			self->w[t].role = r;
			self->w[t].seed = 7919 * (t + 1);
			if (r == PLAIN_SEND || r == SELECT_SEND || r == MIXED)
				self->w[t].sender = senders++;
		}
	}
	self->st.nsenders = senders;
	self->st.per_sender = msgs / senders ? msgs / senders : 1;
	total = (size_t)senders * self->st.per_sender;
	self->st.sent = shared_alloc(total);
	self->st.recvd = shared_alloc(total);
	ASSERT_TRUE(self->st.sent && self->st.recvd);
	atomic_store(&self->st.senders_left, senders);
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
}

FIXTURE_TEARDOWN(stress)
{
}

static void run(struct __test_metadata *_metadata,
		FIXTURE_DATA(stress) *self, unsigned int close_permille,
		bool signals)
{
	struct stress *st = &self->st;
	uint64_t total = (uint64_t)st->nsenders * st->per_sender, i;
	unsigned int close_at = total * close_permille / 1000;
	unsigned int ok = 0, twice = 0, lost = 0, ghost = 0;
	struct signaller sig = { st, self->w };
	uint64_t info_sent = 0, info_recvd = 0;
	struct kchan_info info;
	int64_t start = kt_now_ns(), last_move = start;
	int64_t budget_end = start + sel_env("KCHAN_SELECT_STRESS_SECS", 15) *
				     KT_NSEC_PER_SEC;
	unsigned int last_moved = 0;
	bool closed_some = false, stopped = false;
	pthread_t sigt;

	for (i = 0; i < NTHREADS; i++)
		ASSERT_EQ(0, pthread_create(&self->w[i].thread, NULL,
					    worker_fn, &self->w[i]));
	if (signals)
		ASSERT_EQ(0, pthread_create(&sigt, NULL, signal_fn, &sig));

	/*
	 * Close two channels halfway, all of them once the senders are
	 * done.  Senders stop early when the time budget is spent (slow
	 * kernels); no progress at all for KT_WAIT_NS is a hang.
	 */
	while (atomic_load(&st->senders_left) && !atomic_load(&st->errors)) {
		unsigned int moved = atomic_load(&st->nsent) +
				     atomic_load(&st->nrecvd);
		int64_t now = kt_now_ns();

		if (!closed_some && close_permille &&
		    atomic_load(&st->nsent) >= close_at) {
			EXPECT_EQ(0, kchan_close(st->ch[1]));
			EXPECT_EQ(0, kchan_close(st->ch[3]));
			closed_some = true;
		}
		if (now > budget_end && !atomic_load(&st->stop_sending)) {
			atomic_store(&st->stop_sending, true);
			stopped = true;
		}
		if (moved != last_moved) {
			last_moved = moved;
			last_move = now;
		}
		ASSERT_GT(last_move + KT_WAIT_NS, now)
			TH_LOG("stuck: %u senders left, %u sent, %u received",
			       atomic_load(&st->senders_left),
			       atomic_load(&st->nsent),
			       atomic_load(&st->nrecvd));
		kt_sleep_ms(2);
	}
	/* No signal may target a thread that is gone: stop them first. */
	if (signals) {
		atomic_store(&st->stop_signals, true);
		pthread_join(sigt, NULL);
	}
	for (i = 0; i < NCH; i++)
		kchan_close(st->ch[i]);
	for (i = 0; i < NTHREADS; i++)
		pthread_join(self->w[i].thread, NULL);
	EXPECT_EQ(0U, atomic_load(&st->errors)) TH_LOG("%s", st->first_error);

	for (i = 0; i < total; i++) {
		ok += st->sent[i];
		twice += st->recvd[i] > 1;
		lost += st->sent[i] && !st->recvd[i];
		ghost += !st->sent[i] && st->recvd[i];
	}
	EXPECT_EQ(0U, twice);
	EXPECT_EQ(0U, lost);
	EXPECT_EQ(0U, ghost);
	EXPECT_EQ(ok, atomic_load(&st->nsent));
	EXPECT_EQ(ok, atomic_load(&st->nrecvd));
	for (i = 0; i < NCH; i++) {
		ASSERT_EQ(0, kchan_info(st->ch[i], &info));
		EXPECT_EQ(0U, info.len);
		EXPECT_EQ(0U, info.send_waiters);
		EXPECT_EQ(0U, info.recv_waiters);
		info_sent += info.sent;
		info_recvd += info.received;
	}
	EXPECT_EQ(ok, info_sent);
	EXPECT_EQ(ok, info_recvd);
	TH_LOG("%u of %llu delivered; %u selects, %u timed out, %u interrupted; %lld ms",
	       ok,
	       (unsigned long long)total, atomic_load(&st->nselects),
	       atomic_load(&st->ntimeouts), atomic_load(&st->nintr),
	       (long long)((kt_now_ns() - start) / KT_NSEC_PER_MSEC));
	if (stopped) {
		TH_LOG("senders stopped by the time budget");
	} else {
		/* Without closes all went through; with them, most did. */
		EXPECT_LE(close_permille ? total * close_permille / 1000 :
			  total, ok);
	}
	for (i = 0; i < NCH; i++)
		close(st->ch[i]);
}

TEST_F_TIMEOUT(stress, exactly_once_no_close, 120)
{
	run(_metadata, self, 0, false);
}

TEST_F_TIMEOUT(stress, exactly_once_with_closes_and_signals, 120)
{
	run(_metadata, self, 500, true);
}

TEST_HARNESS_MAIN
