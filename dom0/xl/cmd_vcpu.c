/*
 * xl vcpu-set [-i] DOM N: N vCPUs online, as Xen's toolstack does it for
 * PVH guests: cpu/I/availability in the guest's xenstore home says
 * "online" for I < N and "offline" for the rest, in one transaction. The
 * guest's Xen CPU hot-plug driver watches those keys: it takes a CPU down
 * (Linux: the CPU halts with interrupts off, which the hypervisor sees as
 * the vCPU going down) or makes it present again, which user space (a
 * udev rule; mdev in Basalt's guest image) puts online (INIT/STARTUP).
 *
 * xl vcpu-pin DOM VCPU|all HARD [SOFT]: the physical CPUs a vCPU may use
 * (BCTL_VCPU_SET_AFFINITY). HARD is a CPU list (cpus= syntax) or "all";
 * Basalt has no soft affinity, so SOFT may only be "-" or "all".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

#include "args.h"
#include "commands.h"
#include "cpumap.h"
#include "ctl.h"
#include "domains.h"
#include "format.h"
#include "runtime_args.h"
#include "util.h"
#include "xs_store.h"

#define TRANSACTION_TRIES 10

/* Writes every vCPU's availability at once: the guest sees all or none. */
static int write_availability(struct xs_handle *xs, uint32_t domid, unsigned max_vcpus,
                              unsigned online)
{
    for (int attempt = 0; attempt < TRANSACTION_TRIES; attempt++) {
        xs_transaction_t t = xs_transaction_start(xs);
        if (t == XBT_NULL)
            return -errno;
        int rc = 0;
        for (unsigned i = 0; i < max_vcpus && !rc; i++) {
            char path[64];
            const char *v = i < online ? "online" : "offline";
            snprintf(path, sizeof(path), "/local/domain/%u/cpu/%u/availability", domid, i);
            if (!xs_write(xs, t, path, v, strlen(v)))
                rc = -errno;
        }
        if (rc) {
            xs_transaction_end(xs, t, true);
            return rc;
        }
        if (xs_transaction_end(xs, t, false))
            return 0;
        if (errno != EAGAIN)
            return -errno;
    }
    return -EAGAIN;
}

int cmd_vcpu_set(int argc, char **argv)
{
    /* Xen's xl spells -i as --ignore-host too. */
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--ignore-host"))
            argv[i] = "-i";
    struct args a;
    int rc = cmd_args(argc, argv, "i", 2, 2, &a);
    if (rc >= 0)
        return rc;
    struct basalt_domain_info info;
    struct basalt_host_info host;
    char why[256];
    unsigned long want;
    if (runtime_parse_number(a.operand[1], "vCPU count", 0, 1024, &want, why, sizeof(why))) {
        xl_err("%s", why);
        return 2;
    }
    if (dom_resolve(a.operand[0], &info) || ctl_host_info_reported(&host))
        return 1;
    if (info.domid == 0) {
        xl_err("Domain-0's vCPUs are pinned to its own CPUs and cannot be changed at run time");
        return 1;
    }
    if (runtime_check_vcpu_set(info.name, want, info.nr_vcpus, info.nr_online_vcpus,
                               host.nr_cpus, args_has(&a, 'i'), why, sizeof(why))) {
        xl_err("%s", why);
        return 1;
    }
    struct xs_handle *xs = xsh_open();
    if (!xs) {
        xl_err("cannot connect to xenstored: %s", strerror(errno));
        return 1;
    }
    rc = write_availability(xs, info.domid, info.nr_vcpus, (unsigned)want);
    xsh_close(xs);
    if (rc) {
        xl_err("cannot write the vCPU availability of %s: %s", info.name, strerror(-rc));
        return 1;
    }
    return 0;
}

int cmd_vcpu_pin(int argc, char **argv)
{
    struct args a;
    int rc = cmd_args(argc, argv, "f", 3, 4, &a);
    if (rc >= 0)
        return rc;
    const char *vcpu = a.operand[1], *hard = a.operand[2];
    const char *soft = a.n_operands > 3 ? a.operand[3] : "-";
    if (strcmp(soft, "-") && strcmp(soft, "all")) {
        xl_err("vcpu-pin: Basalt has no soft affinity: give '-' or 'all' (or nothing) for it");
        return 2;
    }
    struct basalt_domain_info info;
    if (dom_resolve(a.operand[0], &info))
        return 1;
    if (!strcmp(hard, "-"))
        return 0; /* keep the hard affinity: nothing else to change */
    char why[256];
    struct cpumap map;
    uint64_t mask;
    unsigned bad;
    if (cpumap_parse(hard, &map, why, sizeof(why))) {
        xl_err("vcpu-pin: %s", why);
        return 2;
    }
    if (cpumap_mask64(&map, &mask, &bad)) {
        xl_err("vcpu-pin: CPU %u: the hypervisor's CPU masks hold CPUs 0-63 only", bad);
        return 2;
    }
    unsigned long first = 0, last = info.nr_vcpus ? info.nr_vcpus - 1 : 0;
    if (strcmp(vcpu, "all")) {
        if (runtime_parse_number(vcpu, "vCPU", 0, last, &first, why, sizeof(why))) {
            xl_err("vcpu-pin: %s (%s has %u vCPUs)", why, fmt_domain_name(&info), info.nr_vcpus);
            return 2;
        }
        last = first;
    }
    for (unsigned long v = first; v <= last; v++) {
        rc = ctl_vcpu_set_affinity(info.domid, (uint32_t)v, mask);
        if (rc == -EINVAL) {
            xl_err("cannot pin vCPU %lu of %s to CPUs %s: none of them is online and open to guests "
                   "(the hypervisor's guest_cpus=)", v,
                   fmt_domain_name(&info), hard);
            return 1;
        }
        if (rc == -EPERM && info.domid == 0) {
            xl_err("Domain-0's vCPUs stay pinned to its own CPUs");
            return 1;
        }
        if (rc) {
            xl_err("cannot pin vCPU %lu of %s: %s", v, fmt_domain_name(&info), ctl_strerror(rc));
            return 1;
        }
    }
    return 0;
}
