/* Arguments of the commands that change a running domain (see runtime_args.h). */
#include "runtime_args.h"

#include "cfg_error.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>

#define MAX_MEM_KIB (1ull << 30) /* 1 TiB */

int runtime_parse_mem_kib(const char *text, uint64_t *kib, char *why, size_t len)
{
    const char *p = text;
    uint64_t n = 0;
    if (!isdigit((unsigned char)*p))
        return cfg_fail(why, len, "invalid size '%s': a number with an optional unit (b, k, m, g, t)",
                    text);
    for (; isdigit((unsigned char)*p); p++) {
        n = n * 10 + (uint64_t)(*p - '0');
        if (n > MAX_MEM_KIB * 1024)
            return cfg_fail(why, len, "size '%s' is too large: at most 1 TiB", text);
    }
    unsigned shift_up = 10; /* KiB per unit, as a power of two; m by default */
    bool bytes = false;
    if (*p) {
        switch (tolower((unsigned char)*p)) {
        case 'b': bytes = true; shift_up = 0; break;
        case 'k': shift_up = 0; break;
        case 'm': shift_up = 10; break;
        case 'g': shift_up = 20; break;
        case 't': shift_up = 30; break;
        default:
            return cfg_fail(why, len, "invalid size '%s': unknown unit '%c' (b, k, m, g, t)", text, *p);
        }
        if (p[1])
            return cfg_fail(why, len, "invalid size '%s': nothing may follow the unit", text);
    }
    if (bytes)
        n >>= 10;
    else if (n > (MAX_MEM_KIB >> shift_up))
        return cfg_fail(why, len, "size '%s' is too large: at most 1 TiB", text);
    else
        n <<= shift_up;
    *kib = n;
    return 0;
}

int runtime_parse_number(const char *text, const char *what, unsigned long min,
                         unsigned long max, unsigned long *out, char *why, size_t len)
{
    unsigned long v = 0;
    bool over = false;
    const char *p = text;
    if (!isdigit((unsigned char)*p))
        return cfg_fail(why, len, "invalid %s '%s': a whole number is needed", what, text);
    for (; isdigit((unsigned char)*p); p++) {
        if (v > (ULONG_MAX - 9) / 10)
            over = true;
        else
            v = v * 10 + (unsigned long)(*p - '0');
    }
    if (*p)
        return cfg_fail(why, len, "invalid %s '%s': a whole number is needed", what, text);
    if (over || v < min || v > max)
        return cfg_fail(why, len, "%s %s is out of range: %lu to %lu", what, text, min, max);
    *out = v;
    return 0;
}

int runtime_check_vcpu_set(const char *name, unsigned long want, unsigned max_vcpus,
                           unsigned online, unsigned host_cpus, bool ignore_host, char *why,
                           size_t len)
{
    if (want == 0)
        return cfg_fail(why, len, "cannot set %s to 0 vCPUs: at least one must stay online", name);
    if (want > max_vcpus)
        return cfg_fail(why, len,
                    "cannot set %s to %lu vCPUs: it has at most %u (maxvcpus=%u in its "
                    "configuration)",
                    name, want, max_vcpus, max_vcpus);
    if (!ignore_host && want > online && want > host_cpus)
        return cfg_fail(why, len,
                    "%s would have %lu vCPUs on a host of %u CPUs; use -i (--ignore-host) to "
                    "overcommit anyway",
                    name, want, host_cpus);
    return 0;
}

int runtime_check_mem_target(const char *name, uint64_t target_kib, uint64_t maxmem_kib,
                             char *why, size_t len)
{
    if (target_kib > maxmem_kib)
        return cfg_fail(why, len,
                    "cannot give %s %llu MiB: its maximum is %llu MiB (maxmem; raise it with "
                    "xl mem-max)",
                    name, (unsigned long long)(target_kib >> 10),
                    (unsigned long long)(maxmem_kib >> 10));
    if (target_kib < 1024)
        return cfg_fail(why, len, "cannot give %s less than 1 MiB", name);
    return 0;
}

int runtime_check_mem_max(const char *name, uint64_t max_kib, uint64_t target_kib, char *why,
                          size_t len)
{
    if (max_kib < target_kib)
        return cfg_fail(why, len,
                    "cannot set the maximum of %s to %llu MiB: below its target of %llu MiB "
                    "(lower that first with xl mem-set)",
                    name, (unsigned long long)(max_kib >> 10),
                    (unsigned long long)(target_kib >> 10));
    return 0;
}

int runtime_check_sched(unsigned long weight, unsigned long cap, unsigned max_vcpus, char *why,
                        size_t len)
{
    if (weight < 1 || weight > 65535)
        return cfg_fail(why, len, "weight %lu is out of range: 1 to 65535", weight);
    if (cap > 100ul * max_vcpus)
        return cfg_fail(why, len, "cap %lu is more than 100 per vCPU (%u vCPUs: at most %u)", cap,
                    max_vcpus, 100 * max_vcpus);
    return 0;
}
