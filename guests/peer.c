/*
 * The DomU side of the Dom0 /dev/xen self-test (dom0/tools/xen-selftest).
 *
 * Shares one page through grant ref 8, offers a second page for foreign
 * mapping, allocates an event channel for Dom0, prints the numbers the test
 * harness hands to Dom0, then answers every event it receives. It waits with
 * SCHEDOP_poll on a port masked in shared_info, so no upcall vector is ever
 * needed. `events=N` (default 3) says after how many events to power off.
 */
#include "common/guest.h"

#define PAGE_SIZE 4096
#define GREF GNTTAB_NR_RESERVED_ENTRIES /* first ref a guest may use */
#define POLL_PERIOD_NS 1000000000ULL    /* wake once a second to look at the grant page */

/*
 * RAM pages inside the image: the first two are replaced by the hypervisor
 * with shared_info and grant-table frame 0, the others are what we share.
 */
static uint8_t shinfo_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t gnttab_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t grant_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t foreign_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

/* The image is identity-mapped, so a virtual address is a guest-physical one. */
static unsigned long gfn_of(const void *p)
{
    return (unsigned long)(uintptr_t)p >> 12;
}

static void fail(const char *what, long rc)
{
    guest_printf("peer: %s failed: %ld\n", what, rc);
    guest_shutdown(SHUTDOWN_crash);
}

static void map_space(unsigned int space, unsigned long idx, const void *where)
{
    long rc = guest_map_space(space, idx, gfn_of(where));
    if (rc)
        fail(space == XENMAPSPACE_shared_info ? "map shared_info" : "map grant frame 0", rc);
}

/* Dom0 marks the grant page by writing "written!" over its first 8 bytes. */
static bool grant_page_written(void)
{
    static const char mark[8] = "written!";
    volatile const uint8_t *g = grant_page;
    for (unsigned int i = 0; i < sizeof(mark); i++)
        if (g[i] != (uint8_t)mark[i])
            return false;
    return true;
}

int guest_main_entry(const struct hvm_start_info *si)
{
    struct shared_info *s = (struct shared_info *)shinfo_page;
    grant_entry_v1_t *gt = (grant_entry_v1_t *)gnttab_page;
    uint64_t max_events = guest_arg_u64("events", 3);

    map_space(XENMAPSPACE_shared_info, 0, shinfo_page);
    map_space(XENMAPSPACE_grant_table, 0, gnttab_page);

    static const char grant_text[] = "basalt grant page from peer";
    static const char foreign_text[] = "basalt foreign page from peer";
    memcpy(grant_page, grant_text, sizeof(grant_text));
    memcpy(foreign_page, foreign_text, sizeof(foreign_text));

    /* The entry is live once flags says so: fill domid and frame first. */
    gt[GREF].domid = 0;
    gt[GREF].frame = (uint32_t)gfn_of(grant_page);
    __asm__ volatile("" ::: "memory");
    __atomic_store_n(&gt[GREF].flags, (uint16_t)GTF_permit_access, __ATOMIC_RELEASE);

    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = 0 };
    long rc = hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, (unsigned long)&au);
    if (rc)
        fail("EVTCHNOP_alloc_unbound", rc);
    evtchn_port_t port = au.port;
    unsigned int word = port / (sizeof(xen_ulong_t) * 8);
    xen_ulong_t bit = (xen_ulong_t)1 << (port % (sizeof(xen_ulong_t) * 8));
    /* Masked: events only set the pending bit, which SCHEDOP_poll still sees. */
    __atomic_fetch_or(&s->evtchn_mask[word], bit, __ATOMIC_SEQ_CST);

    guest_printf("peer: ready port=%u gref=%u grant_gfn=0x%lx foreign_gfn=0x%lx\n", port, GREF,
                 gfn_of(grant_page), gfn_of(foreign_page));

    volatile struct vcpu_time_info *clock = &s->vcpu_info[0].time;
    bool written_seen = false;
    uint64_t events = 0;
    while (events < max_events) {
        rc = guest_poll(port, guest_pvclock_ns(clock) + POLL_PERIOD_NS);
        if (rc)
            fail("SCHEDOP_poll", rc);

        /* Checked before the event: the test writes first, then notifies. */
        if (!written_seen && grant_page_written()) {
            written_seen = true;
            guest_printf("peer: grant page written by dom0\n");
        }

        xen_ulong_t was = __atomic_fetch_and(&s->evtchn_pending[word], ~bit, __ATOMIC_SEQ_CST);
        if (!(was & bit))
            continue; /* timeout */
        events++;
        guest_printf("peer: event %lu received\n", events);
        struct evtchn_send send = { .port = port };
        rc = hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_send, (unsigned long)&send);
        if (rc)
            fail("EVTCHNOP_send", rc);
    }
    guest_printf("peer: done\n");
    guest_shutdown(SHUTDOWN_poweroff);
}
