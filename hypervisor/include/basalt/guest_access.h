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
/* Hypervisor address of a guest frame the domain may write (RAM or special), or NULL. */
void *gfn_to_virt(struct domain *d, gfn_t gfn, bool write);

#endif
