"""Driving guests' consoles over the shared serial line.

Ctrl-A three times moves serial input to the next receiver (the hypervisor,
then each domain with a console on the line); the hypervisor announces each
move, which is how we know where input goes.
"""
import re
import time


def input_to(q, target, tries=8):
    """Moves serial input to `target`: "hypervisor" or a domain id (int)."""
    want = ("serial input to the hypervisor" if target == "hypervisor"
            else "serial input to domain %d " % target)
    for _ in range(tries):
        q.mark()
        q.send("\x01\x01\x01")
        m = q.expect(r"basalt: serial input to (the hypervisor|domain \d+ )", timeout=20)
        if m.group(0).endswith(want) or want in m.group(0):
            return
    raise AssertionError("could not move serial input to %s" % target)


_seq = [0]


def run(q, domid, command, timeout=60):
    """Runs a shell command in domain `domid` (input must be there) and
    returns what it printed between two unique markers. Dom0's console
    lines carry no (d0) prefix; other domains' do."""
    _seq[0] += 1
    tag = "BSLT%d" % _seq[0]
    prefix = "" if domid == 0 else r"\(d%d\) " % domid
    # The markers are built by the shell so that the echo of the typed
    # line itself does not match.
    q.send("echo %s_BEGIN$((1)); %s; echo %s_END$((2))\n" % (tag, command, tag))
    m = q.expect(r"^%s%s_BEGIN1\n((?:.*\n)*?)%s%s_END2" % (prefix, tag, prefix, tag), timeout=timeout)
    lines = [re.sub(r"^" + prefix, "", l) for l in m.group(1).splitlines()]
    return "\n".join(lines)


def exit_status(out):
    """N from a line "rc=N" that a command run with run() printed with
    `echo rc=$?`; None if there is none. No "$": the hypervisor's own log
    lines share the serial line and can land right after the digits."""
    m = re.search(r"^rc=(\d+)", out, re.M)
    return int(m.group(1)) if m else None


def hypervisor_key(q, key, settle=2.0):
    """Presses a hypervisor console key (input must be at the hypervisor)."""
    start = len(q.text())
    q.send(key)
    time.sleep(settle)
    return q.text()[start:]


def domain_dump(q, last_domain=None, timeout=30):
    """Presses `d` (input must be at the hypervisor) and returns the dump once
    it has listed the vCPUs of domain `last_domain` (a name; None: once the
    pool line is out), however long a loaded host takes to print it."""
    start = len(q.text())
    q.send("d")
    rx = re.compile(r"pool: \d+ pages free.*\n" if last_domain is None else
                    r"domain \d+ \(%s\).*\n\s+vcpu .*\n.*exits.*\n.*hypercalls.*\n" % re.escape(last_domain))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = q.text()[start:]
        if rx.search(text):
            return text
        time.sleep(0.2)
    raise AssertionError("no domain dump listing %s within %d s" % (last_domain, timeout))


def vcpu0(text, name):
    """(CPU, milliseconds run) of the vCPU 0 of domain `name` in a domain
    dump."""
    m = re.search(r"domain \d+ \(%s\).*\n\s+vcpu 0: .* on cpu (\d+), ran (\d+) ms" % re.escape(name), text)
    if not m:
        raise AssertionError("no vCPU 0 of %s in the dump" % name)
    return int(m.group(1)), int(m.group(2))


def pool_free(text):
    m = list(re.finditer(r"pool: (\d+) pages free of (\d+)", text))
    return int(m[-1].group(1)) if m else None


def domain_pages(text, domid):
    m = list(re.finditer(r"domain %d \(\S+\): \w+, (\d+) pages" % domid, text))
    return int(m[-1].group(1)) if m else None
