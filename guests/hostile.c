/*
 * A guest that misbehaves on purpose. It first probes what must fail
 * without harming it (unknown hypercalls, bad pointers, privileged
 * instructions), printing "hostile: probe NAME ok" or "... FAILED", then
 * does what its mode= asks: npf (run code from guest-physical memory that
 * does not exist: reads and writes there are completed, as Xen does, but
 * nothing can be executed), triple (a triple fault), or probe (stop after
 * the probes).
 */
#include "common/guest.h"

#define EPERM 1
#define ENOENT 2
#define ESRCH 3
#define ENOSYS 38
#define EFAULT 14
#define EINVAL 22
#define BAD_PTR 0x7fff00000000UL  /* unmapped in our page tables */

/* Set by the exception stubs in hostile_exc.S. */
extern volatile uint64_t exc_vector, exc_skip;
void exc_ud_stub(void);
void exc_gp_stub(void);

struct idt_gate {
    uint16_t lo, sel;
    uint8_t ist, attr;
    uint16_t mid;
    uint32_t hi, zero;
} __attribute__((packed));

static struct idt_gate idt[32];
static int probes, failures;

static void set_gate(int vec, void (*fn)(void))
{
    uint64_t a = (uint64_t)(uintptr_t)fn;
    idt[vec] = (struct idt_gate){ (uint16_t)a, 0x08, 0, 0x8e, (uint16_t)(a >> 16), (uint32_t)(a >> 32), 0 };
}

static void load_idt(void)
{
    set_gate(6, exc_ud_stub);
    set_gate(13, exc_gp_stub);
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) d = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
    __asm__ volatile("lidt %0" ::"m"(d));
}

static void expect(const char *name, long got, long want)
{
    probes++;
    if (got == want) {
        guest_printf("hostile: probe %s ok\n", name);
    } else {
        failures++;
        guest_printf("hostile: probe %s FAILED (got %ld, want %ld)\n", name, got, want);
    }
}

static long console_write(const void *p, unsigned long n)
{
    return hypercall3(__HYPERVISOR_console_io, CONSOLEIO_write, n, (unsigned long)p);
}

/* Runs a privileged instruction and reports which exception it raised. */
#define TRY_INSN(name, len, want_vec, asm_text, ...)                           \
    do {                                                                       \
        exc_vector = 0;                                                        \
        exc_skip = len;                                                        \
        __asm__ volatile(asm_text ::__VA_ARGS__ : "memory");                   \
        expect(name, (long)exc_vector, want_vec);                              \
    } while (0)

static long evtchn(unsigned int cmd, void *arg)
{
    return hypercall2(__HYPERVISOR_event_channel_op, cmd, (unsigned long)arg);
}

static long memop(unsigned int cmd, void *arg)
{
    return hypercall2(__HYPERVISOR_memory_op, cmd, (unsigned long)arg);
}

static long gnttab(unsigned int cmd, void *arg, unsigned int count)
{
    return hypercall3(__HYPERVISOR_grant_table_op, cmd, (unsigned long)arg, count);
}

/* The hypercalls Linux needs as a PVH guest, each given bad arguments. */
/* Where the copy probes map a grant frame: not RAM once mapped. */
static uint8_t gnttab_frame[4096] __attribute__((aligned(4096)));

static void probe_abi_hypercalls(void)
{
    /* event_channel_op */
    expect("evtchn bad pointer", hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_send, BAD_PTR), -EFAULT);
    expect("evtchn unknown command", evtchn(99, 0), -ENOSYS);
    struct evtchn_send send = { .port = 4095 };
    expect("evtchn send on a closed port", evtchn(EVTCHNOP_send, &send), -EINVAL);
    send.port = 1u << 20;
    expect("evtchn send on a port past the ABI", evtchn(EVTCHNOP_send, &send), -EINVAL);
    struct evtchn_close cl = { .port = 5000 };
    expect("evtchn close of a port past the ABI", evtchn(EVTCHNOP_close, &cl), -EINVAL);
    struct evtchn_bind_virq bv = { .virq = 99, .vcpu = 0 };
    expect("evtchn bind_virq to an unknown virq", evtchn(EVTCHNOP_bind_virq, &bv), -EINVAL);
    bv = (struct evtchn_bind_virq){ .virq = VIRQ_TIMER, .vcpu = 7 };
    expect("evtchn bind_virq on a missing vcpu", evtchn(EVTCHNOP_bind_virq, &bv), -EINVAL);
    struct evtchn_bind_ipi bi = { .vcpu = 9 };
    expect("evtchn bind_ipi on a missing vcpu", evtchn(EVTCHNOP_bind_ipi, &bi), -ENOENT);
    struct evtchn_alloc_unbound au = { .dom = 5, .remote_dom = 0 };
    expect("evtchn alloc_unbound for another domain", evtchn(EVTCHNOP_alloc_unbound, &au), -EPERM);
    struct evtchn_bind_interdomain bd = { .remote_dom = 77, .remote_port = 1 };
    expect("evtchn bind_interdomain to no domain", evtchn(EVTCHNOP_bind_interdomain, &bd), -ESRCH);
    bd = (struct evtchn_bind_interdomain){ .remote_dom = DOMID_SELF, .remote_port = 3000 };
    expect("evtchn bind_interdomain to a closed port", evtchn(EVTCHNOP_bind_interdomain, &bd), -EINVAL);
    struct evtchn_status st = { .dom = DOMID_SELF, .port = 99999 };
    expect("evtchn status past the ABI", evtchn(EVTCHNOP_status, &st), -EINVAL);
    struct evtchn_unmask um = { .port = 4000 };
    expect("evtchn unmask of a closed port", evtchn(EVTCHNOP_unmask, &um), -EINVAL);
    struct evtchn_bind_vcpu bvc = { .port = 1, .vcpu = 40 };
    expect("evtchn bind_vcpu to a missing vcpu", evtchn(EVTCHNOP_bind_vcpu, &bvc), -ENOENT);

    /* memory_op */
    expect("memory_op bad pointer", hypercall2(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, BAD_PTR), -EFAULT);
    struct xen_add_to_physmap ap = { .domid = DOMID_SELF, .space = XENMAPSPACE_shared_info, .idx = 1, .gpfn = 0x300 };
    expect("add_to_physmap shared_info index 1", memop(XENMEM_add_to_physmap, &ap), -EINVAL);
    ap = (struct xen_add_to_physmap){ .domid = DOMID_SELF, .space = 99, .gpfn = 0x300 };
    expect("add_to_physmap unknown space", memop(XENMEM_add_to_physmap, &ap), -EINVAL);
    ap = (struct xen_add_to_physmap){ .domid = DOMID_SELF, .space = XENMAPSPACE_shared_info, .gpfn = 1UL << 40 };
    expect("add_to_physmap beyond the physical address space", memop(XENMEM_add_to_physmap, &ap), -EINVAL);
    ap = (struct xen_add_to_physmap){ .domid = 100, .space = XENMAPSPACE_shared_info, .gpfn = 0x300 };
    expect("add_to_physmap into another domain", memop(XENMEM_add_to_physmap, &ap), -ESRCH);
    ap = (struct xen_add_to_physmap){ .domid = DOMID_SELF, .space = XENMAPSPACE_grant_table, .idx = 5000, .gpfn = 0x300 };
    expect("add_to_physmap grant frame past the maximum", memop(XENMEM_add_to_physmap, &ap), -EINVAL);
    struct xen_memory_reservation mr = { .nr_extents = 1, .extent_order = 0, .domid = DOMID_SELF };
    set_xen_guest_handle(mr.extent_start, (xen_pfn_t *)BAD_PTR);
    expect("populate_physmap with a bad extent list", memop(XENMEM_populate_physmap, &mr), -EFAULT);
    mr.extent_order = 30;
    expect("populate_physmap with a huge extent order", memop(XENMEM_populate_physmap, &mr), -EINVAL);
    static xen_pfn_t not_ram = 0x3f000;
    mr = (struct xen_memory_reservation){ .nr_extents = 1, .domid = DOMID_SELF };
    set_xen_guest_handle(mr.extent_start, &not_ram);
    expect("decrease_reservation of memory we do not have", memop(XENMEM_decrease_reservation, &mr), 0);
    struct xen_memory_map mm = { .nr_entries = 8 };
    set_xen_guest_handle(mm.buffer, (void *)BAD_PTR);
    expect("memory_map into a bad buffer", memop(XENMEM_memory_map, &mm), -EFAULT);
    struct xen_remove_from_physmap rp = { .domid = DOMID_SELF, .gpfn = 0x3f000 };
    expect("remove_from_physmap of nothing", memop(XENMEM_remove_from_physmap, &rp), -ENOENT);

    /* multicall: each entry's result in its place, a nested multicall
     * refused, a bad pointer in an entry or for the list an -EFAULT, and
     * a list longer than one batch (the hypervisor continues it). */
    static struct multicall_entry mc[40];
    expect("multicall with a bad list", hypercall2(__HYPERVISOR_multicall, BAD_PTR, 2), -EFAULT);
    mc[0] = (struct multicall_entry){ .op = __HYPERVISOR_xen_version, .args = { XENVER_version } };
    mc[1] = (struct multicall_entry){ .op = __HYPERVISOR_multicall, .args = { (unsigned long)mc, 1 } };
    mc[2] = (struct multicall_entry){ .op = __HYPERVISOR_memory_op, .args = { XENMEM_add_to_physmap, BAD_PTR } };
    mc[3] = (struct multicall_entry){ .op = 99 };
    expect("multicall of four entries", hypercall2(__HYPERVISOR_multicall, (unsigned long)mc, 4), 0);
    expect("multicall: xen_version's result", (long)mc[0].result, (4 << 16) | 17);
    expect("multicall: a nested multicall refused", (long)mc[1].result, -EINVAL);
    expect("multicall: a bad pointer in an entry", (long)mc[2].result, -EFAULT);
    expect("multicall: an unknown hypercall", (long)mc[3].result, -ENOSYS);
    long all = 0;
    for (int i = 0; i < 40; i++)
        mc[i] = (struct multicall_entry){ .op = __HYPERVISOR_xen_version, .args = { XENVER_version }, .result = 1 };
    long rc = hypercall2(__HYPERVISOR_multicall, (unsigned long)mc, 40);
    for (int i = 0; i < 40; i++)
        all += mc[i].result == ((4 << 16) | 17);
    expect("multicall of 40 entries (continued past a batch)", rc ? rc : all, 40);

    /* hvm_op */
    struct xen_hvm_param hp = { .domid = DOMID_SELF, .index = 999 };
    expect("hvm get_param past the table", hypercall2(__HYPERVISOR_hvm_op, HVMOP_get_param, (unsigned long)&hp), -EINVAL);
    hp = (struct xen_hvm_param){ .domid = DOMID_SELF, .index = HVM_PARAM_STORE_PFN, .value = 0x1000 };
    expect("hvm set_param of the store page", hypercall2(__HYPERVISOR_hvm_op, HVMOP_set_param, (unsigned long)&hp), -EPERM);
    hp = (struct xen_hvm_param){ .domid = DOMID_SELF, .index = HVM_PARAM_CALLBACK_IRQ, .value = 9 };
    expect("hvm callback via a GSI (not on PVH)", hypercall2(__HYPERVISOR_hvm_op, HVMOP_set_param, (unsigned long)&hp), -EINVAL);
    hp = (struct xen_hvm_param){ .domid = 100, .index = HVM_PARAM_CALLBACK_IRQ };
    expect("hvm get_param of another domain", hypercall2(__HYPERVISOR_hvm_op, HVMOP_get_param, (unsigned long)&hp), -EPERM);
    expect("hvm_op bad pointer", hypercall2(__HYPERVISOR_hvm_op, HVMOP_get_param, BAD_PTR), -EFAULT);

    /* vcpu_op */
    expect("vcpu_op on a missing vcpu", hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_is_up, 5, 0), -ENOENT);
    struct vcpu_register_vcpu_info vi = { .mfn = 0x200, .offset = 4090 };
    expect("register_vcpu_info across a page end", hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_register_vcpu_info, 0, (unsigned long)&vi), -EINVAL);
    vi = (struct vcpu_register_vcpu_info){ .mfn = 0x3f000, .offset = 0 };
    expect("register_vcpu_info outside our memory", hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_register_vcpu_info, 0, (unsigned long)&vi), -EINVAL);
    expect("vcpu_op bad pointer", hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, BAD_PTR), -EFAULT);
    struct vcpu_set_periodic_timer pt = { .period_ns = 10 };
    expect("periodic timer of 10 ns", hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_set_periodic_timer, 0, (unsigned long)&pt), -EINVAL);

    /* grant_table_op */
    struct gnttab_query_size qs = { .dom = DOMID_SELF };
    expect("grant query_size with count 2", gnttab(GNTTABOP_query_size, &qs, 2), -EINVAL);
    expect("grant_table_op bad pointer", hypercall3(__HYPERVISOR_grant_table_op, GNTTABOP_query_size, BAD_PTR, 1), -EFAULT);
    struct gnttab_setup_table su = { .dom = DOMID_SELF, .nr_frames = 1000 };
    gnttab(GNTTABOP_setup_table, &su, 1);
    expect("grant setup_table of 1000 frames fails", su.status, GNTST_general_error);
    struct gnttab_map_grant_ref mg = { .host_addr = 0x3f000000, .flags = GNTMAP_host_map, .ref = 1, .dom = 7 };
    gnttab(GNTTABOP_map_grant_ref, &mg, 1);
    expect("grant map from no domain", mg.status, GNTST_bad_domain);
    struct gnttab_unmap_grant_ref ug = { .host_addr = 0x3f000000, .handle = 12345 };
    gnttab(GNTTABOP_unmap_grant_ref, &ug, 1);
    expect("grant unmap of a bad handle", ug.status, GNTST_bad_handle);
    struct gnttab_copy gc = { .source.domid = DOMID_SELF, .source.u.gmfn = 0x100, .dest.domid = DOMID_SELF,
                              .dest.u.gmfn = 0x101, .len = 8192 };
    gnttab(GNTTABOP_copy, &gc, 1);
    expect("grant copy longer than a page", gc.status, GNTST_bad_copy_arg);
    gc = (struct gnttab_copy){ .source.domid = 1, .source.u.gmfn = 0x100, .dest.domid = DOMID_SELF,
                               .dest.u.gmfn = 0x101, .len = 8 };
    gnttab(GNTTABOP_copy, &gc, 1);
    expect("grant copy from another domain's frame", gc.status, GNTST_permission_denied);
    /* A frame that is not RAM (our grant table, mapped into our space): refused,
     * and the hypervisor must not drop a page reference it never took. */
    ap = (struct xen_add_to_physmap){ .domid = DOMID_SELF, .space = XENMAPSPACE_grant_table,
                                      .idx = 0, .gpfn = (unsigned long)(uintptr_t)gnttab_frame >> 12 };
    expect("add_to_physmap grant frame 0", memop(XENMEM_add_to_physmap, &ap), 0);
    for (int i = 0; i < 3; i++) {
        gc = (struct gnttab_copy){ .source.domid = DOMID_SELF,
                                   .source.u.gmfn = (unsigned long)(uintptr_t)gnttab_frame >> 12,
                                   .dest.domid = DOMID_SELF, .dest.u.gmfn = 0x101, .len = 8 };
        gnttab(GNTTABOP_copy, &gc, 1);
        expect("grant copy from a grant-table frame", gc.status, GNTST_bad_page);
        gc = (struct gnttab_copy){ .source.domid = DOMID_SELF, .source.u.gmfn = 0x101,
                                   .dest.domid = DOMID_SELF,
                                   .dest.u.gmfn = (unsigned long)(uintptr_t)gnttab_frame >> 12, .len = 8 };
        gnttab(GNTTABOP_copy, &gc, 1);
        expect("grant copy into a grant-table frame", gc.status, GNTST_bad_page);
    }
    gc = (struct gnttab_copy){ .source.domid = DOMID_SELF, .source.u.gmfn = 0x3f000,
                               .dest.domid = DOMID_SELF, .dest.u.gmfn = 0x101, .len = 8 };
    gnttab(GNTTABOP_copy, &gc, 1);
    expect("grant copy from a frame we do not have", gc.status, GNTST_bad_page);

    /* sched_op poll, vm_assist */
    static evtchn_port_t poll_port = 99999;
    struct sched_poll sp = { .nr_ports = 1000 };
    set_xen_guest_handle(sp.ports, &poll_port);
    expect("poll on 1000 ports", hypercall2(__HYPERVISOR_sched_op, SCHEDOP_poll, (unsigned long)&sp), -EINVAL);
    sp.nr_ports = 1;
    expect("poll on a port past the ABI", hypercall2(__HYPERVISOR_sched_op, SCHEDOP_poll, (unsigned long)&sp), -EINVAL);
    set_xen_guest_handle(sp.ports, (evtchn_port_t *)BAD_PTR);
    expect("poll with a bad port list", hypercall2(__HYPERVISOR_sched_op, SCHEDOP_poll, (unsigned long)&sp), -EFAULT);
    expect("vm_assist of an unknown type", hypercall2(__HYPERVISOR_vm_assist, 0, 99), -EINVAL);
}

static void run_probes(void)
{
    static const char ok_text[] = "hostile: a valid write still works\n";
    uint64_t ram_top;

    expect("unknown hypercall 64", hypercall2(64, 0, 0), -ENOSYS);
    expect("unknown hypercall 4096", hypercall2(4096, 0, 0), -ENOSYS);
    expect("unknown hypercall -1", hypercall2(~0UL, 0, 0), -ENOSYS);
    expect("sched_op bad command", hypercall2(__HYPERVISOR_sched_op, 77, 0), -ENOSYS);
    expect("xen_version bad command", hypercall2(__HYPERVISOR_xen_version, 9999, 0), -ENOSYS);

    /* Pointers: unmapped in our page tables, non-canonical, past our RAM. */
    expect("console_io unmapped pointer", console_write((void *)0x7fff00000000UL, 16), -EFAULT);
    expect("console_io non-canonical pointer", console_write((void *)0x8000000000000000UL, 16), -EFAULT);
    ram_top = 0x3f000000; /* identity-mapped by us, far beyond our RAM */
    expect("console_io pointer past RAM", console_write((void *)ram_top, 16), -EFAULT);
    expect("console_io length past RAM", console_write(ok_text, 0xffffffffUL), -EFAULT);
    expect("xen_version bad pointer",
           hypercall2(__HYPERVISOR_xen_version, XENVER_extraversion, 0x7fff00000000UL), -EFAULT);
    expect("get_features bad pointer",
           hypercall2(__HYPERVISOR_xen_version, XENVER_get_features, 0x3f000000UL), -EFAULT);
    expect("shutdown bad pointer", hypercall2(__HYPERVISOR_sched_op, SCHEDOP_shutdown, 0x3f000000UL), -EFAULT);
    struct sched_shutdown bad = { .reason = 99 };
    expect("shutdown bad reason", hypercall2(__HYPERVISOR_sched_op, SCHEDOP_shutdown, (unsigned long)&bad), -EINVAL);
    expect("console_io after the bad calls", console_write(ok_text, sizeof(ok_text) - 1), 0);

    /* Instructions we must refuse without trouble. */
    TRY_INSN("vmrun raises #UD", 3, 6, "vmrun %%rax", "a"(0));
    TRY_INSN("vmload raises #UD", 3, 6, "vmload %%rax", "a"(0));
    TRY_INSN("unknown MSR read raises #GP", 2, 13, "rdmsr", "c"(0xdeadbeef));
    TRY_INSN("EFER reserved bit raises #GP", 2, 13, "wrmsr", "c"(0xc0000080), "a"(1u << 20), "d"(0));
    uint64_t cr4;
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    __asm__ volatile("mov %0, %%cr4" ::"r"(cr4 | (1UL << 18))); /* OSXSAVE, so XSETBV reaches us */
    TRY_INSN("xsetbv without x87 raises #GP", 3, 13, "xsetbv", "c"(0), "a"(0), "d"(0));
    TRY_INSN("xsetbv to XCR1 raises #GP", 3, 13, "xsetbv", "c"(1), "a"(1), "d"(0));
    TRY_INSN("rdpmc raises #GP", 2, 13, "rdpmc", "c"(0));
    TRY_INSN("hypercall MSR at bad address raises #GP", 2, 13, "wrmsr", "c"(0x40000000), "a"(0x123), "d"(0));

    probe_abi_hypercalls();
    guest_printf("hostile: probes passed %d/%d\n", probes - failures, probes);
}

int guest_main_entry(const struct hvm_start_info *si)
{
    char mode[16];
    if (!guest_arg("mode", mode, sizeof(mode)))
        mode[0] = '\0';
    load_idt();
    run_probes();

    if (!strncmp(mode, "npf", 4)) {
        guest_printf("hostile: running code from guest-physical memory that does not exist\n");
        ((void (*)(void))0x3f000000UL)();
    } else if (!strncmp(mode, "triple", 7)) {
        guest_printf("hostile: triple fault\n");
        struct {
            uint16_t limit;
            uint64_t base;
        } __attribute__((packed)) none = { 0, 0 };
        __asm__ volatile("lidt %0; int3" ::"m"(none));
    } else {
        guest_printf("hostile: probes done\n");
        return failures ? 1 : 0;
    }
    guest_printf("hostile: still running after the fatal act: hypervisor bug\n");
    return 1;
}
