/*
 * PVH entry: 32-bit protected mode, paging off, EBX = hvm_start_info.
 * Identity-map the first GiB with 2 MiB pages, enter long mode, call
 * guest_main(start_info).
 */
#include <xen/elfnote.h>

    .section .note.xen, "a"
    .align 4
    .long 4, 4, XEN_ELFNOTE_PHYS32_ENTRY
    .asciz "Xen"
    .long pvh_start

    .section .text.entry, "ax"
    .code32
    .global pvh_start
pvh_start:
    cli
    mov     %ebx, %esi
    mov     $stack_top, %esp

    /* PDPT[0] -> PD; PD maps 0..1 GiB */
    mov     $pd, %eax
    or      $3, %eax
    mov     %eax, pdpt
    mov     $pdpt, %eax
    or      $3, %eax
    mov     %eax, pml4
    xor     %ecx, %ecx
1:  mov     %ecx, %eax
    shl     $21, %eax
    or      $0x83, %eax
    mov     %eax, pd(,%ecx,8)
    inc     %ecx
    cmp     $512, %ecx
    jne     1b

    mov     $long_mode, %edi
    /* on into long mode */

/*
 * 32-bit protected mode, paging off, the page tables above ready: enter
 * long mode on them and continue at %edi. APs come here too (ap_boot.S).
 */
    .global enter_long_mode
enter_long_mode:
    mov     %cr4, %eax
    or      $0xb0, %eax                  /* PAE, PSE, PGE: as an OS sets them */
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
    lgdt    gdt_desc
    ljmp    $0x08, $1f

    .code64
1:  mov     %edi, %edi                   /* the upper half is undefined after the switch */
    jmp     *%rdi

long_mode:
    mov     $0x10, %eax
    mov     %eax, %ds
    mov     %eax, %es
    mov     %eax, %ss
    mov     $stack_top, %rsp
    mov     %esi, %edi
    call    guest_main
2:  hlt
    jmp     2b

    .section .data
    .align 8
    .global gdt, gdt_limit
gdt:
    .quad 0
    .quad 0x00af9a000000ffff                 /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff                 /* 0x10: data */
    .quad 0x00cf9a000000ffff                 /* 0x18: 32-bit code, for APs on their way */
gdt_desc:
    .short gdt_desc - gdt - 1
    .long gdt
    .set gdt_limit, gdt_desc - gdt - 1

    .section .bss
    .align 4096
pml4: .skip 4096
pdpt: .skip 4096
pd:   .skip 4096
stack: .skip 16384
stack_top:
