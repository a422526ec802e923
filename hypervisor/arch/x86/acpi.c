/*
 * Reads the firmware's ACPI tables: the MADT for CPUs, IOAPICs and ISA
 * interrupt overrides; the FADT and the DSDT's \_S5 for power-off and reset.
 */
#include <asm/acpi.h>
#include <asm/x86.h>
#include <basalt/lib.h>
#include <basalt/mm.h>

struct acpi_info acpi;

uint8_t acpi_checksum(const void *p, size_t len)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++)
        sum += ((const uint8_t *)p)[i];
    return sum;
}

bool acpi_checksum_ok(const void *p, size_t len)
{
    return acpi_checksum(p, len) == 0;
}

static paddr_t scan_rsdp(paddr_t start, paddr_t end)
{
    for (paddr_t p = start; p + 20 <= end; p += 16) {
        const struct acpi_rsdp *r = phys_to_virt(p);
        if (!memcmp(r->signature, "RSD PTR ", 8) && acpi_checksum_ok(r, 20))
            return p;
    }
    return 0;
}

/* Called while the boot identity map still covers page 0 (the BDA). */
paddr_t acpi_find_rsdp(paddr_t hint)
{
    if (hint)
        return hint;
    /* The BIOS data area's EBDA segment; hidden from the compiler, which
     * otherwise treats a fixed low address as a null-pointer access. */
    uintptr_t bda = 0x40e;
    __asm__("" : "+r"(bda));
    paddr_t ebda = (paddr_t)*(volatile uint16_t *)bda << 4;
    paddr_t r = 0;
    if (ebda >= 0x80000 && ebda < 0xa0000)
        r = scan_rsdp(ebda, ebda + 1024);
    return r ? r : scan_rsdp(0xe0000, 0x100000);
}

static const struct acpi_header *table_at(paddr_t pa)
{
    const struct acpi_header *h = phys_to_virt(pa);
    if (!pa || h->length < sizeof(*h) || !acpi_checksum_ok(h, h->length))
        return NULL;
    return h;
}

const struct acpi_header *acpi_find_table(const char sig[4])
{
    const struct acpi_rsdp *rsdp = phys_to_virt(acpi.rsdp);
    bool x = rsdp->revision >= 2 && rsdp->xsdt;
    const struct acpi_header *root = table_at(x ? rsdp->xsdt : rsdp->rsdt);
    if (!root)
        return NULL;
    size_t esize = x ? 8 : 4;
    size_t n = (root->length - sizeof(*root)) / esize;
    const uint8_t *entries = (const uint8_t *)(root + 1);
    for (size_t i = 0; i < n; i++) {
        paddr_t pa = 0;
        memcpy(&pa, entries + i * esize, esize);
        const struct acpi_header *h = table_at(pa);
        if (h && !memcmp(h->signature, sig, 4))
            return h;
    }
    return NULL;
}

static void parse_madt(const struct acpi_madt *madt)
{
    acpi.lapic_addr = madt->lapic_addr;
    for (unsigned int i = 0; i < MAX_ISA_IRQS; i++)
        acpi.isa[i] = (struct isa_irq){ .gsi = i };

    const uint8_t *p = (const uint8_t *)(madt + 1);
    const uint8_t *end = (const uint8_t *)madt + madt->h.length;
    while (p + 2 <= end) {
        const struct madt_entry *e = (const void *)p;
        if (e->length < 2 || p + e->length > end)
            break;
        switch (e->type) {
        case MADT_LAPIC: {
            const struct madt_lapic *l = (const void *)e;
            if ((l->flags & 1) && acpi.nr_cpus < ARRAY_SIZE(acpi.cpus))
                acpi.cpus[acpi.nr_cpus++] = (struct cpu_entry){ l->apic_id, l->acpi_id };
            break;
        }
        case MADT_X2APIC: {
            const struct madt_x2apic *l = (const void *)e;
            if ((l->flags & 1) && acpi.nr_cpus < ARRAY_SIZE(acpi.cpus))
                acpi.cpus[acpi.nr_cpus++] = (struct cpu_entry){ l->x2apic_id, l->acpi_id };
            break;
        }
        case MADT_IOAPIC: {
            const struct madt_ioapic *io = (const void *)e;
            if (acpi.nr_ioapics < MAX_IOAPICS)
                acpi.ioapics[acpi.nr_ioapics++] =
                    (struct ioapic_info){ io->id, io->addr, io->gsi_base, 0 };
            break;
        }
        case MADT_ISO: {
            const struct madt_iso *iso = (const void *)e;
            if (iso->bus == 0 && iso->source < MAX_ISA_IRQS) {
                struct isa_irq *irq = &acpi.isa[iso->source];
                irq->gsi = iso->gsi;
                irq->active_low = (iso->flags & 3) == 3;
                irq->level = ((iso->flags >> 2) & 3) == 3;
            }
            break;
        }
        case MADT_LAPIC_OVERRIDE:
            acpi.lapic_addr = *(const uint64_t *)(p + 4);
            break;
        }
        p += e->length;
    }
}

/* Finds "_S5_" Name(Package(){a, b, ...}) in the DSDT's AML. */
static void find_s5(const struct acpi_header *dsdt)
{
    acpi.s5_slp_typ_a = acpi.s5_slp_typ_b = -1;
    if (!dsdt)
        return;
    const uint8_t *p = (const uint8_t *)(dsdt + 1);
    const uint8_t *end = (const uint8_t *)dsdt + dsdt->length;
    for (; p + 8 < end; p++) {
        if (memcmp(p, "_S5_", 4) || !(p[-1] == 0x08 || (p[-2] == 0x08 && p[-1] == '\\')))
            continue;
        const uint8_t *q = p + 4;
        if (*q++ != 0x12) /* PackageOp */
            continue;
        q += ((*q >> 6) & 3) + 1; /* PkgLength */
        q++;                      /* NumElements */
        int vals[2];
        for (int i = 0; i < 2 && q < end; i++) {
            if (*q == 0x0a) { /* BytePrefix */
                vals[i] = q[1];
                q += 2;
            } else if (*q == 0x00 || *q == 0x01) { /* Zero, One */
                vals[i] = *q++;
            } else {
                vals[i] = *q++ & 7;
            }
        }
        acpi.s5_slp_typ_a = vals[0];
        acpi.s5_slp_typ_b = vals[1];
        return;
    }
}

void acpi_init(paddr_t rsdp)
{
    acpi.rsdp = rsdp;
    if (!rsdp)
        panic("no ACPI tables (RSDP not found): cannot find the CPUs");
    acpi.madt = (const struct acpi_madt *)acpi_find_table("APIC");
    if (!acpi.madt)
        panic("no ACPI MADT: cannot find the CPUs");
    parse_madt(acpi.madt);
    acpi.fadt = (const struct acpi_fadt *)acpi_find_table("FACP");
    if (acpi.fadt) {
        paddr_t dsdt = acpi.fadt->h.length >= offsetof(struct acpi_fadt, x_dsdt) + 8 &&
                               acpi.fadt->x_dsdt
                           ? acpi.fadt->x_dsdt
                           : acpi.fadt->dsdt;
        find_s5(table_at(dsdt));
    }
}

void acpi_power_off(void)
{
    const struct acpi_fadt *f = acpi.fadt;
    if (!f || !f->pm1a_cnt_blk || acpi.s5_slp_typ_a < 0)
        return;
    outw((uint16_t)f->pm1a_cnt_blk, (uint16_t)((acpi.s5_slp_typ_a << 10) | BIT(13)));
    if (f->pm1b_cnt_blk)
        outw((uint16_t)f->pm1b_cnt_blk, (uint16_t)((acpi.s5_slp_typ_b << 10) | BIT(13)));
}

void acpi_reset(void)
{
    const struct acpi_fadt *f = acpi.fadt;
    if (f && f->h.length >= offsetof(struct acpi_fadt, reset_value) + 1 &&
        (f->flags & FADT_RESET_REG_SUP) && f->reset_reg.space_id == 1)
        outb((uint16_t)f->reset_reg.address, f->reset_value);
    outb(0xcf9, 0x02);
    outb(0xcf9, 0x06);
    outb(0x64, 0xfe);
}
