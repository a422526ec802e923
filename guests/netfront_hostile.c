/*
 * A hostile network frontend: the guest side of Dom0's netback, written
 * to break the rules of the netif protocol on purpose. xl gives it vifs
 * (vif = ['', '', '', '']); it connects each through xenstore as Linux's
 * netfront does (a minimal client on its xenstore ring), then attacks:
 *
 *   vif 0  bad grant references (not granted, beyond the table, granted
 *          with a frame that is not RAM) and overlapping slots (a slot
 *          larger than what is left of its packet): netback must answer
 *          each with an error and carry on, so two valid packets (one
 *          copied whole, one copied and grant-mapped) go through after;
 *   vif 1  an oversized request (offset + size past the page);
 *   vif 2  more slots than a packet may have (30 chained slots);
 *   vif 3  a ring producer index far ahead of what the ring holds.
 *
 * On vifs 1-3 netback must disable the vif ("fatal error; disabling
 * device"). The hypervisor, Dom0 and the other guests must not notice.
 * Lines start with "netfront-hostile:"; the last is "netfront-hostile:
 * done", after which the guest idles until it is destroyed.
 * `vifs=N` (default 4) says how many vifs to expect; `attack=0` only
 * connects them (a well-behaved frontend, for create/destroy cycles).
 */
#include "common/guest.h"

#define xen_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define xen_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#include <xen/io/ring.h>
#include <xen/io/netif.h>
#include <xen/io/xenbus.h>
#include <xen/io/xs_wire.h>

#define PAGE_SIZE 4096
#define MAX_VIFS 4
#define FIRST_GREF GNTTAB_NR_RESERVED_ENTRIES
#define NS_PER_MS 1000000ULL

/* Four GiB identity-mapped with 2 MiB pages: the xenstore page is near
 * 4 GiB, above the 1 GiB the common start-up code maps. */
static uint64_t pml4[512] __attribute__((aligned(PAGE_SIZE)));
static uint64_t pdpt[512] __attribute__((aligned(PAGE_SIZE)));
static uint64_t pd[4][512] __attribute__((aligned(PAGE_SIZE)));

static uint8_t shinfo_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t gnttab_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t tx_pages[MAX_VIFS][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t rx_pages[MAX_VIFS][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t packet_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

static struct shared_info *shared;
static grant_entry_v1_t *grants;
static grant_ref_t next_gref = FIRST_GREF;
static struct xenstore_domain_interface *store;
static evtchn_port_t store_port;
static uint32_t store_req_id;

struct vif {
    struct netif_tx_front_ring tx;
    struct netif_rx_front_ring rx;
    evtchn_port_t port;
    uint8_t mac[6];
    char backend[96];
};
static struct vif vifs[MAX_VIFS];

static void fail(const char *what, long rc)
{
    guest_printf("netfront-hostile: %s failed: %ld\n", what, rc);
    guest_shutdown(SHUTDOWN_crash);
}

static unsigned long gfn_of(const void *p)
{
    return (unsigned long)(uintptr_t)p >> 12;
}

static uint64_t now_ns(void)
{
    return guest_pvclock_ns(&shared->vcpu_info[0].time);
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
        fail("HVMOP_get_param", rc);
    return p.value;
}

static void notify(evtchn_port_t port)
{
    struct evtchn_send s = { .port = port };
    hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_send, (unsigned long)&s);
}

/* Masked ports: events only set pending bits, which SCHEDOP_poll sees. */
static void mask(evtchn_port_t port)
{
    __atomic_fetch_or(&shared->evtchn_mask[port / (sizeof(xen_ulong_t) * 8)],
                      (xen_ulong_t)1 << (port % (sizeof(xen_ulong_t) * 8)), __ATOMIC_SEQ_CST);
}

static void clear_pending(evtchn_port_t port)
{
    __atomic_fetch_and(&shared->evtchn_pending[port / (sizeof(xen_ulong_t) * 8)],
                       ~((xen_ulong_t)1 << (port % (sizeof(xen_ulong_t) * 8))), __ATOMIC_SEQ_CST);
}

static void wait_event(evtchn_port_t port, uint64_t ms)
{
    guest_poll(port, now_ns() + ms * NS_PER_MS);
    clear_pending(port);
}

static grant_ref_t grant(const void *page, bool readonly)
{
    grant_ref_t ref = next_gref++;
    grants[ref].domid = 0;
    grants[ref].frame = (uint32_t)gfn_of(page);
    __atomic_store_n(&grants[ref].flags,
                     (uint16_t)(GTF_permit_access | (readonly ? GTF_readonly : 0)),
                     __ATOMIC_RELEASE);
    return ref;
}

/* ---- a minimal xenstore client on the shared ring ---- */

static void ring_write(const void *data, uint32_t len)
{
    const uint8_t *p = data;
    while (len) {
        XENSTORE_RING_IDX prod = store->req_prod;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (prod - store->req_cons >= XENSTORE_RING_SIZE) {
            wait_event(store_port, 10);
            continue;
        }
        store->req[MASK_XENSTORE_IDX(prod)] = (char)*p++;
        __atomic_thread_fence(__ATOMIC_RELEASE);
        store->req_prod = prod + 1;
        len--;
    }
    notify(store_port);
}

static void ring_read(void *data, uint32_t len)
{
    uint8_t *p = data;
    uint64_t deadline = now_ns() + 10000 * NS_PER_MS;
    while (len) {
        XENSTORE_RING_IDX cons = store->rsp_cons;
        if (store->rsp_prod == cons) {
            if (now_ns() > deadline)
                fail("xenstore: no reply", 0);
            wait_event(store_port, 10);
            continue;
        }
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        *p++ = (uint8_t)store->rsp[MASK_XENSTORE_IDX(cons)];
        __atomic_thread_fence(__ATOMIC_RELEASE);
        store->rsp_cons = cons + 1;
        len--;
    }
    notify(store_port);
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
            fail("xenstore: oversized reply", r.len);
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

static int xs_read(const char *path, char *out, size_t outlen)
{
    return xs_request(XS_READ, path, NULL, out, outlen);
}

static void xs_write(const char *path, const char *value)
{
    char reply[64];
    if (xs_request(XS_WRITE, path, value, reply, sizeof(reply))) {
        guest_printf("netfront-hostile: xenstore write %s: %s\n", path, reply);
        fail("xenstore write", 0);
    }
}

/* ---- text helpers ---- */

static void append(char *buf, size_t len, const char *s)
{
    size_t n = strlen(buf);
    while (*s && n + 1 < len)
        buf[n++] = *s++;
    buf[n] = '\0';
}

static void append_u(char *buf, size_t len, unsigned long v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    char rev[24];
    for (int i = 0; i < n; i++)
        rev[i] = tmp[n - 1 - i];
    rev[n] = '\0';
    append(buf, len, rev);
}

static void key(char *buf, size_t len, const char *dir, unsigned int i, const char *name)
{
    buf[0] = '\0';
    append(buf, len, dir);
    if (i != ~0u)
        append_u(buf, len, i);
    append(buf, len, "/");
    append(buf, len, name);
}

static int hex(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static int read_state(const char *dir)
{
    char path[128], v[16];
    key(path, sizeof(path), dir, ~0u, "state");
    if (xs_read(path, v, sizeof(v)))
        return -1;
    return v[0] >= '0' && v[0] <= '9' ? v[0] - '0' : -1;
}

static void wait_state(const char *dir, int want)
{
    uint64_t deadline = now_ns() + 60000 * NS_PER_MS;
    while (read_state(dir) != want) {
        if (now_ns() > deadline) {
            guest_printf("netfront-hostile: %s never reached state %d\n", dir, want);
            fail("waiting for the backend", read_state(dir));
        }
        wait_event(store_port, 50);
    }
}

/* ---- netfront's side of the handshake ---- */

static void connect_vif(unsigned int i)
{
    struct vif *v = &vifs[i];
    char path[128], val[96];

    key(path, sizeof(path), "device/vif/", i, "backend");
    if (xs_read(path, v->backend, sizeof(v->backend)))
        fail("reading device/vif/N/backend (has the guest that many vifs?)", i);
    key(path, sizeof(path), "device/vif/", i, "mac");
    if (xs_read(path, val, sizeof(val)) || strlen(val) != 17)
        fail("reading the MAC", i);
    for (unsigned int b = 0; b < 6; b++)
        v->mac[b] = (uint8_t)(hex(val[b * 3]) * 16 + hex(val[b * 3 + 1]));
    wait_state(v->backend, XenbusStateInitWait);

    struct netif_tx_sring *txs = (struct netif_tx_sring *)tx_pages[i];
    struct netif_rx_sring *rxs = (struct netif_rx_sring *)rx_pages[i];
    SHARED_RING_INIT(txs);
    SHARED_RING_INIT(rxs);
    FRONT_RING_INIT(&v->tx, txs, PAGE_SIZE);
    FRONT_RING_INIT(&v->rx, rxs, PAGE_SIZE);
    grant_ref_t tx_ref = grant(txs, false), rx_ref = grant(rxs, false);

    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = 0 };
    long rc = hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound,
                         (unsigned long)&au);
    if (rc)
        fail("EVTCHNOP_alloc_unbound", rc);
    v->port = au.port;
    mask(v->port);

    static const char *const names[] = { "tx-ring-ref", "rx-ring-ref", "event-channel",
                                         "request-rx-copy", "feature-rx-notify" };
    unsigned long values[] = { tx_ref, rx_ref, v->port, 1, 1 };
    for (unsigned int k = 0; k < 5; k++) {
        key(path, sizeof(path), "device/vif/", i, names[k]);
        val[0] = '\0';
        append_u(val, sizeof(val), values[k]);
        xs_write(path, val);
    }
    key(path, sizeof(path), "device/vif/", i, "state");
    xs_write(path, "4"); /* Connected, as netfront goes straight there */
    wait_state(v->backend, XenbusStateConnected);
    guest_printf("netfront-hostile: vif%u connected to %s (tx ref %u, rx ref %u, port %u)\n", i,
                 v->backend, tx_ref, rx_ref, v->port);
}

/* ---- requests ---- */

static void put_request(struct vif *v, grant_ref_t gref, uint16_t offset, uint16_t size,
                        uint16_t flags, uint16_t id)
{
    struct netif_tx_request *r = RING_GET_REQUEST(&v->tx, v->tx.req_prod_pvt);
    r->gref = gref;
    r->offset = offset;
    r->size = size;
    r->flags = flags;
    r->id = id;
    v->tx.req_prod_pvt++;
}

static void push(struct vif *v)
{
    int do_notify;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&v->tx, do_notify);
    (void)do_notify;
    notify(v->port); /* always: netback must look now */
}

/* Waits up to ms for n responses; prints and returns how many came. */
static unsigned int collect(struct vif *v, unsigned int n, uint64_t ms, const char *what,
                            int *statuses)
{
    uint64_t deadline = now_ns() + ms * NS_PER_MS;
    unsigned int got = 0;
    while (got < n && now_ns() < deadline) {
        RING_IDX prod = v->tx.sring->rsp_prod;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        while (v->tx.rsp_cons != prod && got < n) {
            struct netif_tx_response *r = RING_GET_RESPONSE(&v->tx, v->tx.rsp_cons);
            v->tx.rsp_cons++;
            if (r->status == NETIF_RSP_NULL)
                continue; /* an extra-info slot */
            statuses[got++] = r->status;
        }
        v->tx.sring->rsp_event = v->tx.rsp_cons + 1;
        if (got < n)
            wait_event(v->port, 20);
    }
    char line[160] = "";
    for (unsigned int k = 0; k < got; k++) {
        append(line, sizeof(line), " ");
        if (statuses[k] < 0) {
            append(line, sizeof(line), "-");
            append_u(line, sizeof(line), (unsigned long)-statuses[k]);
        } else {
            append_u(line, sizeof(line), (unsigned long)statuses[k]);
        }
    }
    guest_printf("netfront-hostile: %s: %u of %u responses, statuses%s\n", what, got, n,
                 got ? line : " none");
    return got;
}

/* An Ethernet frame of len bytes from the vif's MAC to everyone, of a
 * local experimental EtherType, in packet_page at offset 0. */
static void make_frame(const struct vif *v, uint16_t len)
{
    memset(packet_page, 0, PAGE_SIZE);
    memset(packet_page, 0xff, 6);
    memcpy(packet_page + 6, v->mac, 6);
    packet_page[12] = 0x88;
    packet_page[13] = 0xb5;
    for (uint16_t k = 14; k < len; k++)
        packet_page[k] = (uint8_t)k;
}

static void attack_bad_grants(struct vif *v, grant_ref_t packet_ref)
{
    int st[8];
    /* A frame whose grant entry names a frame that is not the guest's RAM. */
    grant_ref_t bogus = next_gref++;
    grants[bogus].domid = 0;
    grants[bogus].frame = 0xfffff; /* far beyond the guest's memory */
    __atomic_store_n(&grants[bogus].flags, (uint16_t)(GTF_permit_access | GTF_readonly),
                     __ATOMIC_RELEASE);

    make_frame(v, 60);
    put_request(v, next_gref + 20, 0, 60, 0, 1);     /* never granted */
    put_request(v, 0x7ffffff0, 0, 60, 0, 2);         /* far beyond the table */
    put_request(v, bogus, 0, 60, 0, 3);              /* granted, not RAM */
    push(v);
    unsigned int got = collect(v, 3, 5000, "vif0 bad grant references", st);
    guest_printf("netfront-hostile: vif0 bad grant references %s\n",
                 got == 3 && st[0] == NETIF_RSP_ERROR && st[1] == NETIF_RSP_ERROR &&
                 st[2] == NETIF_RSP_ERROR ? "refused" : "NOT refused");

    /* Overlapping slots: the second slot claims more than is left of the
     * packet's 100 bytes. */
    put_request(v, packet_ref, 0, 100, NETTXF_more_data, 4);
    put_request(v, packet_ref, 0, 200, 0, 5);
    push(v);
    got = collect(v, 2, 5000, "vif0 overlapping slots", st);
    guest_printf("netfront-hostile: vif0 overlapping slots %s\n",
                 got == 2 && st[0] == NETIF_RSP_ERROR && st[1] == NETIF_RSP_ERROR ? "refused"
                                                                                : "NOT refused");

    /* The vif still works: a small frame (copied whole) and a larger one
     * (its head copied, the rest grant-mapped read-only). */
    make_frame(v, 1000);
    put_request(v, packet_ref, 0, 60, 0, 6);
    put_request(v, packet_ref, 0, 1000, 0, 7);
    push(v);
    got = collect(v, 2, 5000, "vif0 valid frames after", st);
    guest_printf("netfront-hostile: vif0 %s\n",
                 got == 2 && st[0] == NETIF_RSP_OKAY && st[1] == NETIF_RSP_OKAY
                     ? "still carries valid frames" : "DOES NOT carry valid frames");
}

static void attack_oversized(struct vif *v, grant_ref_t packet_ref)
{
    int st[2];
    make_frame(v, 60);
    put_request(v, packet_ref, 3000, 2000, 0, 1); /* 3000 + 2000 > 4096 */
    push(v);
    collect(v, 1, 2000, "vif1 oversized request", st);
}

static void attack_too_many_slots(struct vif *v, grant_ref_t packet_ref)
{
    int st[32];
    make_frame(v, 60);
    put_request(v, packet_ref, 0, 30 * 100, NETTXF_more_data, 1);
    for (uint16_t k = 1; k < 30; k++)
        put_request(v, packet_ref, 0, 100, k < 29 ? NETTXF_more_data : 0, (uint16_t)(k + 1));
    push(v);
    collect(v, 30, 2000, "vif2 30 slots for one packet", st);
}

static void attack_producer_ahead(struct vif *v)
{
    int st[2];
    /* No requests at all, but a producer index 1000 past the consumer. */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    v->tx.sring->req_prod = v->tx.req_prod_pvt + 1000;
    notify(v->port);
    collect(v, 1, 2000, "vif3 producer 1000 ahead", st);
}

int guest_main_entry(const struct hvm_start_info *si)
{
    (void)si;
    unsigned int n = (unsigned int)guest_arg_u64("vifs", MAX_VIFS);
    if (n > MAX_VIFS)
        n = MAX_VIFS;
    map_four_gib();
    long rc = guest_map_space(XENMAPSPACE_shared_info, 0, gfn_of(shinfo_page));
    if (rc)
        fail("mapping shared_info", rc);
    rc = guest_map_space(XENMAPSPACE_grant_table, 0, gfn_of(gnttab_page));
    if (rc)
        fail("mapping grant frame 0", rc);
    shared = (struct shared_info *)shinfo_page;
    grants = (grant_entry_v1_t *)gnttab_page;
    store = (struct xenstore_domain_interface *)(uintptr_t)(hvm_param(HVM_PARAM_STORE_PFN) << 12);
    store_port = (evtchn_port_t)hvm_param(HVM_PARAM_STORE_EVTCHN);
    mask(store_port);
    guest_printf("netfront-hostile: started, %u vifs\n", n);

    for (unsigned int i = 0; i < n; i++)
        connect_vif(i);
    grant_ref_t packet_ref = grant(packet_page, true);
    if (!guest_arg_u64("attack", 1))
        n = 0;
    if (n > 0)
        attack_bad_grants(&vifs[0], packet_ref);
    if (n > 1)
        attack_oversized(&vifs[1], packet_ref);
    if (n > 2)
        attack_too_many_slots(&vifs[2], packet_ref);
    if (n > 3)
        attack_producer_ahead(&vifs[3]);
    guest_printf("netfront-hostile: done\n");
    for (;;)
        wait_event(store_port, 60000);
}
