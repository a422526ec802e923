/* platform_op: machine-wide services for Dom0 (time, CPU information). */
#include <asm/percpu.h>
#include <basalt/domain.h>
#include <basalt/guest_access.h>
#include <basalt/hypercall.h>
#include <basalt/lib.h>
#include <basalt/shared_info.h>
#include <basalt/time.h>
#include <xen/platform.h>

/* Added to the ABI after the Xen 4.17 headers Debian ships; Linux 6.1 asks. */
#ifndef XENPF_get_dom0_console
#define XENPF_get_dom0_console 64
#endif

/* Dom0 set the wall clock: every domain's shared_info follows. */
static void set_wallclock(uint64_t sec, uint32_t nsec, uint64_t system_time)
{
    /* sec.nsec is the wall time at `system_time`, not necessarily now. */
    uint64_t wall_ns_at_boot = sec * NSEC_PER_SEC + nsec - system_time;
    wallclock_boot_sec = wall_ns_at_boot / NSEC_PER_SEC;
    wallclock_boot_nsec = (uint32_t)(wall_ns_at_boot % NSEC_PER_SEC);
    for (unsigned int id = 0; id < MAX_DOMAINS; id++) {
        struct domain *d = domain_get((domid_t)id);
        if (d) {
            domain_update_wallclock(d);
            domain_put(d);
        }
    }
}

long do_platform_op(struct vcpu *v, uint64_t arg, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
    if (!v->dom->is_privileged)
        return -EPERM;
    struct xen_platform_op op;
    if (copy_from_guest(v, &op, arg, sizeof(op)))
        return -EFAULT;
    if (op.interface_version != XENPF_INTERFACE_VERSION)
        return -EACCES;
    switch (op.cmd) {
    case XENPF_settime64:
        if (op.u.settime64.mbz)
            return -EINVAL;
        set_wallclock(op.u.settime64.secs, op.u.settime64.nsecs, op.u.settime64.system_time);
        return 0;
    case XENPF_settime32:
        set_wallclock(op.u.settime32.secs, op.u.settime32.nsecs, op.u.settime32.system_time);
        return 0;
    case XENPF_get_cpuinfo: {
        struct xenpf_pcpuinfo *ci = &op.u.pcpu_info;
        ci->max_present = nr_pcpus - 1;
        if (ci->xen_cpuid >= nr_pcpus || !pcpus[ci->xen_cpuid]) {
            ci->flags = XEN_PCPU_FLAGS_INVALID;
        } else {
            struct pcpu *p = pcpus[ci->xen_cpuid];
            ci->flags = p->online ? XEN_PCPU_FLAGS_ONLINE : 0;
            ci->apic_id = p->apic_id;
            ci->acpi_id = p->acpi_id;
        }
        return copy_to_guest(v, arg, &op, sizeof(op)) ? -EFAULT : 0;
    }
    case XENPF_get_dom0_console:
        return 0; /* no VGA text console to describe */
    default:
        /* Firmware info (non-EFI), power management, CPU hotplug, microcode:
         * not offered; Linux treats each failure as "not available". */
        return -ENOSYS;
    }
}
