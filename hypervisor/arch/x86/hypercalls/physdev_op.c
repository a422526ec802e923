/*
 * physdev_op for Dom0. PCI devices are Dom0's and their configuration space
 * is passed through, so announcing devices and MMCONFIG regions needs no
 * action; answering success keeps Linux from warning once per device.
 */
#include <basalt/domain.h>
#include <basalt/hypercall.h>
#include <basalt/lib.h>
#include <xen/physdev.h>

long do_physdev_op(struct vcpu *v, uint64_t cmd, uint64_t arg, uint64_t a3, uint64_t a4, uint64_t a5)
{
    if (!v->dom->is_privileged)
        return -EPERM;
    switch (cmd) {
    case PHYSDEVOP_pci_mmcfg_reserved:
    case PHYSDEVOP_pci_device_add:
    case PHYSDEVOP_pci_device_remove:
    case PHYSDEVOP_manage_pci_add:
    case PHYSDEVOP_manage_pci_remove:
    case PHYSDEVOP_manage_pci_add_ext:
        return 0;
    default:
        /* No pirqs on PVH (XENFEAT_hvm_pirqs is off), no debug port. */
        return -ENOSYS;
    }
}
