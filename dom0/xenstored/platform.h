/* Everything xenstored needs from the hypervisor, behind one small
 * interface: event channels (dom0/lib/platform.h, shared with xenconsoled),
 * mapping a domain's xenstore ring, Dom0's own ring in Linux "local" mode,
 * and whether a domain is still alive.
 *
 * platform_xen.c implements it with Debian's libxenevtchn, libxengnttab and
 * libxenforeignmemory, on dom0/lib/platform_xen.c; domain_state.c holds the
 * domain-state query, which needs Basalt's control hypercall.
 * platform_fake.c (test binary only) implements it with files and datagram
 * sockets, on dom0/lib/platform_fake.c, so rings, introduce/release and
 * domain death can be exercised on a machine without Xen. */
#ifndef XENSTORED_PLATFORM_H
#define XENSTORED_PLATFORM_H

#include <stdint.h>

#include "dom0/lib/platform.h"
#include "xs_abi.h"

enum platform_domain_state {
    DOMAIN_STATE_ALIVE,     /* running or paused */
    DOMAIN_STATE_SHUTDOWN,  /* shut down or crashed, not yet destroyed */
    DOMAIN_STATE_DYING,     /* being destroyed */
    DOMAIN_STATE_GONE,      /* no such domain */
};

struct platform_ring {
    struct xenstore_domain_interface *intf;
    int how;                /* implementation's record of how it was mapped */
};

/* Xen's virtual IRQ for a domain's state change (VIRQ_DOM_EXC): the local
 * port, or -errno. */
int platform_bind_virq_dom_exc(void);

/* Maps a domain's ring (grant reference GNTTAB_RESERVED_XENSTORE, with the
 * ring's GFN as fallback). Returns 0 or -errno. */
int platform_map_ring(unsigned domid, uint64_t gfn, struct platform_ring *ring);
void platform_unmap_ring(unsigned domid, struct platform_ring *ring);
/* Dom0's own ring when its kernel runs xenbus in "local" mode; -ENOENT
 * when there is none. *port is Dom0's unbound port for the ring. */
int platform_local_ring(struct platform_ring *ring, unsigned *port);

/* The single place that decides whether a domain still exists. */
enum platform_domain_state platform_domain_state(unsigned domid);

#endif
