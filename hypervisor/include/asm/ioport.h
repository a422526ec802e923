/* Emulated I/O ports of a domain. Unclaimed ports read as all-ones and
 * ignore writes, as on an empty ISA bus (and as Xen does for PVH). */
#ifndef ASM_IOPORT_H
#define ASM_IOPORT_H

#include <basalt/types.h>

struct vcpu;
struct domain;

typedef uint32_t (*ioport_read_t)(struct vcpu *v, uint16_t port, unsigned int size);
typedef void (*ioport_write_t)(struct vcpu *v, uint16_t port, unsigned int size, uint32_t val);

struct ioport_handler {
    uint16_t base, count;
    ioport_read_t read;
    ioport_write_t write;
};

#define MAX_IOPORT_HANDLERS 16

int ioport_register(struct domain *d, uint16_t base, uint16_t count, ioport_read_t r, ioport_write_t w);
/* Lets the domain access [base, base+count) directly (no exits). */
void ioport_allow(struct domain *d, uint16_t base, uint16_t count);
void ioport_deny(struct domain *d, uint16_t base, uint16_t count);
/* Frees the domain's own permission map, if it has one. */
void ioport_free_bitmap(struct domain *d);
/* The emulated ports every DomU has. */
int hvm_domu_ioports_init(struct domain *d);

#endif
