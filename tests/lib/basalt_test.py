"""Helpers for integration tests: boot QEMU, read the serial line, report.

Every test prints lines "ok - NAME" or "not ok - NAME: why" (the runner
counts them). A QEMU instance is always killed when its `with` block ends,
and its serial output is kept in build/tests/logs/ for post-mortems.
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
        """Waits for a regex after the previous match; returns the match."""
        rx = re.compile(pattern, re.M)
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                m = rx.search(self.output, self.pos)
                if m:
                    self.pos = m.end()
                    return m
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
        at once if the regex `fail` matches."""
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
            if m:
                raise Timeout("%r before: %s" % (m.group(0), ", ".join(p.pattern for p in pending)))
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


class Report:
    def __init__(self):
        self.failed = 0

    def check(self, name, cond, why=""):
        if cond:
            print("ok - " + name, flush=True)
        else:
            self.failed += 1
            print("not ok - %s: %s" % (name, why), flush=True)
        return cond

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
