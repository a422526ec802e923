#include "tree.h"

#include <stdio.h>
#include <string.h>

#include "domain.h"
#include "dom0/lib/mem.h"
#include "dom0/lib/string_hash.h"
#include "path.h"

static struct node **tree_buckets;
static size_t tree_nbuckets;
static size_t tree_nnodes;
static uint64_t tree_generation;

struct node *node_new(const char *path, const struct xs_permissions *perms,
                      unsigned nperms)
{
    struct node *n = mem_zalloc(sizeof(*n));

    n->path = mem_strdup(path);
    node_set_perms(n, perms, nperms);
    n->gen = NO_GENERATION;
    return n;
}

struct node *node_dup(const struct node *src)
{
    struct node *n = mem_zalloc(sizeof(*n));

    n->path = mem_strdup(src->path);
    n->value = src->vlen ? mem_dup(src->value, src->vlen) : NULL;
    n->vlen = src->vlen;
    n->perms = mem_dup(src->perms, src->nperms * sizeof(*src->perms));
    n->nperms = src->nperms;
    n->children = src->childlen ? mem_dup(src->children, src->childlen) : NULL;
    n->childlen = src->childlen;
    n->gen = src->gen;
    return n;
}

void node_free(struct node *n)
{
    if (!n)
        return;
    mem_free(n->path);
    mem_free(n->value);
    mem_free(n->perms);
    mem_free(n->children);
    mem_free(n);
}

void node_set_value(struct node *n, const void *value, unsigned len)
{
    mem_free(n->value);
    n->value = len ? mem_dup(value, len) : NULL;
    n->vlen = len;
}

void node_set_perms(struct node *n, const struct xs_permissions *perms, unsigned nperms)
{
    struct xs_permissions *p = mem_dup(perms, nperms * sizeof(*perms));

    mem_free(n->perms);
    n->perms = p;
    n->nperms = nperms;
}

static const char *node_find_child(const struct node *n, const char *name)
{
    unsigned off = 0;

    while (off < n->childlen) {
        const char *c = n->children + off;

        if (!strcmp(c, name))
            return c;
        off += (unsigned)strlen(c) + 1;
    }
    return NULL;
}

bool node_has_child(const struct node *n, const char *name)
{
    return node_find_child(n, name) != NULL;
}

void node_add_child(struct node *n, const char *name)
{
    unsigned len = (unsigned)strlen(name) + 1;

    n->children = mem_realloc(n->children, n->childlen + len);
    memcpy(n->children + n->childlen, name, len);
    n->childlen += len;
}

bool node_remove_child(struct node *n, const char *name)
{
    const char *c = node_find_child(n, name);
    unsigned off, len;

    if (!c)
        return false;
    off = (unsigned)(c - n->children);
    len = (unsigned)strlen(c) + 1;
    memmove(n->children + off, n->children + off + len, n->childlen - off - len);
    n->childlen -= len;
    if (!n->childlen) {
        mem_free(n->children);
        n->children = NULL;
    } else {
        /* Keep records exactly sized: memory use must not depend on history. */
        n->children = mem_realloc(n->children, n->childlen);
    }
    return true;
}

unsigned node_record_size(const struct node *n)
{
    /* Xen's record: u64 generation, three u32 counts (padded to 24 bytes),
     * the permission array, the value and the child names. */
    return 24 + n->nperms * (unsigned)sizeof(struct xs_permissions) + n->vlen +
           n->childlen;
}

uint64_t tree_next_generation(void)
{
    return tree_generation++;
}

static struct node **tree_slot(const char *path)
{
    struct node **pp = &tree_buckets[string_hash(path) & (tree_nbuckets - 1)];

    while (*pp && strcmp((*pp)->path, path))
        pp = &(*pp)->hnext;
    return pp;
}

static void tree_grow(void)
{
    size_t nb = tree_nbuckets ? tree_nbuckets * 2 : 64, i;
    struct node **nbk = mem_zalloc(nb * sizeof(*nbk));

    for (i = 0; i < tree_nbuckets; i++) {
        struct node *n = tree_buckets[i], *next;

        for (; n; n = next) {
            size_t b = string_hash(n->path) & (nb - 1);

            next = n->hnext;
            n->hnext = nbk[b];
            nbk[b] = n;
        }
    }
    mem_free(tree_buckets);
    tree_buckets = nbk;
    tree_nbuckets = nb;
}

const struct node *tree_lookup(const char *path)
{
    if (!tree_nbuckets)
        return NULL;
    return *tree_slot(path);
}

void tree_store(struct node *n)
{
    struct node **pp, *old;

    if (tree_nnodes >= tree_nbuckets)
        tree_grow();
    pp = tree_slot(n->path);
    old = *pp;
    /* Account the new owner before releasing the old one so a domain whose
     * node merely changes does not see its count touch zero. */
    domain_account_perms(n->perms, n->nperms, +1);
    if (old) {
        n->hnext = old->hnext;
        *pp = n;
        domain_account_perms(old->perms, old->nperms, -1);
        node_free(old);
    } else {
        n->hnext = NULL;
        *pp = n;
        tree_nnodes++;
    }
}

void tree_remove(const char *path)
{
    struct node **pp, *old;

    if (!tree_nbuckets)
        return;
    pp = tree_slot(path);
    old = *pp;
    if (!old)
        return;
    *pp = old->hnext;
    tree_nnodes--;
    domain_account_perms(old->perms, old->nperms, -1);
    node_free(old);
}

size_t tree_count(void)
{
    return tree_nnodes;
}

void tree_for_each(void (*fn)(const struct node *n, void *arg), void *arg)
{
    size_t i;

    for (i = 0; i < tree_nbuckets; i++) {
        const struct node *n;

        for (n = tree_buckets[i]; n; n = n->hnext)
            fn(n, arg);
    }
}

/* Start-up nodes belong to Dom0 and are private to it, as in Xen. */
static void tree_make(const char *path, const char *child1, const char *child2)
{
    static const struct xs_permissions dom0_only = { .id = 0, .perms = XS_PERM_NONE };
    struct node *n = node_new(path, &dom0_only, 1);

    if (child1)
        node_add_child(n, child1);
    if (child2)
        node_add_child(n, child2);
    n->gen = tree_next_generation();
    tree_store(n);
}

void tree_init(void)
{
    tree_make("/", "tool", "local");
    tree_make("/tool", "xenstored", NULL);
    tree_make("/tool/xenstored", NULL, NULL);
    tree_make("/local", "domain", NULL);
    tree_make("/local/domain", "0", NULL);
    tree_make("/local/domain/0", NULL, NULL);
}

void tree_destroy(void)
{
    size_t i;

    for (i = 0; i < tree_nbuckets; i++) {
        struct node *n = tree_buckets[i], *next;

        for (; n; n = next) {
            next = n->hnext;
            domain_account_perms(n->perms, n->nperms, -1);
            node_free(n);
        }
    }
    mem_free(tree_buckets);
    tree_buckets = NULL;
    tree_nbuckets = 0;
    tree_nnodes = 0;
}

struct tree_check_state {
    char *why;
    size_t whylen;
    int bad;
};

static void tree_check_node(const struct node *n, void *arg)
{
    struct tree_check_state *st = arg;
    unsigned off = 0;

    if (st->bad)
        return;
    if (!n->nperms) {
        snprintf(st->why, st->whylen, "%s has no permissions", n->path);
        st->bad = 1;
        return;
    }
    if (n->childlen && n->children[n->childlen - 1] != '\0') {
        snprintf(st->why, st->whylen, "%s has a broken child list", n->path);
        st->bad = 1;
        return;
    }
    while (off < n->childlen) {
        const char *c = n->children + off;
        char *cp = path_child(n->path, c);
        const struct node *child = tree_lookup(cp);

        mem_free(cp);
        if (!*c || !child) {
            snprintf(st->why, st->whylen, "%s lists missing child \"%s\"", n->path, c);
            st->bad = 1;
            return;
        }
        off += (unsigned)strlen(c) + 1;
    }
    if (strcmp(n->path, "/")) {
        char *pp = path_parent(n->path);
        const struct node *parent = tree_lookup(pp);

        if (!parent || !node_has_child(parent, path_basename(n->path))) {
            snprintf(st->why, st->whylen, "%s is not listed by its parent", n->path);
            st->bad = 1;
        }
        mem_free(pp);
    }
}

int tree_check(char *why, size_t whylen)
{
    struct tree_check_state st = { why, whylen, 0 };

    if (!tree_lookup("/")) {
        snprintf(why, whylen, "no root node");
        return -1;
    }
    tree_for_each(tree_check_node, &st);
    if (!st.bad && domain_check_accounting(why, whylen) < 0)
        st.bad = 1;
    return st.bad ? -1 : 0;
}
