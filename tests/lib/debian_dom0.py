"""Basalt with the Debian Dom0 (images/README.md): its disks, and its shell
and its guests' consoles driven over the serial line. Used by
tests/integration/test_storage.py and scripts/bench_storage.py."""
import base64
import os
import re
import shutil
import subprocess
import time

from basalt_test import BUILD, EMULATOR_FAULT, ROOT, Qemu, Timeout  # noqa: F401 - EMULATOR_FAULT: for the tests
import console
import dom0_shell
from dom0_shell import Unanswered, explain, explained

IMAGES = os.path.join(BUILD, "images")
MODULES = [os.path.join(IMAGES, "vmlinux") + " console=hvc0 pci=nomsi quiet root=LABEL=basalt-dom0",
           os.path.join(IMAGES, "dom0-debian-initramfs.cpio.gz")]

def rc_of(out):
    """The last "rc=N" a command printed, or None."""
    m = re.findall(r"^rc=(\d+)", out, re.M)
    return int(m[-1]) if m else None


def disks(work, tank_gib):
    """A fresh overlay of the cached root image, and a blank disk of
    tank_gib GiB (sparse) for the pool tank, which Dom0's init creates."""
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    with open(os.path.join(IMAGES, "dom0-root")) as f:
        base = f.read().strip()
    overlay = os.path.join(work, "root.qcow2")
    tank = os.path.join(work, "tank.img")
    subprocess.run([os.path.join(ROOT, "scripts", "dom0-overlay.sh"), base, overlay], check=True)
    with open(tank, "wb") as f:
        f.truncate(tank_gib << 30)
    return ["-drive", "file=%s,if=none,id=d0,format=qcow2" % overlay,
            "-device", "ide-hd,drive=d0,bus=ide.0,serial=basalt-root",
            "-drive", "file=%s,if=none,id=d1,format=raw" % tank,
            "-device", "ide-hd,drive=d1,bus=ide.1,serial=basalt-tank"]


def machine(name, work, tank_gib=4, dom0_mem="768M", dom0_args=""):
    """The QEMU to boot (a context manager, as Qemu is); dom0_args are added
    to Dom0's kernel command line."""
    modules = [MODULES[0] + (" " + dom0_args if dom0_args else "")] + MODULES[1:]
    return Qemu(name, cmdline="dom0_mem=" + dom0_mem, modules=modules, mem="3G",
                extra=disks(work, tank_gib))


def guest_config(name, disk_entries, memory=256):
    """An xl.cfg for a PVH guest with the demo guest's kernel and initramfs."""
    return "\n".join([
        'name = "%s"' % name,
        'type = "pvh"',
        'kernel = "/usr/lib/basalt/vmlinuz"',
        'ramdisk = "/usr/lib/basalt/domu-initramfs.cpio.gz"',
        'extra = "console=hvc0 quiet"',
        'memory = %d' % memory,
        'vcpus = 1',
        'disk = [',
    ] + ["    '%s'," % d for d in disk_entries] + [
        ']',
        'on_poweroff = "destroy"',
        'on_reboot = "restart"',
        'on_crash = "destroy"',
    ]) + "\n"


class Session:
    """Dom0's shell on the serial line, and the guests' consoles through
    `xl console` typed into it."""

    def __init__(self, q):
        self.q = q

    def wait_for_dom0(self):
        with explained(self.q):
            self.q.expect(r"basalt-dom0: init reached", timeout=600)
            # Up to its newline: the serial line can arrive in pieces, and
            # ".*" alone matches the piece there is.
            return self.q.expect(r"(basalt-dom0: hypervisor=.*)\n", timeout=30).group(1)

    def sh(self, command, timeout=180):
        """Runs command in whichever shell has the console (Dom0's, or a
        guest's while attached) and returns what it printed."""
        return dom0_shell.sh(self.q, command, timeout=timeout)

    def ok(self, command, timeout=180):
        out = self.sh(command + "; echo rc=$?", timeout)
        return rc_of(out) == 0, out

    def put(self, path, text):
        data = base64.b64encode(text.encode()).decode()
        out = self.sh("echo %s | base64 -d > %s && echo put-ok" % (data, path))
        if "put-ok" not in out:
            raise AssertionError("cannot write %s in Dom0: %s" % (path, out))

    def put_tools_script(self):
        with open(os.path.join(ROOT, "tests", "lib", "mk-tools-disk.sh")) as f:
            self.put("/root/mk-tools-disk.sh", f.read())

    def ready(self, timeout=300):
        """Waits until the shell on the console answers. What is typed while
        a guest still boots can be lost (its shell may not read it), so the
        question is asked again until it is answered."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                console.run(self.q, 0, "true", timeout=15)
                return
            except Timeout as e:
                if time.monotonic() > deadline:
                    raise Unanswered(explain(self.q, "the shell on the console did not answer within %d s: %s"
                                             % (timeout, e))) from e
                self.q.send("\n")

    def boot(self, config, timeout=600):
        """xl create -c: returns once the guest's shell answers."""
        self.q.mark()
        self.q.send("xl create -c %s\n" % config)
        with explained(self.q):
            m = self.q.expect(r"(basalt-guest: init reached)|^((?:xl: |/\S+:\d+: ).*)$", timeout=timeout)
        if m.group(2):
            raise AssertionError("xl create -c %s failed: %s" % (config, m.group(2)))
        self.ready()

    def attach(self, name):
        self.q.mark()
        self.q.send("xl console %s\n" % name)
        time.sleep(1)
        self.ready()

    def detach(self, then=None):
        """Ctrl-] back to Dom0's shell; then: a command typed the moment its
        prompt is back."""
        self.q.mark()
        self.q.send("\x1d")
        with explained(self.q):
            self.q.expect(r"root@dom0:\S*# ", timeout=60)
        if then:
            self.q.send(then + "\n")
        time.sleep(0.5)
        self.sh("true")

    def domid(self, name):
        out = self.sh("xl domid %s 2>/dev/null || echo none" % name)
        m = re.search(r"^(\d+)$", out, re.M)
        return int(m.group(1)) if m else None
