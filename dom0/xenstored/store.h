/* Node operations as clients see them: permission checks, creation of
 * missing parents, recursive removal, quotas on what domains may create,
 * and the watch events each change raises (queued instead while inside a
 * transaction). A NULL connection is the daemon itself (domain teardown). */
#ifndef XENSTORED_STORE_H
#define XENSTORED_STORE_H

#include <xenstore_lib.h>

#include "tree.h"

struct conn;
struct txn;

/* The node at the canonical path if c has all `want` access bits on it;
 * otherwise NULL and *err (EINVAL, ENOENT, EACCES, ENOSPC). ENOENT is
 * reported as EACCES when c may not see the nearest existing ancestor,
 * so existence is not leaked. */
const struct node *store_get(struct conn *c, struct txn *t, const char *path,
                             unsigned want, int *err);
int store_write(struct conn *c, struct txn *t, const char *path, const void *value,
                unsigned len);
int store_mkdir(struct conn *c, struct txn *t, const char *path);
int store_rm(struct conn *c, struct txn *t, const char *path);
/* Takes ownership of perms. */
int store_set_perms(struct conn *c, struct txn *t, const char *path,
                    struct xs_permissions *perms, unsigned nperms);
/* Removes path and everything below it without permission checks. */
int store_rm_tree(struct conn *c, struct txn *t, const char *path);

#endif
