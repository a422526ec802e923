/* Requests that manage domains: INTRODUCE, RELEASE, RESUME, SET_TARGET,
 * IS_DOMAIN_INTRODUCED and GET_DOMAIN_PATH. */
#include "domain.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xen/xen.h>

#include "dom0/lib/domid.h"
#include "dom0/lib/log.h"

#include "conn.h"
#include "conn_ring.h"
#include "watch.h"
#include "wire.h"

static struct domain *domain_introduced(unsigned domid)
{
    struct domain *d = domain_find(domid);

    return d && d->introduced ? d : NULL;
}

int domain_req_introduce(struct request *r)
{
    const char *vec[3];
    unsigned domid, port;
    long long gfn;
    struct domain *d;
    char *end;
    int rc;

    if (wire_strings(r, vec, 3) < 3 || !domid_parse(vec[0], &domid) ||
        !domid_parse(vec[2], &port))
        return EINVAL;
    if (domid == 0 || domid >= DOMID_FIRST_RESERVED || port == 0)
        return EINVAL;
    /* Xen documents the GFN as signed decimal; it only matters when the
     * grant mapping is unavailable. */
    gfn = strtoll(vec[1], &end, 10);
    if (*end)
        gfn = 0;
    if (!domain_platform_active())
        return ENOSYS;

    d = domain_introduced(domid);
    if (!d) {
        struct platform_ring ring;

        rc = platform_map_ring(domid, (uint64_t)gfn, &ring);
        if (rc < 0) {
            log_msg(LOG_LVL_WARN, "cannot map ring of dom %u: %s", domid, strerror(-rc));
            return -rc;
        }
        rc = platform_bind_interdomain(domid, port);
        if (rc < 0) {
            log_msg(LOG_LVL_WARN, "cannot bind port %u of dom %u: %s", port, domid,
                    strerror(-rc));
            platform_unmap_ring(domid, &ring);
            return -rc;
        }
        d = domain_get(domid);
        d->ring = ring;
        d->local_port = rc;
        d->remote_port = port;
        d->introduced = true;
        d->shutdown_seen = false;
        d->conn = ring_conn_new(d);
        log_msg(LOG_LVL_INFO, "dom %u introduced (port %u)", domid, port);
        watch_fire_special("@introduceDomain", domid, true, true);
    } else {
        /* Re-introduction only renews the event channel. */
        if (d->local_port >= 0)
            platform_unbind((unsigned)d->local_port);
        rc = platform_bind_interdomain(domid, port);
        d->local_port = rc < 0 ? -1 : rc;
        d->remote_port = port;
    }
    ring_reset(d);
    if (d->ring.intf && d->ring.intf->connection == XENSTORE_RECONNECT) {
        d->ring.intf->connection = XENSTORE_CONNECTED;
        if (d->local_port >= 0)
            platform_notify((unsigned)d->local_port);
    }
    reply_ok(r);
    return 0;
}

static int onearg_domid(struct request *r, unsigned *domid)
{
    return domid_parse(wire_onearg(r), domid) ? 0 : EINVAL;
}

/* The introduced DomU the request's one argument names: 0 with *d set, or
 * the error to reply with (EINVAL: not a DomU's id; ENOENT: not
 * introduced). */
static int introduced_domu_arg(struct request *r, struct domain **d)
{
    unsigned domid;

    if (onearg_domid(r, &domid) || domid == 0)
        return EINVAL;
    *d = domain_introduced(domid);
    return *d ? 0 : ENOENT;
}

int domain_req_release(struct request *r)
{
    struct domain *d;
    int err = introduced_domu_arg(r, &d);

    if (err)
        return err;
    log_msg(LOG_LVL_INFO, "dom %u released", d->domid);
    domain_teardown(d, true);
    reply_ok(r);
    return 0;
}

int domain_req_resume(struct request *r)
{
    struct domain *d;
    int err = introduced_domu_arg(r, &d);

    if (err)
        return err;
    d->shutdown_seen = false;
    reply_ok(r);
    return 0;
}

int domain_req_set_target(struct request *r)
{
    const char *vec[2];
    unsigned domid, tdomid;
    struct domain *d;

    if (wire_strings(r, vec, 2) < 2 || !domid_parse(vec[0], &domid) ||
        !domid_parse(vec[1], &tdomid))
        return EINVAL;
    d = domain_introduced(domid);
    if (!d || !d->conn || !domain_introduced(tdomid))
        return ENOENT;
    d->conn->target = (int)tdomid;
    reply_ok(r);
    return 0;
}

int domain_req_is_introduced(struct request *r)
{
    unsigned domid;

    if (onearg_domid(r, &domid))
        return EINVAL;
    reply_string(r, domid == DOMID_SELF || domain_introduced(domid) ? "T" : "F");
    return 0;
}

int domain_req_get_path(struct request *r)
{
    const char *arg = wire_onearg(r);
    char buf[48];

    if (!arg)
        return EINVAL;
    /* Like Xen, any leading digits name the domain. */
    snprintf(buf, sizeof(buf), "/local/domain/%u", (unsigned)strtoul(arg, NULL, 10) & 0xffff);
    reply_string(r, buf);
    return 0;
}

