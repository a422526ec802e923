/*
 * Dom0: the stock Linux kernel as Basalt's PVH hardware domain. Its RAM is
 * mapped 1:1 (guest-physical == machine), so its drivers DMA without an
 * IOMMU; device space is identity-mapped (up front for the firmware's
 * regions, on first touch for the rest); the local APIC and the IOAPICs are
 * emulated and the machine's interrupts are forwarded to it.
 */
#ifndef BASALT_DOM0_H
#define BASALT_DOM0_H

#include <basalt/boot.h>
#include <basalt/types.h>

struct domain;

#define DOM0_MAX_RAM_RANGES 64

struct dom0_plan {
    bool present;
    int kernel_module, initrd_module; /* indices in boot_info.modules; initrd -1 if none */
    struct mem_range ram[DOM0_MAX_RAM_RANGES]; /* machine RAM given to Dom0, ascending */
    unsigned int nr_ram;
    unsigned int nr_vcpus;
    uint64_t cpus;                    /* physical CPUs its vCPUs are pinned to */
};

extern struct dom0_plan dom0_plan;

/* Boot, before the zones are filled: choose and claim Dom0's RAM, moving
 * the modules out of its way that cannot stay where the loader put them. */
void dom0_prepare(void);
/* Boot, after SMP: build and start Dom0. */
int dom0_build(void);
/* True if machine address range [start, end) is Dom0 RAM. */
bool dom0_owns_ram(paddr_t start, paddr_t end);

/* Dom0's crafted ACPI tables (RSDP, XSDT, MADT) written at gpa into buf;
 * returns the RSDP's address or 0 if they do not fit. */
paddr_t dom0_build_acpi(void *buf, size_t len, paddr_t gpa, unsigned int nr_vcpus);
/* Dom0's port permissions and emulated ports. */
int dom0_io_init(struct domain *d);
/* May Dom0 have machine address gpa mapped 1:1 (device space, its own RAM)? */
bool dom0_fixup_allowed(gpaddr_t gpa);
/* Maps the device pages of [s, e) that Dom0 may touch (not RAM) 1:1 where
 * nothing is mapped yet, in runs, so that aligned stretches get large
 * mappings. -ENOMEM if the tables could not grow. */
int dom0_map_device_range(struct domain *d, gfn_t s, gfn_t e);
/* Nested page fault in Dom0 outside its RAM: identity-map device space. */
bool dom0_fixup_npf(struct domain *d, gpaddr_t gpa);
/* Whole-machine power, after stopping every other domain. */
void machine_shutdown_from_dom0(bool reboot, const char *why);

#endif
