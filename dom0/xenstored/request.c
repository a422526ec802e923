#include "request.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "dom0/lib/log.h"

#include "conn.h"
#include "control.h"
#include "domain.h"
#include "dom0/lib/mem.h"
#include "path.h"
#include "perms.h"
#include "platform.h"
#include "quota.h"
#include "special.h"
#include "store.h"
#include "trace.h"
#include "transaction.h"
#include "watch.h"
#include "wire.h"

/* Resolves the request's single path argument; NULL when malformed. */
static char *req_path(struct request *r)
{
    const char *arg = wire_onearg(r);

    return arg ? path_canonical(r->conn->domid, arg) : NULL;
}

static int do_read(struct request *r)
{
    char *path = req_path(r);
    const struct node *n;
    int err = EINVAL;

    if (path && (n = store_get(r->conn, r->txn, path, XS_PERM_READ, &err)) != NULL) {
        reply_data(r, n->value, n->vlen);
        err = 0;
    }
    mem_free(path);
    return err;
}

static int do_write(struct request *r)
{
    const char *vec[1];
    char *path;
    unsigned off;
    int err;

    if (wire_strings(r, vec, 1) < 1)
        return EINVAL;
    off = (unsigned)strlen(vec[0]) + 1;
    path = path_canonical(r->conn->domid, vec[0]);
    err = store_write(r->conn, r->txn, path, r->body + off, r->hdr.len - off);
    mem_free(path);
    if (!err)
        reply_ok(r);
    return err;
}

static int do_mkdir(struct request *r)
{
    char *path = req_path(r);
    int err = path ? store_mkdir(r->conn, r->txn, path) : EINVAL;

    mem_free(path);
    if (!err)
        reply_ok(r);
    return err;
}

static int do_rm(struct request *r)
{
    char *path = req_path(r);
    int err = path ? store_rm(r->conn, r->txn, path) : EINVAL;

    mem_free(path);
    if (!err)
        reply_ok(r);
    return err;
}

static int do_directory(struct request *r)
{
    char *path = req_path(r);
    const struct node *n;
    int err = EINVAL;

    if (path && (n = store_get(r->conn, r->txn, path, XS_PERM_READ, &err)) != NULL) {
        reply_data(r, n->children, n->childlen);
        err = 0;
    }
    mem_free(path);
    return err;
}

/* "<path>|<offset>|" -> "<generation>|<child>|...": the children from byte
 * `offset` of the list, whole names only, with an empty name at the end
 * once the list is complete. */
static int do_directory_part(struct request *r)
{
    const char *vec[2];
    const struct node *n;
    char gen[24], *path, *out;
    unsigned long long off_arg = 0;
    unsigned off, len = 0, genlen, maxlen;
    const char *d;
    int err;

    if (wire_strings(r, vec, 2) != 2)
        return EINVAL;
    path = path_canonical(r->conn->domid, vec[0]);
    n = store_get(r->conn, r->txn, path, XS_PERM_READ, &err);
    mem_free(path);
    if (!n)
        return err;
    for (d = vec[1]; *d >= '0' && *d <= '9' && off_arg <= 0xffffffffULL; d++)
        off_arg = off_arg * 10 + (unsigned)(*d - '0');
    genlen = (unsigned)snprintf(gen, sizeof(gen), "%llu", (unsigned long long)n->gen) + 1;
    if (off_arg >= n->childlen) {
        char empty[sizeof(gen) + 1];

        memcpy(empty, gen, genlen);
        empty[genlen] = '\0';
        reply_data(r, empty, genlen + 1);
        return 0;
    }
    off = (unsigned)off_arg;
    maxlen = XENSTORE_PAYLOAD_MAX - genlen - 1;
    while (off + len < n->childlen) {
        unsigned l = (unsigned)strlen(n->children + off + len) + 1;

        if (len + l > maxlen)
            break;
        len += l;
    }
    out = mem_zalloc(genlen + len + 1);
    memcpy(out, gen, genlen);
    memcpy(out + genlen, n->children + off, len);
    if (off + len == n->childlen)
        out[genlen + len++] = '\0';
    reply_data(r, out, genlen + len);
    mem_free(out);
    return 0;
}

static int do_get_perms(struct request *r)
{
    const char *arg = wire_onearg(r);
    const struct xs_permissions *p;
    unsigned np, len;
    char *path, *s;
    int err;

    if (!arg)
        return EINVAL;
    if (path_is_special(arg)) {
        p = special_get_perms(arg, &np);
        if (!p)
            return EINVAL;
        if (!(perms_for(r->conn, p, np) & XS_PERM_READ))
            return EACCES;
    } else {
        const struct node *n;

        path = path_canonical(r->conn->domid, arg);
        n = store_get(r->conn, r->txn, path, XS_PERM_READ, &err);
        mem_free(path);
        if (!n)
            return err;
        p = n->perms;
        np = n->nperms;
    }
    s = perms_format(p, np, &len);
    reply_data(r, s, len);
    mem_free(s);
    return 0;
}

/* Entries for domains that no longer exist would hand their access to a
 * later domain reusing the id, so they are dropped (Xen ignores them). */
static int perms_drop_dead(struct xs_permissions *p, unsigned *n)
{
    unsigned i, out = 1;

    if (!domain_platform_active())
        return 0;
    if (!domain_find(p[0].id) && platform_domain_state(p[0].id) == DOMAIN_STATE_GONE)
        return ENOENT;
    for (i = 1; i < *n; i++)
        if (domain_find(p[i].id) || platform_domain_state(p[i].id) != DOMAIN_STATE_GONE)
            p[out++] = p[i];
    *n = out;
    return 0;
}

static int do_set_perms(struct request *r)
{
    unsigned count = wire_count_strings(r), n;
    struct xs_permissions *perms;
    const char *first = r->body;
    char *path;
    int err;

    if (count < 2)
        return EINVAL;
    n = count - 1;
    if (!conn_is_privileged(r->conn) && quota_exceeded(quota.perms, n, 0))
        return ENOSPC;
    if (perms_parse(first + strlen(first) + 1, n, &perms))
        return EINVAL;
    err = perms_drop_dead(perms, &n);
    if (!err && path_is_special(first))
        err = special_set_perms(r->conn, first, perms, n);
    else if (!err) {
        path = path_canonical(r->conn->domid, first);
        err = store_set_perms(r->conn, r->txn, path, perms, n);
        perms = NULL;
        mem_free(path);
    }
    if (err) {
        mem_free(perms);
        return err;
    }
    reply_ok(r);
    return 0;
}

static int do_watch(struct request *r)
{
    const char *vec[2];
    struct watch *w;
    int err;

    if (wire_strings(r, vec, 2) != 2)
        return EINVAL;
    w = watch_add(r->conn, vec[0], vec[1], &err);
    if (!w)
        return err;
    reply_ok(r);
    watch_fire_initial(r->conn, w);
    return 0;
}

static int do_unwatch(struct request *r)
{
    const char *vec[2];
    int err;

    if (wire_strings(r, vec, 2) != 2)
        return EINVAL;
    err = watch_remove(r->conn, vec[0], vec[1]);
    if (!err)
        reply_ok(r);
    return err;
}

static int do_transaction_start(struct request *r)
{
    struct txn *t;
    char id[16];
    int err = 0;

    if (r->txn)
        return EBUSY;
    t = txn_start(r->conn, &err);
    if (!t)
        return err;
    snprintf(id, sizeof(id), "%u", txn_id(t));
    reply_string(r, id);
    return 0;
}

static int do_transaction_end(struct request *r)
{
    const char *arg = wire_onearg(r);
    int err;

    if (!arg || (strcmp(arg, "T") && strcmp(arg, "F")))
        return EINVAL;
    if (!r->txn)
        return ENOENT;
    err = txn_end(r->txn, arg[0] == 'T');
    r->txn = NULL;
    if (!err)
        reply_ok(r);
    return err;
}

static int do_reset_watches(struct request *r)
{
    watch_remove_all(r->conn);
    txn_abort_all(r->conn);
    r->txn = NULL;
    reply_ok(r);
    return 0;
}

#define REQ_PRIV 1u   /* privileged connections only */
#define REQ_NOTX 2u   /* tx_id is ignored */

static const struct {
    int (*fn)(struct request *r);
    unsigned flags;
} handlers[XS_TYPE_COUNT] = {
    [XS_CONTROL] = { control_handle, REQ_PRIV },
    [XS_DIRECTORY] = { do_directory, 0 },
    [XS_READ] = { do_read, 0 },
    [XS_GET_PERMS] = { do_get_perms, 0 },
    [XS_WATCH] = { do_watch, REQ_NOTX },
    [XS_UNWATCH] = { do_unwatch, REQ_NOTX },
    [XS_TRANSACTION_START] = { do_transaction_start, 0 },
    [XS_TRANSACTION_END] = { do_transaction_end, 0 },
    [XS_INTRODUCE] = { domain_req_introduce, REQ_PRIV },
    [XS_RELEASE] = { domain_req_release, REQ_PRIV },
    [XS_GET_DOMAIN_PATH] = { domain_req_get_path, 0 },
    [XS_WRITE] = { do_write, 0 },
    [XS_MKDIR] = { do_mkdir, 0 },
    [XS_RM] = { do_rm, 0 },
    [XS_SET_PERMS] = { do_set_perms, 0 },
    [XS_IS_DOMAIN_INTRODUCED] = { domain_req_is_introduced, REQ_PRIV },
    [XS_RESUME] = { domain_req_resume, REQ_PRIV },
    [XS_SET_TARGET] = { domain_req_set_target, REQ_PRIV },
    [XS_RESET_WATCHES] = { do_reset_watches, 0 },
    [XS_DIRECTORY_PART] = { do_directory_part, 0 },
};

void request_handle(struct conn *c, const struct xsd_sockmsg *hdr, const char *body)
{
    struct request r = { .conn = c, .txn = NULL, .hdr = *hdr, .body = body };
    int err;

    if (trace_enabled())
        trace_msg(c->id, c->domid, "IN ", hdr, body);
    /* Unknown types and replies sent as requests get ENOSYS, as in Xen. */
    if (hdr->type >= XS_TYPE_COUNT || !handlers[hdr->type].fn) {
        reply_error(&r, ENOSYS);
        return;
    }
    if ((handlers[hdr->type].flags & REQ_PRIV) && !conn_is_privileged(c)) {
        reply_error(&r, EACCES);
        return;
    }
    if (!(handlers[hdr->type].flags & REQ_NOTX) && hdr->tx_id) {
        r.txn = txn_find(c, hdr->tx_id);
        if (!r.txn) {
            reply_error(&r, ENOENT);
            return;
        }
    }
    err = handlers[hdr->type].fn(&r);
    if (err)
        reply_error(&r, err);
}
