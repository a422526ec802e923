/* Whether a domain still exists: the one question xenstored asks the
 * hypervisor about domain lifetimes (on VIRQ_DOM_EXC, and when a permission
 * names an unknown domain). Answered with Basalt's control hypercall
 * (docs/abi/control.md, BCTL_DOMAIN_INFO); Xen would use a domctl here.
 * Any failure other than "no such domain" answers ALIVE, so that a
 * transient error never tears a live domain's store down. */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <xencall.h>

#include "lib/basalt_ctl.h"
#include "platform.h"

static xencall_handle *xcall;

enum platform_domain_state platform_domain_state(unsigned domid)
{
    if (!xcall && !(xcall = xencall_open(NULL, 0)))
        return DOMAIN_STATE_ALIVE;
    struct basalt_ctl *op = xencall_alloc_buffer(xcall, sizeof(*op));
    if (!op)
        return DOMAIN_STATE_ALIVE;
    memset(op, 0, sizeof(*op));
    op->version = BASALT_CTL_VERSION;
    op->cmd = BCTL_DOMAIN_INFO;
    op->domid = domid;
    int rc = xencall1(xcall, __HYPERVISOR_basalt_ctl, (uint64_t)(uintptr_t)op);
    enum platform_domain_state st = DOMAIN_STATE_ALIVE;
    if ((rc < 0 && errno == ESRCH) || (rc == 0 && op->domid != domid))
        st = DOMAIN_STATE_GONE; /* INFO answers for the next domain up */
    else if (rc == 0 && (op->u.info.flags & BDOM_DYING))
        st = DOMAIN_STATE_DYING;
    else if (rc == 0 && (op->u.info.flags & BDOM_SHUTDOWN))
        st = DOMAIN_STATE_SHUTDOWN;
    xencall_free_buffer(xcall, op);
    return st;
}
