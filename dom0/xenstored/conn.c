#include "conn.h"

#include <string.h>

#include "dom0/lib/log.h"

#include "domain.h"
#include "dom0/lib/mem.h"
#include "quota.h"
#include "request.h"
#include "trace.h"
#include "transaction.h"
#include "watch.h"

struct conn *conn_list;
unsigned priv_domid;
static unsigned conn_next_id = 1;

#define CONN_DEDUP_SCAN 256

struct conn *conn_new(const struct conn_ops *ops, unsigned domid)
{
    struct conn *c = mem_zalloc(sizeof(*c)), **pp;

    c->id = conn_next_id++;
    c->domid = domid;
    c->target = -1;
    c->ops = ops;
    c->fd = -1;
    c->next_txid = 1;
    /* Append so watch events are generated in connection order. */
    for (pp = &conn_list; *pp; pp = &(*pp)->next)
        ;
    *pp = c;
    trace_line("NEW conn %u %s dom %u", c->id, ops->kind, domid);
    return c;
}

bool conn_is_privileged(const struct conn *c)
{
    return c->domid == 0 || c->domid == priv_domid;
}

static void conn_drop_output(struct conn *c)
{
    struct outmsg *m, *next;

    for (m = c->out_head; m; m = next) {
        next = m->next;
        mem_free(m);
    }
    c->out_head = c->out_tail = NULL;
    c->out_bytes = 0;
    c->out_count = 0;
    c->out_replies = 0;
}

void conn_reset(struct conn *c)
{
    c->in_used = 0;
    c->in_have_hdr = false;
    conn_drop_output(c);
    watch_remove_all(c);
    txn_abort_all(c);
}

void conn_kill(struct conn *c, const char *why)
{
    if (c->dead)
        return;
    trace_line("KILL conn %u: %s", c->id, why);
    log_msg(LOG_LVL_DEBUG, "closing connection %u (dom %u): %s", c->id, c->domid, why);
    conn_reset(c);
    c->dead = true;
}

void conn_fail(struct conn *c, unsigned err, const char *why)
{
    if (c->dead)
        return;
    log_msg(LOG_LVL_WARN, "connection %u (%s, dom %u): %s", c->id, c->ops->kind,
            c->domid, why);
    if (c->ops->fail)
        c->ops->fail(c, err);
    else
        conn_kill(c, why);
}

static void conn_free(struct conn *c)
{
    conn_reset(c);
    trace_line("FREE conn %u", c->id);
    if (c->domain && c->domain->conn == c)
        c->domain->conn = NULL;
    if (c->ops->release)
        c->ops->release(c);
    mem_free(c);
}

void conn_reap(void)
{
    struct conn **pp = &conn_list;

    while (*pp) {
        struct conn *c = *pp;

        if (c->dead) {
            *pp = c->next;
            conn_free(c);
        } else {
            pp = &c->next;
        }
    }
}

void conn_free_all(void)
{
    struct conn *c;

    for (c = conn_list; c; c = c->next)
        c->dead = true;
    conn_reap();
}

unsigned conn_count(void)
{
    unsigned n = 0;
    struct conn *c;

    for (c = conn_list; c; c = c->next)
        if (!c->dead)
            n++;
    return n;
}

bool conn_wants_input(const struct conn *c)
{
    if (c->dead || c->stalled)
        return false;
    if (!conn_is_privileged(c) && quota.outstanding && c->out_replies >= quota.outstanding)
        return false;
    return !quota.output_queue || c->out_bytes < quota.output_queue;
}

bool conn_has_output(const struct conn *c)
{
    return !c->dead && !c->stalled && c->out_head != NULL;
}

static void conn_enqueue(struct conn *c, struct outmsg *m)
{
    if (c->out_tail)
        c->out_tail->next = m;
    else
        c->out_head = m;
    c->out_tail = m;
    c->out_bytes += m->len;
    c->out_count++;
    if (m->is_reply)
        c->out_replies++;
}

static struct outmsg *conn_msg_new(uint32_t type, uint32_t req_id, uint32_t tx_id,
                                   unsigned len, bool is_reply)
{
    struct outmsg *m = mem_zalloc(sizeof(*m) + sizeof(struct xsd_sockmsg) + len);
    struct xsd_sockmsg hdr = { .type = type, .req_id = req_id, .tx_id = tx_id, .len = len };

    memcpy(m->data, &hdr, sizeof(hdr));
    m->len = (unsigned)sizeof(hdr) + len;
    m->is_reply = is_reply;
    return m;
}

void conn_queue_reply(struct conn *c, uint32_t type, uint32_t req_id, uint32_t tx_id,
                      const void *data, unsigned len)
{
    struct outmsg *m;

    if (c->dead || c->stalled)
        return;
    m = conn_msg_new(type, req_id, tx_id, len, true);
    if (len)
        memcpy(m->data + sizeof(struct xsd_sockmsg), data, len);
    if (trace_enabled())
        trace_msg(c->id, c->domid, "OUT", (const struct xsd_sockmsg *)m->data,
                  m->data + sizeof(struct xsd_sockmsg));
    conn_enqueue(c, m);
}

void conn_queue_event(struct conn *c, const char *path, const char *token)
{
    unsigned plen = (unsigned)strlen(path) + 1, tlen = (unsigned)strlen(token) + 1;
    struct outmsg *m;

    if (c->dead || c->stalled || plen + tlen > XENSTORE_PAYLOAD_MAX)
        return;
    /* An identical undelivered event says all this one would. Special
     * events are kept: they report distinct domain state changes. The scan
     * is bounded so a long queue cannot make every change expensive. */
    if (path[0] != '@' && c->out_count <= CONN_DEDUP_SCAN) {
        for (m = c->out_head; m; m = m->next) {
            const struct xsd_sockmsg *h = (const void *)m->data;
            const char *p = m->data + sizeof(*h);

            if (!m->is_reply && m->sent == 0 && h->len == plen + tlen &&
                !memcmp(p, path, plen) && !memcmp(p + plen, token, tlen))
                return;
        }
    }
    if (quota.output_queue &&
        c->out_bytes + sizeof(struct xsd_sockmsg) + plen + tlen > quota.output_queue) {
        if (!c->ops->drop_events_on_overflow) {
            conn_kill(c, "output queue full (client not reading)");
            return;
        }
        if (!c->dropped_events++)
            log_msg(LOG_LVL_WARN, "dom %u is not reading its ring; dropping watch events",
                    c->domid);
        return;
    }
    m = conn_msg_new(XS_WATCH_EVENT, 0, 0, plen + tlen, false);
    memcpy(m->data + sizeof(struct xsd_sockmsg), path, plen);
    memcpy(m->data + sizeof(struct xsd_sockmsg) + plen, token, tlen);
    if (trace_enabled())
        trace_msg(c->id, c->domid, "OUT", (const struct xsd_sockmsg *)m->data,
                  m->data + sizeof(struct xsd_sockmsg));
    conn_enqueue(c, m);
}

static int conn_write_some(struct conn *c)
{
    int total = 0;

    while (c->out_head && !c->dead && !c->stalled) {
        struct outmsg *m = c->out_head;
        unsigned err = XENSTORE_ERROR_COMM;
        int n = c->ops->write(c, m->data + m->sent, m->len - m->sent, &err);

        if (n < 0) {
            conn_fail(c, err, "write failed");
            return total;
        }
        if (n == 0)
            break;
        total += n;
        m->sent += (unsigned)n;
        if (m->sent < m->len)
            continue;
        c->out_head = m->next;
        if (!c->out_head)
            c->out_tail = NULL;
        c->out_bytes -= m->len;
        c->out_count--;
        if (m->is_reply)
            c->out_replies--;
        mem_free(m);
        if (c->dropped_events && !c->out_head) {
            log_msg(LOG_LVL_WARN, "dom %u dropped %lu watch events", c->domid,
                    c->dropped_events);
            c->dropped_events = 0;
        }
    }
    return total;
}

void conn_flush(struct conn *c)
{
    conn_write_some(c);
}

/* Consumes bytes from `src` (or from the transport when src is NULL) into
 * the current request; handles the request once complete. Returns bytes
 * consumed, or -1 when the connection failed. */
static int conn_take(struct conn *c, const char *src, unsigned avail)
{
    char *dst;
    unsigned want, err = XENSTORE_ERROR_COMM;
    int n;

    if (!c->in_have_hdr) {
        dst = (char *)&c->in_hdr + c->in_used;
        want = (unsigned)sizeof(c->in_hdr) - c->in_used;
    } else {
        dst = c->in_buf + c->in_used;
        want = c->in_hdr.len - c->in_used;
    }
    if (want) {
        if (src) {
            n = (int)(avail < want ? avail : want);
            memcpy(dst, src, (size_t)n);
        } else {
            n = c->ops->read(c, dst, want, &err);
            if (n < 0) {
                conn_fail(c, err, "read failed");
                return -1;
            }
        }
        c->in_used += (unsigned)n;
    } else {
        n = 0;
    }
    if (!c->in_have_hdr) {
        if (c->in_used < sizeof(c->in_hdr))
            return n;
        if (c->in_hdr.len > XENSTORE_PAYLOAD_MAX) {
            conn_fail(c, XENSTORE_ERROR_PROTO, "oversized message");
            return -1;
        }
        c->in_have_hdr = true;
        c->in_used = 0;
    }
    if (c->in_used < c->in_hdr.len)
        return n;
    c->in_buf[c->in_hdr.len] = '\0';
    c->in_have_hdr = false;
    c->in_used = 0;
    c->requests++;
    request_handle(c, &c->in_hdr, c->in_buf);
    return n;
}

bool conn_service(struct conn *c)
{
    unsigned long start = c->requests;
    bool progress;

    do {
        progress = conn_write_some(c) > 0;
        if (conn_wants_input(c)) {
            int n = conn_take(c, NULL, 0);

            if (n > 0)
                progress = true;
        }
        /* Take turns: one busy client must not starve the others. */
        if (c->requests - start >= CONN_REQUEST_BUDGET)
            return progress && !c->dead && !c->stalled;
    } while (progress && !c->dead && !c->stalled);
    return false;
}

void conn_input_bytes(struct conn *c, const void *data, unsigned len)
{
    const char *p = data;

    while (len && !c->dead && !c->stalled) {
        int n;

        if (!conn_wants_input(c))
            conn_flush(c);
        if (!conn_wants_input(c))
            return;
        n = conn_take(c, p, len);

        if (n <= 0)
            return;
        p += n;
        len -= (unsigned)n;
    }
}
