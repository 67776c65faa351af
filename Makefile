# Centralita: `make run` (install missing packages, build, serve through nginx) and
# `make test` (install test packages, run every test). See README.md.
# `make acceptance` (against a real Asterisk 22) and `make acceptance-bench` are in mk/acceptance.mk.

PORT    ?= 8080
TESTPBX ?=
CONF    ?=
PREFIX  ?= /usr/local
DESTDIR ?=

CC       ?= cc
BUILDDIR ?= build
OPT      ?= -O2 -g
SAN      ?=

WARN      = -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
DEFS      = -D_GNU_SOURCE
INCLUDES  = -Isrc -Icgi -I/usr/include/ClearSilver
ALL_CFLAGS  = $(WARN) $(DEFS) $(OPT) $(SAN) $(INCLUDES) $(CFLAGS) -MMD -MP
LIBS      = -lfcgi -lneo_cgi -lneo_cs -lneo_utl -lssl -lcrypto -lsqlite3 -lz -lpthread -lm
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null)

LIB_SRC  := $(wildcard src/*/*.c)
CGI_SRC  := $(filter-out cgi/main.c,$(wildcard cgi/*.c))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_SUPPORT_SRC := $(wildcard tests/unit/support/*.c)

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILDDIR)/obj/%.o)
CGI_OBJ  := $(CGI_SRC:%.c=$(BUILDDIR)/obj/%.o)
UNIT_SUPPORT_OBJ := $(UNIT_SUPPORT_SRC:%.c=$(BUILDDIR)/obj/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILDDIR)/tests/%)

.PHONY: all run test unit unit-run asan-unit integration browser fuzz bench install deps clean
.DEFAULT_GOAL := all

all: $(BUILDDIR)/centralita

$(BUILDDIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILDDIR)/libcentralita.a: $(LIB_OBJ) $(CGI_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILDDIR)/centralita: $(BUILDDIR)/obj/cgi/main.o $(BUILDDIR)/libcentralita.a
	$(CC) $(SAN) -o $@ $^ $(LIBS)

$(BUILDDIR)/tests/%: $(BUILDDIR)/obj/tests/unit/%.o $(UNIT_SUPPORT_OBJ) $(BUILDDIR)/libcentralita.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -o $@ $^ $(CHECK_LIBS) $(LIBS)

unit: $(UNIT_BIN)

# Runs every unit test binary; check prints "N%: Checks: N, Failures: N, Errors: N" per binary.
unit-run: $(UNIT_BIN) $(BUILDDIR)/centralita
	@scripts/run-unit.sh $(UNIT_BIN)

asan-unit:
	$(MAKE) BUILDDIR=build/asan OPT="-O1 -g -fno-omit-frame-pointer" \
	  SAN="-fsanitize=address,undefined -fno-sanitize-recover=all" unit-run

deps:
	@scripts/deps.sh run

run: deps all
	@TESTPBX="$(TESTPBX)" scripts/run.sh "$(PORT)" "$(CONF)"

test:
	@scripts/deps.sh test
	@scripts/test.sh

integration: all
	@scripts/test.sh integration

browser: all
	@scripts/test.sh browser

bench:
	@scripts/deps.sh bench
	@$(MAKE) all
	@bench/run.sh

install: all
	scripts/install.sh "$(DESTDIR)" "$(PREFIX)"

clean:
	rm -rf build tests/out

-include mk/*.mk
-include $(shell find $(BUILDDIR)/obj -name '*.d' 2>/dev/null)
