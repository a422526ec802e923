"""Helpers for integration tests: boot QEMU, read the serial line, report.

Every test declares how many checks it reports (Report(plan=N) prints the
plan line "1..N") and prints lines "ok - NAME" or "not ok - NAME: why"; the
runner counts them and fails a file that reports fewer or more than planned.
A QEMU instance is always killed when its `with` block ends, and its serial
output is kept in build/tests/logs/ for post-mortems.
"""
import os
import re
import signal
import subprocess
import sys
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))
LOGS = os.path.join(BUILD, "tests", "logs")
HYPERVISOR = os.path.join(BUILD, "basalt.elf")
GUESTS = os.path.join(BUILD, "guests")


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


class Qemu:
    """One QEMU process with its serial line on a pipe."""

    def __init__(self, name, cmdline="", modules=(), smp=4, mem="2G", cpu="max",
                 kernel=HYPERVISOR, extra=()):
        self.name = name
        self.argv = ["qemu-system-x86_64", "-accel", "tcg", "-M", "q35", "-cpu", cpu,
                     "-smp", str(smp), "-m", mem, "-display", "none", "-vga", "none",
                     "-nodefaults", "-no-reboot", "-monitor", "none",
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
