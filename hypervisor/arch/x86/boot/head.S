/*
 * Entry from a multiboot loader (v1 or v2) in 32-bit protected mode, paging
 * off. We zero .bss, check for long mode, enable it with boot page tables that
 * identity-map the first 4 GiB with 2 MiB pages, and call start_basalt(magic,
 * info). Application processors enter at ap_start32 from the real-mode
 * trampoline and take the same path to ap_main().
 */
#include <asm/boot.h>

#define MB1_MAGIC    0x1badb002
#define MB1_FLAGS    0x00000003          /* page-align modules, memory map */
#define MB2_MAGIC    0xe85250d6

    .section .multiboot, "a"
    .align 4
mb1_header:
    .long MB1_MAGIC
    .long MB1_FLAGS
    .long -(MB1_MAGIC + MB1_FLAGS)

    .align 8
mb2_header:
    .long MB2_MAGIC
    .long 0                              /* i386 protected mode */
    .long mb2_header_end - mb2_header
    .long -(MB2_MAGIC + (mb2_header_end - mb2_header))
    /* information request: cmdline, modules, mmap, ACPI old and new RSDP */
    .align 8
    .short 1, 1                          /* type 1, optional */
    .long 8 + 5 * 4
    .long 1, 3, 6, 14, 15
    .align 8
    .short 6, 0                          /* module alignment */
    .long 8
    .align 8
    .short 0, 0                          /* end */
    .long 8
mb2_header_end:

    .section .text.boot, "ax"
    .code32
    .global _start32
_start32:
    cli
    cld
    mov     %eax, %esi                   /* magic */
    mov     %ebx, %ebp                   /* info pointer */

    mov     $__bss_start, %edi
    mov     $__bss_end, %ecx
    sub     %edi, %ecx
    xor     %eax, %eax
    rep stosb

    mov     %esi, boot_mb_magic
    mov     %ebp, boot_mb_info
    mov     $boot_stack_top, %esp

    /* Long mode available? */
    mov     $0x80000000, %eax
    cpuid
    cmp     $0x80000001, %eax
    jb      no_long_mode
    mov     $0x80000001, %eax
    cpuid
    bt      $29, %edx
    jnc     no_long_mode
    jmp     enter_long_mode

no_long_mode:
    mov     $msg_no_lm, %esi
1:  lodsb
    test    %al, %al
    jz      2f
    mov     %al, %bl
    mov     $0x3fd, %dx
3:  inb     %dx, %al
    test    $0x20, %al
    jz      3b
    mov     $0x3f8, %dx
    mov     %bl, %al
    outb    %al, %dx
    jmp     1b
2:  cli
    hlt
    jmp     2b

    /* Shared by the BSP and the APs: paging on, long mode, jump to %edi. */
    .global ap_start32
ap_start32:
    mov     $BOOT_DS, %ax
    mov     %ax, %ds
    mov     %ax, %es
    mov     %ax, %ss
    mov     $1, %esi                     /* marks an AP */
    jmp     1f
enter_long_mode:
    xor     %esi, %esi
1:
    mov     %cr4, %eax
    or      $(1 << 5), %eax              /* PAE */
    mov     %eax, %cr4
    mov     $boot_pml4, %eax
    mov     %eax, %cr3

    mov     $0x80000001, %eax
    cpuid
    mov     %edx, %ebx                   /* extended features */
    mov     $0xc0000080, %ecx
    rdmsr
    or      $(1 << 8), %eax              /* LME */
    bt      $20, %ebx                    /* NX supported? */
    jnc     2f
    or      $(1 << 11), %eax             /* NXE */
2:  wrmsr

    mov     %cr0, %eax
    or      $0x80010001, %eax            /* PG, WP, PE */
    mov     %eax, %cr0

    lgdt    boot_gdt_desc
    ljmp    $BOOT_CS64, $start64

    .code64
start64:
    mov     $BOOT_DS, %eax
    mov     %eax, %ds
    mov     %eax, %es
    mov     %eax, %ss
    xor     %eax, %eax
    mov     %eax, %fs
    mov     %eax, %gs
    test    %esi, %esi
    jnz     ap_start64

    mov     $boot_stack_top, %rsp
    mov     boot_mb_magic(%rip), %edi
    mov     boot_mb_info(%rip), %esi
    call    start_basalt
    ud2

ap_start64:
    /* boot_pml4 maps only the low 4 GiB; the stack may lie above. */
    mov     hv_pml4(%rip), %rax          /* VA == PA in the direct map */
    mov     %rax, %cr3
    mov     ap_boot_stack(%rip), %rsp
    call    ap_main
    ud2

    .section .rodata
msg_no_lm:
    .asciz "basalt: this CPU has no long mode (x86-64); halting\r\n"

    .section .data
    .align 16
    .global boot_gdt
boot_gdt:
    .quad 0
    .quad 0x00cf9a000000ffff             /* BOOT_CS32: 32-bit code */
    .quad 0x00cf92000000ffff             /* BOOT_DS: data */
    .quad 0x00af9a000000ffff             /* BOOT_CS64: 64-bit code */
boot_gdt_end:
    .global boot_gdt_desc
boot_gdt_desc:
    .short boot_gdt_end - boot_gdt - 1
    .long boot_gdt

    .global boot_mb_magic, boot_mb_info, ap_boot_stack
boot_mb_magic: .long 0
boot_mb_info:  .long 0
ap_boot_stack: .quad 0

    /* Identity map of 0..4 GiB: one PML4 entry, one PDPT, four page directories. */
    .align 4096
    .global boot_pml4
boot_pml4:
    .quad boot_pdpt + 0x3
    .fill 511, 8, 0
boot_pdpt:
    .quad boot_pd + 0x3
    .quad boot_pd + 0x1003
    .quad boot_pd + 0x2003
    .quad boot_pd + 0x3003
    .fill 508, 8, 0
boot_pd:
    .set i, 0
    .rept 2048
    .quad (i << 21) | 0x83
    .set i, i + 1
    .endr

    .section .bss
    .align 4096
boot_stack:
    .skip 16384
boot_stack_top:
