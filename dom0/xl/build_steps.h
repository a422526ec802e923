/*
 * Internal to the domain builders (build_pvh.c, build_hvm.c): the steps
 * they share, in the order of docs/abi/control.md's life cycle. Each step
 * names itself (xl -v prints what it took) and, on failure, puts
 * "STEP: reason" in the state's err and returns -1.
 */
#ifndef XL_BUILD_STEPS_H
#define XL_BUILD_STEPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "build_request.h"
#include "prepare.h"

struct xs_handle;

struct build_state {
    const struct build_request *r;
    const struct build_images *im; /* PVH only */
    struct xs_handle *xs;
    uint32_t domid;
    int created;
    char *err;
    size_t errlen;
    const char *step;
    uint64_t step_start;
    uint32_t create_flags;      /* BCTL_CREATE_HVM for an HVM domain */
    uint64_t max_mem_kb;        /* the hypervisor's limit; 0: PVH's from maxmem */
    uint64_t store_gfn, console_gfn;
};

void build_start_step(struct build_state *s, const char *step);
int build_fail_step(struct build_state *s, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The pool has need pages free (a clear message before anything exists). */
int build_check_free_memory(struct build_state *s, uint64_t need);
/* The domain (BCTL_DOMAIN_CREATE) and its vCPUs' affinities. */
int build_create_domain(struct build_state *s);
/* len bytes into freshly populated guest memory at gpa. */
int build_write_to_guest(struct build_state *s, uint64_t gpa, const void *src, size_t len,
                         const char *what);
/* Console and xenstore: event channels, HVM parameters, grant refs 0/1. */
int build_set_up_rings(struct build_state *s, uint32_t *console_port, uint32_t *store_port);
/* vCPU 0 at a 32-bit flat entry with EBX = the start info. */
int build_set_entry_point(struct build_state *s, uint32_t entry, uint64_t start_info_gpa);
/* The xenstore entries (xs_entries.c) and XS_INTRODUCE. */
int build_publish_in_xenstore(struct build_state *s, uint32_t console_port, uint32_t store_port);
/* ok: unpauses the domain (unless -p) and gives its id; else (or if that
 * fails) tears down what was made. Returns 0 or -1. */
int build_finish(struct build_state *s, bool ok, uint32_t *domid);

#endif
