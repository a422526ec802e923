/* xl's output formats (see format.h). */
#include "format.h"

#include <stdio.h>
#include <string.h>
#include <xen/sched.h>

void fmt_state(uint32_t flags, uint32_t shutdown_reason, char out[7])
{
    out[0] = flags & BDOM_RUNNING ? 'r' : '-';
    out[1] = flags & BDOM_BLOCKED ? 'b' : '-';
    /* A domain being built is paused until its first unpause. */
    out[2] = flags & (BDOM_PAUSED | BDOM_BUILDING) ? 'p' : '-';
    out[3] = flags & BDOM_SHUTDOWN ? 's' : '-';
    out[4] = flags & BDOM_SHUTDOWN && shutdown_reason == SHUTDOWN_crash ? 'c' : '-';
    out[5] = flags & BDOM_DYING ? 'd' : '-';
    out[6] = 0;
}

const char *fmt_shutdown_reason(uint32_t reason)
{
    switch (reason) {
    case SHUTDOWN_poweroff: return "poweroff";
    case SHUTDOWN_reboot: return "reboot";
    case SHUTDOWN_suspend: return "suspend";
    case SHUTDOWN_crash: return "crash";
    case SHUTDOWN_watchdog: return "watchdog";
    case SHUTDOWN_soft_reset: return "soft_reset";
    }
    return "unknown";
}

void fmt_cpulist(uint64_t mask, unsigned nr_cpus, char *out, size_t len)
{
    uint64_t all = nr_cpus >= 64 ? ~0ull : (1ull << nr_cpus) - 1;
    size_t at = 0;

    if (!len)
        return;
    out[0] = 0;
    if (!mask) {
        snprintf(out, len, "none");
        return;
    }
    if (nr_cpus && (mask & all) == all) {
        snprintf(out, len, "all");
        return;
    }
    for (unsigned i = 0; i < 64 && at < len; i++) {
        if (!(mask >> i & 1))
            continue;
        unsigned j = i;
        while (j + 1 < 64 && mask >> (j + 1) & 1)
            j++;
        int n = j == i ? snprintf(out + at, len - at, "%s%u", at ? "," : "", i)
                       : snprintf(out + at, len - at, "%s%u-%u", at ? "," : "", i, j);
        if (n < 0)
            break;
        at += (size_t)n;
        i = j;
    }
}

void fmt_uptime(uint64_t secs, char *out, size_t len)
{
    uint64_t days = secs / 86400;
    unsigned h = (unsigned)(secs / 3600 % 24), m = (unsigned)(secs / 60 % 60),
             s = (unsigned)(secs % 60);
    if (days)
        snprintf(out, len, "%llu day%s, %2u:%02u:%02u", (unsigned long long)days,
                 days == 1 ? "" : "s", h, m, s);
    else
        snprintf(out, len, "%2u:%02u:%02u", h, m, s);
}

const char *fmt_domain_name(const struct basalt_domain_info *info)
{
    return info->domid == 0 ? "Domain-0" : info->name;
}

const char fmt_list_header[] = "Name                                        ID   Mem VCPUs\tState\tTime(s)";

void fmt_list_row(const struct basalt_domain_info *info, char *out, size_t len)
{
    char state[7], name[BASALT_NAME_LEN];
    fmt_state(info->flags, info->shutdown_reason, state);
    /* The hypervisor NUL-terminates names; do not rely on it when printing. */
    snprintf(name, sizeof(name), "%.*s", (int)sizeof(info->name) - 1, fmt_domain_name(info));
    snprintf(out, len, "%-40s %5u %5llu %5u     %s  %8.1f", name, info->domid,
             (unsigned long long)(info->tot_pages * 4 / 1024), info->nr_online_vcpus, state,
             (double)info->cpu_time_ns / 1e9);
}
