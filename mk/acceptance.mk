# acceptance.mk: Centralita against a REAL Asterisk 22 (issue 7), auto-included by the Makefile.
#   make acceptance         builds, sets up the Asterisk's pristine configuration (with the one-time set-up for
#                           Centralita's own files: centralita/empty.conf and the two #tryinclude lines), runs
#                           tests/acceptance (pytest: phones through the web, sipp phones registering and calling,
#                           Asterisk stopped and frozen, ownership, centralita ami, 200 saves while Asterisk is
#                           killed every 2 s, files cut short by a crash), then the acceptance benchmark; one
#                           summary at the end
#   make acceptance-bench   the benchmark alone (bench/acceptance_bench.py)
# Opt-in: not part of `make test` or CI (they cannot build Asterisk). Without an Asterisk it says what it needs.
#   ASTERISK_PREFIX  where the shared tools' build.sh installed Asterisk 22.10.1 (default /opt/asterisk)
#   ASTERISK_TOOLS   the shared tools (default ../shared/tools/asterisk beside the repository if it exists,
#                    else /work/shared/tools/asterisk)

ASTERISK_PREFIX ?= /opt/asterisk
ASTERISK_TOOLS  ?= $(if $(wildcard ../shared/tools/asterisk),$(abspath ../shared/tools/asterisk),/work/shared/tools/asterisk)

.PHONY: acceptance acceptance-bench

acceptance:
	@ASTERISK_PREFIX="$(ASTERISK_PREFIX)" ASTERISK_TOOLS="$(ASTERISK_TOOLS)" scripts/acceptance.sh all

acceptance-bench:
	@ASTERISK_PREFIX="$(ASTERISK_PREFIX)" ASTERISK_TOOLS="$(ASTERISK_TOOLS)" scripts/acceptance.sh bench
