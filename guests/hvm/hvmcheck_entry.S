/*
 * hvmcheck's entry and its ways between CPU modes, as a BIOS and a boot
 * loader take them: the 32-bit flat entry hvmloader gets; call16, down to
 * real mode (through 16-bit protected mode) to run a real-mode function
 * and back up; call64, up to long mode and back down; the interrupt
 * handlers real mode reaches through the IVT; the secondary vCPU's
 * start-up code (real mode, then protected mode) on a page of its own.
 */
#define CS32 0x08
#define DS32 0x10
#define CS16 0x18
#define DS16 0x20
#define CS64 0x28

    .section .text.entry, "ax"
    .code32
    .global _start
_start:
    cli
    lgdt    gdt_desc
    ljmp    $CS32, $1f
1:  mov     $DS32, %eax
    mov     %eax, %ds
    mov     %eax, %es
    mov     %eax, %ss
    mov     %eax, %fs
    mov     %eax, %gs
    mov     $stack_top, %esp
    push    %ebx
    call    hvmcheck_main
2:  cli
    hlt
    jmp     2b

/* void call16(void (*fn)(void)): fn is real-mode code below 64 KiB. */
    .text
    .global call16
call16:
    push    %ebp
    push    %ebx
    push    %esi
    push    %edi
    mov     20(%esp), %eax
    mov     %eax, call16_fn
    mov     %esp, saved_esp
    ljmp    $CS16, $down16

/* void call64(void (*fn)(void)): fn is 64-bit code (it may use the stack). */
    .global call64
call64:
    push    %ebp
    push    %ebx
    push    %esi
    push    %edi
    mov     20(%esp), %eax
    mov     %eax, call64_fn
    mov     %esp, saved_esp
    /* An identity map of the first GiB and of the fourth (where the
     * local APIC, the IOAPIC and the MMIO hole are), 2 MiB pages. */
    mov     $pd, %eax
    or      $3, %eax
    mov     %eax, pdpt
    mov     $pd3, %eax
    or      $3, %eax
    mov     %eax, pdpt + 24
    mov     $pdpt, %eax
    or      $3, %eax
    mov     %eax, pml4
    xor     %ecx, %ecx
3:  mov     %ecx, %eax
    shl     $21, %eax
    or      $0x83, %eax
    mov     %eax, pd(,%ecx,8)
    or      $0xc0000000, %eax
    mov     %eax, pd3(,%ecx,8)
    inc     %ecx
    cmp     $512, %ecx
    jne     3b
    mov     %cr4, %eax
    or      $0x20, %eax                 /* PAE */
    mov     %eax, %cr4
    mov     $pml4, %eax
    mov     %eax, %cr3
    mov     $0xc0000080, %ecx
    rdmsr
    or      $0x100, %eax                /* LME */
    wrmsr
    mov     %cr0, %eax
    or      $0x80000000, %eax           /* PG: long mode is active */
    mov     %eax, %cr0
    ljmp    $CS64, $in64

    .code64
in64:
    mov     $DS32, %eax
    mov     %eax, %ds
    mov     %eax, %es
    mov     %eax, %ss
    mov     %esp, %esp                  /* the upper half of RSP is undefined */
    and     $~15, %rsp
    /* An ELF32 object: 32-bit absolute addresses only, as immediates. */
    mov     $call64_fn, %eax
    mov     (%rax), %eax
    call    *%rax
    pushq   $CS32                       /* to compatibility mode ... */
    mov     $out64, %eax
    push    %rax
    lretq
    .code32
out64:
    mov     %cr0, %eax                  /* ... where paging may go off: legacy mode */
    and     $0x7fffffff, %eax
    mov     %eax, %cr0
    mov     $0xc0000080, %ecx
    rdmsr
    and     $~0x100, %eax
    wrmsr
    jmp     back32

/* The way down: 16-bit protected mode, then real mode at 0:rm_entry. */
    .section .low.text, "ax"
    .code16
down16:
    mov     $DS16, %ax
    mov     %ax, %ds
    mov     %ax, %es
    mov     %ax, %ss
    mov     %ax, %fs
    mov     %ax, %gs
    mov     %cr0, %eax
    and     $~1, %eax
    mov     %eax, %cr0
    ljmp    $0, $rm_entry
rm_entry:
    xor     %ax, %ax
    mov     %ax, %ds
    mov     %ax, %es
    mov     %ax, %ss
    mov     %ax, %fs
    mov     %ax, %gs
    mov     $0x7000, %esp              /* -m16 code addresses its stack with ESP */
    lidt    ivt_desc
    calll   *call16_fn
    cli
    xor     %ax, %ax
    mov     %ax, %ds
    lgdtl   gdt_desc
    mov     %cr0, %eax
    or      $1, %eax
    mov     %eax, %cr0
    ljmpl   $CS32, $back32

    .text
    .code32
back32:
    mov     $DS32, %eax
    mov     %eax, %ds
    mov     %eax, %es
    mov     %eax, %ss
    mov     %eax, %fs
    mov     %eax, %gs
    mov     saved_esp, %esp
    pop     %edi
    pop     %esi
    pop     %ebx
    pop     %ebp
    ret

/* Real-mode interrupt handlers (IVT entries 0:handler). CS is 0 here. */
    .section .low.text, "ax"
    .code16
    .global irq0_handler, irq8_handler, int80_handler
irq0_handler:
    push    %ax
    incw    %cs:pit_ticks
    mov     $0x20, %al                  /* EOI */
    out     %al, $0x20
    pop     %ax
    iret
irq8_handler:
    push    %ax
    incw    %cs:rtc_ticks
    mov     $0x0c, %al                  /* reading register C acknowledges */
    out     %al, $0x70
    in      $0x71, %al
    mov     $0x20, %al
    out     %al, $0xa0
    out     %al, $0x20
    pop     %ax
    iret
int80_handler:
    incw    %cs:soft_ints
    iret

/* The secondary vCPU: STARTUP lands here (vector ap_trampoline >> 12) in
 * real mode; it counts itself, goes to protected mode, counts again, and
 * halts with interrupts off (down until the next INIT and STARTUP). */
    .section .low.ap, "ax"
    .code16
    .global ap_entry
ap_entry:
    cli
    xor     %ax, %ax
    mov     %ax, %ds
    lock incw ap_real
    lgdtl   gdt_desc
    mov     %cr0, %eax
    or      $1, %eax
    mov     %eax, %cr0
    ljmpl   $CS32, $ap32
    .text
    .code32
ap32:
    mov     $DS32, %eax
    mov     %eax, %ds
    lock incl ap_protected
    mov     smc_mode, %eax
    test    %eax, %eax
    jnz     ap_smc
4:  cli
    hlt
    jmp     4b

/* Self-modifying code while the other vCPU's emulation runs: flip the
 * opcode and ModRM of smc_insn between MOV (8b 05, emulated) and MUL
 * (f7 25, refused), both six bytes long with the same displacement. */
ap_smc:
    movw    $0x058b, %ax
    xor     $0x207c, %ax                /* 0x058b ^ 0x207c = 0x25f7 */
5:  xchg    %ax, smc_insn
    mov     smc_mode, %ecx
    test    %ecx, %ecx
    jnz     5b
    jmp     4b

    .global smc_insn, smc_run
/* void smc_run(unsigned n): n times the instruction the other vCPU rewrites. */
smc_run:
    mov     4(%esp), %ecx
    push    %ebx
6:
smc_insn:
    .byte   0x8b, 0x05                  /* movl 0xfed00000, %eax, in its ModRM */
    .long   0xfed00000                  /* form (gas would pick the moffs one) */
    dec     %ecx
    jnz     6b
    pop     %ebx
    ret

/* Long mode: device memory through 64-bit forms (REX, 64-bit operands). */
    .text
    .code64
    .global lm_mmio
lm_mmio:
    mov     $lm_unclaimed, %ecx
    mov     $0xfed00000, %ebx           /* nobody's */
    movq    (%rbx), %rax
    movq    %rax, (%rcx)
    mov     $0xfed00010, %r8d
    movq    $0x1234, (%r8)
    addq    $1, (%r8)                   /* read-modify-write */
    movq    (%r8), %r9
    andq    %r9, (%rcx)
    mov     $0xfee00030, %ebx           /* the local APIC's version */
    movl    (%rbx), %eax
    mov     $lm_lapic_ver, %ecx
    movq    %rax, (%rcx)
    ret

    .data
    .align 8
    .global lm_unclaimed, lm_lapic_ver
lm_unclaimed: .quad 0
lm_lapic_ver:  .quad 0

    .section .low.data, "aw"
    .align 8
gdt:
    .quad   0
    .quad   0x00cf9a000000ffff          /* CS32 */
    .quad   0x00cf92000000ffff          /* DS32 */
    .quad   0x00009a000000ffff          /* CS16: base 0, 64 KiB */
    .quad   0x000092000000ffff          /* DS16 */
    .quad   0x00af9a000000ffff          /* CS64 */
gdt_end:
    .global gdt_desc
gdt_desc:
    .short  gdt_end - gdt - 1
    .long   gdt
ivt_desc:
    .short  0x3ff
    .long   0
    .global pit_ticks, rtc_ticks, soft_ints, ap_real
pit_ticks:  .short 0
rtc_ticks:  .short 0
soft_ints:  .short 0
ap_real:    .short 0
call16_fn:  .long 0
saved_esp:  .long 0
call64_fn:  .long 0

    .data
    .global ap_protected, smc_mode
ap_protected: .long 0
smc_mode:     .long 0

    .bss
    .align 4096
pml4:   .skip 4096
pdpt:   .skip 4096
pd:     .skip 4096
pd3:    .skip 4096
stack:  .skip 16384
stack_top:
