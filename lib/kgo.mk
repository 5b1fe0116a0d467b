# SPDX-License-Identifier: GPL-2.0
#
# libkgo: built into libkchan (one library, kchan_* and kgo_*), its host
# tests (no module needed; also under ThreadSanitizer) and its examples.

KGO_SRCS := $(TOP)/lib/kgo_pool.c $(TOP)/lib/kgo_ctx.c $(TOP)/lib/kgo_wg.c \
	    $(TOP)/lib/kgo_group.c $(TOP)/lib/kgo_chan.c
LIB_SRCS += $(KGO_SRCS)
LIB_HDRS += $(TOP)/lib/kgo_internal.h

# ---- Host tests: build/host-tests/, each prints kselftest TAP ---------------
# Every test also gets a ThreadSanitizer twin (NAME-tsan), built from the
# library sources with the same flags plus -fsanitize=thread.
HOST_TEST_DIR  := $(B)/host-tests
HOST_TEST_SRCS := $(wildcard $(TOP)/lib/tests/kgo_*_test.c)
HOST_TESTS     := $(patsubst $(TOP)/lib/tests/%.c,$(HOST_TEST_DIR)/%,$(HOST_TEST_SRCS))
TSAN_CC        ?= $(shell command -v clang >/dev/null 2>&1 && echo clang || echo $(CC))
HOST_TEST_FLAGS = -Wno-unused-parameter -I$(dir $(HARNESS)) -I$(TOP)/lib/tests
HOST_TEST_DEPS  = $(wildcard $(TOP)/lib/tests/*.h) $(HARNESS) $(LIB_HDRS)

$(HOST_TEST_DIR)/%: $(TOP)/lib/tests/%.c $(B)/lib/libkchan.a $(HOST_TEST_DEPS)
	@mkdir -p $(@D)
	$(CC) $(KCHAN_CFLAGS) $(HOST_TEST_FLAGS) -o $@ $< $(B)/lib/libkchan.a -lpthread

$(HOST_TEST_DIR)/%-tsan: $(TOP)/lib/tests/%.c $(KGO_SRCS) $(TOP)/lib/kchan.c $(HOST_TEST_DEPS)
	@mkdir -p $(@D)
	$(TSAN_CC) $(KCHAN_CFLAGS) -O1 -fsanitize=thread $(HOST_TEST_FLAGS) -o $@ \
		$< $(KGO_SRCS) $(TOP)/lib/kchan.c -lpthread

host-tests: $(HOST_TESTS) $(addsuffix -tsan,$(HOST_TESTS))

.PHONY: host-tests

# ---- Benchmark: libkgo next to Go, in one run (not a test) -----------------
# make kgo-bench: build/tools/bench/kgo_bench runs the Go twin and prints both.
KGO_BENCH_GO := $(B)/go/kgo_bench_go

$(KGO_BENCH_GO): $(TOP)/tools/bench/kgo_bench.go
	@mkdir -p $(@D)
	cd $(TOP)/tools/bench && GOCACHE=$(CACHE)/go-build GOPROXY=off GO111MODULE=off \
		go build -o $@ kgo_bench.go

kgo-bench: $(B)/tools/bench/kgo_bench $(KGO_BENCH_GO)
	$(B)/tools/bench/kgo_bench $(KGO_BENCH_GO)

.PHONY: kgo-bench

# ---- Examples: standalone programs in build/examples/ ------------------------
# Built with the host tests; their host part runs in kgo_examples_test, the
# channel part in the VM (selftests/kgo_examples.c includes them).
EXAMPLE_SRCS := $(wildcard $(TOP)/examples/kgo_*.c)
EXAMPLES     := $(patsubst $(TOP)/examples/%.c,$(B)/examples/%,$(EXAMPLE_SRCS))

$(B)/examples/%: $(TOP)/examples/%.c $(B)/lib/libkchan.a $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(KCHAN_CFLAGS) -o $@ $< $(B)/lib/libkchan.a -luring -lpthread

examples: $(EXAMPLES)
host-tests: examples
$(HOST_TEST_DIR)/kgo_examples_test $(HOST_TEST_DIR)/kgo_examples_test-tsan: $(EXAMPLE_SRCS)

.PHONY: examples
