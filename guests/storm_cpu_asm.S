/*
 * Exception delivery loops (issue 10, finding 2).
 *
 * #AC, CVE-2015-5307: a 32-bit protected-mode AP (no paging) with CR0.AM
 * set drops to CPL 3 with EFLAGS.AC set and a misaligned stack, and does a
 * misaligned load. Vector 17 goes to a DPL 3 handler, so its delivery pushes
 * onto the misaligned stack at CPL 3, which raises #AC again: on hardware
 * that does not intercept #AC the CPU loops in microcode for ever. The code
 * is copied to AC_BASE and started with STARTUP vector AC_BASE >> 12; it
 * leaves "NAAC" (no #AC at all) or "HAND" (the handler ran) at AC_RESULT.
 *
 * #DB, CVE-2015-8104: db_loop_entry is the #DB handler on IST 1; storm_cpu.c
 * puts a data breakpoint on the IST stack where delivery pushes SS.
 */
#define AC_BASE 0x9000
#define AC_RESULT 0x9ff0
#define AC_USER_STACK 0x9e01 /* misaligned on purpose */
#define AC_KERNEL_STACK 0x9f00
#define AC(x) (AC_BASE + (x) - ac_trampoline)

    .section .rodata
    .code16
    .global ac_trampoline, ac_trampoline_end
ac_trampoline:
    cli
    mov     %cs, %ax
    mov     %ax, %ds
    lgdtl   ac_gdtr - ac_trampoline
    lidtl   ac_idtr - ac_trampoline
    mov     %cr0, %eax
    or      $0x40001, %eax               /* PE, AM */
    mov     %eax, %cr0
    ljmpl   $0x08, $AC(ac_pm32)

    .code32
ac_pm32:
    mov     $0x10, %ax
    mov     %ax, %ds
    mov     %ax, %es
    mov     %ax, %ss
    mov     $AC_KERNEL_STACK, %esp
    push    $0x23                        /* SS: DPL 3 data */
    push    $AC_USER_STACK
    push    $0x40002                     /* EFLAGS: AC */
    push    $0x1b                        /* CS: DPL 3 code */
    push    $AC(ac_user)
    iret
ac_user:
    mov     AC(ac_misaligned) + 1, %eax
    movl    $0x4341414e, AC_RESULT       /* "NAAC" */
1:  jmp     1b
ac_handler:
    movl    $0x444e4148, AC_RESULT       /* "HAND" */
1:  jmp     1b

    .align 8
ac_gdt:
    .quad   0
    .quad   0x00cf9a000000ffff           /* 0x08: code, DPL 0 */
    .quad   0x00cf92000000ffff           /* 0x10: data, DPL 0 */
    .quad   0x00cffa000000ffff           /* 0x18: code, DPL 3 */
    .quad   0x00cff2000000ffff           /* 0x20: data, DPL 3 */
ac_gdtr:
    .short  5 * 8 - 1
    .long   AC(ac_gdt)
    .align 8
ac_idt:
    .fill   17, 8, 0
    .short  AC(ac_handler)               /* #AC: 32-bit interrupt gate to DPL 3 code */
    .short  0x1b
    .byte   0, 0xee
    .short  0
    .fill   14, 8, 0
ac_idtr:
    .short  32 * 8 - 1
    .long   AC(ac_idt)
    .align 8
ac_misaligned:
    .long   0x11223344, 0x55667788
ac_trampoline_end:

    .text
    .code64
    .global db_loop_entry, db_handler_runs
db_loop_entry:
    lock incq db_handler_runs(%rip)
    push    %rax
    mov     $0x400, %eax                 /* breakpoints off: the handler ran, no loop */
    mov     %rax, %dr7
    pop     %rax
    iretq

    .data
db_handler_runs: .quad 0
