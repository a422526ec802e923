#!/bin/sh
# The hypercall fuzzer guest (guests/hcfuzz.c) under QEMU for HCFUZZ_SECONDS
# (default 20), seeded from HCFUZZ_SEED or at random; every check line names
# the seed, so a failure can be run again with the same one.
exec python3 "$(dirname "$0")/hypercall_fuzz.py"
