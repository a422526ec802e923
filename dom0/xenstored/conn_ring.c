#include "conn_ring.h"

#include <string.h>
#include "xs_abi.h"

#include "dom0/lib/log.h"

#include "conn.h"
#include "domain.h"
#include "platform.h"

#define RING_LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define RING_STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

static struct xenstore_domain_interface *ring_intf(const struct conn *c)
{
    return c->domain ? c->domain->ring.intf : NULL;
}

static void ring_kick(const struct conn *c)
{
    if (c->domain && c->domain->local_port >= 0)
        platform_notify((unsigned)c->domain->local_port);
}

static int ring_read(struct conn *c, void *buf, unsigned len, unsigned *err)
{
    struct xenstore_domain_interface *intf = ring_intf(c);
    XENSTORE_RING_IDX cons, prod, avail, off, first;

    if (!intf)
        return 0;
    cons = RING_LOAD(intf->req_cons);
    prod = RING_LOAD(intf->req_prod);
    /* Read the data only after seeing the producer index. */
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    avail = prod - cons;
    if (avail > XENSTORE_RING_SIZE) {
        *err = XENSTORE_ERROR_RINGIDX;
        return -1;
    }
    if (!avail)
        return 0;
    if (len > avail)
        len = avail;
    off = MASK_XENSTORE_IDX(cons);
    first = XENSTORE_RING_SIZE - off;
    if (first > len)
        first = len;
    memcpy(buf, intf->req + off, first);
    memcpy((char *)buf + first, intf->req, len - first);
    /* Finish copying before handing the space back. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    RING_STORE(intf->req_cons, cons + len);
    ring_kick(c);
    return (int)len;
}

static int ring_write(struct conn *c, const void *buf, unsigned len, unsigned *err)
{
    struct xenstore_domain_interface *intf = ring_intf(c);
    XENSTORE_RING_IDX cons, prod, used, space, off, first;

    if (!intf)
        return 0;
    cons = RING_LOAD(intf->rsp_cons);
    prod = RING_LOAD(intf->rsp_prod);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    used = prod - cons;
    if (used > XENSTORE_RING_SIZE) {
        *err = XENSTORE_ERROR_RINGIDX;
        return -1;
    }
    space = XENSTORE_RING_SIZE - used;
    if (!space)
        return 0;
    if (len > space)
        len = space;
    off = MASK_XENSTORE_IDX(prod);
    first = XENSTORE_RING_SIZE - off;
    if (first > len)
        first = len;
    memcpy(intf->rsp + off, buf, first);
    memcpy(intf->rsp, (const char *)buf + first, len - first);
    /* The data must be visible before the index that publishes it. */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    RING_STORE(intf->rsp_prod, prod + len);
    ring_kick(c);
    return (int)len;
}

/* Xen's "ignore_connection": the domain stays introduced (so its release is
 * still noticed) but nothing more is read or written until it reconnects. */
static void ring_fail(struct conn *c, unsigned err)
{
    struct xenstore_domain_interface *intf = ring_intf(c);

    conn_reset(c);
    c->stalled = true;
    if (intf) {
        RING_STORE(intf->error, err);
        ring_kick(c);
    }
}

static const struct conn_ops ring_ops = {
    .kind = "ring",
    .read = ring_read,
    .write = ring_write,
    .fail = ring_fail,
    .release = NULL,
    .drop_events_on_overflow = true,
};

struct conn *ring_conn_new(struct domain *d)
{
    struct conn *c = conn_new(&ring_ops, d->domid);

    c->domain = d;
    /* Advertised before any data moves, and never withdrawn. */
    d->ring.intf->server_features |=
        XENSTORE_SERVER_FEATURE_RECONNECTION | XENSTORE_SERVER_FEATURE_ERROR;
    return c;
}

void ring_reset(struct domain *d)
{
    struct xenstore_domain_interface *intf = d->ring.intf;

    if (d->conn) {
        conn_reset(d->conn);
        d->conn->stalled = false;
    }
    if (!intf)
        return;
    RING_STORE(intf->req_cons, 0);
    RING_STORE(intf->req_prod, 0);
    RING_STORE(intf->rsp_cons, 0);
    RING_STORE(intf->rsp_prod, 0);
    RING_STORE(intf->error, XENSTORE_ERROR_NONE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void ring_check_reconnect(struct domain *d)
{
    struct xenstore_domain_interface *intf = d->ring.intf;

    if (!intf || RING_LOAD(intf->connection) != XENSTORE_RECONNECT)
        return;
    log_msg(LOG_LVL_INFO, "dom %u reconnects its xenstore ring", d->domid);
    ring_reset(d);
    RING_STORE(intf->connection, XENSTORE_CONNECTED);
    if (d->local_port >= 0)
        platform_notify((unsigned)d->local_port);
}
