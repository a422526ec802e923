/* Per-domain limits. Defaults are those of Xen's C xenstored; a value of 0
 * disables a limit. Privileged connections (Dom0, sockets, --priv-domid) are
 * exempt from all of them except the output queue cap, which protects the
 * daemon's memory from any client that stops reading. */
#ifndef XENSTORED_QUOTA_H
#define XENSTORED_QUOTA_H

#include <stdbool.h>

struct quotas {
    unsigned nodes;         /* -E: nodes owned by a domain */
    unsigned node_size;     /* -S: bytes of one node record */
    unsigned watches;       /* -W: watches per domain */
    unsigned transactions;  /* -t: open transactions per domain */
    unsigned perms;         /* -A: permission entries per node */
    unsigned path_max;      /* -M: path length below /local/domain/<id>/ */
    unsigned outstanding;   /* -Q outstanding=: undelivered replies */
    unsigned trans_nodes;   /* -Q transaction-nodes=: nodes touched per transaction */
    unsigned output_queue;  /* -Q output-queue=: queued bytes per connection */
};

extern struct quotas quota;

void quota_set_defaults(void);
/* Parses "-Q name=value" (soft=true for -q); returns 0 or -1 with a message. */
int quota_parse(const char *arg, bool soft, char *why, unsigned whylen);
/* Parses a plain number option value; returns 0 or -1. */
int quota_parse_number(const char *s, unsigned *out);
/* True when `used + adding` exceeds a limit (0 = unlimited). */
bool quota_exceeded(unsigned limit, unsigned used, unsigned adding);

#endif
