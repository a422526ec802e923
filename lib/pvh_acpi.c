/*
 * ACPI tables for a PVH DomU. Linux needs a MADT to find its CPUs (and
 * without one never starts its Xen timer); the FADT and DSDT are nearly
 * empty. The DSDT has no \_S5, so a guest powers off by halting every vCPU
 * with interrupts off, which the hypervisor turns into a domain poweroff.
 */
#include "acpi_defs.h"
#include "pvh_layout.h"

#define OFF_RSDP 0x000
#define OFF_XSDT 0x040
#define OFF_FACS 0x080 /* 64-byte aligned */
#define OFF_FADT 0x100
#define OFF_DSDT 0x240
#define OFF_MADT 0x280

struct acpi_facs {
    char signature[4];
    uint32_t length, hw_signature, waking_vector, global_lock, flags;
    uint64_t x_waking_vector;
    uint8_t version, reserved[3];
    uint32_t ospm_flags;
    uint8_t reserved2[24];
} __packed;

struct acpi_xsdt3 {
    struct acpi_header h;
    uint64_t entry[2];
} __packed;

static uint8_t checksum(const void *p, size_t len)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++)
        sum += ((const uint8_t *)p)[i];
    return (uint8_t)-sum;
}

static void header(struct acpi_header *h, const char sig[4], uint32_t len, uint8_t rev)
{
    memcpy(h->signature, sig, 4);
    h->length = len;
    h->revision = rev;
    memcpy(h->oem_id, "BASALT", 6);
    memcpy(h->oem_table_id, "PVH     ", 8);
    h->oem_revision = 1;
    memcpy(&h->creator_id, "BSLT", 4);
    h->creator_revision = 1;
}

static struct acpi_gas io_gas(uint16_t port, uint8_t bytes)
{
    return (struct acpi_gas){ .space_id = 1, .bit_width = (uint8_t)(bytes * 8), .address = port };
}

size_t pvh_build_acpi(void *buf, unsigned int max_vcpus, uint64_t *rsdp_gpa)
{
    size_t madt_len = sizeof(struct acpi_madt) + max_vcpus * sizeof(struct madt_lapic);
    if (max_vcpus == 0 || max_vcpus > PVH_MAX_VCPUS ||
        OFF_MADT + madt_len > PVH_ACPI_PAGES * PVH_PAGE_SIZE)
        return 0;
    uint8_t *b = buf;
    memset(b, 0, OFF_MADT + madt_len);

    struct acpi_madt *madt = (struct acpi_madt *)(b + OFF_MADT);
    header(&madt->h, "APIC", (uint32_t)madt_len, 4);
    madt->lapic_addr = 0xfee00000;
    madt->flags = 0; /* no 8259s: nothing to mask */
    struct madt_lapic *l = (struct madt_lapic *)(madt + 1);
    for (unsigned int i = 0; i < max_vcpus; i++) {
        l[i].e.type = MADT_LAPIC;
        l[i].e.length = sizeof(l[i]);
        l[i].acpi_id = (uint8_t)i;
        l[i].apic_id = (uint8_t)i;
        l[i].flags = 1; /* enabled, even if offline for now (pvh_layout.h) */
    }
    madt->h.checksum = checksum(madt, madt_len);

    struct acpi_header *dsdt = (struct acpi_header *)(b + OFF_DSDT);
    header(dsdt, "DSDT", sizeof(*dsdt), 2);
    dsdt->checksum = checksum(dsdt, sizeof(*dsdt));

    struct acpi_facs *facs = (struct acpi_facs *)(b + OFF_FACS);
    memcpy(facs->signature, "FACS", 4);
    facs->length = sizeof(*facs);
    facs->version = 2;

    struct acpi_fadt *fadt = (struct acpi_fadt *)(b + OFF_FADT);
    header(&fadt->h, "FACP", sizeof(*fadt), 6);
    fadt->facs = (uint32_t)(PVH_ACPI_BASE + OFF_FACS);
    fadt->dsdt = (uint32_t)(PVH_ACPI_BASE + OFF_DSDT);
    fadt->x_facs = PVH_ACPI_BASE + OFF_FACS;
    fadt->x_dsdt = PVH_ACPI_BASE + OFF_DSDT;
    fadt->sci_int = 9;
    fadt->pm1a_evt_blk = 0xb000;
    fadt->pm1a_cnt_blk = 0xb004;
    fadt->gpe0_blk = 0xafe0;
    fadt->pm1_evt_len = 4;
    fadt->pm1_cnt_len = 2;
    fadt->gpe0_blk_len = 4;
    fadt->x_pm1a_evt_blk = io_gas(0xb000, 4);
    fadt->x_pm1a_cnt_blk = io_gas(0xb004, 2);
    fadt->x_gpe0_blk = io_gas(0xafe0, 4);
    fadt->iapc_boot_arch = (1u << 2) | (1u << 5); /* no VGA, no CMOS RTC; no 8042 */
    /* WBINVD, C1, no fixed power/sleep buttons, platform clock. */
    fadt->flags = (1u << 0) | (1u << 2) | (1u << 4) | (1u << 5) | (1u << 15);
    fadt->minor_version = 0;
    fadt->h.checksum = checksum(fadt, sizeof(*fadt));

    struct acpi_xsdt3 *xsdt = (struct acpi_xsdt3 *)(b + OFF_XSDT);
    header(&xsdt->h, "XSDT", sizeof(*xsdt), 1);
    xsdt->entry[0] = PVH_ACPI_BASE + OFF_FADT;
    xsdt->entry[1] = PVH_ACPI_BASE + OFF_MADT;
    xsdt->h.checksum = checksum(xsdt, sizeof(*xsdt));

    struct acpi_rsdp *rsdp = (struct acpi_rsdp *)(b + OFF_RSDP);
    memcpy(rsdp->signature, "RSD PTR ", 8);
    memcpy(rsdp->oem_id, "BASALT", 6);
    rsdp->revision = 2;
    rsdp->length = sizeof(*rsdp);
    rsdp->xsdt = PVH_ACPI_BASE + OFF_XSDT;
    rsdp->checksum = checksum(rsdp, 20);
    rsdp->ext_checksum = checksum(rsdp, sizeof(*rsdp));

    *rsdp_gpa = PVH_ACPI_BASE + OFF_RSDP;
    return OFF_MADT + madt_len;
}
