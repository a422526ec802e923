/*
 * xl sched-credit [-d DOM [-w WEIGHT] [-c CAP]] [-s]: a domain's weight
 * (its share of a contended CPU relative to others') and cap (at most CAP%
 * of one CPU; 0: none), Xen's output format. Without -d: every domain,
 * after the pool's line. Basalt has one credit scheduler (credit2-like,
 * docs/architecture.md), so sched-credit2 is the same command.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "ctl.h"
#include "ctl_runtime.h"
#include "domains.h"
#include "format.h"
#include "runtime_args.h"
#include "util.h"

#define SLICE_MS 10 /* SCHED_SLICE_NS in hypervisor/include/basalt/sched.h */

static void print_header(void)
{
    printf("%-33s %4s %6s %4s\n", "Name", "ID", "Weight", "Cap");
}

static int print_row(const struct basalt_domain_info *info, void *arg)
{
    (void)arg;
    printf("%-33s %4u %6u %4u\n", fmt_domain_name(info), info->domid, info->weight, info->cap);
    return 0;
}

static void print_pool(void)
{
    printf("Cpupool Pool-0: tslice=%dms ratelimit=0us migration-delay=0us\n", SLICE_MS);
}

static int set_params(const struct basalt_domain_info *info, const char *w, const char *c)
{
    char why[256];
    unsigned long weight = info->weight, cap = info->cap;
    if ((w && runtime_parse_number(w, "weight", 0, 1ul << 20, &weight, why, sizeof(why))) ||
        (c && runtime_parse_number(c, "cap", 0, 1ul << 20, &cap, why, sizeof(why))) ||
        runtime_check_sched(weight, cap, info->nr_vcpus, why, sizeof(why))) {
        xl_err("sched-credit: %s", why);
        return 2;
    }
    if (info->domid == 0) {
        xl_err("Domain-0's weight and cap cannot be changed (its vCPUs have CPUs of their own)");
        return 1;
    }
    uint32_t w32 = (uint32_t)weight, c32 = (uint32_t)cap;
    int rc = ctl_sched(info->domid, 1, &w32, &c32);
    if (rc) {
        xl_err("cannot set the scheduling parameters of %s: %s", info->name, ctl_strerror(rc));
        return 1;
    }
    return 0;
}

int cmd_sched_credit(int argc, char **argv)
{
    struct args a;
    int rc = cmd_args(argc, argv, "d:w:c:st:r:p:", 0, 0, &a);
    if (rc >= 0)
        return rc;
    if (a.value['t'] || a.value['r'] || a.value['p']) {
        xl_err("%s: -t, -r and -p are not supported: Basalt has one CPU pool, with %d ms slices "
               "and no rate limit",
               argv[0], SLICE_MS);
        return 2;
    }
    const char *dom = a.value['d'], *w = a.value['w'], *c = a.value['c'];
    if (!dom && (w || c)) {
        xl_err("%s: -w and -c need the domain (-d DOM)", argv[0]);
        return 2;
    }
    if (args_has(&a, 's')) {
        print_pool();
        if (!dom)
            return 0;
    }
    if (!dom) {
        struct basalt_host_info host;
        if (ctl_host_info_reported(&host))
            return 1;
        print_pool();
        print_header();
        return dom_foreach(print_row, NULL) < 0 ? 1 : 0;
    }
    struct basalt_domain_info info;
    if (dom_resolve(dom, &info))
        return 1;
    if (w || c)
        return set_params(&info, w, c);
    print_header();
    print_row(&info, NULL);
    return 0;
}
