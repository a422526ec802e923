"""`make bench`'s save and restore figures (issue 15): `xl save` and
`xl restore` of a 256 MiB PVH guest (Debian's kernel, 2 vCPUs, booted to its
shell), timed by Dom0's clock around each command, in seconds and in MB/s of
guest memory; beside Dom0 writing a file of the save file's size and reading
the save file back with dd (1 MiB blocks; Dom0's /tmp is in RAM, as the save
file is). A save's time includes the guest's own suspend (freezing its
processes and devices), a restore's the check of the whole file; where the
time goes is what `xl -v` says of the first run.
"""
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "lib"))
from basalt_test import BUILD, Qemu  # noqa: E402
import dom0_shell as d0  # noqa: E402

DOM0_MODULES = [os.path.join(BUILD, "images", "vmlinux") + " console=hvc0 pci=nomsi quiet",
                os.path.join(BUILD, "images", "dom0-initramfs.cpio.gz")]
GUEST_MIB = 256


def timed(q, command, timeout=600):
    """Seconds `command` took by Dom0's clock, and what it printed."""
    out = d0.sh(q, "s=$(cut -d' ' -f1 /proc/uptime); %s; r=$?; e=$(cut -d' ' -f1 /proc/uptime); "
                   "echo \"took $r $s $e\"" % command, timeout=timeout)
    m = re.search(r"^took (\d+) ([\d.]+) ([\d.]+)", out, re.M)
    if not m or m.group(1) != "0":
        raise SystemExit("bench: %r failed:\n%s" % (command, out))
    return float(m.group(3)) - float(m.group(2)), out


def saverestore_figures(runs):
    save, restore, write, read, sizes, steps = [], [], [], [], [], []
    with Qemu("bench-saverestore", smp=4, mem="2G", cmdline="dom0_mem=768M", modules=DOM0_MODULES) as q:
        q.expect(r"basalt-dom0: init reached", timeout=300)
        q.expect(r"basalt-dom0: hypervisor=", timeout=30)
        d0.sh(q, "sed 's/^name = .*/name = \"bench\"/; s/^memory = .*/memory = %d/; /^vif/d' "
                 "/etc/basalt/demo.cfg > /tmp/bench.cfg; xl create -q /tmp/bench.cfg" % GUEST_MIB, timeout=300)
        d0.attach_until_init(q, "bench")
        d0.detach(q)
        for _ in range(runs):
            t, out = timed(q, "xl -v save bench /tmp/bench.save")
            save.append(t)
            steps.append(out)
            size = int(d0.sh(q, "stat -c %s /tmp/bench.save").strip().splitlines()[-1])
            sizes.append(size)
            t, out = timed(q, "xl -v restore /tmp/bench.save")
            restore.append(t)
            steps.append(out)
            t, _ = timed(q, "dd if=/dev/zero of=/tmp/bench.write bs=1M count=%d 2>/dev/null"
                         % ((size + 1048575) // 1048576))
            write.append(t)
            t, _ = timed(q, "dd if=/tmp/bench.save of=/dev/null bs=1M 2>/dev/null")
            read.append(t)
            d0.sh(q, "rm -f /tmp/bench.write /tmp/bench.save")
            # The restored guest reconnects to xenstore before it can be
            # asked to suspend again.
            d0.attach(q, "bench")
            d0.detach(q)
        d0.sh(q, "xl destroy bench")
    return save, restore, write, read, sizes, steps


STEP = re.compile(r"^xl:   (suspending: .*|populating memory: .*|writing memory: .*|setting vCPU states: .*|"
                  r"setting up rings: .*|writing xenstore entries: .*)$", re.M)


def print_figures(runs):
    save, restore, write, read, sizes, steps = saverestore_figures(runs)
    mb = GUEST_MIB * 1048576 / 1e6
    file_mib = statistics.median(sizes) / 1048576
    runs_of = lambda xs: ", ".join("%.2f" % x for x in xs)  # noqa: E731
    print("save/restore: a %d MiB PVH guest (2 vCPUs, at its shell), its file %.0f MiB (zero pages are not"
          " stored)" % (GUEST_MIB, file_mib))
    for label, xs, ref, ref_label in (("xl save", save, write, "Dom0 writing a file that size"),
                                      ("xl restore", restore, read, "Dom0 reading the save file")):
        t, r = statistics.median(xs), statistics.median(ref)
        print("  %-30s %6.2f s  %7.1f MB/s of guest memory  (runs: %s)" % (label, t, mb / t, runs_of(xs)))
        print("  %-30s %6.2f s  (runs: %s)" % (ref_label, r, runs_of(ref)))
        print("  ratio %.1fx (target: at most 2x)" % (t / max(r, 0.001)))
    print("  a save's time includes the guest suspending itself; a restore's the check of the whole file")
    print("  where the first run's time went (xl -v): save: %s" % "; ".join(STEP.findall(steps[0])))
    check = re.search(r"checking the file (\d+) ms", steps[1])
    print("    restore: checking the file: %s ms; %s" % (check.group(1) if check else "?",
                                                        "; ".join(STEP.findall(steps[1]))))
