#!/usr/bin/env python3
"""xenconsoled on this host, without a hypervisor.

Runs our xenstored (build/dom0/xenstored-test on its fake platform) and
build/dom0/xenconsoled-test, the console daemon on its fake platform
(dom0/xenconsoled/platform_fake.c): a guest's console page is a file this
test mmaps and plays the guest's hvc_xen driver on, event channels are
datagrams. The test plays the toolstack too: it writes
/local/domain/N/{name,console/...} and sends XS_INTRODUCE / XS_RELEASE over
xenstored's socket, as libxl does.

Part 1 (plain test build): tty key, guest output to the pty and the log,
typing into the ring, back-pressure on input, grant-ref/GFN mapping,
consoles that are not ours, a console whose page appears late, a pty nobody
reads (bounded buffer, guest never waits, no spinning), corrupt indices on
either ring (console dropped, daemon and other consoles fine), release,
console node removal, an event storm, SIGHUP log reopening, 20
create/destroy cycles with flat memory, clean stop.
Part 2: `--overflow-data=keep` and `--timestamp=guest`, a restart that
finds a domain's pending output, and the lifecycle under ASan/LSan and
valgrind.
Part 3: the production binary (static, no test hooks, option errors, no
hypervisor) and daemon mode.
"""
import mmap
import os
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from basalt_test import BUILD, ROOT, Report, stop_process  # noqa: E402

XSD_TEST = os.path.join(BUILD, "dom0", "xenstored-test")
XCD = os.path.join(BUILD, "dom0", "bin", "xenconsoled")
XCD_TEST = os.path.join(BUILD, "dom0", "xenconsoled-test")
XCD_ASAN = os.path.join(BUILD, "dom0", "xenconsoled-test-asan")

XS = dict(READ=2, WATCH=4, INTRODUCE=8, RELEASE=9, WRITE=11, MKDIR=12, RM=13, SET_PERMS=14,
          WATCH_EVENT=15, ERROR=16)
HDR = struct.Struct("<IIII")
RING_GFN = 0xfefff          # where libxl puts a PVH guest's console page
OFF = dict(in_cons=3072, in_prod=3076, out_cons=3080, out_prod=3084)
IN_SIZE, OUT_SIZE = 1024, 2048

rep = Report(plan=84)


def z(*parts):
    return b"".join(p.encode() + b"\0" for p in parts)


def wait_for(cond, timeout=5.0, step=0.01):
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(step)


def least_cpu(x, seconds=1.5, windows=2):
    """The least CPU time the daemon used in one of `windows` successive
    windows of `seconds`: a daemon that spins uses the CPU in every window,
    one finishing work a loaded host delayed only in the first."""
    used = []
    for _ in range(windows):
        cpu0 = x.info.cpu_seconds()
        time.sleep(seconds)
        used.append(x.info.cpu_seconds() - cpu0)
    return min(used)


class WireError(Exception):
    pass


class Toolstack:
    """The xenstore side of what libxl does, over xenstored's socket."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(5)
        self.sock.connect(path)
        self.buf = b""
        self.req = 0

    def close(self):
        self.sock.close()

    def call(self, mtype, payload):
        self.req += 1
        self.sock.sendall(HDR.pack(mtype, self.req, 0, len(payload)) + payload)
        while True:
            while len(self.buf) < HDR.size or len(self.buf) < HDR.size + HDR.unpack_from(self.buf)[3]:
                data = self.sock.recv(65536)
                if not data:
                    raise EOFError("xenstored closed the connection")
                self.buf += data
            t, r, _, n = HDR.unpack_from(self.buf)
            body = self.buf[HDR.size:HDR.size + n]
            self.buf = self.buf[HDR.size + n:]
            if t == XS["WATCH_EVENT"]:
                continue
            if t == XS["ERROR"]:
                raise WireError(body.rstrip(b"\0").decode())
            return body

    def read(self, path):
        try:
            return self.call(XS["READ"], z(path)).decode()
        except WireError as e:
            if str(e) == "ENOENT":
                return None
            raise

    def write(self, path, value):
        self.call(XS["WRITE"], path.encode() + b"\0" + value.encode())

    def rm(self, path):
        try:
            self.call(XS["RM"], z(path))
        except WireError as e:
            if str(e) != "ENOENT":
                raise

    def introduce(self, domid, port=1):
        self.call(XS["INTRODUCE"], z(str(domid), "1044476", str(port)))

    def release(self, domid):
        try:
            self.call(XS["RELEASE"], z(str(domid)))
        except WireError as e:
            if str(e) != "ENOENT":
                raise

    def console_keys(self, domid, port, ctype="xenconsoled", limit=None, ring_ref=RING_GFN):
        # libxl writes these in one transaction; one by one, the daemon may
        # act on any prefix, so `type` (which it checks first) comes last.
        c = "/local/domain/%d/console" % domid
        self.write(c + "/tty", "")     # libxl writes it empty; xenconsoled fills it
        self.write(c + "/output", "pty")
        if limit is not None:
            self.write(c + "/limit", str(limit))
        self.write(c + "/ring-ref", str(ring_ref))
        self.write(c + "/port", str(port))
        self.write(c + "/type", ctype)

    def create(self, g, name, console_first=True, **kw):
        home = "/local/domain/%d" % g.domid
        self.write(home + "/name", name)
        if console_first:
            self.console_keys(g.domid, g.port, **kw)
        self.introduce(g.domid)
        if not console_first:
            self.console_keys(g.domid, g.port, **kw)

    def destroy(self, domid, remove_home=True):
        if remove_home:
            self.rm("/local/domain/%d" % domid)
        self.release(domid)

    def tty(self, domid):
        return self.read("/local/domain/%d/console/tty" % domid)

    def wait_tty(self, domid, timeout=5.0):
        """The pty path once xenconsoled published it, else None."""
        v = wait_for(lambda: (self.tty(domid) or "").startswith("/dev/pts/"), timeout)
        return self.tty(domid) if v else None

    def wait_no_tty(self, domid, timeout=5.0):
        return wait_for(lambda: self.tty(domid) is None, timeout)


class Guest:
    """Plays a domain's console driver on a page the daemon maps from a file."""

    def __init__(self, cpdir, xspdir, domid, port=None, grant=True, page_file=True):
        self.cpdir = cpdir
        self.domid = domid
        self.port = port or 10 + domid
        # xenstored needs a xenstore ring to accept INTRODUCE.
        with open(os.path.join(xspdir, "ring-%d" % domid), "wb") as f:
            f.write(b"\0" * 4096)
        self.xs_ring = os.path.join(xspdir, "ring-%d" % domid)
        name = "grant-%d" % domid if grant else "gfn-%d-%d" % (domid, RING_GFN)
        self.path = os.path.join(cpdir, name)
        self.mem = None
        if page_file:
            self.make_page()
        self.kicks = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        kick_path = os.path.join(cpdir, "guest-%d.sock" % domid)
        if os.path.exists(kick_path):
            os.unlink(kick_path)
        self.kicks.bind(kick_path)
        self.kick_path = kick_path
        self.kicks.setblocking(False)
        self.evt = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.printed = b""

    def make_page(self):
        with open(self.path, "wb") as f:
            f.write(b"\0" * 4096)
        self.fd = os.open(self.path, os.O_RDWR)
        self.mem = mmap.mmap(self.fd, 4096)

    def close(self):
        if self.mem:
            self.mem.close()
            os.close(self.fd)
            os.unlink(self.path)
            self.mem = None
        self.kicks.close()
        self.evt.close()
        for p in (self.kick_path, self.xs_ring):
            if os.path.exists(p):
                os.unlink(p)

    def u32(self, field):
        return struct.unpack_from("<I", self.mem, OFF[field])[0]

    def set(self, field, value):
        struct.pack_into("<I", self.mem, OFF[field], value & 0xffffffff)

    def kick(self):
        try:
            self.evt.sendto(b"%d %d" % (self.domid, self.port),
                            os.path.join(self.cpdir, "evtchn"))
        except (FileNotFoundError, ConnectionRefusedError):
            pass    # no backend yet: the notification is lost, as on Xen

    def notifications(self):
        n = 0
        while True:
            try:
                msg = self.kicks.recv(64)
            except BlockingIOError:
                return n
            if msg == b"notify %d" % self.port:
                n += 1

    def out_pending(self):
        return (self.u32("out_prod") - self.u32("out_cons")) & 0xffffffff

    def print(self, data, timeout=5.0):
        """hvc_xen's write: copy what fits, publish out_prod, notify; wait
        for room when the ring is full. Raises if the daemon never makes
        room (the guest would hang)."""
        deadline = time.monotonic() + timeout
        while data:
            prod = self.u32("out_prod")
            space = OUT_SIZE - self.out_pending()
            if space == 0:
                if time.monotonic() > deadline:
                    raise RuntimeError("dom %d: console ring stays full" % self.domid)
                time.sleep(0.001)
                continue
            n = min(space, len(data))
            for i in range(n):
                self.mem[1024 + (prod + i) % OUT_SIZE] = data[i]
            self.set("out_prod", prod + n)
            self.kick()
            self.printed += data[:n]
            data = data[n:]

    def wait_consumed(self, timeout=5.0):
        return wait_for(lambda: self.out_pending() == 0, timeout)

    def in_pending(self):
        return (self.u32("in_prod") - self.u32("in_cons")) & 0xffffffff

    def take_input(self, notify=True):
        """Consumes the keyboard ring like the guest's driver."""
        prod, cons = self.u32("in_prod"), self.u32("in_cons")
        n = (prod - cons) & 0xffffffff
        data = bytes(self.mem[(cons + i) % IN_SIZE] for i in range(n))
        self.set("in_cons", cons + n)
        if notify and n:
            self.kick()
        return data


class PtyClient:
    """What `xl console` does with the path: open the slave and use it."""

    def __init__(self, path):
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)

    def close(self):
        if self.fd >= 0:
            os.close(self.fd)
        self.fd = -1

    def read(self, n, timeout=5.0):
        """Up to n bytes, waiting until n arrived or the time is up."""
        out = b""
        deadline = time.monotonic() + timeout
        while len(out) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select([self.fd], [], [], left)
            if not r:
                break
            try:
                chunk = os.read(self.fd, n - len(out))
            except BlockingIOError:
                continue
            if not chunk:
                break
            out += chunk
        return out

    def drain(self, quiet=0.3):
        """Everything until nothing new arrives for `quiet` seconds."""
        out = b""
        while True:
            r, _, _ = select.select([self.fd], [], [], quiet)
            if not r:
                return out
            try:
                chunk = os.read(self.fd, 65536)
            except BlockingIOError:
                continue
            if not chunk:
                return out
            out += chunk

    def hung_up(self, timeout=3.0):
        """True once the pty is gone: reads give EOF or EIO."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r, _, _ = select.select([self.fd], [], [], 0.1)
            if r:
                try:
                    if os.read(self.fd, 4096) == b"":
                        return True
                except BlockingIOError:
                    pass
                except OSError:
                    return True
        return False

    def write(self, data):
        os.write(self.fd, data)


class Proc:
    """Looks at a running daemon from outside."""

    def __init__(self, pid):
        self.pid = pid

    def rss_kb(self):
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return -1

    def nfds(self):
        return len(os.listdir("/proc/%d/fd" % self.pid))

    def maps(self):
        with open("/proc/%d/maps" % self.pid) as f:
            return f.read()

    def cpu_seconds(self):
        with open("/proc/%d/stat" % self.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def alive(self):
        try:
            os.kill(self.pid, 0)
            return True
        except ProcessLookupError:
            return False


class Xenstored:
    def __init__(self, tmp):
        self.pdir = os.path.join(tmp, "xs-platform")
        os.makedirs(self.pdir)
        self.sock = os.path.join(tmp, "xs-socket")
        self.err = open(os.path.join(tmp, "xenstored.err"), "w")
        env = dict(os.environ, XENSTORED_PATH=self.sock)
        self.proc = subprocess.Popen([XSD_TEST, "-N", "--test-platform", self.pdir], env=env,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=self.err)
        if not wait_for(lambda: os.path.exists(self.sock) or self.proc.poll() is not None, 10) \
                or self.proc.poll() is not None:
            raise RuntimeError("xenstored-test did not start")

    def stop(self):
        stop_process(self.proc, timeout=30)
        self.err.close()


class Consoled:
    """One xenconsoled in the foreground (-i) on the fake platform."""

    def __init__(self, binary, tmp, xs_sock, args=(), wrapper=(), name="xcd", env_extra=None):
        self.cpdir = os.path.join(tmp, "cp-" + name)
        os.makedirs(self.cpdir, exist_ok=True)
        self.pid_file = os.path.join(tmp, name + ".pid")
        self.errfile = os.path.join(tmp, name + ".err")
        self.env = dict(os.environ, XENSTORED_PATH=xs_sock)
        if env_extra:
            self.env.update(env_extra)
        self.err = open(self.errfile, "a")
        if os.path.exists(self.pid_file):
            os.unlink(self.pid_file)
        self.argv = list(wrapper) + [binary, "-i", "-v", "--test-platform", self.cpdir,
                                     "--pid-file", self.pid_file] + list(args)
        self.proc = subprocess.Popen(self.argv, env=self.env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=self.err)
        # The pid file is written once the watches are set and existing
        # domains are connected.
        if not wait_for(lambda: os.path.exists(self.pid_file) or self.proc.poll() is not None,
                        60 if wrapper else 10) or self.proc.poll() is not None:
            raise RuntimeError("xenconsoled did not start: " + self.stderr()[-500:])
        self.info = Proc(self.proc.pid)

    def stderr(self):
        if not self.err.closed:
            self.err.flush()
        with open(self.errfile, errors="replace") as f:
            return f.read()

    def stats(self):
        """Asks for SIGUSR1's statistics line and parses it."""
        before = self.stderr().count("stats:")
        self.proc.send_signal(signal.SIGUSR1)
        if not wait_for(lambda: self.stderr().count("stats:") > before, 5):
            raise RuntimeError("no stats line")
        line = [l for l in self.stderr().splitlines() if "stats:" in l][-1]
        words = line.split("stats:")[1].split()
        return dict(zip(words[0::2], (int(v) for v in words[1::2])))

    def stop(self, timeout=60):
        rc = stop_process(self.proc, timeout)
        self.err.close()
        return rc


def pattern(n, tag):
    """n bytes of numbered lines, so order and gaps are visible."""
    out = b""
    i = 0
    while len(out) < n:
        out += b"%s %07d\r\n" % (tag, i)
        i += 1
    return out[:n]


XSD_PDIR = [None]


# ---------------------------------------------------------------------------
# Part 1


def part_main(tmp, xsd):
    ts = Toolstack(xsd.sock)
    logdir = os.path.join(tmp, "logs")
    cpdir = os.path.join(tmp, "cp-main")
    os.makedirs(cpdir)
    guests = {}
    clients = []

    # A domain that exists before the daemon starts.
    g3 = Guest(cpdir, xsd.pdir, 3)
    guests[3] = g3
    ts.create(g3, "early")
    g3.print(b"printed before xenconsoled started\r\n")

    x = Consoled(XCD_TEST, tmp, xsd.sock, ["--log=guest", "--log-dir", logdir], name="main")
    try:
        def startup():
            tty = ts.wait_tty(3)
            rep.check("domain present at start-up gets a tty", tty is not None, repr(ts.tty(3)))
            c = PtyClient(tty)
            clients.append(c)
            want = b"printed before xenconsoled started\r\n"
            got = c.read(len(want))
            rep.check("output written before the daemon started arrives", got == want, repr(got))
        rep.run("start-up", startup)

        def tty_key():
            g5 = Guest(cpdir, xsd.pdir, 5)
            guests[5] = g5
            ts.create(g5, "five")                       # console keys, then INTRODUCE
            tty5 = ts.wait_tty(5)
            rep.check("tty key appears (keys before INTRODUCE)", tty5 is not None,
                      repr(ts.tty(5)))
            g6 = Guest(cpdir, xsd.pdir, 6)
            guests[6] = g6
            ts.create(g6, "six", console_first=False)   # libxl's order
            tty6 = ts.wait_tty(6)
            rep.check("tty key appears (keys after INTRODUCE, libxl's order)", tty6 is not None,
                      repr(ts.tty(6)))
            rep.check("each console has its own pty", tty5 != tty6, "%s %s" % (tty5, tty6))
            ts.write("/local/domain/6/console/tty", "")     # a key-by-key toolstack
            rep.check("tty blanked by a toolstack after us is put back",
                      wait_for(lambda: ts.tty(6) == tty6, 3), repr(ts.tty(6)))
            c = PtyClient(tty5)
            clients.append(c)
            rep.check("tty is a pty slave", os.isatty(c.fd) and os.ttyname(c.fd) == tty5,
                      tty5)
            guests[5].client = c
            guests[6].client = PtyClient(tty6)
            clients.append(guests[6].client)
        rep.run("tty key", tty_key)

        g5, g6 = guests[5], guests[6]

        def output():
            g5.notifications()
            msg = b"Linux version 6.1.0 (guest five)\r\n"
            g5.print(msg)
            got = g5.client.read(len(msg))
            rep.check("guest output reaches the pty", got == msg, repr(got))
            rep.check("out_cons catches up with out_prod", g5.wait_consumed(),
                      "%d pending" % g5.out_pending())
            rep.check("daemon notifies after consuming", g5.notifications() > 0,
                      "no notification")
            data = pattern(10000, b"wrap")
            for i in range(0, len(data), 700):
                g5.print(data[i:i + 700])
            got = g5.client.read(len(data))
            rep.check("10000 bytes across ring wrap-around arrive intact", got == data,
                      "%d of %d bytes, first difference at %s" % (
                          len(got), len(data),
                          next((i for i in range(min(len(got), len(data))) if got[i] != data[i]),
                               "end")))
            g6.print(b"six says hi\r\n")
            got = g6.client.read(13)
            rep.check("second console independent", got == b"six says hi\r\n", repr(got))
            raw = bytes(range(256))
            g5.print(raw)
            got = g5.client.read(256)
            rep.check("all 256 byte values pass unchanged (raw pty)", got == raw, repr(got[:40]))
        rep.run("output", output)

        def input_():
            g5.notifications()
            g5.client.write(b"root\n")
            ok = wait_for(lambda: g5.in_pending() == 5, 3)
            rep.check("typed bytes land in the in ring", ok and g5.take_input() == b"root\n",
                      "in_prod-in_cons %d" % g5.in_pending())
            rep.check("daemon notifies after producing input", g5.notifications() > 0,
                      "no notification")
            data = pattern(3000, b"key")
            g5.client.write(data)
            wait_for(lambda: g5.in_pending() == IN_SIZE, 3)
            time.sleep(0.3)
            rep.check("input stops at the ring's 1024 bytes while the guest reads nothing",
                      g5.in_pending() == IN_SIZE, "%d bytes in the ring" % g5.in_pending())
            got = b""
            deadline = time.monotonic() + 5
            while len(got) < len(data) and time.monotonic() < deadline:
                if g5.in_pending():
                    got += g5.take_input()
                else:
                    time.sleep(0.005)
            rep.check("the rest follows as the guest consumes, in order", got == data,
                      "%d of %d bytes" % (len(got), len(data)))
        rep.run("input", input_)

        def logfile():
            path = os.path.join(logdir, "guest-five.log")
            ok = wait_for(lambda: os.path.exists(path) and
                          os.path.getsize(path) == len(g5.printed), 3)
            with open(path, "rb") as f:
                content = f.read()
            rep.check("guest-<name>.log holds every byte the guest printed", ok and
                      content == g5.printed, "%d of %d bytes" % (len(content), len(g5.printed)))
            with open(os.path.join(logdir, "guest-early.log"), "rb") as f:
                early = f.read()
            rep.check("log of the domain present at start-up", early == g3.printed, repr(early))
        rep.run("log file", logfile)

        def not_ours():
            g7 = Guest(cpdir, xsd.pdir, 7)
            guests[7] = g7
            ts.create(g7, "seven", ctype="ioemu")
            time.sleep(0.5)
            rep.check("console of another type is left alone", ts.tty(7) == "" and
                      "grant-7" not in x.info.maps(), repr(ts.tty(7)))
        rep.run("type not xenconsoled", not_ours)

        def gfn_fallback():
            g8 = Guest(cpdir, xsd.pdir, 8, grant=False)
            guests[8] = g8
            ts.create(g8, "eight")
            tty = ts.wait_tty(8)
            rep.check("no grant reference: ring mapped by its GFN", tty is not None and
                      "gfn-8-%d" % RING_GFN in x.info.maps(), repr(ts.tty(8)))
            c = PtyClient(tty)
            clients.append(c)
            g8.print(b"via gfn\r\n")
            rep.check("GFN-mapped console works", c.read(9) == b"via gfn\r\n", "")
        rep.run("gfn fallback", gfn_fallback)

        def late_page():
            g9 = Guest(cpdir, xsd.pdir, 9, page_file=False)
            guests[9] = g9
            ts.create(g9, "nine")
            time.sleep(0.5)
            rep.check("unmappable ring: no tty, daemon alive", ts.tty(9) == "" and
                      x.proc.poll() is None, repr(ts.tty(9)))
            g9.make_page()
            ts.write("/local/domain/9/console/ring-ref", str(RING_GFN))
            tty = ts.wait_tty(9)
            rep.check("served once the page can be mapped and the keys change", tty is not None,
                      repr(ts.tty(9)))
        rep.run("late page", late_page)

        def no_reader():
            g10 = Guest(cpdir, xsd.pdir, 10)
            guests[10] = g10
            ts.create(g10, "ten", limit=4096)
            tty = ts.wait_tty(10)
            # The console's output buffer starts at 4096 bytes, and only
            # grows (up to the limit) while output waits for the pty.
            mem0 = x.stats()["mem-bytes"]
            data = pattern(300 * 1024, b"flood")
            try:
                for i in range(0, len(data), OUT_SIZE):
                    g10.print(data[i:i + OUT_SIZE], timeout=3)
                waited = not g10.wait_consumed(3)
            except RuntimeError:
                waited = True
            rep.check("nobody on the pty: the guest never waits (300 KiB printed)", not waited,
                      "ring stuck with %d bytes" % g10.out_pending())
            path = os.path.join(logdir, "guest-ten.log")
            wait_for(lambda: os.path.getsize(path) == len(data), 3)
            with open(path, "rb") as f:
                rep.check("the log still gets every byte", f.read() == data, "")
            cpu = least_cpu(x)
            rep.check("nobody on the pty: the daemon does not spin", cpu < 0.1,
                      "%.2f s CPU in 1.5 s" % cpu)
            mem1 = x.stats()["mem-bytes"]
            rep.check("...the output buffer stays at the 'limit' key's 4096 bytes", mem1 == mem0,
                      "the daemon's heap grew by %d bytes with the flood" % (mem1 - mem0))
            c = PtyClient(tty)
            clients.append(c)
            got = c.drain()
            rep.check("reader attaching late gets the newest output (oldest dropped)",
                      got.endswith(data[-2048:]), repr(got[-60:]))
            rep.check("...and first what the pty itself holds, the oldest output",
                      len(data) - len(got) > 0 and data.startswith(got[:1000]),
                      "read %d of %d bytes" % (len(got), len(data)))
            g10.print(b"live again\r\n")
            rep.check("then output flows normally", c.read(12) == b"live again\r\n", "")
        rep.run("no reader", no_reader)

        def corrupt_out():
            g11 = Guest(cpdir, xsd.pdir, 11)
            guests[11] = g11
            ts.create(g11, "eleven")
            tty = ts.wait_tty(11)
            c = PtyClient(tty)
            clients.append(c)
            g11.print(b"fine so far\r\n")
            c.read(13)
            g11.set("out_prod", g11.u32("out_cons") + 5000)
            g11.kick()
            rep.check("corrupt out indices: tty key removed", ts.wait_no_tty(11), repr(ts.tty(11)))
            rep.check("...the pty is closed", c.hung_up(), "still open")
            rep.check("...the ring is unmapped",
                      wait_for(lambda: "grant-11" not in x.info.maps(), 3), "still mapped")
            rep.check("...and it is logged", "dom 11: console ring indices corrupt" in x.stderr(),
                      x.stderr()[-300:])
            rep.check("daemon survives", x.proc.poll() is None, "exited")
            g5.print(b"still here\r\n")
            rep.check("other consoles keep working", g5.client.read(12) == b"still here\r\n", "")
            g11.kick()
            time.sleep(0.2)
            rep.check("a broken console stays off on later events", ts.tty(11) is None, "")
        rep.run("corrupt out indices", corrupt_out)

        def corrupt_in():
            g12 = Guest(cpdir, xsd.pdir, 12)
            guests[12] = g12
            ts.create(g12, "twelve")
            tty = ts.wait_tty(12)
            c = PtyClient(tty)
            clients.append(c)
            g12.set("in_cons", g12.u32("in_prod") + 3000)
            c.write(b"x")
            rep.check("corrupt in indices: console dropped when input arrives",
                      ts.wait_no_tty(12) and c.hung_up(), repr(ts.tty(12)))
            rep.check("...and no byte was written into the ring", g12.u32("in_prod") == 0,
                      "in_prod %d" % g12.u32("in_prod"))
            g6.print(b"six still\r\n")
            rep.check("other consoles keep working", g6.client.read(11) == b"six still\r\n", "")
        rep.run("corrupt in indices", corrupt_in)

        def storm():
            cpu0 = x.info.cpu_seconds()
            for _ in range(3000):
                g6.kick()
            g6.print(b"after the storm\r\n")
            got = g6.client.read(17)
            rep.check("output still arrives after 3000 empty notifications",
                      got == b"after the storm\r\n", repr(got))
            # The daemon's own CPU time, which a loaded host does not
            # inflate; a few milliseconds on an idle one.
            cpu = x.info.cpu_seconds() - cpu0
            print("# 3000 notifications: %.3f s CPU" % cpu)
            rep.check("...at bounded cost", cpu < 2.0, "%.2f s CPU" % cpu)
        rep.run("event storm", storm)

        def reopen():
            path = os.path.join(logdir, "guest-six.log")
            os.rename(path, path + ".1")
            x.proc.send_signal(signal.SIGHUP)
            time.sleep(0.2)
            g6.print(b"after rotation\r\n")
            g6.client.read(16)
            ok = wait_for(lambda: os.path.exists(path) and os.path.getsize(path) == 16, 3)
            rep.check("SIGHUP reopens log files (logrotate)", ok and
                      open(path, "rb").read() == b"after rotation\r\n",
                      "new file %s" % os.path.exists(path))
        rep.run("log reopen", reopen)

        def release():
            tty = ts.tty(5)
            fds0 = x.info.nfds()
            ts.release(5)
            rep.check("XS_RELEASE: tty key removed", ts.wait_no_tty(5), repr(ts.tty(5)))
            rep.check("...pty closed", g5.client.hung_up(), "still open")
            rep.check("...and its device node gone", not os.path.exists(tty) or
                      ts.tty(3) == tty, tty)
            rep.check("...ring unmapped", wait_for(lambda: "grant-5" not in x.info.maps(), 3),
                      "still mapped")
            rep.check("...pty and log descriptors closed", x.info.nfds() == fds0 - 3,
                      "%d -> %d fds" % (fds0, x.info.nfds()))
            g5.print(b"nobody listens\r\n")
            time.sleep(0.2)
            rep.check("...a late notification is ignored",
                      g5.out_pending() == 16 and x.proc.poll() is None,
                      "%d pending" % g5.out_pending())
            # The same domain and port once more: the platform delivers an
            # event to the first binding of that port, so a binding left
            # from before would take it and the new console would not see
            # the guest's output.
            ts.create(g5, "five-again")
            c = PtyClient(ts.wait_tty(5) or "/dev/null")
            clients.append(c)
            early = c.read(16)
            g5.print(b"bound again\r\n")
            got = c.read(13)
            rep.check("...event channel unbound: the domain introduced again gets its events",
                      early == b"nobody listens\r\n" and got == b"bound again\r\n", repr(early + got))
            ts.destroy(5)
            rep.check("...and is released again", ts.wait_no_tty(5), repr(ts.tty(5)))
        rep.run("release", release)

        def node_removed():
            ts.rm("/local/domain/6/console")
            rep.check("console node removed: ring unmapped and pty closed",
                      wait_for(lambda: "grant-6" not in x.info.maps(), 3) and
                      g6.client.hung_up(), "still served")
            ts.console_keys(6, g6.port)
            tty = ts.wait_tty(6)
            rep.check("console node back: served again", tty is not None, repr(ts.tty(6)))
            c = PtyClient(tty)
            clients.append(c)
            g6.print(b"back\r\n")
            rep.check("...and works", c.read(6) == b"back\r\n", "")
        rep.run("console node removed", node_removed)

        def big_directory():
            # /local/domain beyond one 4096-byte reply: listed in parts.
            for i in range(1000, 2100):
                ts.write("/local/domain/%d/junk" % i, "")
            g = Guest(cpdir, xsd.pdir, 2500)
            guests[2500] = g
            ts.create(g, "big")
            rep.check("domain found in a /local/domain listed with DIRECTORY_PART",
                      ts.wait_tty(2500, 20) is not None, repr(ts.tty(2500)))
            for i in range(1000, 2100):
                ts.rm("/local/domain/%d" % i)
        rep.run("big directory", big_directory)

        def cycles():
            cycle_domains(x, ts, range(40, 42))      # arrays reach their working size
            base, rss0 = x.stats(), x.info.rss_kb()
            fds0, maps0 = x.info.nfds(), len(x.info.maps().splitlines())
            cycle_domains(x, ts, range(42, 62))
            after, rss1 = x.stats(), x.info.rss_kb()
            fds1, maps1 = x.info.nfds(), len(x.info.maps().splitlines())
            rep.check("20 create/destroy cycles: allocations flat",
                      after["mem-blocks"] == base["mem-blocks"] and
                      after["mem-bytes"] == base["mem-bytes"] and
                      after["domains"] == base["domains"], "before %s after %s" % (base, after))
            rep.check("20 create/destroy cycles: descriptors and mappings flat",
                      fds1 == fds0 and maps1 == maps0,
                      "fds %d -> %d, maps %d -> %d" % (fds0, fds1, maps0, maps1))
            print("# RSS %d kB -> %d kB" % (rss0, rss1))
            rep.check("20 create/destroy cycles: RSS flat", rss1 - rss0 < 256,
                      "RSS %d kB -> %d kB" % (rss0, rss1))
        rep.run("memory across cycles", cycles)

        remaining = [d for d in (3, 6, 8, 9, 10) if ts.tty(d)]
    finally:
        for c in clients:
            c.close()
        rc = x.stop()
    err = x.stderr()
    rep.check("SIGTERM: clean exit, nothing left allocated", rc == 0 and
              "still allocated" not in err, "rc %s: %s" % (rc, err[-300:]))
    rep.check("SIGTERM: tty keys removed", all(ts.tty(d) is None for d in remaining),
              repr([ts.tty(d) for d in remaining]))
    rep.check("SIGTERM: pid file removed", not os.path.exists(x.pid_file), "left behind")
    for domid, g in guests.items():
        g.close()
        ts.destroy(domid)
    ts.close()


def cycle_domains(x, ts, domids, check=False):
    """Creates, uses and destroys one domain per domid, alternating XS_RELEASE
    with the domain's home still there and the toolstack removing it first."""
    for i, domid in enumerate(domids):
        g = Guest(x.cpdir, XSD_PDIR[0], domid)
        try:
            ts.create(g, "cycle%d" % domid, console_first=bool(i % 2))
            tty = ts.wait_tty(domid)
            if not tty:
                raise RuntimeError("dom %d: no tty" % domid)
            c = PtyClient(tty)
            msg = b"cycle %d\r\n" % domid
            g.print(msg)
            got = c.read(len(msg))
            c.write(b"in")
            wait_for(lambda: g.in_pending() == 2, 3)
            g.take_input()
            if got != msg:
                raise RuntimeError("dom %d: read %r" % (domid, got))
            ts.destroy(domid, remove_home=bool(i % 2))
            if not wait_for(lambda: "grant-%d" % domid not in x.info.maps(), 5):
                raise RuntimeError("dom %d: ring still mapped after destroy" % domid)
            if not c.hung_up():
                raise RuntimeError("dom %d: pty still open after destroy" % domid)
            c.close()
            ts.rm("/local/domain/%d" % domid)
        finally:
            ts.destroy(domid)       # also after a failure: later parts scan /local/domain
            g.close()


# ---------------------------------------------------------------------------
# Part 2


def part_keep_and_sanitizers(tmp, xsd):
    ts = Toolstack(xsd.sock)

    def keep():
        logdir = os.path.join(tmp, "logs-keep")
        x = Consoled(XCD_TEST, tmp, xsd.sock, ["--overflow-data=keep", "-l", "guest",
                                                "--log-dir=" + logdir, "-t", "guest"],
                     name="keep")
        g = Guest(x.cpdir, xsd.pdir, 20)
        try:
            ts.create(g, "keeper", limit=4096)
            tty = ts.wait_tty(20)
            data = pattern(400 * 1024, b"keep")
            sent = 0
            try:
                while sent < len(data):
                    g.print(data[sent:sent + 1024], timeout=0.5)
                    sent += 1024
            except RuntimeError:
                pass
            full = not g.wait_consumed(0.5)
            rep.check("--overflow-data=keep: with nobody reading, the guest waits",
                      full and sent < len(data), "all %d bytes consumed" % sent)
            cpu = least_cpu(x)
            rep.check("--overflow-data=keep: no spinning while the guest waits", cpu < 0.1,
                      "%.2f s CPU in 1.5 s" % cpu)
            c = PtyClient(tty)
            got = b""
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and len(got) < len(data):
                rest = data[len(g.printed):]
                if rest:
                    try:
                        g.print(rest[:1024], timeout=0.01)
                    except RuntimeError:
                        pass
                got += c.read(65536, timeout=0.01)
            rep.check("--overflow-data=keep: a reader then gets every byte, in order",
                      got == data, "%d of %d bytes" % (len(got), len(data)))
            c.close()
            with open(os.path.join(logdir, "guest-keeper.log"), "rb") as f:
                log = f.read()
            lines = log.split(b"\n")
            stamped = all(re.match(rb"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] keep \d{7}\r$", l)
                          for l in lines[:-1])
            rep.check("--timestamp=guest: every log line stamped",
                      stamped and len(lines) - 1 == data.count(b"\n"),
                      repr(lines[:2]))
        finally:
            ts.destroy(20)
            rc = x.stop()
            g.close()
        rep.check("keep-mode daemon stops cleanly", rc == 0, x.stderr()[-300:])
    rep.run("overflow keep", keep)

    def restart():
        x = Consoled(XCD_TEST, tmp, xsd.sock, name="restart")
        g = Guest(x.cpdir, xsd.pdir, 21)
        try:
            ts.create(g, "restarted")
            tty = ts.wait_tty(21)
            x.stop()
            rep.check("daemon stop removes the tty key", ts.tty(21) is None, repr(ts.tty(21)))
            g.print(b"while nobody served me\r\n")
            x = Consoled(XCD_TEST, tmp, xsd.sock, name="restart")
            tty = ts.wait_tty(21)
            c = PtyClient(tty)
            got = c.read(24)
            c.close()
            rep.check("restarted daemon picks the domain up with its pending output",
                      got == b"while nobody served me\r\n", repr(got))
        finally:
            ts.destroy(21)
            x.stop()
            g.close()
    rep.run("restart", restart)

    runs = [("asan", XCD_ASAN, (), range(70, 90)),
            ("valgrind", XCD_TEST, ("valgrind", "--leak-check=full", "--show-leak-kinds=all",
                                    "--errors-for-leak-kinds=all", "--error-exitcode=99", "-q"),
             range(90, 95))]
    for name, binary, wrapper, domids in runs:
        if name == "valgrind" and not shutil.which("valgrind"):
            rep.check("valgrind run", False, "valgrind is not installed")
            continue

        def lifecycle():
            logdir = os.path.join(tmp, "logs-" + name)
            x = Consoled(binary, tmp, xsd.sock, ["--log=all", "--log-dir=" + logdir],
                         wrapper=wrapper, name=name,
                         env_extra={"ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0"})
            a = b = None
            try:
                cycle_domains(x, ts, domids)
                # One left running at exit, one with a corrupt ring.
                a = Guest(x.cpdir, xsd.pdir, 96)
                b = Guest(x.cpdir, xsd.pdir, 97)
                ts.create(a, "left")
                ts.create(b, "bad")
                ts.wait_tty(96)
                ts.wait_tty(97)
                a.print(b"bye\r\n")
                b.set("out_prod", 0x80000000)
                b.kick()
                ts.wait_no_tty(97)
            finally:
                rc = x.stop(timeout=120)
            for domid, g in ((96, a), (97, b)):
                if g:
                    ts.destroy(domid)
                    g.close()
            err = x.stderr()
            bad = re.search(r"(ERROR: (AddressSanitizer|LeakSanitizer)|runtime error|"
                            r"definitely lost|Invalid (read|write)|still allocated)", err)
            rep.check("%s: lifecycle, corrupt ring and exit clean" % name, rc == 0 and not bad,
                      "rc %s: %s" % (rc, err[-800:]))
        rep.run("%s run" % name, lifecycle)
    ts.close()


# ---------------------------------------------------------------------------
# Part 3


def part_production(tmp, xsd):
    with open(XCD, "rb") as f:
        elf = f.read()
    phoff, = struct.unpack_from("<Q", elf, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    types = [struct.unpack_from("<I", elf, phoff + i * phentsize)[0] for i in range(phnum)]
    rep.check("production binary is static (no PT_INTERP)", 3 not in types and
              b"libxenstore.so" not in elf, "dynamic")
    rep.check("production binary has no test hooks",
              b"test-platform" not in elf and b"bindfail" not in elf and b"grant-%u" not in elf,
              "fake platform linked in")
    p = subprocess.run([XCD, "--help"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=10)
    rep.check("--help", p.returncode == 0 and b"--log=none|guest|hv|all" in p.stdout and
              b"--test-platform" not in p.stdout, p.stdout.decode()[:200])
    for bad in (["--log=bogus"], ["--overflow-data=maybe"], ["--test-platform", tmp],
                ["stray"]):
        p = subprocess.run([XCD, "-i"] + bad, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=10)
        rep.check("bad arguments refused: %s" % " ".join(bad), p.returncode == 2,
                  "rc %d" % p.returncode)
    env = dict(os.environ, XENSTORED_PATH=xsd.sock)
    p = subprocess.run([XCD, "-i"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=10,
                       env=env)
    rep.check("without /dev/xen the production daemon exits with a reason",
              p.returncode == 1 and b"cannot open the hypervisor interfaces" in p.stderr,
              "rc %d %s" % (p.returncode, p.stderr.decode()[-200:]))

    def daemon_mode():
        cpdir = os.path.join(tmp, "cp-bg")
        os.makedirs(cpdir)
        pidf = os.path.join(tmp, "bg.pid")
        p = subprocess.run([XCD_TEST, "--test-platform", cpdir, "--pid-file", pidf], env=env,
                           timeout=10)
        ok = p.returncode == 0 and os.path.exists(pidf)
        pid = int(open(pidf).read()) if os.path.exists(pidf) else 0
        rep.check("daemon mode: parent returns once ready, pid file written",
                  ok and pid and Proc(pid).alive(), "rc %d" % p.returncode)
        ts = Toolstack(xsd.sock)
        g = Guest(cpdir, xsd.pdir, 30)
        ts.create(g, "bg")
        rep.check("daemon mode: serves consoles", ts.wait_tty(30) is not None, repr(ts.tty(30)))
        if pid:
            os.kill(pid, signal.SIGTERM)
            wait_for(lambda: not Proc(pid).alive() or not os.path.exists(pidf), 5)
        rep.check("daemon mode: SIGTERM removes pid file and tty key",
                  pid and not os.path.exists(pidf) and ts.tty(30) is None, "left behind")
        ts.destroy(30)
        g.close()
        ts.close()
    rep.run("daemon mode", daemon_mode)

    def rundir():
        # libxenstore's other rule: ${XENSTORED_RUNDIR}/socket.
        run = os.path.join(tmp, "run")
        os.makedirs(run)
        os.symlink(xsd.sock, os.path.join(run, "socket"))
        env2 = dict(os.environ, XENSTORED_RUNDIR=run)
        env2.pop("XENSTORED_PATH", None)
        cpdir = os.path.join(tmp, "cp-rundir")
        os.makedirs(cpdir)
        pidf = os.path.join(tmp, "rundir.pid")
        p = subprocess.Popen([XCD_TEST, "-i", "--test-platform", cpdir, "--pid-file", pidf],
                             env=env2, stderr=subprocess.PIPE)
        try:
            ok = wait_for(lambda: os.path.exists(pidf) or p.poll() is not None, 10)
            rep.check("XENSTORED_RUNDIR/socket is used", ok and p.poll() is None,
                      p.stderr.read().decode()[-200:] if p.poll() is not None else "no pid file")
        finally:
            p.terminate()
            p.wait(timeout=10)
    rep.run("rundir", rundir)

    def xenstored_dies():
        sub = os.path.join(tmp, "dies")
        os.makedirs(sub)
        own = Xenstored(sub)
        x = Consoled(XCD_TEST, sub, own.sock, name="orphan")
        try:
            own.proc.kill()
            own.proc.wait()
            rc = wait_for(lambda: x.proc.poll() is not None, 10) and x.proc.returncode
            rep.check("xenstored gone: xenconsoled exits 1 (for its init system to restart)",
                      rc == 1 and "xenstore connection lost" in x.stderr(),
                      "rc %s: %s" % (x.proc.poll(), x.stderr()[-300:]))
        finally:
            x.stop()
            own.stop()
    rep.run("xenstored dies", xenstored_dies)


def main():
    for d in ("xenstored", "xenconsoled"):
        build = subprocess.run(["make", "-s", "-C", os.path.join(ROOT, "dom0", d),
                                "BUILD=" + BUILD, "all"] + (["asan"] if d == "xenconsoled" else []),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if not rep.setup("build " + d, build.returncode == 0, build.stdout.decode()[-1000:]):
            rep.exit()
    tmp = tempfile.mkdtemp(prefix="xenconsoled-test-")
    xsd = None
    try:
        xsd = Xenstored(tmp)
        XSD_PDIR[0] = xsd.pdir
        rep.run("main scenario", lambda: part_main(tmp, xsd))
        rep.run("keep mode, restart and sanitizers", lambda: part_keep_and_sanitizers(tmp, xsd))
        rep.run("production binary", lambda: part_production(tmp, xsd))
    finally:
        if xsd:
            xsd.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    rep.exit()


if __name__ == "__main__":
    main()
