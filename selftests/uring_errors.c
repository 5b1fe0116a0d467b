// SPDX-License-Identifier: GPL-2.0
/*
 * Bad io_uring commands fail in their CQE and change nothing: an unknown
 * cmd_op is -ENOTTY, flags on a send or receive -EINVAL, a bad message
 * pointer -EFAULT, a file that is not a channel -EOPNOTSUPP (io_uring's
 * answer for a file without uring_cmd), an end of the wrong direction
 * -EBADF.  On an IORING_SETUP_SQE128 ring the command area is 80 bytes:
 * the 64 beyond struct kchan_uring_cmd's 16 are reserved and must be zero
 * (-EINVAL otherwise); kchan_prep_*() clear only the first 64 bytes of
 * an SQE, so the caller clears the rest.  The arguments are copied out of
 * the SQE at issue: rewriting the SQ slot later changes nothing.
 */
#include <sys/eventfd.h>

#include "uring_util.h"

/* Submits @sqe's command alone and returns its CQE's res. */
#define ur_run(ring) __ur_run(_metadata, ring)

static int __ur_run(struct __test_metadata *_metadata, struct io_uring *ring)
{
	ur_submit(ring, 1);
	return __ur_reap_one(_metadata, ring).res;
}

TEST(unknown_cmd_op_is_enotty)
{
	int ch = kt_make(1, 8, 0);
	static const uint32_t ops[] = {
		0, 1, 0xffffffff, KCHAN_IOC_SEND, KCHAN_IOC_RECV,
		KCHAN_IOC_SELECT, KCHAN_URING_SELECT + 1,
		/* The right number with another size is another command. */
		KT_IOC_SIZED(KCHAN_URING_SEND, 32),
		KT_IOC_SIZED(KCHAN_URING_RECV, 8),
	};
	struct io_uring ring;
	uint64_t m = 1;
	unsigned int i;

	ASSERT_EQ(0, kchan_send(ch, &m, sizeof(m)));
	ur_init(&ring, 8, 0, 0);
	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		ur_recv(&ring, ch, &m, sizeof(m), i)->cmd_op = ops[i];
		EXPECT_EQ(-ENOTTY, ur_run(&ring)) TH_LOG("cmd_op %#x", ops[i]);
	}
	/* /dev/kchan takes selects only. */
	ur_recv(&ring, kchan_dev_fd(), &m, sizeof(m), 100);
	EXPECT_EQ(-ENOTTY, ur_run(&ring));
	ur_send(&ring, kchan_dev_fd(), &m, sizeof(m), 101);
	EXPECT_EQ(-ENOTTY, ur_run(&ring));
	ur_recv(&ring, kchan_dev_fd(), &m, sizeof(m), 102)->cmd_op = 0x1234;
	EXPECT_EQ(-ENOTTY, ur_run(&ring));
	EXPECT_EQ(1, kchan_len(ch));
	io_uring_queue_exit(&ring);
	close(ch);
}

/* The command bytes of @sqe as struct kchan_uring_cmd. */
static struct kchan_uring_cmd *cmd_of(struct io_uring_sqe *sqe)
{
	return (struct kchan_uring_cmd *)sqe->cmd;
}

TEST(flags_on_send_and_recv_are_einval)
{
	int ch = kt_make(1, 8, 0);
	static const uint32_t flags[] = {
		1, KCHAN_SELECT_NOWAIT, KCHAN_SELECT_ORDERED, 0x80000000,
	};
	struct io_uring ring;
	uint64_t m = 1;
	unsigned int i;

	ur_init(&ring, 8, 0, 0);
	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		cmd_of(ur_send(&ring, ch, &m, sizeof(m), 0))->flags = flags[i];
		EXPECT_EQ(-EINVAL, ur_run(&ring)) TH_LOG("flags %#x", flags[i]);
		EXPECT_EQ(0, kchan_len(ch));
	}
	ASSERT_EQ(0, kchan_send(ch, &m, sizeof(m)));
	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		cmd_of(ur_recv(&ring, ch, &m, sizeof(m), 0))->flags = flags[i];
		EXPECT_EQ(-EINVAL, ur_run(&ring)) TH_LOG("flags %#x", flags[i]);
		EXPECT_EQ(1, kchan_len(ch));
	}
	EXPECT_EQ(0, kt_wait_waiters(ch, 0, 0));
	io_uring_queue_exit(&ring);
	close(ch);
}

/* @n readable bytes right before a page no access may touch. */
static void *edge_ptr(size_t n)
{
	size_t page = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || mprotect(p + page, page, PROT_NONE))
		return NULL;
	return p + page - n;
}

/* A send's message is read at issue: a bad pointer fails at once. */
TEST(bad_send_pointer_is_efault_at_once)
{
	int ch = kt_make(0, 8, 0);
	struct io_uring ring;
	uint64_t m = 0;

	ur_init(&ring, 8, 0, 0);
	/* A receiver is waiting: the bad send must not complete it. */
	ur_recv(&ring, ch, &m, sizeof(m), 1);
	ur_submit(&ring, 1);
	ASSERT_EQ(0, kt_wait_waiters(ch, 0, 1));

	ur_send(&ring, ch, kt_bad_ptr(), 8, 2);
	EXPECT_EQ(-EFAULT, ur_run(&ring));
	ur_send(&ring, ch, NULL, 8, 3);
	EXPECT_EQ(-EFAULT, ur_run(&ring));
	/* Part of the message readable, part not. */
	ur_send(&ring, ch, edge_ptr(4), 8, 4);
	EXPECT_EQ(-EFAULT, ur_run(&ring));
	EXPECT_EQ(0, kt_wait_waiters(ch, 0, 1));
	EXPECT_TRUE(ur_idle(&ring));

	EXPECT_EQ(0, kchan_send(ch, "good one", 8));
	ur_expect_cqe(&ring, 1, 8);
	EXPECT_EQ(0, memcmp(&m, "good one", 8));
	io_uring_queue_exit(&ring);
	close(ch);
}

/* A receive's buffer is checked before it takes a message. */
TEST(bad_recv_pointer_is_efault)
{
	int ch = kt_make(1, 8, 0);
	struct io_uring ring;
	uint64_t m;

	ASSERT_EQ(0, kchan_send(ch, "stays", 5));
	ur_init(&ring, 8, 0, 0);
	ur_recv(&ring, ch, kt_bad_ptr(), 8, 1);
	EXPECT_EQ(-EFAULT, ur_run(&ring));
	ur_recv(&ring, ch, NULL, 8, 2);
	EXPECT_EQ(-EFAULT, ur_run(&ring));
	EXPECT_EQ(1, kchan_len(ch));
	EXPECT_EQ(0, kt_wait_waiters(ch, 0, 0));
	ur_recv(&ring, ch, &m, sizeof(m), 3);
	EXPECT_EQ(5, ur_run(&ring));
	io_uring_queue_exit(&ring);
	close(ch);
}

/* A buffer that goes away while its receive is parked: -EFAULT on arrival. */
TEST(recv_buffer_unmapped_while_parked_is_efault)
{
	size_t page = sysconf(_SC_PAGESIZE);
	int ch = kt_make(0, 8, 0);
	struct io_uring ring;
	void *buf;

	buf = mmap(NULL, page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	ur_init(&ring, 8, 0, 0);
	ur_recv(&ring, ch, buf, 8, 1);
	ur_submit(&ring, 1);
	ASSERT_EQ(0, kt_wait_waiters(ch, 0, 1));
	ASSERT_EQ(0, munmap(buf, page));
	EXPECT_EQ(0, kchan_send(ch, "lost", 4));
	ur_expect_cqe(&ring, 1, -EFAULT);
	EXPECT_EQ(0, kt_wait_waiters(ch, 0, 0));
	io_uring_queue_exit(&ring);
	close(ch);
}

/* A file without uring_cmd: io_uring answers -EOPNOTSUPP itself. */
TEST(non_channel_fd_is_eopnotsupp)
{
	int ch = kt_make(1, 8, 0);
	int efd = eventfd(0, EFD_CLOEXEC), p[2];
	struct io_uring ring;
	int fds[4], i;
	uint64_t m = 1;

	/* Not /dev/null: it has a uring_cmd, for benchmarks, that does nothing. */
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	ASSERT_LE(0, efd);
	ur_init(&ring, 8, 0, 0);
	fds[0] = efd;
	fds[1] = p[0];
	fds[2] = p[1];
	fds[3] = ring.ring_fd;
	for (i = 0; i < 4; i++) {
		ur_send(&ring, fds[i], &m, sizeof(m), i);
		EXPECT_EQ(-EOPNOTSUPP, ur_run(&ring)) TH_LOG("fd %d", i);
		ur_recv(&ring, fds[i], &m, sizeof(m), i);
		EXPECT_EQ(-EOPNOTSUPP, ur_run(&ring)) TH_LOG("fd %d", i);
	}
	/* Not an open fd at all: io_uring says -EBADF. */
	ur_send(&ring, 1000, &m, sizeof(m), 10);
	EXPECT_EQ(-EBADF, ur_run(&ring));
	ur_recv(&ring, -1, &m, sizeof(m), 11);
	EXPECT_EQ(-EBADF, ur_run(&ring));
	io_uring_queue_exit(&ring);
	close(p[0]);
	close(p[1]);
	close(efd);
	close(ch);
}

TEST(wrong_direction_is_ebadf)
{
	int ch = kt_make(1, 8, 0);
	int r = kt_open_end(ch, KCHAN_RECV_END, 0);
	int s = kt_open_end(ch, KCHAN_SEND_END, 0);
	struct io_uring ring;
	uint64_t m = 1;

	ASSERT_EQ(0, kchan_send(ch, &m, sizeof(m)));
	ur_init(&ring, 8, 0, 0);
	ur_send(&ring, r, &m, sizeof(m), 1);
	EXPECT_EQ(-EBADF, ur_run(&ring));
	ur_recv(&ring, s, &m, sizeof(m), 2);
	EXPECT_EQ(-EBADF, ur_run(&ring));
	EXPECT_EQ(1, kchan_len(ch));
	EXPECT_EQ(0, kt_wait_waiters(ch, 0, 0));
	/* The right ends work. */
	ur_recv(&ring, r, &m, sizeof(m), 3);
	EXPECT_EQ(8, ur_run(&ring));
	ur_send(&ring, s, &m, sizeof(m), 4);
	EXPECT_EQ(0, ur_run(&ring));
	io_uring_queue_exit(&ring);
	close(r);
	close(s);
	close(ch);
}

/* The arguments are copied at issue; the SQ slot may be reused at once. */
TEST(sqe_rewritten_after_submit_changes_nothing)
{
	int ch = kt_make(0, 8, 0);
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	char buf[8] = "", decoy[8] = "";

	ur_init(&ring, 8, 0, 0);
	sqe = ur_recv(&ring, ch, buf, sizeof(buf), 1);
	ur_submit(&ring, 1);
	ASSERT_EQ(0, kt_wait_waiters(ch, 0, 1));
	/* What a reused slot could hold: another command, another buffer. */
	kchan_prep_send(sqe, ch, decoy, 1);
	memset(sqe->cmd, 0xff, 16);
	EXPECT_EQ(0, kchan_send(ch, "original", 8));
	ur_expect_cqe(&ring, 1, 8);
	EXPECT_EQ(0, memcmp(buf, "original", 8));
	EXPECT_EQ(0, decoy[0]);
	io_uring_queue_exit(&ring);
	close(ch);
}

/* ---- 128-byte SQEs ------------------------------------------------------------ */

/* The second half of an SQE on an IORING_SETUP_SQE128 ring. */
static unsigned char *sqe_tail(struct io_uring_sqe *sqe)
{
	return (unsigned char *)sqe + sizeof(*sqe);
}

/* An SQE of a SQE128 ring, with its tail cleared as kchan_prep_*() do not. */
#define big_sqe(ring) __big_sqe(_metadata, ring)

static struct io_uring_sqe *__big_sqe(struct __test_metadata *_metadata,
				      struct io_uring *ring)
{
	struct io_uring_sqe *sqe = __ur_sqe(_metadata, ring);

	memset(sqe_tail(sqe), 0, 64);
	return sqe;
}

TEST(sqe128_ring_works_with_a_zeroed_tail)
{
	int ch = kt_make(0, 8, 0);
	struct kchan_case c[1];
	struct ur_cqe cqe[2];
	struct io_uring ring;
	char buf[8], sb[8];

	ur_init(&ring, 8, 0, IORING_SETUP_SQE128);
	/* Parked, then met. */
	kchan_prep_recv(big_sqe(&ring), ch, buf, sizeof(buf));
	ur_submit(&ring, 1);
	ASSERT_EQ(0, kt_wait_waiters(ch, 0, 1));
	kchan_prep_send(big_sqe(&ring), ch, "sqe128", 6);
	ur_submit(&ring, 1);
	ASSERT_EQ(2U, ur_reap(&ring, cqe, 2));
	EXPECT_EQ(6, cqe[0].res + cqe[1].res);
	EXPECT_EQ(0, memcmp(buf, "sqe128", 6));

	/* A select: parked, then met. */
	c[0] = ur_case_recv(ch, sb, sizeof(sb));
	kchan_prep_select(big_sqe(&ring), c, 1, 0);
	ur_submit(&ring, 1);
	ASSERT_EQ(0, kt_wait_waiters(ch, 0, 1));
	EXPECT_EQ(0, kchan_send(ch, "select", 6));
	EXPECT_EQ(0, ur_reap_one(&ring).res);
	EXPECT_EQ(6, c[0].res);
	io_uring_queue_exit(&ring);
	close(ch);
}

TEST(sqe128_dirty_tail_is_einval)
{
	int ch = kt_make(1, 8, 0);
	static const unsigned int at[] = { 0, 1, 31, 32, 63 };
	struct kchan_case c[1];
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	unsigned int i, op;
	char buf[8];

	ASSERT_EQ(0, kchan_send(ch, "stays", 5));
	ur_init(&ring, 8, 0, IORING_SETUP_SQE128);
	for (i = 0; i < ARRAY_SIZE(at); i++) {
		for (op = 0; op < 3; op++) {
			sqe = big_sqe(&ring);
			if (op == 0)
				kchan_prep_send(sqe, ch, "x", 1);
			else if (op == 1)
				kchan_prep_recv(sqe, ch, buf, sizeof(buf));
			else
				kchan_prep_select(sqe, c, 1, 0);
			c[0] = ur_case_recv(ch, buf, sizeof(buf));
			sqe_tail(sqe)[at[i]] = 0x80;
			EXPECT_EQ(-EINVAL, ur_run(&ring))
				TH_LOG("op %u, byte %u of the tail", op, at[i]);
			EXPECT_EQ(UR_UNTOUCHED, c[0].res);
		}
	}
	EXPECT_EQ(1, kchan_len(ch));
	EXPECT_EQ(0, kt_wait_waiters(ch, 0, 0));
	io_uring_queue_exit(&ring);
	close(ch);
}

/* On a 64-byte ring, what lies past an SQE is the next SQE: no matter. */
TEST(sqe64_ring_ignores_the_next_slot)
{
	int ch = kt_make(1, 8, 0);
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	char buf[8];

	ur_init(&ring, 8, 0, 0);
	sqe = ur_send(&ring, ch, "sqe64", 5, 1);
	/* Garbage in the following slot, which is not submitted. */
	memset(sqe + 1, 0xa5, sizeof(*sqe));
	EXPECT_EQ(0, ur_run(&ring));
	sqe = ur_recv(&ring, ch, buf, sizeof(buf), 2);
	memset(sqe + 1, 0xa5, sizeof(*sqe));
	EXPECT_EQ(5, ur_run(&ring));
	EXPECT_EQ(0, memcmp(buf, "sqe64", 5));
	io_uring_queue_exit(&ring);
	close(ch);
}

TEST_HARNESS_MAIN
