/*
 * Where a guest's port and device-memory accesses go (arch/x86/hvm/ only):
 * a device the hypervisor emulates, a device model (an ioreq server of an
 * HVM domain), or nobody (reads all ones, writes dropped). io.c routes
 * ports, mmio.c device memory, emulate.c carries out the instructions.
 */
#ifndef ASM_HVM_IO_H
#define ASM_HVM_IO_H

#include <asm/hvm_ioreq.h>
#include <asm/ioport.h>
#include <basalt/types.h>

struct vcpu;

enum hvm_io_dest_kind {
    HVM_IO_NOBODY,
    HVM_IO_HV,    /* emulated here, at once */
    HVM_IO_DM,    /* a device model's: `server` and `req` say which and how */
};

typedef void (*hvm_mmio_fn_t)(struct vcpu *v, gpaddr_t gpa, bool write, uint32_t *val);

struct hvm_io_dest {
    enum hvm_io_dest_kind kind;
    const struct ioport_handler *port;  /* HVM_IO_HV port */
    hvm_mmio_fn_t mmio;                 /* HVM_IO_HV memory: 32-bit registers */
    int server;                         /* HVM_IO_DM */
    ioreq_t req;                        /* HVM_IO_DM: type, addr, size, dir set */
};

/* Who takes a port access. `val` is what a write writes (the 0xCF8 latch
 * of an HVM domain remembers it here, and the device model sees it too). */
void hvm_port_dest(struct vcpu *v, uint16_t port, unsigned int size, bool write, uint32_t val,
                   struct hvm_io_dest *dest);
/* Carries out an access whose destination is not a device model. */
void hvm_port_do(struct vcpu *v, const struct hvm_io_dest *dest, uint16_t port, unsigned int size, bool write,
                 uint32_t *val);
/* The same for device memory: size 1, 2, 4 or 8, within one page. */
void hvm_mmio_dest(struct vcpu *v, gpaddr_t gpa, unsigned int size, bool write, struct hvm_io_dest *dest);
void hvm_mmio_do(struct vcpu *v, const struct hvm_io_dest *dest, gpaddr_t gpa, unsigned int size, bool write,
                 uint64_t *val);

/* Single writes a device model may take later (its buffered ring). */
bool hvm_mmio_bufferable(gpaddr_t gpa, unsigned int size);

/* Runs the instruction at RIP through the emulator (emulate.c): device
 * memory a nested page fault found, string port I/O. `what` names the
 * cause for the log. */
void hvm_emulate_insn(struct vcpu *v, const char *what);
/* The device model answered (or will not): finish the instruction. */
void hvm_io_complete(struct vcpu *v);
/* An IN or OUT the device model answered: `data` into AL/AX/EAX, then RIP. */
void hvm_io_complete_pio(struct vcpu *v, uint64_t data);
/* Fetches the bytes at CS:RIP (fewer at the end of mapped memory). */
int hvm_fetch_insn_bytes(struct vcpu *v, uint8_t bytes[15], size_t *n);

#endif
