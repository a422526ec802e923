/*
 * svm_vmrun(gprs, vmcb_pa, host_vmcb_pa): load the guest's GPRs, VMLOAD +
 * VMRUN + VMSAVE its VMCB, store its GPRs back, VMLOAD the host's hidden
 * state (TR, GS base, ...). Called with GIF=0; returns with GIF=0.
 * struct guest_gprs offsets: rbx 0, rcx 8, rdx 16, rsi 24, rdi 32, rbp 40,
 * r8..r15 48..104.
 */
    .text
    .global svm_vmrun
svm_vmrun:
    push    %rbp
    push    %rbx
    push    %r12
    push    %r13
    push    %r14
    push    %r15
    push    %rdx                 /* host VMCB */
    push    %rdi                 /* gprs */

    mov     %rsi, %rax
    mov     0(%rdi), %rbx
    mov     8(%rdi), %rcx
    mov     16(%rdi), %rdx
    mov     24(%rdi), %rsi
    mov     40(%rdi), %rbp
    mov     48(%rdi), %r8
    mov     56(%rdi), %r9
    mov     64(%rdi), %r10
    mov     72(%rdi), %r11
    mov     80(%rdi), %r12
    mov     88(%rdi), %r13
    mov     96(%rdi), %r14
    mov     104(%rdi), %r15
    mov     32(%rdi), %rdi

    vmload  %rax
    vmrun   %rax
    .global svm_vmrun_return
svm_vmrun_return:                /* the host RIP VMRUN saves */
    vmsave  %rax

    push    %rdi
    mov     8(%rsp), %rdi        /* gprs */
    mov     %rbx, 0(%rdi)
    mov     %rcx, 8(%rdi)
    mov     %rdx, 16(%rdi)
    mov     %rsi, 24(%rdi)
    mov     %rbp, 40(%rdi)
    mov     %r8, 48(%rdi)
    mov     %r9, 56(%rdi)
    mov     %r10, 64(%rdi)
    mov     %r11, 72(%rdi)
    mov     %r12, 80(%rdi)
    mov     %r13, 88(%rdi)
    mov     %r14, 96(%rdi)
    mov     %r15, 104(%rdi)
    pop     %rax
    mov     %rax, 32(%rdi)

    pop     %rdi
    pop     %rax                 /* host VMCB */
    vmload  %rax

    pop     %r15
    pop     %r14
    pop     %r13
    pop     %r12
    pop     %rbx
    pop     %rbp
    ret
