/* AMD SVM: feature detection, per-CPU enablement, running a vCPU. */
#ifndef ASM_SVM_H
#define ASM_SVM_H

#include <asm/percpu.h>
#include <asm/regs.h>
#include <asm/vmcb.h>

struct svm_features {
    bool nrip_save;       /* VMCB.nrip filled on exits */
    bool flush_by_asid;
    bool decode_assists;
    bool pause_filter;
    bool npt_1g_pages;    /* 1 GiB leaves in nested page tables */
    uint32_t nr_asids;
};

extern struct svm_features svm_features;
extern uint8_t *iopm_all_intercepted; /* shared IOPM for domains with no port access */
extern uint8_t *msrpm_default;        /* shared MSRPM */

/* Halts with one line saying what is missing if SVM or NPT is unusable. */
void svm_check_support(void);
void svm_cpu_init(struct pcpu *p);

/* Defined in vmrun.S: enters the guest; returns at #VMEXIT with GIF=0. */
void svm_vmrun(struct guest_gprs *gprs, paddr_t vmcb_pa, paddr_t host_vmcb_pa);
/* The instruction after VMRUN in svm_vmrun: the RIP of the host's state. */
extern const char svm_vmrun_return[];

static inline void svm_clgi(void) { __asm__ volatile("clgi" ::: "memory"); }
static inline void svm_stgi(void) { __asm__ volatile("stgi" ::: "memory"); }

/* MSR permission map helpers: intercept (true) or pass through. */
void msrpm_set(uint8_t *msrpm, uint32_t msr, bool intercept_read, bool intercept_write);

#endif
