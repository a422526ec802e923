/* Destroying a domain and cleaning up after it (see teardown.h). */
#include "teardown.h"

#include <errno.h>
#include <string.h>
#include <xenstore.h>

#include "ctl.h"
#include "qemu_dm.h"
#include "util.h"
#include "xs_store.h"

int domain_teardown(uint32_t domid, struct xs_handle *xs)
{
    if (domid == 0)
        return -EPERM; /* never Dom0, whatever a caller computed */
    /* Its QEMU first, while the guest still exists: QEMU flushes and
     * closes the disk images and unmaps the guest's rings. */
    qemu_dm_stop(domid);
    int rc = ctl_domain_op(BCTL_DOMAIN_DESTROY, domid);
    if (rc == -ESRCH)
        rc = 0;
    if (rc)
        return rc;
    struct xs_handle *own = NULL;
    if (!xs)
        xs = own = xsh_open();
    if (!xs) {
        xl_err("domain %u destroyed, but its xenstore entries stay: cannot reach xenstored "
               "(%s)",
               domid, strerror(errno));
        return 0;
    }
    /* xenstored drops its connection to the domain (and xenconsoled, which
     * watches @releaseDomain, its console); a domain never introduced
     * gives an error that means nothing here. */
    xs_release_domain(xs, domid);
    xsh_remove_domain(xs, domid);
    xsh_close(own);
    return 0;
}
