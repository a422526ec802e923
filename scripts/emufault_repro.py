#!/usr/bin/env python3
"""Reproduces the emulator fault (docs/architecture.md): QEMU's multi-threaded
TCG clears IGNNE# in the first CPU's flags from whichever vCPU thread runs
FLDENV/FRSTOR/FXRSTOR/XRSTOR, racing with that CPU's VMRUN and #VMEXIT.

Boots two guests/fpurace.c domains (3 vCPUs each on a 4-CPU machine) for
FPURACE_SECONDS (default 30), FPURACE_RUNS times (default 3), and prints how
each run ended: the named fault or a triple fault, with the CPU it happened
on. Exit status 1 if any run had a fault.

  FPURACE_FLDENV=N    FLDENVs per exit in the guests (default 16; 0: only the
                      hypervisor's own XRSTORs race, a fault is then rare)
  FPURACE_CPUS=1-3    the domains' CPUs (cpus= of the domain spec); keeping
                      them off CPU 0 avoids the race
  FPURACE_ACCEL=...   QEMU's -accel (default tcg; tcg,thread=single avoids it)
  BASALT_QEMU=PATH    another QEMU binary
"""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "lib"))
from basalt_test import Qemu, Timeout, guest  # noqa: E402

SECONDS = int(os.environ.get("FPURACE_SECONDS", "30"))
RUNS = int(os.environ.get("FPURACE_RUNS", "3"))
FLDENV = int(os.environ.get("FPURACE_FLDENV", "16"))
CPUS = os.environ.get("FPURACE_CPUS", "")
ACCEL = os.environ.get("FPURACE_ACCEL", "tcg")
FAULTS = re.compile(r"basalt: (d\d+ vCPU \d+ on cpu \d+: exit .*|d\d+ vCPU \d+: triple fault on cpu \d+)$", re.M)


def run(n):
    spec = "vcpus=3 memory=32" + (" cpus=" + CPUS if CPUS else "")
    mods = [guest("fpurace.elf") + " domain name=race%d %s -- seconds=%d fldenv=%d" % (i, spec, SECONDS, FLDENV)
            for i in range(2)]
    q = Qemu("emufault-repro", modules=mods, smp=4, mem="1G")
    q.argv[q.argv.index("-accel") + 1] = ACCEL
    with q:
        try:
            q.wait_all([r"basalt: domain %d \(race%d\) destroyed: .*" % (i + 1, i) for i in range(2)],
                       timeout=SECONDS + 300)
        except Timeout as e:
            print("run %d: %s" % (n, e))
            return True
        text = q.text()
    ends = re.findall(r"basalt: domain \d+ \(race\d\) destroyed: (.*)", text)
    faults = FAULTS.findall(text)
    exits = re.findall(r"fpurace: done, (\d+) exits", text)
    print("run %d: %s; %s exits in the domains that finished%s" % (
        n, ", ".join(ends), "+".join(exits) or "no", "".join("\n  " + f for f in faults)), flush=True)
    return any(e != "poweroff" for e in ends)


faulted = sum(run(n) for n in range(RUNS))
print("%d of %d runs with a fault (fldenv=%d, cpus=%s, accel %s)" % (faulted, RUNS, FLDENV, CPUS or "any", ACCEL))
sys.exit(1 if faulted else 0)
