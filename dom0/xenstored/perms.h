/* Node permissions: the "<letter><domid>" strings of the wire protocol and
 * the access a connection gets from a permission list. The first entry names
 * the owner (full access) and its letter is the access of every domain not
 * listed later; privileged connections and the owner's SET_TARGET deputies
 * get full access. */
#ifndef XENSTORED_PERMS_H
#define XENSTORED_PERMS_H

#include <xenstore_lib.h>

struct conn;

/* Parses `count` NUL-terminated strings; returns 0 or EINVAL. */
int perms_parse(const char *strings, unsigned count, struct xs_permissions **out);
/* Allocated "<c><id>\0" strings; *len gets the byte count. */
char *perms_format(const struct xs_permissions *p, unsigned n, unsigned *len);
/* XS_PERM_READ|WRITE|OWNER bits `c` has on a node with these permissions;
 * a NULL connection is the daemon itself. */
unsigned perms_for(const struct conn *c, const struct xs_permissions *p, unsigned n);

/* Drops every entry naming `domid` after the first; an owner entry for it
 * passes to new_owner. Returns the new count. Used when a domain dies so a
 * later domain reusing the id inherits nothing. */
unsigned perms_remove_domain(struct xs_permissions *p, unsigned n, unsigned domid,
                             unsigned new_owner);

#endif
