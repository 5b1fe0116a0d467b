// SPDX-License-Identifier: MIT
/*
 * libkchan: thin wrappers around the /dev/kchan ioctls.
 *
 * Every call returns -errno and leaves errno as it found it: the syscall
 * wrappers below save and restore it, so callers never need to.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kchan.h"

#define KCHAN_DEV	"/dev/kchan"

_Static_assert(sizeof(struct kchan_msg) == sizeof(struct kchan_iov) ||
	       sizeof(void *) != 8, "kchan_msg must match kchan_iov on LP64");

static long kchan_ioctl(int fd, unsigned long req, void *arg)
{
	int saved = errno;
	long ret = ioctl(fd, req, arg);

	if (ret < 0)
		ret = -errno;
	errno = saved;
	return ret;
}

/*
 * One /dev/kchan fd per process, opened on first use, answers MAKE and
 * SELECT.  The program may close it behind our back, and its number may
 * then be reused: so when an ioctl on it fails with -EBADF or -ENOTTY,
 * check with fstat() that it still is /dev/kchan before believing the
 * error (which may well be about a select case's fd), and otherwise open
 * the device again and retry once.
 */
static int kchan_dev = -1;
static dev_t kchan_dev_rdev;

static int kchan_dev_open(int stale)
{
	int fd = open(KCHAN_DEV, O_RDWR | O_CLOEXEC);
	int cur = stale;
	struct stat st;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) == 0)
		__atomic_store_n(&kchan_dev_rdev, st.st_rdev, __ATOMIC_RELAXED);
	if (!__atomic_compare_exchange_n(&kchan_dev, &cur, fd, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		close(fd);	/* another thread won */
		return cur;
	}
	return fd;
}

static bool kchan_dev_is_ours(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) &&
	       st.st_rdev == __atomic_load_n(&kchan_dev_rdev, __ATOMIC_RELAXED);
}

static long kchan_dev_ioctl(unsigned long req, void *arg)
{
	int saved = errno;
	int fd = __atomic_load_n(&kchan_dev, __ATOMIC_ACQUIRE);
	long ret;

	if (fd < 0)
		fd = kchan_dev_open(fd);
	if (fd >= 0) {
		ret = kchan_ioctl(fd, req, arg);
		if ((ret != -EBADF && ret != -ENOTTY) || kchan_dev_is_ours(fd))
			goto out;
		fd = kchan_dev_open(fd);
	}
	ret = fd < 0 ? fd : kchan_ioctl(fd, req, arg);
out:
	errno = saved;
	return ret;
}

int kchan_dev_fd(void)
{
	int saved = errno;
	int fd = __atomic_load_n(&kchan_dev, __ATOMIC_ACQUIRE);

	if (fd < 0)
		fd = kchan_dev_open(fd);
	errno = saved;
	return fd;
}

int kchan_make(unsigned int capacity, unsigned int msg_size, unsigned int flags)
{
	struct kchan_make_args args = {
		.capacity = capacity,
		.msg_size = msg_size,
		.flags = flags,
	};

	return kchan_dev_ioctl(KCHAN_IOC_MAKE, &args);
}

int kchan_close(int ch)
{
	return kchan_ioctl(ch, KCHAN_IOC_CLOSE, NULL);
}

int kchan_info(int ch, struct kchan_info *info)
{
	return kchan_ioctl(ch, KCHAN_IOC_INFO, info);
}

int kchan_len(int ch)
{
	struct kchan_info info;
	int ret = kchan_info(ch, &info);

	return ret < 0 ? ret : (int)info.len;
}

int kchan_cap(int ch)
{
	struct kchan_info info;
	int ret = kchan_info(ch, &info);

	return ret < 0 ? ret : (int)info.capacity;
}

int kchan_open_end(int ch, unsigned int end, unsigned int flags)
{
	struct kchan_end_args args = { .end = end, .flags = flags };

	return kchan_ioctl(ch, KCHAN_IOC_OPEN_END, &args);
}

static long kchan_xfer(int ch, unsigned long req, const void *buf, size_t len,
		       int64_t timeout_ns, unsigned int flags)
{
	struct kchan_xfer_args args = {
		.buf = (uintptr_t)buf,
		.len = len,
		.timeout_ns = timeout_ns,
		.flags = flags,
	};

	return kchan_ioctl(ch, req, &args);
}

int kchan_send(int ch, const void *msg, size_t len)
{
	return kchan_xfer(ch, KCHAN_IOC_SEND, msg, len, -1, 0);
}

ssize_t kchan_recv(int ch, void *buf, size_t cap)
{
	return kchan_xfer(ch, KCHAN_IOC_RECV, buf, cap, -1, 0);
}

int kchan_try_send(int ch, const void *msg, size_t len)
{
	return kchan_xfer(ch, KCHAN_IOC_SEND, msg, len, -1, KCHAN_XFER_NOWAIT);
}

ssize_t kchan_try_recv(int ch, void *buf, size_t cap)
{
	return kchan_xfer(ch, KCHAN_IOC_RECV, buf, cap, -1, KCHAN_XFER_NOWAIT);
}

int kchan_send_timeout(int ch, const void *msg, size_t len, int64_t timeout_ns)
{
	return kchan_xfer(ch, KCHAN_IOC_SEND, msg, len, timeout_ns, 0);
}

ssize_t kchan_recv_timeout(int ch, void *buf, size_t cap, int64_t timeout_ns)
{
	return kchan_xfer(ch, KCHAN_IOC_RECV, buf, cap, timeout_ns, 0);
}

static int kchan_vec(int ch, unsigned long req, const struct kchan_msg *msgs,
		     unsigned int n)
{
	struct kchan_vec_args args = {
		.iov = (uintptr_t)msgs,
		.count = n,
		.timeout_ns = -1,
	};

	return kchan_ioctl(ch, req, &args);
}

int kchan_sendv(int ch, const struct kchan_msg *msgs, unsigned int n)
{
	return kchan_vec(ch, KCHAN_IOC_SENDV, msgs, n);
}

int kchan_recvv(int ch, struct kchan_msg *msgs, unsigned int n)
{
	return kchan_vec(ch, KCHAN_IOC_RECVV, msgs, n);
}

_Static_assert(sizeof(struct kchan_case) == sizeof(struct kchan_select_case) ||
	       sizeof(void *) != 8, "kchan_case must match kchan_select_case");

int kchan_select(struct kchan_case *cases, unsigned int n, int64_t timeout_ns,
		 unsigned int flags)
{
	struct kchan_select_args args = {
		.cases = (uintptr_t)cases,
		.count = n,
		.flags = flags,
		.timeout_ns = timeout_ns,
		.case_size = sizeof(struct kchan_select_case),
	};

	return kchan_dev_ioctl(KCHAN_IOC_SELECT, &args);
}
