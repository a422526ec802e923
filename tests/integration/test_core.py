#!/usr/bin/env python3
"""Hypervisor core: boot, SMP, SVM checks, test guests, hostile guests."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from basalt_test import Qemu, Report, guest  # noqa: E402

# guests/hostile.c: how many probes each hostile guest runs before its act.
HOSTILE_PROBES = 83
HELLO_LINES = 100

r = Report(plan=21)


def boot_smp():
    with Qemu("core-smp", smp=4) as q:
        m = q.expect(r"basalt: cpus online (\d+)/(\d+) \(svm\+npt\)", timeout=60)
        r.check("4 CPUs online under SVM+NPT", m.group(1) == "4" and m.group(2) == "4", m.group(0))
        q.send("h")
        q.expect(r"keys: h help", timeout=20)
        r.check("hypervisor console answers keys", True)
        r.no_hypervisor_failure(q)


def ram_above_4g():
    # q35 puts RAM beyond 2 GiB above 4 GiB: the stacks, page tables and
    # guest memory the hypervisor hands out may all live there.
    mods = [guest("hello.elf") + " domain name=hello memory=64 -- count=3 delay=10"]
    with Qemu("core-6g", modules=mods, smp=4, mem="6G") as q:
        m = q.expect(r"basalt: domain pool: (\d+) pages free", timeout=60)
        r.check("the domain pool has the RAM above 4 GiB", int(m.group(1)) * 4096 > (4 << 30), m.group(0))
        m = q.expect(r"basalt: cpus online (\d+)/(\d+)", timeout=60)
        r.check("6 GiB of RAM: 4 CPUs online", m.group(1) == "4", m.group(0))
        q.expect(r"basalt: domain 1 \(hello\) destroyed: poweroff", timeout=120)
        r.check("a guest runs and powers off", "(d1) hello: line 3" in q.text())
        r.no_hypervisor_failure(q)


def missing_feature(cpu, pattern, name):
    with Qemu("core-" + name, cpu=cpu, smp=2) as q:
        q.expect(pattern, timeout=60)
        # It must halt: nothing else may follow, in particular no CPU
        # bring-up, and the machine must still be there (with -no-reboot a
        # triple fault ends QEMU, which also prints nothing more).
        time.sleep(3)
        rest = q.text()[q.pos:]
        r.check("%s: one clear line, then halt" % name,
                "cpus online" not in q.text() and rest.strip() == "" and q.running(),
                "QEMU exited (status %s)" % q.proc.returncode if not q.running() else repr(rest[:200]))


def guests_and_hostiles():
    # hello prints for 10 s (its delay runs on the TSC, which follows the
    # host's clock), ten times what the hostile guests need to die on an
    # idle host: on a loaded one they run slower, hello's pace does not.
    mods = [guest("hello.elf") + " domain name=hello memory=16 -- count=%d delay=100" % HELLO_LINES,
            guest("hostile.elf") + " domain name=hostile-npf memory=16 -- mode=npf",
            guest("hostile.elf") + " domain name=hostile-triple vcpus=1 memory=16 -- mode=triple",
            guest("hostile.elf") + " domain name=bad vcpu=2 memory=16 -- mode=probe"]
    with Qemu("core-guests", modules=mods, smp=4) as q:
        q.wait_all([r"basalt: domain 1 \(hello\) destroyed: poweroff",
                    r"basalt: domain 2 \(hostile-npf\) destroyed: bad memory access at gpa 0x3f000000 \(fetch\)",
                    r"basalt: domain 3 \(hostile-triple\) destroyed: triple fault"], timeout=180)
        out = q.text()
        r.check("malformed module string is reported, domain not built",
                "module 3 (domain name=bad vcpu=2 memory=16 -- mode=probe): unknown key" in out
                and "(bad) created" not in out, "no error line for module 3")
        for d in ("2", "3"):
            oks = [l for l in out.splitlines() if re.match(r"\(d%s\) hostile: probe .* ok$" % d, l)]
            bad = [l for l in out.splitlines() if l.startswith("(d%s) hostile: probe" % d) and "FAILED" in l]
            total = re.findall(r"^\(d%s\) hostile: probes passed (\d+)/(\d+)$" % d, out, re.M)
            r.check("hostile d%s: all %d probes fail safely" % (d, HOSTILE_PROBES),
                    total == [(str(HOSTILE_PROBES), str(HOSTILE_PROBES))] and len(oks) == HOSTILE_PROBES
                    and not bad, "summary %s, %d ok lines, %s" % (total, len(oks), bad))
        # Lines the hypervisor printed for hello, in order; a number matched
        # whole ("line 1" is not "line 10").
        seen = [(m.start(), int(m.group(1))) for m in re.finditer(r"^\(d1\) hello: line (\d+)$", out, re.M)]
        r.check("hello keeps printing while hostiles die: %d lines, in order" % HELLO_LINES,
                [n for _, n in seen] == list(range(1, HELLO_LINES + 1)), "%d lines" % len(seen))
        hostile_gone = out.index("(hostile-triple) destroyed")
        r.check("hello still printing after the hostiles were destroyed",
                any(at > hostile_gone for at, _ in seen), "all hello lines came first")
        r.check("xen_version seen by the guest", "(d1) hello: xen_version 4.17.0-basalt" in out)
        r.check("hypercall page works", "(d1) hello: page write returned 0" in out)
        q.send("h")
        q.expect(r"keys: h help", timeout=20)
        r.check("hypervisor alive after the hostile guests", True)
        r.no_hypervisor_failure(q)


def shutdown_reasons():
    mods = [guest("hello.elf") + " domain name=crasher memory=8 -- reason=crash",
            guest("hello.elf") + " domain name=rebooter memory=8 -- reason=reboot"]
    with Qemu("core-shutdown", modules=mods, smp=3) as q:
        q.expect(r"domain 1 \(crasher\) destroyed: crash", timeout=120)
        r.check("shutdown(crash) destroys with reason crash", True)
        q.expect(r"domain 2 \(rebooter\) destroyed: reboot", timeout=120)
        q.expect(r"domain 2 \(rebooter\) created", timeout=120)
        r.check("shutdown(reboot) rebuilds a boot-time domain", True)
        r.no_hypervisor_failure(q)


r.run("boot 4 CPUs", boot_smp)
r.run("RAM above 4 GiB", ram_above_4g)
r.run("no SVM", lambda: missing_feature("qemu64,-svm", r"basalt: no SVM: .*", "no SVM"))
r.run("no NPT", lambda: missing_feature("qemu64", r"basalt: no NPT: .*", "no NPT"))
r.run("guests and hostile guests", guests_and_hostiles)
r.run("shutdown reasons", shutdown_reasons)
r.exit()
