#!/usr/bin/env python3
"""HVM guests through xl (issue 13), in one boot of Basalt with the Debian
Dom0: `xl create` of a type = "hvm" configuration builds the domain as
libxl does (Xen's hvmloader from xen-utils-4.17 with SeaBIOS as its
firmware module) and starts Debian's QEMU as its device model (-machine
xenfv, VNC, a serial port, an IDE disk). In sequence:
  - configurations xl refuses, each at its FILE:LINE, leaving nothing;
  - a guest whose IDE disk holds a boot sector (assembled here) that
    writes a marker to the serial port and the screen: hvmloader's and
    SeaBIOS's port-0xE9 output in the hypervisor's log, the marker in the
    file QEMU's serial port writes to, the VNC port in xenstore, and a
    screenshot over VNC (a small RFB client in Python, run in Dom0) that is
    not blank;
  - xl destroy: no QEMU, no xenstore entries, no QMP socket left;
  - the guest again, its QEMU killed with SIGKILL once SeaBIOS runs: the
    hypervisor and Dom0 carry on, and xl destroy still cleans up;
  - a guest booting the same code from an ISO 9660 image (El Torito, made
    here) on the emulated CD-ROM.
"""
import base64
import os
import re
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from basalt_test import BUILD, ROOT, Report, Timeout  # noqa: E402
from debian_dom0 import Session, machine  # noqa: E402

WORK = os.path.join(BUILD, "tests", "hvm-xl")
IMG = "/var/lib/xen/images/hvm-boot.img"
SERIAL = "/var/log/xen/hvm-serial.log"
MARKER = "basalt-hvm: booted from the IDE disk"
ISO = "/var/lib/xen/images/hvm-boot.iso"
CD_MARKER = "basalt-hvm: booted from the CD-ROM"

# refusals: 4 and "nothing left"; the guest: 7; destroy: 2; QEMU killed: 3;
# the CD-ROM guest: 2; no crash.
r = Report(plan=5 + 7 + 2 + 3 + 2 + 1)

# A boot sector: COM1 at 115200 8N1, then the marker to COM1 and, through
# the BIOS's teletype call, to the screen; then halt.
BOOT_SECTOR_S = r"""
    .code16
    .globl _start
_start:
    cli
    xorw %ax, %ax
    movw %ax, %ds
    movw %ax, %ss
    movw $0x7c00, %sp
    movw $0x3fb, %dx
    movb $0x80, %al
    outb %al, %dx
    movw $0x3f8, %dx
    movb $1, %al
    outb %al, %dx
    movw $0x3f9, %dx
    xorb %al, %al
    outb %al, %dx
    movw $0x3fb, %dx
    movb $3, %al
    outb %al, %dx
    movw $0x7c00 + msg - _start, %si
1:  lodsb
    testb %al, %al
    jz 3f
    movb %al, %bl
    movb $0x0e, %ah
    pushw %bx
    xorb %bh, %bh
    int $0x10
    popw %bx
    movw $0x3fd, %dx
2:  inb %dx, %al
    testb $0x20, %al
    jz 2b
    movb %bl, %al
    movw $0x3f8, %dx
    outb %al, %dx
    jmp 1b
3:  hlt
    jmp 3b
msg: .asciz "@MARKER@\r\n"
    .org 510
    .word 0xaa55
"""

GUEST = "\n".join([
    'name = "hvm"',
    'type = "hvm"',
    'memory = 64',
    'vcpus = 1',
    'vnc = 1',
    'vnclisten = "127.0.0.1"',
    'serial = "file:%s"' % SERIAL,
    'boot = "c"',
    'disk = [ "%s,raw,hda,rw" ]' % IMG,
    'on_poweroff = "destroy"',
    'on_crash = "preserve"',
]) + "\n"

CD_GUEST = "\n".join([
    'name = "hvmcd"',
    'type = "hvm"',
    'memory = 32',
    'serial = "file:%s"' % SERIAL,
    'boot = "d"',
    'disk = [ "%s,raw,hdc,cdrom" ]' % ISO,
    'vnc = 0',
]) + "\n"

# Each refused configuration, the line xl must name and what it must say.
REFUSED = {
    "passwd": ('name = "bad"\ntype = "hvm"\nmemory = 64\nvncpasswd = "secret"\n', 4, "vncpasswd is not supported"),
    "kernel": ('name = "bad"\ntype = "hvm"\nmemory = 64\n\nkernel = "/usr/lib/basalt/vmlinuz"\n', 5,
               "kernel= (direct kernel boot) is not supported"),
    "unknown": ('name = "bad"\ntype = "hvm"\nmemory = 64\nstdvga = 1\n', 4, "'stdvga' is not supported"),
    "disk": ('name = "bad"\ntype = "hvm"\nmemory = 64\ndisk = [ "%s,raw,xvde,rw" ]\n' % IMG, 4,
             "an HVM guest's disks are QEMU's IDE devices"),
}


def boot_sector(marker):
    os.makedirs(WORK, exist_ok=True)
    src, obj, binary = (os.path.join(WORK, n) for n in ("boot.S", "boot.o", "boot.bin"))
    with open(src, "w") as f:
        f.write(BOOT_SECTOR_S.replace("@MARKER@", marker))
    subprocess.run(["as", "--32", "-o", obj, src], check=True)
    subprocess.run(["objcopy", "-O", "binary", obj, binary], check=True)
    with open(binary, "rb") as f:
        data = f.read()
    assert len(data) == 512 and data[510:] == b"\x55\xaa", "the boot sector is not 512 bytes"
    return data


def el_torito(boot):
    """An ISO 9660 image whose El Torito catalog boots `boot` without
    emulation (SeaBIOS loads its 4 sectors of 512 bytes at 0x7c00): the
    primary volume descriptor with an empty root directory, the boot record,
    the terminator, the catalog, the boot image."""
    sector = 2048

    def both16(v):
        return struct.pack("<H", v) + struct.pack(">H", v)

    def both32(v):
        return struct.pack("<I", v) + struct.pack(">I", v)

    def dirent(lba, name):
        """A directory record for a directory at lba (ISO 9660, 9.1)."""
        body = bytes(1) + both32(lba) + both32(sector) + bytes(7) + bytes((2, 0, 0)) + both16(1) + \
            bytes((len(name),)) + name
        body += bytes((len(name) + 1) % 2)
        return bytes((len(body) + 1,)) + body

    total = 22
    pvd = bytearray(sector)
    pvd[0:7] = b"\x01CD001\x01"
    pvd[40:72] = b"BASALT-HVM".ljust(32)
    pvd[80:88] = both32(total)
    pvd[120:124] = both16(1)
    pvd[124:128] = both16(1)
    pvd[128:132] = both16(sector)
    pvd[132:140] = both32(0)
    pvd[156:190] = dirent(21, b"\0")
    pvd[881] = 1
    brvd = bytearray(sector)
    brvd[0:7] = b"\x00CD001\x01"
    brvd[7:39] = b"EL TORITO SPECIFICATION".ljust(32, b"\0")
    brvd[0x47:0x4b] = struct.pack("<I", 19)
    term = bytearray(sector)
    term[0:7] = b"\xffCD001\x01"
    validation = bytearray(32)
    validation[0] = 1
    validation[4:28] = b"BASALT".ljust(24, b"\0")
    validation[30:32] = b"\x55\xaa"
    words = sum(struct.unpack("<16H", bytes(validation)))
    validation[28:30] = struct.pack("<H", (-words) & 0xffff)
    initial = bytes((0x88, 0)) + struct.pack("<HBBHI", 0, 0, 0, 4, 20) + bytes(20)
    catalog = (bytes(validation) + initial).ljust(sector, b"\0")
    root = (dirent(21, b"\0") + dirent(21, b"\1")).ljust(sector, b"\0")
    image = bytes(16 * sector) + bytes(pvd) + bytes(brvd) + bytes(term) + catalog + \
        boot.ljust(sector, b"\0") + root
    assert len(image) == total * sector
    return image


def put_binary(s, path, data):
    s.sh("rm -f %s.b64" % path)
    text = base64.b64encode(data).decode()
    for i in range(0, len(text), 3000):
        s.sh("echo %s >> %s.b64" % (text[i:i + 3000], path))
    good, out = s.ok("base64 -d %s.b64 > %s && rm %s.b64" % (path, path, path))
    if not good:
        raise AssertionError("cannot write %s in Dom0: %s" % (path, out))


def prepare(s):
    s.sh("mkdir -p /var/lib/xen/images")
    put_binary(s, ISO, el_torito(boot_sector(CD_MARKER)))
    s.put("/root/cd.cfg", CD_GUEST)
    data = base64.b64encode(boot_sector(MARKER)).decode()
    good, out = s.ok("mkdir -p /var/lib/xen/images && rm -f %s && truncate -s 1M %s && "
                     "echo %s | base64 -d | dd of=%s conv=notrunc status=none"
                     % (IMG, IMG, data, IMG))
    if not good:
        raise AssertionError("cannot write the boot disk: " + out)
    s.put("/root/hvm.cfg", GUEST)
    for name, (text, _, _) in REFUSED.items():
        s.put("/root/bad-%s.cfg" % name, text)
    with open(os.path.join(ROOT, "tests", "lib", "vnc_snapshot.py")) as f:
        s.put("/root/vnc_snapshot.py", f.read())


def nothing_left(s):
    """(ok, output): no DomU, no QEMU, no DomU xenstore entries, no QMP
    socket (this test runs one guest at a time)."""
    out = s.sh("xl list | awk 'NR > 2 { print \"domain\", $1 }'; pgrep -af xen-qemu-system | grep -v pgrep; "
               "xenstore-list /local/domain | grep -vx 0 | sed 's/^/xenstore domain /'; "
               "xenstore-list /libxl 2>/dev/null | sed 's/^/libxl /'; "
               "xenstore-list /local/domain/0/device-model 2>/dev/null | sed 's/^/device-model /'; "
               "ls /var/run/xen 2>/dev/null | grep qmp; echo end")
    left = [l for l in out.splitlines()
            if l.strip() and l.strip() != "end" and not l.startswith(("basalt", "(d"))]
    return not left, out


def refusals(s):
    for name, (_, line, why) in REFUSED.items():
        out = s.sh("xl create /root/bad-%s.cfg; echo rc=$?" % name)
        r.check("xl refuses %s at /root/bad-%s.cfg:%d" % (name, name, line),
                "/root/bad-%s.cfg:%d: " % (name, line) in out and why in out and "rc=1" in out, out)
    good, out = nothing_left(s)
    r.check("the refused configurations leave no domain, QEMU or xenstore entries", good, out)


def wait_for_marker(s, q, domid, timeout=300):
    """The guest's serial output once it holds the marker, or once the
    domain has stopped, or at the timeout."""
    deadline = time.monotonic() + timeout
    stopped = re.compile(r"domain %d \(hvm\) (shut down|destroyed|crashed)" % domid)
    while True:
        out = s.sh("cat %s 2>/dev/null; echo" % SERIAL)
        if MARKER in out or stopped.search(q.text()) or time.monotonic() > deadline:
            return out
        time.sleep(5)


def guest(s, q):
    out = s.sh("xl create /root/hvm.cfg; echo rc=$?", timeout=300)
    domid = s.domid("hvm")
    r.check("xl create of a type=\"hvm\" configuration succeeds", "rc=0" in out and domid is not None, out)
    if domid is None:
        raise AssertionError("no HVM domain")
    out = s.sh("pgrep -af 'xen-domid %d ' | grep -v pgrep" % domid)
    r.check("Debian's QEMU runs as the domain's device model (-machine xenfv)",
            "/usr/libexec/xen-qemu-system-i386" in out and "xenfv" in out and "-vnc 127.0.0.1:0,to=99" in out,
            out)
    serial = wait_for_marker(s, q, domid)
    log = q.text()
    d = "(d%d) " % domid
    r.check("hvmloader runs and hands over to SeaBIOS (its port-0xE9 output in the hypervisor's log)",
            d + "HVM Loader" in log and d + "Invoking SeaBIOS ..." in log,
            "\n".join(l for l in log.splitlines() if l.startswith(d))[-2000:])
    r.check("SeaBIOS runs (its banner on port 0xE9) and finds QEMU's IDE controller",
            d + "SeaBIOS (version" in log and re.search(re.escape(d) + r"ATA controller 1 at 1f0", log),
            "\n".join(l for l in log.splitlines() if l.startswith(d))[-2000:])
    r.check("SeaBIOS boots the IDE disk: the boot sector's marker on the guest's serial port",
            MARKER in serial, serial)
    out = s.sh("xenstore-read /local/domain/%d/console/vnc-listen /local/domain/%d/console/vnc-port"
               % (domid, domid))
    m = re.search(r"^127\.0\.0\.1\s*\n(59\d\d)\s*$", out, re.M)
    r.check("xl records where QEMU's VNC server listens (console/vnc-listen, vnc-port)", m, out)
    port = m.group(1) if m else "5900"
    out = s.sh("python3 /root/vnc_snapshot.py 127.0.0.1 %s" % port, timeout=120)
    m = re.search(r"vnc: (\d+)x(\d+), (\d+) lit pixels, (\d+) colours", out)
    # 720x400 is the 80x25 text mode the guest's VGA BIOS sets; before
    # the guest touches the card QEMU shows 640x480 with a line of its own.
    r.check("a VNC client gets the guest's screen: the text mode its VGA BIOS set, with text drawn",
            m and (m.group(1), m.group(2)) == ("720", "400") and int(m.group(3)) > 2000 and
            int(m.group(4)) >= 2, out)
    return domid


def destroy(s, domid):
    out = s.sh("xl destroy hvm; echo rc=$?", timeout=120)
    r.check("xl destroy of the HVM domain succeeds", "rc=0" in out, out)
    good, out = nothing_left(s)
    r.check("xl destroy leaves no QEMU, xenstore entry or QMP socket of the domain", good, out)


def qemu_killed(s, q):
    s.sh("rm -f %s" % SERIAL)
    out = s.sh("xl create /root/hvm.cfg; echo rc=$?", timeout=300)
    domid = s.domid("hvm")
    if domid is None:
        raise AssertionError("no HVM domain: " + out)
    deadline = time.monotonic() + 300
    banner = "(d%d) SeaBIOS (version" % domid
    while banner not in q.text() and time.monotonic() < deadline:
        time.sleep(5)
    out = s.sh("pkill -9 -f 'xen-domid %d '; sleep 2; pgrep -f 'xen-domid %d ' || echo no-qemu; "
               "xl list | awk '$2 == %d { print \"listed\" }'" % (domid, domid, domid))
    r.check("QEMU killed with SIGKILL while SeaBIOS runs: Dom0 and xl carry on, the domain stays",
            banner in q.text() and "no-qemu" in out and "listed" in out, out)
    out = s.sh("xl destroy hvm; echo rc=$?", timeout=120)
    r.check("xl destroy of the domain whose QEMU was killed succeeds", "rc=0" in out, out)
    good, out = nothing_left(s)
    r.check("and leaves nothing of it (domain, xenstore entries, QMP socket)", good, out)


def cdrom(s, q):
    s.sh("rm -f %s" % SERIAL)
    out = s.sh("xl create /root/cd.cfg; echo rc=$?", timeout=300)
    domid = s.domid("hvmcd")
    if domid is None:
        raise AssertionError("no HVM domain: " + out)
    deadline = time.monotonic() + 300
    stopped = re.compile(r"domain %d \(hvmcd\) (shut down|destroyed|crashed)" % domid)
    while True:
        serial = s.sh("cat %s 2>/dev/null; echo" % SERIAL)
        if CD_MARKER in serial or stopped.search(q.text()) or time.monotonic() > deadline:
            break
        time.sleep(5)
    r.check("SeaBIOS boots an ISO image (El Torito) from the emulated CD-ROM (ATAPI): the marker on "
            "the serial port", CD_MARKER in serial, serial)
    out = s.sh("xl destroy hvmcd; echo rc=$?", timeout=120)
    good, left = nothing_left(s)
    r.check("xl destroy of the CD-ROM guest leaves nothing of it", "rc=0" in out and good, out + left)


def session():
    with machine("hvm-xl", WORK, tank_gib=1) as q:
        s = Session(q)
        s.wait_for_dom0()
        prepare(s)
        r.run("refused HVM configurations", lambda: refusals(s))
        domid = None
        try:
            domid = guest(s, q)
        except (AssertionError, Timeout) as e:
            r.check("the HVM guest", False, str(e))
        if domid is not None:
            destroy(s, domid)
        r.run("an HVM guest whose QEMU is killed", lambda: qemu_killed(s, q))
        r.run("an HVM guest booting from a CD-ROM", lambda: cdrom(s, q))
        r.no_hypervisor_failure(q)


r.run("HVM guests through xl", session)
r.exit()
