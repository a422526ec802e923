/*
 * The control hypercall (common/hypercalls/basalt_ctl.c) and domain_create
 * (common/domain.c) when two Dom0 vCPUs call at once (every interleaving at
 * lock granularity): two creates never get one name or one id; a pause and
 * an unpause keep the pause flag and count in step; two new memory maps
 * neither leak nor free one twice. Operations on a domain are made one at
 * a time: a second caller is told to call again.
 */
#include "tests/lib/tap.h"
#include "tests/unit/hv/host.h"

#include "hypervisor/common/hypercalls/basalt_ctl.c"

#include <basalt/boot_domains.h>

#include <sched.h>
#include <stdio.h>

/* Stubs: the scheduler's side of pause, modelled with its own lock and its
 * rule that an unpause matches a pause. */
static spinlock_t sched_stub_lock = SPINLOCK_INIT;

void domain_pause_sync(struct domain *d)
{
    uint64_t f = spin_lock_irqsave(&sched_stub_lock);
    d->pause_count++;
    spin_unlock_irqrestore(&sched_stub_lock, f);
}

void domain_unpause(struct domain *d)
{
    uint64_t f = spin_lock_irqsave(&sched_stub_lock);
    BUG_ON(!d->pause_count);
    d->pause_count--;
    spin_unlock_irqrestore(&sched_stub_lock, f);
}

uint64_t all_cpus_mask(void) { return 3; }
uint64_t guest_cpus_mask(void) { return 3; }
void vcpu_start(struct vcpu *v) { }
void sched_raise_resched(unsigned int cpu) { }
void arch_vcpu_set_pvh_entry(struct vcpu *v, uint32_t entry, uint32_t start_info) { }
size_t console_log_read(char *buf, size_t n, uint64_t *pos) { return 0; }

static struct domain *dom0, *dom;
static uint64_t hv_free0;

static long ctl_as(struct vcpu *v, struct basalt_ctl *op)
{
    op->version = BASALT_CTL_VERSION;
    return do_basalt_ctl(v, (uintptr_t)op, 0, 0, 0, 0);
}

static long create_as(struct vcpu *v, const char *name, uint32_t *domid)
{
    struct basalt_ctl op = { .cmd = BCTL_DOMAIN_CREATE };
    strlcpy(op.u.create.name, name, sizeof(op.u.create.name));
    op.u.create.max_vcpus = 1;
    op.u.create.max_mem_kb = 4096;
    long rc = ctl_as(v, &op);
    *domid = op.domid;
    return rc;
}

/* A call that found another under way is made again, as the guest would:
 * to the race injector that is a wait for the other vCPU, which goes on. */
static spinlock_t other_operation;

static long retried(struct vcpu *v, struct basalt_ctl *op)
{
    long rc;
    while ((rc = ctl_as(v, op)) == HYPERCALL_RESTART) {
        host_lock_event(&other_operation, LOCK_EV_WAIT);
        sched_yield();
    }
    return rc;
}

static void world(void)
{
    dom0 = hv_domain(0, 2, 16);
    dom0->is_privileged = true;
}

/* Every domain but Dom0 is destroyed, then Dom0; nothing is left. */
static bool world_end(char *why, size_t len)
{
    for (unsigned int id = 1; id < MAX_DOMAINS; id++)
        if (domains[id])
            hv_destroy(domains[id]);
    hv_destroy(dom0);
    for (unsigned int id = 0; id < MAX_DOMAINS; id++)
        if (domains[id]) {
            snprintf(why, len, "domain %u was never freed", id);
            return false;
        }
    if (zone_free_pages(ZONE_HV) != hv_free0) {
        snprintf(why, len, "the hypervisor zone has %lu pages, not %lu", zone_free_pages(ZONE_HV), hv_free0);
        return false;
    }
    return true;
}

/* Two creates at once. */
static long rc_main, rc_race;
static uint32_t id_main, id_race;

static void op_create_web(void *unused) { rc_main = create_as(dom0->vcpus[0], "web", &id_main); }
static void race_create_web(void *unused) { rc_race = create_as(dom0->vcpus[1], "web", &id_race); }
static void race_create_db(void *unused) { rc_race = create_as(dom0->vcpus[1], "db", &id_race); }

static unsigned int named(const char *name)
{
    unsigned int n = 0;
    for (unsigned int id = 0; id < MAX_DOMAINS; id++)
        n += domains[id] && !strcmp(domains[id]->name, name);
    return n;
}

static bool one_web(char *why, size_t len)
{
    bool ok = (rc_main == 0) + (rc_race == 0) == 1 && (rc_main == -EEXIST || rc_race == -EEXIST) &&
              named("web") == 1;
    if (!ok)
        snprintf(why, len, "creates returned %ld and %ld; %u domains are called web", rc_main, rc_race,
                 named("web"));
    return world_end(why + strlen(why), len - strlen(why)) && ok;
}

static bool web_and_db(char *why, size_t len)
{
    bool ok = !rc_main && !rc_race && id_main != id_race && domains[id_main] && domains[id_race] &&
              named("web") == 1 && named("db") == 1;
    if (!ok)
        snprintf(why, len, "creates returned %ld (id %u) and %ld (id %u)", rc_main, id_main, rc_race, id_race);
    return world_end(why + strlen(why), len - strlen(why)) && ok;
}

/* A running domain, paused by the toolstack or not. */
static void world_running(void)
{
    world();
    dom = hv_domain(1, 1, 16);
    dom->state = DOMAIN_RUNNING;
    rc_main = rc_race = -99;
}

static void op_pause(void *unused)
{
    struct basalt_ctl op = { .cmd = BCTL_DOMAIN_PAUSE, .domid = 1 };
    rc_main = retried(dom0->vcpus[0], &op);
}

static void race_unpause(void *unused)
{
    struct basalt_ctl op = { .cmd = BCTL_DOMAIN_UNPAUSE, .domid = 1 };
    rc_race = retried(dom0->vcpus[1], &op);
}

static bool pause_in_step(char *why, size_t len)
{
    bool ok = !rc_main && !rc_race && dom->pause_count == (dom->user_paused ? 1u : 0u);
    if (!ok)
        snprintf(why, len, "returned %ld and %ld; paused %d with count %u", rc_main, rc_race, dom->user_paused,
                 dom->pause_count);
    return world_end(why + strlen(why), len - strlen(why)) && ok;
}

/* Two memory maps for a domain being built. */
static struct hvm_memmap_table_entry map_a[2] = { { 0, 0x100000, XEN_HVM_MEMMAP_TYPE_RAM, 0 },
                                                  { 0x100000, 0x100000, XEN_HVM_MEMMAP_TYPE_RAM, 0 } };
static struct hvm_memmap_table_entry map_b[1] = { { 0, 0x200000, XEN_HVM_MEMMAP_TYPE_RAM, 0 } };

/* Being built, with a map already (one is replaced). */
static void world_building(void)
{
    world();
    dom = hv_domain(1, 1, 16);
    dom->state = DOMAIN_BUILDING;
    dom->memmap = xmalloc(MAX_MEMMAP * sizeof(*dom->memmap));
    dom->memmap_entries = 0;
    rc_main = rc_race = -99;
}

static long set_memmap_as(struct vcpu *v, struct hvm_memmap_table_entry *map, unsigned int n)
{
    struct basalt_ctl op = { .cmd = BCTL_DOMAIN_SET_MEMMAP, .domid = 1 };
    op.u.memmap.entries = (uintptr_t)map;
    op.u.memmap.nr_entries = n;
    return retried(v, &op);
}

static void op_memmap_a(void *unused) { rc_main = set_memmap_as(dom0->vcpus[0], map_a, 2); }
static void race_memmap_b(void *unused) { rc_race = set_memmap_as(dom0->vcpus[1], map_b, 1); }

static bool one_memmap(char *why, size_t len)
{
    bool is_a = dom->memmap_entries == 2 && !memcmp(dom->memmap, map_a, sizeof(map_a));
    bool is_b = dom->memmap_entries == 1 && !memcmp(dom->memmap, map_b, sizeof(map_b));
    bool ok = !rc_main && !rc_race && (is_a || is_b);
    if (!ok)
        snprintf(why, len, "returned %ld and %ld; the map has %u entries, a's %d b's %d", rc_main, rc_race,
                 dom->memmap_entries, is_a, is_b);
    /* A map freed twice is on the heap's free list twice: the next two
     * allocations of its size would both get it. */
    void *x = xmalloc(MAX_MEMMAP * sizeof(*dom->memmap)), *y = xmalloc(MAX_MEMMAP * sizeof(*dom->memmap));
    if (ok && x == y) {
        snprintf(why, len, "the old map was freed twice: two allocations got %p", x);
        ok = false;
    }
    xfree(x);
    if (x != y)
        xfree(y);
    return world_end(why + strlen(why), len - strlen(why)) && ok;
}

int main(void)
{
    TAP_PLAN(9);
    hv_init();
    /* The heap keeps what it carved for small objects: let it have what
     * a few domains need before the zone is measured. */
    world();
    uint32_t id;
    create_as(dom0->vcpus[0], "warm", &id);
    create_as(dom0->vcpus[0], "warm2", &id);
    world_end((char[64]){ 0 }, 64);
    world_building();
    world_end((char[64]){ 0 }, 64);
    hv_free0 = zone_free_pages(ZONE_HV);
    char why[400] = "";

    world();
    uint32_t id2;
    long rc = create_as(dom0->vcpus[0], "web", &id), rc2 = create_as(dom0->vcpus[0], "web", &id2);
    CHECK("a name in use is refused", !rc && rc2 == -EEXIST && named("web") == 1, "rc %ld %ld", rc, rc2);
    hv_destroy(domains[id]);
    rc = create_as(dom0->vcpus[0], "web", &id2);
    CHECK("and free again once its domain is gone, under the next id", !rc && id2 == id + 1, "rc %ld, id %u after %u",
          rc, id2, id);
    CHECK("and everything comes back", world_end(why, sizeof(why)), "%s", why);

    world_running();
    struct basalt_ctl op = { .cmd = BCTL_DOMAIN_PAUSE, .domid = 1 };
    ctl_busy = true; /* another vCPU's operation is under way */
    rc = ctl_as(dom0->vcpus[0], &op);
    bool untouched = !dom->user_paused && !dom->pause_count;
    ctl_busy = false;
    rc2 = ctl_as(dom0->vcpus[0], &op);
    CHECK("an operation while another is under way is made again, then done",
          rc == HYPERCALL_RESTART && untouched && !rc2 && dom->user_paused && dom->pause_count == 1,
          "rc %ld then %ld, paused %d count %u", rc, rc2, dom->user_paused, dom->pause_count);
    world_end(why, sizeof(why));

    /* A boot-time domain being rebuilt is the hypervisor's to build. */
    world_building();
    static struct boot_domain_spec spec;
    dom->boot_spec = &spec;
    rc = set_memmap_as(dom0->vcpus[0], map_b, 1);
    struct basalt_ctl entry = { .cmd = BCTL_VCPU_SET_ENTRY, .domid = 1 };
    rc2 = ctl_as(dom0->vcpus[0], &entry);
    CHECK("a boot-time domain being built takes no memory map or entry from the toolstack",
          rc == -EINVAL && rc2 == -EINVAL && dom->memmap_entries == 0, "rc %ld %ld", rc, rc2);
    world_end(why, sizeof(why));

    RACE_CHECK("two creates of one name make one domain", world, op_create_web, race_create_web, one_web);
    RACE_CHECK("two creates of two names get two ids", world, op_create_web, race_create_db, web_and_db);
    RACE_CHECK("an unpause racing a pause keeps the flag and the count in step", world_running, op_pause,
               race_unpause, pause_in_step);
    RACE_CHECK("two memory maps at once: one of them, nothing leaked or freed twice", world_building, op_memmap_a,
               race_memmap_b, one_memmap);
    TAP_EXIT();
}
