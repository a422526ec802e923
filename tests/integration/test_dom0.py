#!/usr/bin/env python3
"""Dom0: the stock Debian kernel as Basalt's PVH hardware domain (issue: Dom0)."""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from basalt_test import BUILD, LOGS, Qemu, Report, guest  # noqa: E402
import console  # noqa: E402

IMAGES = os.path.join(BUILD, "images")
DOM0 = [os.path.join(IMAGES, "vmlinux") + " console=hvc0 pci=nomsi quiet",
        os.path.join(IMAGES, "dom0-initramfs.cpio.gz")]
DISK = os.path.join(LOGS, "dom0-test-disk.img")

r = Report(plan=18)


def machine(name, modules=(), cmdline="dom0_mem=512M", reboot=False, **kw):
    extra = ["-drive", "file=%s,if=none,id=d0,format=raw" % DISK, "-device", "ide-hd,drive=d0,bus=ide.0",
             "-nic", "user,model=e1000e"]
    q = Qemu(name, cmdline=cmdline, modules=DOM0 + list(modules), extra=extra, **kw)
    if reboot:
        q.argv.remove("-no-reboot")
    return q


def dom0_shell():
    if os.path.exists(DISK):
        os.unlink(DISK)
    os.makedirs(LOGS, exist_ok=True)
    subprocess.run([os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "mkdisk.sh"), DISK, "64M"],
                   check=True)
    with machine("dom0-shell", reboot=True) as q:
        q.expect(r"basalt-dom0: init reached", timeout=180)
        r.check("Dom0 reaches its init and a root shell", True)
        out = console.run(q, 0, "cat /sys/hypervisor/type")
        r.check("/sys/hypervisor/type is xen", out.strip() == "xen", repr(out))
        out = console.run(q, 0, "cat /proc/xen/capabilities")
        r.check("/proc/xen/capabilities contains control_d", "control_d" in out, repr(out))
        out = console.run(q, 0, "ls /dev/xen")
        r.check("/dev/xen has privcmd, evtchn and gntdev",
                all(x in out.split() for x in ("privcmd", "evtchn", "gntdev")), repr(out))
        out = console.run(q, 0, "ping -c1 10.0.2.2 >/dev/null && echo PING_OK", timeout=60)
        r.check("ping -c1 10.0.2.2 succeeds (the NIC's interrupts reach Dom0)", "PING_OK" in out, repr(out))
        stamp = "basalt-%d" % int(time.time())
        console.run(q, 0, "echo %s > /persist/stamp && sync" % stamp)
        q.send("reboot\n")
        q.expect(r"basalt: Dom0 rebooted: stopping all domains, then rebooting", timeout=120)
        q.expect(r"basalt: Basalt hypervisor starting", timeout=60)
        q.expect(r"basalt-dom0: init reached", timeout=180)
        r.check("reboot in Dom0 resets the machine and it boots again", True)
        out = console.run(q, 0, "cat /persist/stamp")
        r.check("a file written to the persistent disk is there after reboot", out.strip() == stamp, repr(out))
        q.send("poweroff\n")
        q.expect(r"basalt: powering off", timeout=120)
        deadline = time.monotonic() + 30
        while q.proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)
        r.check("poweroff in Dom0 powers the machine off", q.proc.poll() is not None, "QEMU still running")
        r.no_hypervisor_failure(q, exit_expected=True)


def dev_xen_with_a_domu():
    mods = [guest("peer.elf") + " domain name=peer memory=16 --",
            guest("spin.elf") + " domain name=busy memory=8 --"]
    with machine("dom0-devxen", modules=mods, smp=4) as q:
        m = q.expect(r"basalt: domain (\d+) \(peer\) created", timeout=120)
        peer = int(m.group(1))
        m = q.expect(r"\(d%d\) peer: ready port=(\d+) gref=(\d+) grant_gfn=(0x[0-9a-f]+) foreign_gfn=(0x[0-9a-f]+)"
                     % peer, timeout=120)
        port, gref, fgfn = m.group(1), m.group(2), m.group(4)
        q.expect(r"basalt-dom0: init reached", timeout=180)
        out = console.run(q, 0, "xen-selftest all %d %s %s %s 2>&1" % (peer, port, gref, fgfn), timeout=120)
        r.check("privcmd hypercall from Dom0", "selftest: hypercall xen_version=4.17" in out, out)
        r.check("Dom0 maps a page the DomU granted (gntdev)",
                'selftest: grant ok "basalt grant page from peer"' in out, out)
        r.check("Dom0 maps a DomU page (privcmd foreign mapping)",
                'selftest: foreign ok "basalt foreign page from peer"' in out, out)
        r.check("event channel notifications between Dom0 and the DomU", "selftest: evtchn ok" in out, out)
        r.check("the whole selftest passes", "selftest: all ok" in out, out)
        q.wait_all([r"\(d%d\) peer: grant page written by dom0" % peer, r"\(d%d\) peer: done" % peer],
                   timeout=30)
        r.check("the DomU saw Dom0's write through the grant and three events", True)

        # A busy Dom0 must not slow the DomU, which runs on other CPUs.
        q.send("(while :; do :; done) & (while :; do :; done) &\n")
        time.sleep(2)
        console.input_to(q, "hypervisor")
        # Each dump is taken somewhere between the key press and its last
        # line, which on a loaded host can be seconds apart: the time between
        # the first dump's end and the second's key press is the least that
        # can have passed between them, so the DomU's share is not
        # understated.
        a = console.domain_dump(q, "busy")
        t_a = time.monotonic()
        time.sleep(10)
        t_b = time.monotonic()
        b = console.domain_dump(q, "busy")
        cpu_busy, t1 = console.vcpu0(a, "busy")
        _, t2 = console.vcpu0(b, "busy")
        cpu_dom0, _ = console.vcpu0(b, "Domain-0")
        r.check("the DomU runs on a CPU other than Dom0's", cpu_busy != cpu_dom0,
                "DomU on %d, Dom0 on %d" % (cpu_busy, cpu_dom0))
        share = (t2 - t1) / ((t_b - t_a) * 1000.0)
        r.check("a busy Dom0 leaves the DomU its whole CPU (>= 90%)", share >= 0.9, "share %.2f" % share)
        r.no_hypervisor_failure(q)


r.run("Dom0 shell, devices, reboot, poweroff", dom0_shell)
r.run("/dev/xen with a boot-time DomU", dev_xen_with_a_domu)
r.exit()
