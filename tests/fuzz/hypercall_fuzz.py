#!/usr/bin/env python3
"""Issue 10: random hypercalls from every vCPU of a boot-time domain.

hcfuzz (guests/hcfuzz.c, 3 vCPUs) runs for HCFUZZ_SECONDS beside steady, a
well-behaved domain that checks a memory pattern. The hypervisor must not
crash or hang, steady's memory must stay intact, and once both domains are
gone the hypervisor's memory must be what it was before either was built.

By default it runs the seeds in FIXED_SEEDS, one QEMU session each, for
HCFUZZ_SECONDS (default 12) each: the seeds that once hung the hypervisor
(a timer callback re-arming in the past held a CPU with interrupts off;
a periodic period of 2^64-1 ns wrapped into the past). HCFUZZ_SEED=N (or a
list, "N M") runs those seeds instead, HCFUZZ_SEED=random one random seed.
To narrow a hang down to one call: HCFUZZ_VCPUS=1 (one vCPU replays a seed
call by call) and HCFUZZ_TRACE_FROM=N (print every call from the Nth on).
"""
import os
import random
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from basalt_test import EMULATOR_FAULT, Qemu, Report, Timeout, guest  # noqa: E402
import console  # noqa: E402

FIXED_SEEDS = [99, 12345, 777]
SECONDS = int(os.environ.get("HCFUZZ_SECONDS", "12"))
SEED_ARG = os.environ.get("HCFUZZ_SEED", "")
SEEDS = ([random.randrange(1, 1 << 62)] if SEED_ARG == "random" else
         [int(x) for x in SEED_ARG.split()] if SEED_ARG else FIXED_SEEDS)
VCPUS = int(os.environ.get("HCFUZZ_VCPUS", "3"))
TRACE_FROM = os.environ.get("HCFUZZ_TRACE_FROM")
MEMORY = re.compile(r"basalt: memory (before the boot-time domains|after the reap): pool (\d+) pages free, "
                    r"hypervisor (\d+) pages free \(lowest since the last report \d+\), heap (\d+) bytes in use, "
                    r"(\d+) pages of small objects")

CHECKS_PER_SEED = 5  # four in fuzz(), and the session's no_hypervisor_failure
r = Report(plan=CHECKS_PER_SEED * len(SEEDS))


def dump_for_post_mortem(q):
    """Where each CPU is, and the hypervisor's domain and timer dump, into
    the log."""
    print("# " + "\n# ".join(q.cpu_report()), flush=True)
    try:
        console.input_to(q, "hypervisor")
        console.domain_dump(q, None)
    except (AssertionError, Timeout) as e:
        print("# no dump: %s" % e, flush=True)


def fuzz(q, tag):
    try:
        # Whole lines: ".*" alone can match half of one still arriving.
        q.wait_all([r"basalt: domain 1 \(hcfuzz\) destroyed: .*\n", r"basalt: domain 2 \(steady\) destroyed: .*\n"],
                   timeout=SECONDS + 180)
        # Each reap's memory line follows its "destroyed" line: the last
        # may still be on its way (a full run once checked before it came).
        deadline = time.monotonic() + 60
        while len(MEMORY.findall(q.text())) < 3 and time.monotonic() < deadline and q.running():
            time.sleep(0.2)
        waited = None
    except Timeout as e:
        waited = str(e)
        if not q.hypervisor_failure() and q.running():
            dump_for_post_mortem(q)
    text = q.text()
    # A check the emulator's named fault spoiled says so in the hypervisor's
    # words (the runner recognises them); any other loss of a vCPU or a
    # domain is a plain failure.
    fault = EMULATOR_FAULT.search(text)
    fault = "; " + fault.group(0) if fault else ""
    done = re.search(r"\(d1\) hcfuzz: done: .*", text)
    gone = re.search(r"basalt: domain 1 \(hcfuzz\) destroyed: (.*)", text)
    stuck = re.findall(r"\(d1\) hcfuzz: vCPU \d+ never came back from .*", text)
    r.check("hypercall fuzz %s: every vCPU came back from every hypercall, the fuzzer powered off" % tag,
            done and "0 vCPUs stuck" in done.group(0) and gone and gone.group(1) == "poweroff",
            "; ".join([done.group(0) if done else "no done line",
                       "destroyed: " + gone.group(1) if gone else "not destroyed"] +
                      ([waited] if waited else []) + stuck) + fault)
    if done:
        print("# " + done.group(0), flush=True)
    beats = re.findall(r"\(d2\) steady: beat \d+ pattern (\S+)", text)
    r.check("hypercall fuzz %s: the other domain's memory stayed intact (%d beats)" % (tag, len(beats)),
            "(d2) steady: done, pattern intact" in text and all(b == "ok" for b in beats),
            "steady: %d beats, %d corrupt, done line %s%s" % (len(beats), sum(b != "ok" for b in beats),
                                                            "(d2) steady: done" in text, fault))
    lines = MEMORY.findall(text)
    before, after = (lines[0], lines[-1]) if len(lines) >= 3 else (None, None)
    r.check("hypercall fuzz %s: with both domains gone, the hypervisor's memory is as before they were built"
            % tag, before and before[1] == after[1] and before[3] == after[3]
            and int(before[2]) + int(before[4]) == int(after[2]) + int(after[4]),
            ("before %s, after %s" % (before, after) if before else "%d memory lines" % len(lines)) + fault)
    alive = False
    if not q.hypervisor_failure() and q.running():
        q.mark()
        q.send("h")
        try:
            q.expect(r"keys: h help", timeout=30)
            alive = True
        except Timeout:
            pass
    r.check("hypercall fuzz %s: the hypervisor still answers its console" % tag, alive,
            (q.failure() or "no answer to h") + fault)


def session(seed):
    # steady beats well past the fuzzer's end (and its wait for a slow last
    # call), then powers off too.
    args = "seed=%d seconds=%d" % (seed, SECONDS) + (" trace_from=%s" % TRACE_FROM if TRACE_FROM else "")
    mods = [guest("hcfuzz.elf") + " domain name=hcfuzz vcpus=%d memory=64 -- %s" % (VCPUS, args),
            guest("steady.elf") + " domain name=steady memory=16 -- pattern_mb=4 beats=%d" % (SECONDS + 6)]
    print("# hypercall fuzz: seed %d, %d s, %d vCPUs (HCFUZZ_SEED=%d repeats it)" % (seed, SECONDS, VCPUS, seed),
          flush=True)
    tag = "(seed %d)" % seed
    with Qemu("hypercall-fuzz-seed-%d" % seed, modules=mods, smp=4, mem="1G") as q:
        r.run("hypercall fuzz %s" % tag, lambda: fuzz(q, tag))
        r.no_hypervisor_failure(q)


for seed in SEEDS:
    session(seed)
r.exit()
