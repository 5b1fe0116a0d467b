// SPDX-License-Identifier: GPL-2.0
/*
 * Deliberate bugs, for proving the debug kernel's detectors fire.
 *
 * Test only: built into kchan.ko just with CONFIG_KCHAN_PROVOKE=y (see
 * Kbuild), never in the shipped module.  Writing a class name to
 * /sys/module/kchan/parameters/provoke commits that bug once:
 *
 *   lockdep  two mutexes taken in both orders        (PROVE_LOCKING)
 *   uaf      a kmalloc()ed byte read after kfree()   (KASAN)
 *   sleep    a GFP_KERNEL kmalloc() under a spinlock (DEBUG_ATOMIC_SLEEP)
 *
 * Each is harmless on its own: one task cannot deadlock against itself,
 * the freed object sits in KASAN's quarantine, and nobody else contends
 * for the spinlock.  tools/debug-kernel/prove-detectors.sh drives them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compiler.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

static DEFINE_MUTEX(provoke_outer);
static DEFINE_MUTEX(provoke_inner);
static DEFINE_SPINLOCK(provoke_spin);

/*
 * outer -> inner, then inner -> outer.  The second order closes a cycle
 * in lockdep's graph, which it reports as a possible circular locking
 * dependency at the second mutex_lock(); nothing blocks, since this task
 * is the only one to take either lock.
 */
static int provoke_lockdep(void)
{
	mutex_lock(&provoke_outer);
	mutex_lock(&provoke_inner);
	mutex_unlock(&provoke_inner);
	mutex_unlock(&provoke_outer);

	mutex_lock(&provoke_inner);
	mutex_lock(&provoke_outer);
	mutex_unlock(&provoke_outer);
	mutex_unlock(&provoke_inner);
	return 0;
}

static int provoke_uaf(void)
{
	u8 *obj = kmalloc(64, GFP_KERNEL);

	if (!obj)
		return -ENOMEM;
	kfree(obj);
	/* Keep the compiler from seeing, and dropping, the stale read. */
	OPTIMIZER_HIDE_VAR(obj);
	pr_info("read %u from a freed object\n", READ_ONCE(obj[0]));
	return 0;
}

/*
 * A GFP_KERNEL allocation may sleep, so it must not happen under a
 * spinlock.  It seldom does sleep, which is why this bug hides so well:
 * only DEBUG_ATOMIC_SLEEP's might_sleep() check in the allocator shows it.
 * (msleep() would not do: on 6.1 it reaches schedule() without passing a
 * might_sleep(), so only the scheduler's "scheduling while atomic" fires.)
 */
static int provoke_sleep(void)
{
	void *obj;

	spin_lock(&provoke_spin);
	obj = kmalloc(64, GFP_KERNEL);
	spin_unlock(&provoke_spin);
	kfree(obj);
	return 0;
}

static const struct {
	const char *name;
	int (*commit)(void);
} provokers[] = {
	{ "lockdep", provoke_lockdep },
	{ "uaf", provoke_uaf },
	{ "sleep", provoke_sleep },
};

static int provoke_set(const char *val, const struct kernel_param *kp)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(provokers); i++) {
		if (sysfs_streq(val, provokers[i].name)) {
			pr_warn("provoking a deliberate %s bug\n",
				provokers[i].name);
			return provokers[i].commit();
		}
	}
	return -EINVAL;
}

static const struct kernel_param_ops provoke_ops = {
	.set = provoke_set,
};
module_param_cb(provoke, &provoke_ops, NULL, 0200);
MODULE_PARM_DESC(provoke, "test only: commit one bug (lockdep, uaf, sleep)");
