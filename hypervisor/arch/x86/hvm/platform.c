/*
 * An HVM domain's platform as a whole: making and tearing down its devices
 * (asm/hvm_domain.h), and the smallest of them, the port 0xE9 console
 * (hvmloader and SeaBIOS write their log there; it goes to the hypervisor's
 * log as "(dID) text", rate-limited like every guest's output).
 */
#include <asm/hvm_domain.h>
#include <asm/ioport.h>
#include <asm/vioapic.h>
#include <basalt/domain.h>
#include <basalt/guest_console.h>
#include <basalt/lib.h>
#include <basalt/mm.h>

static void debug_port_write(struct vcpu *v, uint16_t port, unsigned int size, uint32_t val)
{
    char c = (char)val;
    guest_console_write(v->dom, &c, 1);
}

int hvm_misc_ports_init(struct domain *d)
{
    return ioport_register(d, 0xe9, 1, NULL, debug_port_write);
}

int hvm_domain_init(struct domain *d)
{
    struct hvm_domain *h = xnew(struct hvm_domain);
    if (!h)
        return -ENOMEM;
    spin_lock_init(&h->ioreq.lock);
    d->arch.hvm = h;
    int rc = vpic_ports_init(d);
    if (!rc)
        rc = vpit_init(d);
    if (!rc)
        rc = vrtc_init(d);
    if (!rc)
        rc = pmtimer_init(d);
    if (!rc)
        rc = hvm_misc_ports_init(d);
    if (!rc)
        rc = vioapic_hvm_init(d);
    return rc; /* on failure arch_domain_destroy undoes what was made */
}

void hvm_domain_destroy(struct domain *d)
{
    struct hvm_domain *h = d->arch.hvm;
    if (!h)
        return;
    hvm_ioreq_destroy_all(d);
    /* Timers were initialised with the domain's devices, armed or not. */
    vpit_destroy(d);
    vrtc_destroy(d);
    pmtimer_destroy(d);
    d->arch.hvm = NULL;
    xfree(h);
}
