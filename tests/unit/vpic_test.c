/*
 * Host unit test of an HVM domain's 8259A pair (hypervisor/arch/x86/hvm/
 * vpic.c), driven through its port interface as a BIOS and an OS drive it:
 * initialization words, masks, priorities and EOIs, the cascade, level
 * triggering through the ELCR, auto-EOI, poll mode and rotation.
 */
#include <stdint.h>
#include <stdio.h>

#include "hypervisor/arch/x86/hvm/vpic.c"
#include "tests/lib/tap.h"

static struct vpic pic[2];

/* The BIOS's set-up: vectors 0x08 and 0x70, cascade on IRQ 2, ICW4 8086
 * mode (`icw4` adds auto-EOI and the like), everything unmasked. */
static void init_pair(uint8_t icw4)
{
    vpic_reset(pic);
    vpic_write(pic, 0, false, 0x11);
    vpic_write(pic, 0, true, 0x08);
    vpic_write(pic, 0, true, 0x04);
    vpic_write(pic, 0, true, icw4);
    vpic_write(pic, 1, false, 0x11);
    vpic_write(pic, 1, true, 0x70);
    vpic_write(pic, 1, true, 0x02);
    vpic_write(pic, 1, true, icw4);
    vpic_write(pic, 0, true, 0x00);
    vpic_write(pic, 1, true, 0x00);
}

/* A pulse on an edge-triggered line. */
static void pulse(unsigned int irq)
{
    vpic_set_irq_level(pic, irq, true);
    vpic_set_irq_level(pic, irq, false);
}

static uint8_t read_isr(unsigned int which)
{
    vpic_write(pic, which, false, 0x0b); /* OCW3: read ISR */
    uint8_t isr = vpic_read(pic, which, false);
    vpic_write(pic, which, false, 0x0a); /* back to IRR */
    return isr;
}

int main(void)
{
    TAP_PLAN(17);

    init_pair(0x01);
    CHECK("after initialization: no request, no output, masks read back",
          !pic[0].int_output && vpic_intack(pic) == -1 && vpic_read(pic, 0, true) == 0x00, "imr %#x",
          vpic_read(pic, 0, true));

    pulse(0);
    CHECK("an edge on IRQ 0 raises the output and INTA gives vector 0x08",
          pic[0].int_output && vpic_intack(pic) == 0x08, "output %d", pic[0].int_output);
    CHECK("... IRQ 0 is then in service, no longer requested",
          read_isr(0) == 0x01 && vpic_read(pic, 0, false) == 0x00 && !pic[0].int_output, "isr %#x",
          read_isr(0));

    pulse(3);
    CHECK("a lower-priority IRQ 3 waits while IRQ 0 is in service", !pic[0].int_output && vpic_intack(pic) == -1,
          "output %d", pic[0].int_output);
    vpic_write(pic, 0, false, 0x20); /* non-specific EOI */
    CHECK("after the EOI of IRQ 0, IRQ 3 is delivered (vector 0x0b)",
          pic[0].int_output && vpic_intack(pic) == 0x0b && read_isr(0) == 0x08, "isr %#x", read_isr(0));
    pulse(1);
    CHECK("a higher-priority IRQ 1 interrupts IRQ 3's service",
          pic[0].int_output && vpic_intack(pic) == 0x09 && read_isr(0) == 0x0a, "isr %#x", read_isr(0));
    vpic_write(pic, 0, false, 0x63); /* specific EOI, IRQ 3 */
    CHECK("a specific EOI ends IRQ 3 and leaves IRQ 1 in service", read_isr(0) == 0x02, "isr %#x", read_isr(0));
    vpic_write(pic, 0, false, 0x20);

    vpic_write(pic, 0, true, 0x10); /* mask IRQ 4 */
    pulse(4);
    CHECK("a masked IRQ stays requested without output",
          !pic[0].int_output && (vpic_read(pic, 0, false) & 0x10) && vpic_read(pic, 0, true) == 0x10, "irr %#x",
          vpic_read(pic, 0, false));
    vpic_write(pic, 0, true, 0x00);
    CHECK("unmasking delivers it", pic[0].int_output && vpic_intack(pic) == 0x0c, "output %d", pic[0].int_output);
    vpic_write(pic, 0, false, 0x20);

    init_pair(0x01);
    pulse(8);
    CHECK("IRQ 8 goes through the cascade: INTA gives the slave's vector 0x70",
          pic[0].int_output && vpic_intack(pic) == 0x70, "output %d", pic[0].int_output);
    CHECK("... with IRQ 2 in service at the master and IRQ 0 at the slave", read_isr(0) == 0x04 && read_isr(1) == 0x01,
          "isr %#x/%#x", read_isr(0), read_isr(1));
    vpic_write(pic, 1, false, 0x20);
    vpic_write(pic, 0, false, 0x20);

    vpic_elcr_write(pic, 1, 0xff);
    vpic_elcr_write(pic, 0, 0xff);
    CHECK("ELCR: IRQs 0-2, 8 and 13 cannot be level-triggered",
          vpic_elcr_read(pic, 0) == 0xf8 && vpic_elcr_read(pic, 1) == 0xde, "elcr %#x/%#x", vpic_elcr_read(pic, 0),
          vpic_elcr_read(pic, 1));
    vpic_elcr_write(pic, 1, 0x04); /* IRQ 10 level */
    vpic_set_irq_level(pic, 10, true);
    int first = vpic_intack(pic);
    vpic_write(pic, 1, false, 0x20);
    vpic_write(pic, 0, false, 0x20);
    CHECK("a level-triggered IRQ 10 still up after its EOI is requested again",
          first == 0x72 && pic[0].int_output && vpic_intack(pic) == 0x72, "first %#x", first);
    vpic_write(pic, 1, false, 0x20);
    vpic_write(pic, 0, false, 0x20);
    vpic_set_irq_level(pic, 10, false);
    CHECK("... and not once the line is down", !pic[0].int_output && vpic_intack(pic) == -1, "output %d",
          pic[0].int_output);

    init_pair(0x03); /* auto-EOI */
    pulse(5);
    int v = vpic_intack(pic);
    CHECK("auto-EOI: nothing stays in service after INTA", v == 0x0d && read_isr(0) == 0x00, "vector %#x isr %#x", v,
          read_isr(0));

    init_pair(0x01);
    pulse(6);
    vpic_write(pic, 0, false, 0x0c); /* OCW3: poll */
    uint8_t polled = vpic_read(pic, 0, false);
    CHECK("poll mode: the read names IRQ 6 and puts it in service", polled == 0x86 && read_isr(0) == 0x40,
          "poll %#x", polled);
    vpic_write(pic, 0, false, 0x20);

    vpic_write(pic, 0, false, 0xc4); /* set priority: IRQ 4 lowest, so IRQ 5 highest */
    pulse(3);
    pulse(5);
    v = vpic_intack(pic);
    CHECK("rotated priorities: with IRQ 4 the lowest, IRQ 5 wins over IRQ 3", v == 0x0d, "vector %#x", v);

    TAP_EXIT();
}
