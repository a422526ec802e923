/*
 * Physical IOAPICs. The hypervisor owns them: every pin starts masked; a pin
 * is routed when the hypervisor itself needs it (the serial line) or when a
 * domain's virtual IOAPIC unmasks the matching GSI.
 */
#include <asm/acpi.h>
#include <asm/apic.h>
#include <asm/x86.h>
#include <basalt/lib.h>
#include <basalt/mm.h>
#include <basalt/spinlock.h>

static spinlock_t ioapic_lock = SPINLOCK_INIT;

static volatile uint32_t *regs_of(const struct ioapic_info *io)
{
    return ioremap(io->addr, 0x20);
}

static uint32_t io_read(const struct ioapic_info *io, uint32_t reg)
{
    volatile uint32_t *r = regs_of(io);
    r[0] = reg;
    return r[4];
}

static void io_write(const struct ioapic_info *io, uint32_t reg, uint32_t v)
{
    volatile uint32_t *r = regs_of(io);
    r[0] = reg;
    r[4] = v;
}

static struct ioapic_info *ioapic_for(uint32_t gsi, uint32_t *pin)
{
    for (unsigned int i = 0; i < acpi.nr_ioapics; i++) {
        struct ioapic_info *io = &acpi.ioapics[i];
        if (gsi >= io->gsi_base && gsi < io->gsi_base + io->nr_pins) {
            *pin = gsi - io->gsi_base;
            return io;
        }
    }
    return NULL;
}

void pic_disable(void)
{
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
}

void ioapic_init(void)
{
    pic_disable();
    for (unsigned int i = 0; i < acpi.nr_ioapics; i++) {
        struct ioapic_info *io = &acpi.ioapics[i];
        io->nr_pins = ((io_read(io, 1) >> 16) & 0xff) + 1;
        for (uint32_t pin = 0; pin < io->nr_pins; pin++) {
            io_write(io, 0x10 + 2 * pin, BIT(16));
            io_write(io, 0x11 + 2 * pin, 0);
        }
    }
}

uint32_t ioapic_nr_gsis(void)
{
    uint32_t n = 0;
    for (unsigned int i = 0; i < acpi.nr_ioapics; i++)
        n = MAX(n, acpi.ioapics[i].gsi_base + acpi.ioapics[i].nr_pins);
    return n;
}

void ioapic_route(uint32_t gsi, uint8_t vector, uint32_t dest_apic, bool level, bool active_low)
{
    uint32_t pin;
    struct ioapic_info *io = ioapic_for(gsi, &pin);
    if (!io)
        return;
    uint64_t flags = spin_lock_irqsave(&ioapic_lock);
    io_write(io, 0x11 + 2 * pin, dest_apic << 24);
    io_write(io, 0x10 + 2 * pin,
             vector | (active_low ? BIT(13) : 0) | (level ? BIT(15) : 0));
    spin_unlock_irqrestore(&ioapic_lock, flags);
}

void ioapic_mask(uint32_t gsi, bool masked)
{
    uint32_t pin;
    struct ioapic_info *io = ioapic_for(gsi, &pin);
    if (!io)
        return;
    uint64_t flags = spin_lock_irqsave(&ioapic_lock);
    uint32_t lo = io_read(io, 0x10 + 2 * pin);
    io_write(io, 0x10 + 2 * pin, masked ? lo | BIT(16) : lo & ~(uint32_t)BIT(16));
    spin_unlock_irqrestore(&ioapic_lock, flags);
}
