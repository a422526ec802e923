/*
 * Event channels (common/event_channel.c) and vcpu_info registration
 * (common/shared_info.c): port states through allocate, bind, send, close
 * and reset; what a send sets in shared_info and vcpu_info; a send to a
 * domain being torn down; argument errors as Xen reports them; two vCPUs
 * registering one vcpu_info at once; a close while the peer domain is
 * destroyed.
 */
#include "tests/lib/tap.h"
#include "tests/unit/hv/host.h"

#include "hypervisor/common/event_channel.c"

#include <basalt/memory.h>
#include <basalt/pv_console.h>
#include <basalt/shared_info.h>
#include <xen/io/console.h>
#include <stdio.h>
#include <xen/vcpu.h>

static struct domain *a, *b;
static uint64_t pool_total;

static long op(struct domain *d, unsigned int cmd, void *arg)
{
    return do_event_channel_op(d->vcpus[0], cmd, (uintptr_t)arg, 0, 0, 0);
}

static int status_of(struct domain *d, evtchn_port_t port, struct evtchn_status *st)
{
    *st = (struct evtchn_status){ .dom = DOMID_SELF, .port = port };
    return (int)op(d, EVTCHNOP_status, st);
}

static bool pending(struct domain *d, evtchn_port_t port)
{
    return d->shared_info->evtchn_pending[port / BITS_PER_WORD] & (1UL << (port % BITS_PER_WORD));
}

/* Interdomain channel: a's port pa <-> b's port pb. */
static void connect(evtchn_port_t *pa, evtchn_port_t *pb)
{
    struct evtchn_alloc_unbound u = { .dom = DOMID_SELF, .remote_dom = b->id };
    op(a, EVTCHNOP_alloc_unbound, &u);
    struct evtchn_bind_interdomain bi = { .remote_dom = a->id, .remote_port = u.port };
    op(b, EVTCHNOP_bind_interdomain, &bi);
    *pa = u.port;
    *pb = bi.local_port;
}

/* Finding 8: a peer's send while b's vCPUs are being freed (vCPU 0 is
 * gone when vCPU 1's turn comes). */
static evtchn_port_t send_port;
static bool send_during_teardown;
static long send_rc = -1;
static uint32_t peer_state_then = ~0u;
static int status_of(struct domain *d, evtchn_port_t port, struct evtchn_status *st);

void arch_vcpu_destroy(struct vcpu *v)
{
    if (send_during_teardown && v->dom == b && v->id == 1) {
        send_during_teardown = false;
        struct evtchn_status st;
        status_of(a, send_port, &st);
        peer_state_then = st.status;
        send_rc = evtchn_send(a, send_port);
    }
}

/* The boot-time console ring, read by the hypervisor while the guest
 * balloons its page out. */
#define RING_GFN 0x50
static mfn_t ring_mfn;
static int ring_port;
static bool ring_page_was_free;

void guest_console_write(struct domain *d, const char *buf, size_t n)
{
    if (mfn_to_page(ring_mfn)->owner == OWNER_NONE)
        ring_page_was_free = true;
}

static void fresh_console(void)
{
    a = hv_domain(1, 1, 16);
    domain_populate(a, RING_GFN, 1);
    ring_mfn = p2m_lookup(a, RING_GFN, NULL);
    pv_console_setup(a, RING_GFN);
    ring_port = (int)a->pv_console_port;
    struct xencons_interface *r = mfn_to_virt(ring_mfn);
    memcpy(r->out, "hello\n", 6);
    r->out_prod = 6;
    ring_page_was_free = false;
}
static void op_kick(void *unused) { evtchn_send(a, (evtchn_port_t)ring_port); }
static void race_balloon_ring(void *unused) { domain_release_gfn(a, RING_GFN, NULL); }
static bool ring_read_alive(char *why, size_t len)
{
    bool ok = !ring_page_was_free && ring_port > 0;
    if (!ok)
        snprintf(why, len, ring_port > 0 ? "the console ring was read from a freed page" : "no console port");
    hv_destroy(a);
    if (ok && zone_free_pages(ZONE_POOL) != pool_total) {
        snprintf(why, len, "the pool has %lu of its %lu pages", zone_free_pages(ZONE_POOL), pool_total);
        ok = false;
    }
    return ok;
}

/* vcpu_info registered by two vCPUs at once. */
#define VI_GFN 0x40
static int rc_main, rc_race;
static void fresh_vcpu_info(void)
{
    a = hv_domain(1, 2, 16);
    domain_populate(a, VI_GFN, 1);
    rc_main = rc_race = -99;
}
static void op_register(void *unused)
{
    struct vcpu_register_vcpu_info r = { .mfn = VI_GFN, .offset = 0 };
    rc_main = (int)do_vcpu_op(a->vcpus[0], VCPUOP_register_vcpu_info, 1, (uintptr_t)&r, 0, 0);
}
static void race_register(void *unused)
{
    struct vcpu_register_vcpu_info r = { .mfn = VI_GFN, .offset = 128 };
    rc_race = (int)do_vcpu_op(a->vcpus[1], VCPUOP_register_vcpu_info, 1, (uintptr_t)&r, 0, 0);
}
static bool registered_once(char *why, size_t len)
{
    mfn_t m = p2m_lookup(a, VI_GFN, NULL);
    unsigned int refs = mfn_to_page(m)->refs;
    bool ok = (rc_main == 0) + (rc_race == 0) == 1 && refs == 1 && a->vcpus[1]->vcpu_info_mfn == m;
    if (!ok)
        snprintf(why, len, "statuses %d %d, the page has %u references", rc_main, rc_race, refs);
    hv_destroy(a);
    if (ok && zone_free_pages(ZONE_POOL) != pool_total) {
        snprintf(why, len, "the pool has %lu of its %lu pages", zone_free_pages(ZONE_POOL), pool_total);
        ok = false;
    }
    return ok;
}

/* A port closed while its peer domain is destroyed (and freed) on another
 * CPU: the closer must never touch the peer once it could be gone. */
static struct domain *closer, *peer;
static evtchn_port_t close_port;
static spinlock_t *peer_lock;
static spinlock_t peer_lock_freed; /* its bytes just after the peer was freed */
static bool peer_gone;
static long close_rc;

static void fresh_pair(void)
{
    a = hv_domain(1, 1, 16);
    b = hv_domain(2, 1, 16);
    evtchn_port_t pa, pb;
    connect(&pa, &pb);
    peer_gone = false;
    close_rc = -99;
}
static void fresh_lower_closes(void)
{
    fresh_pair();
    closer = a, peer = b;
    close_port = 1;
}
static void fresh_higher_closes(void)
{
    fresh_pair();
    closer = b, peer = a;
    close_port = 1;
}
static void op_close(void *unused) { close_rc = evtchn_close(closer, close_port, false); }
static void race_destroy_peer(void *unused)
{
    peer_lock = &peer->evtchn.lock;
    hv_destroy(peer);
    peer_lock_freed = *peer_lock;
    peer_gone = !domains[peer == a ? 1 : 2];
}
static bool closed_without_touching_peer(char *why, size_t len)
{
    bool ok = true;
    if (peer_gone && memcmp(peer_lock, &peer_lock_freed, sizeof(peer_lock_freed))) {
        snprintf(why, len, "the closer took the lock of its peer after the peer was freed");
        ok = false;
    }
    struct evtchn_status st;
    status_of(closer, close_port, &st);
    if (ok && (close_rc || st.status != EVTCHNSTAT_closed)) {
        snprintf(why, len, "close returned %ld, the port is in state %u", close_rc, st.status);
        ok = false;
    }
    hv_destroy(closer);
    if (!peer_gone)
        hv_destroy(peer);
    if (ok && zone_free_pages(ZONE_POOL) != pool_total) {
        snprintf(why, len, "the pool has %lu of its %lu pages", zone_free_pages(ZONE_POOL), pool_total);
        ok = false;
    }
    return ok;
}

int main(void)
{
    TAP_PLAN(21);
    hv_init();
    pool_total = zone_total_pages(ZONE_POOL);
    a = hv_domain(1, 2, 16);
    b = hv_domain(2, 2, 16);

    struct evtchn_alloc_unbound u = { .dom = DOMID_SELF, .remote_dom = 2 };
    long rc = op(a, EVTCHNOP_alloc_unbound, &u);
    struct evtchn_status st;
    status_of(a, u.port, &st);
    CHECK("alloc_unbound makes an unbound port for the named peer", !rc && u.port > 0 &&
          st.status == EVTCHNSTAT_unbound && st.u.unbound.dom == 2, "rc %ld status %u", rc, st.status);
    struct evtchn_bind_interdomain bi = { .remote_dom = 1, .remote_port = u.port };
    rc = op(b, EVTCHNOP_bind_interdomain, &bi);
    struct evtchn_status sb;
    status_of(a, u.port, &st);
    status_of(b, bi.local_port, &sb);
    CHECK("binding connects both ends", !rc && st.status == EVTCHNSTAT_interdomain && st.u.interdomain.dom == 2 &&
          st.u.interdomain.port == bi.local_port && sb.status == EVTCHNSTAT_interdomain &&
          sb.u.interdomain.port == u.port, "rc %ld states %u %u", rc, st.status, sb.status);
    struct evtchn_bind_interdomain again_bi = { .remote_dom = 2, .remote_port = bi.local_port };
    rc = op(a, EVTCHNOP_bind_interdomain, &again_bi);
    CHECK("a bound port cannot be bound again", rc == -EINVAL, "rc %ld", rc);

    b->shared_info->evtchn_pending[0] = 0;
    b->shared_info->vcpu_info[0].evtchn_upcall_pending = 0;
    b->shared_info->vcpu_info[0].evtchn_pending_sel = 0;
    rc = op(a, EVTCHNOP_send, &(struct evtchn_send){ .port = u.port });
    struct vcpu_info *vi = &b->shared_info->vcpu_info[0];
    CHECK("a send sets the pending bit, the selector and the upcall", !rc && pending(b, bi.local_port) &&
          vi->evtchn_upcall_pending && (vi->evtchn_pending_sel & (1UL << (bi.local_port / BITS_PER_WORD))),
          "rc %ld", rc);
    b->shared_info->evtchn_pending[0] = 0;
    vi->evtchn_upcall_pending = 0;
    vi->evtchn_pending_sel = 0;
    b->shared_info->evtchn_mask[0] = ~0UL;
    op(a, EVTCHNOP_send, &(struct evtchn_send){ .port = u.port });
    CHECK("a masked port only gets the pending bit", pending(b, bi.local_port) && !vi->evtchn_upcall_pending,
          "upcall raised");
    rc = op(b, EVTCHNOP_unmask, &(struct evtchn_unmask){ .port = bi.local_port });
    CHECK("unmasking a pending port raises the upcall", !rc && vi->evtchn_upcall_pending, "rc %ld", rc);

    rc = op(a, EVTCHNOP_close, &(struct evtchn_close){ .port = u.port });
    status_of(a, u.port, &st);
    status_of(b, bi.local_port, &sb);
    CHECK("closing one end leaves the other unbound to the closer", !rc && st.status == EVTCHNSTAT_closed &&
          sb.status == EVTCHNSTAT_unbound && sb.u.unbound.dom == 1, "rc %ld states %u %u", rc, st.status, sb.status);
    rc = op(a, EVTCHNOP_close, &(struct evtchn_close){ .port = u.port });
    long rs = op(b, EVTCHNOP_send, &(struct evtchn_send){ .port = bi.local_port });
    CHECK("a closed port cannot be closed again; an unbound one sends nowhere", rc == -EINVAL && rs == 0,
          "rc %ld %ld", rc, rs);

    struct evtchn_bind_ipi ipi = { .vcpu = 1 };
    rc = op(a, EVTCHNOP_bind_ipi, &ipi);
    vi = &a->shared_info->vcpu_info[1];
    vi->evtchn_upcall_pending = 0;
    op(a, EVTCHNOP_send, &(struct evtchn_send){ .port = ipi.port });
    CHECK("an IPI reaches the vCPU it was bound to", !rc && pending(a, ipi.port) && vi->evtchn_upcall_pending &&
          !a->shared_info->vcpu_info[0].evtchn_upcall_pending, "rc %ld", rc);
    struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = 1 };
    rc = op(a, EVTCHNOP_bind_virq, &bv);
    long again = op(a, EVTCHNOP_bind_virq, &bv);
    CHECK("a vCPU's VIRQ binds once", !rc && again == -EEXIST && a->vcpus[1]->virq_to_port[VIRQ_TIMER] == bv.port,
          "rc %ld again %ld", rc, again);
    int hport = evtchn_alloc_hypervisor(a, NULL);
    rc = op(a, EVTCHNOP_reset, &(struct evtchn_reset){ .dom = DOMID_SELF });
    status_of(a, ipi.port, &st);
    struct evtchn *hc = port_ptr(a, (evtchn_port_t)hport);
    CHECK("reset closes the guest's ports, not the hypervisor's", !rc && st.status == EVTCHNSTAT_closed &&
          !a->vcpus[1]->virq_to_port[VIRQ_TIMER] && hc && hc->state == ECS_HYPERVISOR, "rc %ld", rc);

    /* A port the hypervisor holds for the guest (an ioreq server's): the
     * peer binds to it, the hypervisor sends on it, the guest may not. */
    int xport = evtchn_alloc_xen(a, 0, 2);
    struct evtchn_bind_interdomain xb = { .remote_dom = 1, .remote_port = (evtchn_port_t)xport };
    long bound = op(b, EVTCHNOP_bind_interdomain, &xb);
    b->shared_info->evtchn_pending[0] = 0;
    b->shared_info->evtchn_mask[0] = 0;
    long by_guest = op(a, EVTCHNOP_send, &(struct evtchn_send){ .port = (evtchn_port_t)xport });
    bool guest_reached = pending(b, xb.local_port);
    long by_hv = evtchn_send(a, (evtchn_port_t)xport);
    CHECK("the guest cannot send on a port the hypervisor holds; the hypervisor can",
          xport > 0 && !bound && by_guest == -EINVAL && !guest_reached && !by_hv && pending(b, xb.local_port),
          "port %d bound %ld guest %ld (reached %d) hypervisor %ld", xport, bound, by_guest, guest_reached, by_hv);
    evtchn_close_xen(a, (evtchn_port_t)xport);

    /* FIFO is not offered, but its argument errors are Xen's. */
    struct evtchn_init_control ic = { .control_gfn = 0x10, .offset = 0, .vcpu = 7 };
    long bad_vcpu = op(a, EVTCHNOP_init_control, &ic);
    ic.vcpu = 0;
    ic.offset = PAGE_SIZE - sizeof(evtchn_fifo_control_block_t) + 8;
    long bad_end = op(a, EVTCHNOP_init_control, &ic);
    ic.offset = 4;
    long bad_align = op(a, EVTCHNOP_init_control, &ic);
    ic.offset = 64;
    long good = op(a, EVTCHNOP_init_control, &ic);
    long fault = do_event_channel_op(a->vcpus[0], EVTCHNOP_init_control, 8, 0, 0, 0);
    CHECK("init_control: -ENOENT, -EINVAL, -EINVAL for bad arguments, -ENOSYS for good ones",
          bad_vcpu == -ENOENT && bad_end == -EINVAL && bad_align == -EINVAL && good == -ENOSYS && fault == -EFAULT,
          "vcpu %ld end %ld align %ld good %ld fault %ld", bad_vcpu, bad_end, bad_align, good, fault);
    long expand = op(a, EVTCHNOP_expand_array, &(struct evtchn_expand_array){ .array_gfn = 0x11 });
    long prio_bad = op(a, EVTCHNOP_set_priority, &(struct evtchn_set_priority){ .port = 5000, .priority = 1 });
    long prio = op(a, EVTCHNOP_set_priority, &(struct evtchn_set_priority){ .port = 1, .priority = 1 });
    CHECK("expand_array and set_priority answer as Xen's 2-level ABI does",
          expand == -EOPNOTSUPP && prio_bad == -EINVAL && prio == -ENOSYS, "expand %ld priority %ld %ld", expand,
          prio_bad, prio);

    /* Finding 8: b dies while a still sends to it. */
    evtchn_port_t pb;
    connect(&send_port, &pb);
    memset(b->shared_info->evtchn_mask, 0, sizeof(b->shared_info->evtchn_mask));
    memset(b->shared_info->evtchn_pending, 0, sizeof(b->shared_info->evtchn_pending));
    send_during_teardown = true;
    hv_destroy(b);
    CHECK("a domain's channels are closed before its vCPUs are freed", peer_state_then == EVTCHNSTAT_unbound,
          "the peer's port was in state %u while the vCPUs went", peer_state_then);
    CHECK("a send to a domain being torn down goes nowhere", !send_during_teardown && send_rc == 0 && !domains[2],
          "rc %ld", send_rc);
    status_of(a, send_port, &st);
    CHECK("and leaves the sender's port unbound", st.status == EVTCHNSTAT_unbound, "status %u", st.status);
    hv_destroy(a);

    RACE_CHECK("the console ring is read from a live page while the guest balloons it out",
               fresh_console, op_kick, race_balloon_ring, ring_read_alive);
    RACE_CHECK("two vCPUs registering one vcpu_info take one page reference",
               fresh_vcpu_info, op_register, race_register, registered_once);
    RACE_CHECK("a close racing the destruction of its peer never touches the freed peer (closer's id lower)",
               fresh_lower_closes, op_close, race_destroy_peer, closed_without_touching_peer);
    RACE_CHECK("nor with the closer's id higher", fresh_higher_closes, op_close, race_destroy_peer,
               closed_without_touching_peer);
    TAP_EXIT();
}
