/* A platform without Xen, for the test binaries (<daemon>-test and
 * <daemon>-test-asan) only; the production daemons never contain it (it is
 * in libbasalt-dom0-fake.a, which they do not link). */
#include "platform_fake.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "mem.h"

#define FAKE_PORTS 1024

struct fake_port {
    int used;
    int virq;
    unsigned domid;
    unsigned remote;
};

static char *fake_dir;
static int fake_sock = -1;
static struct fake_port fake_ports[FAKE_PORTS];

int fake_path(char *buf, size_t len, const char *fmt, ...)
{
    char name[64];
    va_list ap;

    if (!fake_dir)
        return -1;
    va_start(ap, fmt);
    vsnprintf(name, sizeof(name), fmt, ap);
    va_end(ap);
    snprintf(buf, len, "%s/%s", fake_dir, name);
    return 0;
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
    fake_dir = mem_strdup(arg);
    fake_path(path, sizeof(path), "evtchn");
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
        fake_path(path, sizeof(path), "evtchn");
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

int fake_bind_virq(void)
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
    /* Nobody listening is fine: tests may watch the ring instead. */
    (void)!sendto(fake_sock, msg, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&sun, sizeof(sun));
}

void platform_unmask(unsigned local_port)
{
    (void)local_port;
}

int fake_recv(char *buf, size_t len)
{
    ssize_t n = recv(fake_sock, buf, len - 1, MSG_DONTWAIT);

    if (n <= 0)
        return -1;
    buf[n] = '\0';
    return (int)n;
}

static int fake_find(unsigned domid, const unsigned *remote_port)
{
    int i;

    for (i = 1; i < FAKE_PORTS; i++)
        if (fake_ports[i].used && !fake_ports[i].virq && fake_ports[i].domid == domid &&
            (!remote_port || fake_ports[i].remote == *remote_port))
            return i;
    return -1;
}

int fake_find_port(unsigned domid, unsigned remote_port)
{
    return fake_find(domid, &remote_port);
}

int fake_find_domain_port(unsigned domid)
{
    return fake_find(domid, NULL);
}

int fake_find_virq(void)
{
    int i;

    for (i = 1; i < FAKE_PORTS; i++)
        if (fake_ports[i].used && fake_ports[i].virq)
            return i;
    return -1;
}

int fake_map_page(const char *path, void **addr)
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
    *addr = p;
    return 0;
}

void fake_unmap_page(void *addr)
{
    if (addr)
        munmap(addr, FAKE_PAGE);
}
