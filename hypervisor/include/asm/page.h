/* x86-64 page-table entry bits (host page tables and nested page tables). */
#ifndef ASM_PAGE_H
#define ASM_PAGE_H

#include <basalt/types.h>

#define PTE_P    BIT(0)
#define PTE_W    BIT(1)
#define PTE_U    BIT(2)
#define PTE_PWT  BIT(3)
#define PTE_PCD  BIT(4)
#define PTE_A    BIT(5)
#define PTE_D    BIT(6)
#define PTE_PS   BIT(7)
#define PTE_G    BIT(8)
#define PTE_NX   BIT(63)
#define PTE_ADDR_MASK 0x000ffffffffff000ULL

/* Page-fault error code bits (also the access a guest page walk checks). */
#define PFEC_PRESENT BIT(0)
#define PFEC_WRITE   BIT(1)
#define PFEC_USER    BIT(2)

#define PT_ENTRIES 512
#define PT_INDEX(va, level) (((va) >> (12 + 9 * ((level) - 1))) & 511)

#endif
