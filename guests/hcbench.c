/* Hypercall throughput: a tight xen_version loop, timed with the TSC. */
#include "common/guest.h"

int guest_main_entry(const struct hvm_start_info *si)
{
    uint64_t khz = guest_tsc_khz();
    uint64_t n = guest_arg_u64("iterations", 20000);
    if (!khz) {
        guest_printf("hcbench: no TSC frequency from CPUID 0x40000003\n");
        return 1;
    }
    hypercall2(__HYPERVISOR_xen_version, XENVER_version, 0); /* warm up */
    uint64_t start = rdtsc();
    for (uint64_t i = 0; i < n; i++)
        hypercall2(__HYPERVISOR_xen_version, XENVER_version, 0);
    uint64_t cycles = rdtsc() - start;
    uint64_t us = cycles * 1000 / khz;
    guest_printf("hcbench: %lu hypercalls in %lu us: %lu hypercalls/s\n", n, us,
                 us ? n * 1000000 / us : 0);
    return 0;
}
