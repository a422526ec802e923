/*
 * SCHEDOP_poll: block until one of a few event-channel ports is pending
 * (whatever its mask), an upcall is pending, or the timeout passes. Linux's
 * PV spinlocks wait this way on a masked per-CPU port.
 */
#include <basalt/arch.h>
#include <basalt/domain.h>
#include <basalt/event.h>
#include <basalt/guest_access.h>
#include <basalt/lib.h>
#include <basalt/sched.h>
#include <basalt/time.h>
#include <xen/sched.h>

#define MAX_POLL_PORTS 128

/* The ports are read once, and NULL ends the wait before anything looks
 * at them: the timeout (vcpu_poll_timeout) can fire on this CPU between
 * timer_set and vcpu_block, while poll_nr still counts the ports. */
static bool poll_wake(struct vcpu *v)
{
    const evtchn_port_t *ports = READ_ONCE(v->poll_ports);
    return !ports || vcpu_event_pending(v) || evtchn_any_pending(v->dom, ports, v->poll_nr);
}

void vcpu_poll_timeout(void *data)
{
    struct vcpu *v = data;
    WRITE_ONCE(v->poll_ports, NULL);
    vcpu_wake(v);
}

/* The vCPU is running again: whatever woke it ended the poll. */
void vcpu_poll_done(struct vcpu *v)
{
    if (!v->poll_ports && !v->poll_nr)
        return;
    timer_stop(&v->poll_timer);
    WRITE_ONCE(v->poll_ports, NULL);
    v->poll_nr = 0;
}

/* struct sched_poll as a 32-bit caller (hvmloader) lays it out: a 32-bit
 * handle, the count, and the timeout 4-byte aligned right after it. */
struct sched_poll32 {
    uint32_t ports, nr_ports;
    uint32_t timeout_lo, timeout_hi;
};

long sched_poll(struct vcpu *v, uint64_t arg)
{
    struct sched_poll p;
    if (arch_hypercall_from_32bit(v)) {
        struct sched_poll32 p32;
        if (copy_from_guest(v, &p32, arg, sizeof(p32)))
            return -EFAULT;
        p.ports.p = (evtchn_port_t *)(uintptr_t)p32.ports;
        p.nr_ports = p32.nr_ports;
        p.timeout = (uint64_t)p32.timeout_hi << 32 | p32.timeout_lo;
    } else if (copy_from_guest(v, &p, arg, sizeof(p))) {
        return -EFAULT;
    }
    if (p.nr_ports > MAX_POLL_PORTS)
        return -EINVAL;
    evtchn_port_t *buf = v->poll_buf;
    if (p.nr_ports && copy_from_guest(v, buf, (gvaddr_t)(uintptr_t)p.ports.p, p.nr_ports * sizeof(*buf)))
        return -EFAULT;
    for (unsigned int i = 0; i < p.nr_ports; i++)
        if (buf[i] >= EVTCHN_MAX_PORTS)
            return -EINVAL;
    if (evtchn_any_pending(v->dom, buf, p.nr_ports))
        return 0;
    if (p.timeout && p.timeout <= now_ns())
        return 0;
    v->poll_nr = p.nr_ports;
    WRITE_ONCE(v->poll_ports, buf);
    if (p.timeout)
        timer_set(&v->poll_timer, p.timeout);
    if (!vcpu_block(v, poll_wake))
        vcpu_poll_done(v);
    return 0;
}
