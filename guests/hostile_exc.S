/* Exception stubs for the hostile guest: note the vector, skip the
 * faulting instruction by exc_skip bytes, return. */
    .data
    .global exc_vector, exc_skip
exc_vector: .quad 0
exc_skip:   .quad 0

    .text
    .global exc_ud_stub, exc_gp_stub
exc_gp_stub:
    add     $8, %rsp            /* error code */
    movq    $13, exc_vector(%rip)
    jmp     1f
exc_ud_stub:
    movq    $6, exc_vector(%rip)
1:  push    %rax
    mov     exc_skip(%rip), %rax
    add     %rax, 8(%rsp)       /* saved RIP */
    pop     %rax
    iretq
