/*
 * An SMP domain that attacks the hypervisor (issue 10, "Hardening"): in
 * time-bounded phases it races, from all its vCPUs, what a hostile kernel
 * can reach. storm_grant.c: grant maps of the partner's pages (one grant at
 * two frames, one handle unmapped by every vCPU at once, maps of a frame
 * the partner balloons meanwhile, a read-only page table walked by the
 * hypervisor) and an event channel closed and rebound under sends.
 * storm_mem.c: vcpu_info registered by all vCPUs at once, one frame
 * populated, released and given to shared_info and a grant frame at once,
 * populate/release spread over the whole guest-frame space, order-9
 * extents. storm_cpu.c: debug registers that must not leak, #DB from a data
 * breakpoint, the #AC delivery loop, timers armed for the end of time, 4 GiB
 * console writes aliased onto four pages, INIT storms between vCPUs. At the end of each round the partner
 * keeps sending events to us while we die. A correct hypervisor survives
 * all of it, keeps other domains intact and gets every page back.
 *
 * Command line: partner=D (the partner domain's id, storm_proto.h; without
 * it the attacks that need another domain's grants are skipped),
 * rounds=N (default 2), phase_ms=M (default 1500), mode=all (default) or
 * phase names joined by "+" (QEMU's -initrd splits modules at commas);
 * "db" and "dbloop" (#DB from data breakpoints, and the #DB delivery
 * loop) run only by name (storm_cpu.c says why). Each round is one life of the domain: at its
 * end the domain reboots (the hypervisor rebuilds it) until the partner has
 * counted N rounds, then powers off. wait=1 holds the first round until a key
 * arrives on the console. "storm: BUG: ..." lines report what the
 * hypervisor got wrong without crashing.
 */
#include "storm.h"
#include "common/trap.h"
#include <xen/io/console.h>

struct storm S;

static const struct phase {
    const char *name;
    void (*fn)(void);
    bool needs_partner;
    unsigned int min_cpus;
    bool by_name_only; /* not part of mode=all */
} phases[] = {
    { "alias", phase_alias, true, 1, false },      { "unmap", phase_unmap, true, 2, false },
    { "balloon", phase_balloon, true, 1, false },  { "walker", phase_walker, true, 1, false },
    { "evtchn", phase_evtchn, true, 2, false },    { "vcpuinfo", phase_vcpu_info, false, 2, false },
    { "physmap", phase_physmap, false, 2, false }, { "churn", phase_churn, false, 1, false },
    { "extents", phase_extents, false, 1, false }, { "debugregs", phase_debugregs, false, 1, false },
    { "ac", phase_ac, false, 2, false },           { "timers", phase_timers, false, 1, false },
    { "console", phase_console, false, 2, false }, { "init", phase_init, false, 3, false },
    { "db", phase_db, false, 2, true },            { "dbloop", phase_db_loop, false, 2, true },
};

/* Printed at once, and counted in the round's last line too: a console
 * phase may have used up the rate limit that the line would need. */
void storm_bug(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    guest_vprint_line("storm: BUG: ", fmt, ap);
    va_end(ap);
    __atomic_add_fetch(&S.bugs, 1, __ATOMIC_SEQ_CST);
}

bool phase_running(void)
{
    return guest_now_us() < S.deadline_us;
}

uint64_t storm_rand(unsigned int cpu)
{
    static uint64_t state[SMP_MAX_CPUS];
    uint64_t x = state[cpu];
    if (!x)
        x = rdtsc() ^ ((uint64_t)(cpu + 1) << 40) ^ 0x9e3779b97f4a7c15ULL;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    state[cpu] = x;
    return x;
}

void stop_aps(void)
{
    for (unsigned int cpu = 1; cpu < S.cpus; cpu++) {
        if (!smp_is_up(cpu))
            continue;
        smp_send_init(cpu);
        /* The INIT takes effect when the vCPU next enters the guest: after
         * the hypercall part it is in, which on a loaded emulated host can
         * take seconds when the other vCPUs contend for the same p2m lock.
         * Only an INIT that never takes effect is a bug. */
        uint64_t until = guest_now_us() + 30000000;
        while (smp_is_up(cpu) && guest_now_us() < until)
            x86_pause();
        if (smp_is_up(cpu))
            storm_bug("vCPU %u is still up 30 s after an INIT", cpu);
    }
}

void on_all_cpus(ap_fn_t fn)
{
    for (unsigned int cpu = 1; cpu < S.cpus; cpu++)
        if (smp_start(cpu, fn))
            storm_bug("vCPU %u did not start within a second of INIT and STARTUP", cpu);
    fn(0);
    /* APs finish on their own shortly after the deadline; stragglers get INIT. */
    uint64_t until = S.deadline_us + 2000000;
    for (unsigned int cpu = 1; cpu < S.cpus; cpu++)
        while (smp_is_up(cpu) && guest_now_us() < until)
            x86_pause();
    stop_aps();
}

grant_handle_t map_grant(grant_ref_t ref, xen_pfn_t gfn, bool readonly, int16_t *status)
{
    struct gnttab_map_grant_ref op = {
        .host_addr = gfn << 12,
        .flags = GNTMAP_host_map | (readonly ? GNTMAP_readonly : 0),
        .ref = ref,
        .dom = S.partner,
    };
    long rc = HYPERVISOR_grant_table_op(GNTTABOP_map_grant_ref, &op, 1);
    *status = rc ? GNTST_general_error : op.status;
    return op.handle;
}

int16_t unmap_grant(grant_handle_t h)
{
    struct gnttab_unmap_grant_ref op = { .host_addr = 0, .handle = h };
    long rc = HYPERVISOR_grant_table_op(GNTTABOP_unmap_grant_ref, &op, 1);
    return rc ? GNTST_general_error : op.status;
}

static bool wait_for(volatile uint32_t *field, uint32_t value, uint64_t us)
{
    uint64_t until = guest_now_us() + us;
    while (__atomic_load_n(field, __ATOMIC_ACQUIRE) != value)
        if (guest_now_us() > until)
            return false;
        else
            guest_sleep_ms(1);
    return true;
}

/* Maps the partner's control page (retrying while it starts) and binds to its channel. */
static bool connect_partner(void)
{
    int16_t st = GNTST_general_error;
    uint64_t until = guest_now_us() + 20000000;
    while (guest_now_us() < until) {
        S.ctl_handle = map_grant(REF_CONTROL, CONTROL_GFN, false, &st);
        if (st == GNTST_okay)
            break;
        guest_sleep_ms(50);
    }
    if (st != GNTST_okay) {
        guest_printf("storm: partner %u offers no control page (status %d): running without it\n", S.partner, st);
        return false;
    }
    S.ctl = (struct storm_control *)(CONTROL_GFN << 12);
    if (!wait_for(&S.ctl->magic, CONTROL_MAGIC, 5000000)) {
        guest_printf("storm: partner %u never finished its set-up: running without it\n", S.partner);
        unmap_grant(S.ctl_handle);
        S.ctl = NULL;
        return false;
    }
    struct evtchn_bind_interdomain b = { .remote_dom = S.partner, .remote_port = S.ctl->port };
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &b);
    if (rc)
        storm_bug("binding to the partner's unbound port %u failed: %ld", S.ctl->port, rc);
    S.port = rc ? 0 : b.local_port;
    S.round = S.ctl->rounds_done + 1;
    __atomic_store_n(&S.ctl->cmd, CMD_ARM, __ATOMIC_RELEASE);
    if (!wait_for(&S.ctl->state, PARTNER_ARMED, 5000000))
        guest_printf("storm: the partner did not arm within 5 s\n");
    return true;
}

static void disconnect_partner(void)
{
    __atomic_store_n(&S.ctl->cmd, CMD_DISARM, __ATOMIC_RELEASE);
    if (!wait_for(&S.ctl->state, PARTNER_IDLE, 5000000))
        guest_printf("storm: the partner did not disarm within 5 s\n");
    int16_t st = unmap_grant(S.ctl_handle);
    if (st != GNTST_okay)
        storm_bug("unmapping the partner's control page failed: status %d", st);
    S.ctl = NULL;
}

static void balloon_out(void)
{
    static xen_pfn_t list[512];
    for (unsigned long done = 0; done < BALLOON_PAGES; done += 512) {
        for (unsigned int i = 0; i < 512; i++)
            list[i] = BALLOON_GFN + done + i;
        struct xen_memory_reservation r = { .nr_extents = 512, .extent_order = 0, .domid = DOMID_SELF };
        set_xen_guest_handle(r.extent_start, list);
        long rc = HYPERVISOR_memory_op(XENMEM_decrease_reservation, &r);
        if (rc != 512)
            storm_bug("giving back 512 of our own pages returned %ld", rc);
    }
}

static bool selected(const char *mode, const struct phase *p)
{
    const char *name = p->name;
    if (!strncmp(mode, "all", 4))
        return !p->by_name_only;
    size_t n = strlen(name);
    for (const char *p = mode; *p;) {
        if (!strncmp(p, name, n) && (p[n] == '+' || !p[n]))
            return true;
        while (*p && *p != '+')
            p++;
        if (*p)
            p++;
    }
    return false;
}

/*
 * wait=1: the first round starts on a key from the serial line (our PV
 * console ring), so that a test can start the storm once Dom0 is up. The
 * ring is at HVM_PARAM_CONSOLE_PFN, below 4 GiB: [3, 4) GiB gets an
 * identity map of 2 MiB pages for it.
 */
static uint64_t high_pd[512] __attribute__((aligned(4096)));

static void wait_for_key(void)
{
    struct xen_hvm_param p = { .domid = DOMID_SELF, .index = HVM_PARAM_CONSOLE_PFN };
    if (HYPERVISOR_hvm_op(HVMOP_get_param, &p) || p.value < 0xc0000 || p.value >= 0x100000) {
        guest_printf("storm: no console ring to wait on (%lx): starting at once\n", p.value);
        return;
    }
    uint64_t *pdpt = guest_pdpt();
    for (unsigned int i = 0; i < 512; i++)
        high_pd[i] = (0xc0000000ULL + ((uint64_t)i << 21)) | 0x83;
    pdpt[3] = (uint64_t)(uintptr_t)high_pd | 0x3;
    guest_flush_tlb();
    volatile struct xencons_interface *ring = (volatile struct xencons_interface *)(p.value << 12);
    guest_printf("storm: waiting for a key on the console before round 1\n");
    for (unsigned int n = 1; ring->in_cons == ring->in_prod; n++) {
        guest_sleep_ms(20);
        if (n % 500 == 0)
            guest_printf("storm: still waiting for a key (%u s)\n", n / 50);
    }
    ring->in_cons = ring->in_prod;
}

int guest_main_entry(const struct hvm_start_info *si)
{
    char mode[160];
    if (!guest_arg("mode", mode, sizeof(mode)))
        memcpy(mode, "all", 4);
    S.cpus = smp_init();
    S.partner = (domid_t)guest_arg_u64("partner", 0);
    S.rounds = (unsigned int)guest_arg_u64("rounds", 2);
    S.phase_ms = guest_arg_u64("phase_ms", 1500);
    S.round = 1;
    if (guest_ram_bytes(si) < ((uint64_t)STORM_MIN_MB << 20)) {
        guest_printf("storm: needs memory=%u or more\n", STORM_MIN_MB);
        return 1;
    }
    balloon_out();
    storm_cpu_setup();
    if (S.partner && !connect_partner())
        S.partner = 0;
    if (!S.partner)
        S.rounds = 1; /* nobody to count rounds across reboots */
    if (S.round == 1 && guest_arg_u64("wait", 0))
        wait_for_key();
    guest_printf("storm: round %u of %u: %u vCPUs, partner %u, %lu ms per phase, mode %s\n", S.round, S.rounds,
                 S.cpus, S.partner, S.phase_ms, mode);

    for (unsigned int i = 0; i < sizeof(phases) / sizeof(phases[0]); i++) {
        const struct phase *p = &phases[i];
        if (!selected(mode, p))
            continue;
        if ((p->needs_partner && !S.partner) || S.cpus < p->min_cpus) {
            guest_printf("storm: phase %s skipped (needs %s)\n", p->name,
                         p->needs_partner && !S.partner ? "a partner domain" : "more vCPUs");
            continue;
        }
        guest_printf("storm: round %u phase %s\n", S.round, p->name);
        S.deadline_us = guest_now_us() + S.phase_ms * 1000;
        p->fn();
    }

    if (S.ctl)
        disconnect_partner();
    bool last = S.round >= S.rounds;
    guest_sleep_ms(1100); /* a fresh second of console budget for the lines that matter */
    guest_printf("storm: round %u of %u done, %u bugs seen; %s\n", S.round, S.rounds, S.bugs,
                 last ? "powering off" : "rebooting for the next round");
    guest_shutdown(last ? SHUTDOWN_poweroff : SHUTDOWN_reboot);
}
