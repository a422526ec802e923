"""Helpers for integration tests: boot QEMU, read the serial line, report.

Every test declares how many checks it reports (Report(plan=N) prints the
plan line "1..N") and prints lines "ok - NAME" or "not ok - NAME: why"; the
runner counts them and fails a file that reports fewer or more than planned.
A QEMU instance is always killed when its `with` block ends, and its serial
output is kept in build/tests/logs/ for post-mortems.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))
LOGS = os.path.join(BUILD, "tests", "logs")
HYPERVISOR = os.path.join(BUILD, "basalt.elf")
HYPERVISOR_SYMBOLS = os.path.join(BUILD, "hypervisor", "basalt-syms.elf")
GUESTS = os.path.join(BUILD, "guests")
# The QEMU every test boots: BASALT_QEMU (a path or a name on PATH) selects
# another build, e.g. to compare QEMU versions; scripts/run.sh, bench.py and
# boot-direct.sh honour it too.
QEMU = os.environ.get("BASALT_QEMU") or "qemu-system-x86_64"


class Timeout(Exception):
    pass


# Every way the hypervisor reports its own failure on the serial line:
# panic() and through it BUG_ON/ASSERT ("PANIC: BUG at FILE:LINE: cond",
# then "system halted"), hypervisor/common/panic.c and basalt/lib.h; an
# exception in the hypervisor, which stops only the CPU that took it while
# the others run on ("cpu N: fatal ... in the hypervisor", "cpu N stopped"),
# hypervisor/arch/x86/cpu/traps.c; a CPU that did not come up,
# hypervisor/arch/x86/smp.c. Not anchored at a line start: a guest's
# unfinished line may precede the hypervisor's on the shared serial line.
HYPERVISOR_FAILURE = re.compile(r"basalt: (PANIC: .*|system halted|cpu \d+: fatal .*|cpu \d+ stopped"
                                r"|cpu \d+ \(APIC id \d+\) did not start)")

# The run loop's words when it crashes a domain whose state QEMU's
# multi-threaded TCG lost at a #VMEXIT on CPU 0 (a race inside QEMU 7.2 and
# 10.0.2: docs/architecture.md, "One fault of QEMU's TCG"). Only a session
# that ends in this fault may be run again, and a check it fails names it
# in these words.
EMULATOR_FAULT = re.compile(r"basalt: domain \d+ \(\S+\) crashed: vCPU \d+: #VMEXIT returned the "
                            r"host's state, the guest's is lost \(emulator fault\)$", re.M)


def with_guest_cpus(cmdline, smp, kernel=HYPERVISOR):
    """The hypervisor's command line with guest_cpus=1-(smp-1) added, so
    that no guest vCPU runs on CPU 0: QEMU's multi-threaded TCG corrupts the
    first CPU's hidden flags (nested paging, GIF) from the other vCPU
    threads' FPU-state loads (docs/architecture.md, "One fault of QEMU's
    TCG"), which shows only on a CPU that enters and leaves guests. Not for
    one or two CPUs (a test of that shape keeps CPU 0), another kernel, or
    a line that names guest_cpus= itself."""
    if kernel != HYPERVISOR or smp < 3 or re.search(r"(^| )guest_cpus=", cmdline):
        return cmdline
    return (cmdline + " guest_cpus=1-%d" % (smp - 1)).strip()


class Qemu:
    """One QEMU process with its serial line on a pipe."""

    def __init__(self, name, cmdline="", modules=(), smp=4, mem="2G", cpu="max",
                 kernel=HYPERVISOR, extra=()):
        self.name = name
        self.kernel = kernel
        # QEMU's monitor, for post-mortems (cpu_report); a short path, as
        # socket paths must be.
        self._monitor_dir = tempfile.mkdtemp(prefix="basalt-mon-")
        self.monitor_path = os.path.join(self._monitor_dir, "m")
        cmdline = with_guest_cpus(cmdline, smp, kernel)
        self.argv = [QEMU, "-accel", "tcg", "-M", "q35", "-cpu", cpu,
                     "-smp", str(smp), "-m", mem, "-display", "none", "-vga", "none",
                     "-nodefaults", "-no-reboot",
                     "-monitor", "unix:%s,server=on,wait=off" % self.monitor_path,
                     "-chardev", "stdio,id=s0,signal=off", "-serial", "chardev:s0",
                     "-kernel", kernel, "-append", cmdline]
        if modules:
            self.argv += ["-initrd", ",".join(modules)]
        self.argv += list(extra)
        self.output = ""
        self.pos = 0  # expect() searches from here
        self._lock = threading.Lock()
        self.start_time = None
        self._scanned = 0          # output up to here holds no hypervisor failure
        self._failure_line = None

    def __enter__(self):
        os.makedirs(LOGS, exist_ok=True)
        self.log = open(os.path.join(LOGS, self.name + ".log"), "w")
        self.log.write("# " + " ".join(self.argv) + "\n")
        self.start_time = time.monotonic()
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, bufsize=0)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        return self

    def _read(self):
        while True:
            data = self.proc.stdout.read(4096)
            if not data:
                break
            text = data.decode("utf-8", "replace").replace("\r", "")
            with self._lock:
                self.output += text
            self.log.write(text)
            self.log.flush()

    def __exit__(self, *exc):
        self.kill()
        self.log.close()
        return False

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._reader.join(timeout=5)
        shutil.rmtree(self._monitor_dir, ignore_errors=True)

    def monitor(self, commands, timeout=20):
        """Runs QEMU monitor commands; returns their output."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as m:
            m.settimeout(timeout)
            m.connect(self.monitor_path)
            out = b""
            for c in [None] + list(commands):
                if c is not None:
                    m.sendall(c.encode() + b"\n")
                while not out.endswith(b"(qemu) "):
                    data = m.recv(65536)
                    if not data:
                        break
                    out += data
                if c is not None:
                    out += b"\n"  # the next prompt must be a new one
        return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", out.decode("utf-8", "replace")).replace("\r", "")

    def cpu_report(self):
        """Where each emulated CPU is, for a post-mortem of a hang: its RIP
        (with the hypervisor's function when it is in the hypervisor), the
        interrupt flag and whether it is in a guest. The machine is stopped
        for the reading so that the registers are current. Also written to
        the log."""
        try:
            text = self.monitor(["stop", "info registers -a", "cont"])
        except OSError as e:
            return ["no CPU report: %s" % e]
        # The hypervisor's code (linked where it runs); test guests' lies
        # below it, Linux's far above.
        syms = subprocess.run(["nm", HYPERVISOR_SYMBOLS], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True).stdout
        addr = dict((n, int(a, 16)) for a, _, n in re.findall(r"^([0-9a-f]+) (\w) (__image_start|__text_end)$",
                                                               syms, re.M))
        text_start, text_end = addr.get("__image_start", 1), addr.get("__text_end", 0)
        lines = []
        for cpu, regs in re.findall(r"CPU#(\d+)\n(.*?)(?=CPU#\d+\n|\(qemu\))", text, re.S):
            rip = re.search(r"RIP=([0-9a-f]+)", regs)
            efl = re.search(r"RFL=([0-9a-f]+)", regs)
            cr3 = re.search(r"CR3=([0-9a-f]+)", regs)
            hlt = re.search(r"HLT=(\d)", regs)
            where = rip.group(1) if rip else "?"
            if rip and text_start <= int(rip.group(1), 16) < text_end:
                # -i: the functions inlined there, innermost first.
                a2l = subprocess.run(["addr2line", "-f", "-i", "-e", HYPERVISOR_SYMBOLS, "0x" + rip.group(1)],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
                fn = " in ".join(a2l.stdout.split("\n")[0:-1:2]) if a2l.returncode == 0 else "?"
                where += " (hypervisor? %s)" % fn
            lines.append("cpu %s: RIP %s, IF=%s%s, CR3 %s" % (
                cpu, where, int(efl.group(1), 16) >> 9 & 1 if efl else "?", ", halted" if hlt and hlt.group(1) == "1"
                else "", cr3.group(1) if cr3 else "?"))
        self.log.write("# CPU report:\n" + "".join("#   %s\n" % l for l in lines))
        self.log.flush()
        return lines or ["no CPU report: %r" % text[-300:]]

    def elapsed(self):
        return time.monotonic() - self.start_time

    def expect(self, pattern, timeout=60):
        """Waits for a regex after the previous match; returns the match.
        Gives up at once when the hypervisor reports its own failure."""
        rx = re.compile(pattern, re.M)
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                m = rx.search(self.output, self.pos)
                if m:
                    self.pos = m.end()
                    return m
            failure = self.hypervisor_failure()
            if failure:
                raise Timeout("the hypervisor failed before %r: %s" % (pattern, failure))
            if time.monotonic() > deadline:
                raise Timeout("no %r within %ds" % (pattern, timeout))
            if self.proc.poll() is not None:
                time.sleep(0.2)
                with self._lock:
                    m = rx.search(self.output, self.pos)
                    if m:
                        self.pos = m.end()
                        return m
                raise Timeout("QEMU exited (%d) before %r" % (self.proc.returncode, pattern))
            time.sleep(0.05)

    def wait_all(self, patterns, timeout=60, fail=None):
        """Waits until every regex has matched somewhere (any order); gives up
        at once if the regex `fail` matches or the hypervisor reports its own
        failure."""
        deadline = time.monotonic() + timeout
        pending = [re.compile(p, re.M) for p in patterns]
        failed = re.compile(fail, re.M) if fail else None
        while pending:
            with self._lock:
                out = self.output
            pending = [p for p in pending if not p.search(out)]
            if not pending:
                return
            m = failed.search(out) if failed else None
            what = m.group(0) if m else self.hypervisor_failure()
            if what:
                raise Timeout("%r before: %s" % (what, ", ".join(p.pattern for p in pending)))
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise Timeout("missing: " + ", ".join(p.pattern for p in pending))
            time.sleep(0.05)

    def mark(self):
        """Later expect() calls only see output from now on."""
        with self._lock:
            self.pos = len(self.output)

    def text(self):
        with self._lock:
            return self.output

    def send(self, s):
        self.proc.stdin.write(s.encode())
        self.proc.stdin.flush()

    def running(self):
        return self.proc.poll() is None

    def hypervisor_failure(self):
        """The first line where the hypervisor reported its own failure, or
        None; scans only output it has not seen (the log can be megabytes)."""
        with self._lock:
            if self._failure_line is None:
                # A few characters back: a line may have arrived in pieces.
                m = HYPERVISOR_FAILURE.search(self.output, max(0, self._scanned - 64))
                self._scanned = len(self.output)
                if m:
                    self._failure_line = m.group(0)
            return self._failure_line

    def failure(self, exit_expected=False):
        """What says the hypervisor failed: a line where it reports its own
        failure, or QEMU gone when it should run (with -no-reboot a triple
        fault of the host ends QEMU, silently). None if nothing does."""
        line = self.hypervisor_failure()
        if line:
            return line
        if not exit_expected and not self.running():
            return "QEMU exited (status %s): a triple fault of the host?" % self.proc.returncode
        return None


class Report:
    """Prints the plan line and the result of each check. `plan` is the
    number of checks this file reports when everything runs (setup steps
    are not checks, see setup()); the runner fails a file that reports
    another number."""

    def __init__(self, plan):
        self.failed = 0
        self.retry_note = None
        print("1..%d" % plan, flush=True)

    def check(self, name, cond, why=""):
        note = " # retried" if self.retry_note else ""
        if cond:
            print("ok - %s%s" % (name, note), flush=True)
        else:
            self.failed += 1
            print("not ok - %s: %s%s" % (name, why, note), flush=True)
        return cond

    def setup(self, name, cond, why=""):
        """A step the checks need (a build, a tool), not a check itself:
        reported only when it fails."""
        if not cond:
            self.failed += 1
            print("not ok - %s: %s" % (name, why), flush=True)
        return cond

    def retrying(self, why):
        """Says that what follows is a second attempt: the checks until
        retried_done() carry "# retried", which the runner counts."""
        self.retry_note = why
        print("# retrying: %s" % why, flush=True)

    def retried_done(self):
        self.retry_note = None

    def no_hypervisor_failure(self, q, exit_expected=False):
        """The check every QEMU session ends with: the hypervisor did not
        report its own failure, and QEMU still runs unless `exit_expected`."""
        failure = q.failure(exit_expected)
        return self.check("no hypervisor crash (%s)" % q.name, failure is None, failure)

    def run(self, name, fn):
        """Runs fn(); a Timeout or exception is a failure of `name`."""
        try:
            fn()
            return True
        except Exception as e:  # noqa: BLE001 - any error fails this check only
            self.check(name, False, "%s: %s" % (type(e).__name__, e))
            return False

    def exit(self):
        sys.exit(1 if self.failed else 0)


class Held(Report):
    """The checks of one session, held back until it is known whether the
    session counts (it does not when it ended in the emulator's fault)."""

    def __init__(self):
        # Not Report's: that prints the plan, which REPORT has printed.
        self.failed = 0
        self.retry_note = None
        self.results = []

    def check(self, name, cond, why=""):
        self.results.append((name, bool(cond), why))
        if not cond:
            self.failed += 1
            print("# (held) not ok - %s" % name, flush=True)
        return cond

    def release(self, report):
        for name, cond, why in self.results:
            report.check(name, cond, why)


def held_sessions(report, session, name, use):
    """Runs session(name) with its checks held (use(held) makes a Held the
    one the checks go to); a session that failed and ended in the
    emulator's named fault (session returns that line, else None) is run
    once more as NAME-again, and only that one's checks count, as retried.
    Then reports them and exits."""
    held = Held()
    use(held)
    fault = session(name)
    if fault and held.failed:
        report.retrying("the first session ended in %r" % fault)
        held = Held()
        use(held)
        session(name + "-again")
    held.release(report)
    report.exit()


def stop_process(proc, timeout=60):
    """SIGTERM, then SIGKILL if it has not exited within timeout seconds;
    returns the exit status."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


def guest(name):
    return os.path.join(GUESTS, name)
