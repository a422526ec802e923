#!/usr/bin/env python3
"""The Debian Dom0 (issue 14's foundation): Basalt boots Debian's kernel as
Dom0 on the root file system images/ builds from Debian's packages, through
the small initramfs that brings this build's Dom0 programs. In one boot:
init reached on that root, dpkg lists the packages Dom0 needs, ZFS's module
loads and Dom0's init created the pool `tank` on the second disk, a zvol
works, our xenstored and xl run (and Debian's xenstore clients talk to
xenstored), and the demo guest boots to its init."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from basalt_test import BUILD, Qemu, Report, Timeout  # noqa: E402
import console  # noqa: E402
import debian_dom0  # noqa: E402
import dom0_shell  # noqa: E402

IMAGES = os.path.join(BUILD, "images")
WORK = os.path.join(BUILD, "tests", "debian-dom0")
DOM0 = debian_dom0.MODULES
# What Dom0 must have installed (beside the kernel and zfs-modules packages
# for its kernel): the disk backend, ZFS, disk and network tools.
PACKAGES = ["qemu-system-xen", "qemu-utils", "zfsutils-linux", "e2fsprogs", "fio",
            "xenstore-utils", "iproute2", "bridge-utils", "dnsmasq", "nftables", "iperf3",
            "busybox", "kmod", "udev"]

r = Report(plan=21)


sh = dom0_shell.sh
rc_of = console.exit_status


def disks():
    """A fresh overlay of the cached root image and a blank pool disk."""
    return debian_dom0.disks(WORK, 1) + ["-nic", "user,model=e1000e"]


def packages(q, kver):
    want = PACKAGES + ["linux-image-" + kver, "zfs-modules-" + kver]
    out = sh(q, "dpkg-query -W -f '${Package} ${db:Status-Abbrev}\\n' %s 2>&1" % " ".join(want))
    installed = {l.split()[0] for l in out.splitlines() if len(l.split()) >= 2 and l.split()[1] == "ii"}
    missing = [p for p in want if p not in installed]
    r.check("dpkg lists the Dom0 packages as installed (%d)" % len(want), not missing,
            "missing: %s\n%s" % (missing, out))
    out = sh(q, "dpkg -l | grep -c '^ii'")
    r.check("dpkg -l lists a whole Debian system (%s packages)" % out.strip(),
            out.strip().isdigit() and int(out.strip()) > 150, out)


def ours(q):
    """Basalt's programs are this build's, not something in the image."""
    for prog in ("xl", "xenstored", "xenconsoled"):
        size = os.path.getsize(os.path.join(BUILD, "dom0", "bin", prog))
        out = sh(q, "command -v %s; stat -c %%s $(command -v %s)" % (prog, prog))
        r.check("%s is this build's (/usr/local/sbin, %d bytes)" % (prog, size),
                out.split() == ["/usr/local/sbin/" + prog, str(size)], out)
    out = sh(q, "xl info")
    r.check("xl info answers (xen_version 4.17, free_memory)",
            re.search(r"^xen_version\s*:\s*4\.17", out, re.M) is not None and
            re.search(r"^free_memory\s*:\s*\d+", out, re.M) is not None, out)
    out = sh(q, "xl list")
    r.check("xl list shows Domain-0", re.search(r"^Domain-0\s+0\s+\d+", out, re.M) is not None, out)
    out = sh(q, "xenstore-write /test/debian yes && xenstore-read /test/debian; "
                "xenstore-rm /test; echo rc=$?")
    r.check("Debian's xenstore clients talk to our xenstored",
            out.split()[:1] == ["yes"] and rc_of(out) == 0, out)


def zfs(q):
    out = sh(q, "test -d /sys/module/zfs && echo zfs-loaded; "
                "ls /lib/modules/$(uname -r)/updates/dkms/zfs.ko")
    r.check("the zfs module is loaded, from zfs-modules for the running kernel",
            "zfs-loaded" in out and "No such file" not in out, out)
    out = sh(q, "zpool list -H -o name,health tank; "
                "zpool status -P tank | grep -o '/dev/disk/by-id/[^ ]*'")
    r.check("Dom0's init created the pool tank on the second disk (basalt-tank)",
            re.search(r"^tank\s+ONLINE$", out, re.M) is not None and "basalt-tank" in out, out)
    out = sh(q, "zfs create -V 64M tank/vol && udevadm settle && "
                "readlink -f /dev/zvol/tank/vol; echo rc=$?", timeout=180)
    r.check("zfs create -V makes a zvol, /dev/zvol/tank/vol (udev)",
            rc_of(out) == 0 and re.search(r"^/dev/zd\d+$", out, re.M) is not None, out)
    out = sh(q, "mkfs.ext4 -q /dev/zvol/tank/vol && mount /dev/zvol/tank/vol /mnt && "
                "echo on-a-zvol > /mnt/f && umount /mnt && zfs snapshot tank/vol@one && "
                "mount -o ro /dev/zvol/tank/vol /mnt && cat /mnt/f && umount /mnt && "
                "zfs list -H -t snapshot -o name; echo rc=$?", timeout=300)
    r.check("a file system on the zvol keeps a file; zfs snapshot",
            rc_of(out) == 0 and "on-a-zvol" in out and "tank/vol@one" in out, out)


def demo_guest(q):
    start = q.elapsed()
    out = sh(q, "xl create /etc/basalt/demo.cfg; echo rc=$?", timeout=300)
    r.check("xl create /etc/basalt/demo.cfg", rc_of(out) == 0, out)
    if rc_of(out) != 0:
        return
    created = q.elapsed()
    dom0_shell.attach_until_init(q, "demo", timeout=300)
    # For post-mortems of a slow machine; never checked (wall time).
    print("# xl create took %.1f s; the demo guest's init came %.1f s after it" %
          (created - start, q.elapsed() - created), flush=True)
    r.check("the demo guest boots to its init", True)
    dom0_shell.detach(q)
    out = sh(q, "xl destroy demo; echo rc=$?; xl list | grep -c demo")
    r.check("xl destroy demo", rc_of(out) == 0 and out.split()[-1] == "0", out)


def poweroff(q):
    q.mark()
    q.send("poweroff\n")
    with dom0_shell.explained(q):
        q.expect(r"basalt-dom0: powering off", timeout=60)
    r.check("poweroff in Dom0's shell reaches init", True)


def main():
    kver = open(os.path.join(IMAGES, "kernel-version")).read().strip()
    with Qemu("debian-dom0", cmdline="dom0_mem=768M", modules=DOM0, mem="3G", extra=disks()) as q:
        try:
            facts = debian_dom0.Session(q).wait_for_dom0()
            took = q.elapsed()
        except Timeout as e:
            r.check("Debian Dom0 boots to its init", False, str(e))
            r.no_hypervisor_failure(q)
            return
        print("# Debian Dom0 reached its init and printed its facts after %.1f s" % took)
        # The root is found by its label; AHCI probes its ports in parallel,
        # so it may be sda or sdb.
        r.check("Dom0 runs on the Debian root (root=/dev/sdX) under Xen's ABI",
                re.search(r"hypervisor=xen caps=control_d .*persist=root .*root=/dev/sd[a-z] ", facts)
                is not None, facts)
        r.check("Dom0 got its address by DHCP", " net=10.0.2.15 " in facts, facts)
        out = sh(q, "uname -r; cat /etc/debian_version")
        r.check("Dom0's kernel is images/'s (%s), on Debian 12" % kver,
                out.split()[:1] == [kver] and re.search(r"^12\.", out, re.M) is not None, out)
        r.check("ZFS pool tank created at boot", " tank=created" in facts, facts)
        # A step whose command never returns (e.g. a xenstore client waiting
        # for a xenstored that is not there) leaves the shell busy: the steps
        # after it would only time out one by one. (What timed out has
        # printed the serial line's story, dom0_shell.explain().)
        steps = [("packages", lambda: packages(q, kver)), ("our programs", lambda: ours(q)),
                 ("zfs", lambda: zfs(q)), ("the demo guest", lambda: demo_guest(q)),
                 ("poweroff", lambda: poweroff(q))]
        for i, (name, fn) in enumerate(steps):
            try:
                fn()
            except Timeout as e:
                rest = ", ".join(n for n, _ in steps[i + 1:])
                if rest and dom0_shell.answers(q):
                    r.check(name, False, str(e))
                    continue
                r.check(name, False, "%s%s" % (e, "; not run, as Dom0's shell stopped answering: " + rest
                                               if rest else ""))
                break
            except Exception as e:  # noqa: BLE001 - any other error fails this step only
                r.check(name, False, "%s: %s" % (type(e).__name__, e))
        r.no_hypervisor_failure(q, exit_expected=True)


main()
r.exit()
