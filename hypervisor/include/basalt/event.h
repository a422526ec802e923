/*
 * Event channels (2-level ABI), VIRQs and the per-vCPU upcall that tells a
 * guest to look at them.
 */
#ifndef BASALT_EVENT_H
#define BASALT_EVENT_H

#include <basalt/types.h>

struct vcpu;
struct domain;

/* The vector to inject for v's pending event upcall, or -1. */
int evtchn_upcall_vector(struct vcpu *v);
/* True if v has something that should wake it from HLT or SCHEDOP_block. */
bool vcpu_event_pending(struct vcpu *v);

#endif
