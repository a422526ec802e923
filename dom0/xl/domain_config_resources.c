/*
 * Memory, vCPUs, CPU affinity and credit-scheduler parameters, with the
 * defaults of xl's parse_config_data (tools/xl/xl_parse.c) and libxl's
 * libxl__domain_build_info_setdefault (tools/libs/light/libxl_create.c):
 * maxmem defaults to memory, memory to maxmem, both to 32 MiB; maxvcpus
 * defaults to vcpus (0 also means "default"), vcpus to 1. Stricter than
 * xl: vcpus < 1 is an error (xl quietly uses 1), maxmem < memory is an
 * error (xl.cfg(5) forbids it but nothing checks), and cpu_weight / cap
 * are range-checked here instead of when the domain is created.
 */
#include "domain_config_build.h"
#include "cfg_error.h"
#include "cfg_get.h"

#include <stdlib.h>
#include <string.h>

static int read_memory(struct dc_build *b)
{
    struct domain_config *cfg = b->cfg;
    const struct cfg_setting *mem_at = NULL, *max_at = NULL;
    long mem, max;
    int has_mem, has_max;

    has_mem = cfg_get_long(b->set, "memory", &mem, &mem_at, b->err, b->errlen);
    if (has_mem < 0)
        return -1;
    has_max = cfg_get_long(b->set, "maxmem", &max, &max_at, b->err, b->errlen);
    if (has_max < 0)
        return -1;
    if (has_mem && (mem < 1 || (uint64_t)mem > DOMAIN_MAX_MEMORY_MIB)) {
        cfg_error_at(b->err, b->errlen, mem_at->source, mem_at->line,
                     "memory (%ld) must be between 1 and %llu MiB", mem,
                     (unsigned long long)DOMAIN_MAX_MEMORY_MIB);
        return -1;
    }
    if (has_max && has_mem && max < mem) {
        cfg_error_at(b->err, b->errlen, max_at->source, max_at->line,
                     "maxmem (%ld) is less than memory (%ld)", max, mem);
        return -1;
    }
    if (has_max && (max < 1 || (uint64_t)max > DOMAIN_MAX_MEMORY_MIB)) {
        cfg_error_at(b->err, b->errlen, max_at->source, max_at->line,
                     "maxmem (%ld) must be between 1 and %llu MiB", max,
                     (unsigned long long)DOMAIN_MAX_MEMORY_MIB);
        return -1;
    }
    cfg->memory_mib = has_mem ? (uint64_t)mem
                    : has_max ? (uint64_t)max : DOMAIN_DEFAULT_MEMORY_MIB;
    cfg->maxmem_mib = has_max ? (uint64_t)max : cfg->memory_mib;
    return 0;
}

static int read_vcpus(struct dc_build *b)
{
    struct domain_config *cfg = b->cfg;
    const struct cfg_setting *at = NULL, *max_at = NULL;
    long vcpus = 1, max = 0;
    int rc;

    rc = cfg_get_long(b->set, "vcpus", &vcpus, &at, b->err, b->errlen);
    if (rc < 0)
        return -1;
    if (rc && (vcpus < 1 || vcpus > DOMAIN_MAX_VCPUS)) {
        cfg_error_at(b->err, b->errlen, at->source, at->line,
                     "vcpus (%ld) must be between 1 and %d", vcpus, DOMAIN_MAX_VCPUS);
        return -1;
    }
    rc = cfg_get_long(b->set, "maxvcpus", &max, &max_at, b->err, b->errlen);
    if (rc < 0)
        return -1;
    if (max == 0)
        max = vcpus;
    if (max < vcpus) {
        cfg_error_at(b->err, b->errlen, max_at->source, max_at->line,
                     "maxvcpus (%ld) is less than vcpus (%ld)", max, vcpus);
        return -1;
    }
    if (max > DOMAIN_MAX_VCPUS) {
        cfg_error_at(b->err, b->errlen, max_at->source, max_at->line,
                     "maxvcpus (%ld) must be at most %d", max, DOMAIN_MAX_VCPUS);
        return -1;
    }
    cfg->vcpus = (unsigned)vcpus;
    cfg->max_vcpus = (unsigned)max;
    return 0;
}

static int parse_cpus_entry(struct dc_build *b, const struct cfg_value *v,
                            const struct cfg_setting *at, size_t entry,
                            struct cpumap *map)
{
    char why[256];

    if (!cpumap_parse(v->text, map, why, sizeof(why)))
        return 0;
    if (entry)
        cfg_error_at(b->err, b->errlen, at->source, v->line,
                     "cpus entry %zu: %s", entry, why);
    else
        cfg_error_at(b->err, b->errlen, at->source, at->line, "cpus: %s", why);
    return -1;
}

/*
 * xl's parse_vcpu_affinity: a string pins every vCPU to the same set; a
 * list gives vCPU i the i-th set, entries past maxvcpus are dropped and
 * vCPUs past the end of the list stay unpinned.
 */
static int read_cpus(struct dc_build *b)
{
    struct vcpu_affinity *aff = &b->cfg->cpus;
    const struct cfg_setting *at = NULL;
    const struct cfg_value *v;
    int rc = cfg_get_string_or_list(b->set, "cpus", &v, &at, b->err, b->errlen);
    size_t count;

    if (rc <= 0)
        return rc;
    if (v->kind == CFG_VALUE_STRING) {
        aff->kind = VCPU_AFFINITY_ALL_VCPUS;
        count = 1;
    } else {
        aff->kind = VCPU_AFFINITY_PER_VCPU;
        count = v->count < b->cfg->max_vcpus ? v->count : b->cfg->max_vcpus;
    }
    if (count) {
        aff->maps = calloc(count, sizeof(*aff->maps));
        if (!aff->maps)
            return dc_nomem(b, at);
    }
    aff->count = count;
    if (v->kind == CFG_VALUE_STRING)
        return parse_cpus_entry(b, v, at, 0, &aff->maps[0]);
    for (size_t i = 0; i < count; i++)
        if (parse_cpus_entry(b, v->items[i], at, i + 1, &aff->maps[i]))
            return -1;
    return 0;
}

/* Ranges libxl enforces for the credit schedulers (libxl_sched.c). */
static int read_scheduler(struct dc_build *b)
{
    const struct cfg_setting *at = NULL;
    long v;
    int rc;

    b->cfg->weight = DOMAIN_DEFAULT_WEIGHT;
    rc = cfg_get_long(b->set, "cpu_weight", &v, &at, b->err, b->errlen);
    if (rc < 0)
        return -1;
    if (rc) {
        if (v < 1 || v > 65535) {
            cfg_error_at(b->err, b->errlen, at->source, at->line,
                         "cpu_weight (%ld) must be between 1 and 65535", v);
            return -1;
        }
        b->cfg->weight = (unsigned)v;
    }
    rc = cfg_get_long(b->set, "cap", &v, &at, b->err, b->errlen);
    if (rc < 0)
        return -1;
    if (rc) {
        long most = 100L * b->cfg->max_vcpus;
        if (v < 0 || v > most) {
            cfg_error_at(b->err, b->errlen, at->source, at->line,
                         "cap (%ld) must be between 0 (no cap) and %ld "
                         "(100 per vCPU)", v, most);
            return -1;
        }
        b->cfg->cap = (unsigned)v;
    }
    return 0;
}

int dc_build_resources(struct dc_build *b)
{
    if (read_memory(b) || read_vcpus(b) || read_cpus(b) || read_scheduler(b))
        return -1;
    return 0;
}
