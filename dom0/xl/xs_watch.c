/* A polled xenstore watch over xenstored's socket (see xs_watch.h). */
#include "xs_watch.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <xen/io/xs_wire.h>

#include "dom0/lib/write_all.h"
#include "dom0/lib/xenstored_path.h"

int xs_watch_open(struct xs_watch_conn *w, const char *path, const char *token)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    size_t plen = strlen(path) + 1, tlen = strlen(token) + 1;

    memset(w, 0, sizeof(*w));
    w->fd = -1;
    if (plen + tlen > XENSTORE_PAYLOAD_MAX)
        return -EINVAL;
    if (!xenstored_socket_path(sa.sun_path, sizeof(sa.sun_path)))
        return -ENAMETOOLONG;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    struct xsd_sockmsg hdr = { .type = XS_WATCH, .len = (uint32_t)(plen + tlen) };
    unsigned char msg[sizeof(hdr) + XENSTORE_PAYLOAD_MAX];
    memcpy(msg, &hdr, sizeof(hdr));
    memcpy(msg + sizeof(hdr), path, plen);
    memcpy(msg + sizeof(hdr) + plen, token, tlen);
    if (write_all(fd, msg, sizeof(hdr) + plen + tlen)) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    /* The reply (OK or an error) is read, and its outcome ignored, by
     * xs_watch_drain: a failed watch leaves the periodic check. */
    w->fd = fd;
    return 0;
}

int xs_watch_drain(struct xs_watch_conn *w)
{
    int events = 0;
    if (w->fd < 0)
        return -1;
    for (;;) {
        ssize_t n = read(w->fd, w->buf + w->have, sizeof(w->buf) - w->have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return events;
        if (n <= 0) {
            xs_watch_close(w);
            return -1;
        }
        w->have += (unsigned)n;
        /* Whole messages are consumed; a partial one waits for the rest. */
        while (w->have >= sizeof(struct xsd_sockmsg)) {
            struct xsd_sockmsg hdr;
            memcpy(&hdr, w->buf, sizeof(hdr));
            if (hdr.len > XENSTORE_PAYLOAD_MAX) {
                xs_watch_close(w); /* not xenstored speaking */
                return -1;
            }
            unsigned total = (unsigned)sizeof(hdr) + hdr.len;
            if (w->have < total)
                break;
            if (hdr.type == XS_WATCH_EVENT)
                events++;
            memmove(w->buf, w->buf + total, w->have - total);
            w->have -= total;
        }
    }
}

void xs_watch_close(struct xs_watch_conn *w)
{
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
    w->have = 0;
}
