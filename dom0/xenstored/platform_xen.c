/* The platform on a real Dom0: Debian's stable Xen libraries over the Linux
 * drivers /dev/xen/evtchn, /dev/xen/gntdev and /dev/xen/privcmd, and
 * xenfs's /proc/xen/xsd_kva and xsd_port for Dom0's own ring. */
#include "platform.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xenevtchn.h>
#include <xenforeignmemory.h>
#include <xengnttab.h>
#include <xen/grant_table.h>
#include <xen/xen.h>

#include "log.h"

#define XSD_KVA "/proc/xen/xsd_kva"
#define XSD_PORT "/proc/xen/xsd_port"

enum { RING_GRANT = 1, RING_FOREIGN, RING_LOCAL };

static xenevtchn_handle *xce;
static xengnttab_handle *xgt;
static xenforeignmemory_handle *xfm;

int platform_open(const char *arg)
{
    (void)arg;
    xce = xenevtchn_open(NULL, 0);
    if (!xce)
        return -errno;
    xgt = xengnttab_open(NULL, 0);
    if (xgt)
        /* One grant per domain at most. */
        xengnttab_set_max_grants(xgt, DOMID_FIRST_RESERVED);
    else
        log_msg(LOG_LVL_WARN, "no grant device (%s); mapping rings by GFN", strerror(errno));
    xfm = xenforeignmemory_open(NULL, 0);
    if (!xfm)
        log_msg(LOG_LVL_WARN, "no foreign memory device (%s)", strerror(errno));
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

int platform_bind_virq_dom_exc(void)
{
    xenevtchn_port_or_error_t p = xenevtchn_bind_virq(xce, VIRQ_DOM_EXC);

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

int platform_map_ring(unsigned domid, uint64_t gfn, struct platform_ring *ring)
{
    void *p = NULL;
    int err = ENODEV;

    if (xgt) {
        p = xengnttab_map_grant_ref(xgt, domid, GNTTAB_RESERVED_XENSTORE,
                                    PROT_READ | PROT_WRITE);
        if (p) {
            ring->intf = p;
            ring->how = RING_GRANT;
            return 0;
        }
        err = errno;
    }
    if (xfm && gfn) {
        xen_pfn_t pfn = (xen_pfn_t)gfn;
        int perr = 0;

        p = xenforeignmemory_map(xfm, domid, PROT_READ | PROT_WRITE, 1, &pfn, &perr);
        if (p && !perr) {
            ring->intf = p;
            ring->how = RING_FOREIGN;
            return 0;
        }
        if (p)
            xenforeignmemory_unmap(xfm, p, 1);
        err = perr ? abs(perr) : errno;
    }
    return -err;
}

void platform_unmap_ring(unsigned domid, struct platform_ring *ring)
{
    (void)domid;
    switch (ring->how) {
    case RING_GRANT:
        xengnttab_unmap(xgt, ring->intf, 1);
        break;
    case RING_FOREIGN:
        xenforeignmemory_unmap(xfm, ring->intf, 1);
        break;
    case RING_LOCAL:
        munmap(ring->intf, (size_t)getpagesize());
        break;
    }
    ring->intf = NULL;
    ring->how = 0;
}

int platform_local_ring(struct platform_ring *ring, unsigned *port)
{
    char buf[32];
    ssize_t n;
    void *p;
    int fd;

    fd = open(XSD_PORT, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -ENOENT;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -EIO;
    buf[n] = '\0';
    *port = (unsigned)strtoul(buf, NULL, 10);
    /* Port 0: the kernel is not in local mode (its store lives elsewhere). */
    if (*port == 0)
        return -ENOENT;
    fd = open(XSD_KVA, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    p = mmap(NULL, (size_t)getpagesize(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
        return -errno;
    ring->intf = p;
    ring->how = RING_LOCAL;
    return 0;
}
