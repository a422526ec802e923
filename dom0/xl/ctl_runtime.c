/* Scheduling parameters and memory limits through basalt_ctl (see ctl_runtime.h). */
#include "ctl_runtime.h"

#include <string.h>

#include "ctl.h"

int ctl_sched(uint32_t domid, int set, uint32_t *weight, uint32_t *cap)
{
    struct basalt_ctl op;
    memset(&op, 0, sizeof(op));
    op.cmd = BCTL_SCHED;
    op.domid = domid;
    op.u.sched.set = set ? 1 : 0;
    op.u.sched.weight = *weight;
    op.u.sched.cap = *cap;
    int rc = ctl_call(&op);
    if (!rc) {
        *weight = op.u.sched.weight;
        *cap = op.u.sched.cap;
    }
    return rc;
}

int ctl_set_max_mem(uint32_t domid, uint64_t kib)
{
    struct basalt_ctl op;
    memset(&op, 0, sizeof(op));
    op.cmd = BCTL_SET_MAX_MEM;
    op.domid = domid;
    op.u.max_mem_kb = kib;
    return ctl_call(&op);
}
