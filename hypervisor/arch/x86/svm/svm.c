/*
 * SVM set-up (the boot half of the vendor seam): check the CPU can do what
 * we need (SVM with nested paging), enable it on each CPU, and build the
 * I/O and MSR permission maps that VMCBs share.
 */
#include <asm/svm.h>
#include <asm/x86.h>
#include <basalt/lib.h>
#include <basalt/mm.h>

struct svm_features svm_features;
uint8_t *svm_iopm_all_intercepted;
uint8_t *svm_msrpm_default;

#define MSRPM_ORDER 1 /* 8 KiB */

void hvm_check_support(void)
{
    struct cpuid_regs ext = cpuid(0x80000000);
    bool svm = ext.eax >= 0x8000000a && (cpuid(0x80000001).ecx & BIT(2));
    if (!svm) {
        pr_notice("no SVM: this CPU lacks AMD-V (SVM) hardware virtualization; halting\n");
        halt_forever();
    }
    if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS) {
        pr_notice("no SVM: AMD-V (SVM) is disabled by the firmware (VM_CR.SVMDIS); halting\n");
        halt_forever();
    }
    struct cpuid_regs f = cpuid(0x8000000a);
    if (!(f.edx & BIT(0))) {
        pr_notice("no NPT: this CPU's SVM lacks nested paging (NPT); halting\n");
        halt_forever();
    }
    svm_features.nr_asids = f.ebx;
    svm_features.nrip_save = f.edx & BIT(3);
    svm_features.flush_by_asid = f.edx & BIT(6);
    svm_features.decode_assists = f.edx & BIT(7);
    svm_features.pause_filter = f.edx & BIT(10);
    svm_features.npt_1g_pages = cpuid(0x80000001).edx & BIT(26);
    pr_info("SVM: %u ASIDs, nrip-save %s, flush-by-asid %s, decode assists %s\n",
            svm_features.nr_asids, svm_features.nrip_save ? "yes" : "no",
            svm_features.flush_by_asid ? "yes" : "no", svm_features.decode_assists ? "yes" : "no");
}

void svm_msrpm_set(uint8_t *msrpm, uint32_t msr, bool intercept_read, bool intercept_write)
{
    uint32_t base;
    if (msr < 0x2000)
        base = 0;
    else if (msr - 0xc0000000 < 0x2000)
        base = 0x800;
    else if (msr - 0xc0010000 < 0x2000)
        base = 0x1000;
    else
        return; /* outside the map: always intercepted */
    uint32_t bit = (msr & 0x1fff) * 2;
    uint8_t *byte = &msrpm[base + bit / 8];
    uint8_t mask = (uint8_t)(3 << (bit % 8));
    uint8_t val = (uint8_t)(((intercept_read ? 1 : 0) | (intercept_write ? 2 : 0)) << (bit % 8));
    *byte = (uint8_t)((*byte & ~mask) | val);
}

static void build_shared_maps(void)
{
    svm_iopm_all_intercepted = alloc_hv_pages(HVM_IO_BITMAP_ORDER);
    svm_msrpm_default = alloc_hv_pages(MSRPM_ORDER);
    if (!svm_iopm_all_intercepted || !svm_msrpm_default)
        panic("no memory for SVM permission maps");
    memset(svm_iopm_all_intercepted, 0xff, PAGE_SIZE << HVM_IO_BITMAP_ORDER);
    memset(svm_msrpm_default, 0xff, PAGE_SIZE << MSRPM_ORDER);
    /* State the VMCB switches for us (VMLOAD/VMSAVE or the save area). */
    static const uint32_t passthrough[] = {
        MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE, MSR_STAR, MSR_LSTAR,
        MSR_CSTAR, MSR_SFMASK, MSR_SYSENTER_CS, MSR_SYSENTER_ESP, MSR_SYSENTER_EIP,
    };
    for (unsigned int i = 0; i < ARRAY_SIZE(passthrough); i++)
        svm_msrpm_set(svm_msrpm_default, passthrough[i], false, false);
}

void hvm_cpu_init(struct pcpu *p)
{
    if (p->id == 0)
        build_shared_maps();
    p->hsave = alloc_hv_page();
    p->host_vmcb = alloc_hv_page();
    if (!p->hsave || !p->host_vmcb)
        panic("no memory for SVM state of CPU %u", p->id);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
    wrmsr(MSR_VM_HSAVE_PA, virt_to_phys(p->hsave));
    /* The host's TR, FS/GS bases and syscall MSRs, for VMLOAD after each exit. */
    paddr_t host = virt_to_phys(p->host_vmcb);
    __asm__ volatile("vmsave %%rax" ::"a"(host) : "memory");
    p->asid_next = 1;
    p->asid_generation = 1;
}
