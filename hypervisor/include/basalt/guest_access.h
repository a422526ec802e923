/*
 * Reading and writing guest memory. Hypercall pointers are guest-linear
 * addresses in the calling vCPU's address space; they are translated through
 * the guest's page tables, then the domain's p2m. Every failure is -EFAULT.
 */
#ifndef BASALT_GUEST_ACCESS_H
#define BASALT_GUEST_ACCESS_H

#include <basalt/types.h>

struct vcpu;
struct domain;

int guest_linear_to_gpa(struct vcpu *v, gvaddr_t va, bool write, gpaddr_t *gpa);
/* 0 if every byte of [va, va+n) is accessible (for all-or-nothing operations). */
int guest_range_check(struct vcpu *v, gvaddr_t va, size_t n, bool write);
int copy_from_guest(struct vcpu *v, void *dst, gvaddr_t src, size_t n);
int copy_to_guest(struct vcpu *v, gvaddr_t dst, const void *src, size_t n);
int copy_from_gpa(struct domain *d, void *dst, gpaddr_t src, size_t n);
int copy_to_gpa(struct domain *d, gpaddr_t dst, const void *src, size_t n);
int clear_gpa(struct domain *d, gpaddr_t dst, size_t n);

/*
 * A guest frame held for the hypervisor's access. A p2m flush waits only for
 * vCPUs in guest mode, not for one that is in the hypervisor copying on a
 * hypercall's behalf; so every access to guest memory holds a page reference,
 * taken in the same step as the lookup (p2m_get_page): whatever another vCPU
 * does to the frame meanwhile (a decrease, a remove, an unmap), the page is
 * not freed or handed to another domain before guest_frame_put.
 */
struct guest_frame {
    mfn_t mfn;
    uint8_t *va;   /* the page, in the hypervisor's direct map */
    bool writable; /* the guest may write it (RAM, grants and foreign pages mapped so, special pages) */
};
/* 0, or -EFAULT if gfn maps nothing the guest may read (or, with write, write):
 * RAM, grant, foreign and special pages, never device space. */
int guest_frame_get(struct domain *d, gfn_t gfn, bool write, struct guest_frame *f);
void guest_frame_put(struct guest_frame *f);

#endif
