/*
 * Ioreq servers: the device models of an HVM domain (QEMU in Dom0), each
 * claiming port, memory and PCI-config ranges (Xen's DMOP ABI,
 * xen/hvm/dm_op.h; pages and protocol, xen/hvm/ioreq.h). hvm/ioreq.c.
 */
#ifndef ASM_HVM_IOREQ_H
#define ASM_HVM_IOREQ_H

#include <basalt/spinlock.h>
#include <basalt/types.h>

#include <xen/hvm/dm_op.h>
#include <xen/hvm/ioreq.h>

struct domain;
struct vcpu;

#define HVM_MAX_IOREQ_SERVERS 8   /* Xen's MAX_NR_IOREQ_SERVERS */
#define HVM_MAX_IO_RANGES     256 /* per server and type, Xen's MAX_NR_IO_RANGES */
#define HVM_IO_RANGE_TYPES    3   /* XEN_DMOP_IO_RANGE_PORT, _MEMORY, _PCI */
#define HVM_IOREQ_FRAMES      2   /* resource frames: 0 the buffered ring, 1 the ioreq page */

struct ioreq_range {
    uint64_t start, end; /* inclusive */
};

struct ioreq_server {
    domid_t emulator;             /* who created it (and binds its channels) */
    bool enabled;
    uint8_t bufioreq_handling;    /* HVM_IOREQSRV_BUFIOREQ_* */
    mfn_t ioreq_mfn, buf_mfn;     /* pool pages, not in the guest's p2m; buf_mfn INVALID without a ring */
    uint32_t buf_port;
    uint32_t *vcpu_port;          /* one channel per vCPU */
    unsigned int nr_ranges[HVM_IO_RANGE_TYPES];
    struct ioreq_range ranges[HVM_IO_RANGE_TYPES][HVM_MAX_IO_RANGES];
};

struct hvm_ioreq {
    spinlock_t lock;              /* the table and every server's contents */
    struct ioreq_server *server[HVM_MAX_IOREQ_SERVERS];
};

/* DMOPs (common/hypercalls/dm_op.c). 0 or -errno. */
int ioreq_server_create(struct domain *d, domid_t emulator, uint8_t bufioreq, ioservid_t *id);
int ioreq_server_info(struct domain *d, domid_t caller, ioservid_t id, uint32_t *buf_port);
int ioreq_server_map_range(struct domain *d, domid_t caller, ioservid_t id, uint32_t type, uint64_t start,
                           uint64_t end, bool map);
int ioreq_server_set_state(struct domain *d, domid_t caller, ioservid_t id, bool enabled);
int ioreq_server_destroy(struct domain *d, domid_t caller, ioservid_t id);
/* XENMEM_acquire_resource: frame idx of server id, with a page reference
 * for the caller's mapping. */
int ioreq_server_frame(struct domain *d, domid_t caller, ioservid_t id, unsigned int idx, mfn_t *mfn);
void hvm_ioreq_destroy_all(struct domain *d);

/* The exit side (hvm/emulate.c). Which server takes an access: its id, or
 * -1. For a PCI config access addr is SBDF << 32 | register. */
int ioreq_select(struct domain *d, uint8_t type, uint64_t addr, uint64_t size);
/* Sends *p to server id for v and marks v waiting; -ENOENT if the server
 * is gone or disabled (the access is then nobody's). */
int ioreq_send(struct vcpu *v, int id, const ioreq_t *p);
/* A write the device model may take later: put on the server's buffered
 * ring; false if it has none or the ring is full (send it normally). */
bool ioreq_send_buffered(struct domain *d, int id, const ioreq_t *p);
/* Whether v's request has its answer (or its server went away). */
bool ioreq_answered(struct vcpu *v);
/* Takes the answer: the data read (all ones if the server went away). */
uint64_t ioreq_take_answer(struct vcpu *v);
/* Sends the next mapcache invalidation v owes, if any: true if v now waits. */
bool ioreq_send_invalidate(struct vcpu *v);

#endif
