/*
 * What the PVH builder needs to make a domain, taken from a checked
 * configuration: Basalt's limits are applied here (so a config that the
 * hypervisor would refuse fails with FILE:LINE before anything exists),
 * and a UUID is chosen once, so a restarted domain keeps it.
 */
#ifndef XL_BUILD_REQUEST_H
#define XL_BUILD_REQUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "disk_vbd.h"
#include "domain_config.h"
#include "lib/basalt_ctl.h"
#include "strlist.h"
#include "xl_config.h"

#define BUILD_MAX_VCPUS 64      /* BCTL_DOMAIN_CREATE's limit */
#define BUILD_MAX_CPUS 64       /* affinity masks are 64 bits */
#define BUILD_MAX_MEMORY_MIB (1ull << 20) /* 1 TiB: a sanity bound, far above any pool */

struct build_request {
    char name[BASALT_NAME_LEN];
    uint8_t uuid[16];
    unsigned vcpus, max_vcpus;
    uint64_t memory_mib, maxmem_mib;
    unsigned weight, cap;
    uint64_t affinity;          /* cpus="LIST": every vCPU; 0 = the DomU pool */
    /* cpus=["LIST", ...]: vCPU i's mask (applied with BCTL_VCPU_SET_AFFINITY
     * after creation); vCPUs from n_vcpu_affinity on are not pinned. */
    uint64_t vcpu_affinity[BUILD_MAX_VCPUS];
    unsigned n_vcpu_affinity;
    const char *kernel, *ramdisk, *cmdline; /* point into the configuration */
    enum shutdown_action on_poweroff, on_reboot, on_watchdog, on_crash, on_soft_reset;
    bool start_paused;          /* xl create -p: leave it paused after building */
    struct vbd *disks;          /* disk=, owned (build_request_free) */
    unsigned n_disks;
    const struct vif_spec *vifs; /* vif=, checked (vif_config.c); in the configuration */
    size_t n_vifs;
};

/*
 * Fills r from c. Notes for the user (defaults taken, settings Basalt
 * ignores) are added to notes as "FILE:LINE: text". Returns 0, or -1 with
 * "FILE:LINE: reason" in err.
 */
int build_request_from_config(const struct xl_config *c, struct build_request *r,
                              struct strlist *notes, char *err, size_t errlen);

/* Frees what r owns (its disks); r's pointers into the configuration stay
 * the configuration's. */
void build_request_free(struct build_request *r);

#endif
