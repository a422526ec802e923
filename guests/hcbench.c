/*
 * Hypercall cost, timed with the TSC (under QEMU -icount shift=0 the time is
 * the instructions executed: scripts/bench.py). op= says which path:
 *   version - xen_version (the dispatch and the exit alone; the default);
 *   copy    - GNTTABOP_copy of segs=N segments of 4 KiB each, each from
 *             its own page that this domain granted (to itself) into one of
 *             its own frames: what QEMU's qdisk does per request; with offset=N each segment
 *             starts N bytes into the source page and moves 4096 - N bytes,
 *             as netback's receive path copies packet data at any offset;
 *   send    - EVTCHNOP_send on one end of an interdomain channel whose other
 *             end is this domain's too, masked, its pending bit cleared before
 *             each send: the notification path without an upcall.
 * Figures are per hypercall and, for copy, per segment.
 */
#include "common/guest.h"

#define GRANT_GFN 0x3e000UL   /* where the grant table is mapped (above RAM) */
#define SHINFO_GFN 0x3f000UL  /* where shared_info is mapped */
#define MAX_SEGS 64
#define REF 8

static uint8_t src_pages[MAX_SEGS][4096] __attribute__((aligned(4096)));
static uint8_t dst_pages[MAX_SEGS][4096] __attribute__((aligned(4096)));
static struct gnttab_copy ops[MAX_SEGS];

static long grant_op(unsigned int cmd, void *arg, unsigned int count)
{
    return hypercall3(__HYPERVISOR_grant_table_op, cmd, (unsigned long)arg, count);
}

static long evtchn_op(unsigned int cmd, void *arg)
{
    return hypercall2(__HYPERVISOR_event_channel_op, cmd, (unsigned long)arg);
}

static unsigned int offset;

static void fill_copy(unsigned int segs, domid_t self)
{
    for (unsigned int i = 0; i < segs; i++)
        ops[i] = (struct gnttab_copy){
            .source = { .u.ref = REF + i, .domid = self, .offset = (uint16_t)offset },
            .dest = { .u.gmfn = (uintptr_t)dst_pages[i] >> 12, .domid = DOMID_SELF },
            .len = (uint16_t)(4096 - offset),
            .flags = GNTCOPY_source_gref,
        };
}

/* Grants src_pages to ourselves, as refs REF and on; returns our domain id
 * (the one a grant entry must name, found by trying: a boot-time domain is
 * not told it), or -1. */
static int grant_to_self(void)
{
    if (guest_map_space(XENMAPSPACE_grant_table, 0, GRANT_GFN)) {
        guest_printf("hcbench: cannot map the grant table\n");
        return -1;
    }
    grant_entry_v1_t *gt = (grant_entry_v1_t *)(GRANT_GFN << 12);
    for (unsigned int i = 0; i < MAX_SEGS; i++)
        for (unsigned int b = 0; b < 4096; b++)
            src_pages[i][b] = (uint8_t)(b * 7 + i);
    for (unsigned int id = 0; id < 64; id++) {
        for (unsigned int i = 0; i < MAX_SEGS; i++) {
            gt[REF + i].domid = (domid_t)id;
            gt[REF + i].frame = (uint32_t)((uintptr_t)src_pages[i] >> 12);
            __atomic_store_n(&gt[REF + i].flags, GTF_permit_access, __ATOMIC_RELEASE);
        }
        fill_copy(1, (domid_t)id);
        if (grant_op(GNTTABOP_copy, ops, 1) == 0 && ops[0].status == GNTST_okay)
            return (int)id;
    }
    guest_printf("hcbench: no domain id works in a grant to ourselves\n");
    return -1;
}

/* One run of the op; false if it failed (and said why). */
static bool copy_once(unsigned int segs, domid_t self)
{
    fill_copy(segs, self);
    long rc = grant_op(GNTTABOP_copy, ops, segs);
    for (unsigned int i = 0; i < segs; i++)
        if (rc || ops[i].status != GNTST_okay) {
            guest_printf("hcbench: GNTTABOP_copy: rc %ld, segment %u status %d\n", rc, i, ops[i].status);
            return false;
        }
    return true;
}

static bool copied_right(unsigned int segs)
{
    for (unsigned int i = 0; i < segs; i++)
        for (unsigned int b = 0; b < 4096 - offset; b++)
            if (dst_pages[i][b] != src_pages[i][b + offset]) {
                guest_printf("hcbench: segment %u byte %u differs after the copies\n", i, b);
                return false;
            }
    return true;
}

struct loop {
    evtchn_port_t send_port, recv_port;
    struct shared_info *si;
};

static bool loop_setup(struct loop *l)
{
    if (guest_map_space(XENMAPSPACE_shared_info, 0, SHINFO_GFN)) {
        guest_printf("hcbench: cannot map shared_info\n");
        return false;
    }
    l->si = (struct shared_info *)(SHINFO_GFN << 12);
    struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
    long rc = evtchn_op(EVTCHNOP_alloc_unbound, &a);
    struct evtchn_bind_interdomain b = { .remote_dom = DOMID_SELF, .remote_port = a.port };
    if (!rc)
        rc = evtchn_op(EVTCHNOP_bind_interdomain, &b);
    if (rc) {
        guest_printf("hcbench: cannot make an interdomain channel to ourselves: %ld\n", rc);
        return false;
    }
    l->recv_port = a.port;
    l->send_port = b.local_port;
    __atomic_or_fetch(&l->si->evtchn_mask[l->recv_port / 64], 1UL << (l->recv_port % 64), __ATOMIC_SEQ_CST);
    return true;
}

static bool send_once(struct loop *l)
{
    unsigned long bit = 1UL << (l->recv_port % 64);
    __atomic_and_fetch(&l->si->evtchn_pending[l->recv_port / 64], ~bit, __ATOMIC_SEQ_CST);
    struct evtchn_send s = { .port = l->send_port };
    long rc = evtchn_op(EVTCHNOP_send, &s);
    if (rc || !(__atomic_load_n(&l->si->evtchn_pending[l->recv_port / 64], __ATOMIC_SEQ_CST) & bit)) {
        guest_printf("hcbench: EVTCHNOP_send: rc %ld, the other end %s pending\n", rc,
                     rc ? "not checked" : "NOT");
        return false;
    }
    return true;
}

int guest_main_entry(const struct hvm_start_info *si)
{
    uint64_t khz = guest_tsc_khz();
    uint64_t n = guest_arg_u64("iterations", 20000);
    unsigned int segs = (unsigned int)guest_arg_u64("segs", 16);
    offset = (unsigned int)guest_arg_u64("offset", 0);
    char op[16];
    if (!guest_arg("op", op, sizeof(op)))
        op[0] = '\0';
    if (!khz) {
        guest_printf("hcbench: no TSC frequency from CPUID 0x40000003\n");
        return 1;
    }
    if (segs < 1 || segs > MAX_SEGS || offset > 4095) {
        guest_printf("hcbench: segs must be 1 to %d, offset below 4096\n", MAX_SEGS);
        return 1;
    }
    bool copy = !strncmp(op, "copy", 5), send = !strncmp(op, "send", 5);
    int self = 0;
    struct loop l;
    if (copy && ((self = grant_to_self()) < 0 || !copy_once(segs, (domid_t)self)))
        return 1;
    if (send && (!loop_setup(&l) || !send_once(&l)))
        return 1;
    if (!copy && !send)
        hypercall2(__HYPERVISOR_xen_version, XENVER_version, 0); /* warm up */
    uint64_t start = rdtsc();
    for (uint64_t i = 0; i < n; i++) {
        if (copy) {
            if (!copy_once(segs, (domid_t)self))
                return 1;
        } else if (send) {
            if (!send_once(&l))
                return 1;
        } else {
            hypercall2(__HYPERVISOR_xen_version, XENVER_version, 0);
        }
    }
    uint64_t cycles = rdtsc() - start;
    uint64_t us = cycles * 1000 / khz;
    if (copy && !copied_right(segs))
        return 1;
    guest_printf("hcbench: %lu hypercalls in %lu us: %lu hypercalls/s\n", n, us,
                 us ? n * 1000000 / us : 0);
    if (copy)
        guest_printf("hcbench: GNTTABOP_copy of %u x %u bytes: %lu ns per call, %lu ns per segment\n", segs,
                     4096 - offset,
                     cycles * 1000000 / khz / n, cycles * 1000000 / khz / n / segs);
    return 0;
}
