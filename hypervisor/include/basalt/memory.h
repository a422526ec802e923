/* A domain's RAM: allocation from the pool, ownership, release. */
#ifndef BASALT_MEMORY_H
#define BASALT_MEMORY_H

#include <basalt/types.h>

struct domain;

/* Gives d zeroed RAM at [gfn, gfn + nr); stops at max_pages. 0 or -errno. */
int domain_populate(struct domain *d, gfn_t gfn, uint64_t nr);
/* Takes the RAM page at gfn away from d (balloon down). 0 or -errno. */
int domain_release_gfn(struct domain *d, gfn_t gfn);
/* XENMEM_remove_from_physmap: whatever is at gfn goes (RAM is freed). */
int domain_remove_gfn(struct domain *d, gfn_t gfn);

#endif
