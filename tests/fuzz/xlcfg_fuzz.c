/*
 * libFuzzer target for the xl.cfg parser and domain configuration
 * builder (dom0/xl/). The input is configuration text; NUL bytes split
 * it into the file and command-line overrides ("file\0memory=5\0..."),
 * so override handling is fuzzed too. The first line is also fed to the
 * disk, vif and CPU list parsers directly. Invariants of a successful
 * build are checked, so a wrong result crashes like a memory error.
 */
#include "dom0/xl/cfg_error.c"
#include "dom0/xl/strlist.c"
#include "dom0/xl/cfg_lex.c"
#include "dom0/xl/cfg_settings.c"
#include "dom0/xl/cfg_parse.c"
#include "dom0/xl/cfg_get.c"
#include "dom0/xl/cpumap.c"
#include "dom0/xl/disk_spec.c"
#include "dom0/xl/vif_spec.c"
#include "dom0/lib/hex.c"
#include "dom0/lib/string_hash.c"
#include "dom0/xl/domain_config.c"
#include "dom0/xl/domain_config_general.c"
#include "dom0/xl/domain_config_resources.c"
#include "dom0/xl/domain_config_devices.c"
#include "dom0/xl/domain_config_hvm.c"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_OVERRIDES 8

static void fuzz_check(int cond)
{
    if (!cond)
        __builtin_trap();
}

static void fuzz_check_config(const struct domain_config *cfg)
{
    fuzz_check(cfg->name && *cfg->name && strlen(cfg->name) <= DOMAIN_NAME_MAX);
    fuzz_check(cfg->memory_mib >= 1 && cfg->memory_mib <= cfg->maxmem_mib);
    fuzz_check(cfg->vcpus >= 1 && cfg->vcpus <= cfg->max_vcpus &&
               cfg->max_vcpus <= DOMAIN_MAX_VCPUS);
    fuzz_check(cfg->weight >= 1 && cfg->weight <= 65535);
    fuzz_check(cfg->cap <= 100 * cfg->max_vcpus);
    fuzz_check(cfg->cpus.count <= cfg->max_vcpus || cfg->cpus.kind == VCPU_AFFINITY_ALL_VCPUS);
    for (size_t i = 0; i < cfg->cpus.count; i++)
        fuzz_check(cpumap_count(&cfg->cpus.maps[i]) > 0);
    for (size_t i = 0; i < cfg->n_disks; i++) {
        const struct disk_spec *d = &cfg->disks[i];
        fuzz_check(d->vdev && *d->vdev);
        fuzz_check(d->target || d->removable);
        fuzz_check(!d->is_cdrom || !d->readwrite);
    }
    for (size_t i = 0; i < cfg->n_vifs; i++)
        fuzz_check(!cfg->vifs[i].has_mac || !(cfg->vifs[i].mac[0] & 1));
    for (size_t i = 0; i < cfg->n_ignored; i++)
        fuzz_check(cfg->ignored[i].key && cfg->ignored[i].source);
}

static void fuzz_specs(const uint8_t *data, size_t size)
{
    char line[256], why[256];
    size_t n = 0;
    struct disk_spec disk;
    struct vif_spec vif;
    struct cpumap map;
    struct strlist notes = { 0 };

    while (n < size && n < sizeof(line) - 1 && data[n] != '\n' && data[n] != '\0')
        n++;
    memcpy(line, data, n);
    line[n] = '\0';
    if (!disk_spec_parse(line, &disk, why, sizeof(why)))
        disk_spec_free(&disk);
    if (!vif_spec_parse(line, 0, &vif, &notes, why, sizeof(why)))
        vif_spec_free(&vif);
    strlist_free(&notes);
    if (!cpumap_parse(line, &map, why, sizeof(why)))
        fuzz_check(cpumap_count(&map) > 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *overrides[FUZZ_MAX_OVERRIDES];
    size_t n_overrides = 0, file_len;
    const uint8_t *nul = memchr(data, '\0', size);
    char *rest = NULL;
    struct domain_config cfg;
    char err[512];

    fuzz_specs(data, size);

    file_len = nul ? (size_t)(nul - data) : size;
    if (nul) {
        /* The overrides, each NUL-terminated, in one owned copy. */
        size_t rest_len = size - file_len - 1;
        rest = malloc(rest_len + 1);
        if (!rest)
            return 0;
        memcpy(rest, nul + 1, rest_len);
        rest[rest_len] = '\0';
        for (char *p = rest; p <= rest + rest_len && n_overrides < FUZZ_MAX_OVERRIDES;
             p += strlen(p) + 1)
            overrides[n_overrides++] = p;
    }
    err[0] = '\0';
    if (domain_config_parse_buffer("fuzz.cfg", (const char *)data, file_len, overrides,
                                   n_overrides, &cfg, err, sizeof(err)) == 0) {
        fuzz_check_config(&cfg);
        domain_config_free(&cfg);
    } else {
        fuzz_check(err[0] != '\0' && strchr(err, ':') != NULL);
    }
    free(rest);
    return 0;
}
