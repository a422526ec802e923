/*
 * xl mem-set DOM SIZE: the guest's balloon target. As libxl, xl writes
 * memory/target in the guest's xenstore home, in KiB; the guest's balloon
 * driver gives pages back (XENMEM_decrease_reservation: they are free in
 * the pool at once) or takes them (XENMEM_populate_physmap), within the
 * limit the hypervisor holds for it (its maxmem).
 *
 * The guest reads memory/static-max once, when it first sees a target: the
 * difference between it and the RAM the guest found at boot is what the
 * guest takes the target relative to. A Basalt PVH domain boots with
 * memory= of RAM (there is no populate-on-demand to boot it with maxmem=
 * of RAM but only memory= backed), so xl create writes static-max =
 * memory, and maxmem is the hypervisor's limit only; beyond what it booted
 * with, Linux's balloon driver hot-adds memory. For the same reason mem-max
 * does not rewrite static-max (libxl does): the guest would not read it
 * again.
 *
 * xl mem-max DOM SIZE: that limit (BCTL_SET_MAX_MEM); not below the
 * target, and not below what the domain holds now.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "ctl.h"
#include "ctl_runtime.h"
#include "domains.h"
#include "runtime_args.h"
#include "util.h"
#include "xs_store.h"

/* The domain (not Dom0) and the size argument. */
static int resolve(const struct args *a, struct basalt_domain_info *info, uint64_t *kib,
                   const char *cmd)
{
    char why[256];
    if (runtime_parse_mem_kib(a->operand[1], kib, why, sizeof(why))) {
        xl_err("%s: %s", cmd, why);
        return 2;
    }
    if (dom_resolve(a->operand[0], info))
        return 1;
    if (info->domid == 0) {
        xl_err("Domain-0's memory is the host's RAM, mapped 1:1: it cannot be ballooned");
        return 1;
    }
    return 0;
}

static int read_target_kib(struct xs_handle *xs, uint32_t domid, uint64_t *kib)
{
    char path[64];
    snprintf(path, sizeof(path), "/local/domain/%u/memory/target", domid);
    char *v = xsh_read(xs, path), *end = NULL;
    if (!v)
        return -errno;
    *kib = strtoull(v, &end, 10);
    int rc = end && !*end && end != v ? 0 : -EINVAL;
    free(v);
    return rc;
}

int cmd_mem_set(int argc, char **argv)
{
    struct args a;
    int rc = cmd_args(argc, argv, "", 2, 2, &a);
    if (rc >= 0)
        return rc;
    struct basalt_domain_info info;
    uint64_t kib;
    if ((rc = resolve(&a, &info, &kib, "mem-set")))
        return rc;
    char why[256];
    if (runtime_check_mem_target(info.name, kib, runtime_maxmem_kib(info.max_pages), why,
                                 sizeof(why))) {
        xl_err("%s", why);
        return 1;
    }
    struct xs_handle *xs = xsh_open();
    if (!xs) {
        xl_err("cannot connect to xenstored: %s", strerror(errno));
        return 1;
    }
    char path[64], value[32];
    snprintf(path, sizeof(path), "/local/domain/%u/memory/target", info.domid);
    snprintf(value, sizeof(value), "%" PRIu64, kib);
    rc = xsh_write(xs, path, value);
    xsh_close(xs);
    if (rc) {
        xl_err("cannot write %s: %s", path, strerror(-rc));
        return 1;
    }
    return 0;
}

int cmd_mem_max(int argc, char **argv)
{
    struct args a;
    int rc = cmd_args(argc, argv, "", 2, 2, &a);
    if (rc >= 0)
        return rc;
    struct basalt_domain_info info;
    uint64_t kib, target = 0;
    if ((rc = resolve(&a, &info, &kib, "mem-max")))
        return rc;
    struct xs_handle *xs = xsh_open();
    if (!xs) {
        xl_err("cannot connect to xenstored: %s", strerror(errno));
        return 1;
    }
    rc = read_target_kib(xs, info.domid, &target);
    xsh_close(xs);
    if (rc) {
        xl_err("cannot read the memory target of %s: %s", info.name, strerror(-rc));
        return 1;
    }
    char why[256];
    if (runtime_check_mem_max(info.name, kib, target, why, sizeof(why))) {
        xl_err("%s", why);
        return 1;
    }
    rc = ctl_set_max_mem(info.domid, runtime_limit_kib(kib));
    if (rc == -EINVAL) {
        xl_err("cannot set the maximum of %s to %" PRIu64 " MiB: it holds %" PRIu64
               " MiB now (lower its target with xl mem-set and let it balloon down first)",
               info.name, kib >> 10, runtime_maxmem_kib(info.tot_pages) >> 10);
        return 1;
    }
    if (rc) {
        xl_err("cannot set the maximum of %s: %s", info.name, ctl_strerror(rc));
        return 1;
    }
    return 0;
}
