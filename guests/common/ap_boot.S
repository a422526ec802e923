/*
 * The AP trampoline, copied to SMP_TRAMPOLINE (smp.c): a STARTUP IPI leaves
 * the AP in real mode at CS=0x0800, IP=0. It loads the boot vCPU's GDT and
 * page tables and enters long mode in one step (PE and PG together), then
 * far-jumps to ap_long_mode in the image. Offsets are relative to the copy.
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
    mov     %cr4, %eax
    or      $0xb0, %eax                  /* PAE, PSE, PGE */
    mov     %eax, %cr4
    mov     $pml4, %eax
    mov     %eax, %cr3
    mov     $0xc0000080, %ecx
    rdmsr
    or      $0x100, %eax                 /* LME */
    wrmsr
    mov     %cr0, %eax
    or      $0x80010001, %eax            /* PG, WP, PE */
    mov     %eax, %cr0
    ljmpl   *(tramp_target - ap_trampoline)
    .align 8
tramp_gdtr:
    .short  23
    .long   gdt
tramp_target:
    .long   ap_long_mode
    .short  0x08
ap_trampoline_end:

    .text
    .code64
ap_long_mode:
    mov     $0x10, %eax
    mov     %eax, %ds
    mov     %eax, %es
    mov     %eax, %ss
    mov     ap_boot_stack(%rip), %rsp
    mov     ap_boot_cpu(%rip), %edi
    call    ap_main
1:  cli
    hlt                                  /* with IF clear: this vCPU goes offline */
    jmp     1b
