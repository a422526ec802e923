/*
 * Event channels, 2-level ABI: each domain has up to 4096 ports; a port is
 * free, unbound (waiting for a peer), connected to another domain's port, a
 * virtual IRQ, an IPI between the domain's own vCPUs, or served by the
 * hypervisor itself. Sending sets a bit in the domain's shared_info and, if
 * the port is unmasked, raises the upcall on the port's vCPU.
 */
#ifndef BASALT_EVENT_H
#define BASALT_EVENT_H

#include <basalt/spinlock.h>
#include <basalt/types.h>
#include <xen/event_channel.h>
#include <xen/xen.h>

struct vcpu;
struct domain;

#define EVTCHN_MAX_PORTS (sizeof(xen_ulong_t) * 8 * sizeof(xen_ulong_t) * 8)
#define EVTCHN_BUCKET_SIZE 128
#define EVTCHN_NR_BUCKETS (EVTCHN_MAX_PORTS / EVTCHN_BUCKET_SIZE)

enum evtchn_state {
    ECS_FREE = 0,
    ECS_UNBOUND,
    ECS_INTERDOMAIN,
    ECS_VIRQ,
    ECS_IPI,
    ECS_HYPERVISOR, /* the other end is in the hypervisor (boot-time consoles) */
};

typedef void (*evtchn_consumer_t)(struct domain *d, evtchn_port_t port);

struct evtchn {
    uint8_t state;
    bool xen_consumer;   /* the hypervisor, not the guest, receives on it (ioreq ports) */
    uint16_t notify_vcpu;
    union {
        domid_t unbound_remote;
        struct {
            struct domain *dom;
            evtchn_port_t port;
        } interdomain;
        uint32_t virq;
        evtchn_consumer_t consumer;
    } u;
};

struct evtchn_table {
    spinlock_t lock;
    struct evtchn *bucket[EVTCHN_NR_BUCKETS];
    unsigned int max_ports; /* ports below this may be allocated */
};

int evtchn_domain_init(struct domain *d);
void evtchn_domain_destroy(struct domain *d);
/* Prints the ports that are pending or interdomain, for the console's `e` key. */
void evtchn_dump(void);

/* The vector to inject for v's pending event upcall, or -1. */
int evtchn_upcall_vector(struct vcpu *v);
/* True if v has something that should wake it from HLT or SCHEDOP_block. */
bool vcpu_event_pending(struct vcpu *v);

/* Hypervisor-side senders. */
void send_guest_vcpu_virq(struct vcpu *v, uint32_t virq);
void send_guest_global_virq(struct domain *d, uint32_t virq);
int evtchn_send(struct domain *d, evtchn_port_t port);
/* A port whose other end the hypervisor serves; returns the port or -errno. */
int evtchn_alloc_hypervisor(struct domain *d, evtchn_consumer_t consumer);
/* Raises the event on a hypervisor-served port (the hypervisor "sends"). */
void evtchn_notify_hypervisor_port(struct domain *d, evtchn_port_t port);
/*
 * A port of d that the hypervisor listens on for `remote` (a device model),
 * as Xen's ioreq channels: unbound until `remote` binds to it; an event
 * from `remote` wakes vCPU `vcpu` of d (the guest sees nothing), and
 * evtchn_send(d, port) notifies `remote`. The guest cannot close, send on
 * or rebind it. Returns the port or -errno; evtchn_close_xen frees it.
 */
int evtchn_alloc_xen(struct domain *d, unsigned int vcpu, domid_t remote);
void evtchn_close_xen(struct domain *d, evtchn_port_t port);

/* SCHEDOP_poll support: true if any of the ports is pending. */
bool evtchn_any_pending(struct domain *d, const evtchn_port_t *ports, unsigned int n);

#endif
