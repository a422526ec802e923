#!/usr/bin/env python3
"""Changing running guests (issue 15), in one Basalt boot: the vcpuop test
guest checks VCPUOP_initialise/up/down/is_up as a boot-time domain while
Dom0 boots; then in Dom0, on Debian's stock kernel as a PVH DomU with the
guest's own view checked (nproc, its kernel log, /proc/meminfo):
xl vcpu-set up and down within maxvcpus, xl mem-set down, back and above
what the guest booted with (its balloon driver, memory hot-add), xl
mem-max, xl sched-credit, cpus= and xl vcpu-pin, loose weight and cap
shares, the refused requests, and the pool's free memory after each; then
xl pause and unpause of a spinning guest, xl reboot, a balloon target far
below what the guest can live in, and xl shutdown."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from basalt_test import BUILD, Qemu, Report, guest  # noqa: E402
from dom0_shell import (attach, attach_until_init, detach, domains, free_memory,  # noqa: E402
                        list_row, rc_of, sh)

IMAGES = os.path.join(BUILD, "images")
DOM0 = [os.path.join(IMAGES, "vmlinux") + " console=hvc0 pci=nomsi quiet",
        os.path.join(IMAGES, "dom0-initramfs.cpio.gz")]
VCPUOP = guest("vcpuop.elf") + " domain name=vcpuop vcpus=3 memory=8 -- storm=1000"
SHARE_SECONDS = 20

r = Report(plan=32)


def wait_until(what, fn, timeout):
    """Calls fn() until it returns something true or timeout seconds pass;
    returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(1)


def vcpuop_guest(q):
    q.wait_all([r"\(d\d+\) vcpuop: checks passed \d+/\d+", r"basalt: domain \d+ \(vcpuop\) destroyed: \S+"],
               timeout=300)
    text = q.text()
    oks = re.findall(r"^\(d\d+\) vcpuop: .* ok$", text, re.M)
    failed = re.findall(r"^\(d\d+\) vcpuop: .* FAILED .*$", text, re.M)
    m = re.search(r"vcpuop: checks passed (\d+)/(\d+)", text)
    r.check("VCPUOP_initialise/up/down/is_up: every check of the vcpuop guest passes",
            m and m.group(1) == m.group(2) and int(m.group(2)) == len(oks) >= 20 and not failed,
            "%s; failed: %s" % (m and m.group(0), failed))
    r.check("the last vCPU of a domain going down powers it off",
            re.search(r"basalt: domain \d+ \(vcpuop\) destroyed: poweroff$", text, re.M) is not None and
            "still running after the last vCPU went down" not in text,
            re.findall(r"basalt: domain \d+ \(vcpuop\) destroyed: .*", text))


def guest_nproc(q):
    out = sh(q, "echo nproc=$(nproc)")
    m = re.search(r"^nproc=(\d+)", out, re.M)
    return int(m.group(1)) if m else None


def mem_total_kib(q):
    out = sh(q, "grep MemTotal /proc/meminfo")
    m = re.search(r"MemTotal:\s+(\d+) kB", out)
    return int(m.group(1)) if m else None


def vcpu_states(q, name):
    """xl vcpu-list NAME as {vcpu: (cpu, state, affinity)}."""
    out = sh(q, "xl vcpu-list %s" % name)
    rows = {}
    for m in re.finditer(r"^%s\s+\d+\s+(\d+)\s+(\S+)\s+(\S+)\s+[\d.]+\s+(\S+) /" % re.escape(name), out, re.M):
        rows[int(m.group(1))] = (m.group(2), m.group(3), m.group(4))
    return rows


def vcpus(q, domid_name, want):
    """Sets the guest's vCPUs from Dom0 and waits, in the guest, for nproc."""
    out = sh(q, "xl vcpu-set %s %d; echo rc=$?" % (domid_name, want))
    if rc_of(out) != 0:
        return out, None
    attach(q, domid_name)
    n = wait_until("nproc", lambda: guest_nproc(q) == want and want, 120)
    log = sh(q, "dmesg | grep -E 'Booting Node|is now offline'")
    detach(q)
    return log, n


def vcpu_hotplug(q):
    sh(q, "sed 's/^name = .*/name = \"rt\"/; s/^vcpus = .*/vcpus = 1\\nmaxvcpus = 3/; "
          "s/^memory = .*/memory = 256\\nmaxmem = 512/' /etc/basalt/demo.cfg > /tmp/rt.cfg")
    out = sh(q, "xl create /tmp/rt.cfg; echo rc=$?", timeout=300)
    r.check("xl create with vcpus=1, maxvcpus=3, memory=256, maxmem=512", rc_of(out) == 0, out)
    q.mark()
    attach_until_init(q, "rt")
    facts = q.expect(r"basalt-guest: hypervisor=(\S*) nproc=(\d+)", timeout=60)
    detach(q)
    states = vcpu_states(q, "rt")
    row = list_row(q, "rt")
    r.check("the guest boots with 1 CPU online; xl shows 256 MiB, 1 vCPU, vCPUs 1 and 2 offline",
            facts.group(2) == "1" and row and row[:2] == (256, 1) and
            [states.get(i, ("", ""))[1] for i in range(3)][1:] == ["--p", "--p"],
            "%s; %s; %s" % (facts.group(0), row, states))

    out = sh(q, "xl vcpu-set rt 4; echo rc=$?; xenstore-read /local/domain/$(xl domid rt)/cpu/1/availability")
    r.check("xl vcpu-set beyond maxvcpus is refused with the limit, and changes nothing",
            rc_of(out) not in (None, 0) and "it has at most 3 (maxvcpus=3" in out and
            out.rstrip().endswith("offline"), out)

    log, n = vcpus(q, "rt", 3)
    r.check("xl vcpu-set rt 3: nproc in the guest becomes 3", n == 3, "nproc %s: %s" % (n, log))
    r.check("... its kernel logged both CPUs coming up",
            re.search(r"Booting Node \d+ Processor 1 ", log) is not None and
            re.search(r"Booting Node \d+ Processor 2 ", log) is not None, log)
    states, row = vcpu_states(q, "rt"), list_row(q, "rt")
    r.check("... and xl shows 3 vCPUs online",
            row and row[1] == 3 and len(states) == 3 and all(s[1] != "--p" for s in states.values()),
            "%s %s" % (row, states))

    log, n = vcpus(q, "rt", 1)
    states, row = vcpu_states(q, "rt"), list_row(q, "rt")
    r.check("xl vcpu-set rt 1: nproc 1, its kernel logged CPUs 1 and 2 offline, xl shows them offline",
            n == 1 and "CPU 1 is now offline" in log and "CPU 2 is now offline" in log and
            row and row[1] == 1 and [states.get(i, ("", ""))[1] for i in range(3)][1:] == ["--p", "--p"],
            "nproc %s, %s, %s: %s" % (n, row, states, log))


def balloon_to(q, mib, timeout=180):
    """xl mem-set rt MIB; waits until xl list shows it. Returns the rc."""
    out = sh(q, "xl mem-set rt %d; echo rc=$?" % mib)
    if rc_of(out) != 0:
        return out
    wait_until("balloon", lambda: (list_row(q, "rt") or (0,))[0] == mib, timeout)
    return out


def memory(q):
    free0 = free_memory(q, domains=2)
    attach(q, "rt")
    total0 = mem_total_kib(q)
    detach(q)

    out = sh(q, "xl mem-set rt 1024; echo rc=$?; xl mem-max rt 128; echo rc2=$?")
    r.check("xl mem-set above maxmem and xl mem-max below the target are refused, with the sizes",
            rc_of(out) not in (None, 0) and "maximum is 512 MiB" in out and
            rc_of(out, "rc2") not in (None, 0) and "below its target of 256 MiB" in out and
            list_row(q, "rt")[0] == 256, out)

    balloon_to(q, 128)
    free1 = free_memory(q, domains=2)
    attach(q, "rt")
    total1 = mem_total_kib(q)
    detach(q)
    r.check("xl mem-set rt 128: xl list shows 128 MiB, the pool has 128 MiB more",
            (list_row(q, "rt") or (0,))[0] == 128 and free1 == free0 + 128, "free %s -> %s" % (free0, free1))
    r.check("... and the guest's MemTotal is 128 MiB less",
            total0 and total1 and abs(total0 - total1 - 131072) <= 1024, "%s -> %s kB" % (total0, total1))

    # The freed pages go to the next guest at once: one larger than what was
    # free before, created paused (its memory is populated, nothing runs).
    size = free1 - 64
    out = sh(q, "xl create -p /etc/basalt/demo.cfg name=\\\"taker\\\" memory=%d vcpus=1; echo rc=$?; "
                "xl list taker; xl destroy taker" % size, timeout=300)
    r.check("a guest of %d MiB (more than was free before the balloon) can be created at once" % size,
            rc_of(out) == 0 and re.search(r"^taker\s+\d+\s+%d\s" % size, out, re.M) is not None and
            size > free0, out)

    balloon_to(q, 256)
    attach(q, "rt")
    total2 = mem_total_kib(q)
    detach(q)
    r.check("xl mem-set rt 256: back to 256 MiB, MemTotal and the pool's free memory as before",
            (list_row(q, "rt") or (0,))[0] == 256 and total2 == total0 and free_memory(q, domains=2) == free0,
            "MemTotal %s -> %s kB" % (total0, total2))

    balloon_to(q, 384, timeout=300)
    attach(q, "rt")
    total3 = mem_total_kib(q)
    blocks = sh(q, "cat /sys/devices/system/memory/memory*/state | sort | uniq -c")
    detach(q)
    r.check("xl mem-set rt 384, above what it booted with: the guest hot-adds memory, MemTotal grows 128 MiB",
            (list_row(q, "rt") or (0,))[0] == 384 and total3 and abs(total3 - total0 - 131072) <= 1024 and
            "offline" not in blocks, "MemTotal %s -> %s kB; %s" % (total0, total3, blocks))
    r.check("... and the pool has 128 MiB less", free_memory(q, domains=2) == free0 - 128, "")
    balloon_to(q, 256)
    r.check("back to 256 MiB: the pool's free memory as before",
            (list_row(q, "rt") or (0,))[0] == 256 and free_memory(q, domains=2) == free0, "")

    out = sh(q, "xl mem-max rt 300; echo rc=$?; xl mem-set rt 400; echo rc2=$?; xl mem-max rt 512; echo rc3=$?")
    r.check("xl mem-max rt 300 bounds xl mem-set (400 refused), and can be raised again",
            rc_of(out) == 0 and rc_of(out, "rc2") not in (None, 0) and "maximum is 300 MiB" in out and
            rc_of(out, "rc3") == 0, out)


def cpu_seconds(q, name):
    out = sh(q, "xl vcpu-list %s" % name)
    m = re.search(r"^%s\s+\d+\s+0\s+\S+\s+\S+\s+([\d.]+)" % re.escape(name), out, re.M)
    return float(m.group(1)) if m else None


def cpu_seconds_over(q, seconds):
    """The CPU time rt's and rt2's vCPU 0 get over the next `seconds`."""
    a = (cpu_seconds(q, "rt"), cpu_seconds(q, "rt2"))
    time.sleep(seconds)
    b = (cpu_seconds(q, "rt"), cpu_seconds(q, "rt2"))
    return b[0] - a[0], b[1] - a[1]


def spin(q, name):
    attach(q, name)
    sh(q, "(while :; do :; done) & true")
    detach(q)


def scheduler(q):
    out = sh(q, "xl sched-credit -d rt -w 0; echo rc=$?; xl sched-credit -d rt -c 400; echo rc2=$?")
    r.check("a weight of 0 and a cap above 100 per vCPU are refused",
            rc_of(out) not in (None, 0) and "weight 0 is out of range" in out and
            rc_of(out, "rc2") not in (None, 0) and "cap 400 is more than 100 per vCPU" in out, out)
    out = sh(q, "xl sched-credit -d rt -w 512 -c 50; echo rc=$?; xl sched-credit -d rt; xl sched-credit")
    r.check("xl sched-credit sets weight 512 and cap 50, and shows them for the domain and in the list",
            rc_of(out) == 0 and len(re.findall(r"^rt\s+\d+\s+512\s+50$", out, re.M)) == 2 and
            re.search(r"^Domain-0\s+0\s+256\s+0$", out, re.M) is not None, out)

    # cpus= in xl.cfg, then xl vcpu-pin: both guests on CPU 2, spinning.
    out = sh(q, "xl create /etc/basalt/demo.cfg name=\\\"rt2\\\" memory=128 vcpus=1 'cpus=\"2\"'; echo rc=$?",
             timeout=300)
    attach_until_init(q, "rt2")
    detach(q)
    states = vcpu_states(q, "rt2")
    r.check("cpus=\"2\" in the config: its vCPU may run on CPU 2 only",
            rc_of(out) == 0 and states.get(0, ("", "", ""))[2] == "2", "%s %s" % (out, states))
    out = sh(q, "xl vcpu-pin rt all 2; echo rc=$?; xl vcpu-pin rt 0 9-70; echo rc2=$?")
    states = vcpu_states(q, "rt")
    r.check("xl vcpu-pin rt all 2 pins every vCPU to CPU 2; a CPU the masks cannot hold is refused",
            rc_of(out) == 0 and len(states) == 3 and all(s[2] == "2" for s in states.values()) and
            rc_of(out, "rc2") not in (None, 0), "%s %s" % (out, states))
    # The session's guest_cpus=1-3 (basalt_test.with_guest_cpus): CPU 0 runs
    # no guest, Dom0's vCPU included.
    out = sh(q, "xl vcpu-pin rt 0 0; echo rc=$?")
    states = vcpu_states(q, "rt")
    r.check("guest_cpus=1-3: the hypervisor keeps guests to CPUs 1-3, and xl vcpu-pin to CPU 0 is refused",
            "guest vCPUs run on CPU mask e of f (guest_cpus=)" in q.text() and
            rc_of(out) not in (None, 0) and "guest_cpus=" in out and
            states.get(0, ("", "", ""))[2] == "2", "%s %s" % (out, states))

    # Loose shares (make bench has the figures): weights 512:256 on one CPU,
    # then a cap of 25 against an uncapped guest alone on another CPU. A
    # loaded host pulls the ratio towards 1 (see test_pvh.py).
    sh(q, "xl sched-credit -d rt -c 0; xl sched-credit -d rt2 -w 256")
    spin(q, "rt")
    spin(q, "rt2")
    heavy, light = cpu_seconds_over(q, SHARE_SECONDS)
    ratio = heavy / max(light, 0.1)
    r.check("weights 512:256 on one CPU: the heavier runs 1.25 to 2.2 times as long",
            1.25 <= ratio <= 2.2, "%.1f s and %.1f s: %.2f" % (heavy, light, ratio))
    sh(q, "xl sched-credit -d rt -c 25; xl vcpu-pin rt2 0 3")
    time.sleep(2)
    capped, alone = cpu_seconds_over(q, SHARE_SECONDS)
    share = capped / max(alone, 0.1)
    r.check("cap 25: the capped guest runs at most 27.5% of what an uncapped one alone on a CPU runs",
            0.10 <= share <= 0.275, "%.1f s against %.1f s: %.3f" % (capped, alone, share))


def lifecycle(q):
    """rt spins (capped at 25, on CPU 2), rt2 spins on CPU 3."""
    out = sh(q, "xl pause rt; echo rc=$?")
    row = list_row(q, "rt")
    a = cpu_seconds(q, "rt")
    time.sleep(5)
    b = cpu_seconds(q, "rt")
    r.check("xl pause rt: xl list shows it paused, and its spinning vCPU gets no time",
            rc_of(out) == 0 and row and row[2][2] == "p" and a is not None and a == b,
            "%s %s: %s -> %s s" % (out, row, a, b))
    out = sh(q, "xl unpause rt; echo rc=$?")
    runs = wait_until("runs", lambda: (cpu_seconds(q, "rt") or 0) > (b or 0), 120)
    row = list_row(q, "rt")
    r.check("xl unpause rt: it runs again", rc_of(out) == 0 and runs and row and row[2][2] == "-",
            "%s %s" % (out, row))

    # Reboot: the guest's kernel restarts, xl create's monitor builds the
    # domain again from its config (a new id; 256 MiB and 1 vCPU).
    old = domains(q).get("rt")
    out = sh(q, "xl reboot rt; echo rc=$?")
    new = wait_until("rebuilt", lambda: domains(q).get("rt") not in (None, old) and domains(q).get("rt"), 300)
    attach_until_init(q, "rt")
    detach(q)
    row = list_row(q, "rt")
    r.check("xl reboot rt: the guest restarts as a new domain and reaches init; 256 MiB, 1 vCPU",
            rc_of(out) == 0 and new and row and row[:2] == (256, 1), "%s: %s -> %s, %s" % (out, old, new, row))

    # A target far below what the guest can live in: its balloon driver
    # gives what it can and stops; Dom0 and the hypervisor carry on (the
    # pool's free memory at the end shows nothing was lost).
    out = sh(q, "xl mem-set rt2 8; echo rc=$?")
    readings = []

    def settled():
        readings.append((list_row(q, "rt2") or (None,))[0])
        return len(readings) >= 4 and readings[-1] is not None and len(set(readings[-4:])) == 1

    wait_until("settled", settled, 300)
    r.check("xl mem-set rt2 8, far below what it can live in: it balloons down as far as it can, Dom0 answers",
            rc_of(out) == 0 and readings[-1] is not None and readings[-1] < 128 and
            rc_of(sh(q, "xl list >/dev/null; echo rc=$?")) == 0, "%s: %s MiB" % (out, readings))

    out = sh(q, "xl shutdown -w rt; echo rc=$?", timeout=300)
    r.check("xl shutdown -w rt: the guest powers off and is gone", rc_of(out) == 0 and "rt" not in domains(q), out)


def scenario(q, name, fn):
    """Runs a scenario; if it fails, leaves whatever guest console it was
    attached to (Ctrl-]; Ctrl-U drops the key if Dom0's shell had it)."""
    if not r.run(name, fn):
        q.send("\x1d")
        time.sleep(1)
        q.send("\x15\n")
        time.sleep(1)


def main():
    with Qemu("runtime", cmdline="dom0_mem=768M", modules=DOM0 + [VCPUOP], mem="3G") as q:
        r.run("the vcpuop guest", lambda: vcpuop_guest(q))
        q.expect(r"basalt-dom0: init reached", timeout=300)
        q.expect(r"basalt-dom0: hypervisor=", timeout=30)
        free_before = free_memory(q, domains=1)
        scenario(q, "vCPU hot-plug", lambda: vcpu_hotplug(q))
        scenario(q, "ballooning", lambda: memory(q))
        scenario(q, "the scheduler", lambda: scheduler(q))
        scenario(q, "pause, reboot, a squeezed balloon, shutdown", lambda: lifecycle(q))
        out = sh(q, "xl destroy rt2; echo rc=$?; xl destroy rt 2>/dev/null")
        free_after = free_memory(q, domains=1)
        r.check("with both guests destroyed the pool's free memory is what it was before them",
                rc_of(out) == 0 and free_before is not None and free_after == free_before and
                "rt" not in domains(q), "%s -> %s MiB" % (free_before, free_after))
        r.no_hypervisor_failure(q)


main()
r.exit()
