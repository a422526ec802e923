/*
 * The hypervisor's accesses to guest memory (arch/x86/hvm/guest_access.c,
 * insn_fetch.c, hypercall.c) over simulated machine memory: copies through
 * a guest's own four-level page tables, instruction fetches and the
 * hypercall page, through RAM, grant, foreign and special mappings. A p2m
 * flush does not wait for a vCPU that is in the hypervisor, so each access
 * must hold the page it touches: here another vCPU balloons the frame out
 * at every lock event of the access and a third domain takes whatever page
 * that frees and fills it; the access must see the old contents or fail,
 * and never read or write the third domain's page.
 */
#include "tests/lib/tap.h"
#include "tests/unit/hv/host.h"

#include "hypervisor/arch/x86/hvm/guest_access.c"
#include "hypervisor/arch/x86/hvm/hypercall.c"
#include "hypervisor/arch/x86/hvm/insn_fetch.c"
#include "hypervisor/arch/x86/insn/decode.c"

#include <basalt/memory.h>
#include <basalt/shared_info.h>
#include <stdio.h>
#include <stdlib.h>
#include <xen/grant_table.h>

/* The guest's page tables and what they map. */
#define PML4_G 0x10UL
#define PDPT_G 0x11UL
#define PD_G 0x12UL
#define PT_G 0x13UL
#define DATA_G 0x20UL
#define CODE_G 0x21UL
#define HCALL_G 0x22UL
#define FOREIGN_G 0x80000UL /* where the foreign page is mapped */
#define GRANT_G 0x80001UL   /* where a grant is mapped */
#define MMIO_G 0x90000UL
#define SHINFO_G 0x90001UL
#define VA(i) (0x400000UL + (i) * PAGE_SIZE) /* PT entry i */
#define DATA_VA VA(0)
#define CODE_VA VA(1)
#define FOREIGN_VA VA(3)
#define GRANT_VA VA(4)
#define F 0x500UL /* the other domain's frame, mapped foreign or granted */
#define REF 9
#define WORLD_PAGES 8 /* populated: 7 of d's, 1 of the other's */

#define DATA_BYTE 0xaa
#define OTHER_BYTE 0x5f
/* What the thief fills its page with: present and writable as a PTE, A and
 * D clear, so that a walk through it would set them. */
#define THIEF_BYTE 0x03

static struct domain *d, *other, *thief;
static struct vmcb vmcb0 __attribute__((aligned(PAGE_SIZE)));

static uint8_t *gpage(struct domain *dom, gfn_t gfn)
{
    mfn_t m = p2m_lookup(dom, gfn, NULL);
    return m == INVALID_MFN ? NULL : mfn_to_virt(m);
}

static void set_pte(gfn_t table, unsigned int idx, gfn_t to)
{
    ((uint64_t *)gpage(d, table))[idx] = (to << PAGE_SHIFT) | PTE_P | PTE_W;
}

static uint64_t pte(gfn_t table, unsigned int idx)
{
    return ((uint64_t *)gpage(d, table))[idx];
}

/* d runs in long mode at CODE_VA, VMMCALL there; DATA_G holds DATA_BYTE, the
 * other domain's F holds OTHER_BYTE and is mapped into d at FOREIGN_G; the
 * thief has no memory yet. */
static void world(void)
{
    d = hv_domain(1, 2, 64);
    thief = hv_domain(2, 1, 1);
    other = hv_domain(3, 1, 16);
    static const gfn_t own[] = { PML4_G, PDPT_G, PD_G, PT_G, DATA_G, CODE_G, HCALL_G };
    for (unsigned int i = 0; i < ARRAY_SIZE(own); i++)
        domain_populate(d, own[i], 1);
    domain_populate(other, F, 1);
    set_pte(PML4_G, 0, PDPT_G);
    set_pte(PDPT_G, 0, PD_G);
    set_pte(PD_G, 2, PT_G);
    set_pte(PT_G, 0, DATA_G);
    set_pte(PT_G, 1, CODE_G);
    set_pte(PT_G, 2, HCALL_G);
    set_pte(PT_G, 3, FOREIGN_G);
    set_pte(PT_G, 4, GRANT_G);
    memset(gpage(d, DATA_G), DATA_BYTE, PAGE_SIZE);
    memset(gpage(d, CODE_G), 0x90, PAGE_SIZE);
    memcpy(gpage(d, CODE_G), "\x0f\x01\xd9", 3); /* vmmcall */
    memset(gpage(other, F), OTHER_BYTE, PAGE_SIZE);
    mfn_t m = p2m_get_page(other, F, P2M_OWN_RAM, NULL); /* as a foreign map takes it */
    physmap_replace(d, FOREIGN_G, P2M_ANY, (struct p2m_entry){ m, P2M_FOREIGN });

    memset(&vmcb0, 0, sizeof(vmcb0));
    for (unsigned int i = 0; i < d->max_vcpus; i++)
        d->vcpus[i]->arch.svm.vmcb = &vmcb0;
    struct vcpu *v = d->vcpus[0];
    hvm_set_cr(v, 0, X86_CR0_PE | X86_CR0_PG | X86_CR0_WP);
    hvm_set_cr(v, 4, X86_CR4_PAE);
    hvm_set_cr(v, 3, PML4_G << PAGE_SHIFT);
    hvm_set_efer(v, EFER_LME | EFER_LMA);
    hvm_set_segment(v, HVM_SEG_CS, &(struct hvm_segment){ .attr = HVM_SEG_ATTR_L | 0x9b });
    hvm_set_rip(v, CODE_VA);
}

/* Every domain goes, and the pool has every page back: none leaked, none
 * freed twice (that panics). */
static void world_destroy(void)
{
    hv_destroy(d);
    hv_destroy(thief);
    hv_destroy(other);
}

static bool world_end(char *why, size_t len)
{
    world_destroy();
    if (zone_free_pages(ZONE_POOL) != WORLD_PAGES) {
        snprintf(why, len, "the pool has %lu pages, not the %u it had", zone_free_pages(ZONE_POOL), WORLD_PAGES);
        return false;
    }
    return true;
}

/* Takes n pages out of the pool for good, leaving exactly keep: the world
 * gets them all, so a page one of its domains frees is the very page the
 * thief gets next. */
static void hog_pool(uint64_t keep)
{
    for (int order = MAX_ORDER; order >= 0; order--)
        while (zone_free_pages(ZONE_POOL) >= keep + (1ULL << order) && alloc_pages(ZONE_POOL, order) != INVALID_MFN)
            ;
}

/* The thief's page, if it got one, still holds only what it wrote. */
static bool thief_page_intact(char *why, size_t len)
{
    uint8_t *p = gpage(thief, 0);
    for (unsigned int i = 0; p && i < PAGE_SIZE; i++)
        if (p[i] != THIEF_BYTE) {
            snprintf(why, len, "the page another domain got has %#x at %u", p[i], i);
            return false;
        }
    return true;
}

static bool all(const uint8_t *p, size_t n, uint8_t byte)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != byte)
            return false;
    return true;
}

/* Races: d's other vCPU takes a frame out; the thief gets whatever page that
 * freed and fills it. */
static void steal(struct domain *from, gfn_t gfn)
{
    domain_release_gfn(from, gfn, NULL);
    if (!domain_populate(thief, 0, 1))
        memset(gpage(thief, 0), THIEF_BYTE, PAGE_SIZE);
}
static void race_data(void *unused) { steal(d, DATA_G); }
static void race_pt(void *unused) { steal(d, PT_G); }
static void race_code(void *unused) { steal(d, CODE_G); }
static void race_hcall(void *unused) { steal(d, HCALL_G); }
/* d unmaps the foreign page while its owner balloons it out. */
static void race_foreign(void *unused)
{
    domain_remove_gfn(d, FOREIGN_G);
    steal(other, F);
}

static int op_rc;
static uint8_t buf[PAGE_SIZE];

static void op_read(void *unused) { op_rc = copy_from_guest(d->vcpus[0], buf, DATA_VA, sizeof(buf)); }
static void op_write(void *unused)
{
    memset(buf, 0xcc, sizeof(buf));
    op_rc = copy_to_guest(d->vcpus[0], DATA_VA, buf, sizeof(buf));
}
static void op_read_foreign(void *unused) { op_rc = copy_from_guest(d->vcpus[0], buf, FOREIGN_VA, sizeof(buf)); }
static void op_hcall(void *unused) { op_rc = hvm_write_hypercall_page(d->vcpus[0], HCALL_G << PAGE_SHIFT); }
static struct insn fetched;
static void op_fetch(void *unused) { op_rc = hvm_fetch_insn(d->vcpus[0], &fetched); }

static void world_warm(void)
{
    world();
    hvm_fetch_insn(d->vcpus[0], &fetched); /* the code page's translation is cached */
}

static bool read_old_or_failed(char *why, size_t len)
{
    bool ok = op_rc == -EFAULT || all(buf, sizeof(buf), DATA_BYTE);
    if (!ok)
        snprintf(why, len, "the copy returned %d and read %#x", op_rc, buf[0]);
    ok = ok && thief_page_intact(why, len);
    return world_end(why + strlen(why), len - strlen(why)) && ok;
}

static bool read_foreign_or_failed(char *why, size_t len)
{
    bool ok = op_rc == -EFAULT || all(buf, sizeof(buf), OTHER_BYTE);
    if (!ok)
        snprintf(why, len, "the copy returned %d and read %#x", op_rc, buf[0]);
    return world_end(why + strlen(why), len - strlen(why)) && ok;
}

static bool wrote_own_or_failed(char *why, size_t len)
{
    bool ok = thief_page_intact(why, len);
    return world_end(why + strlen(why), len - strlen(why)) && ok;
}

static bool fetched_vmmcall_or_failed(char *why, size_t len)
{
    bool vmmcall = !op_rc && fetched.len == 3 && fetched.map == INSN_MAP_0F && fetched.opcode == 0x01;
    bool ok = op_rc || vmmcall;
    if (!ok)
        snprintf(why, len, "decoded a %u-byte instruction, opcode %#x, not the guest's VMMCALL", fetched.len,
                 fetched.opcode);
    return world_end(why + strlen(why), len - strlen(why)) && ok;
}

/* Stubs: what the hypercall page's code calls besides. */
long hypercall_dispatch(struct vcpu *v, uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                        uint64_t a5)
{
    return -ENOSYS;
}

static uint32_t refs_of(struct domain *dom, gfn_t gfn)
{
    return mfn_to_page(p2m_lookup(dom, gfn, NULL))->refs;
}

int main(void)
{
    TAP_PLAN(19);
    hv_init();
    /* The heap keeps what it carved for small objects: let it have what
     * the world needs before the pool is measured. */
    world();
    world_destroy();
    SETUP("the pool", zone_free_pages(ZONE_POOL) >= WORLD_PAGES, "too small");
    hog_pool(WORLD_PAGES);
    SETUP("the pool is down to the world's pages", zone_free_pages(ZONE_POOL) == WORLD_PAGES, "%lu free",
          zone_free_pages(ZONE_POOL));
    char why[400] = "";
    struct vcpu *v;

    /* Plain use. */
    world();
    v = d->vcpus[0];
    uint8_t pattern[300];
    for (unsigned int i = 0; i < sizeof(pattern); i++)
        pattern[i] = (uint8_t)(i * 7);
    int rc = copy_to_guest(v, CODE_VA + PAGE_SIZE - 100, pattern, sizeof(pattern));
    CHECK("a copy to the guest goes on into the next page",
          rc == 0 && !memcmp(gpage(d, CODE_G) + PAGE_SIZE - 100, pattern, 100) &&
          !memcmp(gpage(d, HCALL_G), pattern + 100, 200), "rc %d", rc);
    uint8_t back[300];
    rc = copy_from_guest(v, back, CODE_VA + PAGE_SIZE - 100, sizeof(back));
    CHECK("and is read back the same", !rc && !memcmp(back, pattern, sizeof(back)), "rc %d", rc);
    uint64_t a_d = PTE_A | PTE_D;
    CHECK("the walk sets A at every level and D on the leaves written through",
          (pte(PML4_G, 0) & a_d) == PTE_A && (pte(PD_G, 2) & a_d) == PTE_A && (pte(PT_G, 1) & a_d) == a_d &&
          (pte(PT_G, 2) & a_d) == a_d && (pte(PT_G, 0) & a_d) == 0,
          "PML4E %#lx PDE %#lx PTEs %#lx %#lx %#lx", pte(PML4_G, 0), pte(PD_G, 2), pte(PT_G, 0), pte(PT_G, 1),
          pte(PT_G, 2));
    CHECK("and leaves no page reference behind",
          !refs_of(d, PML4_G) && !refs_of(d, PT_G) && !refs_of(d, DATA_G) && !refs_of(d, CODE_G),
          "references %u %u %u %u", refs_of(d, PML4_G), refs_of(d, PT_G), refs_of(d, DATA_G), refs_of(d, CODE_G));
    memset(back, 0, sizeof(back));
    rc = copy_from_guest(v, back, FOREIGN_VA, 64);
    CHECK("a foreign mapping is read through", !rc && all(back, 64, OTHER_BYTE) && refs_of(d, FOREIGN_G) == 1,
          "rc %d, read %#x, %u references", rc, back[0], refs_of(d, FOREIGN_G));
    rc = shared_info_map(d, SHINFO_G);
    d->shared_info->wc_sec = 0x12345678;
    uint32_t wc = 0;
    int rc2 = copy_from_gpa(d, &wc, (SHINFO_G << PAGE_SHIFT) + offsetof(struct shared_info, wc_sec), 4);
    CHECK("and a special page", !rc && !rc2 && wc == 0x12345678, "rc %d %d, read %#x", rc, rc2, wc);
    physmap_replace(d, MMIO_G, P2M_EMPTY, (struct p2m_entry){ 0xfee00, P2M_MMIO });
    rc = copy_from_gpa(d, &wc, MMIO_G << PAGE_SHIFT, 4);
    CHECK("but not device space", rc == -EFAULT, "rc %d", rc);
    /* A grant, mapped read-only by a map operation that d's vCPU makes
     * from its own memory. */
    grant_entry_v1_t *ge = (grant_entry_v1_t *)grant_table_frame(other, 0) + REF;
    *ge = (grant_entry_v1_t){ .flags = GTF_permit_access, .domid = 1, .frame = F };
    struct gnttab_map_grant_ref op = { .host_addr = GRANT_G << PAGE_SHIFT, .ref = REF, .dom = 3,
                                       .flags = GNTMAP_host_map | GNTMAP_readonly };
    copy_to_guest(v, DATA_VA, &op, sizeof(op));
    long lrc = do_grant_table_op(v, GNTTABOP_map_grant_ref, DATA_VA, 1, 0, 0);
    copy_from_guest(v, &op, DATA_VA, sizeof(op));
    memset(back, 0, sizeof(back));
    rc = copy_from_guest(v, back, GRANT_VA, 64);
    rc2 = copy_to_guest(v, GRANT_VA, pattern, 1);
    CHECK("a read-only grant is read through, not written", !lrc && op.status == GNTST_okay && !rc &&
          all(back, 64, OTHER_BYTE) && rc2 == -EFAULT, "map %ld status %d, read rc %d (%#x), write rc %d", lrc,
          op.status, rc, back[0], rc2);
    struct insn in;
    rc = hvm_fetch_insn(v, &in);
    rc2 = hvm_fetch_insn(v, &in);
    CHECK("an instruction fetch decodes the guest's VMMCALL, also from its cached translation",
          !rc && !rc2 && in.len == 3 && in.opcode == 0x01 && v->arch.insn_cache.valid &&
          v->arch.insn_cache.gfn == CODE_G, "rc %d %d, length %u", rc, rc2, in.len);
    rc = hvm_write_hypercall_page(v, HCALL_G << PAGE_SHIFT);
    const uint8_t *hp = gpage(d, HCALL_G);
    CHECK("the hypercall page gets its stubs", !rc && !memcmp(hp + 32, "\xb8\x01\0\0\0\x0f\x01\xd9\xc3", 9) &&
          !refs_of(d, HCALL_G), "rc %d", rc);
    CHECK("and everything comes back", world_end(why, sizeof(why)), "%s", why);

    /* A page-table page mapped read-only: its A bits are not set by us. */
    world();
    p2m_exchange(d, PT_G, P2M_TYPE(P2M_RAM), INVALID_MFN,
                 (struct p2m_entry){ p2m_lookup(d, PT_G, NULL), P2M_RAM_RO }, &(struct p2m_entry){ 0 }, NULL);
    rc = copy_from_guest(d->vcpus[0], back, DATA_VA, 8);
    CHECK("a page table the guest may not write is not written: the walk fails",
          rc == -EFAULT && !(pte(PT_G, 0) & PTE_A), "rc %d, PTE %#lx", rc, pte(PT_G, 0));
    world_end(why, sizeof(why));

    /* Another vCPU balloons the frame out at every lock event of the access. */
    RACE_CHECK("a copy from the guest racing a balloon-out of its frame never reads another domain's page",
               world, op_read, race_data, read_old_or_failed);
    RACE_CHECK("a copy to the guest racing a balloon-out of its frame never writes another domain's page",
               world, op_write, race_data, wrote_own_or_failed);
    RACE_CHECK("a page walk racing a balloon-out of a page table never sets bits in another domain's page",
               world, op_write, race_pt, wrote_own_or_failed);
    RACE_CHECK("a copy through a foreign mapping racing its unmap and the balloon-out never reads a reused page",
               world, op_read_foreign, race_foreign, read_foreign_or_failed);
    RACE_CHECK("an instruction fetch racing a balloon-out of the code page decodes the guest's instruction or fails",
               world, op_fetch, race_code, fetched_vmmcall_or_failed);
    RACE_CHECK("so does one from the cached translation", world_warm, op_fetch, race_code, fetched_vmmcall_or_failed);
    RACE_CHECK("the hypercall page racing a balloon-out of its frame never lands in another domain's page",
               world, op_hcall, race_hcall, wrote_own_or_failed);
    TAP_EXIT();
}
