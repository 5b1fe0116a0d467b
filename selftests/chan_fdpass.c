// SPDX-License-Identifier: GPL-2.0
/*
 * A channel fd travels like any fd: inherited over fork, duplicated with
 * dup, passed with SCM_RIGHTS; every copy is the same channel, and the
 * channel's life follows the last reference, not the creating process.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include "kchan_test.h"

static int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	char byte = 'F';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

static int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(fork_child_sends_parent_receives)
{
	int ch = kt_make(4, 8, 0);
	unsigned int i, v;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		for (i = 0; i < 1000; i++)
			if (kchan_send(ch, &i, sizeof(i)))
				_exit(1);
		_exit(kchan_close(ch) ? 2 : 0);
	}
	for (i = 0; i < 1000; i++) {
		ASSERT_EQ((ssize_t)sizeof(v), kchan_recv(ch, &v, sizeof(v)));
		ASSERT_EQ(i, v);
	}
	EXPECT_EQ(-EPIPE, kchan_recv(ch, &v, sizeof(v)));
	EXPECT_EQ(0, wait_child(pid));
	close(ch);
}

TEST(dup_is_the_same_channel)
{
	int ch = kt_make(2, 8, 0);
	int d = dup(ch);
	struct kchan_info a, b;
	char m[8];

	ASSERT_LE(0, d);
	ASSERT_EQ(0, kchan_send(ch, "dup", 3));
	EXPECT_EQ(1, kchan_len(d));
	ASSERT_EQ(0, kchan_info(ch, &a));
	ASSERT_EQ(0, kchan_info(d, &b));
	EXPECT_EQ(a.id, b.id);

	/* Closing the original fd leaves the file, so the channel, open. */
	ASSERT_EQ(0, close(ch));
	EXPECT_EQ(3, kchan_recv(d, m, sizeof(m)));
	EXPECT_EQ(0, kchan_send(d, "ok", 2));
	ASSERT_EQ(0, kchan_info(d, &b));
	EXPECT_FALSE(!!(b.flags & KCHAN_INFO_CLOSED));
	close(d);
}

TEST(dup_of_last_send_end_keeps_channel_open)
{
	int ch = kt_make(2, 8, 0);
	int s = kt_open_end(ch, KCHAN_SEND_END, 0);
	int r = kt_open_end(ch, KCHAN_RECV_END, 0);
	int s2 = dup(s);
	char m[8];

	ASSERT_LE(0, s2);
	close(ch);
	close(s);
	EXPECT_EQ(0, kchan_send(s2, "x", 1));
	EXPECT_EQ(1, kchan_recv(r, m, sizeof(m)));
	close(s2);
	EXPECT_EQ(-EPIPE, kchan_recv(r, m, sizeof(m)));
	close(r);
}

TEST(scm_rights_passes_a_receive_end)
{
	int sv[2], ch, r, i, status;
	char m[8];
	pid_t pid;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
	/* The child exists before the channel: the fd must come by socket. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(sv[0]);
		r = recv_fd(sv[1]);
		if (r < 0)
			_exit(10);
		if (kchan_info(r, &(struct kchan_info){ 0 }))
			_exit(11);
		for (i = 0; i < 100; i++) {
			if (kchan_recv(r, m, sizeof(m)) != 1 || m[0] != (char)i)
				_exit(12);
		}
		if (kchan_recv(r, m, sizeof(m)) != -EPIPE)
			_exit(13);
		if (kchan_send(r, "x", 1) != -EBADF)
			_exit(14);
		_exit(0);
	}
	close(sv[1]);
	ch = kt_make(0, 8, 0);
	r = kt_open_end(ch, KCHAN_RECV_END, 0);
	ASSERT_EQ(0, send_fd(sv[0], r));
	close(r);
	for (i = 0; i < 100; i++) {
		char c = i;

		ASSERT_EQ(0, kchan_send(ch, &c, 1));
	}
	ASSERT_EQ(0, kchan_close(ch));
	status = wait_child(pid);
	EXPECT_EQ(0, status);
	close(sv[0]);
	close(ch);
}

TEST(fd_in_flight_keeps_channel_alive)
{
	int sv[2], ch, got;
	char m[8];

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	ch = kt_make(2, 8, 0);
	ASSERT_EQ(0, kchan_send(ch, "kept", 4));
	ASSERT_EQ(0, send_fd(sv[0], ch));
	/* The only reference is now inside the socket. */
	ASSERT_EQ(0, close(ch));
	got = recv_fd(sv[1]);
	ASSERT_LE(0, got);
	EXPECT_EQ(4, kchan_recv(got, m, sizeof(m)));
	EXPECT_EQ(0, memcmp(m, "kept", 4));
	close(got);
	close(sv[0]);
	close(sv[1]);
}

TEST(unreceived_fd_in_closed_socket_is_released)
{
	int sv[2], ch, s, r;
	char m[8];

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	ch = kt_make(2, 8, 0);
	s = kt_open_end(ch, KCHAN_SEND_END, 0);
	r = kt_open_end(ch, KCHAN_RECV_END, 0);
	close(ch);
	ASSERT_EQ(0, send_fd(sv[0], s));
	close(s);
	EXPECT_EQ(-EAGAIN, kchan_try_recv(r, m, sizeof(m)));
	/* Dropping the socket drops the last send end with it. */
	close(sv[0]);
	close(sv[1]);
	EXPECT_EQ(-EPIPE, kchan_recv_timeout(r, m, sizeof(m),
					     5 * KT_NSEC_PER_SEC));
	close(r);
}

TEST(pipeline_of_processes)
{
	enum { N = 300, WORKERS = 3 };
	int in = kt_make(8, 8, 0);
	int out = kt_make(8, 8, 0);
	unsigned int seen[N] = { 0 };
	unsigned int v, total = 0;
	pid_t pid[WORKERS], producer;
	int w;

	for (w = 0; w < WORKERS; w++) {
		pid[w] = fork();
		ASSERT_LE(0, pid[w]);
		if (pid[w] == 0) {
			while (kchan_recv(in, &v, sizeof(v)) == sizeof(v)) {
				v *= 2;
				if (kchan_send(out, &v, sizeof(v)))
					_exit(1);
			}
			_exit(0);
		}
	}
	producer = fork();
	ASSERT_LE(0, producer);
	if (producer == 0) {
		for (v = 0; v < N; v++)
			if (kchan_send(in, &v, sizeof(v)))
				_exit(1);
		kchan_close(in);
		_exit(0);
	}
	while (total < N) {
		ASSERT_EQ((ssize_t)sizeof(v), kchan_recv(out, &v, sizeof(v)));
		ASSERT_EQ(0U, v % 2);
		ASSERT_GT(2U * N, v);
		seen[v / 2]++;
		total++;
	}
	for (v = 0; v < N; v++)
		EXPECT_EQ(1U, seen[v]);
	EXPECT_EQ(0, wait_child(producer));
	for (w = 0; w < WORKERS; w++)
		EXPECT_EQ(0, wait_child(pid[w]));
	close(in);
	close(out);
}

TEST_HARNESS_MAIN
