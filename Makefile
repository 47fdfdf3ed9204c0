# pgiot: build, install, test, run, benchmark.
#
#   make run     install what is missing, build, start a private PostgreSQL
#                with the extension and a demo tenant, print how to connect
#   make check   install what is missing, build, run every test; the last
#                line is "N passed, M failed"
#   make bench   the benchmarks (ratios measured in one run)

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
COMPONENTS := extension $(patsubst %/Makefile,%,$(wildcard bridges/Makefile))

.PHONY: all deps build install check run bench fuzz clean

all: build

deps:
	bin/pgiot deps

build:
	@for c in $(COMPONENTS); do $(MAKE) --no-print-directory -C $$c || exit 1; done

# System-wide install (production); tests and `make run` use a private
# staged tree (bin/pgiot-stage) and need no root.
install: build
	$(SUDO) $(MAKE) --no-print-directory -C extension install

check: deps
	$(MAKE) build
	test/run

run: deps
	$(MAKE) build
	bin/pgiot up
	bin/pgiot demo
	@cat docs/tour.txt

bench: deps
	$(MAKE) build
	bench/run

clean:
	@for c in $(COMPONENTS); do $(MAKE) --no-print-directory -C $$c clean; done
	rm -rf test/fuzz/build
