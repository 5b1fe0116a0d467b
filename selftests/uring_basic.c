// SPDX-License-Identifier: GPL-2.0
/*
 * kchan over io_uring: send and receive as IORING_OP_URING_CMD.
 *
 * An operation that can complete does so at once; one that cannot parks as
 * a waiter on the channel (its waiter count says so) and is completed by
 * the peer that satisfies it, which may be another io_uring operation
 * (both ends of an unbuffered channel meet) or a blocking call in another
 * process.  A CQE's res is what the synchronous call returns.  SQEs
 * submitted together are issued in order, so a batch keeps FIFO order.
 */
#include "uring_util.h"

TEST(unbuffered_uring_recv_meets_uring_send)
{
	int ch = kt_make(0, 16, 0);
	struct io_uring ring;
	char buf[16] = "";
	struct ur_cqe c[2];

	ur_init(&ring, 8, 0, 0);
	ur_recv(&ring, ch, buf, sizeof(buf), 1);
	ur_submit(&ring, 1);
	ASSERT_EQ(0, kt_wait_waiters(ch, 0, 1));
	EXPECT_TRUE(ur_idle(&ring));
	/* Parked as a waiter: no io-wq thread holds it. */
	EXPECT_EQ(1, ur_threads());

	ur_send(&ring, ch, "rendezvous", 10, 2);
	ur_submit(&ring, 1);
	ur_reap_sorted(&ring, c, 2);
	EXPECT_EQ(10, c[0].res);
	EXPECT_EQ(0, c[1].res);
	EXPECT_EQ(0, memcmp(buf, "rendezvous", 10));
	EXPECT_EQ(0, kt_wait_waiters(ch, 0, 0));
	io_uring_queue_exit(&ring);
	close(ch);
}

TEST(unbuffered_uring_send_meets_uring_recv)
{
	int ch = kt_make(0, 16, 0);
	struct io_uring ring;
	char buf[16] = "";
	struct ur_cqe c[2];

	ur_init(&ring, 8, 0, 0);
	ur_send(&ring, ch, "first", 5, 1);
	ur_submit(&ring, 1);
	ASSERT_EQ(0, kt_wait_waiters(ch, 1, 0));
	EXPECT_TRUE(ur_idle(&ring));
	/* Rendezvous: nothing was buffered. */
	EXPECT_EQ(0, kchan_len(ch));

	ur_recv(&ring, ch, buf, sizeof(buf), 2);
	ur_submit(&ring, 1);
	ur_reap_sorted(&ring, c, 2);
	EXPECT_EQ(0, c[0].res);
	EXPECT_EQ(5, c[1].res);
	EXPECT_EQ(0, memcmp(buf, "first", 5));
	EXPECT_EQ(0, kt_wait_waiters(ch, 0, 0));
	io_uring_queue_exit(&ring);
	close(ch);
}

TEST(both_ends_in_one_submit_meet)
{
	int ch = kt_make(0, 16, 0);
	struct io_uring ring;
	char b1[16], b2[16];
	struct ur_cqe c[4];

	ur_init(&ring, 8, 0, 0);
	/* Receive first, then send first: both orders meet in one enter. */
	ur_recv(&ring, ch, b1, sizeof(b1), 0);
	ur_send(&ring, ch, "one", 3, 1);
	ur_send(&ring, ch, "two", 3, 2);
	ur_recv(&ring, ch, b2, sizeof(b2), 3);
	ur_submit(&ring, 4);
	ur_reap_sorted(&ring, c, 4);
	EXPECT_EQ(3, c[0].res);
	EXPECT_EQ(0, c[1].res);
	EXPECT_EQ(0, c[2].res);
	EXPECT_EQ(3, c[3].res);
	EXPECT_EQ(0, memcmp(b1, "one", 3));
	EXPECT_EQ(0, memcmp(b2, "two", 3));
	EXPECT_EQ(0, kt_wait_waiters(ch, 0, 0));
	io_uring_queue_exit(&ring);
	close(ch);
}

TEST(signal_only_channel)
{
	int ch = kt_make(0, 0, 0);
	struct io_uring ring;
	struct ur_cqe c[2];

	ur_init(&ring, 8, 0, 0);
	ur_recv(&ring, ch, NULL, 0, 1);
	ur_submit(&ring, 1);
	ASSERT_EQ(0, kt_wait_waiters(ch, 0, 1));
	ur_send(&ring, ch, NULL, 0, 2);
	ur_submit(&ring, 1);
	ur_reap_sorted(&ring, c, 2);
	EXPECT_EQ(0, c[0].res);
	EXPECT_EQ(0, c[1].res);

	/* A signal carries no bytes. */
	ur_send(&ring, ch, "x", 1, 3);
	ur_submit(&ring, 1);
	ur_expect_cqe(&ring, 3, -EMSGSIZE);
	io_uring_queue_exit(&ring);
	close(ch);
}

/* A blocking kchan_send() in another process completes a parked receive. */
TEST(uring_recv_meets_blocking_sender_process)
{
	int ch = kt_make(0, 16, 0);
	struct io_uring ring;
	char buf[16] = "";
	pid_t pid;

	ur_init(&ring, 8, 0, 0);
	ur_recv(&ring, ch, buf, sizeof(buf), 7);
	ur_submit(&ring, 1);
	ASSERT_EQ(0, kt_wait_waiters(ch, 0, 1));

	pid = ur_fork();
	if (!pid)
		_exit(kchan_send(ch, "from child", 10) ? 1 : 0);
	ur_expect_cqe(&ring, 7, 10);
	EXPECT_EQ(0, memcmp(buf, "from child", 10));
	EXPECT_EQ(0, ur_child_wait(pid));
	io_uring_queue_exit(&ring);
	close(ch);
}

/* The sender parks first, in another process; the io_uring receive finds it. */
TEST(blocking_sender_process_parks_first)
{
	int ch = kt_make(0, 16, 0);
	struct io_uring ring;
	char buf[16] = "";
	pid_t pid;

	pid = ur_fork();
	if (!pid)
		_exit(kchan_send(ch, "waiting", 7) ? 1 : 0);
	ASSERT_EQ(0, kt_wait_waiters(ch, 1, 0));

	ur_init(&ring, 8, 0, 0);
	ur_recv(&ring, ch, buf, sizeof(buf), 1);
	ur_submit(&ring, 1);
	ur_expect_cqe(&ring, 1, 7);
	EXPECT_EQ(0, memcmp(buf, "waiting", 7));
	EXPECT_EQ(0, ur_child_wait(pid));
	io_uring_queue_exit(&ring);
	close(ch);
}

/* Child: one blocking receive that must see @want. */
static int child_recv_expect(int ch, const char *want)
{
	char buf[32];
	ssize_t n = kchan_recv(ch, buf, sizeof(buf));

	if (n != (ssize_t)strlen(want))
		return 1;
	return memcmp(buf, want, n) ? 2 : 0;
}

/* A parked io_uring send is completed by a blocking receiver process. */
TEST(uring_send_meets_blocking_receiver_process)
{
	int ch = kt_make(0, 16, 0);
	struct io_uring ring;
	pid_t pid;

	ur_init(&ring, 8, 0, 0);
	ur_send(&ring, ch, "to child", 8, 3);
	ur_submit(&ring, 1);
	ASSERT_EQ(0, kt_wait_waiters(ch, 1, 0));
	EXPECT_TRUE(ur_idle(&ring));

	pid = ur_fork();
	if (!pid)
		_exit(child_recv_expect(ch, "to child"));
	ur_expect_cqe(&ring, 3, 0);
	EXPECT_EQ(0, ur_child_wait(pid));
	io_uring_queue_exit(&ring);
	close(ch);
}

/* The receiver parks first, in another process; the io_uring send finds it. */
TEST(blocking_receiver_process_parks_first)
{
	int ch = kt_make(0, 16, 0);
	struct io_uring ring;
	pid_t pid;

	pid = ur_fork();
	if (!pid)
		_exit(child_recv_expect(ch, "hello"));
	ASSERT_EQ(0, kt_wait_waiters(ch, 0, 1));

	ur_init(&ring, 8, 0, 0);
	ur_send(&ring, ch, "hello", 5, 1);
	ur_submit(&ring, 1);
	ur_expect_cqe(&ring, 1, 0);
	EXPECT_EQ(0, ur_child_wait(pid));
	io_uring_queue_exit(&ring);
	close(ch);
}

/* Sends into a buffered channel complete at once, in order; so do receives. */
TEST(buffered_channel_is_fifo)
{
	enum { N = 64 };
	int ch = kt_make(N, 8, 0);
	struct io_uring ring;
	uint64_t msg[N + 1], buf[N], i;
	struct ur_cqe c[N + 1];
	unsigned int k;

	ur_init(&ring, N, 0, 0);
	/* Each SQE names its own message: they are read at submission. */
	for (i = 0; i <= N; i++)
		msg[i] = i;
	for (i = 0; i < N; i++)
		ur_send(&ring, ch, &msg[i], sizeof(msg[i]), i);
	ur_submit(&ring, N);
	ur_reap_sorted(&ring, c, N);
	for (k = 0; k < N; k++)
		EXPECT_EQ(0, c[k].res);
	EXPECT_EQ(N, kchan_len(ch));

	/* Full: one more parks until a receive makes room. */
	ur_send(&ring, ch, &msg[N], sizeof(msg[N]), N);
	ur_submit(&ring, 1);
	ASSERT_EQ(0, kt_wait_waiters(ch, 1, 0));

	memset(buf, 0xff, sizeof(buf));
	for (i = 0; i < N; i++)
		ur_recv(&ring, ch, &buf[i], sizeof(buf[i]), N + 1 + i);
	ur_submit(&ring, N);
	/* The receives, and the parked send that the first one let in. */
	ur_reap_sorted(&ring, c, N + 1);
	EXPECT_EQ((uint64_t)N, c[0].data);
	EXPECT_EQ(0, c[0].res);
	for (k = 1; k <= N; k++)
		EXPECT_EQ(8, c[k].res);
	for (i = 0; i < N; i++)
		EXPECT_EQ(i, buf[i]);
	/* The parked sender's message moved into the ring, last. */
	EXPECT_EQ(1, kchan_len(ch));
	EXPECT_EQ(8, kchan_try_recv(ch, &i, sizeof(i)));
	EXPECT_EQ((uint64_t)N, i);
	io_uring_queue_exit(&ring);
	close(ch);
}

/*
 * SQEs submitted together are issued in order: parked receives are queued
 * in SQE order, so the k-th message goes to the k-th SQE.
 */
TEST(sqes_submitted_together_issue_in_order)
{
	enum { N = 16 };
	int ch = kt_make(0, 8, 0);
	struct io_uring ring;
	uint64_t msg[N], buf[N], i;
	struct ur_cqe c[N];

	ur_init(&ring, N, 0, 0);
	for (i = 0; i < N; i++)
		ur_recv(&ring, ch, &buf[i], sizeof(buf[i]), i);
	ur_submit(&ring, N);
	ASSERT_EQ(0, kt_wait_waiters(ch, 0, N));
	for (i = 0; i < N; i++)
		ASSERT_EQ(0, kchan_send(ch, &i, sizeof(i)));
	ur_reap_sorted(&ring, c, N);
	for (i = 0; i < N; i++) {
		EXPECT_EQ(8, c[i].res);
		EXPECT_EQ(i, buf[i]);
	}

	/* Sends too: the receiver sees them in SQE order. */
	for (i = 0; i < N; i++) {
		msg[i] = i;
		ur_send(&ring, ch, &msg[i], sizeof(msg[i]), i);
	}
	ur_submit(&ring, N);
	ASSERT_EQ(0, kt_wait_waiters(ch, N, 0));
	for (i = 0; i < N; i++) {
		uint64_t m = ~0ULL;

		ASSERT_EQ(8, kchan_recv(ch, &m, sizeof(m)));
		EXPECT_EQ(i, m);
	}
	ur_reap_sorted(&ring, c, N);
	for (i = 0; i < N; i++)
		EXPECT_EQ(0, c[i].res);
	io_uring_queue_exit(&ring);
	close(ch);
}

/*
 * One io_uring_enter() submits 32 operations, across processes: a sender
 * process and a receiver, each with its own ring, stream ROUNDS batches
 * through a small buffered channel, and every message arrives in order.
 */
#define BATCH	32
#define ROUNDS	64

static int child_send_batches(int ch)
{
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	uint64_t msg[BATCH];
	unsigned int r, i;

	if (io_uring_queue_init(BATCH, &ring, 0))
		return 1;
	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < BATCH; i++) {
			msg[i] = (uint64_t)r * BATCH + i;
			kchan_prep_send(io_uring_get_sqe(&ring), ch, &msg[i],
					sizeof(msg[i]));
		}
		if (io_uring_submit(&ring) != BATCH)
			return 2;
		for (i = 0; i < BATCH; i++) {
			if (io_uring_wait_cqe(&ring, &cqe))
				return 3;
			if (cqe->res)
				return 4;
			io_uring_cqe_seen(&ring, cqe);
		}
	}
	io_uring_queue_exit(&ring);
	return 0;
}

TEST(batches_of_32_in_one_enter_across_processes)
{
	int ch = kt_make(8, 8, 0);
	uint64_t buf[BATCH], want = 0;
	struct ur_cqe c[BATCH];
	struct io_uring ring;
	unsigned int r, i;
	pid_t pid;

	pid = ur_fork();
	if (!pid)
		_exit(child_send_batches(ch));

	ur_init(&ring, BATCH, 0, 0);
	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < BATCH; i++)
			ur_recv(&ring, ch, &buf[i], sizeof(buf[i]), i);
		ur_submit(&ring, BATCH);
		ASSERT_EQ((unsigned int)BATCH, ur_reap(&ring, c, BATCH));
		for (i = 0; i < BATCH; i++)
			ASSERT_EQ(8, c[i].res);
		/* Receives complete out of order; they took messages in order. */
		for (i = 0; i < BATCH; i++, want++)
			ASSERT_EQ(want, buf[i]) TH_LOG("round %u", r);
	}
	EXPECT_EQ(0, ur_child_wait(pid));
	EXPECT_EQ(0, kchan_len(ch));
	io_uring_queue_exit(&ring);
	close(ch);
}

/* O_NONBLOCK is for read(2)/write(2): io_uring operations still park. */
TEST(nonblock_fd_still_parks)
{
	int ch = kt_make(0, 8, KCHAN_NONBLOCK);
	struct io_uring ring;
	char buf[8];

	ASSERT_EQ(-EAGAIN, kchan_recv(ch, buf, sizeof(buf)));
	ur_init(&ring, 8, 0, 0);
	ur_recv(&ring, ch, buf, sizeof(buf), 1);
	ur_submit(&ring, 1);
	ASSERT_EQ(0, kt_wait_waiters(ch, 0, 1));
	EXPECT_TRUE(ur_idle(&ring));
	/* A parked receiver makes even a non-blocking send succeed. */
	EXPECT_EQ(0, kchan_send(ch, "nb", 2));
	ur_expect_cqe(&ring, 1, 2);
	EXPECT_EQ(0, memcmp(buf, "nb", 2));
	io_uring_queue_exit(&ring);
	close(ch);
}

/* IOSQE_ASYNC issues from an io-wq worker; the operation still parks. */
TEST(async_issue_parks_and_frees_the_worker)
{
	int ch = kt_make(0, 8, 0);
	struct io_uring ring;
	struct ur_cqe c[2];
	char buf[8];

	ur_init(&ring, 8, 0, 0);
	ur_recv(&ring, ch, buf, sizeof(buf), 1)->flags |= IOSQE_ASYNC;
	ur_send(&ring, ch, "later", 5, 2)->flags |= IOSQE_ASYNC;
	ur_submit(&ring, 2);
	ur_reap_sorted(&ring, c, 2);
	EXPECT_EQ(5, c[0].res);
	EXPECT_EQ(0, c[1].res);
	EXPECT_EQ(0, memcmp(buf, "later", 5));

	ur_recv(&ring, ch, buf, sizeof(buf), 3)->flags |= IOSQE_ASYNC;
	ur_submit(&ring, 1);
	ASSERT_EQ(0, kt_wait_waiters(ch, 0, 1));
	/* The worker is left idle, and ur_threads() sees it. */
	EXPECT_LT(1, ur_threads());
	EXPECT_EQ(0, kchan_send(ch, "x", 1));
	ur_expect_cqe(&ring, 3, 1);
	io_uring_queue_exit(&ring);
	close(ch);
}

/* A registered (fixed) channel file works like its fd. */
TEST(fixed_file)
{
	int ch = kt_make(0, 8, 0);
	struct io_uring ring;
	struct ur_cqe c[2];
	char buf[8];

	ur_init(&ring, 8, 0, 0);
	ASSERT_EQ(0, io_uring_register_files(&ring, &ch, 1));
	ur_recv(&ring, 0, buf, sizeof(buf), 1)->flags |= IOSQE_FIXED_FILE;
	ur_submit(&ring, 1);
	ASSERT_EQ(0, kt_wait_waiters(ch, 0, 1));
	ur_send(&ring, 0, "fixed", 5, 2)->flags |= IOSQE_FIXED_FILE;
	ur_submit(&ring, 1);
	ur_reap_sorted(&ring, c, 2);
	EXPECT_EQ(5, c[0].res);
	EXPECT_EQ(0, c[1].res);
	EXPECT_EQ(0, memcmp(buf, "fixed", 5));
	io_uring_queue_exit(&ring);
	close(ch);
}

/* ---- Bad input -------------------------------------------------------------- */

TEST(send_longer_than_msg_size_is_emsgsize_and_sends_nothing)
{
	int ch = kt_make(4, 8, 0);
	struct io_uring ring;
	char big[9] = "123456789";
	struct ur_cqe c[2];

	ur_init(&ring, 8, 0, 0);
	ur_send(&ring, ch, big, sizeof(big), 1);
	/* Beyond 32 bits, the helper clamps: still too long. */
	ur_send(&ring, ch, big, (size_t)1 << 33, 2);
	ur_submit(&ring, 2);
	ur_reap_sorted(&ring, c, 2);
	EXPECT_EQ(-EMSGSIZE, c[0].res);
	EXPECT_EQ(-EMSGSIZE, c[1].res);
	EXPECT_EQ(0, kchan_len(ch));
	io_uring_queue_exit(&ring);
	close(ch);
}

/* A short buffer: -EMSGSIZE, and the message stays for the next receive. */
TEST(recv_into_short_buffer_is_emsgsize_and_message_stays)
{
	int ch = kt_make(4, 16, 0);
	struct io_uring ring;
	char buf[16] = "";

	ASSERT_EQ(0, kchan_send(ch, "too long", 8));
	ur_init(&ring, 8, 0, 0);
	ur_recv(&ring, ch, buf, 7, 1);
	ur_submit(&ring, 1);
	ur_expect_cqe(&ring, 1, -EMSGSIZE);
	EXPECT_EQ(1, kchan_len(ch));
	ur_recv(&ring, ch, buf, 8, 2);
	ur_submit(&ring, 1);
	ur_expect_cqe(&ring, 2, 8);
	EXPECT_EQ(0, memcmp(buf, "too long", 8));
	io_uring_queue_exit(&ring);
	close(ch);
}

/* A parked receive too short for the message that comes fails alone. */
TEST(parked_short_recv_fails_and_message_goes_to_the_next)
{
	int ch = kt_make(0, 16, 0);
	struct io_uring ring;
	char small[4], big[16];
	struct ur_cqe c[2];

	ur_init(&ring, 8, 0, 0);
	ur_recv(&ring, ch, small, sizeof(small), 1);
	ur_recv(&ring, ch, big, sizeof(big), 2);
	ur_submit(&ring, 2);
	ASSERT_EQ(0, kt_wait_waiters(ch, 0, 2));
	EXPECT_EQ(0, kchan_send(ch, "eight ch", 8));
	ur_reap_sorted(&ring, c, 2);
	EXPECT_EQ(-EMSGSIZE, c[0].res);
	EXPECT_EQ(8, c[1].res);
	EXPECT_EQ(0, memcmp(big, "eight ch", 8));

	/* With no receiver left that fits, the message is not lost either. */
	ur_recv(&ring, ch, small, sizeof(small), 3);
	ur_submit(&ring, 1);
	ASSERT_EQ(0, kt_wait_waiters(ch, 0, 1));
	EXPECT_EQ(-EAGAIN, kchan_try_send(ch, "eight ch", 8));
	ur_expect_cqe(&ring, 3, -EMSGSIZE);
	io_uring_queue_exit(&ring);
	close(ch);
}

TEST(closed_channel_is_epipe)
{
	int ch = kt_make(2, 8, 0);
	struct io_uring ring;
	char b2[8], b3[8];
	struct ur_cqe c[3];

	ASSERT_EQ(0, kchan_send(ch, "last", 4));
	ASSERT_EQ(0, kchan_close(ch));
	ur_init(&ring, 8, 0, 0);
	ur_send(&ring, ch, "late", 4, 1);
	ur_recv(&ring, ch, b2, sizeof(b2), 2);
	ur_recv(&ring, ch, b3, sizeof(b3), 3);
	ur_submit(&ring, 3);
	ur_reap_sorted(&ring, c, 3);
	EXPECT_EQ(-EPIPE, c[0].res);
	/* Receivers drain what was buffered, then -EPIPE. */
	EXPECT_EQ(4, c[1].res);
	EXPECT_EQ(-EPIPE, c[2].res);
	EXPECT_EQ(0, memcmp(b2, "last", 4));
	io_uring_queue_exit(&ring);
	close(ch);
}

/*
 * A receive writes the bytes of the message it takes, and nothing else:
 * not when it fails, not past the message's length.
 */
TEST(recv_writes_only_the_message)
{
	size_t page = sysconf(_SC_PAGESIZE);
	int ch = kt_make(2, 3 * page, 0);
	struct io_uring ring;
	unsigned char *buf;
	size_t i, bad;

	buf = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	memset(buf, 0xa5, 3 * page);
	ur_init(&ring, 8, 0, 0);

	/* Too short for the message: -EMSGSIZE. */
	ASSERT_EQ(0, kchan_send(ch, "0123456789", 10));
	ur_recv(&ring, ch, buf + 1, 4, 1);
	ur_submit(&ring, 1);
	ur_expect_cqe(&ring, 1, -EMSGSIZE);
	/* A short message into a buffer of several pages. */
	ur_recv(&ring, ch, buf + 1, 3 * page - 1, 2);
	ur_submit(&ring, 1);
	ur_expect_cqe(&ring, 2, 10);
	/* Closed and drained: -EPIPE. */
	ASSERT_EQ(0, kchan_close(ch));
	ur_recv(&ring, ch, buf + 20, 2 * page, 3);
	ur_submit(&ring, 1);
	ur_expect_cqe(&ring, 3, -EPIPE);

	EXPECT_EQ(0, memcmp(buf + 1, "0123456789", 10));
	for (i = 0, bad = 0; i < 3 * page; i++)
		if ((i < 1 || i > 10) && buf[i] != 0xa5 && bad++ < 8)
			TH_LOG("byte %zu of the buffer is %#x", i, buf[i]);
	EXPECT_EQ(0U, bad) TH_LOG("%zu bytes written outside the message",
				  bad);
	munmap(buf, 3 * page);
	io_uring_queue_exit(&ring);
	close(ch);
}

TEST(send_with_no_receive_end_left_is_epipe)
{
	int ch = kt_make(0, 8, 0);
	int s = kt_open_end(ch, KCHAN_SEND_END, 0);
	struct io_uring ring;

	close(ch);
	ur_init(&ring, 8, 0, 0);
	ur_send(&ring, s, "nobody", 6, 1);
	ur_submit(&ring, 1);
	ur_expect_cqe(&ring, 1, -EPIPE);
	io_uring_queue_exit(&ring);
	close(s);
}

TEST_HARNESS_MAIN
