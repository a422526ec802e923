#!/usr/bin/env python3
"""xenstored on this host, without a hypervisor.

Part 1 runs the production daemon (build/dom0/xenstored -D) on a private
socket and drives it with Debian's unmodified xenstore-* tools plus a small
wire-protocol client for what the tools cannot do (explicit transactions,
malformed messages).

Part 2 runs build/dom0/xenstored-test, the same daemon on a fake hypervisor
(dom0/xenstored/platform_fake.c): domain rings are files this test mmaps and
plays the guest on, event channels are datagrams, and domain state is a file.
That covers Dom0's local ring, INTRODUCE/RELEASE, guests on rings, the
permission wall between domains, quotas, ring errors and reconnection,
@introduceDomain/@releaseDomain, domain death, and memory across 20
introduce/release cycles (under the plain build, AddressSanitizer/
LeakSanitizer, and valgrind).
"""
import mmap
import os
import re
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

XSD = os.path.join(BUILD, "dom0", "xenstored")
XSD_TEST = os.path.join(BUILD, "dom0", "xenstored-test")
XSD_ASAN = os.path.join(BUILD, "dom0", "xenstored-test-asan")

XS = dict(CONTROL=0, DIRECTORY=1, READ=2, GET_PERMS=3, WATCH=4, UNWATCH=5, TRANSACTION_START=6,
          TRANSACTION_END=7, INTRODUCE=8, RELEASE=9, GET_DOMAIN_PATH=10, WRITE=11, MKDIR=12,
          RM=13, SET_PERMS=14, WATCH_EVENT=15, ERROR=16, IS_DOMAIN_INTRODUCED=17, RESUME=18,
          SET_TARGET=19, RESET_WATCHES=21, DIRECTORY_PART=22)
HDR = struct.Struct("<IIII")
PAYLOAD_MAX = 4096

rep = Report(plan=107)


class WireError(Exception):
    pass


class Wire:
    """A client speaking the xenstore wire protocol on the unix socket."""

    def __init__(self, path, timeout=5.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""
        self.events = []
        self.req = 0

    def close(self):
        self.sock.close()

    def send_raw(self, data):
        self.sock.sendall(data)

    def send(self, mtype, payload, tx=0):
        self.req += 1
        self.send_raw(HDR.pack(mtype, self.req, tx, len(payload)) + payload)
        return self.req

    def recv(self):
        while True:
            if len(self.buf) >= HDR.size:
                t, r, tx, n = HDR.unpack_from(self.buf)
                if len(self.buf) >= HDR.size + n:
                    body = self.buf[HDR.size:HDR.size + n]
                    self.buf = self.buf[HDR.size + n:]
                    return t, r, tx, body
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("connection closed")
            self.buf += data

    def call(self, mtype, payload, tx=0):
        """Returns the reply payload; raises WireError("ENAME") on ERROR."""
        req = self.send(mtype, payload, tx)
        while True:
            t, r, _, body = self.recv()
            if t == XS["WATCH_EVENT"]:
                self.events.append(body)
                continue
            if r != req:
                raise WireError("reply for request %d, expected %d" % (r, req))
            if t == XS["ERROR"]:
                raise WireError(body.rstrip(b"\0").decode())
            if t != mtype:
                raise WireError("reply type %d for request type %d" % (t, mtype))
            return body

    def err(self, mtype, payload, tx=0):
        """The error name a request gets, or 'OK'."""
        try:
            self.call(mtype, payload, tx)
            return "OK"
        except WireError as e:
            return str(e)

    def wait_event(self, timeout=3.0):
        if self.events:
            return self.events.pop(0)
        self.sock.settimeout(timeout)
        try:
            t, _, _, body = self.recv()
        except socket.timeout:
            return None
        finally:
            self.sock.settimeout(5.0)
        if t != XS["WATCH_EVENT"]:
            raise WireError("unexpected message type %d" % t)
        return body

    def stats(self):
        out = self.call(XS["CONTROL"], b"stats\0").rstrip(b"\0").decode()
        return dict((k, int(v)) for k, v in (line.split() for line in out.splitlines()))


def z(*parts):
    """NUL-terminated strings."""
    return b"".join(p.encode() + b"\0" for p in parts)


def event_path(body):
    return body.split(b"\0")[0].decode()


class Daemon:
    """One xenstored in the foreground on a private socket."""

    def __init__(self, binary, tmp, args=(), env_extra=None, wrapper=()):
        self.tmp = tmp
        self.sock_path = os.path.join(tmp, "socket")
        self.errfile = os.path.join(tmp, "stderr-%d.log" % int(time.monotonic() * 1000))
        env = dict(os.environ, XENSTORED_PATH=self.sock_path)
        if env_extra:
            env.update(env_extra)
        self.env = env
        self.err = open(self.errfile, "w")
        self.proc = subprocess.Popen(list(wrapper) + [binary, "-N"] + list(args), env=env,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=self.err)
        deadline = time.monotonic() + (60 if wrapper else 10)
        while True:
            try:
                Wire(self.sock_path, timeout=2).close()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("xenstored did not start: " + self.stderr())
                time.sleep(0.05)

    def wire(self):
        return Wire(self.sock_path)

    def stderr(self):
        if not self.err.closed:
            self.err.flush()
        with open(self.errfile) as f:
            return f.read()

    def rss_kb(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return -1

    def stop(self, timeout=60):
        rc = stop_process(self.proc, timeout)
        self.err.close()
        return rc


def tool(d, *argv, check=True, timeout=10):
    p = subprocess.run(list(argv), env=d.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    if check and p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(argv), p.returncode,
                                                    p.stderr.decode().strip()))
    return p


# ---------------------------------------------------------------------------
# Part 1: the production daemon with Debian's tools


def part_tools(tmp):
    d = Daemon(XSD, tmp, ["-D", "-T", os.path.join(tmp, "trace"),
                          "--pid-file", os.path.join(tmp, "pid")])
    try:
        mode = os.stat(d.sock_path).st_mode & 0o777
        rep.check("socket mode 0600", mode == 0o600, "mode %o" % mode)
        with open(os.path.join(tmp, "pid")) as f:
            rep.check("pid file", int(f.read()) == d.proc.pid, "wrong pid")

        def write_read():
            tool(d, "xenstore-write", "/test/a", "1", "/test/b", "2")
            out = tool(d, "xenstore-read", "/test/a").stdout.decode()
            rep.check("xenstore-write/xenstore-read", out == "1\n", repr(out))
            out = tool(d, "xenstore-read", "/test/a", "/test/b").stdout.decode()
            rep.check("xenstore-read of two keys (in a transaction)", out == "1\n2\n", repr(out))
            p = tool(d, "xenstore-read", "/test/nothing", check=False)
            rep.check("xenstore-read of a missing key fails", p.returncode != 0,
                      "rc %d" % p.returncode)
            tool(d, "xenstore-write", "relative", "r")
            out = tool(d, "xenstore-read", "/local/domain/0/relative").stdout.decode()
            rep.check("relative tool paths are below /local/domain/0", out == "r\n", repr(out))
        rep.run("write/read", write_read)

        def ls_list_exists():
            tool(d, "xenstore-write", "/test/c/d", "x y")
            out = tool(d, "xenstore-ls", "/test").stdout.decode()
            want = 'a = "1"\nb = "2"\nc = ""\n d = "x y"\n'
            rep.check("xenstore-ls tree output", out == want, repr(out))
            out = tool(d, "xenstore-ls", "-f", "/test").stdout.decode()
            want = '/test/a = "1"\n/test/b = "2"\n/test/c = ""\n/test/c/d = "x y"\n'
            rep.check("xenstore-ls -f output", out == want, repr(out))
            out = tool(d, "xenstore-ls").stdout.decode()
            rep.check("xenstore-ls / shows start-up nodes",
                      out.startswith('tool = ""\n xenstored = ""\nlocal = ""\n domain = ""\n  0 = ""\n'),
                      repr(out[:120]))
            out = tool(d, "xenstore-list", "/test").stdout.decode()
            rep.check("xenstore-list", out == "a\nb\nc\n", repr(out))
            rep.check("xenstore-exists present",
                      tool(d, "xenstore-exists", "/test/c/d", check=False).returncode == 0, "")
            rep.check("xenstore-exists absent",
                      tool(d, "xenstore-exists", "/test/zz", check=False).returncode != 0, "")
        rep.run("ls/list/exists", ls_list_exists)

        def rm():
            tool(d, "xenstore-rm", "/test/c")
            rep.check("xenstore-rm removes a subtree",
                      tool(d, "xenstore-exists", "/test/c/d", check=False).returncode != 0 and
                      tool(d, "xenstore-list", "/test").stdout == b"a\nb\n", "still there")
        rep.run("rm", rm)

        def chmod():
            tool(d, "xenstore-chmod", "/test/a", "r5", "w6")
            out = tool(d, "xenstore-ls", "-p", "/test").stdout.decode()
            rep.check("xenstore-chmod then xenstore-ls -p", "(r5,w6)" in out.splitlines()[0] and
                      "(n0)" in out.splitlines()[1], repr(out))
            w = d.wire()
            got = w.call(XS["GET_PERMS"], z("/test/a"))
            rep.check("GET_PERMS after chmod", got == z("r5", "w6"), repr(got))
            w.close()
            p = tool(d, "xenstore-chmod", "/test/a", "q5", check=False)
            rep.check("xenstore-chmod rejects a bad permission", p.returncode != 0, "accepted")
        rep.run("chmod", chmod)

        def watch():
            w = subprocess.Popen(["xenstore-watch", "/test/w"], env=d.env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
            try:
                lines = []
                deadline = time.monotonic() + 5
                os.set_blocking(w.stdout.fileno(), False)
                buf = b""

                def collect(until):
                    nonlocal buf
                    while time.monotonic() < until:
                        chunk = w.stdout.read()
                        if chunk:
                            buf += chunk
                        time.sleep(0.05)
                    return buf.decode().splitlines()
                while time.monotonic() < deadline and b"\n" not in buf:
                    chunk = w.stdout.read()
                    if chunk:
                        buf += chunk
                    time.sleep(0.02)
                tool(d, "xenstore-write", "/test/w/x", "1")
                tool(d, "xenstore-write", "/test/w/y/z", "2")
                tool(d, "xenstore-write", "/test/other", "3")
                tool(d, "xenstore-rm", "/test/w")
                lines = collect(time.monotonic() + 1.0)
                rep.check("xenstore-watch: initial event", lines[:1] == ["/test/w"], repr(lines))
                rep.check("xenstore-watch: events below the watch", "/test/w/x" in lines and
                          "/test/w/y/z" in lines, repr(lines))
                rep.check("xenstore-watch: nothing outside the watch", "/test/other" not in lines,
                          repr(lines))
                rep.check("xenstore-watch: removal", lines[-1:] == ["/test/w"] and
                          len(lines) == 4, repr(lines))
            finally:
                w.terminate()
                w.wait(timeout=5)
            s = d.wire()
            deadline = time.monotonic() + 3
            while s.stats()["watches"] != 0 and time.monotonic() < deadline:
                time.sleep(0.05)
            rep.check("killed watcher's watch is gone", s.stats()["watches"] == 0, "still there")
            s.close()
        rep.run("watch", watch)

        def transactions():
            a, b = d.wire(), d.wire()
            tx = int(a.call(XS["TRANSACTION_START"], b"\0").rstrip(b"\0"))
            a.call(XS["WRITE"], b"/tx/k\0in", tx)
            rep.check("read inside a transaction", a.call(XS["READ"], z("/tx/k"), tx) == b"in",
                      "wrong")
            rep.check("transaction invisible outside", b.err(XS["READ"], z("/tx/k")) == "ENOENT",
                      "visible")
            b.call(XS["WRITE"], b"/tx/k\0out")
            e = a.err(XS["TRANSACTION_END"], z("T"), tx)
            rep.check("conflicting commit gets EAGAIN", e == "EAGAIN", e)
            rep.check("conflict keeps the outside write", b.call(XS["READ"], z("/tx/k")) == b"out",
                      "lost")
            b.call(XS["WATCH"], z("/tx", "t"))
            b.wait_event()
            tx = int(a.call(XS["TRANSACTION_START"], b"\0").rstrip(b"\0"))
            a.call(XS["WRITE"], b"/tx/k2\0v2", tx)
            rep.check("no watch event before commit", b.wait_event(0.3) is None, "early event")
            e = a.err(XS["TRANSACTION_END"], z("T"), tx)
            rep.check("commit without conflict", e == "OK", e)
            rep.check("committed value visible", b.call(XS["READ"], z("/tx/k2")) == b"v2", "")
            ev = b.wait_event()
            rep.check("watch event on commit", ev is not None and event_path(ev) == "/tx/k2",
                      repr(ev))
            rep.check("unknown transaction id", a.err(XS["READ"], z("/tx/k"), 999) == "ENOENT", "")
            a.close()
            b.close()
        rep.run("transactions", transactions)

        def malformed():
            good = d.wire()
            bad = d.wire()
            bad.send_raw(HDR.pack(XS["READ"], 1, 0, PAYLOAD_MAX + 1))
            try:
                bad.recv()
                closed = False
            except (EOFError, ConnectionResetError):
                closed = True
            rep.check("oversized message closes that connection", closed, "still open")
            rep.check("other client keeps working",
                      good.call(XS["READ"], z("/test/a")) == b"1", "broken")
            junk = d.wire()
            junk.send_raw(bytes(range(256)) * 4)
            try:
                junk.recv()
                closed = False
            except (EOFError, ConnectionResetError):
                closed = True
            rep.check("garbage closes that connection", closed, "still open")
            odd = d.wire()
            e = odd.err(12345, z("/"))
            rep.check("unknown message type gets ENOSYS", e == "ENOSYS", e)
            rep.check("...and the connection stays", odd.call(XS["READ"], z("/test/b")) == b"2", "")
            e = odd.err(XS["WRITE"], b"/test/bad//path\0x")
            rep.check("invalid path gets EINVAL", e == "EINVAL", e)
            e = odd.err(XS["READ"], b"/test/a")
            rep.check("missing terminator gets EINVAL", e == "EINVAL", e)
            rep.check("daemon still answers",
                      good.call(XS["DIRECTORY"], z("/test")) == z("a", "b", "other"), "")
            for c in (good, bad, junk, odd):
                c.close()
        rep.run("malformed messages", malformed)

        def directory_part():
            names = ["n%04d-%s" % (i, "x" * 40) for i in range(200)]
            w = d.wire()
            for n in names:
                w.call(XS["WRITE"], ("/big/" + n).encode() + b"\0")
            rep.check("big DIRECTORY is E2BIG", w.err(XS["DIRECTORY"], z("/big")) == "E2BIG", "")
            out = tool(d, "xenstore-list", "/big").stdout.decode().split()
            rep.check("xenstore-list uses DIRECTORY_PART for big directories", out == names,
                      "%d names" % len(out))
            tool(d, "xenstore-rm", "/big")
            w.close()
        rep.run("directory part", directory_part)

        with open(os.path.join(tmp, "trace")) as f:
            trace = f.read()
        rep.check("trace file records traffic", re.search(r"IN  conn \d+ dom 0 WRITE", trace) and
                  "OUT" in trace, trace[:200])
    finally:
        rc = d.stop()
    err = d.stderr()
    rep.check("SIGTERM stops the daemon cleanly", rc == 0, "rc %s: %s" % (rc, err[-300:]))
    rep.check("no allocation left at exit", "still allocated" not in err, err[-300:])
    rep.check("socket removed at exit", not os.path.exists(d.sock_path), "left behind")

    # libxenstore's other convention: $XENSTORED_RUNDIR/socket.
    def rundir():
        rundir = os.path.join(tmp, "run")
        env = dict(os.environ, XENSTORED_RUNDIR=rundir)
        env.pop("XENSTORED_PATH", None)
        p = subprocess.Popen([XSD, "-N", "-D"], env=env, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 5
            while not os.path.exists(os.path.join(rundir, "socket")) and time.monotonic() < deadline:
                time.sleep(0.05)
            q = subprocess.run(["xenstore-write", "/r", "ok"], env=env, stderr=subprocess.PIPE,
                               timeout=10)
            r = subprocess.run(["xenstore-read", "/r"], env=env, stdout=subprocess.PIPE, timeout=10)
            rep.check("XENSTORED_RUNDIR socket", q.returncode == 0 and r.stdout == b"ok\n",
                      q.stderr.decode())
        finally:
            p.terminate()
            p.wait(timeout=10)
    rep.run("rundir", rundir)

    # Forking into the background: the parent returns once the socket works.
    def daemonized():
        sock = os.path.join(tmp, "bg-socket")
        pidf = os.path.join(tmp, "bg.pid")
        env = dict(os.environ, XENSTORED_PATH=sock)
        p = subprocess.run([XSD, "-D", "--pid-file", pidf], env=env, timeout=10)
        ok = p.returncode == 0 and os.path.exists(sock)
        pid = int(open(pidf).read()) if os.path.exists(pidf) else 0
        q = subprocess.run(["xenstore-read", "/tool/xenstored"], env=env, stdout=subprocess.PIPE,
                           timeout=10)
        rep.check("daemon mode: ready when the parent exits", ok and q.returncode == 0,
                  "rc %d" % p.returncode)
        if pid:
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 5
            while (os.path.exists(sock) or os.path.exists(pidf)) and time.monotonic() < deadline:
                time.sleep(0.05)
        rep.check("daemon mode: SIGTERM removes socket and pid file",
                  pid and not os.path.exists(sock) and not os.path.exists(pidf), "left behind")
    rep.run("daemonized", daemonized)


# ---------------------------------------------------------------------------
# Part 2: domains on the fake platform

RING_SIZE = 1024
OFF = dict(req=0, rsp=1024, req_cons=2048, req_prod=2052, rsp_cons=2056, rsp_prod=2060,
           features=2064, connection=2068, error=2072)


class Guest:
    """Plays a domain's kernel on a ring page the daemon maps from a file."""

    def __init__(self, pdir, domid, name=None):
        self.pdir = pdir
        self.domid = domid
        self.path = os.path.join(pdir, name or "ring-%d" % domid)
        with open(self.path, "wb") as f:
            f.write(b"\0" * 4096)
        self.fd = os.open(self.path, os.O_RDWR)
        self.mem = mmap.mmap(self.fd, 4096)
        self.kicks = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        kick_path = os.path.join(pdir, "guest-%d.sock" % domid)
        if os.path.exists(kick_path):
            os.unlink(kick_path)
        self.kicks.bind(kick_path)
        self.kicks.setblocking(False)
        self.evt = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.buf = b""
        self.events = []
        self.req = 0

    def close(self):
        self.mem.close()
        os.close(self.fd)
        self.kicks.close()
        self.evt.close()

    def u32(self, field):
        return struct.unpack_from("<I", self.mem, OFF[field])[0]

    def set(self, field, value):
        struct.pack_into("<I", self.mem, OFF[field], value & 0xffffffff)

    def kick(self):
        self.evt.sendto(b"notify %d" % self.domid, os.path.join(self.pdir, "evtchn"))

    def notifications(self):
        n = 0
        while True:
            try:
                self.kicks.recv(64)
                n += 1
            except BlockingIOError:
                return n

    def send_raw(self, data, timeout=5):
        deadline = time.monotonic() + timeout
        while data:
            prod, cons = self.u32("req_prod"), self.u32("req_cons")
            space = RING_SIZE - ((prod - cons) & 0xffffffff)
            if space == 0:
                if time.monotonic() > deadline:
                    raise RuntimeError("ring full")
                time.sleep(0.002)
                continue
            n = min(space, len(data))
            for i in range(n):
                self.mem[OFF["req"] + (prod + i) % RING_SIZE] = data[i]
            self.set("req_prod", prod + n)
            self.kick()
            data = data[n:]

    def send(self, mtype, payload, tx=0):
        self.req += 1
        self.send_raw(HDR.pack(mtype, self.req, tx, len(payload)) + payload)
        return self.req

    def pull(self):
        prod, cons = self.u32("rsp_prod"), self.u32("rsp_cons")
        n = (prod - cons) & 0xffffffff
        if n:
            self.buf += bytes(self.mem[OFF["rsp"] + (cons + i) % RING_SIZE] for i in range(n))
            self.set("rsp_cons", cons + n)
            self.kick()
        return n

    def recv(self, timeout=5):
        deadline = time.monotonic() + timeout
        while True:
            if len(self.buf) >= HDR.size:
                t, r, tx, n = HDR.unpack_from(self.buf)
                if len(self.buf) >= HDR.size + n:
                    body = self.buf[HDR.size:HDR.size + n]
                    self.buf = self.buf[HDR.size + n:]
                    return t, r, tx, body
            if not self.pull():
                if time.monotonic() > deadline:
                    raise socket.timeout("no reply on ring")
                time.sleep(0.002)

    def call(self, mtype, payload, tx=0):
        req = self.send(mtype, payload, tx)
        while True:
            t, r, _, body = self.recv()
            if t == XS["WATCH_EVENT"]:
                self.events.append(body)
                continue
            if r != req:
                raise WireError("reply for request %d, expected %d" % (r, req))
            if t == XS["ERROR"]:
                raise WireError(body.rstrip(b"\0").decode())
            return body

    def err(self, mtype, payload, tx=0):
        try:
            self.call(mtype, payload, tx)
            return "OK"
        except WireError as e:
            return str(e)

    def wait_event(self, timeout=3):
        if self.events:
            return self.events.pop(0)
        try:
            t, _, _, body = self.recv(timeout)
        except socket.timeout:
            return None
        return body if t == XS["WATCH_EVENT"] else None


def virq(pdir):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.sendto(b"virq", os.path.join(pdir, "evtchn"))
    s.close()


def set_state(pdir, domid, state):
    with open(os.path.join(pdir, "state-%d" % domid), "w") as f:
        f.write(state)


def toolstack_make_domain(ts, domid):
    """What libxl writes for a new domain before INTRODUCE."""
    home = "/local/domain/%d" % domid
    ts.call(XS["MKDIR"], z(home))
    ts.call(XS["SET_PERMS"], z(home, "n0", "r%d" % domid))
    ts.call(XS["WRITE"], (home + "/name").encode() + b"\0guest%d" % domid)
    ts.call(XS["SET_PERMS"], z(home + "/name", "n0", "r%d" % domid))
    ts.call(XS["MKDIR"], z(home + "/data"))
    ts.call(XS["SET_PERMS"], z(home + "/data", "n%d" % domid))


def introduce(ts, domid, port=1):
    return ts.err(XS["INTRODUCE"], z(str(domid), "4276092", str(port)))


def part_domains(tmp):
    pdir = os.path.join(tmp, "platform")
    os.makedirs(pdir)
    dom0 = Guest(pdir, 0, name="xsd_kva")
    with open(os.path.join(pdir, "xsd_port"), "w") as f:
        f.write("7\n")
    d = Daemon(XSD_TEST, tmp, ["--test-platform", pdir, "-E", "30", "-W", "4", "-t", "2"])
    guests = []
    try:
        ts = d.wire()

        def local_ring():
            time.sleep(0.1)
            rep.check("Dom0's local ring gets the first event", dom0.notifications() >= 1,
                      "no event (Linux waits for it)")
            rep.check("Dom0 ring: features advertised", dom0.u32("features") == 3,
                      str(dom0.u32("features")))
            dom0.call(XS["WRITE"], b"kernel\0hello")
            rep.check("Dom0 ring: relative write lands in /local/domain/0",
                      ts.call(XS["READ"], z("/local/domain/0/kernel")) == b"hello", "")
            rep.check("Dom0 ring is privileged", dom0.call(XS["READ"], z("/tool/xenstored")) == b"",
                      "refused")
            p = tool(d, "xenstore-read", "/local/domain/0/kernel")
            rep.check("tools see what Dom0's kernel wrote", p.stdout == b"hello\n", repr(p.stdout))
        rep.run("dom0 local ring", local_ring)

        g5 = Guest(pdir, 5)
        g6 = Guest(pdir, 6)
        guests += [g5, g6]

        def introduce_domains():
            ts.call(XS["WATCH"], z("@introduceDomain", "intro"))
            ts.wait_event()
            toolstack_make_domain(ts, 5)
            toolstack_make_domain(ts, 6)
            rep.check("INTRODUCE", introduce(ts, 5) == "OK" and introduce(ts, 6) == "OK", "")
            ev = [ts.wait_event(), ts.wait_event()]
            rep.check("@introduceDomain fires", all(e and event_path(e) == "@introduceDomain"
                                                    for e in ev), repr(ev))
            rep.check("IS_DOMAIN_INTRODUCED", ts.call(XS["IS_DOMAIN_INTRODUCED"], z("5")) == b"T\0" and
                      ts.call(XS["IS_DOMAIN_INTRODUCED"], z("9")) == b"F\0", "")
            rep.check("ring features advertised", g5.u32("features") == 3, str(g5.u32("features")))
            e = introduce(ts, 8)
            rep.check("INTRODUCE without a ring fails", e == "ENOENT", e)
            open(os.path.join(pdir, "ring-8"), "wb").write(b"\0" * 4096)
            open(os.path.join(pdir, "bindfail-8"), "w").close()
            e = introduce(ts, 8)
            rep.check("INTRODUCE with an unbindable port fails", e == "EINVAL", e)
            rep.check("...and leaves nothing", ts.stats()["introduced"] == 3, str(ts.stats()))
        rep.run("introduce", introduce_domains)

        def guest_ops():
            rep.check("guest reads its name",
                      g5.call(XS["READ"], z("name")) == b"guest5", "")
            g5.call(XS["WRITE"], b"data/x\0from-guest")
            p = tool(d, "xenstore-read", "/local/domain/5/data/x")
            rep.check("guest write seen by Dom0's tools", p.stdout == b"from-guest\n",
                      repr(p.stdout))
            rep.check("guest owns what it creates",
                      g5.call(XS["GET_PERMS"], z("data/x")) == z("n5"), "")
            rep.check("daemon notifies the guest's event channel", g5.notifications() > 0,
                      "no notifications")
            e = g5.err(XS["WRITE"], b"name\0evil")
            rep.check("guest cannot write a read-only node", e == "EACCES", e)
            e = g5.err(XS["WRITE"], b"/local/domain/5/newkey\0x")
            rep.check("guest cannot create in a read-only directory", e == "EACCES", e)
            e = g5.err(XS["INTRODUCE"], z("9", "1", "1"))
            rep.check("guest cannot INTRODUCE", e == "EACCES", e)
            e = g5.err(XS["SET_PERMS"], z("data/x", "n0"))
            rep.check("guest cannot give its node away", e == "EPERM", e)
        rep.run("guest operations", guest_ops)

        def isolation():
            g6.call(XS["WRITE"], b"data/secret\0six")
            for path in ("/local/domain/6/data/secret", "/local/domain/6/name",
                         "/local/domain/6/data/nothing", "/tool/xenstored"):
                e = g5.err(XS["READ"], z(path))
                rep.check("domain 5 refused %s" % path, e == "EACCES", e)
            e = g5.err(XS["DIRECTORY"], z("/local/domain"))
            rep.check("domain 5 cannot list other domains", e == "EACCES", e)
            e = g5.err(XS["WRITE"], b"/local/domain/6/data/secret\0mine")
            rep.check("domain 5 cannot overwrite domain 6's key", e == "EACCES", e)
            g5.call(XS["WATCH"], z("/local/domain/6/data", "spy"))
            g5.wait_event()
            g6.call(XS["WRITE"], b"data/secret\0changed")
            rep.check("domain 5 hears nothing of domain 6's changes", g5.wait_event(0.3) is None,
                      "leak")
            g5.call(XS["UNWATCH"], z("/local/domain/6/data", "spy"))
        rep.run("isolation", isolation)

        def guest_watch_tx():
            g5.call(XS["WATCH"], z("data", "w"))
            ev = g5.wait_event()
            rep.check("guest watch: initial relative event", ev == z("data", "w"), repr(ev))
            ts.call(XS["WRITE"], b"/local/domain/5/data/y\0from-dom0")
            ev = g5.wait_event()
            rep.check("guest watch: relative event path", ev == z("data/y", "w"), repr(ev))
            tx = int(g5.call(XS["TRANSACTION_START"], b"\0").rstrip(b"\0"))
            g5.call(XS["WRITE"], b"data/t\x001", tx)
            rep.check("guest transaction commit", g5.err(XS["TRANSACTION_END"], z("T"), tx) == "OK", "")
            ev = g5.wait_event()
            rep.check("guest hears its own committed write", ev == z("data/t", "w"), repr(ev))
            tx = int(g5.call(XS["TRANSACTION_START"], b"\0").rstrip(b"\0"))
            g5.call(XS["READ"], z("data/t"), tx)
            ts.call(XS["WRITE"], b"/local/domain/5/data/t\0racing")
            g5.call(XS["WRITE"], b"data/t\0mine", tx)
            e = g5.err(XS["TRANSACTION_END"], z("T"), tx)
            rep.check("guest transaction conflict: EAGAIN", e == "EAGAIN", e)
            g5.events.clear()
            g5.call(XS["RESET_WATCHES"], b"")
        rep.run("guest watches and transactions", guest_watch_tx)

        def usage(domid):
            out = ts.call(XS["CONTROL"], z("quota", str(domid))).rstrip(b"\0").decode()
            return dict((k, int(v)) for k, v in (l.split() for l in out.splitlines()))

        def quotas():
            # Started with -E 30 -W 4 -t 2.
            g5.call(XS["RESET_WATCHES"], b"")
            g5.events.clear()
            owned = usage(5)["nodes"]
            made, err = 0, "OK"
            for i in range(40):
                err = g5.err(XS["WRITE"], b"data/q%d\0v" % i)
                if err != "OK":
                    break
                made += 1
            rep.check("node quota: ENOSPC at 30 owned nodes", err == "ENOSPC" and owned + made == 30
                      and usage(5)["nodes"] == 30, "%s after %d (owned %d)" % (err, made, owned))
            rep.check("Dom0 is exempt from the node quota", all(
                ts.err(XS["WRITE"], b"/dom0-many/n%d\0v" % i) == "OK" for i in range(40)), "")
            for i in range(made):
                g5.call(XS["RM"], b"data/q%d\0" % i)
            errs = [g5.err(XS["WATCH"], z("data", "t%d" % i)) for i in range(5)]
            rep.check("watch quota: 5th watch refused", errs == ["OK"] * 4 + ["E2BIG"], repr(errs))
            g5.call(XS["RESET_WATCHES"], b"")
            g5.events.clear()
            errs = [g5.err(XS["TRANSACTION_START"], b"\0") for i in range(3)]
            rep.check("transaction quota: 3rd refused", errs == ["OK", "OK", "ENOSPC"], repr(errs))
            g5.call(XS["RESET_WATCHES"], b"")
            e = g5.err(XS["WRITE"], b"data/big\0" + b"x" * 2100)
            rep.check("node size quota", e == "ENOSPC", e)
            e = g5.err(XS["SET_PERMS"], z("data/x", "n5", "r1", "r2", "r3", "r4", "r6"))
            rep.check("permissions-per-node quota", e == "ENOSPC", e)
            ts.call(XS["RM"], z("/dom0-many"))
        rep.run("quotas", quotas)

        def ring_errors():
            before = ts.stats()["connections"]
            g6.send_raw(HDR.pack(XS["READ"], 1, 0, PAYLOAD_MAX + 1))
            deadline = time.monotonic() + 3
            while g6.u32("error") == 0 and time.monotonic() < deadline:
                time.sleep(0.01)
            rep.check("oversized message: ring error PROTO", g6.u32("error") == 3,
                      str(g6.u32("error")))
            rep.check("other domains unaffected", g5.call(XS["READ"], z("name")) == b"guest5", "")
            rep.check("tools unaffected", ts.call(XS["READ"], z("/local/domain/6/name")) == b"guest6",
                      "")
            rep.check("stalled domain stays introduced",
                      ts.call(XS["IS_DOMAIN_INTRODUCED"], z("6")) == b"T\0" and
                      ts.stats()["connections"] == before, "")
            g6.set("connection", 1)
            g6.kick()
            deadline = time.monotonic() + 3
            while g6.u32("connection") != 0 and time.monotonic() < deadline:
                time.sleep(0.01)
            rep.check("reconnect clears the error", g6.u32("connection") == 0 and
                      g6.u32("error") == 0 and g6.u32("req_prod") == 0, "")
            g6.buf = b""
            rep.check("works after reconnect", g6.call(XS["READ"], z("name")) == b"guest6", "")
            g6.set("req_prod", g6.u32("req_cons") + 5000)
            g6.kick()
            deadline = time.monotonic() + 3
            while g6.u32("error") == 0 and time.monotonic() < deadline:
                time.sleep(0.01)
            rep.check("bad ring index: ring error RINGIDX", g6.u32("error") == 2,
                      str(g6.u32("error")))
            rep.check("daemon survives a bad index", ts.call(XS["READ"], z("/tool/xenstored")) == b"",
                      "")
        rep.run("ring errors", ring_errors)

        def release_and_death():
            ts.call(XS["WATCH"], z("@releaseDomain", "rel"))
            ts.call(XS["WATCH"], z("@releaseDomain/5", "rel5"))
            ts.wait_event()
            ts.wait_event()
            g5.call(XS["SET_PERMS"], z("data", "n5", "r6"))
            set_state(pdir, 5, "shutdown")
            virq(pdir)
            evs = sorted(filter(None, [ts.wait_event(), ts.wait_event()]))
            rep.check("shutdown fires @releaseDomain (and its /5 form)",
                      [event_path(e) for e in evs] == ["@releaseDomain", "@releaseDomain/5"], repr(evs))
            virq(pdir)
            rep.check("shutdown reported once", ts.wait_event(0.3) is None, "again")
            set_state(pdir, 5, "dying")
            virq(pdir)
            evs = sorted(filter(None, [ts.wait_event(), ts.wait_event()]))
            rep.check("death fires @releaseDomain", "@releaseDomain" in
                      [event_path(e) for e in evs], repr(evs))
            rep.check("dead domain no longer introduced",
                      ts.call(XS["IS_DOMAIN_INTRODUCED"], z("5")) == b"F\0", "")
            rep.check("its nodes are gone", ts.err(XS["READ"], z("/local/domain/5/data")) == "ENOENT",
                      "still there")
            rep.check("toolstack-owned home remains",
                      ts.call(XS["READ"], z("/local/domain/5/name")) == b"guest5", "")
            ts.call(XS["RM"], z("/local/domain/5"))
            rep.check("RELEASE", ts.err(XS["RELEASE"], z("6")) == "OK", "")
            rep.check("released domain gone", ts.call(XS["IS_DOMAIN_INTRODUCED"], z("6")) == b"F\0", "")
            rep.check("RELEASE of unknown domain", ts.err(XS["RELEASE"], z("6")) == "ENOENT", "")
            ts.call(XS["RM"], z("/local/domain/6"))
            ts.call(XS["CONTROL"], z("check"))
            os.unlink(os.path.join(pdir, "state-5"))
        rep.run("release and domain death", release_and_death)

        def cycles():
            cycle_domains(ts, pdir, [19])   # hash tables reach their working size
            baseline = ts.stats()
            rss0 = d.rss_kb()
            cycle_domains(ts, pdir, range(20, 40))
            after = ts.stats()
            rss1 = d.rss_kb()
            rep.check("20 create/destroy cycles: allocations flat",
                      after["mem-blocks"] == baseline["mem-blocks"] and
                      after["mem-bytes"] == baseline["mem-bytes"] and
                      after["nodes"] == baseline["nodes"] and after["introduced"] == baseline["introduced"],
                      "before %s after %s" % (baseline, after))
            rep.check("20 create/destroy cycles: RSS flat", rss1 - rss0 < 1024,
                      "RSS %d kB -> %d kB" % (rss0, rss1))
        rep.run("memory across cycles", cycles)
        ts.call(XS["CONTROL"], z("check"))
        ts.close()
    finally:
        rc = d.stop()
        for g in guests:
            g.close()
        dom0.close()
    err = d.stderr()
    rep.check("test daemon stops cleanly", rc == 0 and "still allocated" not in err,
              "rc %s %s" % (rc, err[-300:]))


def cycle_domains(ts, pdir, domids):
    """Creates, uses and destroys one domain per domid, alternating RELEASE
    and death noticed through VIRQ_DOM_EXC."""
    for i, domid in enumerate(domids):
        g = Guest(pdir, domid)
        try:
            toolstack_make_domain(ts, domid)
            if introduce(ts, domid) != "OK":
                raise RuntimeError("introduce %d failed" % domid)
            for k in range(10):
                g.call(XS["WRITE"], b"data/k%d\0value" % k)
            g.call(XS["WATCH"], z("data", "w"))
            g.call(XS["TRANSACTION_START"], b"\0")
            g.send(XS["READ"], z("data/k1"))   # left unanswered in the ring
            if i % 2:
                ts.call(XS["RELEASE"], z(str(domid)))
            else:
                set_state(pdir, domid, "gone")
                virq(pdir)
                deadline = time.monotonic() + 5
                while ts.call(XS["IS_DOMAIN_INTRODUCED"], z(str(domid))) == b"T\0":
                    if time.monotonic() > deadline:
                        raise RuntimeError("domain %d not torn down" % domid)
                    time.sleep(0.02)
                os.unlink(os.path.join(pdir, "state-%d" % domid))
            ts.call(XS["RM"], z("/local/domain/%d" % domid))
        finally:
            g.close()
            os.unlink(g.path)
    ts.events.clear()


def part_sanitizers(tmp):
    """The domain lifecycle under AddressSanitizer/LeakSanitizer and valgrind:
    any leak or memory error fails."""
    runs = [("asan", XSD_ASAN, ()),
            ("valgrind", XSD_TEST, ("valgrind", "--leak-check=full", "--show-leak-kinds=all",
                                    "--errors-for-leak-kinds=all", "--error-exitcode=99", "-q"))]
    for name, binary, wrapper in runs:
        if name == "valgrind" and not shutil.which("valgrind"):
            rep.check("valgrind run", False, "valgrind is not installed")
            continue
        sub = os.path.join(tmp, name)
        pdir = os.path.join(sub, "platform")
        os.makedirs(pdir)
        d = Daemon(binary, sub, ["--test-platform", pdir], wrapper=wrapper,
                   env_extra={"ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0"})
        try:
            ts = d.wire()
            cycle_domains(ts, pdir, range(50, 70) if name == "asan" else range(50, 56))
            ts.call(XS["WRITE"], b"/x\0y")
            ts.call(XS["WATCH"], z("/x", "t"))
            ts.close()
        finally:
            rc = d.stop(timeout=120)
        err = d.stderr()
        bad = re.search(r"(ERROR: (AddressSanitizer|LeakSanitizer)|runtime error|"
                        r"definitely lost|Invalid (read|write)|still allocated)", err)
        rep.check("%s: lifecycle cycles clean" % name, rc == 0 and not bad,
                  "rc %s: %s" % (rc, err[-800:]))


def main():
    build = subprocess.run(["make", "-s", "-C", os.path.join(ROOT, "dom0", "xenstored"),
                            "BUILD=" + BUILD, "all", "asan"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
    if not rep.setup("build xenstored", build.returncode == 0,
                     build.stdout.decode()[-1000:]):
        rep.exit()
    for t in ("xenstore-read", "xenstore-write", "xenstore-ls", "xenstore-rm", "xenstore-chmod",
              "xenstore-watch", "xenstore-list", "xenstore-exists"):
        if not rep.setup("Debian tool %s present" % t, shutil.which(t) is not None,
                         "install xenstore-utils"):
            rep.exit()
    tmp = tempfile.mkdtemp(prefix="xenstored-test-")

    def subdir(name):
        path = os.path.join(tmp, name)
        os.makedirs(path)
        return path
    try:
        rep.run("tools scenario", lambda: part_tools(subdir("tools")))
        rep.run("domain scenario", lambda: part_domains(subdir("domains")))
        rep.run("sanitizer runs", lambda: part_sanitizers(subdir("sanitizers")))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    rep.exit()


if __name__ == "__main__":
    main()
