# bench.mk: benchmark programs, auto-included by the Makefile.
#   build/bench/ami_bench   AMI benchmark of issue 3 (adding phones three ways), run by bench/bench_ami.py,
#                           which builds it with `make -s build/bench/ami_bench` (so `make bench` needs no
#                           prerequisite here: its recipe installs the packages first, then runs bench/run.sh).
#                           With --content centralita (bench_ami.py --phone-content, used by bench_phones.py and
#                           bench/acceptance_bench.py) it builds Centralita's own phone with the product's code
#                           (pbx_phone_updates(): the phone's two files of its own in centralita/, each created
#                           with CreateConfig and written whole from centralita/empty.conf; ami_update_build(),
#                           provision_new_secret()), all in the library.
#   build/bench/logtail_bench  the debug console's tail of a 1 GB log (util/logtail), run by bench/bench_console.py,
#                           which builds it with `make -s build/bench/logtail_bench`.
# Compiled by the Makefile's pattern rule (same flags as the product: C11, -Werror, $(OPT) $(SAN)) and linked
# like build/centralita.

AMI_BENCH_BIN := $(BUILDDIR)/bench/ami_bench
LOGTAIL_BENCH_BIN := $(BUILDDIR)/bench/logtail_bench

.PHONY: bench-bins
bench-bins: $(AMI_BENCH_BIN) $(LOGTAIL_BENCH_BIN)

$(AMI_BENCH_BIN): $(BUILDDIR)/obj/bench/ami_bench.o $(BUILDDIR)/libcentralita.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -o $@ $^ $(LIBS)

$(LOGTAIL_BENCH_BIN): $(BUILDDIR)/obj/bench/logtail_bench.o $(BUILDDIR)/libcentralita.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -o $@ $^ $(LIBS)
