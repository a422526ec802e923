/* A QMP client (see qmp.h). */
#include "qmp.h"

#include <errno.h>
#include <stdbool.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cfg_error.h"
#include "dom0/lib/write_all.h"
#include "qemu_dm_args.h"
#include "util.h"

/* A reply larger than this is not one QEMU sends for what xl asks. */
#define QMP_MAX_LINE (4u << 20)

/* The next line QEMU sent (without its newline), parsed. */
static struct json *read_message(struct qmp *q, uint64_t deadline, char *err, size_t errlen)
{
    for (;;) {
        char *nl = q->have ? memchr(q->buf, '\n', q->have) : NULL;
        if (nl) {
            size_t len = (size_t)(nl - q->buf);
            struct json *j = json_parse(q->buf, len, err, errlen);
            memmove(q->buf, nl + 1, q->have - len - 1);
            q->have -= len + 1;
            if (!j)
                return NULL;
            if (j->type != JSON_OBJECT) {
                json_free(j);
                cfg_fail(err, errlen, "QMP message is not an object");
                return NULL;
            }
            return j;
        }
        if (q->have == q->cap) {
            size_t cap = q->cap ? q->cap * 2 : 8192;
            char *b = cap <= QMP_MAX_LINE ? realloc(q->buf, cap) : NULL;
            if (!b) {
                cfg_fail(err, errlen, "QMP message too long");
                return NULL;
            }
            q->buf = b;
            q->cap = cap;
        }
        uint64_t now = xl_now_ms();
        if (now >= deadline) {
            cfg_fail(err, errlen, "QEMU did not answer within %d s", QMP_TIMEOUT_MS / 1000);
            return NULL;
        }
        struct pollfd p = { .fd = q->fd, .events = POLLIN };
        int n = poll(&p, 1, (int)(deadline - now));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            continue;
        ssize_t got = read(q->fd, q->buf + q->have, q->cap - q->have);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            cfg_fail(err, errlen, "QEMU closed the QMP connection");
            return NULL;
        }
        q->have += (size_t)got;
    }
}

struct json *qmp_call(struct qmp *q, const char *cmd, char *err, size_t errlen)
{
    uint64_t deadline = xl_now_ms() + QMP_TIMEOUT_MS;
    if (write_all(q->fd, cmd, strlen(cmd)) || write_all(q->fd, "\n", 1)) {
        cfg_fail(err, errlen, "cannot send to QEMU: %s", strerror(errno));
        return NULL;
    }
    for (;;) {
        struct json *j = read_message(q, deadline, err, errlen);
        if (!j)
            return NULL;
        if (json_get(j, "return"))
            return j;
        const struct json *e = json_get(j, "error");
        if (e) {
            const char *cls = json_get_string(e, "class");
            const char *desc = json_get_string(e, "desc");
            cfg_fail(err, errlen, "QEMU: %s%s%s%s", desc ? desc : "error", cls ? " (" : "",
                 cls ? cls : "", cls ? ")" : "");
            json_free(j);
            return NULL;
        }
        json_free(j); /* an event, or the greeting: not the answer */
    }
}

int qmp_open(struct qmp *q, uint32_t domid, char *err, size_t errlen)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    char path[sizeof(sa.sun_path)];
    memset(q, 0, sizeof(*q));
    q->fd = -1;
    qemu_dm_qmp_path(domid, path, sizeof(path));
    memcpy(sa.sun_path, path, sizeof(path));
    q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (q->fd < 0)
        return cfg_fail(err, errlen, "socket: %s", strerror(errno));
    if (connect(q->fd, (struct sockaddr *)&sa, sizeof(sa))) {
        int e = errno;
        qmp_close(q);
        return cfg_fail(err, errlen, "cannot connect to QEMU's QMP socket %s: %s", path, strerror(e));
    }
    struct json *greeting = read_message(q, xl_now_ms() + QMP_TIMEOUT_MS, err, errlen);
    bool read = greeting != NULL, ok = read && json_get(greeting, "QMP");
    json_free(greeting);
    if (!ok) {
        qmp_close(q);
        return read ? cfg_fail(err, errlen, "%s does not greet as QMP", path) : -1;
    }
    struct json *r = qmp_call(q, "{\"execute\":\"qmp_capabilities\"}", err, errlen);
    if (!r) {
        qmp_close(q);
        return -1;
    }
    json_free(r);
    return 0;
}

void qmp_close(struct qmp *q)
{
    if (q->fd >= 0)
        close(q->fd);
    free(q->buf);
    memset(q, 0, sizeof(*q));
    q->fd = -1;
}
