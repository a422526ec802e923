/* @introduceDomain and @releaseDomain: watch-only names whose permissions
 * (SET_PERMS/GET_PERMS work on them) decide who hears those events. */
#ifndef XENSTORED_SPECIAL_H
#define XENSTORED_SPECIAL_H

#include <stdbool.h>
#include <xenstore_lib.h>

struct conn;

void special_init(void);
void special_free(void);
bool special_readable(const struct conn *c, const char *name);
const struct xs_permissions *special_get_perms(const char *name, unsigned *n);
/* Takes ownership of perms on success; EINVAL for an unknown name. */
int special_set_perms(struct conn *c, const char *name, struct xs_permissions *perms,
                      unsigned n);
/* A dead domain loses its entries. */
void special_forget_domain(unsigned domid);
void special_for_each(void (*fn)(const struct xs_permissions *p, unsigned n, void *arg),
                      void *arg);

#endif
