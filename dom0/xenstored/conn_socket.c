#include "conn_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "dom0/lib/log.h"

#include "conn.h"
#include "dom0/lib/mem.h"

static int socket_read(struct conn *c, void *buf, unsigned len, unsigned *err)
{
    ssize_t n = recv(c->fd, buf, len, MSG_DONTWAIT);

    if (n > 0)
        return (int)n;
    if (n == 0) {
        conn_kill(c, "client closed the connection");
        return -1;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return 0;
    *err = XENSTORE_ERROR_COMM;
    return -1;
}

static int socket_write(struct conn *c, const void *buf, unsigned len, unsigned *err)
{
    ssize_t n = send(c->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);

    if (n >= 0)
        return (int)n;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return 0;
    if (errno == EPIPE || errno == ECONNRESET) {
        conn_kill(c, "client went away");
        return -1;
    }
    *err = XENSTORE_ERROR_COMM;
    return -1;
}

static void socket_fail(struct conn *c, unsigned err)
{
    (void)err;
    conn_kill(c, "socket error or protocol violation");
}

static void socket_release(struct conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

static const struct conn_ops socket_ops = {
    .kind = "socket",
    .read = socket_read,
    .write = socket_write,
    .fail = socket_fail,
    .release = socket_release,
    .drop_events_on_overflow = false,
};

static int socket_make_dir(const char *path)
{
    char *dir = mem_strdup(path), *slash = strrchr(dir, '/');
    int rc = 0;

    if (slash && slash != dir) {
        *slash = '\0';
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
            rc = -errno;
    }
    mem_free(dir);
    return rc;
}

int socket_listen(const char *path)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    struct stat st;
    int fd, rc;

    if (strlen(path) >= sizeof(sun.sun_path))
        return -ENAMETOOLONG;
    memcpy(sun.sun_path, path, strlen(path) + 1);
    rc = socket_make_dir(path);
    if (rc < 0)
        return rc;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            close(fd);
            return -EEXIST;
        }
        /* A socket nobody answers on is left over from a crash. */
        if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 || errno == EAGAIN) {
            close(fd);
            return -EADDRINUSE;
        }
        close(fd);
        unlink(path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
            return -errno;
    }
    if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || chmod(path, 0600) < 0 ||
        listen(fd, 64) < 0) {
        rc = -errno;
        close(fd);
        return rc;
    }
    return fd;
}

void socket_accept(int listen_fd)
{
    for (;;) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        struct conn *c;

        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                log_msg(LOG_LVL_WARN, "accept: %s", strerror(errno));
            return;
        }
        c = conn_new(&socket_ops, 0);
        c->fd = fd;
    }
}
