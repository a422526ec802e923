/*
 * Exception entry and ring 3 for the archcheck guest. Every vector 0-31 has
 * a stub that pushes a zero error code if the CPU does not, then its
 * number, saves the GPRs and calls exc_handler(frame) (archcheck.c), which
 * may change the saved RIP, CS, RFLAGS, RSP and SS before the IRETQ.
 *
 * run_user(rip, rsp, rflags) enters ring 3 with RDI, RCX and RDX taken from
 * user_rdi, user_rcx, user_rdx; the first exception taken there comes back
 * to its caller (exc_handler sends it to user_return).
 *
 * ap_trampoline is copied below 1 MiB for STARTUP: it enters long mode on
 * the boot vCPU's GDT and page tables (patched into the copy's ap_gdtr and
 * ap_cr3) and calls ap_main(vCPU number) on that vCPU's stack in ap_stacks.
 */
#define AP_STACK_SHIFT 13
    .macro STUB vec
    .align 16
exc_stub_\vec:
    .if !(\vec == 8 || (\vec >= 10 && \vec <= 14) || \vec == 17 || \vec == 21 || \vec == 29 || \vec == 30)
    push    $0
    .endif
    push    $\vec
    jmp     exc_common
    .endm

    .macro STUB_ADDR vec
    .quad   exc_stub_\vec
    .endm

    .text
    .altmacro
    .set    i, 0
    .rept   32
    STUB    %i
    .set    i, i + 1
    .endr

exc_common:
    push    %rax
    push    %rbx
    push    %rcx
    push    %rdx
    push    %rsi
    push    %rdi
    push    %rbp
    push    %r8
    push    %r9
    push    %r10
    push    %r11
    push    %r12
    push    %r13
    push    %r14
    push    %r15
    mov     %rsp, %rdi
    call    exc_handler
    pop     %r15
    pop     %r14
    pop     %r13
    pop     %r12
    pop     %r11
    pop     %r10
    pop     %r9
    pop     %r8
    pop     %rbp
    pop     %rdi
    pop     %rsi
    pop     %rdx
    pop     %rcx
    pop     %rbx
    pop     %rax
    add     $16, %rsp                    /* vector, error code */
    iretq

    .global run_user, user_return
run_user:                                /* (rip, rsp, rflags) */
    push    %rbx
    push    %rbp
    push    %r12
    push    %r13
    push    %r14
    push    %r15
    mov     %rsp, user_return_rsp(%rip)
    push    $0x1b                        /* SS: user data */
    push    %rsi                         /* RSP */
    push    %rdx                         /* RFLAGS */
    push    $0x23                        /* CS: user code */
    push    %rdi                         /* RIP */
    mov     user_rdi(%rip), %rdi
    mov     user_rcx(%rip), %rcx
    mov     user_rdx(%rip), %rdx
    iretq
user_return:                             /* from exc_handler, RSP = user_return_rsp */
    pop     %r15
    pop     %r14
    pop     %r13
    pop     %r12
    pop     %rbp
    pop     %rbx
    ret

    /* Ring 3 code, each ending in UD2 so that an exception always returns. */
    .global user_rep_insb, user_rep_outsb
user_rep_insb:
    rep insb
    ud2
user_rep_outsb:
    mov     %rdi, %rsi
    rep outsb
    ud2

    .section .rodata
    .code16
    .global ap_trampoline, ap_trampoline_end, ap_gdtr, ap_cr3
ap_trampoline:
    cli
    mov     %cs, %ax
    mov     %ax, %ds
    lgdtl   ap_gdtr - ap_trampoline
    mov     %cr4, %eax
    or      $0xb0, %eax                  /* PAE, PSE, PGE */
    mov     %eax, %cr4
    movl    ap_cr3 - ap_trampoline, %eax
    mov     %eax, %cr3
    mov     $0xc0000080, %ecx
    rdmsr
    or      $0x100, %eax                 /* EFER.LME */
    wrmsr
    mov     %cr0, %eax
    or      $0x80010001, %eax            /* PG, WP, PE: long mode at once */
    mov     %eax, %cr0
    ljmpl   *(ap_target - ap_trampoline)
    .align 8
ap_gdtr:
    .short  0
    .long   0
ap_cr3:
    .long   0
ap_target:
    .long   ap_entry64
    .short  0x08
ap_trampoline_end:

    .text
    .code64
ap_entry64:
    mov     $0x10, %eax
    mov     %eax, %ds
    mov     %eax, %es
    mov     %eax, %ss
    mov     $1, %eax
    cpuid
    shr     $24, %ebx                    /* initial APIC ID = vCPU number */
    mov     %ebx, %edi
    lea     1(%rbx), %rax
    shl     $AP_STACK_SHIFT, %rax
    lea     ap_stacks(%rip), %rsp
    add     %rax, %rsp
    call    ap_main
1:  cli
    hlt
    jmp     1b

    .section .rodata
    .global exc_stubs
    .align 8
exc_stubs:
    .set    i, 0
    .rept   32
    STUB_ADDR %i
    .set    i, i + 1
    .endr

    .data
    .global user_return_rsp, user_rdi, user_rcx, user_rdx
user_return_rsp: .quad 0
user_rdi: .quad 0
user_rcx: .quad 0
user_rdx: .quad 0
