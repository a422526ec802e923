/*
 * The typed, validated domain configuration that `xl create` builds
 * from an xl.cfg file (plus KEY=VALUE overrides from its command line).
 * Defaults and combination rules are xl's (tools/xl/xl_parse.c,
 * parse_config_data) unless a field's comment says otherwise.
 *
 * Errors are reported as "SOURCE:LINE: reason", SOURCE being the file
 * name, or "command line" for overrides (LINE is then the override's
 * position, 1 for the first). Problems with the file as a whole (cannot
 * be read, too large, no name=) use line 0.
 */
#ifndef XL_DOMAIN_CONFIG_H
#define XL_DOMAIN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpumap.h"
#include "disk_spec.h"
#include "strlist.h"
#include "tristate.h"
#include "vif_spec.h"

#define DOMAIN_NAME_MAX 64                  /* bytes, see domain_config_general.c */
#define DOMAIN_DEFAULT_MEMORY_MIB 32        /* libxl's default when neither memory= nor maxmem= */
#define DOMAIN_MAX_MEMORY_MIB (UINT64_C(1) << 32)   /* 4 PiB: sizes in bytes fit 64 bits */
#define DOMAIN_MAX_VCPUS 4096
#define DOMAIN_MAX_DISKS 256
#define DOMAIN_MAX_VIFS 256
#define DOMAIN_DEFAULT_WEIGHT 256           /* credit scheduler default */
#define DOMAIN_OVERRIDES_SOURCE "command line"

enum domain_type {
    DOMAIN_TYPE_PV,
    DOMAIN_TYPE_PVH,
    DOMAIN_TYPE_HVM,
};

enum shutdown_action {
    SHUTDOWN_ACTION_DESTROY,
    SHUTDOWN_ACTION_RESTART,
    SHUTDOWN_ACTION_RENAME_RESTART,
    SHUTDOWN_ACTION_PRESERVE,
    SHUTDOWN_ACTION_COREDUMP_DESTROY,
    SHUTDOWN_ACTION_COREDUMP_RESTART,
    SHUTDOWN_ACTION_SOFT_RESET,
};

enum vcpu_affinity_kind {
    VCPU_AFFINITY_NONE,         /* cpus= not given: vCPUs may run anywhere */
    VCPU_AFFINITY_ALL_VCPUS,    /* cpus="LIST": maps[0] applies to every vCPU */
    VCPU_AFFINITY_PER_VCPU,     /* cpus=["LIST", ...]: maps[i] is vCPU i's;
                                   vCPUs from count on are not pinned */
};

struct vcpu_affinity {
    enum vcpu_affinity_kind kind;
    struct cpumap *maps;
    size_t count;               /* PER_VCPU: at most max_vcpus (xl drops the rest) */
};

/* Display, console and firmware options. xl reads these for HVM guests
 * (vnc* also for PV); they are parsed and checked for every type. */
struct domain_hvm_options {
    enum tristate vnc;
    char *vnclisten;            /* "ADDRESS[:DISPLAY]" as written */
    int vncdisplay;             /* -1: not given */
    char *vncpasswd;
    enum tristate vncunused;
    enum tristate sdl;
    struct strlist serial;      /* serial="X" or serial=["X", ...] */
    char *boot;                 /* boot order, letters from "acdn"; NULL: default */
    enum tristate usb;
    struct strlist usbdevice;   /* usbdevice="X" or usbdevice=["X", ...] */
    enum tristate xen_platform_pci; /* QEMU's Xen platform device (PV drivers); default on */
};

/* A setting that nothing in the domain configuration read (xl ignores
 * unknown keys silently; `xl create -v` can list these). */
struct domain_config_ignored_key {
    char *key;
    char *source;
    unsigned line;
};

struct domain_config {
    char *name;                 /* required */
    enum domain_type type;
    bool type_defaulted;        /* neither type= nor builder= given: xl's x86
                                   default, PV, was applied */
    bool has_uuid;              /* else the toolstack generates one */
    uint8_t uuid[16];           /* in the order the text form is written */
    char *kernel;
    char *ramdisk;
    char *cmdline;              /* effective kernel command line, NULL if none:
                                   cmdline=, else "root=ROOT EXTRA" */
    uint64_t memory_mib;        /* memory=; default maxmem=, else 32 */
    uint64_t maxmem_mib;        /* maxmem=; default memory= */
    unsigned vcpus;             /* vcpus=; default 1 */
    unsigned max_vcpus;         /* maxvcpus=; default (and when 0) vcpus */
    struct vcpu_affinity cpus;  /* cpus= (hard affinity) */
    unsigned weight;            /* cpu_weight=, 1..65535; default 256 */
    unsigned cap;               /* cap=, percent of one CPU; 0 = no cap */
    enum shutdown_action on_poweroff;   /* default destroy */
    enum shutdown_action on_reboot;     /* default restart */
    enum shutdown_action on_watchdog;   /* default destroy */
    enum shutdown_action on_crash;      /* default destroy */
    enum shutdown_action on_soft_reset; /* default soft-reset */
    enum tristate acpi;
    struct disk_spec *disks;
    size_t n_disks;
    struct vif_spec *vifs;
    size_t n_vifs;
    struct domain_hvm_options hvm;
    struct strlist warnings;    /* "SOURCE:LINE: ..." notes for the user */
    struct domain_config_ignored_key *ignored;
    size_t n_ignored;
};

/* Reads and builds the configuration in the file at path. Returns 0,
 * or -1 with a message in err and nothing in cfg to free. */
int domain_config_load(const char *path, struct domain_config *cfg,
                       char *err, size_t errlen);

/* The same, then applies overrides, each a string like "memory=512" or
 * 'name="x"' (xl create's extra arguments), as if they were lines added
 * after the file: they replace, or with '+=' extend, the file's values. */
int domain_config_load_with_overrides(const char *path,
                                      const char *const *overrides,
                                      size_t n_overrides,
                                      struct domain_config *cfg,
                                      char *err, size_t errlen);

/* The same from memory: name is used in messages. */
int domain_config_parse_buffer(const char *name, const char *buf, size_t len,
                               const char *const *overrides, size_t n_overrides,
                               struct domain_config *cfg,
                               char *err, size_t errlen);

/* Only the settings, read as domain_config_parse_buffer reads them: the
 * text, then the overrides as one more input named
 * DOMAIN_OVERRIDES_SOURCE, into set (from cfg_settings_new()). For
 * callers that need to know where a setting was defined. Returns 0, or -1
 * with "SOURCE:LINE: reason" in err. */
struct cfg_settings;
int domain_config_parse_settings(struct cfg_settings *set, const char *name, const char *buf,
                                 size_t len, const char *const *overrides, size_t n_overrides,
                                 char *err, size_t errlen);

void domain_config_free(struct domain_config *cfg);

const char *domain_type_name(enum domain_type type);
const char *shutdown_action_name(enum shutdown_action action);

#endif
