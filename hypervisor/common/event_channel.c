/*
 * Event channels (see event.h). Each domain's ports live in buckets
 * allocated on demand, under the domain's evtchn lock. Operations that
 * touch two domains take both locks, lower domain id first. A channel to
 * another domain holds a pointer to it; teardown closes every channel
 * before the domain's memory goes, so a peer never signals a freed domain.
 */
#include <asm/smp.h>
#include <basalt/arch.h>
#include <basalt/domain.h>
#include <basalt/event.h>
#include <basalt/guest_access.h>
#include <basalt/hypercall.h>
#include <basalt/lib.h>
#include <basalt/mm.h>
#include <basalt/sched.h>
#include <xen/hvm/params.h>

#define BITS_PER_WORD (sizeof(xen_ulong_t) * 8)

static struct evtchn *port_ptr(struct domain *d, evtchn_port_t port)
{
    if (port >= EVTCHN_MAX_PORTS)
        return NULL;
    struct evtchn *b = d->evtchn.bucket[port / EVTCHN_BUCKET_SIZE];
    return b ? &b[port % EVTCHN_BUCKET_SIZE] : NULL;
}

/* A port that is allocated (state other than free). */
static struct evtchn *port_used(struct domain *d, evtchn_port_t port)
{
    struct evtchn *c = port_ptr(d, port);
    return c && c->state != ECS_FREE ? c : NULL;
}

/* Called with d's evtchn lock held. */
static int alloc_port(struct domain *d)
{
    ASSERT_LOCKED(&d->evtchn.lock);
    for (evtchn_port_t p = 1; p < d->evtchn.max_ports; p++) {
        unsigned int b = p / EVTCHN_BUCKET_SIZE;
        if (!d->evtchn.bucket[b]) {
            d->evtchn.bucket[b] = xzalloc(EVTCHN_BUCKET_SIZE * sizeof(struct evtchn));
            if (!d->evtchn.bucket[b])
                return -ENOMEM;
        }
        struct evtchn *c = &d->evtchn.bucket[b][p % EVTCHN_BUCKET_SIZE];
        if (c->state == ECS_FREE) {
            memset(c, 0, sizeof(*c));
            return (int)p;
        }
    }
    return -ENOSPC;
}

int evtchn_domain_init(struct domain *d)
{
    spin_lock_init(&d->evtchn.lock);
    d->evtchn.max_ports = EVTCHN_MAX_PORTS;
    return 0;
}

static void lock_pair(struct domain *a, struct domain *b, uint64_t *flags)
{
    *flags = local_irq_save();
    if (a == b) {
        spin_lock(&a->evtchn.lock);
    } else if (a->id < b->id) {
        spin_lock(&a->evtchn.lock);
        spin_lock(&b->evtchn.lock);
    } else {
        spin_lock(&b->evtchn.lock);
        spin_lock(&a->evtchn.lock);
    }
}

static void unlock_pair(struct domain *a, struct domain *b, uint64_t flags)
{
    spin_unlock(&a->evtchn.lock);
    if (a != b)
        spin_unlock(&b->evtchn.lock);
    local_irq_restore(flags);
}

/* Delivery */

static void vcpu_mark_events_pending(struct vcpu *v)
{
    struct vcpu_info *vi = v->vcpu_info;
    if (!vi || __atomic_exchange_n(&vi->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST))
        return;
    arch_evtchn_upcall_raised(v);
    vcpu_wake(v);
    if (v->running && v->processor != smp_processor_id())
        smp_kick(v->processor);
}

static bool port_in_poll(const struct vcpu *v, evtchn_port_t port)
{
    const evtchn_port_t *ports = READ_ONCE(v->poll_ports);
    if (!ports)
        return false;
    for (unsigned int i = 0; i < v->poll_nr; i++)
        if (ports[i] == port)
            return true;
    return false;
}

/* The vCPU a port notifies (vCPU 0 if that one is gone), or NULL while the
 * domain has none (being built). */
static struct vcpu *notify_vcpu(struct domain *d, const struct evtchn *c)
{
    struct vcpu *v = d->vcpus[c && c->notify_vcpu < d->max_vcpus ? c->notify_vcpu : 0];
    return v ? v : d->vcpus[0];
}

/* Sets port pending in d; called with d's evtchn lock held, which keeps d's
 * channels, and so d itself and its vCPUs, alive (domain_free closes the
 * channels before it frees the vCPUs). */
static void set_pending(struct domain *d, evtchn_port_t port)
{
    ASSERT_LOCKED(&d->evtchn.lock);
    struct shared_info *s = d->shared_info;
    struct evtchn *c = port_ptr(d, port);
    struct vcpu *v = notify_vcpu(d, c);
    if (c && c->xen_consumer) {
        /* For the hypervisor: wake the vCPU waiting on it, nothing more. */
        if (v)
            vcpu_wake(v);
        return;
    }
    xen_ulong_t bit = 1UL << (port % BITS_PER_WORD);
    xen_ulong_t *word = &s->evtchn_pending[port / BITS_PER_WORD];
    if (__atomic_fetch_or(word, bit, __ATOMIC_SEQ_CST) & bit)
        return;
    if (!(READ_ONCE(s->evtchn_mask[port / BITS_PER_WORD]) & bit) && v && v->vcpu_info) {
        xen_ulong_t sel = 1UL << (port / BITS_PER_WORD);
        if (!(__atomic_fetch_or(&v->vcpu_info->evtchn_pending_sel, sel, __ATOMIC_SEQ_CST) & sel))
            vcpu_mark_events_pending(v);
    }
    /* SCHEDOP_poll waits on pending bits whatever the mask says. */
    for (unsigned int i = 0; i < d->max_vcpus; i++) {
        struct vcpu *p = d->vcpus[i];
        if (p && p->poll_ports && port_in_poll(p, port))
            vcpu_wake(p);
    }
}

int evtchn_upcall_vector(struct vcpu *v)
{
    struct vcpu_info *vi = v->vcpu_info;
    uint64_t cb = v->dom->hvm_params[HVM_PARAM_CALLBACK_IRQ];
    if (!vi || !READ_ONCE(vi->evtchn_upcall_pending))
        return -1;
    /* Only the vector form (type 2) exists on PVH. */
    if ((cb >> 56) != HVM_PARAM_CALLBACK_TYPE_VECTOR || (cb & 0xff) < 16)
        return -1;
    return (int)(cb & 0xff);
}

bool vcpu_event_pending(struct vcpu *v)
{
    return evtchn_upcall_vector(v) >= 0 || arch_vcpu_interrupt_pending(v);
}

bool evtchn_any_pending(struct domain *d, const evtchn_port_t *ports, unsigned int n)
{
    for (unsigned int i = 0; i < n; i++) {
        evtchn_port_t p = ports[i];
        if (p < EVTCHN_MAX_PORTS &&
            (READ_ONCE(d->shared_info->evtchn_pending[p / BITS_PER_WORD]) & (1UL << (p % BITS_PER_WORD))))
            return true;
    }
    return false;
}

void send_guest_vcpu_virq(struct vcpu *v, uint32_t virq)
{
    struct domain *d = v->dom;
    uint64_t flags = spin_lock_irqsave(&d->evtchn.lock);
    evtchn_port_t port = v->virq_to_port[virq];
    if (port)
        set_pending(d, port);
    spin_unlock_irqrestore(&d->evtchn.lock, flags);
}

void send_guest_global_virq(struct domain *d, uint32_t virq)
{
    if (d->vcpus[0])
        send_guest_vcpu_virq(d->vcpus[0], virq);
}

/* A send; by_guest: from EVTCHNOP_send, which may not use a port the
 * hypervisor receives on (checked under the same hold of the lock as the
 * send: one lock round trip per notification, not two). */
static int send(struct domain *d, evtchn_port_t port, bool by_guest)
{
    uint64_t flags;
    struct evtchn *c;
    int rc = 0;
    evtchn_consumer_t consumer = NULL;
    for (;;) {
        flags = spin_lock_irqsave(&d->evtchn.lock);
        c = port_used(d, port);
        if (c && by_guest && c->xen_consumer)
            c = NULL; /* -EINVAL, as for a port not in use */
        if (!c || c->state != ECS_INTERDOMAIN || c->u.interdomain.dom == d)
            break;
        /* Two domains notifying each other at once take their locks in
         * opposite orders: only try the peer's, and start again if it is
         * busy. Holding ours keeps the channel, and so the peer, alive. */
        struct domain *rd = c->u.interdomain.dom;
        if (spin_trylock(&rd->evtchn.lock)) {
            set_pending(rd, c->u.interdomain.port);
            spin_unlock(&rd->evtchn.lock);
            spin_unlock_irqrestore(&d->evtchn.lock, flags);
            return 0;
        }
        spin_unlock_irqrestore(&d->evtchn.lock, flags);
        cpu_relax();
    }
    if (!c)
        rc = -EINVAL;
    else if (c->state == ECS_INTERDOMAIN || c->state == ECS_IPI)
        set_pending(d, c->state == ECS_IPI ? port : c->u.interdomain.port);
    else if (c->state == ECS_HYPERVISOR)
        consumer = c->u.consumer;
    else if (c->state != ECS_UNBOUND)
        rc = -EINVAL;
    spin_unlock_irqrestore(&d->evtchn.lock, flags);
    if (consumer)
        consumer(d, port);
    return rc;
}

int evtchn_send(struct domain *d, evtchn_port_t port)
{
    return send(d, port, false);
}

int evtchn_alloc_hypervisor(struct domain *d, evtchn_consumer_t consumer)
{
    uint64_t flags = spin_lock_irqsave(&d->evtchn.lock);
    int port = alloc_port(d);
    if (port > 0) {
        struct evtchn *c = port_ptr(d, (evtchn_port_t)port);
        c->state = ECS_HYPERVISOR;
        c->u.consumer = consumer;
    }
    spin_unlock_irqrestore(&d->evtchn.lock, flags);
    return port;
}

void evtchn_notify_hypervisor_port(struct domain *d, evtchn_port_t port)
{
    uint64_t flags = spin_lock_irqsave(&d->evtchn.lock);
    struct evtchn *c = port_used(d, port);
    if (c && c->state == ECS_HYPERVISOR)
        set_pending(d, port);
    spin_unlock_irqrestore(&d->evtchn.lock, flags);
}

int evtchn_alloc_xen(struct domain *d, unsigned int vcpu, domid_t remote)
{
    uint64_t flags = spin_lock_irqsave(&d->evtchn.lock);
    int port = alloc_port(d);
    if (port > 0) {
        struct evtchn *c = port_ptr(d, (evtchn_port_t)port);
        c->state = ECS_UNBOUND;
        c->xen_consumer = true;
        c->notify_vcpu = (uint16_t)vcpu;
        c->u.unbound_remote = remote;
    }
    spin_unlock_irqrestore(&d->evtchn.lock, flags);
    return port;
}

/* Closing */

/* Called with d's lock (and, for interdomain, the peer's) held. */
static void close_locked(struct domain *d, evtchn_port_t port, struct evtchn *c)
{
    ASSERT_LOCKED(&d->evtchn.lock);
    switch (c->state) {
    case ECS_VIRQ:
        for (unsigned int i = 0; i < d->max_vcpus; i++)
            if (d->vcpus[i] && d->vcpus[i]->virq_to_port[c->u.virq] == port)
                d->vcpus[i]->virq_to_port[c->u.virq] = 0;
        break;
    case ECS_INTERDOMAIN: {
        ASSERT_LOCKED(&c->u.interdomain.dom->evtchn.lock);
        struct evtchn *peer = port_used(c->u.interdomain.dom, c->u.interdomain.port);
        if (peer && peer->state == ECS_INTERDOMAIN) {
            peer->state = ECS_UNBOUND;
            peer->u.unbound_remote = d->id;
        }
        break;
    }
    default:
        break;
    }
    memset(c, 0, sizeof(*c));
    /* A reused port must not arrive already pending. */
    __atomic_and_fetch(&d->shared_info->evtchn_pending[port / BITS_PER_WORD],
                       ~(1UL << (port % BITS_PER_WORD)), __ATOMIC_SEQ_CST);
}

/* Closes port; with guest_only, a port the hypervisor serves stays. */
static int evtchn_close(struct domain *d, evtchn_port_t port, bool guest_only)
{
    for (;;) {
        uint64_t flags = spin_lock_irqsave(&d->evtchn.lock);
        struct evtchn *c = port_used(d, port);
        if (!c || (guest_only && (c->state == ECS_HYPERVISOR || c->xen_consumer))) {
            spin_unlock_irqrestore(&d->evtchn.lock, flags);
            return -EINVAL;
        }
        if (c->state != ECS_INTERDOMAIN || c->u.interdomain.dom == d) {
            close_locked(d, port, c);
            spin_unlock_irqrestore(&d->evtchn.lock, flags);
            return 0;
        }
        /* The peer's lock too, taken before ours is let go: holding ours
         * keeps the channel, and so the peer, alive; once it is dropped the
         * peer may be freed. In order (lower id first) the peer's is simply
         * taken; out of order only tried, starting again if it is busy. */
        struct domain *rd = c->u.interdomain.dom;
        if (d->id < rd->id) {
            spin_lock(&rd->evtchn.lock);
        } else if (!spin_trylock(&rd->evtchn.lock)) {
            spin_unlock_irqrestore(&d->evtchn.lock, flags);
            cpu_relax();
            continue;
        }
        close_locked(d, port, c);
        spin_unlock(&rd->evtchn.lock);
        spin_unlock_irqrestore(&d->evtchn.lock, flags);
        return 0;
    }
}

void evtchn_close_xen(struct domain *d, evtchn_port_t port)
{
    evtchn_close(d, port, false);
}

/* Whether the guest itself may use port (not one the hypervisor listens on). */
static bool guest_port(struct domain *d, evtchn_port_t port)
{
    uint64_t flags = spin_lock_irqsave(&d->evtchn.lock);
    struct evtchn *c = port_used(d, port);
    bool ok = !c || !c->xen_consumer;
    spin_unlock_irqrestore(&d->evtchn.lock, flags);
    return ok;
}

/*
 * The console's `e` key: every domain's interdomain and IPI/virq ports that
 * are pending or masked, and each vCPU's upcall flags, to tell a lost
 * notification (pending, unmasked, no upcall) from one the guest holds
 * masked. Read without the locks: a snapshot for a person, not a decision.
 */
void evtchn_dump(void)
{
    static const char *const states[] = { "free", "unbound", "interdomain", "virq", "ipi", "hypervisor" };
    for (unsigned int id = 0; id < MAX_DOMAINS; id++) {
        struct domain *d = domain_by_id((domid_t)id);
        if (!d || !d->shared_info)
            continue;
        const struct shared_info *s = d->shared_info;
        for (unsigned int i = 0; i < d->max_vcpus; i++) {
            const struct vcpu *v = d->vcpus[i];
            if (v && v->vcpu_info)
                printk("  d%u v%u: upcall_pending %u pending_sel %#lx\n", d->id, v->id,
                       READ_ONCE(v->vcpu_info->evtchn_upcall_pending), READ_ONCE(v->vcpu_info->evtchn_pending_sel));
        }
        for (evtchn_port_t p = 1; p < EVTCHN_MAX_PORTS; p++) {
            if (!d->evtchn.bucket[p / EVTCHN_BUCKET_SIZE]) {
                p += EVTCHN_BUCKET_SIZE - 1 - p % EVTCHN_BUCKET_SIZE;
                continue;
            }
            const struct evtchn *c = port_used(d, p);
            if (!c)
                continue;
            xen_ulong_t bit = 1UL << (p % BITS_PER_WORD);
            bool pending = READ_ONCE(s->evtchn_pending[p / BITS_PER_WORD]) & bit;
            bool masked = READ_ONCE(s->evtchn_mask[p / BITS_PER_WORD]) & bit;
            if (c->state != ECS_INTERDOMAIN && !pending)
                continue;
            if (c->state == ECS_INTERDOMAIN)
                printk("  d%u port %u: interdomain to d%u port %u, vcpu %u%s%s\n", d->id, p,
                       c->u.interdomain.dom->id, c->u.interdomain.port, c->notify_vcpu,
                       pending ? ", pending" : "", masked ? ", masked" : "");
            else
                printk("  d%u port %u: %s, vcpu %u%s%s\n", d->id, p,
                       c->state < ARRAY_SIZE(states) ? states[c->state] : "?", c->notify_vcpu,
                       pending ? ", pending" : "", masked ? ", masked" : "");
        }
    }
}

void evtchn_domain_destroy(struct domain *d)
{
    for (evtchn_port_t p = 1; p < EVTCHN_MAX_PORTS; p++) {
        if (!d->evtchn.bucket[p / EVTCHN_BUCKET_SIZE]) {
            p += EVTCHN_BUCKET_SIZE - 1 - p % EVTCHN_BUCKET_SIZE;
            continue;
        }
        if (port_used(d, p))
            evtchn_close(d, p, false);
    }
    for (unsigned int b = 0; b < EVTCHN_NR_BUCKETS; b++) {
        xfree(d->evtchn.bucket[b]);
        d->evtchn.bucket[b] = NULL;
    }
}

/* Hypercall */

static struct domain *domain_for(struct vcpu *v, domid_t id)
{
    if (id == DOMID_SELF || id == v->dom->id)
        return v->dom;
    if (!v->dom->is_privileged)
        return NULL;
    return domain_get(id);
}

static void domain_for_done(struct vcpu *v, struct domain *d)
{
    if (d != v->dom)
        domain_put(d);
}

static long op_alloc_unbound(struct vcpu *v, struct evtchn_alloc_unbound *a)
{
    struct domain *d = domain_for(v, a->dom);
    if (!d)
        return a->dom == DOMID_SELF || v->dom->is_privileged ? -ESRCH : -EPERM;
    domid_t remote = a->remote_dom == DOMID_SELF ? v->dom->id : a->remote_dom;
    uint64_t flags = spin_lock_irqsave(&d->evtchn.lock);
    int port = alloc_port(d);
    if (port > 0) {
        struct evtchn *c = port_ptr(d, (evtchn_port_t)port);
        c->state = ECS_UNBOUND;
        c->u.unbound_remote = remote;
        a->port = (evtchn_port_t)port;
    }
    spin_unlock_irqrestore(&d->evtchn.lock, flags);
    domain_for_done(v, d);
    return port > 0 ? 0 : port;
}

static long op_bind_interdomain(struct vcpu *v, struct evtchn_bind_interdomain *b)
{
    struct domain *ld = v->dom;
    struct domain *rd = b->remote_dom == DOMID_SELF || b->remote_dom == ld->id ? ld : domain_get(b->remote_dom);
    if (!rd)
        return -ESRCH;
    uint64_t flags;
    lock_pair(ld, rd, &flags);
    long rc = -EINVAL;
    struct evtchn *rc_ = port_used(rd, b->remote_port);
    if (rc_ && rc_->state == ECS_UNBOUND && rc_->u.unbound_remote == ld->id) {
        int port = alloc_port(ld);
        if (port < 0) {
            rc = port;
        } else {
            struct evtchn *lc = port_ptr(ld, (evtchn_port_t)port);
            lc->state = ECS_INTERDOMAIN;
            lc->u.interdomain.dom = rd;
            lc->u.interdomain.port = b->remote_port;
            rc_ = port_ptr(rd, b->remote_port); /* alloc may not move it, but be explicit */
            rc_->state = ECS_INTERDOMAIN;
            rc_->u.interdomain.dom = ld;
            rc_->u.interdomain.port = (evtchn_port_t)port;
            b->local_port = (evtchn_port_t)port;
            /* Xen raises the event on the new local port so that a peer that
             * sent before the bind is not missed. */
            set_pending(ld, (evtchn_port_t)port);
            rc = 0;
        }
    }
    unlock_pair(ld, rd, flags);
    if (rd != ld)
        domain_put(rd);
    return rc;
}

static bool virq_is_global(uint32_t virq)
{
    return virq != VIRQ_TIMER && virq != VIRQ_DEBUG && virq != VIRQ_XENOPROF && virq != VIRQ_XENPMU;
}

static long op_bind_virq(struct vcpu *v, struct evtchn_bind_virq *b)
{
    struct domain *d = v->dom;
    if (b->virq >= NR_VIRQS || b->vcpu >= d->max_vcpus || !d->vcpus[b->vcpu])
        return -EINVAL;
    if (virq_is_global(b->virq) && b->vcpu != 0)
        return -EINVAL;
    struct vcpu *t = d->vcpus[b->vcpu];
    uint64_t flags = spin_lock_irqsave(&d->evtchn.lock);
    long rc;
    if (t->virq_to_port[b->virq]) {
        rc = -EEXIST;
    } else {
        int port = alloc_port(d);
        rc = port;
        if (port > 0) {
            struct evtchn *c = port_ptr(d, (evtchn_port_t)port);
            c->state = ECS_VIRQ;
            c->u.virq = b->virq;
            c->notify_vcpu = (uint16_t)b->vcpu;
            t->virq_to_port[b->virq] = (evtchn_port_t)port;
            b->port = (evtchn_port_t)port;
            rc = 0;
        }
    }
    spin_unlock_irqrestore(&d->evtchn.lock, flags);
    return rc;
}

static long op_bind_ipi(struct vcpu *v, struct evtchn_bind_ipi *b)
{
    struct domain *d = v->dom;
    if (b->vcpu >= d->max_vcpus || !d->vcpus[b->vcpu])
        return -ENOENT;
    uint64_t flags = spin_lock_irqsave(&d->evtchn.lock);
    int port = alloc_port(d);
    if (port > 0) {
        struct evtchn *c = port_ptr(d, (evtchn_port_t)port);
        c->state = ECS_IPI;
        c->notify_vcpu = (uint16_t)b->vcpu;
        b->port = (evtchn_port_t)port;
    }
    spin_unlock_irqrestore(&d->evtchn.lock, flags);
    return port > 0 ? 0 : port;
}

static long op_status(struct vcpu *v, struct evtchn_status *st)
{
    struct domain *d = domain_for(v, st->dom);
    if (!d)
        return -ESRCH;
    uint64_t flags = spin_lock_irqsave(&d->evtchn.lock);
    struct evtchn *c = port_ptr(d, st->port);
    long rc = 0;
    if (st->port >= EVTCHN_MAX_PORTS) {
        rc = -EINVAL;
    } else if (!c || c->state == ECS_FREE) {
        st->status = EVTCHNSTAT_closed;
    } else {
        st->vcpu = c->notify_vcpu;
        switch (c->state) {
        case ECS_UNBOUND:
            st->status = EVTCHNSTAT_unbound;
            st->u.unbound.dom = c->u.unbound_remote;
            break;
        case ECS_INTERDOMAIN:
            st->status = EVTCHNSTAT_interdomain;
            st->u.interdomain.dom = c->u.interdomain.dom->id;
            st->u.interdomain.port = c->u.interdomain.port;
            break;
        case ECS_VIRQ:
            st->status = EVTCHNSTAT_virq;
            st->u.virq = c->u.virq;
            break;
        case ECS_IPI:
            st->status = EVTCHNSTAT_ipi;
            break;
        default:
            st->status = EVTCHNSTAT_unbound;
            st->u.unbound.dom = DOMID_XEN;
            break;
        }
    }
    spin_unlock_irqrestore(&d->evtchn.lock, flags);
    domain_for_done(v, d);
    return rc;
}

static long op_bind_vcpu(struct vcpu *v, struct evtchn_bind_vcpu *b)
{
    struct domain *d = v->dom;
    if (b->vcpu >= d->max_vcpus || !d->vcpus[b->vcpu])
        return -ENOENT;
    uint64_t flags = spin_lock_irqsave(&d->evtchn.lock);
    struct evtchn *c = port_used(d, b->port);
    long rc = 0;
    if (!c)
        rc = -EINVAL;
    else if (c->state == ECS_IPI || (c->state == ECS_VIRQ && !virq_is_global(c->u.virq)))
        rc = -EINVAL; /* fixed to the vCPU they were bound on */
    else
        c->notify_vcpu = (uint16_t)b->vcpu;
    spin_unlock_irqrestore(&d->evtchn.lock, flags);
    return rc;
}

static long op_unmask(struct vcpu *v, evtchn_port_t port)
{
    struct domain *d = v->dom;
    uint64_t flags = spin_lock_irqsave(&d->evtchn.lock);
    struct evtchn *c = port_used(d, port);
    long rc = -EINVAL;
    if (c) {
        struct shared_info *s = d->shared_info;
        xen_ulong_t bit = 1UL << (port % BITS_PER_WORD);
        __atomic_and_fetch(&s->evtchn_mask[port / BITS_PER_WORD], ~bit, __ATOMIC_SEQ_CST);
        struct vcpu *t = d->vcpus[c->notify_vcpu < d->max_vcpus ? c->notify_vcpu : 0];
        if (t && t->vcpu_info && (READ_ONCE(s->evtchn_pending[port / BITS_PER_WORD]) & bit)) {
            xen_ulong_t sel = 1UL << (port / BITS_PER_WORD);
            if (!(__atomic_fetch_or(&t->vcpu_info->evtchn_pending_sel, sel, __ATOMIC_SEQ_CST) & sel))
                vcpu_mark_events_pending(t);
        }
        rc = 0;
    }
    spin_unlock_irqrestore(&d->evtchn.lock, flags);
    return rc;
}

static long op_reset(struct vcpu *v, domid_t dom)
{
    struct domain *d = domain_for(v, dom);
    if (!d)
        return -ESRCH;
    for (evtchn_port_t p = 1; p < EVTCHN_MAX_PORTS; p++)
        if (READ_ONCE(d->evtchn.bucket[p / EVTCHN_BUCKET_SIZE]))
            evtchn_close(d, p, true); /* re-checked under the lock */
    domain_for_done(v, d);
    return 0;
}

/*
 * The FIFO ABI is not offered: Linux falls back to the 2-level ABI on any
 * error. Arguments Xen would refuse are refused as Xen does first.
 */
static long op_init_control(struct vcpu *v, const struct evtchn_init_control *ic)
{
    struct domain *d = v->dom;
    if (ic->vcpu >= d->max_vcpus || !d->vcpus[ic->vcpu])
        return -ENOENT;
    if (ic->offset > PAGE_SIZE - sizeof(evtchn_fifo_control_block_t) || (ic->offset & 7))
        return -EINVAL;
    return -ENOSYS;
}

#define COPY_IN(arg, var)                                                      \
    do {                                                                       \
        if (copy_from_guest(v, &(var), arg, sizeof(var)))                      \
            return -EFAULT;                                                    \
    } while (0)
#define COPY_OUT(arg, var) (copy_to_guest(v, arg, &(var), sizeof(var)) ? -EFAULT : 0)

long do_event_channel_op(struct vcpu *v, uint64_t cmd, uint64_t arg, uint64_t a3, uint64_t a4, uint64_t a5)
{
    long rc;
    switch (cmd) {
    case EVTCHNOP_alloc_unbound: {
        struct evtchn_alloc_unbound a;
        COPY_IN(arg, a);
        rc = op_alloc_unbound(v, &a);
        return rc ? rc : COPY_OUT(arg, a);
    }
    case EVTCHNOP_bind_interdomain: {
        struct evtchn_bind_interdomain b;
        COPY_IN(arg, b);
        rc = op_bind_interdomain(v, &b);
        return rc ? rc : COPY_OUT(arg, b);
    }
    case EVTCHNOP_bind_virq: {
        struct evtchn_bind_virq b;
        COPY_IN(arg, b);
        rc = op_bind_virq(v, &b);
        return rc ? rc : COPY_OUT(arg, b);
    }
    case EVTCHNOP_bind_ipi: {
        struct evtchn_bind_ipi b;
        COPY_IN(arg, b);
        rc = op_bind_ipi(v, &b);
        return rc ? rc : COPY_OUT(arg, b);
    }
    case EVTCHNOP_close: {
        struct evtchn_close c;
        COPY_IN(arg, c);
        return guest_port(v->dom, c.port) ? evtchn_close(v->dom, c.port, false) : -EINVAL;
    }
    case EVTCHNOP_send: {
        struct evtchn_send s;
        COPY_IN(arg, s);
        return send(v->dom, s.port, true);
    }
    case EVTCHNOP_status: {
        struct evtchn_status st;
        COPY_IN(arg, st);
        rc = op_status(v, &st);
        return rc ? rc : COPY_OUT(arg, st);
    }
    case EVTCHNOP_bind_vcpu: {
        struct evtchn_bind_vcpu b;
        COPY_IN(arg, b);
        return guest_port(v->dom, b.port) ? op_bind_vcpu(v, &b) : -EINVAL;
    }
    case EVTCHNOP_unmask: {
        struct evtchn_unmask u;
        COPY_IN(arg, u);
        return op_unmask(v, u.port);
    }
    case EVTCHNOP_reset: {
        struct evtchn_reset r;
        COPY_IN(arg, r);
        return op_reset(v, r.dom);
    }
    case EVTCHNOP_init_control: {
        struct evtchn_init_control ic;
        COPY_IN(arg, ic);
        return op_init_control(v, &ic);
    }
    case EVTCHNOP_expand_array:
        return -EOPNOTSUPP; /* Xen's answer before init_control succeeded */
    case EVTCHNOP_set_priority: {
        struct evtchn_set_priority sp;
        COPY_IN(arg, sp);
        return port_ptr(v->dom, sp.port) ? -ENOSYS : -EINVAL; /* the 2-level ABI has no priorities */
    }
    default:
        return -ENOSYS;
    }
}
