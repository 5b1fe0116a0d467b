// SPDX-License-Identifier: GPL-2.0
/*
 * kchan: Go-style channels as file descriptors.
 *
 * /dev/kchan is a misc device whose only job is to create channels:
 * KCHAN_IOC_MAKE returns a new anon-inode fd, as userfaultfd's
 * USERFAULTFD_IOC_NEW does.  Everything else happens on channel fds.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/uaccess.h>

#include "kchan.h"

unsigned int kchan_max_capacity = 1U << 20;
module_param_named(max_capacity, kchan_max_capacity, uint, 0644);
MODULE_PARM_DESC(max_capacity, "Largest channel capacity in messages");

unsigned int kchan_max_msg_size = 1U << 20;
module_param_named(max_msg_size, kchan_max_msg_size, uint, 0644);
MODULE_PARM_DESC(max_msg_size, "Largest message size in bytes");

unsigned long kchan_max_bytes = 64UL << 20;
module_param_named(max_bytes, kchan_max_bytes, ulong, 0644);
MODULE_PARM_DESC(max_bytes, "Largest capacity * message size of one channel");

static long kchan_dev_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	struct kchan_make_args args;
	size_t usize = _IOC_SIZE(cmd);
	int ret;

	if (KCHAN_IOC_BASE(cmd) == KCHAN_IOC_BASE(KCHAN_IOC_SELECT))
		return kchan_ioctl_select(cmd, arg);
	if (KCHAN_IOC_BASE(cmd) != KCHAN_IOC_BASE(KCHAN_IOC_MAKE))
		return -ENOTTY;
	if (usize < KCHAN_MAKE_ARGS_SIZE_VER0)
		return -EINVAL;
	ret = copy_struct_from_user(&args, sizeof(args),
				    (void __user *)arg, usize);
	if (ret)
		return ret;
	return kchan_create(&args);
}

static const struct file_operations kchan_dev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= kchan_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.uring_cmd	= kchan_dev_uring_cmd,
	.llseek		= noop_llseek,
};

static struct miscdevice kchan_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "kchan",
	.fops	= &kchan_dev_fops,
	.mode	= 0666,
};

static int __init kchan_init(void)
{
	int ret;

	ret = kchan_cache_init();
	if (ret)
		return ret;
	kchan_select_setup();
	ret = misc_register(&kchan_misc);
	if (ret)
		kchan_cache_exit();
	return ret;
}

static void __exit kchan_exit(void)
{
	misc_deregister(&kchan_misc);
	kchan_uring_exit();
	kchan_cache_exit();
}

module_init(kchan_init);
module_exit(kchan_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Go-style channels as file descriptors");
MODULE_AUTHOR("The kchan authors");
