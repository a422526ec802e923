# Basalt top-level build. Every component has its own Makefile; this one
# orders them and holds the user-facing targets (all, run, test, bench).
# Outputs go to build/ (BUILD), downloads to build/cache/ (kept by `make clean`
# only if you use `make distclean` instead of deleting build/ yourself).

BUILD ?= $(CURDIR)/build
export BUILD

.PHONY: all deps hypervisor guests dom0 images debian-dom0 unit run test bench clean distclean

all: deps hypervisor guests

deps:
	@./scripts/deps.sh

hypervisor: deps
	@$(MAKE) --no-print-directory -C hypervisor

guests: deps
	@$(MAKE) --no-print-directory -C guests

# Dom0's user space: static binaries in $(BUILD)/dom0/bin, which the Dom0
# initramfs includes.
DOM0_DIRS := $(patsubst %/Makefile,%,$(wildcard dom0/*/Makefile))
dom0: deps
	@for d in $(DOM0_DIRS); do $(MAKE) --no-print-directory -s -C $$d || exit 1; done

# Debian's kernel and busybox initramfs images, downloaded and assembled, and
# the Debian Dom0 (its root file system built from Debian's packages once and
# cached in build/cache/dom0; the first build takes minutes and prints its
# time) (images/). The Dom0 images carry test guests, so guests come first.
images: deps dom0 guests
	@$(MAKE) --no-print-directory -s -C images

debian-dom0: deps dom0 guests
	@$(MAKE) --no-print-directory -s -C images debian-dom0

unit: deps
	@$(MAKE) --no-print-directory -C tests/unit

# Boots the Debian Dom0 (BASALT_DOM0=busybox: the busybox one).
run: all images
	@./scripts/run.sh

test: all unit images
	@./tests/run

bench: all images
	@./scripts/bench.py

clean:
	rm -rf $(BUILD)/hypervisor $(BUILD)/guests $(BUILD)/tests $(BUILD)/dom0

distclean:
	rm -rf $(BUILD)
