#!/bin/sh
# The hypercall fuzzer guest (guests/hcfuzz.c) under QEMU: a fixed set of
# seeds for HCFUZZ_SECONDS (default 12) each, or the seeds in HCFUZZ_SEED
# ("random" for one random seed); every check line names its seed, so a
# failure can be run again with the same one.
exec python3 "$(dirname "$0")/hypercall_fuzz.py"
