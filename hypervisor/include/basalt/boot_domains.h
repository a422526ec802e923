/*
 * Domains the hypervisor builds itself from multiboot modules: Dom0 (the
 * first untagged module and its initrd) and boot-time DomUs, whose module
 * strings read (after the loader's own image name, which multiboot.c drops)
 *   domain name=NAME vcpus=N memory=MIB [type=pvh|hvm] [weight=W] [cap=C] [cpus=LIST] -- <cmdline>
 *   initrd name=NAME
 *   firmware name=NAME
 * A PVH domain's module is its kernel; an HVM domain's is its firmware
 * loader (Xen's hvmloader, or a test guest): an ELF image without Xen notes
 * entered at its ELF entry as a PVH kernel is, its `firmware` module (the
 * BIOS) handed over in the start info's module list as "firmware".
 */
#ifndef BASALT_BOOT_DOMAINS_H
#define BASALT_BOOT_DOMAINS_H

#include <basalt/types.h>

struct domain;

#define BOOT_CMDLINE_MAX 1024

struct boot_domain_spec {
    char name[64];
    unsigned int vcpus;
    uint64_t memory_mb;
    uint32_t weight, cap;
    uint64_t cpus;          /* affinity mask; 0 = the DomU pool */
    char cmdline[BOOT_CMDLINE_MAX];
    int kernel_module;      /* index in boot_info.modules */
    int initrd_module;      /* -1: none */
    bool hvm;               /* type=hvm */
    int firmware_module;    /* HVM: -1: none */
    uint16_t domid;
    volatile bool rebuild;  /* rebuild once the current instance is gone */
};

void boot_domain_schedule_rebuild(const struct boot_domain_spec *spec);
/* Called after a domain has been freed; rebuilds it if it asked to reboot. */
void boot_domains_after_destroy(uint16_t domid);
/* The builders' common steps: creating the domain a spec describes (with
 * room for max_pages; logs why not), giving up on a build (the domain is
 * destroyed with the reason, -EINVAL), and starting vCPU 0 at a 32-bit
 * entry with EBX = start_info. */
struct domain;
int boot_domain_create(struct boot_domain_spec *spec, uint64_t max_pages, bool hvm, struct domain **d);
int boot_domain_fail(struct domain *d, const char *why);
void boot_domain_start(struct domain *d, uint32_t entry, uint32_t start_info);
/* Builds a PVH or HVM DomU from a spec; returns 0 or a negative error (and logs why). */
int pvh_build_boot_domain(struct boot_domain_spec *spec);
int hvm_build_boot_domain(struct boot_domain_spec *spec);

#endif
