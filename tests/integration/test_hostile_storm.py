#!/usr/bin/env python3
"""Issue 10 (hardening): an SMP hostile domain beside Dom0 and a well-behaved one.

The storm guest (guests/storm.c, 3 vCPUs) runs every attack phase twice, one
round per life of the domain (it reboots in between); its partner lends it
grants and sends it events while it dies; steady keeps a memory pattern and a
heartbeat. Throughout, a Dom0 shell command must answer within 5 s. After each
of the storm's reaps the hypervisor's memory line must show the same free
pages and heap use as after the previous one (that is, as just before this
life of the storm was created), and the hypervisor's own free pages may not
have dropped to half during the round. `STORM_MODE` picks the phases (default
all, see guests/storm.c); a failure says which phase ran last.
"""
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from basalt_test import BUILD, Qemu, Report, Timeout, guest  # noqa: E402
import console  # noqa: E402

IMAGES = os.path.join(BUILD, "images")
DOM0 = [os.path.join(IMAGES, "vmlinux") + " console=hvc0 pci=nomsi quiet",
        os.path.join(IMAGES, "dom0-initramfs.cpio.gz")]
MODE = os.environ.get("STORM_MODE", "all")
ROUNDS = 2
PHASE_MS = 1500
STEADY, STORM, PARTNER = 1, 2, 3  # boot-time domains get ids in module order
DOM0_BOUND_S = 5  # issue 10: a Dom0 shell command answers within 5 s throughout
STALL_S = 120     # no new storm line for this long: the storm (or the hypervisor) hangs

# Dom0's unfinished lines (a prompt) may run into the hypervisor's: no ^ anchors.
MEMORY = re.compile(r"basalt: memory after the reap: pool (\d+) pages free, hypervisor (\d+) pages free "
                    r"\(lowest since the last report (\d+)\), heap (\d+) bytes in use, (\d+) pages of small objects")

# Checks: 5 for the storm as a whole, 3 per round after the first (memory
# back as the previous round left it), 1 per round (the hypervisor's low-water
# mark), 3 for steady and Dom0 afterwards, 1 for the hypervisor's own health.
r = Report(plan=5 + 3 * (ROUNDS - 1) + ROUNDS + 3 + 1)


def modules():
    return DOM0 + [
        guest("steady.elf") + " domain name=steady memory=32 --",
        guest("storm.elf") + " domain name=storm vcpus=3 memory=64 -- partner=%d rounds=%d phase_ms=%d mode=%s wait=1"
        % (PARTNER, ROUNDS, PHASE_MS, MODE),
        guest("partner.elf") + " domain name=partner vcpus=2 memory=16 -- storm=%d" % STORM]


def last_storm_line(text):
    lines = [l for l in text.splitlines() if "(d%d) storm:" % STORM in l]
    return lines[-1] if lines else "(none)"


def storm_destroyed(text):
    return re.findall(r"basalt: domain %d \(storm\) destroyed: (.*)" % STORM, text)


def storm_reaps(text):
    """(reason, pool, hv_free, hv_lowest, heap_bytes, heap_pages) per reap of the storm."""
    rx = re.compile(r"basalt: domain %d \(storm\) destroyed: (.*)\n(?:.*\n)*?.*?%s" % (STORM, MEMORY.pattern))
    return [(m.group(1),) + tuple(int(x) for x in m.groups()[1:]) for m in rx.finditer(text)]


def hv_failure(q):
    m = q.hypervisor_failure()
    return m and "the hypervisor failed: %r (last storm line: %s)" % (m, last_storm_line(q.text()))


def dump_for_post_mortem(q):
    """Where each CPU is, and the hypervisor's domain and timer dump, into the
    log; input back to Dom0."""
    print("# " + "\n# ".join(q.cpu_report()), flush=True)
    try:
        console.input_to(q, "hypervisor")
        console.domain_dump(q, "partner")
        console.input_to(q, 0)
    except (AssertionError, Timeout) as e:
        print("# no dump: %s" % e, flush=True)


def start_storm(q):
    """The storm starts on a key once Dom0 is up, so that Dom0 sees all of it."""
    q.expect(r"basalt-dom0: init reached", timeout=180)
    q.wait_all([r"\(d%d\) storm: waiting for a key" % STORM], timeout=60)
    console.input_to(q, STORM)
    for attempt in range(3):
        q.send("g")
        try:
            q.expect(r"\(d%d\) storm: round 1 of" % STORM, timeout=10)
            break
        except Timeout:
            print("# the storm did not start within 10 s of the key; sending it again", flush=True)
    else:
        dump_for_post_mortem(q)
        overdue = re.findall(r"cpu \d+: next timer overdue by \d+ us", q.text())
        raise Timeout("the storm did not start on three keys%s" % (" (%s)" % overdue[-1] if overdue else ""))
    console.input_to(q, 0)


def storm(q):
    try:
        start_storm(q)
        failure = None
    except Exception as e:  # noqa: BLE001 - the hypervisor's own failure, if any, is the news
        time.sleep(1)
        failure = hv_failure(q) or "starting the storm: %s: %s" % (type(e).__name__, e)
    r.check("Dom0 is up and the storm has started", failure is None or failure.startswith("the hypervisor"),
            failure)
    start = time.monotonic()
    latencies, seq = [], 0
    last_len, last_progress = 0, time.monotonic()
    while failure is None:
        text = q.text()
        failure = hv_failure(q)
        if failure:
            break
        done = storm_destroyed(text)
        if len(done) >= ROUNDS or any(not d.startswith("reboot") for d in done):
            break
        storm_text = "\n".join(l for l in text.splitlines() if "(d%d)" % STORM in l)
        if len(storm_text) != last_len:
            last_len, last_progress = len(storm_text), time.monotonic()
        elif time.monotonic() - last_progress > STALL_S:
            failure = "no storm progress for %d s; last: %s" % (STALL_S, last_storm_line(text))
            dump_for_post_mortem(q)
            break
        seq += 1
        t0 = time.monotonic()
        try:
            out = console.run(q, 0, "echo pong %d" % seq, timeout=DOM0_BOUND_S)
        except Timeout:
            time.sleep(1)  # a hypervisor failure is what to report, if that is why
            failure = hv_failure(q) or "Dom0 did not answer `echo` within %d s (last storm line: %s)" % (
                DOM0_BOUND_S, last_storm_line(q.text()))
            if not hv_failure(q):
                dump_for_post_mortem(q)
            break
        latencies.append(time.monotonic() - t0)
        # Other domains' lines may land between Dom0's, even mid-line.
        if not re.search(r"^pong %d\b" % seq, out, re.M):
            failure = "Dom0 answered %r to `echo pong %d`" % (out, seq)
            break
        time.sleep(2)
    ran_s = time.monotonic() - start
    print("# storm ran %.0f s; Dom0 answered %d commands in %s s" % (
        ran_s, len(latencies), " ".join("%.1f" % x for x in latencies)), flush=True)
    text = q.text()
    dom0_slow = failure and failure.startswith("Dom0 did not answer")
    crashed = failure and failure.startswith("the hypervisor failed")
    r.check("no hypervisor crash or hang during the storm", failure is None or dom0_slow, failure)
    r.check("Dom0 answered every shell command within %d s (%d commands)" % (DOM0_BOUND_S, len(latencies)),
            latencies and not dom0_slow and not crashed, failure if dom0_slow or crashed else "no command answered")

    done = storm_destroyed(text)
    r.check("the storm domain lived %d rounds, each ending in its own reboot or poweroff" % ROUNDS,
            done == ["reboot"] * (ROUNDS - 1) + ["poweroff"], "destroyed: %s" % done)
    bugs = [l for l in text.splitlines() if re.search(r"\(d\d+\) (storm|partner): BUG", l)]
    # Each round's last line counts the storm's BUG lines, which a console
    # phase's rate limit may have swallowed.
    counted = [int(n) for n in re.findall(r"\(d%d\) storm: round \d+ of \d+ done, (\d+) bugs seen" % STORM, text)]
    r.check("the storm and its partner saw no hypervisor misbehaviour", not bugs and not any(counted),
            "\n    ".join(bugs[:12]) or "the storm counted %s bugs in its rounds" % counted)

    # The memory line after each reap is the state just before the next life
    # of the storm was created: each life must leave it exactly as it was.
    # Round 1 follows Dom0's boot; each later one must leave the hypervisor
    # exactly as the one before it did. A Linux Dom0 allocates nothing while
    # idle, so the lines compare this one domain's life.
    reaps = storm_reaps(text)
    for i in range(1, ROUNDS):
        before, after = (reaps[i - 1], reaps[i]) if len(reaps) > i else (None, None)
        missing = "round %d never ended (%d reaps)" % (i + 1, len(reaps))
        r.check("round %d gave back every page of the pool" % (i + 1), after and after[1] == before[1],
                after and "pool free %d before, %d after" % (before[1], after[1]) or missing)
        r.check("round %d left the hypervisor's heap as it found it" % (i + 1), after and after[4] == before[4],
                after and "heap bytes in use %d before, %d after" % (before[4], after[4]) or missing)
        r.check("round %d gave back every hypervisor page" % (i + 1),
                after and after[2] + after[5] == before[2] + before[5],
                after and "free + small-object pages %d before, %d after" % (before[2] + before[5],
                                                                           after[2] + after[5]) or missing)
    boot = re.search(r"memory before the boot-time domains: pool \d+ pages free, hypervisor (\d+) pages free", text)
    previous = int(boot.group(1)) if boot else 0
    for i in range(ROUNDS):
        lowest = reaps[i][3] if len(reaps) > i else None
        r.check("round %d: the hypervisor kept at least half its free pages" % (i + 1),
                lowest is not None and lowest * 2 >= previous,
                "lowest %s, %d free before the round" % (lowest, previous))
        previous = reaps[i][2] if len(reaps) > i else previous

    # The well-behaved domain: pattern intact, heartbeat going on.
    beats = re.findall(r"\(d%d\) steady: beat (\d+) pattern (\S+)" % STEADY, text)
    corrupt = [b for b in beats if b[1] != "ok"]
    r.check("steady's memory pattern stayed intact (%d beats)" % len(beats), beats and not corrupt,
            "corrupt at beats %s" % [b[0] for b in corrupt][:5])
    # The heartbeat must outlive the storm: a beat after its last line, be
    # that its poweroff or the line it stalled after.
    last = text.rfind("(d%d) storm:" % STORM)
    if crashed:
        beat_after = None
    else:
        beat_after = re.compile(r"\(d%d\) steady: beat" % STEADY).search(q.text(), max(last, 0))
        if not beat_after:
            q.mark()
            try:
                q.expect(r"\(d%d\) steady: beat \d+" % STEADY, timeout=30)
                beat_after = True
            except Timeout:
                pass
    r.check("steady's heartbeat went on after the storm's last line", beat_after,
            "the hypervisor crashed" if crashed else "no beat within 30 s of: %s" % last_storm_line(text))
    out = None
    if not crashed:
        q.mark()
        try:
            out = console.run(q, 0, "echo after $((6*7))", timeout=DOM0_BOUND_S)
        except Timeout as e:
            out = str(e)
    r.check("after the storm, Dom0 still answers", out and re.search(r"^after 42\b", out, re.M),
            "the hypervisor crashed" if crashed else out)


with Qemu("hostile-storm", cmdline="dom0_mem=512M", modules=modules(), smp=4, mem="2G") as q:
    r.run("storm", lambda: storm(q))
    r.no_hypervisor_failure(q)
r.exit()
