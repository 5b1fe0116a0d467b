// SPDX-License-Identifier: MIT
/*
 * A bounded-parallelism worker pool that hashes files, with an error group.
 *
 * The pool bounds parallelism to the processors (let the caller own the
 * concurrency); one group task per file; the first error (say, a missing
 * file) cancels the group's context, the other tasks stop between chunks,
 * and kgo_group_wait() returns that first error once all have finished.
 * Needs no kchan module.
 *
 *   kgo_hashfiles FILE...     prints FNV-1a 64 hashes, like md5sum
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kgo.h"

struct hash_job {
	const char *path;
	uint64_t sum;
};

static uint64_t fnv1a(uint64_t h, const unsigned char *p, size_t n)
{
	while (n--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

static int hash_file(struct kgo_ctx *ctx, void *arg)
{
	struct hash_job *job = arg;
	unsigned char buf[16384];
	uint64_t h = 0xcbf29ce484222325ULL;
	int fd, ret = 0;
	ssize_t n;

	fd = open(job->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		ret = kgo_ctx_err(ctx);	/* another file failed: stop early */
		if (ret)
			break;
		h = fnv1a(h, buf, n);
	}
	if (n < 0)
		ret = -errno;
	close(fd);
	job->sum = h;
	return ret;
}

/* Hashes @n files with at most @nprocs at a time; 0 or the first error. */
static int hashfiles_run(const char **paths, int n, unsigned int nprocs,
			 struct hash_job *jobs)
{
	struct kgo_group *g;
	struct kgo_pool *p;
	int i, ret;

	ret = kgo_pool_new(&p, nprocs);
	if (ret)
		return ret;
	ret = kgo_group_new(p, NULL, &g);
	if (ret)
		goto out_pool;
	for (i = 0; i < n; i++) {
		jobs[i] = (struct hash_job){ .path = paths[i] };
		ret = kgo_group_go(g, hash_file, &jobs[i]);
		if (ret)
			break;
	}
	i = kgo_group_wait(g);
	if (!ret)
		ret = i;
	kgo_group_free(g);
out_pool:
	if (kgo_pool_shutdown(p, -1) && !ret)
		ret = -EBUSY;
	kgo_pool_free(p);
	return ret;
}

#ifndef KGO_EXAMPLE_NO_MAIN
int main(int argc, char **argv)
{
	struct hash_job *jobs = calloc(argc, sizeof(*jobs));
	int i, ret;

	if (!jobs)
		return 1;
	ret = hashfiles_run((const char **)argv + 1, argc - 1, 0, jobs);
	if (ret) {
		fprintf(stderr, "kgo_hashfiles: %s\n", strerror(-ret));
		return 1;
	}
	for (i = 0; i < argc - 1; i++)
		printf("%016llx  %s\n", (unsigned long long)jobs[i].sum, jobs[i].path);
	free(jobs);
	return 0;
}
#endif
