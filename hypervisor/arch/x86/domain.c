/*
 * The arch hooks common code calls (basalt/arch.h): the x86 parts of a
 * domain and of a vCPU, built and torn down through hvm/ and the vendor
 * seam.
 */
#include <asm/fpu.h>
#include <asm/hvm_vendor.h>
#include <asm/ioport.h>
#include <asm/vioapic.h>
#include <asm/vlapic.h>
#include <basalt/arch.h>
#include <basalt/dom0.h>
#include <basalt/domain.h>
#include <basalt/lib.h>

int arch_domain_create(struct domain *d, const struct domain_config *cfg)
{
    if (cfg->hardware_domain) {
        int rc = dom0_io_init(d);
        return rc ? rc : vioapic_domain_init(d);
    }
    return hvm_domu_ioports_init(d);
}

void arch_domain_destroy(struct domain *d)
{
    vioapic_domain_destroy(d);
    ioport_free_bitmap(d);
}

int arch_vcpu_create(struct vcpu *v)
{
    /* The control block first: resetting the local APIC writes its TPR. */
    int rc = hvm_vcpu_vendor_init(v);
    if (!rc)
        rc = fpu_vcpu_init(v);
    if (!rc)
        rc = vlapic_init(v);
    if (rc) {
        arch_vcpu_destroy(v);
        return rc;
    }
    v->arch.apic_base_msr = VLAPIC_BASE | BIT(11) | (v->id == 0 ? BIT(8) : 0);
    v->arch.mtrr_def_type = 0xc06; /* enabled, fixed ranges enabled, default WB */
    return 0;
}

void arch_vcpu_destroy(struct vcpu *v)
{
    vlapic_destroy(v);
    fpu_vcpu_destroy(v);
    hvm_vcpu_vendor_destroy(v);
}

bool arch_vcpu_in_guest(const struct vcpu *v, uint64_t *entry)
{
    *entry = READ_ONCE(v->arch.entry_seq);
    return READ_ONCE(v->arch.in_guest);
}

bool arch_vcpu_interrupt_pending(struct vcpu *v)
{
    return vlapic_has_pending(v) || v->arch.nmi_pending || READ_ONCE(v->arch.init_pending);
}

void arch_vcpu_dump(struct vcpu *v)
{
    hvm_dump_exit_stats(v);
}
