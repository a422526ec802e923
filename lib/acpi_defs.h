/* ACPI table layouts (ACPI 6.x), shared by the hypervisor (which reads the
 * firmware's tables) and the PVH guest builders (which write a guest's). */
#ifndef LIB_ACPI_DEFS_H
#define LIB_ACPI_DEFS_H

#include <stdint.h>

#ifndef __packed
#define __packed __attribute__((packed))
#endif

struct acpi_rsdp {
    char signature[8];
    uint8_t checksum;
    char oem_id[6];
    uint8_t revision;
    uint32_t rsdt;
    uint32_t length;
    uint64_t xsdt;
    uint8_t ext_checksum;
    uint8_t reserved[3];
} __packed;

struct acpi_header {
    char signature[4];
    uint32_t length;
    uint8_t revision;
    uint8_t checksum;
    char oem_id[6];
    char oem_table_id[8];
    uint32_t oem_revision;
    uint32_t creator_id;
    uint32_t creator_revision;
} __packed;

struct acpi_gas {
    uint8_t space_id, bit_width, bit_offset, access_size;
    uint64_t address;
} __packed;

struct acpi_fadt {
    struct acpi_header h;
    uint32_t facs, dsdt;
    uint8_t reserved0, preferred_pm_profile;
    uint16_t sci_int;
    uint32_t smi_cmd;
    uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
    uint32_t pm1a_evt_blk, pm1b_evt_blk, pm1a_cnt_blk, pm1b_cnt_blk;
    uint32_t pm2_cnt_blk, pm_tmr_blk, gpe0_blk, gpe1_blk;
    uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len;
    uint8_t gpe0_blk_len, gpe1_blk_len, gpe1_base, cst_cnt;
    uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
    uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;
    uint16_t iapc_boot_arch;
    uint8_t reserved1;
    uint32_t flags;
    struct acpi_gas reset_reg;
    uint8_t reset_value;
    uint16_t arm_boot_arch;
    uint8_t minor_version;
    uint64_t x_facs, x_dsdt;
    struct acpi_gas x_pm1a_evt_blk, x_pm1b_evt_blk, x_pm1a_cnt_blk, x_pm1b_cnt_blk;
    struct acpi_gas x_pm2_cnt_blk, x_pm_tmr_blk, x_gpe0_blk, x_gpe1_blk;
    struct acpi_gas sleep_control, sleep_status;
    uint64_t hypervisor_vendor;
} __packed;

#define FADT_RESET_REG_SUP (1u << 10)

struct acpi_madt {
    struct acpi_header h;
    uint32_t lapic_addr;
    uint32_t flags;
} __packed;

#define MADT_PCAT_COMPAT 1

enum madt_type {
    MADT_LAPIC = 0, MADT_IOAPIC = 1, MADT_ISO = 2, MADT_NMI = 3, MADT_LAPIC_NMI = 4,
    MADT_LAPIC_OVERRIDE = 5, MADT_X2APIC = 9, MADT_X2APIC_NMI = 10,
};

struct madt_entry {
    uint8_t type, length;
} __packed;

struct madt_lapic {
    struct madt_entry e;
    uint8_t acpi_id, apic_id;
    uint32_t flags; /* bit 0 enabled, bit 1 online capable */
} __packed;

struct madt_ioapic {
    struct madt_entry e;
    uint8_t id, reserved;
    uint32_t addr, gsi_base;
} __packed;

struct madt_iso {
    struct madt_entry e;
    uint8_t bus, source;
    uint32_t gsi;
    uint16_t flags; /* polarity bits 0-1, trigger bits 2-3 */
} __packed;

struct madt_lapic_nmi {
    struct madt_entry e;
    uint8_t acpi_id;
    uint16_t flags;
    uint8_t lint;
} __packed;

struct madt_x2apic {
    struct madt_entry e;
    uint16_t reserved;
    uint32_t x2apic_id, flags, acpi_id;
} __packed;

#endif
