/* Watches: a watch on P fires for changes to P and to anything below it;
 * a removal also fires, once each, the watches set exactly on the removed
 * descendants. A watcher hears of a change only if it can read the node
 * (before or after the change) or its parent. '@' names are special events
 * raised by domain management, delivered to privileged connections and to
 * domains given read access to them with SET_PERMS. */
#ifndef XENSTORED_WATCH_H
#define XENSTORED_WATCH_H

#include <stdbool.h>
#include <xenstore_lib.h>

struct conn;
struct node;

struct watch {
    struct watch *next;
    char *path;        /* canonical */
    char *token;
    unsigned rel_len;  /* prefix stripped from event paths of relative watches */
};

/* Adds a watch; returns it, or NULL with *err set. */
struct watch *watch_add(struct conn *c, const char *path, const char *token, int *err);
/* Queues the event every new watch gets at once. */
void watch_fire_initial(struct conn *c, const struct watch *w);
int watch_remove(struct conn *c, const char *path, const char *token);
void watch_remove_all(struct conn *c);
unsigned watch_count_all(void);

/* A change at path: exact fires only watches set on path itself. node is
 * the node's current record if known (its permissions decide who may hear),
 * old_perms its permissions before the change. */
void watch_fire(const char *path, bool exact, const struct node *node,
                const struct xs_permissions *old_perms, unsigned nold);
/* Special event: name is "@introduceDomain" or "@releaseDomain". Fires
 * watches on the name itself and, when with_domid, on "<name>/<domid>". */
void watch_fire_special(const char *name, unsigned domid, bool plain, bool with_domid);

#endif
