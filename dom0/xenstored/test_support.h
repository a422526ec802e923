/* Test support shared by tests/unit/xenstored_*_test.c and
 * tests/fuzz/xenstored_wire_fuzz.c; never part of the daemon.
 *
 * It compiles the daemon's core into the test program and provides:
 *  - a platform whose rings are heap pages and whose domain states are set
 *    by the test (ts_set_state), so INTRODUCE, rings and domain death run
 *    in-process;
 *  - an in-memory transport: requests go in with conn_input_bytes(), and
 *    everything the daemon writes lands in a buffer the test parses. */
#ifndef XENSTORED_TEST_SUPPORT_H
#define XENSTORED_TEST_SUPPORT_H

/* The daemon is built with _GNU_SOURCE; so is everything including it. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "dom0/lib/mem.c"
#include "dom0/lib/log.c"
#include "dom0/lib/domid.c"
#include "dom0/lib/string_hash.c"
#include "trace.c"
#include "quota.c"
#include "path.c"
#include "perms.c"
#include "tree.c"
#include "transaction.c"
#include "store.c"
#include "watch.c"
#include "wire.c"
#include "conn.c"
#include "conn_ring.c"
#include "special.c"
#include "domain.c"
#include "domain_request.c"
#include "request.c"
#include "control.c"

#include <stdlib.h>

#define TS_HELPER static __attribute__((unused))

/* ---- platform ---- */

#define TS_MAX_STATES 64
static struct {
    unsigned domid;
    enum platform_domain_state state;
} ts_states[TS_MAX_STATES];
static unsigned ts_nstates;
static int ts_next_port = 10;
static int ts_bind_fail;
static int ts_map_fail;
static unsigned long ts_notifies;
static unsigned ts_rings_mapped;

TS_HELPER void ts_set_state(unsigned domid, enum platform_domain_state st)
{
    unsigned i;

    for (i = 0; i < ts_nstates; i++) {
        if (ts_states[i].domid == domid) {
            ts_states[i].state = st;
            return;
        }
    }
    if (ts_nstates < TS_MAX_STATES) {
        ts_states[ts_nstates].domid = domid;
        ts_states[ts_nstates++].state = st;
    }
}

int platform_open(const char *arg)
{
    (void)arg;
    return 0;
}

void platform_close(void)
{
}

int platform_event_fd(void)
{
    return -1;
}

int platform_bind_interdomain(unsigned domid, unsigned remote_port)
{
    (void)domid;
    (void)remote_port;
    return ts_bind_fail ? -EINVAL : ts_next_port++;
}

int platform_bind_virq_dom_exc(void)
{
    return ts_next_port++;
}

void platform_unbind(unsigned local_port)
{
    (void)local_port;
}

void platform_notify(unsigned local_port)
{
    (void)local_port;
    ts_notifies++;
}

int platform_pending(void)
{
    return -1;
}

void platform_unmask(unsigned local_port)
{
    (void)local_port;
}

int platform_map_ring(unsigned domid, uint64_t gfn, struct platform_ring *ring)
{
    (void)domid;
    (void)gfn;
    if (ts_map_fail)
        return -ENOENT;
    ring->intf = calloc(1, 4096);
    ring->how = 1;
    ts_rings_mapped++;
    return 0;
}

void platform_unmap_ring(unsigned domid, struct platform_ring *ring)
{
    (void)domid;
    free(ring->intf);
    ring->intf = NULL;
    ts_rings_mapped--;
}

int platform_local_ring(struct platform_ring *ring, unsigned *port)
{
    (void)ring;
    (void)port;
    return -ENOENT;
}

enum platform_domain_state platform_domain_state(unsigned domid)
{
    unsigned i;

    for (i = 0; i < ts_nstates; i++)
        if (ts_states[i].domid == domid)
            return ts_states[i].state;
    return DOMAIN_STATE_ALIVE;
}

/* ---- in-memory transport ---- */

struct ts_conn {
    struct conn *c;
    char *out;
    size_t outlen, outcap, rd;
    unsigned long events;
    char last_event[XENSTORE_PAYLOAD_MAX + 1];
    unsigned last_event_len;
};

static int ts_read(struct conn *c, void *buf, unsigned len, unsigned *err)
{
    (void)c;
    (void)buf;
    (void)len;
    (void)err;
    return 0;
}

static int ts_write(struct conn *c, const void *buf, unsigned len, unsigned *err)
{
    struct ts_conn *t = c->transport;

    (void)err;
    if (!t)
        return (int)len;
    if (t->outlen + len > t->outcap) {
        t->outcap = (t->outlen + len) * 2;
        t->out = realloc(t->out, t->outcap);
    }
    memcpy(t->out + t->outlen, buf, len);
    t->outlen += len;
    return (int)len;
}

static void ts_release(struct conn *c)
{
    struct ts_conn *t = c->transport;

    if (t)
        t->c = NULL;
}

/* Like a ring: a broken domain connection is stalled, not closed. */
static void ts_fail(struct conn *c, unsigned err)
{
    (void)err;
    conn_reset(c);
    c->stalled = true;
}

static const struct conn_ops ts_socket_ops = {
    .kind = "test-socket", .read = ts_read, .write = ts_write, .release = ts_release,
};
static const struct conn_ops ts_domain_ops = {
    .kind = "test-domain", .read = ts_read, .write = ts_write, .release = ts_release,
    .fail = ts_fail, .drop_events_on_overflow = true,
};

/* A tools connection (domid 0, privileged). */
TS_HELPER struct ts_conn *ts_socket(void)
{
    struct ts_conn *t = calloc(1, sizeof(*t));

    t->c = conn_new(&ts_socket_ops, 0);
    t->c->transport = t;
    return t;
}

/* An introduced domain whose connection is the in-memory transport. */
TS_HELPER struct ts_conn *ts_domain(unsigned domid)
{
    struct ts_conn *t = calloc(1, sizeof(*t));

    t->c = conn_new(&ts_domain_ops, domid);
    t->c->transport = t;
    domain_attach_conn(domid, t->c);
    return t;
}

TS_HELPER void ts_free(struct ts_conn *t)
{
    if (t->c) {
        t->c->transport = NULL;
        if (t->c->domain)
            domain_destroy(t->c->domid);
        else
            conn_kill(t->c, "test done");
        conn_reap();
    }
    free(t->out);
    free(t);
}

TS_HELPER void ts_pump(void)
{
    struct conn *c;

    for (c = conn_list; c; c = c->next)
        if (conn_has_output(c))
            conn_flush(c);
    conn_reap();
}

TS_HELPER void ts_send_raw(struct ts_conn *t, const void *data, unsigned len)
{
    if (t->c)
        conn_input_bytes(t->c, data, len);
    ts_pump();
}

/* Next message from the daemon; 1 if one was there. */
TS_HELPER int ts_next(struct ts_conn *t, struct xsd_sockmsg *h, char *payload)
{
    if (t->outlen - t->rd < sizeof(*h))
        return 0;
    memcpy(h, t->out + t->rd, sizeof(*h));
    if (t->outlen - t->rd < sizeof(*h) + h->len)
        return 0;
    memcpy(payload, t->out + t->rd + sizeof(*h), h->len);
    payload[h->len] = '\0';
    t->rd += sizeof(*h) + h->len;
    return 1;
}

/* Sends one request and returns the reply type (-1: none); watch events
 * seen on the way are counted, the last one kept. */
TS_HELPER int ts_req(struct ts_conn *t, uint32_t type, uint32_t tx, const void *payload,
                  unsigned len, char *reply, unsigned *rlen)
{
    static uint32_t req_id = 100;
    struct xsd_sockmsg h = { .type = type, .req_id = ++req_id, .tx_id = tx, .len = len };
    char buf[sizeof(h) + XENSTORE_PAYLOAD_MAX];
    char tmp[XENSTORE_PAYLOAD_MAX + 1];
    struct xsd_sockmsg r;

    memcpy(buf, &h, sizeof(h));
    memcpy(buf + sizeof(h), payload, len);
    ts_send_raw(t, buf, (unsigned)sizeof(h) + len);
    while (ts_next(t, &r, reply ? reply : tmp)) {
        if (r.type == XS_WATCH_EVENT) {
            t->events++;
            memcpy(t->last_event, reply ? reply : tmp, r.len + 1);
            t->last_event_len = r.len;
            continue;
        }
        if (rlen)
            *rlen = r.len;
        return r.req_id == req_id ? (int)r.type : -2;
    }
    return -1;
}

/* Drains pending watch events; returns how many there were. */
TS_HELPER unsigned long ts_drain_events(struct ts_conn *t)
{
    char tmp[XENSTORE_PAYLOAD_MAX + 1];
    struct xsd_sockmsg r;
    unsigned long before = t->events;

    ts_pump();
    while (ts_next(t, &r, tmp)) {
        if (r.type == XS_WATCH_EVENT) {
            t->events++;
            memcpy(t->last_event, tmp, r.len + 1);
            t->last_event_len = r.len;
        }
    }
    return t->events - before;
}

/* Brings the daemon's state up as main() does, on the test platform. */
TS_HELPER void ts_start(void)
{
    quota_set_defaults();
    log_set_quiet(true);
    tree_init();
    special_init();
    domain_init();
}

/* Frees everything; returns the number of blocks still allocated (0 when
 * nothing leaked). */
TS_HELPER size_t ts_stop(void)
{
    struct mem_stats m;

    domain_shutdown();
    conn_free_all();
    tree_destroy();
    domain_free_all();
    mem_get_stats(&m);
    return m.blocks;
}

#endif
