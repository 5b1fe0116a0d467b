/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the io_uring selftests (selftests/uring_*.c).
 *
 * Completions are reaped with a deadline (KT_WAIT_NS), so a lost
 * completion fails a test instead of hanging it.  Whether an operation has
 * parked is read from the channel's waiter counts, as kchan_test.h does
 * for blocking calls.  Peers in other processes are forked with
 * ur_fork(): they die with the test, and report through their exit
 * status, since ASSERT_* cannot reach the harness from there.
 */
#ifndef URING_UTIL_H
#define URING_UTIL_H

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "kchan_test.h"

/* What a select case's res holds until the kernel writes it. */
#define UR_UNTOUCHED	((ssize_t)0x75726e6775726e67LL)

/* ur_child_wait() of a child that did not exit in time (it is killed). */
#define UR_CHILD_HUNG	(-1000)

struct ur_cqe {
	uint64_t data;
	int res;
};

/* ---- Rings ------------------------------------------------------------- */

/* A ring of @entries SQEs and @cq_entries CQEs (0: the default, 2x). */
#define ur_init(ring, entries, cq_entries, flags) \
	__ur_init(_metadata, ring, entries, cq_entries, flags)

static inline void __ur_init(struct __test_metadata *_metadata,
			     struct io_uring *ring, unsigned int entries,
			     unsigned int cq_entries, unsigned int flags)
{
	struct io_uring_params p = { .flags = flags };
	int ret;

	if (cq_entries) {
		p.flags |= IORING_SETUP_CQSIZE;
		p.cq_entries = cq_entries;
	}
	ret = io_uring_queue_init_params(entries, ring, &p);
	ASSERT_EQ(0, ret) TH_LOG("io_uring_queue_init(%u, %#x): %s", entries,
				 flags, strerror(-ret));
}

/* A free SQE, submitting what is queued if the SQ ring is full. */
#define ur_sqe(ring) __ur_sqe(_metadata, ring)

static inline struct io_uring_sqe *__ur_sqe(struct __test_metadata *_metadata,
					    struct io_uring *ring)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe) {
		io_uring_submit(ring);
		sqe = io_uring_get_sqe(ring);
	}
	ASSERT_NE(NULL, sqe);
	return sqe;
}

#define ur_send(ring, ch, msg, len, data) \
	__ur_send(_metadata, ring, ch, msg, len, data)
#define ur_recv(ring, ch, buf, cap, data) \
	__ur_recv(_metadata, ring, ch, buf, cap, data)
#define ur_select(ring, cases, n, flags, data) \
	__ur_select(_metadata, ring, cases, n, flags, data)

static inline struct io_uring_sqe *
__ur_send(struct __test_metadata *_metadata, struct io_uring *ring, int ch,
	  const void *msg, size_t len, uint64_t data)
{
	struct io_uring_sqe *sqe = __ur_sqe(_metadata, ring);

	kchan_prep_send(sqe, ch, msg, len);
	io_uring_sqe_set_data64(sqe, data);
	return sqe;
}

static inline struct io_uring_sqe *
__ur_recv(struct __test_metadata *_metadata, struct io_uring *ring, int ch,
	  void *buf, size_t cap, uint64_t data)
{
	struct io_uring_sqe *sqe = __ur_sqe(_metadata, ring);

	kchan_prep_recv(sqe, ch, buf, cap);
	io_uring_sqe_set_data64(sqe, data);
	return sqe;
}

static inline struct io_uring_sqe *
__ur_select(struct __test_metadata *_metadata, struct io_uring *ring,
	    struct kchan_case *cases, unsigned int n, unsigned int flags,
	    uint64_t data)
{
	struct io_uring_sqe *sqe = __ur_sqe(_metadata, ring);

	kchan_prep_select(sqe, cases, n, flags);
	io_uring_sqe_set_data64(sqe, data);
	return sqe;
}

/* Submits what is queued; asserts that io_uring took @n SQEs. */
#define ur_submit(ring, n) do {						\
	int __ret = io_uring_submit(ring);				\
	ASSERT_EQ((int)(n), __ret) TH_LOG("io_uring_submit: %s",	\
		__ret < 0 ? strerror(-__ret) : "short");		\
} while (0)

/*
 * Reaps up to @n completions into @out, waiting at most KT_WAIT_NS in all;
 * returns how many it got.
 */
static inline unsigned int ur_reap(struct io_uring *ring, struct ur_cqe *out,
				   unsigned int n)
{
	int64_t end = kt_now_ns() + KT_WAIT_NS;
	struct io_uring_cqe *cqe;
	unsigned int got = 0;

	while (got < n) {
		int64_t left = end - kt_now_ns();
		struct __kernel_timespec ts = {
			.tv_sec = left / KT_NSEC_PER_SEC,
			.tv_nsec = left % KT_NSEC_PER_SEC,
		};

		if (left <= 0 || io_uring_wait_cqe_timeout(ring, &cqe, &ts))
			break;
		out[got].data = io_uring_cqe_get_data64(cqe);
		out[got].res = cqe->res;
		io_uring_cqe_seen(ring, cqe);
		got++;
	}
	return got;
}

static inline int ur_cqe_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct ur_cqe *)a)->data;
	uint64_t y = ((const struct ur_cqe *)b)->data;

	return x < y ? -1 : x > y;
}

/*
 * Reaps exactly @n completions, sorted by user_data: completions of
 * operations that finish in one io_uring_enter() come in no set order.
 */
#define ur_reap_sorted(ring, out, n) do {				\
	unsigned int __got = ur_reap(ring, out, n);			\
	ASSERT_EQ((unsigned int)(n), __got) TH_LOG("completions missing"); \
	qsort(out, n, sizeof(*(out)), ur_cqe_cmp);			\
} while (0)

/* Reaps exactly one completion; asserts that it came. */
#define ur_reap_one(ring) __ur_reap_one(_metadata, ring)

static inline struct ur_cqe __ur_reap_one(struct __test_metadata *_metadata,
					  struct io_uring *ring)
{
	struct ur_cqe c = { .data = ~0ULL, .res = INT_MIN };

	ASSERT_EQ(1U, ur_reap(ring, &c, 1)) TH_LOG("no completion came");
	return c;
}

/* Reaps one completion and checks it is @data's, with @res. */
#define ur_expect_cqe(ring, want_data, want_res) do {			\
	struct ur_cqe __c = ur_reap_one(ring);				\
	EXPECT_EQ((uint64_t)(want_data), __c.data);			\
	EXPECT_EQ((int)(want_res), __c.res) TH_LOG("user_data %llu: %s", \
		(unsigned long long)__c.data,				\
		__c.res < 0 ? strerror(-__c.res) : "ok");		\
} while (0)

/*
 * No completion is ready, after running whatever task work is pending:
 * an operation that should still be parked has not completed.
 */
static inline bool ur_idle(struct io_uring *ring)
{
	struct io_uring_cqe *cqe;

	io_uring_get_events(ring);
	return io_uring_peek_cqe(ring, &cqe) == -EAGAIN;
}

/*
 * The threads of this process.  io_uring's io-wq workers are threads of
 * the submitting process: an operation that blocked in one, rather than
 * parking, would show here.
 */
static inline int ur_threads(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[128];
	int n = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Threads: %d", &n) == 1)
			break;
	fclose(f);
	return n;
}

/* ---- Select cases ---------------------------------------------------------- */

static inline struct kchan_case ur_case_send(int fd, const void *msg,
					     size_t len)
{
	return (struct kchan_case){
		.fd = fd, .op = KCHAN_OP_SEND, .buf = (void *)msg, .len = len,
		.res = UR_UNTOUCHED,
	};
}

static inline struct kchan_case ur_case_recv(int fd, void *buf, size_t cap)
{
	return (struct kchan_case){
		.fd = fd, .op = KCHAN_OP_RECV, .buf = buf, .len = cap,
		.res = UR_UNTOUCHED,
	};
}

static inline struct kchan_case ur_case_poll(int fd, short events)
{
	return (struct kchan_case){
		.fd = fd, .op = KCHAN_OP_POLL, .len = events,
		.res = UR_UNTOUCHED,
	};
}

/* Every case but @fired (-1: none) still holds UR_UNTOUCHED. */
#define ur_check_untouched(c, n, fired) do {				\
	unsigned int __i;						\
	for (__i = 0; __i < (unsigned int)(n); __i++)			\
		if ((int)__i != (fired))				\
			EXPECT_EQ(UR_UNTOUCHED, (c)[__i].res)		\
				TH_LOG("case %u written", __i);		\
} while (0)

/* ---- Other processes ------------------------------------------------------- */

/*
 * fork() for a peer process, which is killed if the test dies first.
 * Returns 0 in the child; asserts that the fork worked.
 */
#define ur_fork() __ur_fork(_metadata)

static inline pid_t __ur_fork(struct __test_metadata *_metadata)
{
	pid_t parent = getpid(), pid = fork();

	ASSERT_LE(0, pid);
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
	}
	return pid;
}

/*
 * The child's exit status, 128 + signal if a signal ended it, or
 * UR_CHILD_HUNG (after killing it) if it has not ended within KT_WAIT_NS.
 */
static inline int ur_child_wait(pid_t pid)
{
	int64_t end = kt_now_ns() + KT_WAIT_NS;
	int status;
	pid_t ret;

	for (;;) {
		ret = waitpid(pid, &status, WNOHANG);
		if (ret == pid)
			break;
		if (ret < 0)
			return -errno;
		if (kt_now_ns() > end) {
			kill(pid, SIGKILL);
			return UR_CHILD_HUNG;
		}
		kt_sleep_ms(1);
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* A pipe for a child to say it is ready (one byte), or to be told to go. */
struct ur_gate {
	int fd[2];
};

#define ur_gate_init(g) ASSERT_EQ(0, pipe2((g)->fd, O_CLOEXEC))

static inline void ur_gate_open(struct ur_gate *g)
{
	char c = 1;

	if (write(g->fd[1], &c, 1) != 1)
		_exit(2);
}

/* Waits for ur_gate_open() from another process; false if it died. */
static inline bool ur_gate_pass(struct ur_gate *g)
{
	struct pollfd p = { .fd = g->fd[0], .events = POLLIN };
	char c;

	if (poll(&p, 1, KT_WAIT_NS / KT_NSEC_PER_MSEC) != 1)
		return false;
	return read(g->fd[0], &c, 1) == 1;
}

static inline void ur_gate_close(struct ur_gate *g)
{
	close(g->fd[0]);
	close(g->fd[1]);
}

/* ---- The module ------------------------------------------------------------- */

#define UR_REFCNT	"/sys/module/kchan/refcnt"

/* The module's reference count, or -1 if it cannot be read. */
static inline long ur_refcnt(void)
{
	FILE *f = fopen(UR_REFCNT, "r");
	long n = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

/*
 * Waits for the module's reference count to come back to @want: files
 * released by a kernel worker (as when a ring or a dead task lets go of
 * them) are put a little later.  Returns the last count read.
 */
static inline long ur_wait_refcnt(long want)
{
	int64_t end = kt_now_ns() + KT_WAIT_NS;
	long n;

	while ((n = ur_refcnt()) != want && kt_now_ns() < end)
		kt_sleep_ms(5);
	return n;
}

#endif /* URING_UTIL_H */
