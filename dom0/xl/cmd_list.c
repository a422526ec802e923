/*
 * Commands that show domains: list, vcpu-list, uptime, domid, domname.
 * Output formats are Xen's xl's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "dom0/lib/domid.h"

#include "args.h"
#include "commands.h"
#include "ctl.h"
#include "domains.h"
#include "format.h"
#include "util.h"
#include "xs_store.h"

/* Runs fn on the domains named in the operands, or on all of them. */
static int for_each_operand(const struct args *a,
                            int (*fn)(const struct basalt_domain_info *, void *), void *arg)
{
    if (!a->n_operands)
        return dom_foreach(fn, arg) < 0 ? 1 : 0;
    int status = 0;
    for (unsigned i = 0; i < a->n_operands; i++) {
        struct basalt_domain_info info;
        if (dom_resolve(a->operand[i], &info)) {
            status = 1;
            continue;
        }
        fn(&info, arg);
    }
    return status;
}

static int print_list_row(const struct basalt_domain_info *info, void *arg)
{
    char row[256];
    (void)arg;
    fmt_list_row(info, row, sizeof(row));
    printf("%s\n", row);
    return 0;
}

int cmd_list(int argc, char **argv)
{
    struct args a;
    int rc = cmd_args(argc, argv, "l", 0, ARGS_MAX_OPERANDS, &a);
    if (rc >= 0)
        return rc;
    if (args_has(&a, 'l')) {
        xl_err("list -l is not supported");
        return 2;
    }
    /* Fail before the header if the hypervisor cannot be asked at all. */
    struct basalt_host_info host;
    if (ctl_host_info_reported(&host))
        return 1;
    printf("%s\n", fmt_list_header);
    return for_each_operand(&a, print_list_row, NULL);
}

static int print_vcpu_rows(const struct basalt_domain_info *info, void *arg)
{
    const struct basalt_host_info *host = arg;
    for (uint32_t v = 0; v < info->nr_vcpus; v++) {
        struct basalt_vcpu_info vi;
        int rc = ctl_vcpu_info(info->domid, v, &vi);
        if (rc == -ENOENT || rc == -ESRCH)
            break;
        /* Basalt 1.0 answers BCTL_VCPU_INFO for Dom0 with EPERM (it treats
         * it as a life-cycle command): show Dom0 without its vCPUs. */
        if (rc == -EPERM && info->domid == 0)
            break;
        if (rc) {
            xl_err("cannot read vCPU %u of domain %u: %s", v, info->domid, ctl_strerror(rc));
            return 0;
        }
        char cpu[8] = "-", hard[160];
        if (vi.state != 0)
            snprintf(cpu, sizeof(cpu), "%u", vi.cpu);
        char st[4] = {
            vi.running ? 'r' : '-',
            vi.state == 2 ? 'b' : '-',
            info->flags & (BDOM_PAUSED | BDOM_BUILDING) ? 'p' : '-',
            0,
        };
        if (vi.state == 0)
            memcpy(st, "--p", 4); /* offline, as Xen's xl shows it */
        fmt_cpulist(vi.affinity, host->nr_cpus, hard, sizeof(hard));
        printf("%-32s %5u %5u %5s   %s  %9.1f  %s / all\n", fmt_domain_name(info), info->domid,
               v, cpu, st, (double)vi.cpu_time_ns / 1e9, hard);
    }
    return 0;
}

int cmd_vcpu_list(int argc, char **argv)
{
    struct args a;
    int rc = cmd_args(argc, argv, "", 0, ARGS_MAX_OPERANDS, &a);
    if (rc >= 0)
        return rc;
    struct basalt_host_info host;
    if (ctl_host_info_reported(&host))
        return 1;
    printf("%-32s %5s %5s %5s %5s %9s  %s\n", "Name", "ID", "VCPU", "CPU", "State", "Time(s)",
           "Affinity (Hard / Soft)");
    return for_each_operand(&a, print_vcpu_rows, &host);
}

struct uptime_format {
    const struct basalt_host_info *host;
    bool short_form;
    struct xs_handle *xs;       /* NULL: xenstored unreachable */
};

/* Seconds since the guest's /vm/UUID/start_time (wall clock, as Xen's xl
 * reads it): a restored domain keeps the saved one, so it counts from the
 * guest's boot, not from the restore. -1 if there is none. */
static long long since_start_time(struct xs_handle *xs, uint32_t domid)
{
    char path[64];
    snprintf(path, sizeof(path), "/local/domain/%u/vm", domid);
    char *vm = xs ? xsh_read(xs, path) : NULL;
    if (!vm)
        return -1;
    char key[256];
    snprintf(key, sizeof(key), "%s/start_time", vm);
    free(vm);
    char *t = xsh_read(xs, key);
    struct timeval now;
    long long start = t && *t ? strtoll(t, NULL, 10) : -1;
    free(t);
    gettimeofday(&now, NULL);
    return start < 0 || start > now.tv_sec ? -1 : now.tv_sec - start;
}

static int print_uptime_row(const struct basalt_domain_info *info, void *arg)
{
    const struct uptime_format *u = arg;
    /* Dom0 is as old as the machine; others count from their start time,
     * or without one from their creation. */
    long long since = info->domid == 0 ? -1 : since_start_time(u->xs, info->domid);
    uint64_t ns = info->domid == 0 ? u->host->uptime_ns
                : since >= 0 ? (uint64_t)since * 1000000000ull
                : u->host->uptime_ns > info->created_ns ? u->host->uptime_ns - info->created_ns
                                                        : 0;
    char up[64];
    fmt_uptime(ns / 1000000000ull, up, sizeof(up));
    if (u->short_form)
        printf("%s %u up %s\n", fmt_domain_name(info), info->domid, up);
    else
        printf("%-33s %4u %s\n", fmt_domain_name(info), info->domid, up);
    return 0;
}

int cmd_uptime(int argc, char **argv)
{
    struct args a;
    int rc = cmd_args(argc, argv, "s", 0, ARGS_MAX_OPERANDS, &a);
    if (rc >= 0)
        return rc;
    struct basalt_host_info host;
    if (ctl_host_info_reported(&host))
        return 1;
    struct uptime_format u = { &host, args_has(&a, 's'), xsh_open() };
    if (!u.short_form)
        printf("%-33s %4s %s\n", "Name", "ID", "Uptime");
    rc = for_each_operand(&a, print_uptime_row, &u);
    xsh_close(u.xs);
    return rc;
}

int cmd_domid(int argc, char **argv)
{
    struct args a;
    int rc = cmd_args(argc, argv, "", 1, 1, &a);
    if (rc >= 0)
        return rc;
    struct basalt_domain_info info;
    uint32_t id;
    if (domid_parse(a.operand[0], &id)) {
        xl_err("'%s' is an id, not a domain name", a.operand[0]);
        return 1;
    }
    if (dom_resolve(a.operand[0], &info))
        return 1;
    printf("%u\n", info.domid);
    return 0;
}

int cmd_domname(int argc, char **argv)
{
    struct args a;
    int rc = cmd_args(argc, argv, "", 1, 1, &a);
    if (rc >= 0)
        return rc;
    uint32_t id;
    if (!domid_parse(a.operand[0], &id)) {
        xl_err("'%s' is not a domain id", a.operand[0]);
        return 1;
    }
    struct basalt_domain_info info;
    if (dom_resolve(a.operand[0], &info))
        return 1;
    printf("%s\n", fmt_domain_name(&info));
    return 0;
}
