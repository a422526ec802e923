/* A platform without Xen, for the test binary (xenstored-test) only: the
 * production daemon never contains it. Everything lives in one directory
 * (dom0/lib/platform_fake.h has the rest: guest-<domid>.sock, bindfail):
 *
 *   ring-<domid>   4096-byte file mmapped as that domain's ring page
 *   xsd_kva, xsd_port   Dom0's local ring and its port (as in /proc/xen)
 *   state-<domid>  "alive", "shutdown", "dying" or "gone" (missing: alive)
 *   evtchn         datagram socket the daemon reads: "notify <domid>" is the
 *                  domain kicking its ring's event channel, "virq" is
 *                  VIRQ_DOM_EXC */
#include "platform.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dom0/lib/number_file.h"
#include "dom0/lib/platform_fake.h"

int platform_bind_virq_dom_exc(void)
{
    return fake_bind_virq();
}

int platform_pending(void)
{
    char msg[64];
    unsigned domid;

    if (fake_recv(msg, sizeof(msg)) < 0)
        return -1;
    if (!strcmp(msg, "virq"))
        return fake_find_virq();
    if (sscanf(msg, "notify %u", &domid) == 1)
        return fake_find_domain_port(domid);
    return -1;
}

static int fake_map(const char *path, struct platform_ring *ring)
{
    void *p;
    int rc = fake_map_page(path, &p);

    if (rc < 0)
        return rc;
    ring->intf = p;
    ring->how = 1;
    return 0;
}

int platform_map_ring(unsigned domid, uint64_t gfn, struct platform_ring *ring)
{
    char path[512];

    (void)gfn;
    fake_path(path, sizeof(path), "ring-%u", domid);
    return fake_map(path, ring);
}

void platform_unmap_ring(unsigned domid, struct platform_ring *ring)
{
    (void)domid;
    fake_unmap_page(ring->intf);
    ring->intf = NULL;
    ring->how = 0;
}

int platform_local_ring(struct platform_ring *ring, unsigned *port)
{
    char path[512];
    int rc;

    fake_path(path, sizeof(path), "xsd_port");
    rc = number_file_read(path, port);
    if (rc < 0)
        return rc;
    if (!*port)
        return -ENOENT;
    fake_path(path, sizeof(path), "xsd_kva");
    return fake_map(path, ring);
}

enum platform_domain_state platform_domain_state(unsigned domid)
{
    char path[512], buf[16] = "";
    ssize_t n;
    int fd;

    if (fake_path(path, sizeof(path), "state-%u", domid) < 0)
        return DOMAIN_STATE_ALIVE;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return DOMAIN_STATE_ALIVE;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    if (!strncmp(buf, "shutdown", 8))
        return DOMAIN_STATE_SHUTDOWN;
    if (!strncmp(buf, "dying", 5))
        return DOMAIN_STATE_DYING;
    if (!strncmp(buf, "gone", 4))
        return DOMAIN_STATE_GONE;
    return DOMAIN_STATE_ALIVE;
}
