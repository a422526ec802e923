/*
 * The arguments and limits of the commands that change a running domain
 * (vcpu-set, vcpu-pin, mem-set, mem-max, sched-credit), as Xen's xl reads
 * them, checked before anything is asked of the hypervisor or xenstore.
 * Pure code: unit-tested on the host (tests/unit/xl_runtime_args_test.c).
 *
 * Each check returns 0, or -1 with a sentence for the user in why.
 */
#ifndef XL_RUNTIME_ARGS_H
#define XL_RUNTIME_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/pvh_layout.h"

/* Pages a PVH DomU holds beyond its RAM: the ACPI tables and the special
 * pages. The hypervisor's limit for a domain of maxmem KiB is maxmem plus
 * these, and what xl shows as its maxmem is that limit less them. */
#define RUNTIME_PAGES_BEYOND_RAM (PVH_ACPI_PAGES + 8)

static inline uint64_t runtime_limit_kib(uint64_t maxmem_kib)
{
    return maxmem_kib + RUNTIME_PAGES_BEYOND_RAM * 4;
}

static inline uint64_t runtime_maxmem_kib(uint64_t max_pages)
{
    return max_pages > RUNTIME_PAGES_BEYOND_RAM ? (max_pages - RUNTIME_PAGES_BEYOND_RAM) * 4 : 0;
}

/* A memory size as xl takes it: a whole number with an optional unit b, k,
 * m, g or t (either case; none means m), in KiB. At most 1 TiB. */
int runtime_parse_mem_kib(const char *text, uint64_t *kib, char *why, size_t len);

/* A whole number in decimal, min..max; what names it in messages. */
int runtime_parse_number(const char *text, const char *what, unsigned long min,
                         unsigned long max, unsigned long *out, char *why, size_t len);

/* xl vcpu-set: want vCPUs online of max_vcpus. As Xen's xl, more than the
 * host has is refused unless ignore_host (or the domain has as many online
 * already): it would only make the guest's vCPUs wait for each other. */
int runtime_check_vcpu_set(const char *name, unsigned long want, unsigned max_vcpus,
                           unsigned online, unsigned host_cpus, bool ignore_host, char *why,
                           size_t len);

/* xl mem-set: a target within what the hypervisor lets the domain hold. */
int runtime_check_mem_target(const char *name, uint64_t target_kib, uint64_t maxmem_kib,
                             char *why, size_t len);

/* xl mem-max: not below the target the guest was given (libxl's rule). */
int runtime_check_mem_max(const char *name, uint64_t max_kib, uint64_t target_kib, char *why,
                          size_t len);

/* xl sched-credit -w/-c: weight 1..65535, cap 0..100 per vCPU. */
int runtime_check_sched(unsigned long weight, unsigned long cap, unsigned max_vcpus, char *why,
                        size_t len);

#endif
