#include "store.h"

#include <errno.h>
#include <string.h>

#include "conn.h"
#include "domain.h"
#include "dom0/lib/mem.h"
#include "path.h"
#include "perms.h"
#include "quota.h"
#include "transaction.h"
#include "watch.h"

static void store_changed(struct txn *t, const char *path, bool exact, const struct node *node,
                          const struct xs_permissions *old, unsigned nold)
{
    if (t)
        txn_queue_watch(t, path, exact);
    else
        watch_fire(path, exact, node, old, nold);
}

static bool store_size_ok(const struct conn *c, const struct node *n)
{
    if (!c || conn_is_privileged(c) || !quota.node_size)
        return true;
    return node_record_size(n) < quota.node_size;
}

const struct node *store_get(struct conn *c, struct txn *t, const char *path,
                             unsigned want, int *err)
{
    const struct node *n;
    char *p;

    if (!path || !path_is_valid(path)) {
        *err = EINVAL;
        return NULL;
    }
    n = db_get(t, path, err);
    if (*err)
        return NULL;
    if (n) {
        if ((perms_for(c, n->perms, n->nperms) & want) == want)
            return n;
        *err = EACCES;
        return NULL;
    }
    *err = ENOENT;
    p = path_parent(path);
    while (p) {
        const struct node *a;
        char *up;
        int e;

        a = db_get(t, p, &e);
        if (e) {
            *err = e;
            break;
        }
        if (a) {
            if (!(perms_for(c, a->perms, a->nperms) & want))
                *err = EACCES;
            break;
        }
        up = path_parent(p);
        mem_free(p);
        p = up;
    }
    mem_free(p);
    return NULL;
}

/* Creates path and any missing parents. The nearest existing ancestor
 * gains a child; new nodes copy their parent's permissions, and a node an
 * unprivileged domain creates is owned by that domain. All limits are
 * checked before anything changes. */
static int store_create(struct conn *c, struct txn *t, const char *path, const void *value,
                        unsigned len)
{
    char **missing = NULL;
    unsigned nmissing = 0, i;
    const struct node *anc = NULL;
    struct node *parent = NULL, **fresh = NULL;
    char *p = mem_strdup(path);
    int err = 0;

    for (;;) {
        char *up;

        missing = mem_realloc(missing, (nmissing + 1) * sizeof(*missing));
        missing[nmissing++] = p;
        up = path_parent(p);
        if (!up) {
            err = EINVAL;   /* the root always exists */
            goto out;
        }
        anc = db_get(t, up, &err);
        if (err) {
            mem_free(up);
            goto out;
        }
        p = up;
        if (anc)
            break;
    }
    mem_free(p);
    p = NULL;

    if (c && !conn_is_privileged(c) && quota.nodes) {
        int owned = (int)domain_owned_nodes(c->domid) + (t ? txn_owned_delta(t, c->domid) : 0);

        if (owned < 0)
            owned = 0;
        if (quota_exceeded(quota.nodes, (unsigned)owned, nmissing)) {
            err = ENOSPC;
            goto out;
        }
    }

    parent = node_dup(anc);
    node_add_child(parent, path_basename(missing[nmissing - 1]));
    if (!store_size_ok(c, parent)) {
        err = ENOSPC;
        goto out;
    }
    fresh = mem_zalloc(nmissing * sizeof(*fresh));
    for (i = nmissing; i-- > 0;) {
        const struct node *from = i + 1 < nmissing ? fresh[i + 1] : parent;
        struct node *n = node_new(missing[i], from->perms, from->nperms);

        if (c && !conn_is_privileged(c))
            n->perms[0].id = c->domid;
        if (i > 0)
            node_add_child(n, path_basename(missing[i - 1]));
        else
            node_set_value(n, value, len);
        fresh[i] = n;
    }
    if (!store_size_ok(c, fresh[0])) {
        err = ENOSPC;
        goto out;
    }

    err = db_put(t, parent);
    parent = NULL;
    for (i = nmissing; !err && i-- > 0;) {
        err = db_put(t, fresh[i]);
        fresh[i] = NULL;
    }
    if (!err) {
        const struct node *n = db_get(t, path, &err);

        store_changed(t, path, false, n, NULL, 0);
    }
out:
    if (fresh)
        for (i = 0; i < nmissing; i++)
            node_free(fresh[i]);
    mem_free(fresh);
    node_free(parent);
    for (i = 0; i < nmissing; i++)
        mem_free(missing[i]);
    mem_free(missing);
    mem_free(p);
    return err;
}

int store_write(struct conn *c, struct txn *t, const char *path, const void *value,
                unsigned len)
{
    const struct node *cur;
    struct node *n;
    int err;

    cur = store_get(c, t, path, XS_PERM_WRITE, &err);
    if (!cur)
        return err == ENOENT ? store_create(c, t, path, value, len) : err;
    n = node_dup(cur);
    node_set_value(n, value, len);
    if (!store_size_ok(c, n)) {
        node_free(n);
        return ENOSPC;
    }
    err = db_put(t, n);
    if (!err)
        store_changed(t, path, false, db_get(t, path, &err), NULL, 0);
    return err;
}

int store_mkdir(struct conn *c, struct txn *t, const char *path)
{
    int err;

    if (store_get(c, t, path, XS_PERM_WRITE, &err))
        return 0;
    return err == ENOENT ? store_create(c, t, path, NULL, 0) : err;
}

/* Post-order removal: watches set exactly on a descendant fire for it,
 * and the top node fires the watches on it and its ancestors. */
static int store_rm_rec(struct conn *c, struct txn *t, const char *path, bool top)
{
    const struct node *n;
    char *children;
    unsigned childlen, off;
    struct xs_permissions *perms;
    unsigned nperms;
    struct node *snapshot;
    int err;

    n = db_get(t, path, &err);
    if (err)
        return err;
    if (!n)
        return 0;
    snapshot = node_dup(n);
    children = snapshot->children;
    childlen = snapshot->childlen;
    for (off = 0; off < childlen; off += (unsigned)strlen(children + off) + 1) {
        char *cp = path_child(path, children + off);

        err = store_rm_rec(c, t, cp, false);
        mem_free(cp);
        if (err) {
            node_free(snapshot);
            return err;
        }
    }
    perms = snapshot->perms;
    nperms = snapshot->nperms;
    /* Fire before deleting so the parent can still be consulted. */
    store_changed(t, path, !top, snapshot, perms, nperms);
    err = db_del(t, path);
    node_free(snapshot);
    return err;
}

int store_rm_tree(struct conn *c, struct txn *t, const char *path)
{
    const struct node *pn;
    struct node *parent;
    char *pp = path_parent(path);
    int err;

    if (!pp)
        return EINVAL;
    pn = db_get(t, pp, &err);
    if (!err && !pn)
        err = ENOENT;
    if (!err)
        err = store_rm_rec(c, t, path, true);
    if (!err) {
        pn = db_get(t, pp, &err);
        if (!err && pn) {
            parent = node_dup(pn);
            node_remove_child(parent, path_basename(path));
            err = db_put(t, parent);
        }
    }
    mem_free(pp);
    return err;
}

int store_rm(struct conn *c, struct txn *t, const char *path)
{
    int err;
    char *pp;
    const struct node *parent;

    if (store_get(c, t, path, XS_PERM_WRITE, &err)) {
        if (!strcmp(path, "/"))
            return EINVAL;
        return store_rm_tree(c, t, path);
    }
    if (err != ENOENT)
        return err;
    /* Removing what is already gone is fine while its parent exists. */
    pp = path_parent(path);
    if (!pp)
        return ENOENT;
    parent = db_get(t, pp, &err);
    mem_free(pp);
    if (err)
        return err;
    return parent ? 0 : ENOENT;
}

int store_set_perms(struct conn *c, struct txn *t, const char *path,
                    struct xs_permissions *perms, unsigned nperms)
{
    const struct node *cur;
    struct node *n;
    struct xs_permissions *old;
    unsigned nold;
    int err;

    cur = store_get(c, t, path, XS_PERM_WRITE | XS_PERM_OWNER, &err);
    if (!cur) {
        mem_free(perms);
        return err;
    }
    if (c && !conn_is_privileged(c) && perms[0].id != cur->perms[0].id) {
        mem_free(perms);
        return EPERM;
    }
    n = node_dup(cur);
    old = n->perms;
    nold = n->nperms;
    n->perms = perms;
    n->nperms = nperms;
    if (!store_size_ok(c, n)) {
        mem_free(old);
        node_free(n);
        return ENOSPC;
    }
    err = db_put(t, n);
    if (!err)
        store_changed(t, path, false, db_get(t, path, &err), old, nold);
    mem_free(old);
    return err;
}
