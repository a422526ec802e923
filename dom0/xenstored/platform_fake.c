/* A platform without Xen, for the test binary (xenstored-test) only: the
 * production daemon never contains it. Everything lives in one directory:
 *
 *   ring-<domid>   4096-byte file mmapped as that domain's ring page
 *   xsd_kva, xsd_port   Dom0's local ring and its port (as in /proc/xen)
 *   state-<domid>  "alive", "shutdown", "dying" or "gone" (missing: alive)
 *   evtchn         datagram socket the daemon reads: "notify <domid>" is the
 *                  domain kicking its ring's event channel, "virq" is
 *                  VIRQ_DOM_EXC
 *   guest-<domid>.sock  if a test binds it, the daemon's notifications to
 *                  that domain arrive there as "notify <remote port>"
 *   bindfail-<domid>    if present, binding that domain's port fails */
#include "platform.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "mem.h"

#define FAKE_PORTS 1024
#define FAKE_PAGE 4096

struct fake_port {
    int used;
    int virq;
    unsigned domid;
    unsigned remote;
};

static char *fake_dir;
static int fake_sock = -1;
static struct fake_port fake_ports[FAKE_PORTS];

static void fake_path(char *buf, size_t len, const char *fmt, unsigned domid)
{
    char name[64];

    snprintf(name, sizeof(name), fmt, domid);
    snprintf(buf, len, "%s/%s", fake_dir, name);
}

static int fake_addr(struct sockaddr_un *sun, const char *path)
{
    memset(sun, 0, sizeof(*sun));
    sun->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sun->sun_path))
        return -ENAMETOOLONG;
    memcpy(sun->sun_path, path, strlen(path) + 1);
    return 0;
}

int platform_open(const char *arg)
{
    struct sockaddr_un sun;
    char path[512];
    int rc;

    if (!arg)
        return -EINVAL;
    fake_dir = xs_strdup(arg);
    snprintf(path, sizeof(path), "%s/evtchn", fake_dir);
    rc = fake_addr(&sun, path);
    if (rc < 0)
        return rc;
    unlink(path);
    fake_sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fake_sock < 0 || bind(fake_sock, (struct sockaddr *)&sun, sizeof(sun)) < 0)
        return -errno;
    return 0;
}

void platform_close(void)
{
    char path[512];

    if (fake_sock >= 0) {
        close(fake_sock);
        snprintf(path, sizeof(path), "%s/evtchn", fake_dir);
        unlink(path);
    }
    fake_sock = -1;
    memset(fake_ports, 0, sizeof(fake_ports));
    xs_free(fake_dir);
    fake_dir = NULL;
}

int platform_event_fd(void)
{
    return fake_sock;
}

static int fake_alloc(void)
{
    int i;

    for (i = 1; i < FAKE_PORTS; i++)
        if (!fake_ports[i].used)
            return i;
    return -ENOSPC;
}

int platform_bind_interdomain(unsigned domid, unsigned remote_port)
{
    char path[512];
    int p;

    fake_path(path, sizeof(path), "bindfail-%u", domid);
    if (access(path, F_OK) == 0)
        return -EINVAL;
    p = fake_alloc();
    if (p < 0)
        return p;
    fake_ports[p] = (struct fake_port){ .used = 1, .domid = domid, .remote = remote_port };
    return p;
}

int platform_bind_virq_dom_exc(void)
{
    int p = fake_alloc();

    if (p < 0)
        return p;
    fake_ports[p] = (struct fake_port){ .used = 1, .virq = 1 };
    return p;
}

void platform_unbind(unsigned local_port)
{
    if (local_port < FAKE_PORTS)
        fake_ports[local_port].used = 0;
}

void platform_notify(unsigned local_port)
{
    struct sockaddr_un sun;
    char path[512], msg[32];
    int n;

    if (local_port >= FAKE_PORTS || !fake_ports[local_port].used || fake_ports[local_port].virq)
        return;
    fake_path(path, sizeof(path), "guest-%u.sock", fake_ports[local_port].domid);
    if (fake_addr(&sun, path) < 0)
        return;
    n = snprintf(msg, sizeof(msg), "notify %u", fake_ports[local_port].remote);
    /* Nobody listening is fine: tests may poll the ring instead. */
    (void)!sendto(fake_sock, msg, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&sun, sizeof(sun));
}

int platform_pending(void)
{
    char msg[64];
    ssize_t n = recv(fake_sock, msg, sizeof(msg) - 1, MSG_DONTWAIT);
    unsigned domid;
    int i;

    if (n <= 0)
        return -1;
    msg[n] = '\0';
    for (i = 1; i < FAKE_PORTS; i++) {
        if (!fake_ports[i].used)
            continue;
        if (!strcmp(msg, "virq") && fake_ports[i].virq)
            return i;
        if (sscanf(msg, "notify %u", &domid) == 1 && !fake_ports[i].virq &&
            fake_ports[i].domid == domid)
            return i;
    }
    return -1;
}

void platform_unmask(unsigned local_port)
{
    (void)local_port;
}

static int fake_map(const char *path, struct platform_ring *ring)
{
    int fd = open(path, O_RDWR | O_CLOEXEC);
    struct stat st;
    void *p;

    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0 || st.st_size < FAKE_PAGE) {
        close(fd);
        return -EINVAL;
    }
    p = mmap(NULL, FAKE_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
        return -errno;
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
    if (ring->intf)
        munmap(ring->intf, FAKE_PAGE);
    ring->intf = NULL;
    ring->how = 0;
}

int platform_local_ring(struct platform_ring *ring, unsigned *port)
{
    char path[512], buf[32];
    ssize_t n;
    int fd;

    snprintf(path, sizeof(path), "%s/xsd_port", fake_dir);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -ENOENT;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -EIO;
    buf[n] = '\0';
    *port = (unsigned)strtoul(buf, NULL, 10);
    if (!*port)
        return -ENOENT;
    snprintf(path, sizeof(path), "%s/xsd_kva", fake_dir);
    return fake_map(path, ring);
}

enum platform_domain_state platform_domain_state(unsigned domid)
{
    char path[512], buf[16] = "";
    ssize_t n;
    int fd;

    if (!fake_dir)
        return DOMAIN_STATE_ALIVE;
    fake_path(path, sizeof(path), "state-%u", domid);
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
