/*
 * What every boot ends with, once the architecture has brought up memory,
 * interrupts, time and the CPUs (arch/x86/setup.c): the split of CPUs
 * between Dom0 and DomUs, console input, the boot-time domains, then the
 * scheduler on this CPU.
 */
#include <basalt/boot.h>
#include <basalt/console.h>
#include <basalt/dom0.h>
#include <basalt/domain.h>
#include <basalt/lib.h>
#include <basalt/mm.h>
#include <basalt/sched.h>

void __noreturn start_domains(void)
{
    domu_cpu_mask = guest_cpus_mask();
    if (domu_cpu_mask != all_cpus_mask())
        printk("guest vCPUs run on CPU mask %lx of %lx (guest_cpus=)\n", domu_cpu_mask, all_cpus_mask());
    if (dom0_plan.present) {
        /* Dom0's vCPUs get the first guest CPUs to themselves; DomUs the rest. */
        for (unsigned int i = 0; i < dom0_plan.nr_vcpus; i++)
            dom0_plan.cpus |= BIT(nth_cpu(domu_cpu_mask, i));
        if (domu_cpu_mask & ~dom0_plan.cpus)
            domu_cpu_mask &= ~dom0_plan.cpus;
    }

    console_start_input();
    mm_report_usage("before the boot-time domains");
    domains_boot_create();
    sched_idle_loop();
}
