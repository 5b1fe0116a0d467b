// SPDX-License-Identifier: GPL-2.0
/*
 * Go's memory model for channels, checked with relaxed atomics (which order
 * nothing by themselves, so any ordering seen comes from the channel):
 * - a send happens before the matching receive completes;
 * - on an unbuffered channel, the receive happens before the send completes;
 * - on a channel of capacity C, the k-th receive happens before the
 *   (k+C)-th send completes.
 * Each holds across threads and across processes (shared memory).
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include "kchan_test.h"

#define ROUNDS	2000

struct shared {
	atomic_uint before_recv[ROUNDS];	/* written by receiver */
	atomic_uint before_send[ROUNDS];	/* written by sender */
	int bad_sender;
	int bad_receiver;
};

static void put(atomic_uint *p, unsigned int v)
{
	atomic_store_explicit(p, v, memory_order_relaxed);
}

static unsigned int get(atomic_uint *p)
{
	return atomic_load_explicit(p, memory_order_relaxed);
}

static struct shared *shared_new(void)
{
	struct shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return sh == MAP_FAILED ? NULL : sh;
}

struct side {
	int ch;
	unsigned int cap;
	struct shared *sh;
};

/*
 * Round k: the sender publishes before_send[k] then sends; once its send
 * completes it checks before_recv[k - cap], which the receiver wrote just
 * before its (k - cap)-th receive.
 */
static void *sender(void *arg)
{
	struct side *s = arg;
	unsigned int k;

	for (k = 0; k < ROUNDS; k++) {
		put(&s->sh->before_send[k], k + 1);
		if (kchan_send(s->ch, &k, sizeof(k))) {
			s->sh->bad_sender = -1;
			break;
		}
		if (k >= s->cap &&
		    get(&s->sh->before_recv[k - s->cap]) != k - s->cap + 1)
			s->sh->bad_sender++;
	}
	return NULL;
}

static void *receiver(void *arg)
{
	struct side *s = arg;
	unsigned int k, v;

	for (k = 0; k < ROUNDS; k++) {
		put(&s->sh->before_recv[k], k + 1);
		if (kchan_recv(s->ch, &v, sizeof(v)) != sizeof(v) || v != k) {
			s->sh->bad_receiver = -1;
			break;
		}
		if (get(&s->sh->before_send[k]) != k + 1)
			s->sh->bad_receiver++;
	}
	return NULL;
}

static void run_threads(struct __test_metadata *_metadata, unsigned int cap)
{
	struct side s = { .ch = kt_make(cap, 8, 0), .cap = cap };
	pthread_t ts, tr;

	s.sh = shared_new();
	ASSERT_TRUE(!!s.sh);
	ASSERT_EQ(0, pthread_create(&tr, NULL, receiver, &s));
	ASSERT_EQ(0, pthread_create(&ts, NULL, sender, &s));
	pthread_join(ts, NULL);
	pthread_join(tr, NULL);
	EXPECT_EQ(0, s.sh->bad_sender);
	EXPECT_EQ(0, s.sh->bad_receiver);
	close(s.ch);
}

static void run_processes(struct __test_metadata *_metadata, unsigned int cap)
{
	struct side s = { .ch = kt_make(cap, 8, 0), .cap = cap };
	int status;
	pid_t pid;

	s.sh = shared_new();
	ASSERT_TRUE(!!s.sh);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		receiver(&s);
		_exit(0);
	}
	sender(&s);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, s.sh->bad_sender);
	EXPECT_EQ(0, s.sh->bad_receiver);
	close(s.ch);
}

TEST(unbuffered_threads)
{
	run_threads(_metadata, 0);
}

TEST(unbuffered_processes)
{
	run_processes(_metadata, 0);
}

TEST(buffered_cap1_threads)
{
	run_threads(_metadata, 1);
}

TEST(buffered_cap3_processes)
{
	run_processes(_metadata, 3);
}

/*
 * The bound itself: with capacity C and a receiver that has taken k
 * messages, a sender has completed at most k + C sends.
 */
struct counted {
	int ch;
	atomic_uint completed;
};

static void *count_sends(void *arg)
{
	struct counted *c = arg;
	unsigned int i;

	for (i = 0; i < 64; i++) {
		if (kchan_send(c->ch, &i, sizeof(i)))
			break;
		atomic_fetch_add(&c->completed, 1);
	}
	return NULL;
}

TEST(cap_bounds_completed_sends)
{
	static const unsigned int caps[] = { 0, 1, 5 };
	unsigned int i, k, v;

	for (i = 0; i < ARRAY_SIZE(caps); i++) {
		struct counted c = { .ch = kt_make(caps[i], 8, 0) };
		pthread_t t;

		ASSERT_EQ(0, pthread_create(&t, NULL, count_sends, &c));
		for (k = 0; k < 64; k++) {
			int64_t end = kt_now_ns() + KT_WAIT_NS;

			ASSERT_EQ(0, kt_wait_waiters(c.ch, 1, 0));
			while (atomic_load(&c.completed) < k + caps[i] &&
			       kt_now_ns() < end)
				kt_sleep_ms(1);
			EXPECT_EQ(k + caps[i], atomic_load(&c.completed));
			ASSERT_EQ((ssize_t)sizeof(v),
				  kchan_recv(c.ch, &v, sizeof(v)));
			ASSERT_GE(k + 1 + caps[i], atomic_load(&c.completed));
			if (k + caps[i] >= 63)
				break;
		}
		ASSERT_EQ(0, kchan_close(c.ch));
		pthread_join(t, NULL);
		close(c.ch);
	}
}

TEST_HARNESS_MAIN
