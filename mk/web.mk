# web.mk: the web plumbing's fuzzer (the multipart/form-data parser of uploads), auto-included by the Makefile.
#   make fuzz        adds a long run of it (FUZZ_SECONDS, default 600) after the AMI parser's (mk/ami.mk)
#   make fuzz-short  adds a 20 s run; prints the crash-free exec count on one line
# The parser is a few hundred lines over a body in memory: 20 s covers it, and keeps `make test` short.

WEB_FUZZ_CC    ?= clang
WEB_FUZZ_DIR   := $(BUILDDIR)/fuzz-multipart
WEB_FUZZ_BIN   := $(WEB_FUZZ_DIR)/fuzz_multipart
WEB_FUZZ_SRC   := tests/fuzz/fuzz_multipart.c src/web/multipart.c src/web/form.c src/util/text.c
WEB_FUZZ_FLAGS := -std=c11 -D_GNU_SOURCE -Isrc -g -O1 -fno-omit-frame-pointer \
                  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_SECONDS   ?= 600

.PHONY: web-fuzz web-fuzz-short fuzz-short

fuzz: web-fuzz
fuzz-short: web-fuzz-short

$(WEB_FUZZ_BIN): $(WEB_FUZZ_SRC) src/web/multipart.h src/web/form.h src/util/text.h
	@mkdir -p $(WEB_FUZZ_DIR)
	$(WEB_FUZZ_CC) $(WEB_FUZZ_FLAGS) -o $@ $(WEB_FUZZ_SRC)

# The working corpus lives under build/ (seeds from tests/fuzz/multipart-corpus are copied in, never written to).
web-fuzz: $(WEB_FUZZ_BIN)
	@mkdir -p $(WEB_FUZZ_DIR)/corpus $(WEB_FUZZ_DIR)/artifacts
	@cp -n tests/fuzz/multipart-corpus/* $(WEB_FUZZ_DIR)/corpus/ 2>/dev/null || true
	$(WEB_FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 \
	  -artifact_prefix=$(WEB_FUZZ_DIR)/artifacts/ $(WEB_FUZZ_DIR)/corpus

web-fuzz-short: $(WEB_FUZZ_BIN)
	@mkdir -p $(WEB_FUZZ_DIR)/corpus $(WEB_FUZZ_DIR)/artifacts
	@cp -n tests/fuzz/multipart-corpus/* $(WEB_FUZZ_DIR)/corpus/ 2>/dev/null || true
	@$(WEB_FUZZ_BIN) -max_total_time=20 -max_len=65536 -timeout=10 -print_final_stats=1 \
	  -artifact_prefix=$(WEB_FUZZ_DIR)/artifacts/ $(WEB_FUZZ_DIR)/corpus > $(WEB_FUZZ_DIR)/short.log 2>&1; \
	  rc=$$?; \
	  runs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $(WEB_FUZZ_DIR)/short.log); \
	  if [ $$rc -eq 0 ]; then echo "fuzz_multipart: $${runs:-?} execs in 20 s, no crash"; \
	  else tail -40 $(WEB_FUZZ_DIR)/short.log; echo "fuzz_multipart: FAILED (exit $$rc)"; exit 1; fi
