# SPDX-License-Identifier: GPL-2.0
#
# The debug kernel: lockdep, KASAN, DEBUG_ATOMIC_SLEEP and friends, built from
# linux-source-6.1 into $KCHAN_CACHE/debug-kernel (tools/kernels.sh names it as
# the "debug" kdir and image).  See tools/debug-kernel/.
#
#   make debug-kernel          build it (a no-op when the stamp matches)
#   make module-debug          kchan.ko for it; builds the kernel first
#   make module-debug-provoke  kchan.ko with the deliberate bugs, kept apart
#                              in build/provoke/mod/debug/
#   make prove-detectors       boot each deliberate bug, expect it caught

DEBUG_KDIR  := $(shell $(TOP)/tools/kernels.sh kdir debug)
DEBUG_STAMP := $(DEBUG_KDIR)/.kchan-stamp
DEBUG_INPUTS := $(TOP)/tools/debug-kernel/build.sh \
		$(TOP)/tools/debug-kernel/kchan-debug.config \
		/usr/src/linux-source-6.1.tar.xz

.PHONY: debug-kernel module-debug-provoke prove-detectors

debug-kernel: | deps
	@$(TOP)/tools/debug-kernel/build.sh debug

# build.sh decides from its hash whether to rebuild; the touch tells make
# that the kernel is now newer than its inputs either way.
$(DEBUG_STAMP): $(DEBUG_INPUTS) | deps
	@$(TOP)/tools/debug-kernel/build.sh debug
	@touch $@

# A module built against an older debug kernel is rebuilt with it.
$(B)/mod/debug/kchan.ko: $(DEBUG_STAMP)

# The provoking build gets a tree of its own, so that no deliberate bug can
# end up in build/mod/debug/kchan.ko, and no clean build is mistaken for it.
module-debug-provoke: $(DEBUG_STAMP)
	@$(MAKE) --no-print-directory B=$(B)/provoke \
		KMOD_EXTRA=CONFIG_KCHAN_PROVOKE=y module-debug

prove-detectors: module-debug-provoke
	@$(TOP)/tools/debug-kernel/prove-detectors.sh
