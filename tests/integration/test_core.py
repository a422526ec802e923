#!/usr/bin/env python3
"""Hypervisor core: boot, SMP, SVM checks, test guests, hostile guests."""
import sys, os
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from basalt_test import Qemu, Report, guest

r = Report()


def boot_smp():
    with Qemu("core-smp", smp=4) as q:
        m = q.expect(r"basalt: cpus online (\d+)/(\d+) \(svm\+npt\)", timeout=60)
        r.check("4 CPUs online under SVM+NPT", m.group(1) == "4" and m.group(2) == "4", m.group(0))
        q.send("h")
        q.expect(r"keys: h help", timeout=20)
        r.check("hypervisor console answers keys", True)


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


def missing_feature(cpu, pattern, name):
    with Qemu("core-" + name, cpu=cpu, smp=2) as q:
        q.expect(pattern, timeout=60)
        # It must halt: nothing else may follow, in particular no CPU bring-up.
        import time
        time.sleep(3)
        rest = q.text()[q.pos:]
        r.check("%s: one clear line, then halt" % name,
                "cpus online" not in q.text() and rest.strip() == "", repr(rest[:200]))


def guests_and_hostiles():
    mods = [guest("hello.elf") + " domain name=hello memory=16 -- count=20 delay=100",
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
            bad = [l for l in out.splitlines() if l.startswith("(d%s) hostile: probe" % d) and "FAILED" in l]
            total = [l for l in out.splitlines() if l.startswith("(d%s) hostile: probes passed" % d)]
            r.check("hostile d%s: every probe fails safely" % d, total and not bad, str(bad or "no summary"))
        lines = [l for l in out.splitlines() if l.startswith("(d1) hello: line ")]
        r.check("hello keeps printing while hostiles die: 20 lines", len(lines) == 20, "%d lines" % len(lines))
        hostile_gone = out.index("(hostile-triple) destroyed")
        r.check("hello still printing after the hostiles were destroyed",
                any(out.index(l) > hostile_gone for l in lines), "all hello lines came first")
        r.check("xen_version seen by the guest", "(d1) hello: xen_version 4.17.0-basalt" in out)
        r.check("hypercall page works", "(d1) hello: page write returned 0" in out)
        r.check("no hypervisor crash", "PANIC" not in out and "fatal" not in out)
        q.send("h")
        q.expect(r"keys: h help", timeout=20)
        r.check("hypervisor alive after the hostile guests", True)


def shutdown_reasons():
    mods = [guest("hello.elf") + " domain name=crasher memory=8 -- reason=crash",
            guest("hello.elf") + " domain name=rebooter memory=8 -- reason=reboot"]
    with Qemu("core-shutdown", modules=mods, smp=2) as q:
        q.expect(r"domain 1 \(crasher\) destroyed: crash", timeout=120)
        r.check("shutdown(crash) destroys with reason crash", True)
        q.expect(r"domain 2 \(rebooter\) destroyed: reboot", timeout=120)
        q.expect(r"domain 2 \(rebooter\) created", timeout=120)
        r.check("shutdown(reboot) rebuilds a boot-time domain", True)


r.run("boot 4 CPUs", boot_smp)
r.run("RAM above 4 GiB", ram_above_4g)
r.run("no SVM", lambda: missing_feature("qemu64,-svm", r"basalt: no SVM: .*", "no SVM"))
r.run("no NPT", lambda: missing_feature("qemu64", r"basalt: no NPT: .*", "no NPT"))
r.run("guests and hostile guests", guests_and_hostiles)
r.run("shutdown reasons", shutdown_reasons)
r.exit()
