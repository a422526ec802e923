#!/usr/bin/env python3
"""Issue 10: random hypercalls from every vCPU of a boot-time domain.

hcfuzz (guests/hcfuzz.c, 3 vCPUs) runs for HCFUZZ_SECONDS beside steady, a
well-behaved domain that checks a memory pattern. The hypervisor must not
crash or hang, steady's memory must stay intact, and once both domains are
gone the hypervisor's memory must be what it was before either was built.
"""
import os
import random
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from basalt_test import Qemu, Report, Timeout, guest  # noqa: E402

SECONDS = int(os.environ.get("HCFUZZ_SECONDS", "20"))
SEED = int(os.environ.get("HCFUZZ_SEED", "0")) or random.randrange(1, 1 << 62)
MEMORY = re.compile(r"basalt: memory (before the boot-time domains|after the reap): pool (\d+) pages free, "
                    r"hypervisor (\d+) pages free \(lowest since the last report \d+\), heap (\d+) bytes in use, "
                    r"(\d+) pages of small objects")
HV_FAILURE = re.compile(r"basalt: PANIC.*|basalt: system halted.*")

r = Report()
tag = "(seed %d)" % SEED


def fuzz():
    # steady beats well past the fuzzer's end, then powers off too.
    mods = [guest("hcfuzz.elf") + " domain name=hcfuzz vcpus=3 memory=64 -- seed=%d seconds=%d" % (SEED, SECONDS),
            guest("steady.elf") + " domain name=steady memory=16 -- pattern_mb=4 beats=%d" % (SECONDS + 15)]
    print("# hypercall fuzz: seed %d, %d s (HCFUZZ_SEED=%d repeats it)" % (SEED, SECONDS, SEED), flush=True)
    with Qemu("hypercall-fuzz", modules=mods, smp=4, mem="1G") as q:
        try:
            q.wait_all([r"basalt: domain 1 \(hcfuzz\) destroyed: .*", r"basalt: domain 2 \(steady\) destroyed: .*"],
                       timeout=SECONDS + 120, fail=HV_FAILURE.pattern)
            waited = None
        except Timeout as e:
            waited = str(e)
        text = q.text()
        crash = HV_FAILURE.search(text)
        r.check("hypercall fuzz %s: no hypervisor crash" % tag, not crash, crash and crash.group(0))
        done = re.search(r"\(d1\) hcfuzz: done: .*", text)
        gone = re.search(r"basalt: domain 1 \(hcfuzz\) destroyed: (.*)", text)
        r.check("hypercall fuzz %s: every vCPU came back from every hypercall, the fuzzer powered off" % tag,
                done and "0 vCPUs stuck" in done.group(0) and gone and gone.group(1) == "poweroff",
                "%s; %s; %s" % (done and done.group(0), gone and "destroyed: " + gone.group(1), waited))
        if done:
            print("# " + done.group(0), flush=True)
        beats = re.findall(r"\(d2\) steady: beat \d+ pattern (\S+)", text)
        r.check("hypercall fuzz %s: the other domain's memory stayed intact (%d beats)" % (tag, len(beats)),
                "(d2) steady: done, pattern intact" in text and all(b == "ok" for b in beats),
                "steady: %d beats, %d corrupt, done line %s" % (len(beats), sum(b != "ok" for b in beats),
                                                              "(d2) steady: done" in text))
        lines = MEMORY.findall(text)
        before, after = (lines[0], lines[-1]) if len(lines) >= 3 else (None, None)
        r.check("hypercall fuzz %s: with both domains gone, the hypervisor's memory is as before they were built"
                % tag, before and before[1] == after[1] and before[3] == after[3]
                and int(before[2]) + int(before[4]) == int(after[2]) + int(after[4]),
                "before %s, after %s" % (before, after) if before else "%d memory lines" % len(lines))
        if not crash:
            q.mark()
            q.send("h")
            try:
                q.expect(r"keys: h help", timeout=30)
                alive = True
            except Timeout:
                alive = False
            r.check("hypercall fuzz %s: the hypervisor still answers its console" % tag, alive, "no answer to h")
        else:
            r.check("hypercall fuzz %s: the hypervisor still answers its console" % tag, False, "it crashed")


r.run("hypercall fuzz %s" % tag, fuzz)
r.exit()
