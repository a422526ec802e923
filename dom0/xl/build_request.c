/* From a domain configuration to a build request (see build_request.h). */
#include "build_request.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_error.h"
#include "uuid.h"
#include "vif_config.h"

#define KEYS(...) ((const char *const[]){ __VA_ARGS__, NULL })

#define fail_at build_request_fail_at
#define note_at build_request_note_at

int build_request_fail_at(const struct xl_config *c, const char *const *keys, char *err,
                          size_t errlen, const char *fmt, ...)
{
    const char *source;
    unsigned line;
    char reason[512];
    va_list ap;

    xl_config_where(c, keys, &source, &line);
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    cfg_error_at(err, errlen, source, line, "%s", reason);
    return -1;
}

void build_request_note_at(const struct xl_config *c, struct strlist *notes,
                           const char *const *keys, const char *text)
{
    const char *source;
    unsigned line;

    xl_config_where(c, keys, &source, &line);
    (void)strlist_addf(notes, "%s:%u: %s", source, line, text);
}

/* Actions Basalt cannot carry out as written, mapped to what it does. */
static enum shutdown_action supported_action(const struct xl_config *c, struct strlist *notes,
                                             const char *key, enum shutdown_action a)
{
    char text[160];
    switch (a) {
    case SHUTDOWN_ACTION_COREDUMP_DESTROY:
    case SHUTDOWN_ACTION_COREDUMP_RESTART:
        snprintf(text, sizeof(text), "%s=\"%s\": Basalt cannot dump a domain's core; it will %s",
                 key, shutdown_action_name(a),
                 a == SHUTDOWN_ACTION_COREDUMP_DESTROY ? "destroy it" : "restart it");
        note_at(c, notes, (const char *const[]){ key, NULL }, text);
        return a == SHUTDOWN_ACTION_COREDUMP_DESTROY ? SHUTDOWN_ACTION_DESTROY
                                                     : SHUTDOWN_ACTION_RESTART;
    default:
        return a;
    }
}

/* disk=: every entry a qdisk vbd, or FILE:LINE: why not. */
static int disks_from_config(const struct xl_config *c, struct build_request *r, struct strlist *notes,
                      char *err, size_t errlen)
{
    const struct domain_config *dc = &c->dc;
    const char *source;
    unsigned line;
    char why[512];

    if (!dc->n_disks)
        return 0;
    xl_config_where(c, KEYS("disk"), &source, &line);
    r->disks = calloc(dc->n_disks, sizeof(*r->disks));
    if (!r->disks) {
        cfg_error_at(err, errlen, source, line, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < dc->n_disks; i++) {
        const struct disk_spec *spec = &dc->disks[i];
        unsigned at = spec->line ? spec->line : line;
        if (vbd_from_spec(spec, &r->disks[i], why, sizeof(why))) {
            cfg_error_at(err, errlen, source, at, "disk %zu (%s): %s", i + 1, spec->vdev, why);
            build_request_free(r);
            return -1;
        }
        r->disks[i].source = source;
        r->disks[i].line = at;
        r->n_disks = (unsigned)i + 1;
        if (spec->is_cdrom && !r->hvm)
            (void)strlist_addf(notes,
                               "%s:%u: disk %s is a CD-ROM: Linux's blkfront ignores CD-ROMs "
                               "in PVH guests",
                               source, at, spec->vdev);
        for (size_t j = 0; j < i; j++)
            if (r->disks[j].devid == r->disks[i].devid) {
                cfg_error_at(err, errlen, source, at,
                             "disk %zu (%s) is the same device as disk %zu (%s): %u", i + 1,
                             r->disks[i].vdev, j + 1, r->disks[j].vdev, r->disks[i].devid);
                build_request_free(r);
                return -1;
            }
    }
    return 0;
}

void build_request_free(struct build_request *r)
{
    for (unsigned i = 0; r->disks && i < r->n_disks; i++)
        vbd_free(&r->disks[i]);
    free(r->disks);
    r->disks = NULL;
    r->n_disks = 0;
}

int build_request_from_config(const struct xl_config *c, struct build_request *r,
                              struct strlist *notes, char *err, size_t errlen)
{
    const struct domain_config *dc = &c->dc;
    char q[CFG_QUOTE_BUF];
    unsigned bad;

    memset(r, 0, sizeof(*r));
    if (dc->type_defaulted) {
        note_at(c, notes, KEYS("name"),
                "no type= given: xl's default is PV, which Basalt does not have; "
                "building a PVH domain (type = \"pvh\")");
    } else if (dc->type == DOMAIN_TYPE_HVM) {
        r->hvm = true;
    } else if (dc->type != DOMAIN_TYPE_PVH) {
        return fail_at(c, KEYS("type", "builder"), err, errlen,
                       "type \"%s\" is not supported: Basalt's xl builds PVH and HVM domains "
                       "(type = \"pvh\" or \"hvm\")",
                       domain_type_name(dc->type));
    }
    if (strlen(dc->name) >= BASALT_NAME_LEN)
        return fail_at(c, KEYS("name"), err, errlen,
                       "name '%s' is too long: the hypervisor takes at most %d characters",
                       cfg_quote(dc->name, q, sizeof(q)), BASALT_NAME_LEN - 1);
    snprintf(r->name, sizeof(r->name), "%s", dc->name);
    if (!r->hvm && (!dc->kernel || !*dc->kernel))
        return fail_at(c, KEYS("kernel"), err, errlen,
                       dc->kernel ? "kernel is empty" : "missing required setting 'kernel'");
    r->kernel = dc->kernel;
    r->ramdisk = dc->ramdisk && *dc->ramdisk ? dc->ramdisk : NULL;
    r->cmdline = dc->cmdline;

    if (dc->max_vcpus > BUILD_MAX_VCPUS)
        return fail_at(c, KEYS("maxvcpus", "vcpus"), err, errlen,
                       "%u vCPUs: the hypervisor gives a domain at most %d", dc->max_vcpus,
                       BUILD_MAX_VCPUS);
    r->vcpus = dc->vcpus;
    r->max_vcpus = dc->max_vcpus;
    r->memory_mib = dc->memory_mib;
    r->maxmem_mib = dc->maxmem_mib;
    if (r->maxmem_mib > BUILD_MAX_MEMORY_MIB)
        return fail_at(c, KEYS("maxmem", "memory"), err, errlen,
                       "%llu MiB of memory: xl builds domains of at most %llu MiB",
                       (unsigned long long)r->maxmem_mib,
                       (unsigned long long)BUILD_MAX_MEMORY_MIB);
    if (r->maxmem_mib > r->memory_mib)
        note_at(c, notes, KEYS("maxmem"),
                "maxmem above memory: the domain starts with memory= and may balloon up "
                "to maxmem=");
    r->weight = dc->weight;
    if (dc->cap > 100 * dc->max_vcpus)
        return fail_at(c, KEYS("cap"), err, errlen,
                       "cap (%u) is more than 100 per vCPU (%u)", dc->cap, 100 * dc->max_vcpus);
    r->cap = dc->cap;

    switch (dc->cpus.kind) {
    case VCPU_AFFINITY_NONE:
        break;
    case VCPU_AFFINITY_ALL_VCPUS:
        if (cpumap_mask64(&dc->cpus.maps[0], &r->affinity, &bad))
            return fail_at(c, KEYS("cpus"), err, errlen,
                           "CPU %u: the hypervisor's CPU masks hold CPUs 0-%d only", bad,
                           BUILD_MAX_CPUS - 1);
        break;
    case VCPU_AFFINITY_PER_VCPU:
        for (size_t i = 0; i < dc->cpus.count && i < r->max_vcpus; i++)
            if (cpumap_mask64(&dc->cpus.maps[i], &r->vcpu_affinity[i], &bad))
                return fail_at(c, KEYS("cpus"), err, errlen,
                               "CPU %u (vCPU %zu): the hypervisor's CPU masks hold CPUs 0-%d "
                               "only",
                               bad, i, BUILD_MAX_CPUS - 1);
        r->n_vcpu_affinity = (unsigned)(dc->cpus.count < r->max_vcpus ? dc->cpus.count
                                                                       : r->max_vcpus);
        break;
    }

    if (!r->hvm && vif_config_request(c, r, err, errlen))
        return -1;

    r->on_poweroff = supported_action(c, notes, "on_poweroff", dc->on_poweroff);
    r->on_reboot = supported_action(c, notes, "on_reboot", dc->on_reboot);
    r->on_watchdog = supported_action(c, notes, "on_watchdog", dc->on_watchdog);
    r->on_crash = supported_action(c, notes, "on_crash", dc->on_crash);
    r->on_soft_reset = dc->on_soft_reset;

    if (dc->has_uuid) {
        memcpy(r->uuid, dc->uuid, 16);
    } else if (uuid_generate_random(r->uuid)) {
        return fail_at(c, KEYS("name"), err, errlen, "cannot generate a UUID: %s",
                       strerror(errno));
    }
    if (disks_from_config(c, r, notes, err, errlen))
        return -1;
    if (r->hvm && build_request_hvm(c, r, notes, err, errlen)) {
        build_request_free(r);
        return -1;
    }
    return 0;
}
