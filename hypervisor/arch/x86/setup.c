/*
 * The x86 boot sequence, on the bootstrap processor: console, loader
 * information, memory, interrupts, time, virtualization, the other CPUs;
 * then start_domains() (common/main.c) takes over.
 */
#include <asm/acpi.h>
#include <asm/apic.h>
#include <asm/desc.h>
#include <asm/fpu.h>
#include <asm/hvm_vendor.h>
#include <asm/smp.h>
#include <asm/x86.h>
#include <basalt/boot.h>
#include <basalt/console.h>
#include <basalt/domain.h>
#include <basalt/lib.h>
#include <basalt/mm.h>
#include <basalt/sched.h>
#include <basalt/time.h>

static unsigned int opt_cpus = MAX_CPUS;
UINT_PARAM("cpus", opt_cpus);

/*
 * Paging features the hypervisor itself does not need but enables anyway:
 * an emulator (QEMU's TCG) flushes its whole TLB whenever these CR4 bits
 * differ between host and guest, i.e. on every VMRUN and #VMEXIT if we left
 * them off while Linux guests turn them on. Harmless for us: our pages are
 * never user pages and never global.
 */
static void cr4_match_guests(void)
{
    uint64_t cr4 = read_cr4() | X86_CR4_PSE | X86_CR4_PGE;
    struct cpuid_regs f7 = cpuid_count(7, 0);
    if (f7.ebx & BIT(7))
        cr4 |= X86_CR4_SMEP;
    if (f7.ebx & BIT(20))
        cr4 |= X86_CR4_SMAP;
    write_cr4(cr4);
}

/* Per-CPU set-up shared by the BSP and the APs, after the local APIC. */
void cpu_start_common(struct pcpu *p)
{
    cr4_match_guests();
    if (p->id == 0)
        fpu_init();
    else
        fpu_cpu_init();
    hvm_cpu_init(p);
    sched_cpu_init(p);
}

void __noreturn start_basalt(uint32_t mb_magic, uint32_t mb_info)
{
    console_init();
    printk("\nbasalt: Basalt hypervisor starting\n");
    multiboot_parse(mb_magic, mb_info);
    cmdline_parse(boot_info.cmdline);
    pr_info("command line: %s\n", boot_info.cmdline);

    /* Before anything else needs it: is this machine usable at all? */
    hvm_check_support();

    paddr_t rsdp = acpi_find_rsdp(boot_info.rsdp);
    mm_init();
    domains_boot_prepare(); /* Dom0 claims its RAM before the zones are filled */
    mm_populate_zones();

    idt_init();
    struct pcpu *bsp = pcpu_create(0, 0, 0);
    nr_pcpus = 1;
    cpu_desc_init(bsp);

    acpi_init(rsdp);
    lapic_init();
    bsp->apic_id = lapic_id();
    for (unsigned int i = 0; i < acpi.nr_cpus; i++)
        if (acpi.cpus[i].apic_id == bsp->apic_id)
            bsp->acpi_id = acpi.cpus[i].acpi_id;
    ioapic_init();
    time_init();
    lapic_timer_calibrate();
    smp_init_ipis();
    pr_info("memory: hypervisor %lu MiB, domain pool %lu MiB\n",
            zone_total_pages(ZONE_HV) >> 8, zone_free_pages(ZONE_POOL) >> 8);
    pr_notice("domain pool: %lu pages free\n", zone_free_pages(ZONE_POOL));

    sched_init();
    cpu_start_common(bsp);
    bsp->online = true;

    unsigned int want = MIN(MAX(opt_cpus, 1u), (unsigned int)MAX(acpi.nr_cpus, 1u));
    unsigned int online = smp_boot_cpus(want);
    pr_notice("cpus online %u/%u (svm+npt)\n", online, want);
    start_domains();
}
