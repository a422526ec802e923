"""How the scheduler shares CPUs among three spinning guests, in the
hypervisor's own time: light (weight 256) and heavy (weight 512) compete for
CPU 1, capped (cap=25) has CPU 2 to itself. Used by test_pvh.py (with margins
a loaded host cannot break) and by `make bench` (the figures)."""
import time

import console
from basalt_test import guest

MODULES = [guest("spin.elf") + " domain name=light weight=256 cpus=1 memory=8 --",
           guest("spin.elf") + " domain name=heavy weight=512 cpus=1 memory=8 --",
           guest("spin.elf") + " domain name=capped cap=25 cpus=2 memory=8 --"]
QEMU = dict(smp=4, mem="1G", modules=MODULES)


def measure(q, seconds=30):
    """Once all three spin (serial input at the hypervisor): the milliseconds
    each ran over about `seconds`, as {name: ms}, and two figures from them,
    heavy's time over light's (the weights say 2) and capped's share of a
    CPU (the cap says 0.25). Light and heavy never stop running on CPU 1, so
    together they ran for as long as passed between the two dumps; the
    host's clock would add the time a loaded host takes to print a dump."""
    q.wait_all([r"\(d%d\) spin: spinning" % d for d in (1, 2, 3)], timeout=60)
    names = ("light", "heavy", "capped")
    a = console.domain_dump(q, "capped")
    time.sleep(seconds)
    b = console.domain_dump(q, "capped")
    ran = {n: console.vcpu0(b, n)[1] - console.vcpu0(a, n)[1] for n in names}
    ratio = ran["heavy"] / max(ran["light"], 1)
    share = ran["capped"] / max(ran["light"] + ran["heavy"], 1)
    return ran, ratio, share
