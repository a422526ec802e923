# Included by the Makefile of a Dom0 program (after it sets BUILD, and after
# its default goal, since this file has rules of its own): the archives of
# dom0/lib and the rule that has dom0/lib's own Makefile bring them up to
# date before they are linked. Link the fake archive before the main one in
# test builds, so the fake platform, not the real one, is what is linked.

DOM0_LIB_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
DOM0_LIB := $(BUILD)/dom0/lib/libbasalt-dom0.a
DOM0_LIB_FAKE := $(BUILD)/dom0/lib/libbasalt-dom0-fake.a
DOM0_LIB_ASAN := $(BUILD)/dom0/lib/asan/libbasalt-dom0.a
DOM0_LIB_FAKE_ASAN := $(BUILD)/dom0/lib/asan/libbasalt-dom0-fake.a

# Always asked: dom0/lib's Makefile knows what its archives depend on, and
# what links them is remade only when an archive actually changed.
$(DOM0_LIB) $(DOM0_LIB_FAKE) $(DOM0_LIB_ASAN) $(DOM0_LIB_FAKE_ASAN): dom0-lib-force
	@$(MAKE) -s --no-print-directory -C $(DOM0_LIB_DIR) BUILD=$(BUILD) $@

.PHONY: dom0-lib-force
dom0-lib-force:
