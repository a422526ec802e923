/* Mapping console pages on a real Dom0; the handles and event channels are
 * dom0/lib/platform_xen.c's. */
#include "platform.h"

#include <stddef.h>

#include "dom0/lib/platform_xen.h"

int platform_map_grant(unsigned domid, uint32_t ref, struct platform_page *page)
{
    int rc = xendev_map_grant(domid, ref, &page->addr);

    if (rc == 0)
        page->how = XENDEV_GRANT;
    return rc;
}

int platform_map_foreign(unsigned domid, uint64_t gfn, struct platform_page *page)
{
    int rc = xendev_map_foreign(domid, gfn, &page->addr);

    if (rc == 0)
        page->how = XENDEV_FOREIGN;
    return rc;
}

void platform_unmap(struct platform_page *page)
{
    if (page->how)
        xendev_unmap(page->addr, page->how);
    page->addr = NULL;
    page->how = 0;
}
