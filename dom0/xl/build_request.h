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
#define BUILD_HVM_MIN_MEMORY_MIB 16   /* hvmloader, SeaBIOS and their tables below 16 MiB */
#define BUILD_HVM_MAX_MEMORY_MIB 3840 /* below the MMIO hole: no RAM above 4 GiB yet */
#define BUILD_HVM_VIDEORAM_MIB 8      /* libxl's default: cirrus-vga with 8 MiB */
#define BUILD_HVM_MAX_IDE 4           /* QEMU's two IDE channels: hda-hdd */
#define BUILD_HVM_VNC_MAX 96

/* type = "hvm": what the HVM builder (build_hvm.c) and its QEMU
 * (qemu_dm_args.c) need, with libxl's defaults applied and every value
 * checked so that nothing reaches QEMU's command line unchecked. */
struct build_hvm {
    char vnc[BUILD_HVM_VNC_MAX]; /* -vnc's value ("127.0.0.1:0,to=99"), "" for vnc=0 */
    const char *serial;         /* -serial's value ("pty", "file:/path", "null"), NULL: none */
    char boot[8];               /* boot order, "cda" by default */
    bool acpi;                  /* platform/acpi for hvmloader */
    bool platform_pci;          /* QEMU's Xen platform device: -machine xenfv, else pc,accel=xen */
    int ide_index[DOMAIN_MAX_DISKS]; /* disk i's IDE index (0-3) */
};

struct build_request {
    bool hvm;                   /* type = "hvm" (else PVH) */
    struct build_hvm hvm_opts;
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
    /* The configuration as given (domain_userdata.h), kept for the domain
     * it builds; not owned (NULL: none). */
    const char *saved_config;
    size_t saved_config_len;
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

/* Internal to build_request*.c: "FILE:LINE: reason" in err for the first
 * of keys that is set; returns -1. */
int build_request_fail_at(const struct xl_config *c, const char *const *keys, char *err,
                          size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void build_request_note_at(const struct xl_config *c, struct strlist *notes,
                           const char *const *keys, const char *text);
/* The HVM part of build_request_from_config (build_request_hvm.c): refuses
 * what Basalt's HVM builder does not do, fills r->hvm_opts. */
int build_request_hvm(const struct xl_config *c, struct build_request *r, struct strlist *notes,
                      char *err, size_t errlen);

#endif
