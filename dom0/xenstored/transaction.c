#include "transaction.h"

#include <errno.h>
#include <string.h>

#include "conn.h"
#include "domain.h"
#include "dom0/lib/mem.h"
#include "dom0/lib/string_hash.h"
#include "quota.h"
#include "watch.h"

struct txn_entry {
    struct txn_entry *next;   /* in order of first access */
    struct txn_entry *hnext;
    char *path;
    struct node *node;        /* this transaction's view; NULL = absent */
    uint64_t seen_gen;        /* committed generation at first read */
    bool check_gen;
    bool modified;
    bool fire;
    bool exact;
    /* Permissions the node had when first met, so a watcher that could read
     * it then still hears about its change or removal. */
    struct xs_permissions *orig_perms;
    unsigned norig;
};

struct txn {
    struct txn *next;
    struct conn *conn;
    uint32_t id;
    struct txn_entry *head, *tail;
    struct txn_entry **buckets;
    unsigned nbuckets;
    unsigned nentries;
    bool failed;
};

static struct txn_entry *txn_entry_find(const struct txn *t, const char *path)
{
    struct txn_entry *e;

    if (!t->nbuckets)
        return NULL;
    for (e = t->buckets[string_hash(path) & (t->nbuckets - 1)]; e; e = e->hnext)
        if (!strcmp(e->path, path))
            return e;
    return NULL;
}

static void txn_rehash(struct txn *t)
{
    unsigned nb = t->nbuckets ? t->nbuckets * 2 : 16;
    struct txn_entry *e;

    mem_free(t->buckets);
    t->buckets = mem_zalloc(nb * sizeof(*t->buckets));
    t->nbuckets = nb;
    for (e = t->head; e; e = e->next) {
        size_t b = string_hash(e->path) & (nb - 1);

        e->hnext = t->buckets[b];
        t->buckets[b] = e;
    }
}

/* A new entry for a node met for the first time, or NULL when the
 * transaction has touched as many nodes as an unprivileged domain may. */
static struct txn_entry *txn_entry_new(struct txn *t, const char *path)
{
    struct txn_entry *e;
    const struct node *g;
    size_t b;

    if (!conn_is_privileged(t->conn) && quota.trans_nodes &&
        t->nentries >= quota.trans_nodes) {
        t->failed = true;
        return NULL;
    }
    e = mem_zalloc(sizeof(*e));
    e->path = mem_strdup(path);
    g = tree_lookup(path);
    if (g) {
        e->orig_perms = mem_dup(g->perms, g->nperms * sizeof(*g->perms));
        e->norig = g->nperms;
    }
    if (t->tail)
        t->tail->next = e;
    else
        t->head = e;
    t->tail = e;
    t->nentries++;
    if (t->nentries > t->nbuckets)
        txn_rehash(t);
    else {
        b = string_hash(path) & (t->nbuckets - 1);
        e->hnext = t->buckets[b];
        t->buckets[b] = e;
    }
    return e;
}

const struct node *db_get(struct txn *t, const char *path, int *err)
{
    struct txn_entry *e;
    const struct node *g;

    *err = 0;
    if (!t)
        return tree_lookup(path);
    e = txn_entry_find(t, path);
    if (e)
        return e->node;
    e = txn_entry_new(t, path);
    if (!e) {
        *err = ENOSPC;
        return NULL;
    }
    g = tree_lookup(path);
    e->check_gen = true;
    e->seen_gen = g ? g->gen : NO_GENERATION;
    e->node = g ? node_dup(g) : NULL;
    return e->node;
}

static struct txn_entry *txn_entry_for_change(struct txn *t, const char *path)
{
    struct txn_entry *e = txn_entry_find(t, path);

    return e ? e : txn_entry_new(t, path);
}

int db_put(struct txn *t, struct node *n)
{
    struct txn_entry *e;

    n->gen = tree_next_generation();
    if (!t) {
        tree_store(n);
        return 0;
    }
    e = txn_entry_for_change(t, n->path);
    if (!e) {
        node_free(n);
        return ENOSPC;
    }
    node_free(e->node);
    e->node = n;
    e->modified = true;
    return 0;
}

int db_del(struct txn *t, const char *path)
{
    struct txn_entry *e;

    if (!t) {
        tree_remove(path);
        return 0;
    }
    e = txn_entry_for_change(t, path);
    if (!e)
        return ENOSPC;
    node_free(e->node);
    e->node = NULL;
    e->modified = true;
    return 0;
}

void txn_queue_watch(struct txn *t, const char *path, bool exact)
{
    struct txn_entry *e = txn_entry_find(t, path);

    if (!e)
        return;
    /* A subtree event covers an exact one for the same node. */
    if (!e->fire) {
        e->fire = true;
        e->exact = exact;
    } else if (!exact) {
        e->exact = false;
    }
}

static bool node_owned_by(const struct node *n, unsigned domid)
{
    return n && n->nperms && n->perms[0].id == domid;
}

int txn_owned_delta(const struct txn *t, unsigned domid)
{
    const struct txn_entry *e;
    int delta = 0;

    for (e = t->head; e; e = e->next) {
        if (!e->modified)
            continue;
        delta += node_owned_by(e->node, domid);
        delta -= node_owned_by(tree_lookup(e->path), domid);
    }
    return delta;
}

struct txn *txn_start(struct conn *c, int *err)
{
    struct txn *t;

    if (!conn_is_privileged(c) && quota.transactions && c->ntxns >= quota.transactions) {
        *err = ENOSPC;
        return NULL;
    }
    t = mem_zalloc(sizeof(*t));
    t->conn = c;
    do {
        t->id = c->next_txid++;
    } while (t->id == 0 || txn_find(c, t->id));
    t->next = c->txns;
    c->txns = t;
    c->ntxns++;
    return t;
}

struct txn *txn_find(struct conn *c, uint32_t id)
{
    struct txn *t;

    for (t = c->txns; t; t = t->next)
        if (t->id == id)
            return t;
    return NULL;
}

uint32_t txn_id(const struct txn *t)
{
    return t->id;
}

static void txn_free(struct txn *t)
{
    struct txn_entry *e, *next;

    for (e = t->head; e; e = next) {
        next = e->next;
        node_free(e->node);
        mem_free(e->orig_perms);
        mem_free(e->path);
        mem_free(e);
    }
    mem_free(t->buckets);
    mem_free(t);
}

static void txn_unlink(struct txn *t)
{
    struct txn **pp;

    for (pp = &t->conn->txns; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            t->conn->ntxns--;
            return;
        }
    }
}

static int txn_check(const struct txn *t)
{
    const struct txn_entry *e;

    if (t->failed)
        return ENOSPC;
    for (e = t->head; e; e = e->next) {
        const struct node *g;

        if (!e->check_gen)
            continue;
        g = tree_lookup(e->path);
        if ((g ? g->gen : NO_GENERATION) != e->seen_gen)
            return EAGAIN;
    }
    if (!conn_is_privileged(t->conn) && quota.nodes) {
        int delta = txn_owned_delta(t, t->conn->domid);

        if (delta > 0 &&
            quota_exceeded(quota.nodes, domain_owned_nodes(t->conn->domid), (unsigned)delta))
            return ENOSPC;
    }
    return 0;
}

static void txn_apply(struct txn *t)
{
    struct txn_entry *e;

    for (e = t->head; e; e = e->next) {
        if (!e->modified)
            continue;
        if (e->node) {
            struct node *n = e->node;

            e->node = NULL;
            n->gen = tree_next_generation();
            tree_store(n);
        } else {
            tree_remove(e->path);
        }
    }
    for (e = t->head; e; e = e->next)
        if (e->fire)
            watch_fire(e->path, e->exact, NULL, e->orig_perms, e->norig);
}

int txn_end(struct txn *t, bool commit)
{
    int ret = 0;

    txn_unlink(t);
    if (commit) {
        ret = txn_check(t);
        if (!ret)
            txn_apply(t);
    }
    txn_free(t);
    return ret;
}

void txn_abort_all(struct conn *c)
{
    while (c->txns)
        txn_end(c->txns, false);
}

unsigned txn_count_all(void)
{
    const struct conn *c;
    unsigned n = 0;

    for (c = conn_list; c; c = c->next)
        n += c->ntxns;
    return n;
}
