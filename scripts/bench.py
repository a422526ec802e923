#!/usr/bin/env python3
"""`make bench`: Basalt's figures, each beside the reference it is compared with.

Every figure is the median of several runs and printed with its conditions.
Wall-clock figures under QEMU TCG depend on the host: compare them only with
the reference measured in the same run.
"""
import os
import platform
import re
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "lib"))
from basalt_test import BUILD, QEMU, Qemu, guest  # noqa: E402
import console  # noqa: E402
import guest_net  # noqa: E402
import sched_shares  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "3"))


def host_conditions():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    qemu = subprocess.run([QEMU, "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    return "%s; %d host CPUs; %s; TCG, -M q35 -cpu max" % (cpu, os.cpu_count(), qemu)


def boot_seconds(pattern, name, **kw):
    """Seconds from QEMU's start to the first line matching pattern."""
    with Qemu(name, **kw) as q:
        q.expect(pattern, timeout=300)
        return q.elapsed()


def seconds_to(pattern, name, **kw):
    times = [boot_seconds(pattern, "bench-%s-%d" % (name, i), **kw) for i in range(RUNS)]
    return statistics.median(times), times


def direct_boot_seconds():
    """The same kernel and initramfs booted by QEMU itself (no hypervisor)."""
    times = []
    script = os.path.join(os.path.dirname(__file__), "boot-direct.sh")
    for _ in range(RUNS):
        out = subprocess.run([script, "--print-seconds", "--append", "quiet"], capture_output=True, text=True)
        times.append(float(out.stdout.strip()))
    return statistics.median(times), times


def pvh_domain_init_seconds():
    vmlinux = os.path.join(BUILD, "images", "vmlinux")
    initrd = os.path.join(BUILD, "images", "domu-initramfs.cpio.gz")
    mods = [vmlinux + " domain name=linux vcpus=2 memory=256 -- console=hvc0 quiet", initrd + " initrd name=linux"]
    return seconds_to(r"\(d1\) basalt-guest: init reached", "pvh", smp=4, mem="1G", modules=mods)


DOM0_MARK = r"basalt-dom0: init reached"


# The Dom0 ratio is the figure with a target, and a boot takes ten seconds on
# a host whose speed drifts by as much as the margin: more runs, taken in
# pairs (Basalt, then direct) so that both sides see the same host.
DOM0_PAIRS = int(os.environ.get("BENCH_DOM0_PAIRS", "5"))


def dom0_seconds():
    """Dom0's init on Basalt and the same kernel and initramfs booted by QEMU
    directly, alternately; then booted as PVH Dom0 by Debian's Xen 4.17."""
    vmlinux = os.path.join(BUILD, "images", "vmlinux")
    initrd = os.path.join(BUILD, "images", "dom0-initramfs.cpio.gz")
    nic = ["-nic", "user,model=e1000e"]
    ours_runs, direct_runs = [], []
    for i in range(DOM0_PAIRS):
        ours_runs.append(boot_seconds(DOM0_MARK, "bench-dom0-%d" % i, smp=4, mem="2G", cmdline="dom0_mem=512M",
                                      extra=nic, modules=[vmlinux + " console=hvc0 pci=nomsi quiet", initrd]))
        direct_runs.append(boot_seconds(DOM0_MARK, "bench-dom0-direct-%d" % i, smp=1, mem="512M", kernel=vmlinux,
                                        extra=nic + ["-initrd", initrd], cmdline="console=ttyS0 pci=nomsi quiet"))
    ours = statistics.median(ours_runs), ours_runs
    direct = statistics.median(direct_runs), direct_runs
    xen_elf = os.path.join(BUILD, "cache", "xen-4.17.elf")
    script = os.path.join(os.path.dirname(__file__), "fetch-xen-reference.sh")
    if subprocess.run([script, xen_elf]).returncode != 0:
        return ours, direct, None
    xen = seconds_to(DOM0_MARK, "dom0-xen", smp=4, mem="2G", kernel=xen_elf, cpu="max,-rdtscp",
                     cmdline="dom0=pvh iommu=1 dom0_mem=512M console=com1",
                     extra=nic + ["-device", "amd-iommu"],
                     modules=[vmlinux + " console=hvc0 pci=nomsi quiet", initrd])
    return ours, direct, xen


DOM0_MODULES = [os.path.join(BUILD, "images", "vmlinux") + " console=hvc0 pci=nomsi quiet",
                os.path.join(BUILD, "images", "dom0-initramfs.cpio.gz")]


def toolstack_figures():
    """In one Dom0: seconds from typing `xl create -c demo.cfg` to the guest's
    init, RUNS + 1 times (the first unpacks the kernel, the others find it
    unpacked: kernel_cache.c), then create/destroy cycles per minute."""
    import console
    times = []
    with Qemu("bench-xl", smp=4, mem="2G", cmdline="dom0_mem=768M", modules=DOM0_MODULES) as q:
        q.expect(DOM0_MARK, timeout=300)
        q.expect(r"basalt-dom0: hypervisor=", timeout=30)
        for _ in range(RUNS + 1):
            q.mark()
            q.send("xl create -q -c /etc/basalt/demo.cfg\n")
            start = time.monotonic()
            q.expect(r"basalt-guest: init reached", timeout=300)
            times.append(time.monotonic() - start)
            q.send("\x1d")
            time.sleep(1)
            console.run(q, 0, "xl destroy demo", timeout=120)
        cycles = 5
        out = console.run(q, 0, "sed 's/^memory = .*/memory = 128/' /etc/basalt/demo.cfg > /tmp/c.cfg; "
                                "n=0; s=$(cut -d' ' -f1 /proc/uptime); for i in $(seq %d); do "
                                "xl create -q /tmp/c.cfg && xl destroy demo && n=$((n+1)); done; "
                                "e=$(cut -d' ' -f1 /proc/uptime); echo \"cycles $n $s $e\"" % cycles, timeout=1200)
        m = re.search(r"cycles (\d+) ([\d.]+) ([\d.]+)", out)
        if not m or int(m.group(1)) != cycles:
            raise SystemExit("bench: create/destroy cycles failed:\n" + out)
        per_min = cycles * 60 / (float(m.group(3)) - float(m.group(2)))
    return times[0], (statistics.median(times[1:]), times[1:]), per_min


def seen_at(q, pattern, timeout):
    """The moment (time.monotonic) a line matching pattern arrived on the
    serial line, looked for every 10 ms."""
    rx = re.compile(pattern, re.M)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = rx.search(q.text(), q.pos)
        if m:
            q.pos = m.end()
            return time.monotonic()
        time.sleep(0.01)
    raise SystemExit("bench: no %r within %d s" % (pattern, timeout))


def runtime_figures():
    """In one Dom0, a guest of 512 MiB with 1 of 2 vCPUs online: seconds from
    `xl vcpu-set bench 2` to the guest seeing its second CPU online (nproc),
    both seen on the serial line; and from `xl mem-set` of 256 MiB down, and
    back up, to xl list showing the target (the balloon reached it)."""
    import dom0_shell as d0
    online, down, up = [], [], []
    with Qemu("bench-runtime", smp=4, mem="2G", cmdline="dom0_mem=768M", modules=DOM0_MODULES) as q:
        q.expect(DOM0_MARK, timeout=300)
        q.expect(r"basalt-dom0: hypervisor=", timeout=30)
        d0.sh(q, "sed 's/^name = .*/name = \"bench\"/; s/^vcpus = .*/vcpus = 1\\nmaxvcpus = 2/; "
                 "s/^memory = .*/memory = 512/' /etc/basalt/demo.cfg > /tmp/bench.cfg; xl create -q /tmp/bench.cfg",
              timeout=300)
        d0.attach_until_init(q, "bench")
        d0.detach(q)
        for _ in range(RUNS):
            # Both ends are seen on the serial line: Dom0 says when it runs
            # vcpu-set (its output reaches the line at once, xl console or
            # not), the guest when nproc says 2 (through xl console). Dom0
            # waits long enough for the guest's watch to be running first;
            # a run where it was not is refused, not timed.
            q.mark()
            begin = q.pos
            q.send("(sleep 20; echo vcpu-set-$((2*3))-now; xl vcpu-set bench 2) & xl console bench\n")
            time.sleep(1)
            q.send("\n")
            d0.sh(q, "nproc", timeout=60)
            d0.sh(q, "(while [ $(nproc) -lt 2 ]; do usleep 20000; done; echo guest-says-$((1+1))-cpus) & true",
                  timeout=60)
            if "vcpu-set-6-now" in q.text()[begin:q.pos]:
                raise SystemExit("bench: the guest's watch started after xl vcpu-set (host too slow)")
            start = seen_at(q, r"vcpu-set-6-now", 120)
            online.append(seen_at(q, r"guest-says-2-cpus", 300) - start)
            d0.detach(q)
            d0.sh(q, "xl vcpu-set bench 1", timeout=60)
            d0.attach(q, "bench")
            d0.sh(q, "while [ $(nproc) -gt 1 ]; do sleep 0.2; done", timeout=300)
            d0.detach(q)
            for mib, out in ((256, down), (512, up)):
                o = d0.sh(q, "s=$(cut -d' ' -f1 /proc/uptime); xl mem-set bench %d; "
                             "until xl list bench | grep -q '^bench  *[0-9]*  *%d '; do usleep 50000; done; "
                             "e=$(cut -d' ' -f1 /proc/uptime); echo \"took $s $e\"" % (mib, mib), timeout=600)
                m = re.search(r"took ([\d.]+) ([\d.]+)", o)
                if not m:
                    raise SystemExit("bench: xl mem-set %d did not finish:\n%s" % (mib, o))
                out.append(float(m.group(2)) - float(m.group(1)))
    return online, down, up


# Instructions per hypercall, counted rather than timed: with -icount
# shift=0 QEMU advances the virtual clock by 1 ns per guest instruction, and
# Basalt is QEMU's guest, so hcbench's TSC-timed loop (its TSC frequency is
# Basalt's calibration against the PIT, also in virtual time) reports the
# instructions one xen_version round trip executes: VMMCALL, the exit, the
# dispatch, the instruction fetch and decode for its length (TCG has no
# NRIP-save), VMRUN, and the guest's loop. Independent of the host's load, so
# one run is the figure. The reference, measured the same way, is the path at
# 0ee053b^, before issue 11's seam (731 after it) and the guest-memory
# hardening of issue 10 (963 after its merge, f48f5b3, until each vCPU's
# cached code page held its own page reference).
HCALL_PATH_REFERENCE = 710


def hypercall_path_instructions(args="", n=20000):
    """Instructions per hcbench hypercall (op= and its arguments in args)
    under QEMU -icount shift=0: xen_version by default."""
    with Qemu("bench-hcall-icount", smp=2, extra=["-icount", "shift=0"],
              modules=[guest("hcbench.elf") + " domain name=hcbench memory=8 -- iterations=%d %s" % (n, args)]) as q:
        m = q.expect(r"hcbench: (\d+) hypercalls in (\d+) us", timeout=600)
    return int(m.group(2)) * 1000 / int(m.group(1))


# The I/O paths' hypervisor side, counted the same way (guests/hcbench.c):
# a GNTTABOP_copy of 16 segments (a qdisk request is at most 11, netback
# batches more), whole pages as qdisk copies them and at an odd offset as
# netback's receive path copies packet data; and an interdomain
# EVTCHNOP_send. The guest's own loop is in the figure (a few dozen
# instructions per call; the copy's check is outside the timed loop).
IO_PATHS = [("GNTTABOP_copy, 16 x 4096 bytes, per segment", "op=copy segs=16", 16),
            ("GNTTABOP_copy, 16 x 4094 bytes at offset 2, per segment", "op=copy segs=16 offset=2", 16),
            ("GNTTABOP_copy, 1 x 4096 bytes, per call", "op=copy segs=1", 1),
            ("EVTCHNOP_send (interdomain, masked), per call", "op=send", 1)]


def io_path_instructions():
    return [(label, hypercall_path_instructions(args, 2000) / per) for label, args, per in IO_PATHS]


def print_io_paths(figures):
    for label, instr in figures:
        print("%-60s %8.0f    (one run: deterministic)" % (label + " (instructions)", instr))


# iperf3 for the guests, without a bigger DomU image: Debian's iperf3 with
# its libraries, taken from the Debian Dom0 and packed into a second cpio
# archive that follows the DomU initramfs (Linux unpacks both).
GUEST_IPERF3 = ("rm -rf /tmp/x && mkdir -p /tmp/x/usr/bin /tmp/x/lib64 /tmp/x/lib/x86_64-linux-gnu && "
                "cp /usr/bin/iperf3 /tmp/x/usr/bin/ && "
                "for l in $(ldd /usr/bin/iperf3 | awk '$2 == \"=>\" {print $3}'); do "
                "cp -L $l /tmp/x/lib/x86_64-linux-gnu/; done && "
                "cp -L /lib64/ld-linux-x86-64.so.2 /tmp/x/lib64/ && "
                "(cd /tmp/x && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1) > /tmp/iperf3.cpio.gz && "
                "cat /usr/lib/basalt/domu-initramfs.cpio.gz /tmp/iperf3.cpio.gz > /tmp/domu-iperf3.cpio.gz; "
                "echo rc=$?")
IPERF_SECONDS = 10


def iperf_mbits(out):
    """The receiver's Mbit/s in iperf3's summary, or None."""
    m = re.search(r"([\d.]+) Mbits/sec\s+receiver", out)
    return float(m.group(1)) if m else None


def thread_cpu(pid):
    """Host CPU seconds each thread of QEMU ran, and waited to run."""
    res = {}
    for t in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, t)) as f:
                ran, waited = f.read().split()[:2]
        except OSError:
            continue
        res[t] = (int(ran) / 1e9, int(waited) / 1e9)
    return res


def cpu_delta(a, b):
    ran = sum(b[t][0] - a.get(t, (0, 0))[0] for t in b)
    waited = sum(b[t][1] - a.get(t, (0, 0))[1] for t in b)
    return ran, waited


def exit_counts(text):
    """{"dN": (exits, {hypercall: count})} from a 'd' dump, summed over vCPUs."""
    res = {}
    for m in re.finditer(r"^\s+d(\d+) v\d+ exits:(.*)\n\s+hypercalls:(.*?)(?:  ports:.*)?$", text, re.M):
        exits = sum(int(n) for n in m.group(2).split()[1::2])
        hc = {int(k): int(v) for k, v in (t.split(":") for t in m.group(3).split())}
        d = "d" + m.group(1)
        prev = res.get(d, (0, {}))
        res[d] = (prev[0] + exits, {k: prev[1].get(k, 0) + hc.get(k, 0) for k in set(prev[1]) | set(hc)})
    return res


# The directions whose first run is also counted: exits and hypercalls per
# MB, from the hypervisor's domain dump before and after.
WHERE = {"u2d": ("DomU -> Dom0", ("d0", "Dom0"), ("d1", "DomU (g1, the sender)")),
         "d2u": ("Dom0 -> DomU", ("d0", "Dom0"), ("d1", "DomU (g1, the receiver)")),
         "u2u": ("DomU -> DomU", ("d0", "Dom0"), ("d2", "g2 (the sender)"), ("d1", "g1 (the receiver)"))}


def network_figures():
    """iperf3 TCP throughput in one boot of the Debian Dom0 (one vCPU) with
    two one-vCPU guests on xenbr0, each direction RUNS times, in turns;
    for DomU -> Dom0 also the exits and hypercalls per megabyte and the
    host CPU it took."""
    work = os.path.join(BUILD, "tests", "bench-network")
    host = subprocess.Popen(["iperf3", "-s", "-B", "127.0.0.1", "-p", "15201"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    figures = {k: [] for k in ("loop", "u2d", "d2u", "u2u", "nat")}
    where = {}
    try:
        with Qemu("bench-network", smp=4, mem="3G", cmdline="dom0_mem=1024M",
                  modules=guest_net.DEBIAN_DOM0,
                  extra=guest_net.debian_dom0_root(work) + ["-nic", "user,model=e1000e"]) as q:
            c = guest_net.Consoles(q)
            q.expect(DOM0_MARK, timeout=600)
            out = c.sh(None, GUEST_IPERF3, timeout=300)
            if "rc=0" not in out:
                raise SystemExit("bench: cannot make the guests' iperf3 ramdisk:\n" + out)
            c.sh(None, "iperf3 -s -D")
            for g in ("g1", "g2"):
                c.start_guest(g, "vcpus=1 ramdisk=\\\"/tmp/domu-iperf3.cpio.gz\\\"")
            g1 = c.guest_ip("g1")
            c.guest_ip("g2")
            c.sh("g1", "iperf3 -s -D")
            cmd = "iperf3 -f m -t %d -c %%s | tail -4" % IPERF_SECONDS
            runs = [("loop", None, cmd % "127.0.0.1"),
                    ("u2d", "g1", cmd % guest_net.DOM0_IP),
                    ("d2u", "g1", cmd.replace("-c", "-R -c") % guest_net.DOM0_IP),
                    ("u2u", "g2", cmd % g1),
                    ("nat", "g1", cmd.replace("-c %s", "-p 15201 -c %s") % "10.0.2.2")]
            for i in range(RUNS):
                for key, on, command in runs:
                    measure = key in WHERE and i == 0
                    if measure:
                        c.dom0()
                        console.input_to(q, "hypervisor")
                        d0 = exit_counts(console.domain_dump(q, "g2"))
                        console.input_to(q, 0)
                        cpu0 = thread_cpu(q.proc.pid)
                    out = c.sh(on, command, timeout=IPERF_SECONDS * 10)
                    figures[key].append(iperf_mbits(out) or 0.0)
                    if measure:
                        cpu1 = thread_cpu(q.proc.pid)
                        c.dom0()
                        console.input_to(q, "hypervisor")
                        d1 = exit_counts(console.domain_dump(q, "g2"))
                        console.input_to(q, 0)
                        where[key] = (figures[key][-1], d0, d1, cpu_delta(cpu0, cpu1))
    finally:
        host.kill()
        host.wait()
    return figures, where


def print_network(figures, where):
    med = {k: statistics.median(v) for k, v in figures.items()}
    rows = [("loop", "Dom0 loopback (the reference)"), ("u2d", "DomU -> Dom0"), ("d2u", "Dom0 -> DomU"),
            ("u2u", "DomU -> DomU (both on xenbr0)"), ("nat", "DomU -> host, through Dom0's NAT")]
    print("network: iperf3 TCP, %d s each, Debian Dom0 (1 vCPU), guests of 1 vCPU on xenbr0" % IPERF_SECONDS)
    for key, label in rows:
        print("  %-50s %8.1f Mbit/s  (runs: %s)" % (label, med[key], ", ".join("%.1f" % x for x in figures[key])))
    print("  DomU -> Dom0 over Dom0 loopback: %.2fx (target: at least 0.3)" % (med["u2d"] / max(med["loop"], 0.1)))
    for key, (label, *doms) in WHERE.items():
        if key not in where:
            continue
        mbits, d0, d1, (ran, waited) = where[key]
        mb = mbits * IPERF_SECONDS / 8 or 1
        print("  where %s's time goes (first run, %.1f Mbit/s, per MB moved):" % (label, mbits))
        for dom, name in doms:
            if dom not in d1:
                continue
            exits = d1[dom][0] - d0.get(dom, (0, {}))[0]
            hc = {k: d1[dom][1].get(k, 0) - d0.get(dom, (0, {}))[1].get(k, 0) for k in d1[dom][1]}
            print("    %s: %.1f exits, of which %.1f grant-table ops, %.1f event-channel ops, %.1f timer ops"
                  % (name, exits / mb, hc.get(20, 0) / mb, hc.get(32, 0) / mb, hc.get(24, 0) / mb))
        print("    QEMU's threads ran %.1f s and waited %.1f s for a host CPU during the %d s"
              % (ran, waited, IPERF_SECONDS))
    print("  load average at the end: %s" % " ".join(open("/proc/loadavg").read().split()[:3]))


def line(label, value, unit, runs, ref=None):
    text = "%-52s %8.2f %s  (runs: %s)" % (label, value, unit, ", ".join("%.2f" % t for t in runs))
    print(text)


def main():
    print("Basalt benchmarks (median of %d runs)" % RUNS)
    print("conditions: " + host_conditions())
    print()

    med, all_ = seconds_to(r"basalt: cpus online", "boot", smp=4, mem="2G")
    print("%-44s %8.2f s   (runs: %s)" % ("QEMU start -> 'cpus online 4/4' (-smp 4 -m 2G)", med,
                                          ", ".join("%.2f" % t for t in all_)))

    rates = []
    for i in range(RUNS):
        with Qemu("bench-hcall-%d" % i, smp=2,
                  modules=[guest("hcbench.elf") + " domain name=hcbench memory=8 -- iterations=20000"]) as q:
            m = q.expect(r"hcbench: \d+ hypercalls in \d+ us: (\d+) hypercalls/s", timeout=300)
            rates.append(int(m.group(1)))
    print("%-44s %8d /s  (runs: %s)" % ("xen_version hypercalls per second, 1 vCPU", statistics.median(rates),
                                        ", ".join(str(r) for r in rates)))
    print("  reference: Xen 4.17 under the same QEMU costs ~40 us per hypercall (~25000/s), per DESIGN.md")
    path = hypercall_path_instructions()
    print("%-44s %8.0f    (one run: deterministic)" % ("hypervisor path per xen_version hypercall (QEMU -icount, instructions)", path))
    print("  reference: %d before the guest-memory hardening (at 0ee053b^); guest time = instructions, 1 ns each"
          % HCALL_PATH_REFERENCE)
    print_io_paths(io_path_instructions())

    print()
    ratios, shares = [], []
    for i in range(RUNS):
        with Qemu("bench-sched-%d" % i, **sched_shares.QEMU) as q:
            _, ratio, share = sched_shares.measure(q, 30)
        ratios.append(ratio)
        shares.append(share)
    print("%-52s %8.2f    (runs: %s)" % ("scheduler: heavy's time over light's, weights 512:256", statistics.median(ratios),
                                        ", ".join("%.2f" % x for x in ratios)))
    print("  target: 2.00 within 10%, over 30 s on one CPU; a loaded host pulls it towards 1 (test_pvh.py)")
    print("%-52s %8.3f    (runs: %s)" % ("scheduler: a cap=25 domain's share of a CPU", statistics.median(shares),
                                        ", ".join("%.3f" % x for x in shares)))
    print("  target: 0.25, at most 0.275")

    print()
    ours, ours_runs = pvh_domain_init_seconds()
    ref, ref_runs = direct_boot_seconds()
    line("QEMU start -> PVH DomU init on Basalt (2 vCPUs, 256M)", ours, "s", ours_runs)
    line("QEMU start -> same kernel+initramfs, QEMU direct", ref, "s", ref_runs)
    print("  ratio %.2fx (target: at most 1.3x); Basalt under QEMU -smp 4 -m 1G, direct under -smp 2 -m 256M"
          % (ours / ref))

    print()
    (d_ours, d_ours_runs), (d_direct, d_direct_runs), xen = dom0_seconds()
    line("QEMU start -> Dom0 init on Basalt (dom0_mem=512M)", d_ours, "s", d_ours_runs)
    line("QEMU start -> same kernel+initramfs, QEMU direct", d_direct, "s", d_direct_runs)
    if xen:
        line("QEMU start -> same Dom0 on Debian's Xen 4.17 (pvh)", xen[0], "s", xen[1])
    print("  ratio to direct %.2fx (target: at most 1.25x)%s" % (
        d_ours / d_direct, "; to Xen %.2fx (target: below 1)" % (d_ours / xen[0]) if xen else "; Xen not measured"))
    print("  each pair (Basalt, then direct, in turn): %s" % ", ".join(
        "%.2fx" % (o / d) for o, d in zip(d_ours_runs, d_direct_runs)))

    print()
    cold, (create, create_runs), per_min = toolstack_figures()
    print("%-52s %8.2f s" % ("xl create -> init, kernel unpacked (first create)", cold))
    line("xl create (in Dom0) -> the guest's init (2 vCPUs, 256M)", create, "s", create_runs)
    print("  reference: the same kernel booted by QEMU directly above (%.2f s, which includes QEMU's own start);"
          % ref)
    print("  ratio %.2fx (target: at most 1.5x); the first create unpacks Debian's bzImage (%.2fx)"
          % (create / ref, cold / ref))
    print("%-52s %8.1f /min (5 cycles, 128 MiB guests; xl create, xl destroy)"
          % ("create/destroy cycles per minute", per_min))
    print("  reference: none measured here (Debian's xl cannot drive Basalt; Xen's toolstack needs Xen)")

    print()
    online, down, up = runtime_figures()
    line("xl vcpu-set 1 -> 2: until nproc in the guest says 2", statistics.median(online), "s", online)
    line("xl mem-set 512 -> 256 MiB: until the balloon is there", statistics.median(down), "s", down)
    line("xl mem-set 256 -> 512 MiB: until the balloon is there", statistics.median(up), "s", up)
    print("  a 512 MiB guest with 1 of 2 vCPUs online; vcpu-set timed on the serial line (Dom0 says when it")
    print("  runs it, the guest when it sees the CPU), mem-set by Dom0's clock until xl list shows the target")

    print()
    import bench_saverestore
    bench_saverestore.print_figures(RUNS)

    print_network(*network_figures())


def storage():
    """Guest disks (scripts/bench_storage.py); `bench.py storage` runs only these."""
    import bench_storage
    print()
    bench_storage.storage_figures()


if __name__ == "__main__":
    if sys.argv[1:] == ["paths"]:      # scripts/bench.py paths: the -icount path lengths alone
        print("%-60s %8.0f" % ("xen_version hypercall (instructions)", hypercall_path_instructions()))
        print_io_paths(io_path_instructions())
    elif sys.argv[1:] == ["storage"]:
        storage()
    elif sys.argv[1:] == ["network"]:   # scripts/bench.py network: that part alone
        print_network(*network_figures())
    elif sys.argv[1:] == ["saverestore"]:   # scripts/bench.py saverestore: that part alone
        import bench_saverestore
        bench_saverestore.print_figures(RUNS)
    else:
        main()
        storage()
