#!/usr/bin/env python3
"""Boot-time PVH domains running Debian's stock kernel (issue: PVH domains)."""
import calendar
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from basalt_test import BUILD, EMULATOR_FAULT, Qemu, Report  # noqa: E402
import console  # noqa: E402
import sched_shares  # noqa: E402

VMLINUX = os.path.join(BUILD, "images", "vmlinux")
INITRD = os.path.join(BUILD, "images", "domu-initramfs.cpio.gz")
RTC = "2031-03-04T05:06:07"
RTC_EPOCH = calendar.timegm(time.strptime(RTC, "%Y-%m-%dT%H:%M:%S"))

r = Report(plan=19)


def linux(name, vcpus=2, mem=256, extra=""):
    return ["%s domain name=%s vcpus=%d memory=%d -- console=hvc0 quiet %s" % (VMLINUX, name, vcpus, mem, extra),
            "%s initrd name=%s" % (INITRD, name)]


# The emulator's named fault (basalt_test.EMULATOR_FAULT, the run loop's
# words in hypervisor/arch/x86/svm/run.c): with two SMP guests booting at
# once it hit about one boot in 25 while guests ran on CPU 0. A boot that
# ends in that fault is tried once more, and the checks of the second boot
# say "# retried". Any other crash fails at once: a triple fault of a Linux
# domain is what real NPT, IDT, CPUID or event-channel bugs look like.
LINUX_CRASHED = r"basalt: domain \d+ \(linux\d\) (crashed|destroyed): .*$"
FACTS = r"^\(d%d\) basalt-guest: hypervisor=(\S*) nproc=(\d+) uptime=\S+ date=(\d+)"


def boot_two_linux_domains():
    for attempt in (1, 2):
        q = Qemu("pvh-two" if attempt == 1 else "pvh-two-again", smp=4, mem="2G",
                 modules=linux("linux1") + linux("linux2"), extra=["-rtc", "base=" + RTC])
        q.__enter__()
        try:
            boot = q.expect(r"basalt: domain pool: (\d+) pages free", timeout=60)
            # When each domain's facts were first seen: the latest moment
            # its clock can have been read.
            seen = {}
            for d in (1, 2):
                q.wait_all([FACTS % d], timeout=300, fail=LINUX_CRASHED)
                now = q.elapsed()
                for e in (1, 2):
                    if e not in seen and re.search(FACTS % e, q.text(), re.M):
                        seen[e] = now
            return q, int(boot.group(1)), seen
        except Exception:
            fault = EMULATOR_FAULT.search(q.text())
            q.__exit__(None, None, None)
            if attempt == 2 or not fault:
                raise
            r.retrying("the first boot ended in %r" % fault.group(0))


def two_linux_domains():
    q, pool_before, seen = boot_two_linux_domains()
    try:
        r.check("two SMP Linux domains reach init concurrently", True)
        text = q.text()
        for d in (1, 2):
            m = re.search(FACTS % d, text, re.M)
            r.check("d%d: /sys/hypervisor/type is xen" % d, m and m.group(1) == "xen", m and m.group(0))
            r.check("d%d: nproc is 2" % d, m and m.group(2) == "2", m and m.group(0))
            # The guest's clock starts from the RTC QEMU was given, which
            # counts from QEMU's start: the date read lies between that and
            # when we saw it (plus a second of rounding each way), however
            # slowly a loaded host booted the guest.
            date = int(m.group(3)) if m else None
            r.check("d%d: date is the wall clock handed to the hypervisor" % d,
                    date is not None and RTC_EPOCH - 1 <= date <= RTC_EPOCH + seen[d] + 1,
                    "date %s s after the RTC's, seen %.0f s after QEMU started" %
                    (date - RTC_EPOCH if date is not None else None, seen[d]))

        # Each uptime is read somewhere between sending the command and
        # seeing its answer, which a loaded host can stretch to seconds:
        # the rate is only known within the bounds those give, and the
        # check asks that they allow 1 +- 5%.
        console.input_to(q, 1)
        s1 = time.monotonic()
        u1 = float(console.run(q, 1, "cut -d' ' -f1 /proc/uptime"))
        e1 = time.monotonic()
        time.sleep(20)
        s2 = time.monotonic()
        u2 = float(console.run(q, 1, "cut -d' ' -f1 /proc/uptime"))
        e2 = time.monotonic()
        slow, fast = (u2 - u1) / (e2 - s1), (u2 - u1) / (s2 - e1)
        r.check("d1: /proc/uptime advances at the host clock's rate (within 5%)",
                slow <= 1.05 and fast >= 0.95, "rate between %.3f and %.3f" % (slow, fast))

        # poweroff in d1 must leave d2 running and give d1's memory back.
        q.send("poweroff -f\n")
        q.expect(r"basalt: domain 1 \(linux1\) destroyed: poweroff", timeout=120)
        r.check("poweroff in d1 destroys it with reason poweroff", True)
        console.input_to(q, "hypervisor")
        dump = console.domain_dump(q, "linux2")
        free, d2_pages = console.pool_free(dump), console.domain_pages(dump, 2)
        r.check("the pool gets d1's memory back (free = before - d2)",
                free is not None and d2_pages and free == pool_before - d2_pages,
                "before %s, now %s, d2 holds %s" % (pool_before, free, d2_pages))
        console.input_to(q, 2)
        out = console.run(q, 2, "echo alive $((40+2))")
        r.check("d2 keeps running after d1's poweroff", out.strip() == "alive 42", repr(out))

        # reboot rebuilds a boot-time domain from the same modules.
        q.send("reboot -f\n")
        q.expect(r"basalt: domain 2 \(linux2\) destroyed: reboot", timeout=120)
        q.expect(r"basalt: domain 2 \(linux2\) created", timeout=60)
        q.expect(r"\(d2\) basalt-guest: init reached", timeout=300)
        r.check("reboot in d2 rebuilds it and it boots again", True)

        # A kernel crash ends in SCHEDOP_shutdown(crash): logged, destroyed.
        console.input_to(q, 2)
        q.send("echo c > /proc/sysrq-trigger\n")
        q.expect(r"basalt: domain 2 \(linux2\) destroyed: crash", timeout=120)
        r.check("a guest kernel panic destroys the domain with reason crash", True)
        console.input_to(q, "hypervisor")
        time.sleep(2)  # the reaper frees d2 right after its "destroyed" line
        dump = console.domain_dump(q)
        r.check("with both domains gone the pool is back where it started",
                console.pool_free(dump) == pool_before, "before %s, now %s" % (pool_before, console.pool_free(dump)))
        cpus = q.expect(r"(  cpu \d+: .*\n){4}", timeout=30).group(0)
        r.check("the dump says when each CPU's next timer is due, none overdue by a second",
                not re.search(r"overdue by \d{7,} us", cpus), cpus)
        r.no_hypervisor_failure(q)
    finally:
        q.__exit__(None, None, None)
        r.retried_done()


def weights_and_caps():
    with Qemu("pvh-sched", **sched_shares.QEMU) as q:
        ran, ratio, share = sched_shares.measure(q, 30)
        # The weights give heavy twice light's time; make bench has the
        # figure. On a loaded host the CPU's thread stalls, the vCPU caught
        # running is charged the stall, and the scheduler forgives debt
        # beyond one slice (sched.c, burn_credit): the ratio drifts towards
        # 1 (1.55 seen at load 11 on 2 host CPUs). The bounds still fail
        # weights that are ignored or inverted.
        r.check("weights 256:512 on one CPU: heavy runs 1.25 to 2.2 times as long as light over 30 s",
                1.25 <= ratio <= 2.2, "light %d ms, heavy %d ms, ratio %.3f" % (ran["light"], ran["heavy"], ratio))
        # A cap is a ceiling: the domain may lose some of its share to a busy
        # host (a halted virtual CPU waits for its thread), never exceed it.
        r.check("cap=25 holds a spinning domain to at most 25% of a CPU (+10%)", 0.15 <= share <= 0.275,
                "capped %d ms while CPU 1 ran %d ms: share %.3f" % (ran["capped"], ran["light"] + ran["heavy"],
                                                                    share))
        r.no_hypervisor_failure(q)


r.run("two Linux domains", two_linux_domains)
r.run("weights and caps", weights_and_caps)
r.exit()
