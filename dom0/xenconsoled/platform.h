/* Everything xenconsoled needs from the hypervisor, behind one small
 * interface: interdomain event channels (dom0/lib/platform.h, shared with
 * xenstored) and mapping a guest's console page. Nothing else in the
 * daemon touches the /dev/xen devices.
 *
 * platform_xen.c implements it with Debian's libxenevtchn, libxengnttab and
 * libxenforeignmemory (the production binary), on dom0/lib/platform_xen.c.
 * platform_fake.c implements it with files and datagram sockets for host
 * tests (test binaries only), on dom0/lib/platform_fake.c.
 *
 * The policy "grant reference 0 first, the ring-ref GFN second" lives in
 * console.c, so both paths run on the fake platform too. */
#ifndef XENCONSOLED_PLATFORM_H
#define XENCONSOLED_PLATFORM_H

#include <stdint.h>

#include "dom0/lib/platform.h"

struct platform_page {
    void *addr;
    int how;            /* implementation's record of how it was mapped */
};

/* Maps one page of domain `domid` read-write: the page its grant reference
 * `ref` grants us, or the page at its guest frame `gfn`. 0 or -errno. */
int platform_map_grant(unsigned domid, uint32_t ref, struct platform_page *page);
int platform_map_foreign(unsigned domid, uint64_t gfn, struct platform_page *page);
void platform_unmap(struct platform_page *page);

#endif
