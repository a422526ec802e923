/*
 * The ACPI tables Dom0 boots from: a new RSDP and XSDT that list a new MADT
 * (Dom0's vCPUs, the machine's IOAPICs and interrupt overrides) and those
 * firmware tables Dom0 should see. Tables describing what the hypervisor
 * owns or hides (the real MADT, HPET, IOMMUs, NUMA affinity) are left out.
 */
#include <asm/acpi.h>
#include <basalt/dom0.h>
#include <basalt/lib.h>
#include <basalt/mm.h>

static const char *const passed_through[] = {
    "FACP", "SSDT", "PSDT", "SBST", "MCFG", "SLIC", "MSDM", "WDAT", "FPDT", "S3PT", "VFCT",
};

static bool allowed(const char sig[4])
{
    if (!memcmp(sig, "OEM", 3))
        return true;
    for (unsigned int i = 0; i < ARRAY_SIZE(passed_through); i++)
        if (!memcmp(sig, passed_through[i], 4))
            return true;
    return false;
}

static void finish(struct acpi_header *h, uint32_t len)
{
    h->length = len;
    h->checksum = 0;
    h->checksum = (uint8_t)-acpi_checksum(h, len);
}

paddr_t dom0_build_acpi(void *buf, size_t len, paddr_t gpa, unsigned int nr_vcpus)
{
    uint8_t *b = buf;
    memset(b, 0, len);
    const struct acpi_rsdp *host_rsdp = phys_to_virt(acpi.rsdp);
    bool x = host_rsdp->revision >= 2 && host_rsdp->xsdt;
    const struct acpi_header *root = phys_to_virt(x ? host_rsdp->xsdt : host_rsdp->rsdt);
    size_t esize = x ? 8 : 4, nroot = (root->length - sizeof(*root)) / esize;

    /* MADT */
    size_t off = 64;
    struct acpi_madt *madt = (struct acpi_madt *)(b + off);
    uint8_t *p = (uint8_t *)(madt + 1);
    memcpy(&madt->h, &acpi.madt->h, sizeof(madt->h));
    madt->h.revision = MIN(acpi.madt->h.revision, (uint8_t)4);
    madt->lapic_addr = 0xfee00000;
    madt->flags = 0; /* no 8259s to mask: the hypervisor keeps them masked */
    for (unsigned int i = 0; i < acpi.nr_ioapics; i++) {
        struct madt_ioapic *io = (struct madt_ioapic *)p;
        *io = (struct madt_ioapic){ { MADT_IOAPIC, sizeof(*io) }, acpi.ioapics[i].id, 0,
                                    (uint32_t)acpi.ioapics[i].addr, acpi.ioapics[i].gsi_base };
        p += sizeof(*io);
    }
    for (unsigned int i = 0; i < nr_vcpus; i++) {
        struct madt_lapic *l = (struct madt_lapic *)p;
        *l = (struct madt_lapic){ { MADT_LAPIC, sizeof(*l) }, (uint8_t)i, (uint8_t)i, 1 };
        p += sizeof(*l);
    }
    /* The firmware's interrupt source overrides, verbatim. */
    const uint8_t *q = (const uint8_t *)(acpi.madt + 1);
    const uint8_t *qend = (const uint8_t *)acpi.madt + acpi.madt->h.length;
    while (q + 2 <= qend && q[1] >= 2 && q + q[1] <= qend) {
        if (q[0] == MADT_ISO) {
            if (p + q[1] > b + len)
                return 0;
            memcpy(p, q, q[1]);
            p += q[1];
        }
        q += q[1];
    }
    finish(&madt->h, (uint32_t)(p - (uint8_t *)madt));
    paddr_t madt_gpa = gpa + off;
    off = ALIGN_UP((size_t)(p - b), 16);

    /* XSDT: our MADT first, then the firmware tables Dom0 may see. */
    struct acpi_header *xsdt = (struct acpi_header *)(b + off);
    memcpy(xsdt, root, sizeof(*xsdt));
    memcpy(xsdt->signature, "XSDT", 4);
    xsdt->revision = 1;
    uint64_t *entry = (uint64_t *)(xsdt + 1);
    unsigned int n = 0;
    entry[n++] = madt_gpa;
    for (size_t i = 0; i < nroot; i++) {
        paddr_t pa = 0;
        memcpy(&pa, (const uint8_t *)(root + 1) + i * esize, esize);
        const struct acpi_header *h = phys_to_virt(pa);
        if (!pa || !allowed(h->signature))
            continue;
        if ((uint8_t *)&entry[n + 1] > b + len)
            return 0;
        entry[n++] = pa;
    }
    finish(xsdt, (uint32_t)(sizeof(*xsdt) + n * 8));
    paddr_t xsdt_gpa = gpa + off;

    /* RSDP at the start of the page. */
    struct acpi_rsdp *rsdp = (struct acpi_rsdp *)b;
    memcpy(rsdp->signature, "RSD PTR ", 8);
    memcpy(rsdp->oem_id, host_rsdp->oem_id, 6);
    rsdp->revision = 2;
    rsdp->length = sizeof(*rsdp);
    rsdp->xsdt = xsdt_gpa;
    rsdp->checksum = (uint8_t)-acpi_checksum(rsdp, 20);
    rsdp->ext_checksum = (uint8_t)-acpi_checksum(rsdp, sizeof(*rsdp));
    return gpa;
}
