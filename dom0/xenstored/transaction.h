/* Transactions and the transaction-aware view of the store.
 *
 * A transaction keeps private copies of the nodes it reads or changes; the
 * committed store is untouched until commit. Conflicts are detected as in
 * Xen's C xenstored: every node first met by a read remembers the generation
 * it had (or that it was absent), and commit fails with EAGAIN if any of them
 * changed since. Watch events for changes made in a transaction are queued
 * and fire only when it commits. */
#ifndef XENSTORED_TRANSACTION_H
#define XENSTORED_TRANSACTION_H

#include <stdbool.h>
#include <stdint.h>

#include "tree.h"

struct conn;
struct txn;

/* Returns the new transaction or NULL with *err (ENOSPC: quota). */
struct txn *txn_start(struct conn *c, int *err);
struct txn *txn_find(struct conn *c, uint32_t id);
uint32_t txn_id(const struct txn *t);
/* Ends and frees t; returns 0, EAGAIN (conflict) or ENOSPC (quota). */
int txn_end(struct txn *t, bool commit);
void txn_abort_all(struct conn *c);
unsigned txn_count_all(void);

/* Store access, through t when it is not NULL. db_get returns NULL with
 * *err == 0 for an absent node, or NULL with *err set when the transaction
 * exceeded its node quota. The pointer is valid until the next db_put or
 * db_del. db_put takes ownership of n and gives it a new generation. */
const struct node *db_get(struct txn *t, const char *path, int *err);
int db_put(struct txn *t, struct node *n);
int db_del(struct txn *t, const char *path);
/* Records that a change in t must fire watches at commit. */
void txn_queue_watch(struct txn *t, const char *path, bool exact);
/* Change a commit of t would make to the number of nodes domid owns. */
int txn_owned_delta(const struct txn *t, unsigned domid);

#endif
