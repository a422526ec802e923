#!/usr/bin/env python3
"""The toolstack in Dom0 (issue: toolstack): xl creates, lists, attaches to,
shuts down and destroys PVH guests; Debian's xenstore-* clients talk to our
xenstored; a bad config line is reported with FILE:LINE and creates nothing;
20 create/destroy cycles leak neither guest memory nor xenstored memory."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from basalt_test import BUILD, Qemu, Report, Timeout  # noqa: E402
import console  # noqa: E402

IMAGES = os.path.join(BUILD, "images")
DOM0 = [os.path.join(IMAGES, "vmlinux") + " console=hvc0 pci=nomsi quiet",
        os.path.join(IMAGES, "dom0-initramfs.cpio.gz")]
CYCLES = int(os.environ.get("TOOLSTACK_CYCLES", "20"))

r = Report(plan=28)


def sh(q, command, timeout=120):
    return console.run(q, 0, command, timeout=timeout)


def rc_of(out, name="rc"):
    """The exit status a command line reported with `echo NAME=$?`.
    No "$": the hypervisor's own log lines share the serial line and can
    land right after the digits ("rc=0basalt: domain 1 ... destroyed")."""
    m = re.search(r"^%s=(\d+)" % name, out, re.M)
    return int(m.group(1)) if m else None


def free_memory(q, timeout=60):
    """xl info's free memory once Dom0 is the only domain left. xl destroy
    returns before the hypervisor has reaped the domain and freed its
    memory, and a domain being reaped still counts in nr_domains."""
    deadline = time.monotonic() + timeout
    while True:
        out = sh(q, "xl info")
        m = re.search(r"^free_memory\s*:\s*(\d+)", out, re.M)
        if re.search(r"^nr_domains\s*:\s*1$", out, re.M) or time.monotonic() > deadline:
            return int(m.group(1)) if m else None
        time.sleep(1)


def xenstored_rss(q):
    out = sh(q, "grep VmRSS /proc/$(cat /run/xenstored.pid)/status")
    m = re.search(r"VmRSS:\s*(\d+) kB", out)
    return int(m.group(1)) if m else None


def domains(q):
    """xl list as {name: id}."""
    out = sh(q, "xl list")
    doms = {}
    for line in out.splitlines()[1:]:
        f = line.split()
        if len(f) >= 2 and f[1].isdigit():
            doms[f[0]] = int(f[1])
    return doms


def attach_until_init(q, name):
    """xl console NAME until the guest's init speaks; on a timeout, leaves
    what the hypervisor and xl say about the domains in the log."""
    q.mark()
    q.send("xl console %s\n" % name)
    try:
        q.expect(r"basalt-guest: init reached", timeout=300)
    except Timeout:
        q.send("\x1d")
        time.sleep(1)
        sh(q, "xl list; xl vcpu-list")
        console.input_to(q, "hypervisor")
        console.hypervisor_key(q, "d", 4)
        console.input_to(q, 0)
        raise


def config_errors(q):
    # The baseline comes before any of the three failing creates, so that a
    # leak in any of them shows.
    before, free0 = domains(q), free_memory(q)
    sh(q, "printf 'name = \"bad\"\\nmemory = lots\\nkernel = \"/usr/lib/basalt/vmlinuz\"\\n' > /tmp/bad.cfg")
    out = sh(q, "xl create /tmp/bad.cfg; echo rc=$?")
    r.check("a bad config line is reported as FILE:LINE: reason",
            re.search(r"^/tmp/bad\.cfg:2: .*memory", out, re.M) is not None, out)
    r.check("xl create with a bad config exits non-zero", rc_of(out) not in (None, 0), out)
    out = sh(q, "xl create /etc/basalt/demo.cfg kernel=\\\"/nonexistent\\\"; echo rc=$?")
    r.check("a missing kernel is reported against the setting that names it",
            re.search(r"^command line:1: .*nonexistent", out, re.M) is not None and
            rc_of(out) not in (None, 0), out)
    out = sh(q, "xl create /etc/basalt/demo.cfg memory=100000; echo rc=$?")
    r.check("a domain larger than the free memory is refused with the sizes",
            rc_of(out) not in (None, 0) and free0 is not None and
            re.search(r"^xl: cannot create domain demo: .*the domain needs 100000 MiB, "
                      r"the pool has %d MiB free$" % free0, out, re.M) is not None,
            "free memory %s MiB: %s" % (free0, out))
    r.check("failed creates make no domain and keep free memory",
            domains(q) == before and free_memory(q) == free0, "%r -> %r" % (before, domains(q)))


def demo_guest(q):
    out = sh(q, "xl create /etc/basalt/demo.cfg; echo rc=$?", timeout=300)
    r.check("xl create /etc/basalt/demo.cfg", rc_of(out) == 0, out)
    doms = domains(q)
    r.check("xl list shows Domain-0 and demo", "Domain-0" in doms and "demo" in doms, repr(doms))
    domid = doms.get("demo")
    if domid is None:
        return
    # The guest's console through xenconsoled's pty; Ctrl-] leaves it.
    attach_until_init(q, "demo")
    r.check("xl console demo shows the guest booting to its init", True)
    time.sleep(2)
    q.send("\n")
    q.send("echo guest-says-$((6*7)) $(nproc)\n")
    m = q.expect(r"guest-says-42 (\d+)", timeout=60)
    r.check("typing into xl console reaches the guest's shell (2 vCPUs online)", m.group(1) == "2",
            m.group(0))
    q.send("\x1d")
    time.sleep(1)
    out = sh(q, "echo back-in-dom0", timeout=60)
    r.check("Ctrl-] leaves the console, back in Dom0's shell", "back-in-dom0" in out, out)
    # Online vCPUs, as Xen's xl counts them: the second is up once Linux booted.
    out = sh(q, "xl list demo")
    r.check("xl list demo shows 256 MiB, 2 vCPUs, a state and CPU time",
            re.search(r"^demo\s+%d\s+256\s+2\s+[-rbpsc]{6}\s+\d+\.\d" % domid, out, re.M)
            is not None, out)

    out = sh(q, "xl shutdown -w demo; echo rc=$?", timeout=300)
    r.check("xl shutdown -w demo returns once the guest is gone", rc_of(out) == 0, out)
    r.check("demo is no longer listed", "demo" not in domains(q))


def xenstore_clients(q):
    out = sh(q, "xenstore-write /test/a hello /test/b world && xenstore-read /test/a /test/b")
    r.check("xenstore-write of two keys (in one transaction) and xenstore-read",
            out.split() == ["hello", "world"], out)
    out = sh(q, "xenstore-ls /test")
    r.check("xenstore-ls", 'a = "hello"' in out and 'b = "world"' in out, out)
    out = sh(q, "xenstore-chmod /test/a r0 && xenstore-ls -p /test")
    r.check("xenstore-chmod sets permissions xenstore-ls -p shows",
            re.search(r'a = "hello"\s+\(r0\)', out) is not None, out)
    # A watch fires once when set, then on each change below the path.
    sh(q, "(xenstore-watch -n 2 /test/w > /tmp/watch.out 2>&1 &) ; sleep 1; xenstore-write /test/w/x 1")
    time.sleep(2)
    out = sh(q, "cat /tmp/watch.out")
    r.check("xenstore-watch sees the watch fire and a write below it",
            out.split() == ["/test/w", "/test/w/x"], out)
    out = sh(q, "xenstore-rm /test; echo rm=$?; xenstore-exists /test/a; echo child=$?; "
                "xenstore-exists /test; echo exists=$?")
    r.check("xenstore-rm removes a subtree",
            rc_of(out, "rm") == 0 and rc_of(out, "child") == 1 and rc_of(out, "exists") == 1, out)


def xenbus_read_command(path):
    """A shell line for a DomU: XS_READ of path on /dev/xen/xenbus, the reply
    printed by od -c on one line."""
    return ("exec 3<>/dev/xen/xenbus; "
            "printf '\\002\\000\\000\\000\\007\\000\\000\\000\\000\\000\\000\\000"
            "\\%03o\\000\\000\\000%s\\000' >&3; "
            "dd bs=64 count=1 <&3 2>/dev/null | od -An -c | tr -d ' \\n'; echo; exec 3<&-"
            % (len(path) + 1, path))


def guest_cannot_read_dom0(q):
    """A DomU asks xenstored, over its ring, for a key only Dom0 may read."""
    out = sh(q, "xl create /etc/basalt/demo.cfg name=\\\"peek\\\" memory=128 vcpus=1; echo rc=$?",
             timeout=300)
    if rc_of(out) != 0:
        r.check("a DomU is refused another domain's keys", False, "create failed: " + out)
        return
    domid = domains(q).get("peek")
    out = sh(q, "xenstore-write /local/domain/0/secret dom0-only; echo rc=$?; "
                "xenstore-read /local/domain/0/secret")
    r.check("Dom0 writes a key of its own (the DomU must not read it)",
            rc_of(out) == 0 and "dom0-only" in out.splitlines(), out)
    attach_until_init(q, "peek")
    time.sleep(2)
    # XS_READ (type 2), request 7, no transaction: the reply is XS_ERROR
    # (16, od's "020") with "EACCES", our request id 7 (od's "\a") in its
    # header. The guest's console reaches us through xl console, so its
    # lines carry no (dN) prefix.
    out = sh(q, xenbus_read_command("/local/domain/0/secret"), timeout=60)
    r.check("a DomU reading Dom0's key over its xenbus ring gets EACCES",
            re.search(r"^020\\0\\0\\0\\a.*EACCES", out, re.M) is not None and "dom0-only" not in out, out)
    out = sh(q, xenbus_read_command("/local/domain/%d/name" % domid), timeout=60)
    r.check("... while its own keys read fine",
            re.search(r"^002\\0\\0\\0\\a.*peek$", out, re.M) is not None, out)
    q.send("\x1d")
    time.sleep(1)
    out = sh(q, "xl destroy peek; echo rc=$?")
    r.check("xl destroy peek", rc_of(out) == 0, out)
    sh(q, "xenstore-rm /local/domain/0/secret")


def cycles(q):
    sh(q, "sed 's/^name = .*/name = \"cycle\"/; s/^memory = .*/memory = 128/; s/^vcpus = .*/vcpus = 1/' "
          "/etc/basalt/demo.cfg > /tmp/cycle.cfg")
    # One cycle first: xenstored's heap and xl's first use settle.
    sh(q, "xl create -q /tmp/cycle.cfg && xl destroy cycle", timeout=300)
    free0, rss0 = free_memory(q), xenstored_rss(q)
    start = time.monotonic()
    out = sh(q, "n=0; for i in $(seq %d); do xl create -q /tmp/cycle.cfg && xl destroy cycle && "
                "n=$((n+1)); done; echo cycles=$n" % CYCLES, timeout=120 * CYCLES)
    took = time.monotonic() - start
    r.check("%d create/destroy cycles all succeed" % CYCLES, "cycles=%d" % CYCLES in out, out[-2000:])
    free1, rss1 = free_memory(q), xenstored_rss(q)
    r.check("free memory is the same after the cycles (%s -> %s MiB)" % (free0, free1),
            free0 is not None and free0 == free1, "%s -> %s" % (free0, free1))
    r.check("xenstored's memory stays flat (%s -> %s kB)" % (rss0, rss1),
            rss0 is not None and rss1 is not None and rss1 <= rss0 + 256, "%s -> %s" % (rss0, rss1))
    # Only Dom0 is left: no domain's entries may remain, under its home, /vm
    # or /libxl. The listing must itself have worked (a failed xenstore-ls
    # lists nothing).
    out = sh(q, "xenstore-ls -f / > /tmp/xs.all; echo rc=$?; "
                "echo dom0=$(grep -c '^/local/domain/0/' /tmp/xs.all); "
                "grep -E '^/(vm|libxl)/|^/local/domain/[1-9]|cycle' /tmp/xs.all | sed 's/^/left: /'")
    left = [l for l in out.splitlines() if l.startswith("left: ")]
    r.check("no xenstore entries are left behind by destroyed domains",
            rc_of(out) == 0 and (rc_of(out, "dom0") or 0) > 0 and not left, out[-2000:])
    print("# %d cycles in %.0f s (%.1f per minute)" % (CYCLES, took, CYCLES * 60 / took))


def main():
    with Qemu("toolstack", cmdline="dom0_mem=768M", modules=DOM0, mem="3G") as q:
        q.expect(r"basalt-dom0: init reached", timeout=300)
        q.expect(r"basalt-dom0: hypervisor=", timeout=30)
        out = sh(q, "xl info")
        r.check("xl info names the hypervisor and its free memory",
                re.search(r"^xen_version\s*:\s*4\.17", out, re.M) is not None and
                re.search(r"^free_memory\s*:\s*\d+", out, re.M) is not None, out)
        r.run("config errors", lambda: config_errors(q))
        r.run("the demo guest", lambda: demo_guest(q))
        r.run("xenstore clients", lambda: xenstore_clients(q))
        r.run("xenstore permissions from a DomU", lambda: guest_cannot_read_dom0(q))
        r.run("create/destroy cycles", lambda: cycles(q))
        r.no_hypervisor_failure(q)


main()
r.exit()
