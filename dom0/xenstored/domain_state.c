/* Whether a domain still exists: the one question xenstored asks the
 * hypervisor about domain lifetimes (on VIRQ_DOM_EXC, and when a permission
 * names an unknown domain).
 *
 * STUB: Xen answers this with XEN_DOMCTL_getdomaininfo (flags shutdown,
 * dying). Basalt will answer it with its own control hypercall, whose ABI
 * (docs/abi/) is not written yet. Until then every domain counts as alive:
 * domains are cleaned up only by an explicit XS_RELEASE from the toolstack
 * (which `xl destroy` sends), never by noticing their death.
 *
 * To implement: issue the control hypercall through /dev/xen/privcmd (or
 * libxencall) and map its result:
 *   domain running or paused            -> DOMAIN_STATE_ALIVE
 *   shut down or crashed, not destroyed -> DOMAIN_STATE_SHUTDOWN
 *   destruction in progress             -> DOMAIN_STATE_DYING
 *   no such domain (ESRCH)              -> DOMAIN_STATE_GONE
 * Any other failure should answer ALIVE so a transient error never tears a
 * live domain's store down. */
#include "platform.h"

enum platform_domain_state platform_domain_state(unsigned domid)
{
    (void)domid;
    return DOMAIN_STATE_ALIVE;
}
