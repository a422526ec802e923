/*
 * Real-mode entry for application processors. It is copied to a page below
 * 1 MiB whose number is the STARTUP IPI vector; it switches to protected mode
 * with the boot GDT and jumps to ap_start32 in the image (identity-mapped and
 * below 4 GiB, so absolute addresses need no patching).
 */
#include <asm/boot.h>

    .section .rodata
    .code16
    .global ap_trampoline_start, ap_trampoline_end
ap_trampoline_start:
    cli
    cld
    mov     %cs, %ax
    mov     %ax, %ds
    lgdtl   (tramp_gdt_desc - ap_trampoline_start)
    mov     %cr0, %eax
    or      $1, %eax
    mov     %eax, %cr0
    ljmpl   $BOOT_CS32, $ap_start32

    .align 8
tramp_gdt_desc:
    .short 4 * 8 - 1
    .long boot_gdt
ap_trampoline_end:
