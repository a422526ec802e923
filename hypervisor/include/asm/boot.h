/* Constants shared by the boot assembly and C. */
#ifndef ASM_BOOT_H
#define ASM_BOOT_H

/* Selectors in boot_gdt. */
#define BOOT_CS32 0x08
#define BOOT_DS   0x10
#define BOOT_CS64 0x18

/* Where the hypervisor image is linked and loaded. */
#define HV_LOAD_ADDR 0x200000

#endif
