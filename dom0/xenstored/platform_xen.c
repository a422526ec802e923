/* The platform on a real Dom0: the handles and event channels are
 * dom0/lib/platform_xen.c's (Debian's stable Xen libraries); here are the
 * rings, and xenfs's /proc/xen/xsd_kva and xsd_port for Dom0's own. */
#include "platform.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xen/grant_table.h>
#include <xen/xen.h>

#include "dom0/lib/number_file.h"
#include "dom0/lib/platform_xen.h"

#define XSD_KVA "/proc/xen/xsd_kva"
#define XSD_PORT "/proc/xen/xsd_port"

/* ring->how: XENDEV_GRANT, XENDEV_FOREIGN, or this for Dom0's own ring. */
enum { RING_LOCAL = 0x100 };

int platform_bind_virq_dom_exc(void)
{
    return xendev_bind_virq(VIRQ_DOM_EXC);
}

int platform_map_ring(unsigned domid, uint64_t gfn, struct platform_ring *ring)
{
    void *p;
    int rc, frc;

    rc = xendev_map_grant(domid, GNTTAB_RESERVED_XENSTORE, &p);
    if (rc == 0) {
        ring->intf = p;
        ring->how = XENDEV_GRANT;
        return 0;
    }
    if (gfn) {
        frc = xendev_map_foreign(domid, gfn, &p);
        if (frc == 0) {
            ring->intf = p;
            ring->how = XENDEV_FOREIGN;
            return 0;
        }
        /* Without foreign mapping, the grant's error says more. */
        if (frc != -ENODEV)
            rc = frc;
    }
    return rc;
}

void platform_unmap_ring(unsigned domid, struct platform_ring *ring)
{
    (void)domid;
    if (ring->how == RING_LOCAL)
        munmap(ring->intf, (size_t)getpagesize());
    else if (ring->how)
        xendev_unmap(ring->intf, ring->how);
    ring->intf = NULL;
    ring->how = 0;
}

int platform_local_ring(struct platform_ring *ring, unsigned *port)
{
    void *p;
    int fd, rc;

    rc = number_file_read(XSD_PORT, port);
    if (rc < 0)
        return rc;
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
