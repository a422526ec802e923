/*
 * The hypervisor itself never uses FPU or vector registers (it is built with
 * -mgeneral-regs-only), so a guest's state can stay in the registers while
 * we handle its exits; it is saved only when another vCPU takes the CPU.
 */
#include <asm/fpu.h>
#include <asm/hvm_exits.h>
#include <asm/hvm_vendor.h>
#include <asm/x86.h>
#include <basalt/domain.h>
#include <basalt/lib.h>
#include <basalt/mm.h>

static bool has_xsave;
static uint32_t xsave_size = 512;
static uint32_t mxcsr_mask = 0xffbf; /* the architectural default when FXSAVE reports 0 */
uint64_t host_xcr0_mask = 0x3; /* x87 | SSE */

#define XCR0_X87 BIT(0)
#define XCR0_SSE BIT(1)
#define XCR0_AVX BIT(2)

void fpu_init(void)
{
    has_xsave = cpuid(1).ecx & BIT(26);
    if (has_xsave) {
        struct cpuid_regs d = cpuid_count(0xd, 0);
        /* Offer the guest the user-state components (x87, SSE, AVX, AVX-512,
         * PKRU); supervisor components need MSR state we do not switch. */
        host_xcr0_mask = (((uint64_t)d.edx << 32) | d.eax) & 0x2ff;
    }
    fpu_cpu_init();
    if (has_xsave)
        xsave_size = cpuid_count(0xd, 0).ecx;
    static uint8_t fx[512] __attribute__((aligned(16)));
    __asm__ volatile("fxsave64 (%0)" ::"r"(fx) : "memory");
    if (*(uint32_t *)(fx + 28))
        mxcsr_mask = *(uint32_t *)(fx + 28);
}

void fpu_cpu_init(void)
{
    uint64_t cr4 = read_cr4() | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
    if (has_xsave)
        cr4 |= X86_CR4_OSXSAVE;
    write_cr4(cr4);
    if (has_xsave)
        write_xcr0(host_xcr0_mask);
    uint64_t cr0 = read_cr0();
    write_cr0((cr0 & ~(X86_CR0_EM | X86_CR0_TS)) | X86_CR0_MP | X86_CR0_NE);
}

int fpu_vcpu_init(struct vcpu *v)
{
    uint8_t *area = alloc_hv_pages(order_for_size(xsave_size));
    if (!area)
        return -ENOMEM;
    /* Reset state: FCW 0x37f and MXCSR 0x1f80; the xsave header is zero,
     * so every other component loads in its initial configuration. */
    *(uint16_t *)(area + 0) = 0x37f;
    *(uint32_t *)(area + 24) = 0x1f80;
    v->arch.xsave_area = area;
    v->arch.xcr0 = XCR0_X87;
    return 0;
}

void fpu_vcpu_destroy(struct vcpu *v)
{
    free_hv_pages(v->arch.xsave_area, order_for_size(xsave_size));
    v->arch.xsave_area = NULL;
}

void fpu_load(struct vcpu *v)
{
    void *area = v->arch.xsave_area;
    if (has_xsave) {
        write_xcr0(host_xcr0_mask);
        __asm__ volatile("xrstor64 (%0)" ::"r"(area), "a"(0xffffffff), "d"(0xffffffff) : "memory");
        write_xcr0(v->arch.xcr0);
    } else {
        __asm__ volatile("fxrstor64 (%0)" ::"r"(area) : "memory");
    }
}

void fpu_save(struct vcpu *v)
{
    void *area = v->arch.xsave_area;
    if (has_xsave) {
        /* XCR0 is guest state: QEMU's TCG does not intercept XSETBV, so the
         * guest may have changed it behind our back. Keep what it set. */
        v->arch.xcr0 = read_xcr0();
        /* XSAVE with the host mask so components the guest disabled since
         * loading are written as "initial" rather than left stale. */
        write_xcr0(host_xcr0_mask);
        __asm__ volatile("xsave64 (%0)" ::"r"(area), "a"(0xffffffff), "d"(0xffffffff) : "memory");
    } else {
        __asm__ volatile("fxsave64 (%0)" ::"r"(area) : "memory");
    }
}

bool fpu_xcr0_valid(uint64_t xcr0)
{
    if (!has_xsave || !(xcr0 & XCR0_X87) || (xcr0 & ~host_xcr0_mask))
        return false;
    if ((xcr0 & XCR0_AVX) && !(xcr0 & XCR0_SSE))
        return false;
    /* AVX-512 components (5-7) come as a set and need AVX. */
    uint64_t avx512 = xcr0 & 0xe0;
    return !avx512 || (avx512 == 0xe0 && (xcr0 & XCR0_AVX));
}

uint32_t fpu_area_size(void)
{
    return xsave_size;
}

/* What XRSTOR (FXRSTOR) would fault on, checked before it runs in the
 * hypervisor: MXCSR bits this CPU lacks, and in the XSAVE header
 * components it does not offer, the compacted format, reserved bytes. */
bool fpu_area_valid(const uint8_t *area, uint32_t size, uint64_t xcr0)
{
    if (size != xsave_size || (*(const uint32_t *)(area + 24) & ~mxcsr_mask))
        return false;
    if (!has_xsave)
        return xcr0 == XCR0_X87;
    if (!fpu_xcr0_valid(xcr0))
        return false;
    const uint64_t *hdr = (const uint64_t *)(area + 512);
    if (hdr[0] & ~host_xcr0_mask || hdr[1])
        return false;
    for (unsigned int i = 2; i < 8; i++)
        if (hdr[i])
            return false;
    return true;
}

void fpu_copy_area(struct vcpu *v, uint8_t *out, bool to_vcpu)
{
    if (to_vcpu)
        memcpy(v->arch.xsave_area, out, xsave_size);
    else
        memcpy(out, v->arch.xsave_area, xsave_size);
}

bool fpu_set_xcr0(struct vcpu *v, uint64_t xcr0)
{
    if (!fpu_xcr0_valid(xcr0))
        return false;
    v->arch.xcr0 = xcr0;
    write_xcr0(xcr0);
    return true;
}

void hvm_handle_xsetbv(struct vcpu *v)
{
    uint64_t val = (hvm_get_gpr(v, HVM_REG_RAX) & 0xffffffff) | (hvm_get_gpr(v, HVM_REG_RDX) << 32);
    if (hvm_get_cpl(v) != 0 || (hvm_get_gpr(v, HVM_REG_RCX) & 0xffffffff) != 0 || !fpu_set_xcr0(v, val)) {
        hvm_inject_gp(v);
        return;
    }
    hvm_skip_insn(v);
}
