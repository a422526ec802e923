/* ACPI table layouts (ACPI 6.x) and what the hypervisor learns from them. */
#ifndef ASM_ACPI_H
#define ASM_ACPI_H

#include <basalt/types.h>

#include <lib/acpi_defs.h>

#define MAX_IOAPICS 8
#define MAX_ISA_IRQS 16

struct ioapic_info {
    uint8_t id;
    paddr_t addr;
    uint32_t gsi_base;
    uint32_t nr_pins;
};

struct isa_irq {
    uint32_t gsi;
    bool level;      /* trigger mode */
    bool active_low; /* polarity */
};

struct cpu_entry {
    uint32_t apic_id, acpi_id;
};

struct acpi_info {
    paddr_t rsdp;
    const struct acpi_fadt *fadt;
    const struct acpi_madt *madt;
    paddr_t lapic_addr;
    struct cpu_entry cpus[64];
    unsigned int nr_cpus;
    struct ioapic_info ioapics[MAX_IOAPICS];
    unsigned int nr_ioapics;
    struct isa_irq isa[MAX_ISA_IRQS];
    int s5_slp_typ_a, s5_slp_typ_b; /* -1 if \_S5 was not found */
};

extern struct acpi_info acpi;

paddr_t acpi_find_rsdp(paddr_t hint);
void acpi_init(paddr_t rsdp);
const struct acpi_header *acpi_find_table(const char sig[4]);
bool acpi_checksum_ok(const void *p, size_t len);
uint8_t acpi_checksum(const void *p, size_t len);
/* Powers the machine off (ACPI S5) or resets it; returns only on failure. */
void acpi_power_off(void);
void acpi_reset(void);

#endif
