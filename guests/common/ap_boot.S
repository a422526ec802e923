/*
 * The AP trampoline, copied to SMP_TRAMPOLINE (smp.c): a STARTUP IPI leaves
 * the AP in real mode at CS=0x0800, IP=0. It loads the boot vCPU's GDT,
 * enters 32-bit protected mode and takes the boot vCPU's way into long mode
 * (enter_long_mode, head.S), on the same page tables, to ap_long_mode.
 * Offsets in the real-mode part are relative to the copy.
 */
    .section .rodata
    .code16
    .global ap_trampoline, ap_trampoline_end
ap_trampoline:
    cli
    cld
    mov     %cs, %ax
    mov     %ax, %ds
    lgdtl   tramp_gdtr - ap_trampoline
    mov     %cr0, %eax
    or      $1, %eax                     /* PE */
    mov     %eax, %cr0
    ljmpl   $0x18, $ap_protected_mode
    .align 8
tramp_gdtr:
    .short  gdt_limit
    .long   gdt
ap_trampoline_end:

    .text
    .code32
ap_protected_mode:
    mov     $0x10, %eax
    mov     %eax, %ds
    mov     %eax, %es
    mov     %eax, %ss
    mov     $ap_long_mode, %edi
    jmp     enter_long_mode

    .code64
ap_long_mode:
    mov     ap_boot_stack(%rip), %rsp
    mov     ap_boot_cpu(%rip), %edi
    call    ap_main
1:  cli
    hlt                                  /* with IF clear: this vCPU goes offline */
    jmp     1b
