/*
 * Domains the hypervisor builds itself from multiboot modules: Dom0 (the
 * first untagged module and its initrd) and boot-time DomUs, whose module
 * strings read (after the loader's own image name, which multiboot.c drops)
 *   domain name=NAME vcpus=N memory=MIB [weight=W] [cap=C] [cpus=LIST] -- <kernel cmdline>
 *   initrd name=NAME
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
    uint16_t domid;
    volatile bool rebuild;  /* rebuild once the current instance is gone */
};

void boot_domain_schedule_rebuild(const struct boot_domain_spec *spec);
/* Called after a domain has been freed; rebuilds it if it asked to reboot. */
void boot_domains_after_destroy(uint16_t domid);
/* Builds a PVH DomU from a spec; returns 0 or a negative error (and logs why). */
int pvh_build_boot_domain(struct boot_domain_spec *spec);

#endif
