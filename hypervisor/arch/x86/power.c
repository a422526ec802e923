/* Powering the machine off or resetting it. */
#include <asm/acpi.h>
#include <asm/x86.h>
#include <basalt/lib.h>
#include <basalt/time.h>

void machine_power_off(void)
{
    acpi_power_off();
    mdelay(100);
    pr_err("ACPI power-off did not work; halting\n");
    halt_forever();
}

void machine_restart(void)
{
    acpi_reset();
    mdelay(100);
    /* Last resort: a triple fault resets the CPU. */
    static const struct {
        uint16_t limit;
        uint64_t base;
    } __packed empty = { 0, 0 };
    __asm__ volatile("lidt %0; int3" ::"m"(empty));
    halt_forever();
}
