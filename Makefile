# SPDX-License-Identifier: GPL-2.0
#
# kchan: `make demo` and `make check` are the two commands (see README.md).
# Everything built goes under build/; nothing is written into the sources.

TOP      := $(CURDIR)
B        := $(TOP)/build
CACHE    := $(B)/cache
KERNELS  ?= 6.1 6.12

CC       ?= gcc
CFLAGS   ?= -O2 -g
KCHAN_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE \
		-I$(TOP)/uapi -I$(TOP)/lib/include $(CFLAGS)

KMOD_SRCS := $(wildcard $(TOP)/kmod/*.c $(TOP)/kmod/*.h) $(wildcard $(TOP)/uapi/linux/*.h) $(TOP)/Kbuild

.PHONY: all deps module lib selftests tools harness checkpatch check demo clean install

all: module lib selftests tools

deps:
	@$(TOP)/tools/deps.sh

# ---- Kernel module, one build tree per kernel ------------------------------
# Kbuild writes objects next to its sources, so each kernel gets a tree of
# symlinks to the sources and its own objects: the two never mix.
define module_rule
$(B)/mod/$(1)/kchan.ko: $(KMOD_SRCS) | deps
	@mkdir -p $(B)/mod/$(1)/kmod $(B)/mod/$(1)/uapi
	@ln -sf $(TOP)/Kbuild $(B)/mod/$(1)/Kbuild
	@ln -sfn $(TOP)/uapi/linux $(B)/mod/$(1)/uapi/linux
	@for f in $(TOP)/kmod/*.c $(TOP)/kmod/*.h; do ln -sf $$$$f $(B)/mod/$(1)/kmod/; done
	$(MAKE) -s -C $$$$($(TOP)/tools/kernels.sh kdir $(1)) M=$(B)/mod/$(1) W=1 $(KMOD_EXTRA) modules
module-$(1): $(B)/mod/$(1)/kchan.ko
endef
$(foreach k,$(KERNELS) debug,$(eval $(call module_rule,$(k))))

module: $(foreach k,$(KERNELS),module-$(k))

# ---- Libraries -----------------------------------------------------------
LIB_SRCS := $(TOP)/lib/kchan.c
LIB_HDRS := $(wildcard $(TOP)/lib/include/*.h) $(TOP)/uapi/linux/kchan.h
-include $(wildcard $(TOP)/lib/*.mk $(TOP)/mk/*.mk)

LIB_OBJS  := $(patsubst $(TOP)/lib/%.c,$(B)/lib/%.o,$(LIB_SRCS))
LIB_PIC   := $(patsubst $(TOP)/lib/%.c,$(B)/lib/%.pic.o,$(LIB_SRCS))
SONAME    := libkchan.so.1

$(B)/lib/%.o: $(TOP)/lib/%.c $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(KCHAN_CFLAGS) -c -o $@ $<
$(B)/lib/%.pic.o: $(TOP)/lib/%.c $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(KCHAN_CFLAGS) -fPIC -DKCHAN_SHARED -c -o $@ $<
$(B)/lib/libkchan.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^
$(B)/lib/$(SONAME): $(LIB_PIC) $(TOP)/lib/libkchan.map
	$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=$(TOP)/lib/libkchan.map \
		-o $@ $(LIB_PIC) -lpthread
	ln -sf $(SONAME) $(B)/lib/libkchan.so
$(B)/lib/kchan.pc: $(TOP)/lib/kchan.pc.in
	sed -e 's|@PREFIX@|$(PREFIX)|' $< > $@

lib: $(B)/lib/libkchan.a $(B)/lib/$(SONAME) $(B)/lib/kchan.pc

# ---- kselftest harness and checkpatch, taken from linux-source-6.1 --------
KSRC_TAR := /usr/src/linux-source-6.1.tar.xz
HARNESS  := $(CACHE)/linux-6.1/tools/testing/selftests/kselftest_harness.h
CHECKPATCH := $(CACHE)/linux-6.1/scripts/checkpatch.pl

$(HARNESS) $(CHECKPATCH): | deps
	@mkdir -p $(CACHE)/linux-6.1
	@echo "  EXTRACT kselftest harness and checkpatch from $(KSRC_TAR)"
	tar -xJf $(KSRC_TAR) -C $(CACHE)/linux-6.1 --strip-components=1 \
		linux-source-6.1/tools/testing/selftests/kselftest_harness.h \
		linux-source-6.1/tools/testing/selftests/kselftest.h \
		linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch \
		linux-source-6.1/.clang-format
	@touch $(HARNESS) $(CHECKPATCH)
harness: $(HARNESS)

checkpatch: $(CHECKPATCH)
	perl $(CHECKPATCH) --no-tree --strict -q --show-types \
		--ignore SPDX_LICENSE_TAG -f $(TOP)/kmod/*.c $(TOP)/kmod/*.h $(TOP)/uapi/linux/*.h

# ---- Selftests and tools (static, so the initramfs needs no libraries) ----
SELFTEST_SRCS := $(wildcard $(TOP)/selftests/*.c)
SELFTESTS     := $(patsubst $(TOP)/selftests/%.c,$(B)/selftests/%,$(SELFTEST_SRCS))
TEST_LDLIBS   := $(B)/lib/libkchan.a -luring -lpthread -lrt -lm

$(B)/selftests/%: $(TOP)/selftests/%.c $(wildcard $(TOP)/selftests/*.h $(TOP)/examples/*.c) $(B)/lib/libkchan.a $(HARNESS)
	@mkdir -p $(@D)
	$(CC) $(KCHAN_CFLAGS) -Wno-unused-parameter -I$(dir $(HARNESS)) -static -o $@ $< $(TEST_LDLIBS)

selftests: $(SELFTESTS)

TOOL_SRCS := $(wildcard $(TOP)/tools/bench/*.c $(TOP)/tools/demo/*.c)
TOOLS     := $(patsubst $(TOP)/tools/%.c,$(B)/tools/%,$(TOOL_SRCS))
$(B)/tools/%: $(TOP)/tools/%.c $(B)/lib/libkchan.a
	@mkdir -p $(@D)
	$(CC) $(KCHAN_CFLAGS) -static -o $@ $< $(TEST_LDLIBS)
tools: $(TOOLS)

# ---- The two commands ------------------------------------------------------
check: deps
	@$(TOP)/tools/check.sh

demo: deps module-6.1 tools
	@$(TOP)/tools/vm/kchan-vm --kernel 6.1 -- /usr/lib/kchan/tools/demo/pipeline

PREFIX  ?= /usr/local
install: lib module-6.1
	install -d $(DESTDIR)$(PREFIX)/include/linux $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 $(TOP)/lib/include/*.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 $(TOP)/uapi/linux/kchan.h $(DESTDIR)$(PREFIX)/include/linux/
	install -m 644 $(B)/lib/libkchan.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(B)/lib/$(SONAME) $(DESTDIR)$(PREFIX)/lib/
	ln -sf $(SONAME) $(DESTDIR)$(PREFIX)/lib/libkchan.so
	install -m 644 $(B)/lib/kchan.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/
	$(MAKE) -C $$($(TOP)/tools/kernels.sh kdir 6.1) M=$(B)/mod/6.1 modules_install

clean:
	rm -rf $(B)/mod $(B)/lib $(B)/selftests $(B)/tools $(B)/vm
