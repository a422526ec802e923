#!/usr/bin/env python3
"""HVM domains (issue 13), the hypervisor's part: a boot-time HVM domain
(type=hvm) runs guests/hvm/hvmcheck, entered as hvmloader is, with no device
model. It checks the Xen interface an HVM guest has, the emulated platform
(PIC, PIT, RTC, PM timer, IOAPIC, local APIC), device memory and ports
nobody claims through the instruction emulator in real, protected and long
mode, INIT/STARTUP of its second vCPU into real mode, and the event-channel
callback as an interrupt line. Then misbehaviour that must end inside the
domain: a triple fault in real mode, an instruction the emulator refuses, a
flood of accesses nobody claims, and an instruction rewritten by the other
vCPU while it is being emulated. Last, the way to a device model: Dom0's
xen-dmtest (dom0/tools/) serves ports and a page of device memory of the
domain through an ioreq server (dm_op, XENMEM_acquire_resource, event
channels), and hvmcheck mode=dm checks what it answers. And Debian's
hvmloader (images/hvmloader, with SeaBIOS as its firmware module) as a
boot-time HVM domain, as far as it gets without a toolstack: it talks to
the hypervisor, then waits for xenstore, which a boot-time domain has not."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from basalt_test import BUILD, Qemu, Report, Timeout, guest  # noqa: E402
import console  # noqa: E402

HVMCHECK = guest("hvmcheck.elf")
CHECKS = 21  # the checks hvmcheck makes; fewer lines means some never ran
HOSTILE = ("triple", "badinsn", "flood", "smc")
DM_CHECKS = 6  # the checks hvmcheck mode=dm makes
IMAGES = os.path.join(BUILD, "images")
DOM0 = [os.path.join(IMAGES, "vmlinux") + " console=hvc0 pci=nomsi quiet",
        os.path.join(IMAGES, "dom0-initramfs.cpio.gz")]
# checks session: its checks, the start, the summary, poweroff, no crash;
# hostile session: one per domain, the keys answer, no crash;
# device-model session: its checks, the model's start, its hang-up, its
# count, the summary, poweroff, no crash; hvmloader session: 3 and no crash.
r = Report(plan=CHECKS + 4 + len(HOSTILE) + 2 + DM_CHECKS + 6 + 4)


def guest_lines(text, prefix):
    """The guest's lines, from `prefix` on: another domain's output (Dom0's
    console) may share the serial line with the start of one."""
    return [l[l.index(prefix):] for l in text.splitlines() if prefix in l]


def domain(name, args, opts="vcpus=2 memory=32"):
    return "%s domain name=%s type=hvm %s -- %s" % (HVMCHECK, name, opts, args)


def checks():
    with Qemu("hvm-checks", modules=[domain("hvmcheck", "")], smp=3) as q:
        q.expect(r"domain 1 \(hvmcheck\) destroyed", timeout=300)
        out = q.text()
        r.check("the HVM domain starts at its ELF entry in 32-bit protected mode",
                "(d1) hvmcheck: started in 32-bit protected mode" in out)
        prefix = "(d1) hvmcheck: "
        lines = guest_lines(out, prefix)
        for l in lines:
            if l.endswith(" ok") or " FAILED " in l:
                r.check(l[len(prefix):].replace(" ok", ""), l.endswith(" ok"), l)
        r.check("every check ran and passed", "%schecks passed %d/%d" % (prefix, CHECKS, CHECKS) in out,
                next((l for l in lines if "checks passed" in l), "no summary"))
        r.check("the HVM domain powered off", "domain 1 (hvmcheck) destroyed: poweroff" in out,
                next((l for l in out.splitlines() if "domain 1 (hvmcheck) destroyed" in l), "not destroyed"))
        r.no_hypervisor_failure(q)


def hostile():
    mods = [domain(n, "mode=" + n, "vcpus=2 memory=16") for n in HOSTILE]
    with Qemu("hvm-hostile", modules=mods, smp=3) as q:
        q.wait_all([r"domain %d \(%s\) destroyed: [^\n]*\n" % (i + 1, n) for i, n in enumerate(HOSTILE)],
                   timeout=300)
        out = q.text()

        def end(n):
            m = re.search(r"domain \d+ \(%s\) destroyed: ([^\n]*)" % n, out)
            return m.group(1).strip() if m else "not destroyed"

        r.check("a triple fault in real mode crashes the domain with that reason",
                end("triple") == "triple fault", end("triple"))
        r.check("an instruction the emulator refuses (MUL on device memory, real mode) crashes the domain",
                end("badinsn").startswith("unemulated instruction") and "MUL/DIV" in end("badinsn"),
                end("badinsn"))
        r.check("20000 rounds of accesses to memory and ports nobody claims: the domain carries on",
                end("flood") == "poweroff" and "hvmcheck: flood done" in out, end("flood"))
        # Either every round found MOV (the guest finishes), or one found MUL
        # and the emulator refused it; never a mix of the two in one run.
        r.check("an instruction rewritten by the other vCPU meanwhile: MOV carried out or MUL refused",
                (end("smc") == "poweroff" and "hvmcheck: smc done" in out) or
                (end("smc").startswith("unemulated instruction") and "MUL/DIV" in end("smc")),
                end("smc"))
        q.send("h")
        q.expect(r"keys: h help", timeout=60)
        r.check("the hypervisor answers keys after the hostile domains", True)
        r.no_hypervisor_failure(q)


def device_model():
    mods = DOM0 + [domain("dmcheck", "mode=dm", "vcpus=2 memory=16")]
    with Qemu("hvm-dm", cmdline="dom0_mem=512M", modules=mods, smp=4) as q:
        q.expect(r"basalt-dom0: init reached", timeout=240)
        out = console.run(q, 0, "xen-dmtest 1 300 2>&1; echo rc=$?", timeout=330)
        r.check("xen-dmtest creates an ioreq server, maps its page and binds the vCPUs' channels",
                "dmtest: serving domain 1: server 0, 2 vCPUs" in out, out)
        r.check("xen-dmtest hangs up: destroys its server while a vCPU waits for an answer",
                "dmtest: hung up: server destroyed while a vCPU waited for it" in out, out)
        m = re.search(r"dmtest: answered (\d+) requests \((\d+) port, (\d+) memory, (\d+) string\)", out)
        r.check("xen-dmtest answered port, memory and string requests and ended with the domain",
                m and console.exit_status(out) == 0 and all(int(m.group(i)) > 0 for i in (2, 3, 4)), out)
        try:  # the guest finishes after the model has hung up
            q.expect(r"domain 1 \(dmcheck\) destroyed", timeout=120)
        except Timeout:
            pass  # the checks below say what is missing
        text = q.text()
        prefix = "(d1) hvmcheck: "
        lines = [l for l in guest_lines(text, prefix) if l.startswith(prefix + "dm")]
        for l in lines:
            if l.endswith(" ok") or " FAILED " in l:
                r.check(l[len(prefix):].replace(" ok", ""), l.endswith(" ok"), l)
        r.check("every dm check ran and passed", "%sdm checks passed %d/%d" % (prefix, DM_CHECKS, DM_CHECKS) in text,
                next((l for l in text.splitlines() if l.startswith(prefix)), "no output"))
        r.check("the HVM domain powered off", "domain 1 (dmcheck) destroyed: poweroff" in text,
                next((l for l in text.splitlines() if "domain 1 (dmcheck) destroyed" in l), "not destroyed"))
        r.no_hypervisor_failure(q)


def hvmloader():
    mods = [os.path.join(IMAGES, "hvmloader") + " domain name=hvmloader type=hvm vcpus=1 memory=64 --",
            os.path.join(IMAGES, "seabios.bin") + " firmware name=hvmloader"]
    with Qemu("hvm-hvmloader", modules=mods, smp=3) as q:
        q.expect(r"\(d1\) HVM Loader", timeout=120)
        r.check("Debian's hvmloader runs as a boot-time HVM domain and prints its banner", True)
        m = q.expect(r"\(d1\) Detected Xen v(\S+)", timeout=60)
        r.check("hvmloader finds the Xen CPUID leaves and hypercall page (xen_version)",
                m.group(1).startswith("4.17"), m.group(0))
        m = q.expect(r"\(d1\) Xenbus rings @(0x[0-9a-f]+), event channel (\d+)", timeout=60)
        r.check("hvmloader reads its HVM parameters (the xenstore ring)", int(m.group(1), 16) == 0xfeffc000,
                m.group(0))
        r.no_hypervisor_failure(q)


r.run("HVM checks", checks)
r.run("hostile HVM domains", hostile)
r.run("a device model in Dom0", device_model)
r.run("Debian's hvmloader", hvmloader)
r.exit()
