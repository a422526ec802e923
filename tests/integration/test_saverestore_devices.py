#!/usr/bin/env python3
"""Saving and restoring a guest with disks and a NIC (issue 15), in one
boot of Basalt with the Debian Dom0 and then a second: a PVH guest on Debian's stock kernel
with a qcow2 disk and a ZFS volume (both served by Debian's QEMU, qdisk)
and a vif on xenbr0 writes a MiB to each disk (synced) and runs a counter;
xl save writes it to Dom0's root file system and xl restore brings it
back. Its blkfront and netfront reconnect to the backends xl restore
attaches (both sides of each device Connected, the vif on the bridge
again): the blocks written before the save read back from the disks (the
guest's page cache dropped), it writes more, it pings Dom0; its counter,
its uptime and xl uptime carry on from before the save. The file holds the
domain's configuration: `xl reboot` of the restored guest restarts it
(on_reboot = "restart") with its disks and NIC, and the freshly booted
kernel reads the block written after the restore. Saved again, Basalt
powered off and booted again on the same disks, xl restore brings it back
with its disks, NIC, counter and uptime. Shut down, nothing of it stays
(QEMU, vif, the kept configuration)."""
# tests/run: time limit 2400 s
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from basalt_test import BUILD, Qemu, Report  # noqa: E402
from debian_dom0 import MODULES, Session, disks, guest_config  # noqa: E402

WORK = os.path.join(BUILD, "tests", "saverestore-devices")
QCOW = "/var/lib/xen/images/srd.qcow2"
ZVOL = "/dev/zvol/tank/srd"
DOM0_IP = "192.168.100.1"
COUNTER = "(i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 1; done) >/dev/null 2>&1 & true"
# What the guest reads of a disk: its page cache dropped first, so the
# blocks come from the backend.
READ = "echo 3 > /proc/sys/vm/drop_caches; dd if=%s bs=64k skip=%d count=16 2>/dev/null | sha256sum"

r = Report(plan=15)


def view(s):
    """(counter, uptime seconds) as the guest sees them; attached."""
    out = s.sh("echo count=$(cat /tmp/count) up=$(cut -d' ' -f1 /proc/uptime)")
    m = re.search(r"count=(\d+) up=([\d.]+)", out)
    return (int(m.group(1)), float(m.group(2))) if m else (None, None)


def sums(out):
    return re.findall(r"^([0-9a-f]{64})\b", out, re.M)


def xl_uptime(s):
    """xl uptime of srd in seconds (Dom0's shell)."""
    out = s.sh("xl uptime srd")
    m = re.search(r"^srd\s+\d+\s+(?:(\d+) days?, )?\s*(\d+):(\d+):(\d+)$", out, re.M)
    if not m:
        return None
    d, h, mi, se = (int(g) if g else 0 for g in m.groups())
    return ((d * 24 + h) * 60 + mi) * 60 + se


def devices_connected(s, domid):
    """Dom0's view of srd's devices: states of both ends and the vif's
    bridge port."""
    return s.sh("for d in 51728 51744; do echo vbd$d=$(xenstore-read /local/domain/%(d)d/device/vbd/$d/state)/"
                "$(xenstore-read /local/domain/0/backend/qdisk/%(d)d/$d/state); done; "
                "echo vif=$(xenstore-read /local/domain/%(d)d/device/vif/0/state)/"
                "$(xenstore-read /local/domain/0/backend/vif/%(d)d/0/state); "
                "echo port=$(ls /sys/class/net/xenbr0/brif | grep -c '^vif%(d)d\\.0$')" % {"d": domid})


def scenario(s, state):
    s.wait_for_dom0()
    s.put("/root/srd.cfg", guest_config("srd", ["format=qcow2,vdev=xvdb,target=" + QCOW,
                                                "format=raw,vdev=xvdc,target=" + ZVOL])
          + "vif = [ 'bridge=xenbr0' ]\n")
    good, out = s.ok("mkdir -p /var/lib/xen/images && qemu-img create -q -f qcow2 %s 16M && "
                     "zfs create -V 16M tank/srd && udevadm settle && ls -l %s" % (QCOW, ZVOL), timeout=300)
    if not good:
        raise AssertionError("cannot make the disks: " + out)
    s.boot("/root/srd.cfg")
    s.sh(COUNTER)
    out = s.sh("for i in $(seq 90); do ping -c 1 -W 2 %s >/dev/null 2>&1 && break; sleep 1; done; "
               "ping -c 2 -W 5 %s; head -c 1048576 /dev/urandom > /tmp/blk && "
               "dd if=/tmp/blk of=/dev/xvdb bs=64k conv=fsync 2>/dev/null && "
               "dd if=/tmp/blk of=/dev/xvdc bs=64k conv=fsync 2>/dev/null && sync && sha256sum /tmp/blk"
               % (DOM0_IP, DOM0_IP), timeout=300)
    before = sums(out)
    time.sleep(3)
    state["view"] = view(s)
    r.check("a guest with a qcow2 disk, a ZFS volume and a vif boots, reaches Dom0 and writes a MiB to "
            "each disk", len(before) == 1 and " 0% packet loss" in out and state["view"][0], out)
    s.detach()
    old_id = s.domid("srd")
    up_before = xl_uptime(s)
    # The configuration's text is in the file (nothing else holds this line).
    good, out = s.ok("xl save srd /root/srd.save && grep -c 'on_reboot = \"restart\"' /root/srd.save",
                     timeout=600)
    r.check("xl save of the guest: it is gone, and the file holds its configuration",
            good and s.domid("srd") is None, out)

    good, out = s.ok("xl -v restore /root/srd.save", timeout=600)
    new_id = s.domid("srd")
    r.check("xl restore brings it back as a new domain", good and new_id not in (None, old_id), out)
    # The frontends reconnect once the guest has resumed its devices.
    deadline = time.monotonic() + 180
    while True:
        out = devices_connected(s, new_id)
        if out.count("=4/4") == 3 and "port=1" in out or time.monotonic() > deadline:
            break
        time.sleep(3)
    r.check("... its blkfronts and netfront reconnected: both ends of each device Connected, the vif "
            "on xenbr0", out.count("=4/4") == 3 and "port=1" in out, out)
    s.sh("xl block-list srd; xl network-list srd")

    s.attach("srd")
    out = s.sh(READ % ("/dev/xvdb", 0) + "; " + READ % ("/dev/xvdc", 0), timeout=300)
    r.check("... the MiB written before the save reads back from both disks",
            sums(out) == before * 2, "before %s: %s" % (before, out))
    out = s.sh("head -c 1048576 /dev/urandom > /tmp/blk2 && "
               "dd if=/tmp/blk2 of=/dev/xvdb bs=64k seek=16 conv=fsync 2>/dev/null && "
               "dd if=/tmp/blk2 of=/dev/xvdc bs=64k seek=16 conv=fsync 2>/dev/null && sync && "
               "sha256sum /tmp/blk2 && " + READ % ("/dev/xvdb", 16), timeout=300)
    state["after"] = sums(out)[:1]
    r.check("... it keeps doing I/O: a MiB written after the restore reads back",
            len(sums(out)) == 2 and sums(out)[0] == sums(out)[1], out)
    out = s.sh("ping -c 3 -W 5 %s" % DOM0_IP, timeout=120)
    r.check("... and it pings Dom0 through its reconnected NIC", " 0% packet loss" in out, out)
    first = view(s)
    time.sleep(5)
    second = view(s)
    before = state["view"]
    s.detach()
    up_after = xl_uptime(s)
    r.check("... its counter keeps counting, its uptime continues, and xl uptime counts from its "
            "boot, not from the restore",
            None not in first + second and first[0] >= before[0] and second[0] > first[0] and
            first[1] > before[1] and up_before is not None and up_after is not None and
            up_after >= up_before and up_after + 5 >= second[1],
            "before %s, after %s then %s; xl uptime %s then %s"
            % (before, first, second, up_before, up_after))

    # on_reboot = "restart": the monitor of the restored domain has the
    # configuration to build it again.
    out = s.sh("xl reboot srd; for i in $(seq 150); do id=$(xl domid srd 2>/dev/null); "
               "[ -n \"$id\" ] && [ \"$id\" != %d ] && break; sleep 2; done; echo id=$id" % new_id, timeout=400)
    m = re.search(r"^id=(\d+)", out, re.M)
    restarted = m and int(m.group(1)) != new_id
    if restarted:
        s.attach("srd")
        out = s.sh("for i in $(seq 60); do [ -e /dev/xvdc ] && break; sleep 1; done; "
                   + READ % ("/dev/xvdb", 16) + "; " + READ % ("/dev/xvdc", 16) +
                   "; for i in $(seq 90); do ping -c 1 -W 2 %s >/dev/null 2>&1 && echo net-up && break; "
                   "sleep 1; done" % DOM0_IP, timeout=400)
        s.sh(COUNTER)
        time.sleep(3)
        state["view"] = view(s)
        s.detach()
    r.check("xl reboot of the restored guest restarts it (on_reboot=restart from the saved "
            "configuration), and the new kernel reads what was written after the restore, and reaches Dom0",
            restarted and sums(out) == state["after"] * 2 and "net-up" in out, out)

    # Saved again (the restart kept its configuration), for the next boot
    # of Basalt; the machine is powered off.
    state["uptime"] = xl_uptime(s)
    good, out = s.ok("xl save srd /root/srd.save && grep -c 'on_reboot = \"restart\"' /root/srd.save && sync",
                     timeout=600)
    saved = good and s.domid("srd") is None
    r.check("xl save of the restarted guest, its configuration in the file; Basalt powered off",
            saved and state["view"][0], out)
    if saved:
        state["saved"] = True
    s.q.send("poweroff\n")
    s.q.expect(r"basalt: powering off", timeout=300)
    deadline = time.monotonic() + 60
    while s.q.running() and time.monotonic() < deadline:
        time.sleep(1)


def second_boot(s, state):
    s.wait_for_dom0()
    good, out = s.ok("xl -v restore /root/srd.save", timeout=600)
    r.check("after Basalt rebooted, xl restore brings the guest back", good and s.domid("srd") is not None, out)
    up = xl_uptime(s)
    s.attach("srd")
    out = s.sh(READ % ("/dev/xvdb", 16) + "; " + READ % ("/dev/xvdc", 16) +
               "; for i in $(seq 90); do ping -c 1 -W 2 %s >/dev/null 2>&1 && echo net-up && break; "
               "sleep 1; done" % DOM0_IP, timeout=400)
    first = view(s)
    time.sleep(5)
    second = view(s)
    s.detach()
    before = state["view"]
    r.check("... with its disks, its NIC, its counter counting, its uptime and xl uptime continuing",
            sums(out) == state["after"] * 2 and "net-up" in out and None not in first + second and
            first[0] >= before[0] and second[0] > first[0] and first[1] > before[1] and
            up is not None and state["uptime"] is not None and up >= state["uptime"],
            "%s; before %s, after %s then %s; xl uptime %s then %s"
            % (out, before, first, second, state["uptime"], up))
    good, out = s.ok("xl shutdown -w srd; sleep 2; pgrep -af xen-qemu-system | grep -v pgrep; "
                     "ls /sys/class/net/xenbr0/brif; ls /var/lib/xen | grep -c userdata; true", timeout=300)
    r.check("xl shutdown -w: it is gone with its QEMU, its vif and its kept configuration",
            good and s.domid("srd") is None and "xen-domid" not in out and "vif" not in out and
            re.search(r"^0$", out, re.M) is not None, out)


def main():
    state = {}
    # The same disks for both boots: Dom0's root (the save file) and the
    # pool tank (the guest's ZFS volume).
    extra = disks(WORK, 4)
    with Qemu("saverestore-devices", cmdline="dom0_mem=768M", modules=MODULES, mem="3G", extra=extra) as q:
        r.run("save and restore with devices", lambda: scenario(Session(q), state))
        r.no_hypervisor_failure(q, exit_expected=True)
    if "saved" not in state:
        r.exit()
    with Qemu("saverestore-devices-2", cmdline="dom0_mem=768M", modules=MODULES, mem="3G", extra=extra) as q:
        r.run("restore after a reboot of Basalt", lambda: second_boot(Session(q), state))
        r.no_hypervisor_failure(q)
    r.exit()


main()
