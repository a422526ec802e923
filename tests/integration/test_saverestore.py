#!/usr/bin/env python3
"""Saving and restoring a running guest (issue 15), in one Basalt boot, on
Debian's stock kernel as a PVH DomU with two vCPUs and 256 MiB, its own
view checked: a counter it runs and its uptime carry on across xl save /
xl restore, its console answers, both vCPUs are back; xl save -c keeps it
running (and the same checkpoint file restores only once the name is
free); a truncated, a corrupted and a foreign file (another kind, another
format version) are refused with the reason and create nothing (no
domain, no xenstore entries); then ten save/restore cycles in a row, the
guest still counting after them, and the pool's free memory after the
guest is shut down (xl shutdown, which it still answers) what it was
before it."""
# tests/run: time limit 2400 s
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from basalt_test import BUILD, Qemu, Report  # noqa: E402
from dom0_shell import attach, attach_until_init, detach, domains, free_memory, rc_of, sh  # noqa: E402

IMAGES = os.path.join(BUILD, "images")
DOM0 = [os.path.join(IMAGES, "vmlinux") + " console=hvc0 pci=nomsi quiet",
        os.path.join(IMAGES, "dom0-initramfs.cpio.gz")]
CYCLES = 10
# The counter ticks once a second of the guest's own time.
COUNTER = "(i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 1; done) >/dev/null 2>&1 & true"

r = Report(plan=19)


def guest_view(q):
    """(counter, uptime seconds, nproc) as the guest sees them; the console
    must be attached."""
    out = sh(q, "echo count=$(cat /tmp/count) up=$(cut -d' ' -f1 /proc/uptime) nproc=$(nproc)", timeout=60)
    m = re.search(r"count=(\d+) up=([\d.]+) nproc=(\d+)", out)
    return (int(m.group(1)), float(m.group(2)), int(m.group(3))) if m else (None, None, None)


def counting(q, before):
    """Attaches to the guest and returns (view now, view a few seconds
    later); the counter must have moved past `before` and on again."""
    attach(q, "sr")
    first = guest_view(q)
    time.sleep(5)
    second = guest_view(q)
    detach(q)
    ok = (first[0] is not None and second[0] is not None and before[0] is not None and
          first[0] >= before[0] and second[0] > first[0] and first[1] > before[1])
    return ok, first, second


def xenstore_domains(q):
    out = sh(q, "xenstore-list /local/domain | tr '\\n' ' '; echo")
    return sorted(out.split())


def save_restore(q, state):
    out = sh(q, "sed 's/^name = .*/name = \"sr\"/; /^vif/d' /etc/basalt/demo.cfg > /tmp/sr.cfg; "
                "xl create /tmp/sr.cfg; echo rc=$?", timeout=300)
    r.check("xl create a 256 MiB, 2-vCPU guest", rc_of(out) == 0, out)
    attach_until_init(q, "sr")
    sh(q, COUNTER)
    time.sleep(3)
    before = guest_view(q)
    detach(q)
    old_id = domains(q).get("sr")

    out = sh(q, "xl save sr /tmp/sr.save; echo rc=$?; ls -l /tmp/sr.save", timeout=600)
    doms = domains(q)
    r.check("xl save sr FILE: the guest is saved and gone", rc_of(out) == 0 and "sr" not in doms and
            "Saved domain" in out, out)
    out = sh(q, "xl restore /tmp/sr.save; echo rc=$?", timeout=600)
    doms = domains(q)
    r.check("xl restore FILE: the guest is back (a new domain)", rc_of(out) == 0 and "sr" in doms and
            doms["sr"] != old_id, "%s %s" % (out, doms))
    ok, first, second = counting(q, before)
    r.check("... its console answers, its counter keeps counting and its uptime continues", ok,
            "before %s, after %s then %s" % (before, first, second))
    r.check("... with both vCPUs online", first[2] == 2 and before[2] == 2, "%s %s" % (before, first))
    out = sh(q, "xl list sr; xl vcpu-list sr")
    r.check("... and xl shows it running with 2 vCPUs", re.search(r"^sr\s+\d+\s+\d+\s+2\s", out, re.M) is not None,
            out)
    state["view"] = second


def checkpoint(q, state):
    domid = domains(q).get("sr")
    out = sh(q, "xl save -c sr /tmp/sr-c.save; echo rc=$?", timeout=600)
    r.check("xl save -c: saved, and the guest keeps running in the same domain",
            rc_of(out) == 0 and domains(q).get("sr") == domid, out)
    ok, first, second = counting(q, state["view"])
    r.check("... its counter keeps counting", ok, "before %s, after %s then %s" % (state["view"], first, second))
    state["view"] = second
    out = sh(q, "xl restore /tmp/sr-c.save; echo rc=$?")
    r.check("restoring the checkpoint while the guest runs is refused: the name is taken",
            rc_of(out) not in (None, 0) and "already exists" in out and domains(q).get("sr") == domid, out)


def refusals(q, state):
    doms, store = domains(q), xenstore_domains(q)
    cases = [
        ("a truncated file", "head -c 50000000 /tmp/sr-c.save > /tmp/bad", "truncated"),
        ("a corrupted file (one byte changed)",
         "cp /tmp/sr-c.save /tmp/bad; printf 'X' | dd of=/tmp/bad bs=1 seek=40000000 conv=notrunc 2>/dev/null",
         "checksum"),
        ("a file of another kind", "cp /etc/basalt/demo.cfg /tmp/bad", "not a Basalt save file"),
        ("a file of another format version",
         "cp /tmp/sr-c.save /tmp/bad; printf '\\003' | dd of=/tmp/bad bs=1 seek=8 conv=notrunc 2>/dev/null",
         "format version 3"),
    ]
    for what, make, reason in cases:
        out = sh(q, "%s; xl restore /tmp/bad; echo rc=$?" % make, timeout=300)
        r.check("%s is refused (%s) and creates nothing" % (what, reason),
                rc_of(out) not in (None, 0) and reason in out and domains(q) == doms and
                xenstore_domains(q) == store, "%s; %s; %s" % (out, domains(q), xenstore_domains(q)))
    sh(q, "rm -f /tmp/bad /tmp/sr-c.save")


def cycles(q, state):
    out = sh(q, "n=0; for i in $(seq %d); do xl save sr /tmp/sr.save && xl restore /tmp/sr.save && "
                "n=$((n+1)); done; echo cycles=$n" % CYCLES, timeout=CYCLES * 600)
    m = re.search(r"^cycles=(\d+)", out, re.M)
    r.check("%d save/restore cycles in a row" % CYCLES, m and int(m.group(1)) == CYCLES, out[-3000:])
    ok, first, second = counting(q, state["view"])
    r.check("... the guest still counts after them, its uptime continuing", ok,
            "before %s, after %s then %s" % (state["view"], first, second))
    attach(q, "sr")
    out = sh(q, "dmesg | grep -E 'BUG|WARNING|Call Trace|suspend' | tail -20; echo bad=$(dmesg | grep -cE 'BUG|WARNING|Call Trace')")
    detach(q)
    r.check("... and its kernel logged no BUG, WARNING or call trace through them", rc_of(out, "bad") == 0, out)
    # Its xenstore watches were registered again by the guest after each
    # restore: the PV shutdown request reaches it.
    out = sh(q, "xl shutdown -w sr; echo rc=$?", timeout=300)
    r.check("xl shutdown -w of the restored guest: it powers off and is gone",
            rc_of(out) == 0 and "sr" not in domains(q), out)


def main():
    state = {}
    with Qemu("saverestore", cmdline="dom0_mem=768M", modules=DOM0, mem="3G") as q:
        q.expect(r"basalt-dom0: init reached", timeout=300)
        q.expect(r"basalt-dom0: hypervisor=", timeout=30)
        free_before = free_memory(q, domains=1)
        if r.run("save and restore", lambda: save_restore(q, state)):
            r.run("checkpoint", lambda: checkpoint(q, state))
            r.run("refused files", lambda: refusals(q, state))
            r.run("cycles", lambda: cycles(q, state))
        sh(q, "xl destroy sr 2>/dev/null; rm -f /tmp/sr.save")
        free_after = free_memory(q, domains=1)
        r.check("with the guest destroyed, the pool's free memory is what it was before it",
                "sr" not in domains(q) and free_before is not None and free_after == free_before,
                "%s -> %s MiB" % (free_before, free_after))
        r.no_hypervisor_failure(q)


main()
r.exit()
