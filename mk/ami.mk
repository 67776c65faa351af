# ami.mk: AMI library extras, auto-included by the Makefile.
#   make fuzz        long libFuzzer run of the AMI parser (FUZZ_SECONDS, default 600)
#   make fuzz-short  ~30 s run; prints the crash-free exec count on one line (make test runs the fuzzers with -j2)
# The targets only add prerequisites to fuzz/fuzz-short, so other fragments can add their own fuzzers too.

AMI_FUZZ_CC      ?= clang
AMI_FUZZ_DIR     := $(BUILDDIR)/fuzz
AMI_FUZZ_BIN     := $(AMI_FUZZ_DIR)/fuzz_ami_parser
AMI_FUZZ_SRC     := tests/fuzz/fuzz_ami_parser.c src/ami/ami_msg.c src/ami/ami_config.c src/util/buf.c
AMI_FUZZ_FLAGS   := -std=c11 -D_GNU_SOURCE -Isrc -g -O1 -fno-omit-frame-pointer \
                    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_SECONDS     ?= 600

.PHONY: ami-fuzz ami-fuzz-short fuzz-short

fuzz: ami-fuzz
fuzz-short: ami-fuzz-short

$(AMI_FUZZ_BIN): $(AMI_FUZZ_SRC) src/ami/ami.h src/ami/ami_internal.h src/util/buf.h
	@mkdir -p $(AMI_FUZZ_DIR)
	$(AMI_FUZZ_CC) $(AMI_FUZZ_FLAGS) -o $@ $(AMI_FUZZ_SRC)

# The working corpus lives under build/ (seeds from tests/fuzz/corpus are copied in, never written to).
ami-fuzz: $(AMI_FUZZ_BIN)
	@mkdir -p $(AMI_FUZZ_DIR)/corpus $(AMI_FUZZ_DIR)/artifacts
	@cp -n tests/fuzz/corpus/* $(AMI_FUZZ_DIR)/corpus/ 2>/dev/null || true
	$(AMI_FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 \
	  -artifact_prefix=$(AMI_FUZZ_DIR)/artifacts/ $(AMI_FUZZ_DIR)/corpus

ami-fuzz-short: $(AMI_FUZZ_BIN)
	@mkdir -p $(AMI_FUZZ_DIR)/corpus $(AMI_FUZZ_DIR)/artifacts
	@cp -n tests/fuzz/corpus/* $(AMI_FUZZ_DIR)/corpus/ 2>/dev/null || true
	@$(AMI_FUZZ_BIN) -max_total_time=30 -max_len=65536 -timeout=10 -print_final_stats=1 \
	  -artifact_prefix=$(AMI_FUZZ_DIR)/artifacts/ $(AMI_FUZZ_DIR)/corpus > $(AMI_FUZZ_DIR)/short.log 2>&1; \
	  rc=$$?; \
	  runs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $(AMI_FUZZ_DIR)/short.log); \
	  if [ $$rc -eq 0 ]; then echo "fuzz_ami_parser: $${runs:-?} execs in 30 s, no crash"; \
	  else tail -40 $(AMI_FUZZ_DIR)/short.log; echo "fuzz_ami_parser: FAILED (exit $$rc)"; exit 1; fi
