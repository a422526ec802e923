"""Driving Dom0's shell on the serial line: commands and their status, what
xl says about domains and memory, a guest's console through xl console.
Used by the integration tests that boot Dom0 and by `make bench`.

When Dom0's shell or a guest does not answer, the error says what the serial
line showed (explain()): CI keeps nothing else of a session."""
import contextlib
import re
import sys
import time

import console
from basalt_test import EMULATOR_FAULT, LOGS, Timeout

# Lines of the serial log (the hypervisor's and Dom0's, and guests' through
# xl console) that say why something stopped: a domain crashed, a panic or
# BUG of Linux or the hypervisor, an RCU stall, a hung task, a watchdog of
# Linux's or the hypervisor's "timer watchdog:" (common/timer.c), the
# emulator fault, a CPU's fatal exception in the hypervisor. Case matters
# for BUG, RCU, Oops and fatal ("debug" is no bug; every guest's kernel says
# "PCI: Fatal: No config space access function found").
TROUBLE = re.compile(r"(?i:crash|panic|watchdog|emulator fault|blocked for more than)"
                     r"|\bBUG\b|\brcu\b|\bRCU\b|\bOops\b|\bfatal\b")
TAIL_LINES = 40
TROUBLE_FIRST, TROUBLE_LAST = 8, 24
LINE_CHARS = 200


class Unanswered(Timeout):
    """A Timeout that explain() has already printed the serial line for."""


def _printable(line):
    line = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|[^\t\x20-\x7e\x80-\U0010ffff]", "", line)
    return line if len(line) <= LINE_CHARS else line[:LINE_CHARS] + "..."


def emulator_fault(q):
    """The run loop's line naming the emulator fault, if the session has one."""
    m = EMULATOR_FAULT.search(q.text())
    return m.group(0) if m else None


def explain(q, why):
    """Prints, as TAP comments, the end of the serial line and every line of
    the session that reports trouble (TROUBLE), both bounded; returns `why`
    with the emulator fault's line added when the session has one, so that
    the "not ok" line names it."""
    lines = [l for l in q.text().splitlines() if l.strip()]
    # The echo of commands typed into a shell says nothing about trouble.
    trouble = [l for l in lines if TROUBLE.search(l) and not re.search(r"BSLT\d+_BEGIN\$", l)]
    print("# %s" % _printable(why))
    print("# the serial line, last %d of %d lines (all of it: %s/%s.log):" % (
        min(TAIL_LINES, len(lines)), len(lines), LOGS, q.name))
    for l in lines[-TAIL_LINES:]:
        print("#   | " + _printable(l))
    print("# lines of the whole session reporting trouble (crash, panic, BUG, RCU, watchdog, "
          "emulator fault): %d" % len(trouble))
    if len(trouble) > TROUBLE_FIRST + TROUBLE_LAST:
        left_out = len(trouble) - TROUBLE_FIRST - TROUBLE_LAST
        trouble = trouble[:TROUBLE_FIRST] + ["... %d more ..." % left_out] + trouble[-TROUBLE_LAST:]
    for l in trouble:
        print("#   ! " + _printable(l))
    sys.stdout.flush()
    fault = emulator_fault(q)
    return "%s; the session has the emulator fault: %s" % (why, fault) if fault else why


@contextlib.contextmanager
def explained(q):
    """A Timeout inside becomes an Unanswered one that explain() has printed
    the serial line for (once: an inner explained() already did)."""
    try:
        yield
    except Unanswered:
        raise
    except Timeout as e:
        raise Unanswered(explain(q, str(e))) from e


def sh(q, command, timeout=120):
    """Runs a shell command in Dom0 (serial input must be at Dom0, or at a
    guest's console attached with xl console) and returns its output."""
    with explained(q):
        return console.run(q, 0, command, timeout=timeout)


def answers(q, timeout=60):
    """Whether the shell on the console runs a command within timeout s."""
    try:
        console.run(q, 0, "true", timeout=timeout)
        return True
    except Timeout:
        return False


def rc_of(out, name="rc"):
    """The exit status a command line reported with `echo NAME=$?`.
    No "$": the hypervisor's own log lines share the serial line and can
    land right after the digits ("rc=0basalt: domain 1 ... destroyed")."""
    m = re.search(r"^%s=(\d+)" % name, out, re.M)
    return int(m.group(1)) if m else None


def free_memory(q, domains=1, timeout=60):
    """xl info's free memory (MiB) once `domains` domains exist (Dom0 and
    the guests the caller expects). xl destroy returns before the
    hypervisor has reaped the domain and freed its memory, and a domain
    being reaped still counts in nr_domains."""
    deadline = time.monotonic() + timeout
    while True:
        out = sh(q, "xl info")
        m = re.search(r"^free_memory\s*:\s*(\d+)", out, re.M)
        if re.search(r"^nr_domains\s*:\s*%d$" % domains, out, re.M) or time.monotonic() > deadline:
            return int(m.group(1)) if m else None
        time.sleep(1)


def domains(q):
    """xl list as {name: id}."""
    out = sh(q, "xl list")
    doms = {}
    for line in out.splitlines()[1:]:
        f = line.split()
        if len(f) >= 2 and f[1].isdigit():
            doms[f[0]] = int(f[1])
    return doms


def list_row(q, name):
    """xl list NAME as (memory MiB, online vCPUs, state), or None."""
    out = sh(q, "xl list %s" % name)
    m = re.search(r"^%s\s+\d+\s+(\d+)\s+(\d+)\s+(\S+)" % re.escape(name), out, re.M)
    return (int(m.group(1)), int(m.group(2)), m.group(3)) if m else None


def attach_until_init(q, name, timeout=300):
    """xl console NAME until the guest's init speaks. On a timeout, leaves
    what xl and the hypervisor say about the domains on the serial line,
    and raises an Unanswered that says whether Dom0's shell still answered
    (a hung guest, or a hung Dom0)."""
    q.mark()
    q.send("xl console %s\n" % name)
    try:
        q.expect(r"basalt-guest: init reached", timeout=timeout)
    except Timeout as e:
        why = str(e)
        q.send("\x1d")
        time.sleep(1)
        try:
            console.run(q, 0, "xl list; xl vcpu-list", timeout=120)
            why += "; Dom0's shell answered afterwards (xl list)"
        except Timeout:
            why += "; Dom0's shell did not answer afterwards either"
        try:
            console.input_to(q, "hypervisor")
            console.hypervisor_key(q, "d", 4)
            console.input_to(q, 0)
        except (AssertionError, Timeout) as e2:
            why += "; the hypervisor's console did not answer: %s" % e2
        raise Unanswered(explain(q, why)) from e


def attach(q, name):
    """xl console NAME, for a guest past its init: returns once its shell
    answers."""
    q.send("xl console %s\n" % name)
    time.sleep(1)
    q.send("\n")
    sh(q, "true", timeout=60)


def detach(q):
    """Ctrl-] leaves xl console: back in Dom0's shell."""
    q.send("\x1d")
    time.sleep(1)
    sh(q, "true", timeout=60)
