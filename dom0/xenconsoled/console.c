#include "console.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <xen/grant_table.h>

#include "dom0/lib/log.h"
#include "dom0/lib/mem.h"

#include "options.h"
#include "ring.h"

void console_init(struct console *c, unsigned domid)
{
    memset(c, 0, sizeof(*c));
    c->domid = domid;
    c->local_port = -1;
    c->pty = (struct pty)PTY_INIT;
    c->log = (struct guestlog)GUESTLOG_INIT;
}

static int map_ring(struct console *c, uint64_t gfn)
{
    int rc = platform_map_grant(c->domid, GNTTAB_RESERVED_CONSOLE, &c->page);

    c->by_grant = rc == 0;
    if (rc < 0) {
        log_msg(LOG_LVL_DEBUG, "dom %u: grant ref %u: %s; trying GFN %#llx", c->domid,
                GNTTAB_RESERVED_CONSOLE, strerror(-rc), (unsigned long long)gfn);
        rc = platform_map_foreign(c->domid, gfn, &c->page);
    }
    if (rc == 0)
        c->intf = c->page.addr;
    return rc;
}

int console_connect(struct console *c, uint64_t gfn, unsigned port, size_t bufsize)
{
    int rc;

    if (c->connected)
        console_release_ring(c);
    rc = map_ring(c, gfn);
    if (rc < 0)
        return rc;
    rc = platform_bind_interdomain(c->domid, port);
    if (rc < 0) {
        platform_unmap(&c->page);
        c->intf = NULL;
        return rc;
    }
    c->local_port = rc;
    if (c->pty.master < 0 && (rc = pty_open(&c->pty)) < 0) {
        console_release_ring(c);
        return rc;
    }
    if (!c->out_storage) {
        size_t start = bufsize < CONSOLE_BUF_START ? bufsize : CONSOLE_BUF_START;

        c->out_storage = mem_zalloc(start);
        outbuf_init(&c->out, c->out_storage, start);
    }
    c->out_limit = bufsize > c->out.cap ? bufsize : c->out.cap;
    c->connected = true;
    c->events = 0;
    c->deferred = false;
    c->window_end = 0;
    return 0;
}

void console_release_ring(struct console *c)
{
    if (c->local_port >= 0)
        platform_unbind((unsigned)c->local_port);
    c->local_port = -1;
    if (c->intf)
        platform_unmap(&c->page);
    c->intf = NULL;
    c->connected = false;
    c->deferred = false;
}

void console_disconnect(struct console *c)
{
    console_release_ring(c);
    pty_close(&c->pty);
    guestlog_close(&c->log);
    mem_free(c->out_storage);
    c->out_storage = NULL;
    memset(&c->out, 0, sizeof(c->out));
    c->overflowing = false;
}

int console_reopen_pty(struct console *c)
{
    pty_close(&c->pty);
    outbuf_consume(&c->out, outbuf_len(&c->out));
    return pty_open(&c->pty);
}

/* Makes room for `n` more bytes by doubling the buffer, up to its limit. */
static void grow_output(struct console *c, size_t n)
{
    size_t cap = c->out.cap;
    char *storage;

    if (outbuf_space(&c->out) >= n || cap >= c->out_limit)
        return;
    while (cap - outbuf_len(&c->out) < n && cap < c->out_limit)
        cap *= 2;
    if (cap > c->out_limit)
        cap = c->out_limit;
    storage = mem_zalloc(cap);
    outbuf_move(&c->out, storage, cap);
    mem_free(c->out_storage);
    c->out_storage = storage;
}

/* Guest output: ring → log file (every byte) → output buffer. Notifies the
 * guest when out_cons moved, so a guest waiting for room continues. */
static int pull_output(struct console *c)
{
    char buf[RING_OUT_SIZE];
    bool moved = false;
    int round, n = 0;

    /* A few rounds catch what the guest adds while we copy; the bound
     * keeps a guest that never stops from holding the loop. */
    for (round = 0; round < 4; round++) {
        size_t max = sizeof(buf);
        uint64_t dropped = c->out.dropped;

        n = ring_out_pending(c->intf);
        if (n <= 0)
            break;
        grow_output(c, (size_t)n);
        if (!opts.discard_overflow && outbuf_space(&c->out) < max)
            max = outbuf_space(&c->out);
        if (!max)
            break;
        n = ring_out_take(c->intf, buf, max);
        if (n <= 0)
            break;
        moved = true;
        guestlog_write(&c->log, buf, (size_t)n, opts.timestamp_guest);
        outbuf_append(&c->out, buf, (size_t)n, opts.discard_overflow);
        if (c->out.dropped != dropped && !c->overflowing) {
            c->overflowing = true;
            log_msg(LOG_LVL_INFO, "dom %u: nobody reads %s, dropping the oldest output",
                    c->domid, c->pty.path);
        }
    }
    if (moved)
        platform_notify((unsigned)c->local_port);
    return n < 0 ? n : 0;
}

/* Output buffer → pty, until the pty stops taking it (EAGAIN). */
static int flush_output(struct console *c)
{
    while (outbuf_len(&c->out)) {
        const char *p;
        size_t n = outbuf_peek(&c->out, &p);
        ssize_t w = write(c->pty.master, p, n);

        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                return 0;
            log_msg(LOG_LVL_WARN, "dom %u: write to %s: %s", c->domid, c->pty.path,
                    strerror(errno));
            return -EIO;
        }
        outbuf_consume(&c->out, (size_t)w);
    }
    c->overflowing = false;
    return 0;
}

/* Keyboard input: pty → the guest's `in` ring, no more than it has room
 * for; the rest stays in the pty, whose writer then blocks. */
static int push_input(struct console *c)
{
    char buf[RING_IN_SIZE];
    int space = ring_in_space(c->intf), put;
    ssize_t n;

    if (space <= 0)
        return space;
    n = read(c->pty.master, buf, (size_t)space);
    if (n < 0) {
        if (errno == EAGAIN || errno == EINTR)
            return 0;
        log_msg(LOG_LVL_WARN, "dom %u: read from %s: %s", c->domid, c->pty.path,
                strerror(errno));
        return -EIO;
    }
    if (n == 0)
        return 0;
    put = ring_in_put(c->intf, buf, (size_t)n);
    if (put < 0)
        return put;
    if (put < n)
        /* Only if the guest moved in_cons backwards meanwhile. */
        log_msg(LOG_LVL_WARN, "dom %u: input ring shrank, %zd bytes lost", c->domid,
                n - put);
    platform_notify((unsigned)c->local_port);
    return 0;
}

/* Output in both steps; in keep mode draining the buffer makes room for
 * what the guest still has in its ring, so pull again. */
static int move_output(struct console *c)
{
    int rc = pull_output(c);

    if (rc == 0)
        rc = flush_output(c);
    if (rc == 0 && !opts.discard_overflow && ring_out_pending(c->intf) != 0) {
        rc = pull_output(c);
        if (rc == 0)
            rc = flush_output(c);
    }
    return rc;
}

int console_kick(struct console *c)
{
    int rc;

    if (!c->connected)
        return 0;
    rc = ring_check(c->intf);
    if (rc == 0)
        rc = move_output(c);
    if (rc == 0)
        rc = push_input(c);
    return rc;
}

int console_event(struct console *c, int64_t now_ms)
{
    int rc;

    if (!c->connected)
        return 0;
    if (now_ms >= c->window_end) {
        c->window_end = now_ms + CONSOLE_RATE_WINDOW_MS;
        c->events = 0;
    }
    if (++c->events > CONSOLE_RATE_EVENTS) {
        /* Stay masked; console_tick() catches up when the window ends. */
        if (!c->deferred)
            log_msg(LOG_LVL_DEBUG, "dom %u: event rate limit", c->domid);
        c->deferred = true;
        return 0;
    }
    rc = ring_check(c->intf);
    if (rc == 0)
        rc = move_output(c);
    platform_unmask((unsigned)c->local_port);
    return rc;
}

int console_check(const struct console *c)
{
    return c->connected ? ring_check(c->intf) : 0;
}

short console_poll_events(const struct console *c)
{
    short ev = 0;

    if (!c->connected || c->pty.master < 0)
        return 0;
    if (ring_in_space(c->intf) > 0)
        ev |= POLLIN;
    if (outbuf_len(&c->out))
        ev |= POLLOUT;
    return ev;
}

int console_pty_ready(struct console *c, short revents)
{
    int rc = 0;

    if (!c->connected)
        return 0;
    /* We hold the slave open, so a hang-up or error means the pty itself
     * is gone bad. */
    if (revents & (POLLERR | POLLHUP | POLLNVAL))
        return -EIO;
    if (revents & POLLIN)
        rc = push_input(c);
    if (rc == 0 && (revents & POLLOUT)) {
        rc = flush_output(c);
        if (rc == 0 && !opts.discard_overflow)
            rc = move_output(c);
    }
    return rc;
}

int64_t console_deadline(const struct console *c)
{
    return c->connected && c->deferred ? c->window_end : INT64_MAX;
}

int console_tick(struct console *c, int64_t now_ms)
{
    int rc;

    if (!c->connected || !c->deferred || now_ms < c->window_end)
        return 0;
    c->deferred = false;
    c->events = 0;
    c->window_end = now_ms + CONSOLE_RATE_WINDOW_MS;
    rc = console_kick(c);
    platform_unmask((unsigned)c->local_port);
    return rc;
}
