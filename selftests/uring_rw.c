// SPDX-License-Identifier: GPL-2.0
/*
 * Plain IORING_OP_READ / IORING_OP_WRITE on a channel fd: one message per
 * operation, as read(2)/write(2).  The channel's read_iter/write_iter
 * honour IOCB_NOWAIT (FMODE_NOWAIT), so io_uring tries each at once and,
 * on -EAGAIN, waits for the fd's poll readiness and tries again: a READ
 * submitted on an empty channel completes when someone writes, a WRITE
 * on a full one when someone reads.  They interwork with kchan's own
 * io_uring operations and with blocking calls in other processes.
 */
#include <sys/uio.h>

#include "uring_util.h"

static void prep_read(struct io_uring *ring, int fd, void *buf,
		      unsigned int len, uint64_t data)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	io_uring_prep_read(sqe, fd, buf, len, 0);
	io_uring_sqe_set_data64(sqe, data);
}

static void prep_write(struct io_uring *ring, int fd, const void *buf,
		       unsigned int len, uint64_t data)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	io_uring_prep_write(sqe, fd, buf, len, 0);
	io_uring_sqe_set_data64(sqe, data);
}

TEST(write_then_read_buffered)
{
	int ch = kt_make(4, 16, 0);
	static const char * const msg[] = { "one", "three", "fifteen" };
	char buf[3][16];
	struct ur_cqe c[3];
	struct io_uring ring;
	int i;

	ur_init(&ring, 8, 0, 0);
	for (i = 0; i < 3; i++)
		prep_write(&ring, ch, msg[i], strlen(msg[i]), i);
	ur_submit(&ring, 3);
	ur_reap_sorted(&ring, c, 3);
	for (i = 0; i < 3; i++)
		EXPECT_EQ((int)strlen(msg[i]), c[i].res);
	EXPECT_EQ(3, kchan_len(ch));

	for (i = 0; i < 3; i++)
		prep_read(&ring, ch, buf[i], sizeof(buf[i]), i);
	ur_submit(&ring, 3);
	ur_reap_sorted(&ring, c, 3);
	/* Issued in order: each read took the next message. */
	for (i = 0; i < 3; i++) {
		EXPECT_EQ((int)strlen(msg[i]), c[i].res);
		EXPECT_EQ(0, memcmp(buf[i], msg[i], strlen(msg[i])));
	}
	EXPECT_EQ(0, kchan_len(ch));
	io_uring_queue_exit(&ring);
	close(ch);
}

/* Child: one blocking write(2) of @msg. */
static int child_write(int ch, const char *msg)
{
	return write(ch, msg, strlen(msg)) == (ssize_t)strlen(msg) ? 0 : 1;
}

/* A READ submitted on an empty channel completes when another process writes. */
TEST(read_waits_for_a_writer_process)
{
	int capacity;

	for (capacity = 0; capacity <= 1; capacity++) {
		int ch = kt_make(capacity, 16, 0);
		struct io_uring ring;
		char buf[16] = "";
		pid_t pid;

		ur_init(&ring, 8, 0, 0);
		prep_read(&ring, ch, buf, sizeof(buf), 1);
		ur_submit(&ring, 1);
		EXPECT_TRUE(ur_idle(&ring));
		/* It waits on poll, not in an io-wq thread. */
		EXPECT_EQ(1, ur_threads());
		pid = ur_fork();
		if (!pid)
			_exit(child_write(ch, "written"));
		ur_expect_cqe(&ring, 1, 7);
		EXPECT_EQ(0, memcmp(buf, "written", 7))
			TH_LOG("capacity %d", capacity);
		EXPECT_EQ(0, ur_child_wait(pid));
		EXPECT_EQ(0, kchan_len(ch));
		io_uring_queue_exit(&ring);
		close(ch);
	}
}

/* A WRITE with no room completes when another process reads. */
TEST(write_waits_for_a_reader_process)
{
	int capacity;

	for (capacity = 0; capacity <= 1; capacity++) {
		int ch = kt_make(capacity, 16, 0);
		const char *first = capacity ? "old" : "queued";
		struct io_uring ring;
		char buf[16];
		pid_t pid;

		if (capacity)
			ASSERT_EQ(0, kchan_send(ch, "old", 3));
		ur_init(&ring, 8, 0, 0);
		prep_write(&ring, ch, "queued", 6, 1);
		ur_submit(&ring, 1);
		EXPECT_TRUE(ur_idle(&ring));
		EXPECT_EQ(1, ur_threads());
		pid = ur_fork();
		if (!pid) {
			ssize_t n = read(ch, buf, sizeof(buf));

			_exit(n == (ssize_t)strlen(first) &&
			      !memcmp(buf, first, n) ? 0 : 1);
		}
		ur_expect_cqe(&ring, 1, 6);
		EXPECT_EQ(0, ur_child_wait(pid)) TH_LOG("capacity %d", capacity);
		if (capacity) {
			EXPECT_EQ(6, kchan_try_recv(ch, buf, sizeof(buf)));
			EXPECT_EQ(0, memcmp(buf, "queued", 6));
		}
		io_uring_queue_exit(&ring);
		close(ch);
	}
}

/* READ/WRITE and kchan's io_uring operations are peers like any other. */
TEST(rw_meets_uring_cmd)
{
	int ch = kt_make(0, 16, 0);
	struct io_uring ring;
	char b1[16], b2[16];
	struct ur_cqe c[2];

	ur_init(&ring, 8, 0, 0);
	ur_recv(&ring, ch, b1, sizeof(b1), 1);
	ur_submit(&ring, 1);
	ASSERT_EQ(0, kt_wait_waiters(ch, 0, 1));
	prep_write(&ring, ch, "via write", 9, 2);
	ur_submit(&ring, 1);
	ur_reap_sorted(&ring, c, 2);
	EXPECT_EQ(9, c[0].res);
	EXPECT_EQ(9, c[1].res);
	EXPECT_EQ(0, memcmp(b1, "via write", 9));

	ur_send(&ring, ch, "via send", 8, 3);
	ur_submit(&ring, 1);
	ASSERT_EQ(0, kt_wait_waiters(ch, 1, 0));
	prep_read(&ring, ch, b2, sizeof(b2), 4);
	ur_submit(&ring, 1);
	ur_reap_sorted(&ring, c, 2);
	EXPECT_EQ(0, c[0].res);
	EXPECT_EQ(8, c[1].res);
	EXPECT_EQ(0, memcmp(b2, "via send", 8));
	io_uring_queue_exit(&ring);
	close(ch);
}

/* WRITEV gathers its iovecs into one message; READV scatters one. */
TEST(vectors_are_one_message)
{
	int ch = kt_make(2, 16, 0);
	char a[4] = "abc", b[4] = "def", x[3], y[16];
	struct iovec out[2] = { { a, 3 }, { b, 3 } };
	struct iovec in[2] = { { x, sizeof(x) }, { y, sizeof(y) } };
	struct io_uring ring;

	ur_init(&ring, 8, 0, 0);
	io_uring_prep_writev(io_uring_get_sqe(&ring), ch, out, 2, 0);
	ur_submit(&ring, 1);
	ur_expect_cqe(&ring, 0, 6);
	EXPECT_EQ(1, kchan_len(ch));
	io_uring_prep_readv(io_uring_get_sqe(&ring), ch, in, 2, 0);
	ur_submit(&ring, 1);
	ur_expect_cqe(&ring, 0, 6);
	EXPECT_EQ(0, memcmp(x, "abc", 3));
	EXPECT_EQ(0, memcmp(y, "def", 3));
	EXPECT_EQ(0, kchan_len(ch));
	io_uring_queue_exit(&ring);
	close(ch);
}

TEST(read_at_eof_is_0_and_write_after_close_is_epipe)
{
	int ch = kt_make(2, 16, 0);
	struct io_uring ring;
	char buf[16];
	struct ur_cqe c[3];

	ASSERT_EQ(0, kchan_send(ch, "drain", 5));
	ASSERT_EQ(0, kchan_close(ch));
	ur_init(&ring, 8, 0, 0);
	prep_read(&ring, ch, buf, sizeof(buf), 0);
	prep_read(&ring, ch, buf, sizeof(buf), 1);
	prep_write(&ring, ch, "late", 4, 2);
	ur_submit(&ring, 3);
	ur_reap_sorted(&ring, c, 3);
	EXPECT_EQ(5, c[0].res);
	EXPECT_EQ(0, c[1].res);
	EXPECT_EQ(-EPIPE, c[2].res);
	io_uring_queue_exit(&ring);
	close(ch);
}

/* A READ waiting on an empty channel ends at EOF when it closes. */
TEST(waiting_read_ends_at_close)
{
	int ch = kt_make(0, 16, 0);
	struct io_uring ring;
	char buf[16];

	ur_init(&ring, 8, 0, 0);
	prep_read(&ring, ch, buf, sizeof(buf), 1);
	ur_submit(&ring, 1);
	EXPECT_TRUE(ur_idle(&ring));
	ASSERT_EQ(0, kchan_close(ch));
	ur_expect_cqe(&ring, 1, 0);
	io_uring_queue_exit(&ring);
	close(ch);
}

/*
 * On an O_NONBLOCK fd, io_uring still waits for readiness and retries
 * (it does for any file that supports IOCB_NOWAIT), as for pipes.
 */
TEST(nonblock_fd_read_and_write_still_wait)
{
	int ch = kt_make(1, 16, KCHAN_NONBLOCK);
	struct io_uring ring;
	char buf[16];

	ur_init(&ring, 8, 0, 0);
	prep_read(&ring, ch, buf, sizeof(buf), 1);
	ur_submit(&ring, 1);
	EXPECT_TRUE(ur_idle(&ring));
	ASSERT_EQ(0, kchan_send(ch, "first", 5));
	ur_expect_cqe(&ring, 1, 5);

	ASSERT_EQ(0, kchan_send(ch, "full", 4));
	prep_write(&ring, ch, "more", 4, 2);
	ur_submit(&ring, 1);
	EXPECT_TRUE(ur_idle(&ring));
	EXPECT_EQ(4, kchan_recv(ch, buf, sizeof(buf)));
	ur_expect_cqe(&ring, 2, 4);
	EXPECT_EQ(1, kchan_len(ch));
	io_uring_queue_exit(&ring);
	close(ch);
}

/* ---- Bad input -------------------------------------------------------------- */

TEST(write_longer_than_msg_size_is_emsgsize)
{
	int ch = kt_make(2, 4, 0);
	struct io_uring ring;

	ur_init(&ring, 8, 0, 0);
	prep_write(&ring, ch, "12345", 5, 1);
	ur_submit(&ring, 1);
	ur_expect_cqe(&ring, 1, -EMSGSIZE);
	EXPECT_EQ(0, kchan_len(ch));
	io_uring_queue_exit(&ring);
	close(ch);
}

TEST(read_into_short_buffer_is_emsgsize_and_message_stays)
{
	int ch = kt_make(2, 16, 0);
	struct io_uring ring;
	char buf[16];

	ASSERT_EQ(0, kchan_send(ch, "0123456789", 10));
	ur_init(&ring, 8, 0, 0);
	prep_read(&ring, ch, buf, 9, 1);
	ur_submit(&ring, 1);
	ur_expect_cqe(&ring, 1, -EMSGSIZE);
	EXPECT_EQ(1, kchan_len(ch));
	prep_read(&ring, ch, buf, 10, 2);
	ur_submit(&ring, 1);
	ur_expect_cqe(&ring, 2, 10);
	EXPECT_EQ(0, memcmp(buf, "0123456789", 10));
	io_uring_queue_exit(&ring);
	close(ch);
}

TEST(bad_buffers_are_efault)
{
	int ch = kt_make(2, 16, 0);
	struct io_uring ring;

	ur_init(&ring, 8, 0, 0);
	prep_write(&ring, ch, kt_bad_ptr(), 8, 1);
	ur_submit(&ring, 1);
	ur_expect_cqe(&ring, 1, -EFAULT);
	EXPECT_EQ(0, kchan_len(ch));

	/* The buffer is checked before a message is taken. */
	ASSERT_EQ(0, kchan_send(ch, "kept", 4));
	prep_read(&ring, ch, kt_bad_ptr(), 8, 2);
	ur_submit(&ring, 1);
	ur_expect_cqe(&ring, 2, -EFAULT);
	EXPECT_EQ(1, kchan_len(ch));
	io_uring_queue_exit(&ring);
	close(ch);
}

TEST(wrong_direction_is_ebadf)
{
	int ch = kt_make(2, 16, 0);
	int r = kt_open_end(ch, KCHAN_RECV_END, 0);
	int s = kt_open_end(ch, KCHAN_SEND_END, 0);
	struct io_uring ring;
	char buf[16];

	ASSERT_EQ(0, kchan_send(ch, "x", 1));
	ur_init(&ring, 8, 0, 0);
	prep_write(&ring, r, "no", 2, 1);
	ur_submit(&ring, 1);
	ur_expect_cqe(&ring, 1, -EBADF);
	prep_read(&ring, s, buf, sizeof(buf), 2);
	ur_submit(&ring, 1);
	ur_expect_cqe(&ring, 2, -EBADF);
	EXPECT_EQ(1, kchan_len(ch));
	io_uring_queue_exit(&ring);
	close(r);
	close(s);
	close(ch);
}

TEST_HARNESS_MAIN
