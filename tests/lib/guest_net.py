"""Guests on Dom0's network, for test_network.py and `make bench`: the
Debian Dom0 (which has dnsmasq, nftables and iperf3), the consoles of Dom0
and its guests on the one serial line, guests booted and addressed."""
import os
import re
import shutil
import subprocess
import time

import console
from basalt_test import BUILD, ROOT, Timeout

IMAGES = os.path.join(BUILD, "images")
DEBIAN_DOM0 = [os.path.join(IMAGES, "vmlinux") + " console=hvc0 pci=nomsi quiet root=LABEL=basalt-dom0",
               os.path.join(IMAGES, "dom0-debian-initramfs.cpio.gz")]
BRIDGE_NET = "192.168.100."
DOM0_IP = BRIDGE_NET + "1"


def debian_dom0_root(work):
    """QEMU arguments for the Debian Dom0's root: a fresh overlay, in work,
    of the cached image images/ built."""
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    with open(os.path.join(IMAGES, "dom0-root")) as f:
        base = f.read().strip()
    overlay = os.path.join(work, "root.qcow2")
    subprocess.run([os.path.join(ROOT, "scripts", "dom0-overlay.sh"), base, overlay], check=True)
    return ["-drive", "file=%s,if=none,id=d0,format=qcow2" % overlay,
            "-device", "ide-hd,drive=d0,bus=ide.0,serial=basalt-root"]


class Consoles:
    """Dom0's shell and the guests' consoles (xl console), one at a time on
    the serial line; a guest's lines then carry no (dN) prefix. `check` is
    called before each command (to give up early once a session is lost).
    Every switch is confirmed by asking the shell for its host name: on a
    loaded host keys typed before a console client is ready go elsewhere."""


    def __init__(self, q, check=None):
        self.q = q
        self.on = None
        self.check = check

    def _where(self):
        """The host name of the shell that has the console, or None if none
        answered in time."""
        if self.check:
            self.check()
        failure = self.q.hypervisor_failure()
        if failure:
            raise AssertionError("the hypervisor failed: " + failure)
        try:
            out = console.run(self.q, 0, "echo where-$((6*7))-$(hostname)", timeout=30)
        except Timeout:
            return None
        m = re.search(r"where-42-(\S+)", out)
        return m.group(1) if m else None

    def dom0(self):
        if not self.on:
            return
        deadline = time.monotonic() + 300
        while True:
            # Ctrl-] ends xl console; in Dom0's bash it would take the next
            # key as a search target, hence the newline.
            self.q.send("\x1d")
            time.sleep(1)
            self.q.send("\n")
            where = self._where()
            if where == "dom0":
                break
            if time.monotonic() > deadline:
                raise AssertionError("cannot get back to Dom0's shell from %s's console (answer: %s)"
                                     % (self.on, where))
        self.on = None

    def attach(self, name, wait_init=False):
        if self.on == name:
            return
        self.dom0()
        self.q.mark()
        self.q.send("xl console %s\n" % name)
        self.on = name
        if wait_init:
            self.q.expect(r"basalt-guest: init reached", timeout=600)
        time.sleep(2)
        deadline = time.monotonic() + 300
        while True:
            self.q.send("\n")
            where = self._where()
            if where not in (None, "dom0"):   # the DomU's init sets no host name: "(none)"
                return
            if time.monotonic() > deadline:
                raise AssertionError("cannot reach %s's shell with xl console (answer: %s)" % (name, where))
            if where == "dom0":   # the client did not attach, or left at once
                self.q.send("xl console %s\n" % name)
                time.sleep(2)

    def sh(self, where, command, timeout=120):
        """Runs command in Dom0 (where=None) or in guest `where`."""
        if self.check:
            self.check()
        if where is None:
            self.dom0()
        else:
            self.attach(where)
        return console.run(self.q, 0, command, timeout=timeout)

    def start_guest(self, name, settings=""):
        """xl create of the demo guest as name (with KEY=VALUE settings),
        then its console until its init speaks."""
        out = self.sh(None, "xl create /etc/basalt/demo.cfg 'name=\"%s\"' %s; echo rc=$?"
                      % (name, settings), timeout=300)
        if console.exit_status(out) != 0:
            raise AssertionError("xl create %s failed: %s" % (name, out))
        self.attach(name, wait_init=True)

    def guest_ip(self, name, dev="eth0", timeout=180):
        """The IPv4 address the guest's DHCP client set on dev, or None."""
        deadline = time.monotonic() + timeout
        while True:
            out = self.sh(name, "ip -4 addr show %s" % dev)
            m = re.search(r"inet (\d+\.\d+\.\d+\.\d+)/", out)
            if m or time.monotonic() > deadline:
                return m.group(1) if m else None
            time.sleep(3)

    def domains(self):
        """xl list as {name: id}."""
        doms = {}
        for line in self.sh(None, "xl list").splitlines()[1:]:
            f = line.split()
            if len(f) >= 2 and f[1].isdigit():
                doms[f[0]] = int(f[1])
        return doms
