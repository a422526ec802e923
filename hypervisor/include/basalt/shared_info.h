/* The shared_info page, per-vCPU vcpu_info, pvclock time and runstate. */
#ifndef BASALT_SHARED_INFO_H
#define BASALT_SHARED_INFO_H

#include <basalt/types.h>

struct domain;
struct vcpu;

int shared_info_init(struct domain *d);
void shared_info_destroy(struct domain *d);
/* XENMAPSPACE_shared_info: put the page at gfn (replacing RAM there). */
int shared_info_map(struct domain *d, gfn_t gfn);
/* VCPUOP_register_vcpu_info. */
int vcpu_register_vcpu_info(struct vcpu *v, gfn_t gfn, uint32_t offset);
void vcpu_release_vcpu_info(struct vcpu *v);
/* Refreshes v's pvclock record (both copies if it registered its own). */
void vcpu_update_time(struct vcpu *v);
void domain_update_wallclock(struct domain *d);
/* Runstate accounting: called when v changes state (RUNSTATE_*). */
void vcpu_runstate_change(struct vcpu *v, int new_state, uint64_t now);
/* Writes the runstate record to the guest's registered area, if any. */
void vcpu_runstate_publish(struct vcpu *v);

#endif
