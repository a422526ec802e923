/* A PV frontend's plumbing for the hostile test guests (front.h). */
#include "front.h"

#include <xen/io/xs_wire.h>

struct shared_info *front_shared;
grant_entry_v1_t *front_grants;

static const char *front_who = "front";
static grant_ref_t next_gref = GNTTAB_NR_RESERVED_ENTRIES;
static struct xenstore_domain_interface *store;
static evtchn_port_t store_port;
static uint32_t store_req_id;

/* Four GiB identity-mapped with 2 MiB pages: the xenstore page is near
 * 4 GiB, above the 1 GiB the common start-up code maps. */
static uint64_t pml4[512] __attribute__((aligned(FRONT_PAGE_SIZE)));
static uint64_t pdpt[512] __attribute__((aligned(FRONT_PAGE_SIZE)));
static uint64_t pd[4][512] __attribute__((aligned(FRONT_PAGE_SIZE)));
static uint8_t shinfo_page[FRONT_PAGE_SIZE] __attribute__((aligned(FRONT_PAGE_SIZE)));
static uint8_t gnttab_page[FRONT_PAGE_SIZE] __attribute__((aligned(FRONT_PAGE_SIZE)));

void front_fail(const char *what, long rc)
{
    guest_printf("%s: %s failed: %ld\n", front_who, what, rc);
    guest_shutdown(SHUTDOWN_crash);
}

unsigned long front_gfn_of(const void *p)
{
    return (unsigned long)(uintptr_t)p >> 12;
}

uint64_t front_now_ns(void)
{
    return guest_pvclock_ns(&front_shared->vcpu_info[0].time);
}

void front_idle(void)
{
    for (;;)
        front_wait_event(store_port, 60000);
}

static void map_four_gib(void)
{
    for (unsigned int i = 0; i < 4; i++) {
        for (unsigned int j = 0; j < 512; j++)
            pd[i][j] = (((uint64_t)i * 512 + j) << 21) | 0x83; /* present, writable, 2 MiB */
        pdpt[i] = (uint64_t)(uintptr_t)pd[i] | 3;
    }
    pml4[0] = (uint64_t)(uintptr_t)pdpt | 3;
    __asm__ volatile("mov %0, %%cr3" ::"r"((uint64_t)(uintptr_t)pml4) : "memory");
}

static uint64_t hvm_param(uint32_t index)
{
    struct xen_hvm_param p = { .domid = DOMID_SELF, .index = index };
    long rc = hypercall2(__HYPERVISOR_hvm_op, HVMOP_get_param, (unsigned long)&p);
    if (rc)
        front_fail("HVMOP_get_param", rc);
    return p.value;
}

static void mask(evtchn_port_t port)
{
    __atomic_fetch_or(&front_shared->evtchn_mask[port / (sizeof(xen_ulong_t) * 8)],
                      (xen_ulong_t)1 << (port % (sizeof(xen_ulong_t) * 8)), __ATOMIC_SEQ_CST);
}

static void clear_pending(evtchn_port_t port)
{
    __atomic_fetch_and(&front_shared->evtchn_pending[port / (sizeof(xen_ulong_t) * 8)],
                       ~((xen_ulong_t)1 << (port % (sizeof(xen_ulong_t) * 8))), __ATOMIC_SEQ_CST);
}

void front_init(const char *who)
{
    front_who = who;
    map_four_gib();
    long rc = guest_map_space(XENMAPSPACE_shared_info, 0, front_gfn_of(shinfo_page));
    if (rc)
        front_fail("mapping shared_info", rc);
    rc = guest_map_space(XENMAPSPACE_grant_table, 0, front_gfn_of(gnttab_page));
    if (rc)
        front_fail("mapping grant frame 0", rc);
    front_shared = (struct shared_info *)shinfo_page;
    front_grants = (grant_entry_v1_t *)gnttab_page;
    store = (struct xenstore_domain_interface *)(uintptr_t)(hvm_param(HVM_PARAM_STORE_PFN) << 12);
    store_port = (evtchn_port_t)hvm_param(HVM_PARAM_STORE_EVTCHN);
    mask(store_port);
}

void front_notify(evtchn_port_t port)
{
    struct evtchn_send s = { .port = port };
    hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_send, (unsigned long)&s);
}

void front_wait_event(evtchn_port_t port, uint64_t ms)
{
    guest_poll(port, front_now_ns() + ms * NS_PER_MS);
    clear_pending(port);
}

evtchn_port_t front_alloc_port(void)
{
    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = 0 };
    long rc = hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound,
                         (unsigned long)&au);
    if (rc)
        front_fail("EVTCHNOP_alloc_unbound", rc);
    mask(au.port);
    return au.port;
}

grant_ref_t front_unused_ref(void)
{
    return next_gref++;
}

grant_ref_t front_grant_gfn(unsigned long gfn, domid_t to, bool readonly)
{
    grant_ref_t ref = next_gref++;
    front_grants[ref].domid = to;
    front_grants[ref].frame = (uint32_t)gfn;
    __atomic_store_n(&front_grants[ref].flags,
                     (uint16_t)(GTF_permit_access | (readonly ? GTF_readonly : 0)),
                     __ATOMIC_RELEASE);
    return ref;
}

grant_ref_t front_grant(const void *page, bool readonly)
{
    return front_grant_gfn(front_gfn_of(page), 0, readonly);
}

/* ---- a minimal xenstore client on the shared ring ---- */

static void ring_write(const void *data, uint32_t len)
{
    const uint8_t *p = data;
    while (len) {
        XENSTORE_RING_IDX prod = store->req_prod;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (prod - store->req_cons >= XENSTORE_RING_SIZE) {
            front_wait_event(store_port, 10);
            continue;
        }
        store->req[MASK_XENSTORE_IDX(prod)] = (char)*p++;
        __atomic_thread_fence(__ATOMIC_RELEASE);
        store->req_prod = prod + 1;
        len--;
    }
    front_notify(store_port);
}

static void ring_read(void *data, uint32_t len)
{
    uint8_t *p = data;
    uint64_t deadline = front_now_ns() + 10000 * NS_PER_MS;
    while (len) {
        XENSTORE_RING_IDX cons = store->rsp_cons;
        if (store->rsp_prod == cons) {
            if (front_now_ns() > deadline)
                front_fail("xenstore: no reply", 0);
            front_wait_event(store_port, 10);
            continue;
        }
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        *p++ = (uint8_t)store->rsp[MASK_XENSTORE_IDX(cons)];
        __atomic_thread_fence(__ATOMIC_RELEASE);
        store->rsp_cons = cons + 1;
        len--;
    }
    front_notify(store_port);
}

/* One request; the reply's payload (NUL-terminated) in out. Returns 0,
 * or -1 for an XS_ERROR reply (its text in out). */
static int xs_request(uint32_t type, const char *path, const char *value, char *out,
                      size_t outlen)
{
    uint32_t plen = (uint32_t)strlen(path) + 1, vlen = value ? (uint32_t)strlen(value) : 0;
    struct xsd_sockmsg m = { .type = type, .req_id = ++store_req_id, .len = plen + vlen };
    ring_write(&m, sizeof(m));
    ring_write(path, plen);
    if (vlen)
        ring_write(value, vlen);
    for (;;) {
        struct xsd_sockmsg r;
        char payload[XENSTORE_PAYLOAD_MAX + 1];
        ring_read(&r, sizeof(r));
        if (r.len > XENSTORE_PAYLOAD_MAX)
            front_fail("xenstore: oversized reply", r.len);
        ring_read(payload, r.len);
        payload[r.len] = '\0';
        if (r.type == XS_WATCH_EVENT || r.req_id != m.req_id)
            continue;
        size_t n = r.len < outlen - 1 ? r.len : outlen - 1;
        memcpy(out, payload, n);
        out[n] = '\0';
        return r.type == XS_ERROR ? -1 : 0;
    }
}

int front_xs_read(const char *path, char *out, size_t outlen)
{
    return xs_request(XS_READ, path, NULL, out, outlen);
}

void front_xs_write(const char *path, const char *value)
{
    char reply[64];
    if (xs_request(XS_WRITE, path, value, reply, sizeof(reply))) {
        guest_printf("%s: xenstore write %s: %s\n", front_who, path, reply);
        front_fail("xenstore write", 0);
    }
}

void front_xs_write_u(const char *path, unsigned long value)
{
    char text[24] = "";
    front_append_u(text, sizeof(text), value);
    front_xs_write(path, text);
}

/* ---- text helpers ---- */

void front_append(char *buf, size_t len, const char *s)
{
    size_t n = strlen(buf);
    while (*s && n + 1 < len)
        buf[n++] = *s++;
    buf[n] = '\0';
}

void front_append_u(char *buf, size_t len, unsigned long v)
{
    char rev[24];
    int n = 0;
    do {
        rev[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    char text[24];
    for (int i = 0; i < n; i++)
        text[i] = rev[n - 1 - i];
    text[n] = '\0';
    front_append(buf, len, text);
}

void front_key(char *buf, size_t len, const char *dir, unsigned int i, const char *name)
{
    buf[0] = '\0';
    front_append(buf, len, dir);
    if (i != ~0u)
        front_append_u(buf, len, i);
    front_append(buf, len, "/");
    front_append(buf, len, name);
}

int front_hex(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int front_read_state(const char *dir)
{
    char path[128], v[16];
    front_key(path, sizeof(path), dir, ~0u, "state");
    if (front_xs_read(path, v, sizeof(v)))
        return -1;
    return v[0] >= '0' && v[0] <= '9' ? v[0] - '0' : -1;
}

bool front_wait_state(const char *dir, int want, uint64_t ms)
{
    uint64_t deadline = front_now_ns() + ms * NS_PER_MS;
    while (front_read_state(dir) != want) {
        if (front_now_ns() > deadline)
            return false;
        front_wait_event(store_port, 50);
    }
    return true;
}
