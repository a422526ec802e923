/* Finding domains: by the name or id a user typed, or all of them. */
#ifndef XL_DOMAINS_H
#define XL_DOMAINS_H

#include <stdint.h>

#include "lib/basalt_ctl.h"

/* Resolves DOM (a name, "Domain-0", or an id: all digits, at most 65535,
 * see dom0/lib/domid.h). Returns 0 with *info set, or -1 after printing
 * why not. */
int dom_resolve(const char *spec, struct basalt_domain_info *info);

/* The domain named name, without a message when there is none: 1 with
 * *info set, 0 if there is none, -errno if listing fails (after a
 * message). */
int dom_find_name(const char *name, struct basalt_domain_info *info);

/* Calls fn for each domain in id order until it returns non-zero (which is
 * returned). Returns 0, or -errno if listing fails (after a message). */
int dom_foreach(int (*fn)(const struct basalt_domain_info *info, void *arg), void *arg);

#endif
