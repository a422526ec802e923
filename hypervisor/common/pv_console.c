/*
 * The PV console of boot-time domains, served by the hypervisor: the guest
 * writes into the ring's `out` half and notifies a port whose other end is
 * the hypervisor; we print what it wrote, prefixed "(dID) ". Serial input
 * routed to the domain goes into the `in` half. Indices are the guest's to
 * corrupt: they are read once, checked, and a bad ring is simply ignored.
 */
#include <basalt/domain.h>
#include <basalt/event.h>
#include <basalt/guest_console.h>
#include <basalt/lib.h>
#include <basalt/mm.h>
#include <basalt/p2m.h>
#include <basalt/pv_console.h>
#include <xen/hvm/params.h>
#include <xen/io/console.h>

/* The ring, held by a page reference (ring_put drops it): a guest that
 * balloons the page out meanwhile leaves it orphaned, not freed under us. */
static struct xencons_interface *ring_get(struct domain *d, mfn_t *mfn)
{
    if (!d->pv_console_port)
        return NULL;
    *mfn = p2m_get_page(d, d->hvm_params[HVM_PARAM_CONSOLE_PFN], P2M_TYPE(P2M_RAM), NULL);
    return *mfn == INVALID_MFN ? NULL : mfn_to_virt(*mfn);
}

static void ring_put(mfn_t mfn)
{
    page_put(mfn);
}

static void console_kick(struct domain *d, evtchn_port_t port)
{
    mfn_t mfn;
    struct xencons_interface *r = ring_get(d, &mfn);
    if (!r)
        return;
    XENCONS_RING_IDX cons = READ_ONCE(r->out_cons), prod = READ_ONCE(r->out_prod);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (prod - cons > sizeof(r->out)) {
        ring_put(mfn);
        return; /* corrupt indices: nothing sensible to print */
    }
    char buf[sizeof(r->out)];
    unsigned int n = 0;
    for (; cons != prod; cons++)
        buf[n++] = r->out[MASK_XENCONS_IDX(cons, r->out)];
    guest_console_write(d, buf, n);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    WRITE_ONCE(r->out_cons, cons);
    ring_put(mfn);
    evtchn_notify_hypervisor_port(d, port); /* room again for a writer that waits */
}

int pv_console_setup(struct domain *d, gfn_t gfn)
{
    int port = evtchn_alloc_hypervisor(d, console_kick);
    if (port < 0)
        return port;
    d->pv_console_port = (evtchn_port_t)port;
    d->hvm_params[HVM_PARAM_CONSOLE_PFN] = gfn;
    d->hvm_params[HVM_PARAM_CONSOLE_EVTCHN] = (uint64_t)port;
    return 0;
}

void pv_console_release(struct domain *d)
{
    d->pv_console_port = 0;
}

bool pv_console_is_local(struct domain *d)
{
    return d->pv_console_port != 0;
}

void pv_console_input(struct domain *d, char c)
{
    mfn_t mfn;
    struct xencons_interface *r = ring_get(d, &mfn);
    if (!r)
        return;
    XENCONS_RING_IDX cons = READ_ONCE(r->in_cons), prod = READ_ONCE(r->in_prod);
    bool room = prod - cons < sizeof(r->in); /* else full (or corrupt): drop the key */
    if (room) {
        r->in[MASK_XENCONS_IDX(prod, r->in)] = c;
        __atomic_thread_fence(__ATOMIC_RELEASE);
        WRITE_ONCE(r->in_prod, prod + 1);
    }
    ring_put(mfn);
    if (room)
        evtchn_notify_hypervisor_port(d, d->pv_console_port);
}

void console_input_notify_dom0(struct domain *d)
{
    send_guest_global_virq(d, VIRQ_CONSOLE);
}
