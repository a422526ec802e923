#include "watch.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "xs_abi.h"

#include "conn.h"
#include "domain.h"
#include "dom0/lib/mem.h"
#include "path.h"
#include "perms.h"
#include "quota.h"
#include "special.h"
#include "tree.h"

struct watch *watch_add(struct conn *c, const char *path, const char *token, int *err)
{
    struct watch *w, **pp;
    char *canon;
    unsigned rel_len = 0;

    if (path_is_special(path)) {
        if (strlen(path) > XENSTORE_REL_PATH_MAX) {
            *err = EINVAL;
            return NULL;
        }
        canon = mem_strdup(path);
    } else {
        canon = path_canonical(c->domid, path);
        if (!path_is_valid(canon)) {
            mem_free(canon);
            *err = EINVAL;
            return NULL;
        }
        if (path[0] != '/')
            rel_len = (unsigned)(strlen(canon) - strlen(path));
    }
    for (w = c->watches; w; w = w->next) {
        if (!strcmp(w->path, canon) && !strcmp(w->token, token)) {
            mem_free(canon);
            *err = EEXIST;
            return NULL;
        }
    }
    if (!conn_is_privileged(c) && quota_exceeded(quota.watches, c->nwatches, 1)) {
        mem_free(canon);
        *err = E2BIG;
        return NULL;
    }
    w = mem_zalloc(sizeof(*w));
    w->path = canon;
    w->token = mem_strdup(token);
    w->rel_len = rel_len;
    /* Append: events for one change reach a connection's watches in the
     * order they were set. */
    for (pp = &c->watches; *pp; pp = &(*pp)->next)
        ;
    *pp = w;
    c->nwatches++;
    return w;
}

static const char *watch_event_path(const struct watch *w, const char *path)
{
    return strlen(path) > w->rel_len ? path + w->rel_len : path;
}

void watch_fire_initial(struct conn *c, const struct watch *w)
{
    conn_queue_event(c, watch_event_path(w, w->path), w->token);
}

static void watch_free(struct watch *w)
{
    mem_free(w->path);
    mem_free(w->token);
    mem_free(w);
}

int watch_remove(struct conn *c, const char *path, const char *token)
{
    char *canon = path_canonical(c->domid, path);
    struct watch **pp;

    for (pp = &c->watches; *pp; pp = &(*pp)->next) {
        struct watch *w = *pp;

        if (!strcmp(w->path, canon) && !strcmp(w->token, token)) {
            *pp = w->next;
            c->nwatches--;
            watch_free(w);
            mem_free(canon);
            return 0;
        }
    }
    mem_free(canon);
    return ENOENT;
}

void watch_remove_all(struct conn *c)
{
    while (c->watches) {
        struct watch *w = c->watches;

        c->watches = w->next;
        watch_free(w);
    }
    c->nwatches = 0;
}

unsigned watch_count_all(void)
{
    const struct conn *c;
    unsigned n = 0;

    for (c = conn_list; c; c = c->next)
        n += c->nwatches;
    return n;
}

static bool watch_permitted(const struct conn *c, const char *path, const struct node *node,
                            const struct xs_permissions *old, unsigned nold)
{
    const struct node *parent;
    char *pp;
    bool ok;

    if (old && (perms_for(c, old, nold) & XS_PERM_READ))
        return true;
    if (!node)
        node = tree_lookup(path);
    if (!node)
        return false;
    if (perms_for(c, node->perms, node->nperms) & XS_PERM_READ)
        return true;
    pp = path_parent(path);
    if (!pp)
        return false;
    parent = tree_lookup(pp);
    ok = parent && (perms_for(c, parent->perms, parent->nperms) & XS_PERM_READ);
    mem_free(pp);
    return ok;
}

void watch_fire(const char *path, bool exact, const struct node *node,
                const struct xs_permissions *old_perms, unsigned nold)
{
    struct conn *c;

    for (c = conn_list; c; c = c->next) {
        const struct watch *w;

        if (c->dead || c->stalled || !c->watches)
            continue;
        if (!watch_permitted(c, path, node, old_perms, nold))
            continue;
        for (w = c->watches; w; w = w->next) {
            bool match = exact ? !strcmp(path, w->path) : path_is_below(path, w->path);

            if (!match)
                continue;
            conn_queue_event(c, watch_event_path(w, path), w->token);
            /* An overflowing socket is closed, which frees its watches. */
            if (c->dead)
                break;
        }
    }
}

static void watch_fire_exact_special(const char *base, const char *path)
{
    struct conn *c;

    for (c = conn_list; c; c = c->next) {
        const struct watch *w;

        if (c->dead || c->stalled || !c->watches || !special_readable(c, base))
            continue;
        for (w = c->watches; w && !c->dead; w = w->next)
            if (!strcmp(w->path, path))
                conn_queue_event(c, path, w->token);
    }
}

void watch_fire_special(const char *name, unsigned domid, bool plain, bool with_domid)
{
    char buf[64];

    if (plain)
        watch_fire_exact_special(name, name);
    if (with_domid) {
        snprintf(buf, sizeof(buf), "%s/%u", name, domid);
        watch_fire_exact_special(name, buf);
    }
}
