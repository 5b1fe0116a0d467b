// SPDX-License-Identifier: GPL-2.0
/*
 * kchan_sendv/kchan_recvv: a batch per call.  sendv sends all n in order
 * (blocking as needed) and returns the count, an error only when nothing was
 * sent; recvv waits for one message and takes up to n.  n = 0 returns 0, at
 * most KCHAN_VEC_MAX, and a message that does not fit stays in the channel.
 */
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kchan_test.h"

#define PENDING		(-100000)

/* kchan_sendv or kchan_recvv on a thread of its own. */
struct vec_op {
	pthread_t thread;
	int ch;
	bool send;
	struct kchan_msg *v;
	unsigned int n;
	atomic_int ret;
};

static void *vec_fn(void *arg)
{
	struct vec_op *op = arg;

	atomic_store(&op->ret, op->send ? kchan_sendv(op->ch, op->v, op->n) :
					  kchan_recvv(op->ch, op->v, op->n));
	return NULL;
}

static int vec_start(struct vec_op *op, int ch, bool send,
		     struct kchan_msg *v, unsigned int n)
{
	op->ch = ch;
	op->send = send;
	op->v = v;
	op->n = n;
	atomic_store(&op->ret, PENDING);
	return pthread_create(&op->thread, NULL, vec_fn, op);
}

static int vec_join(struct vec_op *op)
{
	pthread_join(op->thread, NULL);
	return atomic_load(&op->ret);
}

static void fill(struct kchan_msg *v, char (*bufs)[16], unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		v[i].buf = bufs[i];
		v[i].len = 16;
	}
}

TEST(sendv_recvv_round_trip)
{
	int ch = kt_make(8, 16, 0);
	struct kchan_msg out[3] = {
		{ "one", 3 }, { "", 0 }, { "three", 5 },
	};
	struct kchan_msg in[8];
	char bufs[8][16];

	EXPECT_EQ(3, kchan_sendv(ch, out, 3));
	EXPECT_EQ(3, kchan_len(ch));
	fill(in, bufs, 8);
	ASSERT_EQ(3, kchan_recvv(ch, in, 8));
	EXPECT_EQ(3U, in[0].len);
	EXPECT_EQ(0, memcmp(bufs[0], "one", 3));
	EXPECT_EQ(0U, in[1].len);
	EXPECT_EQ(5U, in[2].len);
	EXPECT_EQ(0, memcmp(bufs[2], "three", 5));
	/* Entries past the count are left alone. */
	EXPECT_EQ(16U, in[3].len);
	close(ch);
}

TEST(recvv_takes_at_most_n_in_order)
{
	int ch = kt_make(8, 16, 0);
	struct kchan_msg in[2];
	char bufs[2][16];
	unsigned int i;

	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, kchan_send(ch, &i, sizeof(i)));
	fill(in, bufs, 2);
	ASSERT_EQ(2, kchan_recvv(ch, in, 2));
	EXPECT_EQ(0, bufs[0][0]);
	EXPECT_EQ(1, bufs[1][0]);
	fill(in, bufs, 2);
	ASSERT_EQ(2, kchan_recvv(ch, in, 2));
	EXPECT_EQ(2, bufs[0][0]);
	fill(in, bufs, 2);
	ASSERT_EQ(1, kchan_recvv(ch, in, 2));
	EXPECT_EQ(4, bufs[0][0]);
	close(ch);
}

TEST(recvv_waits_for_first_message_only)
{
	int ch = kt_make(4, 16, 0);
	struct kchan_msg in[4];
	char bufs[4][16];
	struct vec_op w;

	fill(in, bufs, 4);
	ASSERT_EQ(0, vec_start(&w, ch, false, in, 4));
	ASSERT_EQ(0, kt_wait_waiters(ch, 0, 1));
	ASSERT_EQ(0, kchan_send(ch, "solo", 4));
	EXPECT_EQ(1, vec_join(&w));
	EXPECT_EQ(4U, in[0].len);
	close(ch);
}

TEST(sendv_blocks_until_all_sent)
{
	int ch = kt_make(0, 16, 0);
	struct kchan_msg out[4] = {
		{ "a", 1 }, { "b", 1 }, { "c", 1 }, { "d", 1 },
	};
	struct vec_op w;
	char m[16];
	int i;

	ASSERT_EQ(0, vec_start(&w, ch, true, out, 4));
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, kt_wait_waiters(ch, 1, 0));
		EXPECT_EQ(PENDING, atomic_load(&w.ret));
		ASSERT_EQ(1, kchan_recv(ch, m, sizeof(m)));
		EXPECT_EQ('a' + i, m[0]);
	}
	EXPECT_EQ(4, vec_join(&w));
	close(ch);
}

TEST(zero_count_returns_zero)
{
	int ch = kt_make(0, 16, 0);

	EXPECT_EQ(0, kchan_sendv(ch, NULL, 0));
	EXPECT_EQ(0, kchan_recvv(ch, NULL, 0));
	close(ch);
}

TEST(vec_max_accepted_more_einval)
{
	static struct kchan_msg v[KCHAN_VEC_MAX + 1];
	static unsigned int vals[KCHAN_VEC_MAX + 1];
	int ch = kt_make(KCHAN_VEC_MAX, 4, 0);
	unsigned int i;

	for (i = 0; i <= KCHAN_VEC_MAX; i++) {
		vals[i] = i;
		v[i].buf = &vals[i];
		v[i].len = sizeof(vals[i]);
	}
	EXPECT_EQ(-EINVAL, kchan_sendv(ch, v, KCHAN_VEC_MAX + 1));
	EXPECT_EQ(-EINVAL, kchan_sendv(ch, v, UINT_MAX));
	EXPECT_EQ(0, kchan_len(ch));
	EXPECT_EQ(KCHAN_VEC_MAX, kchan_sendv(ch, v, KCHAN_VEC_MAX));
	EXPECT_EQ(KCHAN_VEC_MAX, kchan_len(ch));

	EXPECT_EQ(-EINVAL, kchan_recvv(ch, v, KCHAN_VEC_MAX + 1));
	memset(vals, 0xff, sizeof(vals));
	EXPECT_EQ(KCHAN_VEC_MAX, kchan_recvv(ch, v, KCHAN_VEC_MAX));
	for (i = 0; i < KCHAN_VEC_MAX; i++)
		ASSERT_EQ(i, vals[i]);
	close(ch);
}

TEST(recvv_first_too_big_emsgsize_stays)
{
	int ch = kt_make(4, 16, 0);
	struct kchan_msg in[2];
	char bufs[2][16];

	ASSERT_EQ(0, kchan_send(ch, "0123456789", 10));
	fill(in, bufs, 2);
	in[0].len = 4;
	EXPECT_EQ(-EMSGSIZE, kchan_recvv(ch, in, 2));
	EXPECT_EQ(1, kchan_len(ch));
	fill(in, bufs, 2);
	EXPECT_EQ(1, kchan_recvv(ch, in, 2));
	EXPECT_EQ(10U, in[0].len);
	close(ch);
}

TEST(recvv_later_misfit_stops_early)
{
	int ch = kt_make(4, 16, 0);
	struct kchan_msg in[3];
	char bufs[3][16], m[16];

	ASSERT_EQ(0, kchan_send(ch, "aa", 2));
	ASSERT_EQ(0, kchan_send(ch, "bbbbbbbb", 8));
	ASSERT_EQ(0, kchan_send(ch, "c", 1));
	fill(in, bufs, 3);
	in[1].len = 4;
	EXPECT_EQ(1, kchan_recvv(ch, in, 3));
	EXPECT_EQ(2U, in[0].len);
	EXPECT_EQ(2, kchan_len(ch));
	EXPECT_EQ(8, kchan_recv(ch, m, sizeof(m)));
	EXPECT_EQ(0, memcmp(m, "bbbbbbbb", 8));
	close(ch);
}

TEST(sendv_oversize_message)
{
	int ch = kt_make(4, 4, 0);
	struct kchan_msg first[2] = { { "toolong", 7 }, { "ok", 2 } };
	struct kchan_msg later[3] = { { "ok", 2 }, { "toolong", 7 }, { "no", 2 } };
	int ret;

	EXPECT_EQ(-EMSGSIZE, kchan_sendv(ch, first, 2));
	EXPECT_EQ(0, kchan_len(ch));

	/* Either refused whole, or the messages before the misfit sent. */
	ret = kchan_sendv(ch, later, 3);
	EXPECT_TRUE(ret == -EMSGSIZE || ret == 1) TH_LOG("got %d", ret);
	EXPECT_EQ(ret == 1 ? 1 : 0, kchan_len(ch));
	close(ch);
}

TEST(sendv_partial_then_close_returns_count)
{
	int ch = kt_make(2, 16, 0);
	struct kchan_msg out[5] = {
		{ "1", 1 }, { "2", 1 }, { "3", 1 }, { "4", 1 }, { "5", 1 },
	};
	struct vec_op w;
	char m[16];

	ASSERT_EQ(0, vec_start(&w, ch, true, out, 5));
	ASSERT_EQ(0, kt_wait_waiters(ch, 1, 0));
	EXPECT_EQ(2, kchan_len(ch));
	ASSERT_EQ(0, kchan_close(ch));
	EXPECT_EQ(2, vec_join(&w));
	EXPECT_EQ(1, kchan_recv(ch, m, sizeof(m)));
	EXPECT_EQ(1, kchan_recv(ch, m, sizeof(m)));
	EXPECT_EQ(-EPIPE, kchan_recv(ch, m, sizeof(m)));
	close(ch);
}

TEST(vec_on_closed_channel_epipe)
{
	int ch = kt_make(4, 16, 0);
	struct kchan_msg v[2] = { { "a", 1 }, { "b", 1 } };
	struct kchan_msg in[4];
	char bufs[4][16];

	ASSERT_EQ(2, kchan_sendv(ch, v, 2));
	ASSERT_EQ(0, kchan_close(ch));
	EXPECT_EQ(-EPIPE, kchan_sendv(ch, v, 2));
	fill(in, bufs, 4);
	EXPECT_EQ(2, kchan_recvv(ch, in, 4));
	EXPECT_EQ(-EPIPE, kchan_recvv(ch, in, 4));
	close(ch);
}

TEST(vec_bad_pointers_efault)
{
	int ch = kt_make(4, 16, 0);
	struct kchan_msg bad_buf[1] = { { NULL, 4 } };
	struct kchan_msg in[1];
	char buf[16];

	bad_buf[0].buf = kt_bad_ptr();
	EXPECT_EQ(-EFAULT, kchan_sendv(ch, kt_bad_ptr(), 1));
	EXPECT_EQ(-EFAULT, kchan_sendv(ch, bad_buf, 1));
	EXPECT_EQ(0, kchan_len(ch));
	ASSERT_EQ(0, kchan_send(ch, "keep", 4));
	EXPECT_EQ(-EFAULT, kchan_recvv(ch, kt_bad_ptr(), 1));
	bad_buf[0].len = 16;
	EXPECT_EQ(-EFAULT, kchan_recvv(ch, bad_buf, 1));
	ASSERT_EQ(1, kchan_len(ch)) TH_LOG("the message was lost");
	in[0].buf = buf;
	in[0].len = sizeof(buf);
	EXPECT_EQ(1, kchan_recvv(ch, in, 1));
	EXPECT_EQ(0, memcmp(buf, "keep", 4));
	close(ch);
}

TEST(vec_wrong_direction_ebadf)
{
	int ch = kt_make(4, 16, 0);
	int s = kt_open_end(ch, KCHAN_SEND_END, 0);
	int r = kt_open_end(ch, KCHAN_RECV_END, 0);
	struct kchan_msg v[1] = { { "a", 1 } };
	struct kchan_msg in[1];
	char buf[16];

	in[0].buf = buf;
	in[0].len = sizeof(buf);
	EXPECT_EQ(-EBADF, kchan_sendv(r, v, 1));
	EXPECT_EQ(-EBADF, kchan_recvv(s, in, 1));
	EXPECT_EQ(1, kchan_sendv(s, v, 1));
	EXPECT_EQ(1, kchan_recvv(r, in, 1));
	close(s);
	close(r);
	close(ch);
}

/*
 * Counts the ioctls a child makes for one sendv of 64 and one recvv of 64,
 * by tracing its system calls: a batch is one syscall, not a loop.
 */
TEST(vec_is_one_syscall_each)
{
	int ch = kt_make(64, 8, 0);
	struct __ptrace_syscall_info si;
	int status, ioctls = 0;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		unsigned long long vals[64];
		struct kchan_msg v[64];
		unsigned int i;

		for (i = 0; i < 64; i++) {
			vals[i] = i;
			v[i].buf = &vals[i];
			v[i].len = sizeof(vals[i]);
		}
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
			_exit(10);
		raise(SIGSTOP);
		if (kchan_sendv(ch, v, 64) != 64)
			_exit(11);
		memset(vals, 0, sizeof(vals));
		if (kchan_recvv(ch, v, 64) != 64)
			_exit(12);
		for (i = 0; i < 64; i++)
			if (vals[i] != i)
				_exit(13);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSTOPPED(status));
	ASSERT_EQ(0, ptrace(PTRACE_SETOPTIONS, pid, NULL,
			    PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL));
	for (;;) {
		ASSERT_EQ(0, ptrace(PTRACE_SYSCALL, pid, NULL, NULL));
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		if (WIFEXITED(status) || WIFSIGNALED(status))
			break;
		if (!WIFSTOPPED(status) || WSTOPSIG(status) != (SIGTRAP | 0x80))
			continue;
		ASSERT_LT(0, ptrace(PTRACE_GET_SYSCALL_INFO, pid,
				    (void *)sizeof(si), &si));
		if (si.op == PTRACE_SYSCALL_INFO_ENTRY &&
		    si.entry.nr == SYS_ioctl)
			ioctls++;
	}
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(2, ioctls);
	close(ch);
}

TEST_HARNESS_MAIN
