/* Destroying a domain and cleaning up after it (see teardown.h). */
#include "teardown.h"

#include <errno.h>
#include <string.h>
#include <xenstore.h>

#include "ctl.h"
#include "domain_userdata.h"
#include "qemu_dm.h"
#include "util.h"
#include "vif_devices.h"
#include "xs_store.h"

int domain_teardown(uint32_t domid, struct xs_handle *xs)
{
    if (domid == 0)
        return -EPERM; /* never Dom0, whatever a caller computed */
    /* Its QEMU first, while the guest still exists: QEMU flushes and
     * closes the disk images and unmaps the guest's rings. */
    qemu_dm_stop(domid);
    struct xs_handle *own = NULL;
    int xs_errno = 0;
    if (!xs) {
        xs = own = xsh_open();
        xs_errno = errno;
    }
    /* Then its vifs, with the domain paused, as libxl does: netback lets
     * go of its pages while it still exists. */
    if (xs) {
        ctl_domain_op(BCTL_DOMAIN_PAUSE, domid);
        vif_devices_remove_all(xs, domid);
    }
    int rc = ctl_domain_op(BCTL_DOMAIN_DESTROY, domid);
    if (rc == -ESRCH)
        rc = 0;
    if (rc) {
        xsh_close(own);
        return rc;
    }
    userdata_remove(domid);
    if (!xs) {
        xl_err("domain %u destroyed, but its xenstore entries stay: cannot reach xenstored "
               "(%s)",
               domid, strerror(xs_errno));
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
