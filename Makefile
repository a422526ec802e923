# Basalt top-level build. Every component has its own Makefile; this one
# orders them and holds the user-facing targets (all, run, test, bench).
# Outputs go to build/ (BUILD), downloads to build/cache/ (kept by `make clean`
# only if you use `make distclean` instead of deleting build/ yourself).

BUILD ?= $(CURDIR)/build
export BUILD

.PHONY: all deps hypervisor guests dom0 images unit run test bench clean distclean

all: deps hypervisor guests

deps:
	@./scripts/deps.sh

hypervisor: deps
	@$(MAKE) --no-print-directory -C hypervisor

guests: deps
	@$(MAKE) --no-print-directory -C guests

unit: deps
	@$(MAKE) --no-print-directory -C tests/unit

run: all
	@./scripts/run.sh

test: all unit
	@./tests/run

bench: all
	@./scripts/bench.py

clean:
	rm -rf $(BUILD)/hypervisor $(BUILD)/guests $(BUILD)/tests $(BUILD)/dom0

distclean:
	rm -rf $(BUILD)
