# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# xdpdns: one Makefile. `make` builds, `make deps` installs Debian packages, `make test`,
# `make run`, `make bench`. Everything generated goes under .output/.

OUT		:= .output
CLANG		?= clang-19
BPFTOOL		?= bpftool
CC		?= cc
PKGS		:= libbpf libxdp json-c yajl libcurl criterion ldns yaml-0.1 libmicrohttpd
CLANG_MIN	:= 15

Q		= @
msg		= @printf '  %-8s %s\n' "$(1)" "$(2)";
ifeq ($(V),1)
Q		=
msg		=
endif

.DELETE_ON_ERROR:
.SUFFIXES:
.PHONY: all deps check-deps test test-unit test-bpf test-netns run bench bench-kube bench-slowpath clean format

# Debian packages: build toolchain, libraries, and what tests, demo and bench run.
DEB_PKGS := clang-19 llvm-19 bpftool libbpf-dev libxdp-dev xdp-tools libjson-c-dev \
	libyajl-dev libcurl4-openssl-dev libcriterion-dev libldns-dev pkg-config libelf-dev zlib1g-dev \
	iproute2 knot-dnsutils dnsutils python3-dnspython make gcc uthash-dev jq \
	openssl curl python3-kubernetes libyaml-dev libmicrohttpd-dev \
	dnsperf nsd knot unbound dnsmasq-base bsdextrautils

BPF_CFLAGS	:= -g -O2 --target=bpf -mcpu=v3 -Wall -Wextra -Werror -Wno-unused-parameter \
		   -Imaps -Ibpf/lib -Ibpf -I/usr/include/$(shell uname -m)-linux-gnu
CFLAGS		?= -O2 -g
XCFLAGS		:= -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-missing-field-initializers \
		   -Imaps -I. -I$(OUT) -MMD -MP
LDLIBS		:= -lxdp -lbpf -ljson-c -lyajl -lcurl -lyaml -lmicrohttpd -lelf -lz -lm -lpthread

LIB_SRCS	:= $(wildcard maps/*.c loader/*.c userspace/util/*.c userspace/dns/*.c \
		     userspace/zone/*.c userspace/kube/*.c userspace/server/*.c userspace/metrics/*.c)
LIB_OBJS	:= $(patsubst %.c,$(OUT)/%.o,$(LIB_SRCS))
BIN_SRCS	:= userspace/xdpdns.c userspace/xdpdnsctl.c
BINS		:= $(patsubst userspace/%.c,$(OUT)/%,$(BIN_SRCS))
BPF_SRCS	:= $(wildcard bpf/*.bpf.c)
BPF_OBJS	:= $(patsubst bpf/%.bpf.c,$(OUT)/%.bpf.o,$(BPF_SRCS))
SKELS		:= $(patsubst bpf/%.bpf.c,$(OUT)/%.skel.h,$(BPF_SRCS))
BENCH_BPF	:= $(wildcard bench/*.bpf.c)
BENCH_SKELS	:= $(patsubst bench/%.bpf.c,$(OUT)/bench/%.skel.h,$(BENCH_BPF))
BENCH_SRCS	:= $(filter-out %.bpf.c,$(wildcard bench/*.c))
BENCH_BINS	:= $(patsubst bench/%.c,$(OUT)/bench/%,$(BENCH_SRCS))
BENCH_LIB	:= $(patsubst %.c,$(OUT)/%.o,$(wildcard bench/lib/*.c))
UNIT_SRCS	:= $(wildcard tests/unit/*.c)
UNIT_BINS	:= $(patsubst tests/%.c,$(OUT)/tests/%,$(UNIT_SRCS))
TBPF_SRCS	:= $(filter-out %.bpf.c,$(wildcard tests/bpf/*.c))
TBPF_BINS	:= $(patsubst tests/%.c,$(OUT)/tests/%,$(TBPF_SRCS))
TBPF_HELPERS	:= $(wildcard tests/lib/*.c)
TBPF_HOBJS	:= $(patsubst %.c,$(OUT)/%.o,$(TBPF_HELPERS))
TOOL_SRCS	:= $(wildcard tests/tools/*.c)
TOOL_BINS	:= $(patsubst tests/%.c,$(OUT)/tests/%,$(TOOL_SRCS))
TEST_BPF	:= $(wildcard tests/bpf/*.bpf.c)
TEST_BPF_OBJS	:= $(patsubst tests/bpf/%.bpf.c,$(OUT)/tests/bpf/%.bpf.o,$(TEST_BPF))

all: check-deps $(BPF_OBJS) $(SKELS) $(BINS) $(TEST_BPF_OBJS)

# Install exactly what is missing; quick when everything is present.
deps:
	$(Q)missing=$$(for p in $(DEB_PKGS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
		| grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "  DEPS     installing:" $$missing; \
		if [ "$$(id -u)" != 0 ]; then echo "make deps: run as root to install: $$missing" >&2; exit 1; fi; \
		{ apt-get install -y -qq --no-install-recommends $$missing >/dev/null 2>&1 || \
		  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		    apt-get install -y -qq --no-install-recommends $$missing; }; } || exit 1; \
	fi

check-deps: deps
	$(Q)v=$$($(CLANG) -dumpversion 2>/dev/null | cut -d. -f1); \
	[ -n "$$v" ] && [ "$$v" -ge $(CLANG_MIN) ] || { echo "need $(CLANG) >= $(CLANG_MIN) (make deps)" >&2; exit 1; }
	$(Q)$(BPFTOOL) gen help 2>&1 | grep -q skeleton || { echo "bpftool lacks 'gen skeleton'" >&2; exit 1; }
	$(Q)pkg-config --exists $(PKGS) || { echo "missing pkg-config modules: $(PKGS)" >&2; exit 1; }
	$(Q)[ -e /sys/kernel/btf/vmlinux ] || echo "warning: kernel has no BTF (/sys/kernel/btf/vmlinux)" >&2

$(OUT) $(OUT)/bench:
	$(Q)mkdir -p $@

$(OUT)/%.bpf.o: bpf/%.bpf.c | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(notdir $*) > $@

$(OUT)/bench/%.bpf.o: bench/%.bpf.c | $(OUT)/bench
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

$(OUT)/bench/%.skel.h: $(OUT)/bench/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(notdir $*) > $@

$(OUT)/tests/bpf/%.bpf.o: tests/bpf/%.bpf.c
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

# Every userspace object may include a skeleton: they exist before the first compile.
$(OUT)/%.o: %.c $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(XCFLAGS) -c $< -o $@

$(OUT)/libxdpdns.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUT)/%: $(OUT)/userspace/%.o $(OUT)/libxdpdns.a
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $< $(OUT)/libxdpdns.a $(LDLIBS) -o $@

$(OUT)/xdpdnsctl: LDLIBS += -lldns

$(OUT)/tests/unit/%: $(OUT)/tests/unit/%.o $(TBPF_HOBJS) $(OUT)/libxdpdns.a
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $^ -lcriterion -lldns $(LDLIBS) -o $@

$(OUT)/tests/bpf/%: $(OUT)/tests/bpf/%.o $(TBPF_HOBJS) $(OUT)/libxdpdns.a
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $^ -lcriterion -lldns $(LDLIBS) -o $@

# Helper programs the netns tests run (tests/tools/NAME.c -> .output/tests/tools/NAME).
$(OUT)/tests/tools/%: $(OUT)/tests/tools/%.o $(OUT)/libxdpdns.a
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(OUT)/bench/%.o: bench/%.c $(SKELS) $(BENCH_SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(XCFLAGS) -I$(OUT)/bench -c $< -o $@

$(OUT)/bench/%: $(OUT)/bench/%.o $(BENCH_LIB) $(OUT)/libxdpdns.a
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

test: all $(UNIT_BINS) $(TBPF_BINS) $(TOOL_BINS)
	$(Q)tests/run.sh

run: all
	$(Q)deploy/demo.sh

bench: all $(BENCH_SKELS) $(BENCH_BINS)
	$(Q)bench/run.sh

# The live-sync benchmarks (bench/kube_sync.sh): minutes, so not part of `make bench`.
bench-kube: all $(BENCH_SKELS) $(BENCH_BINS)
	$(Q)bench/kube_sync.sh $(KUBE_BENCH_ARGS)

# Issue 4: the slow path per core against NSD, Knot, Unbound and dnsmasq (bench/slowpath.sh).
bench-slowpath: all $(OUT)/bench/reflect.bpf.o
	$(Q)bench/slowpath.sh

format:
	$(Q)clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	$(Q)rm -rf $(OUT)

.SECONDARY:
-include $(shell find $(OUT) -name '*.d' 2>/dev/null)
