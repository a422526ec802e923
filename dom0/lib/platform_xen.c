/* The platform on a real Dom0: Debian's stable Xen libraries over the Linux
 * drivers /dev/xen/evtchn, /dev/xen/gntdev and /dev/xen/privcmd. One handle
 * of each serves every domain (xenevtchn_pending says which port fired). */
#include "platform_xen.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <xenevtchn.h>
#include <xenforeignmemory.h>
#include <xengnttab.h>
#include <xen/xen.h>

#include "log.h"

static xenevtchn_handle *xce;
static xengnttab_handle *xgt;
static xenforeignmemory_handle *xfm;

int platform_open(const char *arg)
{
    (void)arg;
    xce = xenevtchn_open(NULL, 0);
    if (!xce)
        return -errno;
    /* Either mapping method is enough; each may be missing on its own
     * (no gntdev module, or a kernel without privcmd foreign mapping). */
    xgt = xengnttab_open(NULL, 0);
    if (xgt)
        /* One page (ring or console) per domain at most. */
        xengnttab_set_max_grants(xgt, DOMID_FIRST_RESERVED);
    else
        log_msg(LOG_LVL_WARN, "no grant device (%s); mapping rings by GFN", strerror(errno));
    xfm = xenforeignmemory_open(NULL, 0);
    if (!xfm)
        log_msg(LOG_LVL_WARN, "no foreign memory device (%s); grant mapping only",
                strerror(errno));
    if (!xgt && !xfm) {
        xenevtchn_close(xce);
        xce = NULL;
        return -ENODEV;
    }
    return 0;
}

void platform_close(void)
{
    if (xfm)
        xenforeignmemory_close(xfm);
    if (xgt)
        xengnttab_close(xgt);
    if (xce)
        xenevtchn_close(xce);
    xfm = NULL;
    xgt = NULL;
    xce = NULL;
}

int platform_event_fd(void)
{
    return xce ? xenevtchn_fd(xce) : -1;
}

int platform_bind_interdomain(unsigned domid, unsigned remote_port)
{
    xenevtchn_port_or_error_t p = xenevtchn_bind_interdomain(xce, domid, remote_port);

    return p < 0 ? -errno : (int)p;
}

int xendev_bind_virq(unsigned virq)
{
    xenevtchn_port_or_error_t p = xenevtchn_bind_virq(xce, virq);

    return p < 0 ? -errno : (int)p;
}

void platform_unbind(unsigned local_port)
{
    if (xenevtchn_unbind(xce, local_port) < 0)
        log_msg(LOG_LVL_WARN, "unbind port %u: %s", local_port, strerror(errno));
}

void platform_notify(unsigned local_port)
{
    xenevtchn_notify(xce, local_port);
}

int platform_pending(void)
{
    xenevtchn_port_or_error_t p = xenevtchn_pending(xce);

    return p < 0 ? -1 : (int)p;
}

void platform_unmask(unsigned local_port)
{
    xenevtchn_unmask(xce, local_port);
}

int xendev_map_grant(unsigned domid, uint32_t ref, void **addr)
{
    void *p;

    if (!xgt)
        return -ENODEV;
    p = xengnttab_map_grant_ref(xgt, domid, ref, PROT_READ | PROT_WRITE);
    if (!p)
        return -(errno ? errno : EIO);
    *addr = p;
    return 0;
}

int xendev_map_foreign(unsigned domid, uint64_t gfn, void **addr)
{
    xen_pfn_t pfn = (xen_pfn_t)gfn;
    int err = 0;
    void *p;

    if (!xfm)
        return -ENODEV;
    p = xenforeignmemory_map(xfm, domid, PROT_READ | PROT_WRITE, 1, &pfn, &err);
    if (!p)
        return -(errno ? errno : EIO);
    if (err) {
        /* The call succeeds as a whole and reports the page's own error. */
        xenforeignmemory_unmap(xfm, p, 1);
        return -abs(err);
    }
    *addr = p;
    return 0;
}

void xendev_unmap(void *addr, enum xendev_mapping how)
{
    if (how == XENDEV_GRANT)
        xengnttab_unmap(xgt, addr, 1);
    else
        xenforeignmemory_unmap(xfm, addr, 1);
}
