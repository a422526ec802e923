/* A platform without Xen, for the test binaries (xenconsoled-test and
 * xenconsoled-test-asan) only; the production daemon never contains it.
 * Everything lives in one directory, which the test plays the guests in
 * (dom0/lib/platform_fake.h has the rest: guest-<domid>.sock, bindfail):
 *
 *   grant-<domid>        4096-byte file: the page that domain's grant
 *                        reference 0 (GNTTAB_RESERVED_CONSOLE) grants us
 *   gfn-<domid>-<gfn>    4096-byte file: that domain's page at frame <gfn>
 *                        (decimal), for the foreign-mapping fallback
 *   evtchn               datagram socket the daemon reads: "<domid> <port>"
 *                        is domain <domid> notifying its event channel
 *                        <port> (the remote end we bound) */
#include "platform.h"

#include <errno.h>
#include <stdio.h>

#include "dom0/lib/platform_fake.h"

int platform_pending(void)
{
    char msg[64];
    unsigned domid, port;

    if (fake_recv(msg, sizeof(msg)) < 0)
        return -1;
    if (sscanf(msg, "%u %u", &domid, &port) != 2)
        return -1;
    return fake_find_port(domid, port);
}

static int fake_map(const char *path, struct platform_page *page)
{
    int rc = fake_map_page(path, &page->addr);

    if (rc == 0)
        page->how = 1;
    return rc;
}

int platform_map_grant(unsigned domid, uint32_t ref, struct platform_page *page)
{
    char path[512];

    /* Only the console's reserved reference exists on this platform. */
    if (ref != 0)
        return -EINVAL;
    fake_path(path, sizeof(path), "grant-%u", domid);
    return fake_map(path, page);
}

int platform_map_foreign(unsigned domid, uint64_t gfn, struct platform_page *page)
{
    char path[512];

    fake_path(path, sizeof(path), "gfn-%u-%llu", domid, (unsigned long long)gfn);
    return fake_map(path, page);
}

void platform_unmap(struct platform_page *page)
{
    fake_unmap_page(page->addr);
    page->addr = NULL;
    page->how = 0;
}
