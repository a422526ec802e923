/* The node store: every node is a record keyed by its full path, holding
 * its value, permissions, the names of its children (in creation order, as
 * DIRECTORY returns them) and a generation count. The committed store is a
 * hash table; transactions keep private copies of the records they touch
 * (transaction.c), which is why records are self-contained rather than
 * linked by pointers. */
#ifndef XENSTORED_TREE_H
#define XENSTORED_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xenstore_lib.h>

/* Generation of a node that does not exist (for conflict checks). */
#define NO_GENERATION UINT64_MAX

struct node {
    char *path;
    struct node *hnext;
    char *value;
    unsigned vlen;
    struct xs_permissions *perms;
    unsigned nperms;
    char *children;     /* NUL-terminated names back to back */
    unsigned childlen;  /* bytes in children, including the NULs */
    uint64_t gen;
};

struct node *node_new(const char *path, const struct xs_permissions *perms,
                      unsigned nperms);
struct node *node_dup(const struct node *n);
void node_free(struct node *n);
void node_set_value(struct node *n, const void *value, unsigned len);
void node_set_perms(struct node *n, const struct xs_permissions *perms, unsigned nperms);
void node_add_child(struct node *n, const char *name);
bool node_remove_child(struct node *n, const char *name);
bool node_has_child(const struct node *n, const char *name);
/* Size of the record Xen's C xenstored would store for this node; compared
 * against the node-size quota. */
unsigned node_record_size(const struct node *n);

/* Every committed change takes a fresh generation number. */
uint64_t tree_next_generation(void);

const struct node *tree_lookup(const char *path);
/* Inserts or replaces the committed record for n->path; takes ownership. */
void tree_store(struct node *n);
/* Removes the committed record for path if present. */
void tree_remove(const char *path);
size_t tree_count(void);
/* Calls fn for every committed node; fn must not change the store. */
void tree_for_each(void (*fn)(const struct node *n, void *arg), void *arg);

/* Creates the nodes a fresh xenstored has: /, /tool, /tool/xenstored,
 * /local, /local/domain, /local/domain/0. */
void tree_init(void);
void tree_destroy(void);
/* Structural self-check (parents list children, children exist, per-domain
 * node counts match); returns 0 or -1 with a reason. */
int tree_check(char *why, size_t whylen);

#endif
