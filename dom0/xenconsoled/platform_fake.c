/* A platform without Xen, for the test binaries (xenconsoled-test and
 * xenconsoled-test-asan) only; the production daemon never contains it.
 * Everything lives in one directory, which the test plays the guests in:
 *
 *   grant-<domid>        4096-byte file: the page that domain's grant
 *                        reference 0 (GNTTAB_RESERVED_CONSOLE) grants us
 *   gfn-<domid>-<gfn>    4096-byte file: that domain's page at frame <gfn>
 *                        (decimal), for the foreign-mapping fallback
 *   evtchn               datagram socket the daemon reads: "<domid> <port>"
 *                        is domain <domid> notifying its event channel
 *                        <port> (the remote end we bound)
 *   guest-<domid>.sock   if a test binds it, the daemon's notifications to
 *                        that domain arrive there as "notify <port>"
 *   bindfail-<domid>     if present, binding that domain's ports fails
 *
 * Masking is not modelled: every datagram is one event. */
#include "platform.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
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
    unsigned domid;
    unsigned remote;
};

static char *fake_dir;
static int fake_sock = -1;
static struct fake_port fake_ports[FAKE_PORTS];

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
    fake_dir = mem_strdup(arg);
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
    mem_free(fake_dir);
    fake_dir = NULL;
}

int platform_event_fd(void)
{
    return fake_sock;
}

int platform_bind_interdomain(unsigned domid, unsigned remote_port)
{
    char path[512];
    int i;

    snprintf(path, sizeof(path), "%s/bindfail-%u", fake_dir, domid);
    if (access(path, F_OK) == 0)
        return -EINVAL;
    for (i = 1; i < FAKE_PORTS; i++) {
        if (!fake_ports[i].used) {
            fake_ports[i] = (struct fake_port){ 1, domid, remote_port };
            return i;
        }
    }
    return -ENOSPC;
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

    if (local_port >= FAKE_PORTS || !fake_ports[local_port].used)
        return;
    snprintf(path, sizeof(path), "%s/guest-%u.sock", fake_dir, fake_ports[local_port].domid);
    if (fake_addr(&sun, path) < 0)
        return;
    n = snprintf(msg, sizeof(msg), "notify %u", fake_ports[local_port].remote);
    /* Nobody listening is fine: tests may watch the ring instead. */
    (void)!sendto(fake_sock, msg, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&sun, sizeof(sun));
}

int platform_pending(void)
{
    char msg[64];
    ssize_t n = recv(fake_sock, msg, sizeof(msg) - 1, MSG_DONTWAIT);
    unsigned domid, port;
    int i;

    if (n <= 0)
        return -1;
    msg[n] = '\0';
    if (sscanf(msg, "%u %u", &domid, &port) != 2)
        return -1;
    for (i = 1; i < FAKE_PORTS; i++)
        if (fake_ports[i].used && fake_ports[i].domid == domid && fake_ports[i].remote == port)
            return i;
    return -1;
}

void platform_unmask(unsigned local_port)
{
    (void)local_port;
}

static int fake_map(const char *path, struct platform_page *page)
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
    page->addr = p;
    page->how = 1;
    return 0;
}

int platform_map_grant(unsigned domid, uint32_t ref, struct platform_page *page)
{
    char path[512];

    /* Only the console's reserved reference exists on this platform. */
    if (ref != 0)
        return -EINVAL;
    snprintf(path, sizeof(path), "%s/grant-%u", fake_dir, domid);
    return fake_map(path, page);
}

int platform_map_foreign(unsigned domid, uint64_t gfn, struct platform_page *page)
{
    char path[512];

    snprintf(path, sizeof(path), "%s/gfn-%u-%llu", fake_dir, domid, (unsigned long long)gfn);
    return fake_map(path, page);
}

void platform_unmap(struct platform_page *page)
{
    if (page->addr)
        munmap(page->addr, FAKE_PAGE);
    page->addr = NULL;
    page->how = 0;
}
