// SPDX-License-Identifier: GPL-2.0
/*
 * pipeline: five processes joined by kchan channels (make demo).
 *
 *	producer --work--> worker 0..3 --result[i]--> sink
 *
 * The parent makes every channel before it forks, so the children inherit
 * them.  The producer sends ITEMS work items into one buffered channel that
 * the four workers share, then closes it (Go's close()).  Each worker
 * receives until -EPIPE, crunches each item and sends the result on its own
 * channel, which it closes when the work runs out.  The parent is the sink:
 * it polls the four result channels with epoll, takes what is ready with
 * kchan_try_recv(), and counts a worker done when its channel reports
 * -EPIPE (closed and drained; epoll says EPOLLHUP).  It then checks that
 * every item came back exactly once with the right value.
 *
 * Every process keeps only the end it uses (kchan_open_end()): should a
 * worker die, the last send end of its result channel goes with it, the
 * channel closes itself and the sink sees the loss instead of waiting.
 *
 * usage: pipeline [-b BATCH] [ITEMS]
 *	ITEMS	work items (default 200000)
 *	BATCH	with BATCH > 1, the producer and the workers move up to BATCH
 *		messages per call with kchan_sendv()/kchan_recvv()
 *		(default 1: one kchan_send()/kchan_recv() per message)
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kchan.h>

#define NR_WORKERS	4
#define DEFAULT_ITEMS	200000UL
#define MAX_ITEMS	100000000UL
#define MAX_BATCH	256
#define WORK_CAP	256
#define RESULT_CAP	256
#define DRAIN_MAX	64	/* results taken per wake-up, for fairness */
#define STALL_MS	30000	/* no result for this long: give up */

struct work {
	uint32_t seq;
	uint32_t pad;
	uint64_t value;
};

struct result {
	uint32_t seq;
	uint32_t worker;
	uint64_t value;
};

struct sink {
	unsigned long items;
	uint8_t *seen;			/* one bit per item */
	unsigned long received;
	unsigned long duplicates;
	unsigned long wrong;		/* bad value, bad seq or bad worker */
	unsigned long per_worker[NR_WORKERS];
	uint64_t checksum;
};

static pid_t children[NR_WORKERS + 1];
static int nr_children;

/* The producer's payload for item @seq (splitmix64). */
static uint64_t payload(uint64_t seq)
{
	uint64_t z = seq + 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A worker's job: square and fold, a few rounds. */
static uint64_t crunch(uint64_t x)
{
	int i;

	for (i = 0; i < 8; i++) {
		x = x * x + 0x2545f4914f6cdd1dULL;
		x ^= x >> 29;
	}
	return x;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fail(const char *who, const char *what, int err)
{
	fprintf(stderr, "pipeline: %s: %s: %s\n", who, what, strerror(-err));
	if (err == -ENOENT)
		fprintf(stderr, "pipeline: no /dev/kchan: is kchan.ko loaded?\n");
	exit(EXIT_FAILURE);
}

/* A channel's send and receive ends; the creating fd is closed. */
static void make_channel(unsigned int cap, unsigned int size, int *tx, int *rx)
{
	int ch = kchan_make(cap, size, KCHAN_CLOEXEC);

	if (ch < 0)
		fail("parent", "kchan_make", ch);
	*tx = kchan_open_end(ch, KCHAN_SEND_END, KCHAN_CLOEXEC);
	if (*tx < 0)
		fail("parent", "kchan_open_end(send)", *tx);
	*rx = kchan_open_end(ch, KCHAN_RECV_END, KCHAN_CLOEXEC);
	if (*rx < 0)
		fail("parent", "kchan_open_end(recv)", *rx);
	close(ch);
}

static void producer(int work_tx, unsigned long items, unsigned int batch)
{
	struct kchan_msg msg[MAX_BATCH];
	struct work w[MAX_BATCH] = { 0 };
	unsigned long i = 0;
	unsigned int k, n;
	int ret;

	for (k = 0; k < batch; k++)
		msg[k] = (struct kchan_msg){ &w[k], sizeof(w[k]) };
	while (i < items) {
		n = items - i < batch ? items - i : batch;
		for (k = 0; k < n; k++, i++) {
			w[k].seq = i;
			w[k].value = payload(i);
		}
		if (batch == 1)
			ret = kchan_send(work_tx, &w[0], sizeof(w[0]));
		else
			ret = kchan_sendv(work_tx, msg, n);
		if (ret < 0)
			fail("producer", "send", ret);
		if (batch > 1 && (unsigned int)ret != n)
			fail("producer", "kchan_sendv sent too few", -EPROTO);
	}
	ret = kchan_close(work_tx);
	if (ret < 0)
		fail("producer", "kchan_close", ret);
}

/* Receives up to @batch work items into @w; returns how many, or -EPIPE. */
static int take_work(int work_rx, struct work *w, unsigned int batch)
{
	struct kchan_msg msg[MAX_BATCH];
	unsigned int k;
	ssize_t len;
	int n;

	if (batch == 1) {
		len = kchan_recv(work_rx, w, sizeof(*w));
		if (len >= 0 && len != sizeof(*w))
			fail("worker", "short work item", -EPROTO);
		return len < 0 ? len : 1;
	}
	for (k = 0; k < batch; k++)
		msg[k] = (struct kchan_msg){ &w[k], sizeof(w[k]) };
	n = kchan_recvv(work_rx, msg, batch);
	for (k = 0; n > 0 && k < (unsigned int)n; k++)
		if (msg[k].len != sizeof(w[k]))
			fail("worker", "short work item", -EPROTO);
	return n;
}

static void worker(unsigned int id, int work_rx, int result_tx,
		   unsigned int batch)
{
	struct kchan_msg msg[MAX_BATCH];
	struct result r[MAX_BATCH];
	struct work w[MAX_BATCH];
	int k, n, ret;

	for (k = 0; k < (int)batch; k++)
		msg[k] = (struct kchan_msg){ &r[k], sizeof(r[k]) };
	for (;;) {
		n = take_work(work_rx, w, batch);
		if (n == -EPIPE)
			break;		/* closed and drained: no more work */
		if (n < 0)
			fail("worker", "receive", n);
		for (k = 0; k < n; k++) {
			r[k].seq = w[k].seq;
			r[k].worker = id;
			r[k].value = crunch(w[k].value);
		}
		if (batch == 1)
			ret = kchan_send(result_tx, &r[0], sizeof(r[0]));
		else
			ret = kchan_sendv(result_tx, msg, n);
		if (ret < 0)
			fail("worker", "send", ret);
		if (batch > 1 && ret != n)
			fail("worker", "kchan_sendv sent too few", -EPROTO);
	}
	ret = kchan_close(result_tx);
	if (ret < 0)
		fail("worker", "kchan_close", ret);
}

static void account(struct sink *s, unsigned int chan, const struct result *r)
{
	s->received++;
	if (r->seq >= s->items || r->worker != chan ||
	    r->value != crunch(payload(r->seq))) {
		s->wrong++;
		return;
	}
	if (s->seen[r->seq / 8] & (1U << (r->seq % 8))) {
		s->duplicates++;
		return;
	}
	s->seen[r->seq / 8] |= 1U << (r->seq % 8);
	s->per_worker[chan]++;
	s->checksum += r->value;
}

/*
 * Takes up to DRAIN_MAX results from worker @w's channel.  Returns false
 * once the channel is closed and drained (-EPIPE): that worker is done.
 */
static bool drain(struct sink *s, unsigned int w, int rx)
{
	struct result r;
	ssize_t len;
	int i;

	for (i = 0; i < DRAIN_MAX; i++) {
		len = kchan_try_recv(rx, &r, sizeof(r));
		if (len == -EAGAIN)
			return true;
		if (len == -EPIPE)
			return false;
		if (len < 0)
			fail("sink", "kchan_try_recv", len);
		if (len != sizeof(r)) {
			s->wrong++;
			continue;
		}
		account(s, w, &r);
	}
	return true;
}

static void sink(struct sink *s, const int *result_rx)
{
	struct epoll_event ev[NR_WORKERS];
	int ep, n, i, left = NR_WORKERS;
	unsigned int w;

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		fail("sink", "epoll_create1", -errno);
	for (w = 0; w < NR_WORKERS; w++) {
		struct epoll_event e = { .events = EPOLLIN, .data.u32 = w };

		if (epoll_ctl(ep, EPOLL_CTL_ADD, result_rx[w], &e) < 0)
			fail("sink", "epoll_ctl", -errno);
	}
	while (left > 0) {
		n = epoll_wait(ep, ev, NR_WORKERS, STALL_MS);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fail("sink", "epoll_wait", -errno);
		if (n == 0) {
			fprintf(stderr, "pipeline: no result for %d s, %d workers not done\n",
				STALL_MS / 1000, left);
			break;
		}
		for (i = 0; i < n; i++) {
			w = ev[i].data.u32;
			if (drain(s, w, result_rx[w]))
				continue;
			epoll_ctl(ep, EPOLL_CTL_DEL, result_rx[w], NULL);
			close(result_rx[w]);
			left--;
		}
	}
	close(ep);
}

static pid_t spawn(void)
{
	pid_t pid = fork();

	if (pid < 0)
		fail("parent", "fork", -errno);
	if (pid > 0)
		children[nr_children++] = pid;
	return pid;
}

/* Reaps every child; true when all of them exited 0. */
static bool reap(bool kill_first)
{
	bool ok = true;
	int i, status;

	for (i = 0; i < nr_children; i++) {
		if (kill_first)
			kill(children[i], SIGKILL);
		if (waitpid(children[i], &status, 0) < 0 ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			if (i == 0)
				fprintf(stderr, "pipeline: the producer failed\n");
			else
				fprintf(stderr, "pipeline: worker %d failed\n",
					i - 1);
			ok = false;
		}
	}
	return ok;
}

static void bad_usage(void)
{
	fprintf(stderr, "usage: pipeline [-b BATCH] [ITEMS]\n"
		"  ITEMS  work items, 1..%lu (default %lu)\n"
		"  BATCH  messages per send/receive call, 1..%d (default 1)\n",
		MAX_ITEMS, DEFAULT_ITEMS, MAX_BATCH);
	exit(2);
}

static unsigned long number(const char *s, unsigned long max)
{
	unsigned long n;
	char *end;

	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno || *end || end == s || n == 0 || n > max)
		bad_usage();
	return n;
}

int main(int argc, char **argv)
{
	int work_tx, work_rx, result_tx[NR_WORKERS], result_rx[NR_WORKERS];
	struct sink s = { 0 };
	unsigned int w, v, batch = 1;
	uint64_t expect = 0;
	double t0, secs;
	bool once, ok;
	unsigned long i;
	int opt;

	while ((opt = getopt(argc, argv, "b:h")) != -1) {
		if (opt != 'b')
			bad_usage();
		batch = number(optarg, MAX_BATCH);
	}
	if (argc - optind > 1)
		bad_usage();
	s.items = argc > optind ? number(argv[optind], MAX_ITEMS) :
				  DEFAULT_ITEMS;
	s.seen = calloc(s.items / 8 + 1, 1);
	if (!s.seen)
		fail("parent", "calloc", -ENOMEM);
	for (i = 0; i < s.items; i++)
		expect += crunch(payload(i));

	printf("kchan pipeline: producer -> %d workers -> sink (epoll), %lu items\n",
	       NR_WORKERS, s.items);
	if (batch > 1)
		printf("  producer, workers: kchan_sendv/recvv, %u messages a call\n",
		       batch);
	else
		printf("  producer, workers: kchan_send/recv, one message a call\n");
	printf("  work channel:    capacity %d, %zu-byte messages, shared by the workers\n",
	       WORK_CAP, sizeof(struct work));
	printf("  result channels: %d x capacity %d, %zu-byte messages\n",
	       NR_WORKERS, RESULT_CAP, sizeof(struct result));
	fflush(stdout);

	make_channel(WORK_CAP, sizeof(struct work), &work_tx, &work_rx);
	for (w = 0; w < NR_WORKERS; w++)
		make_channel(RESULT_CAP, sizeof(struct result),
			     &result_tx[w], &result_rx[w]);

	t0 = now();
	if (spawn() == 0) {
		close(work_rx);
		for (v = 0; v < NR_WORKERS; v++) {
			close(result_tx[v]);
			close(result_rx[v]);
		}
		producer(work_tx, s.items, batch);
		exit(EXIT_SUCCESS);
	}
	for (w = 0; w < NR_WORKERS; w++) {
		if (spawn() == 0) {
			close(work_tx);
			for (v = 0; v < NR_WORKERS; v++) {
				if (v != w)
					close(result_tx[v]);
				close(result_rx[v]);
			}
			worker(w, work_rx, result_tx[w], batch);
			exit(EXIT_SUCCESS);
		}
	}
	/* The sink only receives: the children hold the send ends. */
	close(work_tx);
	close(work_rx);
	for (w = 0; w < NR_WORKERS; w++)
		close(result_tx[w]);

	sink(&s, result_rx);
	ok = reap(s.received < s.items);
	secs = now() - t0;

	for (w = 0; w < NR_WORKERS; w++)
		printf("  worker %u: %8lu items (%4.1f%%)\n", w, s.per_worker[w],
		       100.0 * s.per_worker[w] / s.items);
	once = s.received == s.items && !s.duplicates && !s.wrong;
	printf("  sink: %lu results; exactly once: %s (%lu missing, %lu duplicates, %lu wrong)\n",
	       s.received, once ? "yes" : "NO",
	       s.items - (s.received - s.duplicates - s.wrong),
	       s.duplicates, s.wrong);
	printf("  checksum: %016llx (expected %016llx) %s\n",
	       (unsigned long long)s.checksum, (unsigned long long)expect,
	       s.checksum == expect ? "ok" : "MISMATCH");
	printf("  elapsed: %.2f s, %.0f items/s, %.0f channel messages/s\n",
	       secs, s.items / secs, 2.0 * s.items / secs);

	ok = ok && once && s.checksum == expect;
	printf("pipeline: %s\n", ok ? "PASS" : "FAIL");
	free(s.seen);
	return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
