"""Driving Dom0's shell on the serial line: commands and their status, what
xl says about domains and memory, a guest's console through xl console.
Used by the integration tests that boot Dom0 and by `make bench`."""
import re
import time

import console
from basalt_test import Timeout


def sh(q, command, timeout=120):
    """Runs a shell command in Dom0 (serial input must be at Dom0, or at a
    guest's console attached with xl console) and returns its output."""
    return console.run(q, 0, command, timeout=timeout)


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
    """xl console NAME until the guest's init speaks; on a timeout, leaves
    what the hypervisor and xl say about the domains in the log."""
    q.mark()
    q.send("xl console %s\n" % name)
    try:
        q.expect(r"basalt-guest: init reached", timeout=timeout)
    except Timeout:
        q.send("\x1d")
        time.sleep(1)
        sh(q, "xl list; xl vcpu-list")
        console.input_to(q, "hypervisor")
        console.hypervisor_key(q, "d", 4)
        console.input_to(q, 0)
        raise


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
