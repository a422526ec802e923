#include "domain.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xen/xen.h>

#include "dom0/lib/log.h"

#include "conn.h"
#include "conn_ring.h"
#include "dom0/lib/mem.h"
#include "perms.h"
#include "special.h"
#include "store.h"
#include "tree.h"
#include "watch.h"

#define DOMAIN_BUCKETS 256

bool keep_orphans;

static struct domain *domain_buckets[DOMAIN_BUCKETS];
static bool platform_active;
static int virq_port = -1;

static struct domain **domain_slot(unsigned domid)
{
    struct domain **pp = &domain_buckets[domid % DOMAIN_BUCKETS];

    while (*pp && (*pp)->domid != domid)
        pp = &(*pp)->next;
    return pp;
}

struct domain *domain_find(unsigned domid)
{
    return *domain_slot(domid);
}

struct domain *domain_get(unsigned domid)
{
    struct domain **pp = domain_slot(domid);

    if (!*pp) {
        struct domain *d = mem_zalloc(sizeof(*d));

        d->domid = domid;
        d->local_port = -1;
        *pp = d;
    }
    return *pp;
}

/* A domain record lives while the domain is introduced or anything in the
 * store still names it. */
void domain_maybe_free(struct domain *d)
{
    struct domain **pp;

    if (d->introduced || d->tearing_down || d->nodes || d->refs || d->conn)
        return;
    pp = domain_slot(d->domid);
    *pp = d->next;
    mem_free(d);
}

void domain_account_perms(const struct xs_permissions *p, unsigned n, int delta)
{
    unsigned i;

    for (i = 0; i < n; i++) {
        struct domain *d = delta > 0 ? domain_get(p[i].id) : domain_find(p[i].id);

        if (!d) {
            log_msg(LOG_LVL_ERR, "accounting for unknown domain %u", p[i].id);
            continue;
        }
        if (i == 0)
            d->nodes += (unsigned)delta;
        else
            d->refs += (unsigned)delta;
        if (delta < 0)
            domain_maybe_free(d);
    }
}

unsigned domain_owned_nodes(unsigned domid)
{
    struct domain *d = domain_find(domid);

    return d ? d->nodes : 0;
}

static void domain_for_each(void (*fn)(struct domain *d, void *arg), void *arg)
{
    unsigned i;

    for (i = 0; i < DOMAIN_BUCKETS; i++) {
        struct domain *d, *next;

        for (d = domain_buckets[i]; d; d = next) {
            next = d->next;
            fn(d, arg);
        }
    }
}

static void domain_count_one(struct domain *d, void *arg)
{
    unsigned *n = arg;

    (void)d;
    (*n)++;
}

unsigned domain_count(void)
{
    unsigned n = 0;

    domain_for_each(domain_count_one, &n);
    return n;
}

static void domain_count_introduced_one(struct domain *d, void *arg)
{
    unsigned *n = arg;

    if (d->introduced)
        (*n)++;
}

unsigned domain_count_introduced(void)
{
    unsigned n = 0;

    domain_for_each(domain_count_introduced_one, &n);
    return n;
}

/* ---- consistency check ---- */

struct recount {
    unsigned domid;
    unsigned nodes, refs;
};

static void recount_perms(struct recount *rc, const struct xs_permissions *p, unsigned n)
{
    unsigned i;

    for (i = 0; i < n; i++) {
        if (p[i].id != rc->domid)
            continue;
        if (i == 0)
            rc->nodes++;
        else
            rc->refs++;
    }
}

static void recount_special(const struct xs_permissions *p, unsigned n, void *arg)
{
    recount_perms(arg, p, n);
}

static void recount_node(const struct node *n, void *arg)
{
    recount_perms(arg, n->perms, n->nperms);
}

struct check_state {
    char *why;
    size_t whylen;
    int bad;
};

static void domain_check_one(struct domain *d, void *arg)
{
    struct check_state *st = arg;
    struct recount rc = { .domid = d->domid };

    if (st->bad)
        return;
    tree_for_each(recount_node, &rc);
    special_for_each(recount_special, &rc);
    if (rc.nodes != d->nodes || rc.refs != d->refs) {
        snprintf(st->why, st->whylen, "dom %u counted %u nodes %u refs, store has %u/%u",
                 d->domid, d->nodes, d->refs, rc.nodes, rc.refs);
        st->bad = 1;
    } else if (!d->introduced && !d->nodes && !d->refs) {
        snprintf(st->why, st->whylen, "dom %u record kept for nothing", d->domid);
        st->bad = 1;
    }
}

static void domain_check_missing(const struct node *n, void *arg)
{
    struct check_state *st = arg;
    unsigned i;

    for (i = 0; i < n->nperms && !st->bad; i++) {
        if (!domain_find(n->perms[i].id)) {
            snprintf(st->why, st->whylen, "%s names dom %u, which has no record",
                     n->path, n->perms[i].id);
            st->bad = 1;
        }
    }
}

int domain_check_accounting(char *why, size_t whylen)
{
    struct check_state st = { why, whylen, 0 };

    domain_for_each(domain_check_one, &st);
    if (!st.bad)
        tree_for_each(domain_check_missing, &st);
    return st.bad ? -1 : 0;
}

/* ---- teardown ---- */

struct path_list {
    char **paths;
    unsigned n;
    unsigned domid;
};

static void path_list_add(struct path_list *l, const char *path)
{
    l->paths = mem_realloc(l->paths, (l->n + 1) * sizeof(*l->paths));
    l->paths[l->n++] = mem_strdup(path);
}

static void path_list_free(struct path_list *l)
{
    unsigned i;

    for (i = 0; i < l->n; i++)
        mem_free(l->paths[i]);
    mem_free(l->paths);
}

static void collect_owned(const struct node *n, void *arg)
{
    struct path_list *l = arg;

    if (n->nperms && n->perms[0].id == l->domid)
        path_list_add(l, n->path);
}

static void collect_referencing(const struct node *n, void *arg)
{
    struct path_list *l = arg;
    unsigned i;

    for (i = 1; i < n->nperms; i++) {
        if (n->perms[i].id == l->domid) {
            path_list_add(l, n->path);
            return;
        }
    }
}

static int by_length(const void *a, const void *b)
{
    size_t la = strlen(*(char *const *)a), lb = strlen(*(char *const *)b);

    return la < lb ? -1 : la > lb;
}

static void domain_forget(unsigned domid)
{
    struct path_list owned = { .domid = domid }, refs = { .domid = domid };
    unsigned i;

    /* Nodes the domain owned go away with everything below them, firing
     * watches as any removal does. Shallow paths first: removing a parent
     * takes its children with it. */
    tree_for_each(collect_owned, &owned);
    if (owned.n > 1)
        qsort(owned.paths, owned.n, sizeof(*owned.paths), by_length);
    for (i = 0; i < owned.n; i++) {
        const struct node *n = tree_lookup(owned.paths[i]);

        if (!n || !n->nperms || n->perms[0].id != domid)
            continue;
        if (keep_orphans || !strcmp(n->path, "/")) {
            struct node *copy = node_dup(n);

            copy->nperms = perms_remove_domain(copy->perms, copy->nperms, domid, priv_domid);
            tree_store(copy);
        } else if (store_rm_tree(NULL, NULL, owned.paths[i])) {
            log_msg(LOG_LVL_ERR, "cannot remove %s owned by dom %u", owned.paths[i], domid);
        }
    }
    path_list_free(&owned);

    /* Access granted to the domain must not pass to a later domain that
     * reuses its id. */
    tree_for_each(collect_referencing, &refs);
    for (i = 0; i < refs.n; i++) {
        const struct node *n = tree_lookup(refs.paths[i]);
        struct node *copy;

        if (!n)
            continue;
        copy = node_dup(n);
        copy->nperms = perms_remove_domain(copy->perms, copy->nperms, domid, priv_domid);
        tree_store(copy);
    }
    path_list_free(&refs);

    special_forget_domain(domid);
}

static void domain_disconnect(struct domain *d)
{
    struct conn *c;

    if (d->conn) {
        conn_kill(d->conn, "domain released");
        d->conn->domain = NULL;
        d->conn = NULL;
    }
    if (d->local_port >= 0)
        platform_unbind((unsigned)d->local_port);
    d->local_port = -1;
    if (d->ring.intf)
        platform_unmap_ring(d->domid, &d->ring);
    memset(&d->ring, 0, sizeof(d->ring));
    d->introduced = false;
    for (c = conn_list; c; c = c->next)
        if (c->target == (int)d->domid)
            c->target = -1;
}

/* Xen's order: the domain's connection goes first (its watches hear
 * nothing more), then its nodes, then @releaseDomain. */
void domain_teardown(struct domain *d, bool fire)
{
    bool was_introduced = d->introduced;
    unsigned domid = d->domid;

    d->tearing_down = true;
    domain_disconnect(d);
    domain_forget(domid);
    if (was_introduced && fire)
        watch_fire_special("@releaseDomain", domid, true, true);
    d->tearing_down = false;
    domain_maybe_free(d);
}

int domain_destroy(unsigned domid)
{
    struct domain *d = domain_find(domid);

    if (!d)
        return ENOENT;
    domain_teardown(d, true);
    return 0;
}

/* ---- platform events ---- */

bool domain_platform_active(void)
{
    return platform_active;
}

static struct domain *domain_by_port(int port)
{
    unsigned i;

    for (i = 0; i < DOMAIN_BUCKETS; i++) {
        struct domain *d;

        for (d = domain_buckets[i]; d; d = d->next)
            if (d->introduced && d->local_port == port)
                return d;
    }
    return NULL;
}

void domain_handle_event(int port)
{
    if (port == virq_port) {
        domain_check_all();
    } else {
        struct domain *d = domain_by_port(port);

        if (d)
            ring_check_reconnect(d);
    }
    if (port >= 0)
        platform_unmask((unsigned)port);
}

struct domid_list {
    unsigned *ids;
    unsigned n;
};

static void collect_domid(struct domain *d, void *arg)
{
    struct domid_list *l = arg;

    l->ids = mem_realloc(l->ids, (l->n + 1) * sizeof(*l->ids));
    l->ids[l->n++] = d->domid;
}

void domain_check_all(void)
{
    struct domid_list l = { NULL, 0 };
    bool notify = false, fired = false;
    unsigned i;

    /* Teardown can free records, so work from a list of ids. */
    domain_for_each(collect_domid, &l);
    for (i = 0; i < l.n; i++) {
        struct domain *d = domain_find(l.ids[i]);
        enum platform_domain_state st;

        if (!d || d->domid == 0)
            continue;
        st = platform_domain_state(d->domid);
        if (!d->introduced) {
            if (st == DOMAIN_STATE_GONE)
                domain_teardown(d, false);
            continue;
        }
        if (st == DOMAIN_STATE_SHUTDOWN && !d->shutdown_seen) {
            d->shutdown_seen = true;
            watch_fire_special("@releaseDomain", d->domid, false, true);
            notify = true;
        }
        if (st == DOMAIN_STATE_DYING || st == DOMAIN_STATE_GONE) {
            log_msg(LOG_LVL_INFO, "dom %u is gone; releasing it", d->domid);
            domain_teardown(d, true);
            fired = true;
        }
    }
    mem_free(l.ids);
    if (notify && !fired)
        watch_fire_special("@releaseDomain", 0, true, false);
}

int domain_init(void)
{
    struct domain *d;
    struct platform_ring ring;
    unsigned port;
    int rc;

    platform_active = true;
    rc = platform_bind_virq_dom_exc();
    if (rc < 0) {
        log_msg(LOG_LVL_ERR, "cannot bind VIRQ_DOM_EXC: %s", strerror(-rc));
        return rc;
    }
    virq_port = rc;

    rc = platform_local_ring(&ring, &port);
    if (rc == -ENOENT) {
        log_msg(LOG_LVL_INFO, "no local xenstore ring for Dom0");
        return 0;
    }
    if (rc < 0) {
        log_msg(LOG_LVL_ERR, "cannot map Dom0's xenstore ring: %s", strerror(-rc));
        return rc;
    }
    rc = platform_bind_interdomain(0, port);
    if (rc < 0) {
        log_msg(LOG_LVL_ERR, "cannot bind Dom0's xenstore port %u: %s", port, strerror(-rc));
        platform_unmap_ring(0, &ring);
        return rc;
    }
    d = domain_get(0);
    d->ring = ring;
    d->local_port = rc;
    d->remote_port = port;
    d->introduced = true;
    d->conn = ring_conn_new(d);
    /* Linux's xenbus in local mode waits for this first event. */
    platform_notify((unsigned)d->local_port);
    log_msg(LOG_LVL_INFO, "Dom0 ring connected on port %u", port);
    return 0;
}

static void domain_shutdown_one(struct domain *d, void *arg)
{
    (void)arg;
    if (d->introduced || d->conn) {
        d->tearing_down = true;
        domain_disconnect(d);
        d->tearing_down = false;
    }
}

void domain_shutdown(void)
{
    domain_for_each(domain_shutdown_one, NULL);
    if (virq_port >= 0)
        platform_unbind((unsigned)virq_port);
    virq_port = -1;
    platform_active = false;
}

static void domain_free_one(struct domain *d, void *arg)
{
    (void)arg;
    *domain_slot(d->domid) = d->next;
    mem_free(d);
}

void domain_free_all(void)
{
    special_free();
    domain_for_each(domain_free_one, NULL);
}

struct domain *domain_attach_conn(unsigned domid, struct conn *c)
{
    struct domain *d = domain_get(domid);

    d->introduced = true;
    d->conn = c;
    c->domain = d;
    return d;
}

