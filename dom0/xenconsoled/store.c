#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
/* xs_wire.h defines its error table only when the errno names exist. */
#include <xen/io/xs_wire.h>

#include "dom0/lib/log.h"
#include "dom0/lib/mem.h"
#include "dom0/lib/xenstored_path.h"

#define STORE_TIMEOUT_MS 30000
#define HDR_SIZE sizeof(struct xsd_sockmsg)

struct store_event {
    struct store_event *next;
    const char *path;
    const char *token;
    char data[];
};

static int fd = -1;
static bool dead = true;
static uint32_t req_seq;
/* Bytes received and not yet parsed: at most one message plus a part. */
static char inbuf[2 * (HDR_SIZE + XENSTORE_PAYLOAD_MAX)];
static size_t in_len;
static struct store_event *ev_head, **ev_tail = &ev_head;

/* stat() decides: a socket is connected to, anything else is opened as a
 * device (the xenbus device speaks the same protocol). */
static int try_path(const char *path)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    struct stat st;
    int s;

    if (stat(path, &st) < 0)
        return -errno;
    if (!S_ISSOCK(st.st_mode)) {
        s = open(path, O_RDWR | O_CLOEXEC);
        return s < 0 ? -errno : s;
    }
    if (strlen(path) >= sizeof(sun.sun_path))
        return -ENAMETOOLONG;
    memcpy(sun.sun_path, path, strlen(path) + 1);
    s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -errno;
    if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
        int err = errno;

        close(s);
        return -err;
    }
    return s;
}

int store_open(void)
{
    const char *env = getenv("XENSTORED_PATH");
    char buf[512];
    const char *path = xenstored_socket_path(buf, sizeof(buf));
    int rc;

    rc = path ? try_path(path) : -ENAMETOOLONG;
    if (rc < 0) {
        /* libxenstore's fallback: $XENSTORED_PATH may name the device. */
        const char *dev = env ? env : access("/dev/xen/xenbus", F_OK) == 0 ?
                          "/dev/xen/xenbus" : "/proc/xen/xenbus";

        rc = try_path(dev);
        if (rc >= 0)
            log_msg(LOG_LVL_DEBUG, "xenstore through %s", dev);
    }
    if (rc < 0)
        return rc;
    fd = rc;
    if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
        rc = -errno;
        close(fd);
        fd = -1;
        return rc;
    }
    dead = false;
    in_len = 0;
    return 0;
}

static void set_dead(const char *why)
{
    if (!dead)
        log_msg(LOG_LVL_ERR, "xenstore connection lost: %s", why);
    dead = true;
}

void store_close(void)
{
    void *ev;
    const char *p, *t;

    while ((ev = store_next_event(&p, &t)))
        mem_free(ev);
    if (fd >= 0)
        close(fd);
    fd = -1;
    dead = true;
    in_len = 0;
}

int store_fd(void)
{
    return fd;
}

bool store_alive(void)
{
    return !dead;
}

bool store_has_events(void)
{
    return ev_head != NULL;
}

void store_free(void *p)
{
    mem_free(p);
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits up to `timeout_ms` for `events`: 1 ready, 0 timed out. */
static int wait_fd(short events, int timeout_ms)
{
    struct pollfd p = { .fd = fd, .events = events };
    int rc;

    do
        rc = poll(&p, 1, timeout_ms);
    while (rc < 0 && errno == EINTR);
    return rc > 0;
}

/* Reads what is there into inbuf (never more than fits). 1 if something
 * came, 0 if nothing, -EPIPE when the connection is gone. */
static int read_some(void)
{
    ssize_t n;

    if (in_len == sizeof(inbuf))
        return 0;
    n = read(fd, inbuf + in_len, sizeof(inbuf) - in_len);
    if (n > 0) {
        in_len += (size_t)n;
        return 1;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    set_dead(n == 0 ? "closed by xenstored" : strerror(errno));
    return -EPIPE;
}

static void queue_event(const char *payload, uint32_t len)
{
    const char *path = payload, *token, *end = payload + len;
    struct store_event *ev;
    size_t plen;

    /* "path\0token\0": anything else is ignored. */
    token = memchr(path, '\0', len);
    if (!token || ++token >= end || !memchr(token, '\0', (size_t)(end - token)))
        return;
    plen = strlen(path) + 1;
    ev = mem_zalloc(sizeof(*ev) + plen + strlen(token) + 1);
    memcpy(ev->data, path, plen);
    memcpy(ev->data + plen, token, strlen(token) + 1);
    ev->path = ev->data;
    ev->token = ev->data + plen;
    *ev_tail = ev;
    ev_tail = &ev->next;
}

/* Takes the first complete message out of inbuf: 1 (with *hdr and a
 * NUL-terminated copy of the payload in *payload, to be freed), 0 if none
 * is complete, -EPIPE on a malformed header. */
static int next_message(struct xsd_sockmsg *hdr, char **payload)
{
    size_t total;

    if (in_len < HDR_SIZE)
        return 0;
    memcpy(hdr, inbuf, HDR_SIZE);
    if (hdr->len > XENSTORE_PAYLOAD_MAX) {
        set_dead("oversized message");
        return -EPIPE;
    }
    total = HDR_SIZE + hdr->len;
    if (in_len < total)
        return 0;
    *payload = mem_zalloc(hdr->len + 1);
    memcpy(*payload, inbuf + HDR_SIZE, hdr->len);
    memmove(inbuf, inbuf + total, in_len - total);
    in_len -= total;
    return 1;
}

/* Parses every complete message: events are queued; a reply to `req`
 * (0: none awaited) is returned through *rhdr and *rpayload with 1; other
 * replies are stale (a request that timed out) and dropped. Parsing does
 * not stop at the reply: events behind it in the same read would
 * otherwise sit unseen in inbuf, with nothing left on the socket to wake
 * poll(). */
static int parse(uint32_t req, struct xsd_sockmsg *rhdr, char **rpayload)
{
    struct xsd_sockmsg hdr;
    char *payload;
    int rc, found = 0;

    while ((rc = next_message(&hdr, &payload)) > 0) {
        if (hdr.type == XS_WATCH_EVENT) {
            queue_event(payload, hdr.len);
        } else if (req && !found && hdr.req_id == req) {
            *rhdr = hdr;
            *rpayload = payload;
            found = 1;
            continue;
        }
        mem_free(payload);
    }
    if (rc < 0 && found) {
        mem_free(*rpayload);
        *rpayload = NULL;
    }
    return rc < 0 ? rc : found;
}

int store_pump(void)
{
    struct xsd_sockmsg hdr;
    char *payload = NULL;
    int rc;

    if (dead)
        return -EPIPE;
    do {
        rc = read_some();
        if (rc < 0)
            return rc;
        if (parse(0, &hdr, &payload) < 0)
            return -EPIPE;
    } while (rc > 0);
    return 0;
}

static int send_all(const char *buf, size_t len, int64_t deadline)
{
    while (len) {
        ssize_t n = write(fd, buf, len);

        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            int64_t left = deadline - now_ms();

            if (left <= 0 || !wait_fd(POLLOUT, (int)left)) {
                set_dead("write timed out");
                return -EPIPE;
            }
            continue;
        }
        if (n <= 0) {
            set_dead(strerror(errno));
            return -EPIPE;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static int error_number(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
        if (!strcmp(name, xsd_errors[i].errstring))
            return xsd_errors[i].errnum;
    return EINVAL;
}

/* One request: payload is `a` (with its NUL when a_nul) followed by `b`
 * (with its NUL when b_nul). The reply's payload, NUL-terminated, goes to
 * *reply (release with mem_free) if reply is not NULL. 0 or -errno. */
static int request(uint32_t type, const char *a, bool a_nul, const char *b, bool b_nul,
                   char **reply, unsigned *rlen)
{
    size_t la = a ? strlen(a) + a_nul : 0, lb = b ? strlen(b) + b_nul : 0;
    char msg[HDR_SIZE + XENSTORE_PAYLOAD_MAX];
    struct xsd_sockmsg hdr;
    int64_t deadline = now_ms() + STORE_TIMEOUT_MS;
    char *payload = NULL;
    int rc;

    if (dead)
        return -EPIPE;
    if (la + lb > XENSTORE_PAYLOAD_MAX)
        return -E2BIG;
    if (++req_seq == 0)
        req_seq = 1;
    hdr = (struct xsd_sockmsg){ .type = type, .req_id = req_seq, .tx_id = 0,
                                .len = (uint32_t)(la + lb) };
    memcpy(msg, &hdr, HDR_SIZE);
    if (la)
        memcpy(msg + HDR_SIZE, a, la);
    if (lb)
        memcpy(msg + HDR_SIZE + la, b, lb);
    /* One write: the xenbus device wants whole messages. */
    rc = send_all(msg, HDR_SIZE + la + lb, deadline);
    if (rc < 0)
        return rc;
    for (;;) {
        int64_t left;

        rc = parse(req_seq, &hdr, &payload);
        if (rc < 0)
            return rc;
        if (rc > 0)
            break;
        left = deadline - now_ms();
        if (left <= 0 || !wait_fd(POLLIN, (int)left)) {
            set_dead("no reply within 30 s");
            return -EPIPE;
        }
        if (read_some() < 0)
            return -EPIPE;
    }
    if (hdr.type == XS_ERROR) {
        rc = -error_number(payload);
        mem_free(payload);
        return rc;
    }
    if (hdr.type != type) {
        mem_free(payload);
        set_dead("reply of the wrong type");
        return -EPIPE;
    }
    if (rlen)
        *rlen = hdr.len;
    if (reply)
        *reply = payload;
    else
        mem_free(payload);
    return 0;
}

char *store_read(const char *path)
{
    char *value = NULL;
    int rc = request(XS_READ, path, true, NULL, false, &value, NULL);

    if (rc < 0)
        errno = -rc;
    return rc < 0 ? NULL : value;
}

/* Strict decimal: no sign, no spaces, no trailing text, no overflow. A
 * toolstack writes these; anything else is refused, not guessed at. */
static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;

    if (!*s || strlen(s) > 20)
        return -EINVAL;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -EINVAL;
        if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
            return -EINVAL;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    if (v > max)
        return -EINVAL;
    *out = v;
    return 0;
}

int store_read_u64(const char *path, uint64_t max, uint64_t *out)
{
    char *s = store_read(path);
    int rc;

    if (!s)
        return -ENOENT;
    rc = parse_u64(s, max, out);
    mem_free(s);
    return rc;
}

int store_write(const char *path, const char *value)
{
    return request(XS_WRITE, path, true, value, false, NULL, NULL);
}

int store_rm(const char *path)
{
    int rc = request(XS_RM, path, true, NULL, false, NULL, NULL);

    return rc == -ENOENT ? 0 : rc;
}

/* "a\0b\0...": into one block of pointers followed by the strings. */
static char **split_strings(const char *s, size_t len, unsigned *n)
{
    unsigned count = 0, i = 0;
    size_t off;
    char **v, *copy;

    /* Bounded: the last name may lack its NUL. */
    for (off = 0; off < len; off += strnlen(s + off, len - off) + 1)
        count++;
    v = mem_zalloc((count + 1) * sizeof(char *) + len + 1);
    copy = (char *)(v + count + 1);
    memcpy(copy, s, len);
    for (off = 0; off < len && i < count; off += strlen(copy + off) + 1)
        v[i++] = copy + off;
    *n = count;
    return v;
}

/* Directories too big for one reply come in parts: "gen\0" then names
 * from the requested offset, each NUL-terminated, and one more NUL after
 * the last name. A changed generation means the directory changed
 * meanwhile: start again. */
static char **list_in_parts(const char *path, unsigned *n)
{
    char *all = NULL, gen[32] = "", off[24];
    size_t len = 0;
    unsigned restarts = 0;
    int err = 0;

    for (;;) {
        char *part = NULL, *grown;
        unsigned plen = 0;
        size_t glen, nlen;
        const char *names;
        int rc;

        snprintf(off, sizeof(off), "%zu", len);
        rc = request(XS_DIRECTORY_PART, path, true, off, true, &part, &plen);
        if (rc < 0) {
            err = -rc;
            break;
        }
        glen = strnlen(part, plen);
        if (glen >= plen || glen >= sizeof(gen)) {
            mem_free(part);
            err = EIO;
            break;
        }
        if (len && strcmp(gen, part)) {
            mem_free(part);
            mem_free(all);
            all = NULL;
            len = 0;
            if (++restarts > 10) {
                err = EAGAIN;
                break;
            }
            continue;
        }
        memcpy(gen, part, glen + 1);
        names = part + glen + 1;
        nlen = plen - glen - 1;
        grown = mem_zalloc(len + nlen + 1);
        if (all)
            memcpy(grown, all, len);
        memcpy(grown + len, names, nlen);
        mem_free(all);
        all = grown;
        len += nlen;
        mem_free(part);
        /* Done at the extra NUL (a part of just "\0" when nothing was
         * left); a part without names would never finish. */
        if (nlen <= 1 || (all[len - 1] == '\0' && all[len - 2] == '\0')) {
            if (len && all[len - 1] == '\0')
                len--;
            {
                char **v = split_strings(all, len, n);

                mem_free(all);
                return v;
            }
        }
    }
    mem_free(all);
    errno = err;
    return NULL;
}

char **store_list(const char *path, unsigned *n)
{
    char *names = NULL;
    unsigned len = 0;
    char **v;
    int rc = request(XS_DIRECTORY, path, true, NULL, false, &names, &len);

    if (rc == -E2BIG)
        return list_in_parts(path, n);
    if (rc < 0) {
        errno = -rc;
        return NULL;
    }
    v = split_strings(names, len, n);
    mem_free(names);
    return v;
}

int store_watch(const char *path, const char *token)
{
    return request(XS_WATCH, path, true, token, true, NULL, NULL);
}

void store_unwatch(const char *path, const char *token)
{
    int rc = request(XS_UNWATCH, path, true, token, true, NULL, NULL);

    if (rc < 0)
        log_msg(LOG_LVL_DEBUG, "unwatch %s: %s", path, strerror(-rc));
}

void *store_next_event(const char **path, const char **token)
{
    struct store_event *ev = ev_head;

    if (!ev)
        return NULL;
    ev_head = ev->next;
    if (!ev_head)
        ev_tail = &ev_head;
    *path = ev->path;
    *token = ev->token;
    return ev;
}

bool store_domain_introduced(unsigned domid)
{
    char id[16], *reply = NULL;
    bool yes;

    snprintf(id, sizeof(id), "%u", domid);
    if (request(XS_IS_DOMAIN_INTRODUCED, id, true, NULL, false, &reply, NULL) < 0)
        return true;
    yes = strcmp(reply, "F") != 0;
    mem_free(reply);
    return yes;
}
