/*
 * The storm guest's partner (storm_proto.h): a second domain that offers
 * the storm grants to attack and keeps an eye on what the hypervisor does
 * to its own memory. `storm=D` names the storm's domain. vCPU 0 follows
 * the control page: while armed it balloons REF_CHURN's frame out and in
 * and cycles private pages, checking that each freshly populated page is
 * zero and that private pages keep their contents (a page the hypervisor
 * freed while the storm still mapped it would show the storm's writes).
 * vCPU 1 sends events on the channel to the storm when asked, and from the
 * storm's last disarm until its end of the channel closes, so that some
 * arrive while the storm's domain is dying. Any
 * misbehaviour seen is printed as "partner: BUG: ...".
 */
#include "common/hcall.h"
#include "common/smp.h"
#include "common/trap.h"
#include "storm_proto.h"

#define PAGE 4096
#define PRIVATE_PAGES 16
#define STORM_DR_MAGIC 0x5354524d00000000ULL /* storm_cpu.c writes it into DR0-DR3 */

static uint8_t shinfo_page[PAGE] __attribute__((aligned(PAGE)));
static uint8_t gnttab_page[PAGE] __attribute__((aligned(PAGE)));
static uint8_t control_page[PAGE] __attribute__((aligned(PAGE)));
static uint8_t stable_page[PAGE] __attribute__((aligned(PAGE)));
static uint8_t churn_page[PAGE] __attribute__((aligned(PAGE)));
static uint64_t pt_page[PAGE / 8] __attribute__((aligned(PAGE)));
static uint8_t private_pages[PRIVATE_PAGES][PAGE] __attribute__((aligned(PAGE)));

static struct storm_control *const ctl = (struct storm_control *)control_page;
static domid_t storm;
static evtchn_port_t port;
static bool dr_unreadable, dr_reading;
static uint64_t sends_to_dying; /* events sent from a disarm until the storm's end of the channel closed */

static void __attribute__((format(printf, 1, 2))) bug(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    guest_vprint_line("partner: BUG: ", fmt, ap);
    va_end(ap);
    __atomic_add_fetch(&ctl->bugs, 1, __ATOMIC_SEQ_CST);
}

static void fail(const char *what, long rc)
{
    guest_printf("partner: %s failed: %ld\n", what, rc);
    guest_shutdown(SHUTDOWN_crash);
}

static void grant(grant_ref_t ref, const void *page, uint16_t extra)
{
    grant_entry_v1_t *gt = (grant_entry_v1_t *)gnttab_page;
    gt[ref].domid = storm;
    gt[ref].frame = (uint32_t)gfn_of(page);
    __atomic_store_n(&gt[ref].flags, (uint16_t)(GTF_permit_access | extra), __ATOMIC_RELEASE);
}

static uint64_t private_word(unsigned int page, unsigned int i)
{
    return 0x5041525400000000ULL ^ ((uint64_t)page << 20) ^ i; /* "PART" */
}

/* A private page never granted to anyone: out and in again, it must come
 * back zeroed, and nobody may have written it while we had it. */
static void cycle_private(unsigned int n)
{
    volatile uint64_t *w = (volatile uint64_t *)private_pages[n];
    for (unsigned int i = 0; i < PAGE / 8; i++)
        if (w[i] != private_word(n, i)) {
            bug("private page %u changed under us: word %x is %lx", n, i, w[i]);
            break;
        }
    long rc = guest_reservation(XENMEM_decrease_reservation, gfn_of(private_pages[n]), 0);
    if (rc != 1)
        bug("decrease of private page %u returned %ld", n, rc);
    rc = guest_reservation(XENMEM_populate_physmap, gfn_of(private_pages[n]), 0);
    if (rc != 1)
        fail("populate of a private page", rc);
    for (unsigned int i = 0; i < PAGE / 8; i++)
        if (w[i]) {
            bug("freshly populated private page %u held old data: word %x is %lx", n, i, w[i]);
            break;
        }
    for (unsigned int i = 0; i < PAGE / 8; i++)
        w[i] = private_word(n, i);
}

/* REF_CHURN's frame out and in again; the grant entry stays as it is. */
static void cycle_churn(void)
{
    long rc = guest_reservation(XENMEM_decrease_reservation, gfn_of(churn_page), 0);
    if (rc != 1)
        bug("decrease of the granted churn page returned %ld", rc);
    rc = guest_reservation(XENMEM_populate_physmap, gfn_of(churn_page), 0);
    if (rc != 1)
        fail("populate of the churn page", rc);
    memcpy(churn_page, "partner churn page", 19);
    ctl->churned++;
}

static bool dr_trap(struct trap_frame *f)
{
    if (!dr_reading)
        return false;
    dr_unreadable = true;
    f->rip += 3; /* mov %drN, %rax */
    return true;
}

/* Finding: DR0-DR3 are not switched between guests. The storm writes a
 * marker into its debug registers; we must never see it in ours. */
static void check_debug_registers(void)
{
    if (dr_unreadable)
        return;
    uint64_t dr[4] = { 0 };
    dr_reading = true;
    __asm__ volatile("mov %%dr0, %%rax" : "=a"(dr[0]));
    __asm__ volatile("mov %%dr1, %%rax" : "=a"(dr[1]));
    __asm__ volatile("mov %%dr2, %%rax" : "=a"(dr[2]));
    __asm__ volatile("mov %%dr3, %%rax" : "=a"(dr[3]));
    dr_reading = false;
    if (dr_unreadable) {
        guest_printf("partner: reading the debug registers raised #GP: not checking them for the storm's values\n");
        return;
    }
    for (unsigned int i = 0; i < 4; i++)
        if ((dr[i] & 0xffffffff00000000ULL) == STORM_DR_MAGIC) {
            bug("DR%u holds %lx, the storm domain's value", i, dr[i]);
            dr_unreadable = true; /* once is enough */
        }
}

static void check_page_table(void)
{
    static bool reported;
    for (unsigned int i = 0; i < PAGE / 8 && !reported; i++)
        if (pt_page[i] != (((uint64_t)i << 12) | PT_ENTRY_FLAGS)) {
            bug("the read-only granted page table changed: entry %u is %lx (accessed/dirty set?)", i, pt_page[i]);
            reported = true;
        }
}

static bool storm_bound(void)
{
    struct evtchn_status st = { .dom = DOMID_SELF, .port = port };
    return HYPERVISOR_event_channel_op(EVTCHNOP_status, &st) == 0 && st.status == EVTCHNSTAT_interdomain;
}

/* vCPU 1: events for the storm, including while it dies. */
static void sender(unsigned int cpu)
{
    for (;;) {
        bool dying_soon = __atomic_load_n(&ctl->cmd, __ATOMIC_ACQUIRE) == CMD_DISARM;
        if (!__atomic_load_n(&ctl->spam, __ATOMIC_ACQUIRE) && !(dying_soon && storm_bound())) {
            guest_sleep_ms(5);
            continue;
        }
        for (unsigned int i = 0; i < 64; i++) {
            struct evtchn_send s = { .port = port };
            HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
        }
        if (dying_soon)
            __atomic_add_fetch(&sends_to_dying, 64, __ATOMIC_RELAXED);
    }
}

int guest_main_entry(const struct hvm_start_info *si)
{
    storm = (domid_t)guest_arg_u64("storm", 0);
    if (!storm)
        fail("storm=DOMID is required;", -EINVAL);
    unsigned int cpus = smp_init();
    guest_trap_set(13, dr_trap);

    long rc = guest_add_to_physmap(XENMAPSPACE_shared_info, 0, gfn_of(shinfo_page));
    if (rc)
        fail("mapping shared_info", rc);
    rc = guest_add_to_physmap(XENMAPSPACE_grant_table, 0, gfn_of(gnttab_page));
    if (rc)
        fail("mapping grant frame 0", rc);
    memcpy(stable_page, "partner stable page", 20);
    memcpy(churn_page, "partner churn page", 19);
    for (unsigned int i = 0; i < PAGE / 8; i++)
        pt_page[i] = ((uint64_t)i << 12) | PT_ENTRY_FLAGS;
    for (unsigned int n = 0; n < PRIVATE_PAGES; n++)
        for (unsigned int i = 0; i < PAGE / 8; i++)
            ((uint64_t *)private_pages[n])[i] = private_word(n, i);

    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = storm };
    rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &au);
    if (rc)
        fail("EVTCHNOP_alloc_unbound", rc);
    port = au.port;
    ctl->port = port;
    ctl->state = PARTNER_IDLE;
    grant(REF_STABLE, stable_page, 0);
    grant(REF_CHURN, churn_page, 0);
    grant(REF_PAGETABLE, pt_page, GTF_readonly);
    grant(REF_CONTROL, control_page, 0);
    __atomic_store_n(&ctl->magic, CONTROL_MAGIC, __ATOMIC_RELEASE);
    if (cpus > 1 && smp_start(1, sender))
        guest_printf("partner: vCPU 1 did not start: no events for a dying storm\n");
    guest_printf("partner: ready for domain %u (port %u, %u vCPUs)\n", storm, port, cpus);

    unsigned int private_next = 0;
    for (;;) {
        uint32_t cmd = __atomic_load_n(&ctl->cmd, __ATOMIC_ACQUIRE);
        if (cmd == CMD_ARM && ctl->state == PARTNER_IDLE) {
            __atomic_store_n(&ctl->state, PARTNER_ARMED, __ATOMIC_RELEASE);
            guest_printf("partner: armed for round %u (%lu events sent to the storm while it ended)\n",
                         ctl->rounds_done + 1, __atomic_exchange_n(&sends_to_dying, 0, __ATOMIC_RELAXED));
        } else if (cmd == CMD_DISARM && ctl->state == PARTNER_ARMED) {
            ctl->rounds_done++;
            guest_printf("partner: round %u done: %u balloon cycles of the granted page, %u bugs seen\n",
                         ctl->rounds_done, ctl->churned, ctl->bugs);
            __atomic_store_n(&ctl->state, PARTNER_IDLE, __ATOMIC_RELEASE);
        }
        check_page_table();
        check_debug_registers();
        if (ctl->state == PARTNER_ARMED && __atomic_load_n(&ctl->churn, __ATOMIC_ACQUIRE)) {
            cycle_churn();
            cycle_private(private_next);
            private_next = (private_next + 1) % PRIVATE_PAGES;
        } else {
            guest_sleep_ms(10);
        }
    }
}
