/* xen_version: what the hypervisor is and which Xen features it offers. */
#include <basalt/boot.h>
#include <basalt/domain.h>
#include <basalt/guest_access.h>
#include <basalt/hypercall.h>
#include <basalt/lib.h>
#include <basalt/version.h>
#include <xen/features.h>
#include <xen/version.h>

static uint32_t feature_submap(const struct domain *d, uint32_t idx)
{
    if (idx != 0)
        return 0;
    uint32_t m = BIT(XENFEAT_writable_page_tables) | BIT(XENFEAT_writable_descriptor_tables) |
                 BIT(XENFEAT_auto_translated_physmap) | BIT(XENFEAT_pae_pgdir_above_4gb) |
                 BIT(XENFEAT_hvm_callback_vector) | BIT(XENFEAT_hvm_safe_pvclock) |
                 BIT(XENFEAT_not_direct_mapped);
    if (d->is_privileged)
        m |= BIT(XENFEAT_dom0);
    return m;
}

long do_xen_version(struct vcpu *v, uint64_t cmd, uint64_t arg, uint64_t a3, uint64_t a4, uint64_t a5)
{
    switch (cmd) {
    case XENVER_version:
        return (XEN_ABI_MAJOR << 16) | XEN_ABI_MINOR;
    case XENVER_extraversion: {
        xen_extraversion_t ev = { 0 };
        strlcpy(ev, XEN_ABI_EXTRAVERSION, sizeof(ev));
        return copy_to_guest(v, arg, ev, sizeof(ev));
    }
    case XENVER_compile_info: {
        xen_compile_info_t ci = { 0 };
        strlcpy(ci.compiler, "gcc", sizeof(ci.compiler));
        strlcpy(ci.compile_by, "basalt", sizeof(ci.compile_by));
        strlcpy(ci.compile_domain, "basalt", sizeof(ci.compile_domain));
        strlcpy(ci.compile_date, __DATE__, sizeof(ci.compile_date));
        return copy_to_guest(v, arg, &ci, sizeof(ci));
    }
    case XENVER_capabilities: {
        xen_capabilities_info_t caps = { 0 };
        strlcpy(caps, "hvm-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p", sizeof(caps));
        return copy_to_guest(v, arg, caps, sizeof(caps));
    }
    case XENVER_changeset: {
        xen_changeset_info_t cs = { 0 };
        strlcpy(cs, "basalt " BASALT_VERSION, sizeof(cs));
        return copy_to_guest(v, arg, cs, sizeof(cs));
    }
    case XENVER_platform_parameters: {
        xen_platform_parameters_t pp = { .virt_start = 0 };
        return copy_to_guest(v, arg, &pp, sizeof(pp));
    }
    case XENVER_get_features: {
        xen_feature_info_t fi;
        if (copy_from_guest(v, &fi, arg, sizeof(fi)))
            return -EFAULT;
        fi.submap = feature_submap(v->dom, fi.submap_idx);
        return copy_to_guest(v, arg, &fi, sizeof(fi));
    }
    case XENVER_pagesize:
        return PAGE_SIZE;
    case XENVER_guest_handle: {
        xen_domain_handle_t h;
        memcpy(h, v->dom->handle, sizeof(h));
        return copy_to_guest(v, arg, h, sizeof(h));
    }
    case XENVER_commandline: {
        if (!v->dom->is_privileged)
            return -EPERM;
        xen_commandline_t cl = { 0 };
        strlcpy(cl, boot_info.cmdline, sizeof(cl));
        return copy_to_guest(v, arg, cl, sizeof(cl));
    }
    default:
        return -ENOSYS;
    }
}
