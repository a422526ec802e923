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
#include "common/front.h"

#define xen_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define xen_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#include <xen/io/ring.h>
#include <xen/io/netif.h>

#define PAGE_SIZE FRONT_PAGE_SIZE
#define MAX_VIFS 4

static uint8_t tx_pages[MAX_VIFS][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t rx_pages[MAX_VIFS][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t packet_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

struct vif {
    struct netif_tx_front_ring tx;
    struct netif_rx_front_ring rx;
    evtchn_port_t port;
    uint8_t mac[6];
    char backend[96];
};
static struct vif vifs[MAX_VIFS];

static void wait_state(const char *dir, int want)
{
    if (!front_wait_state(dir, want, 60000)) {
        guest_printf("netfront-hostile: %s never reached state %d\n", dir, want);
        front_fail("waiting for the backend", front_read_state(dir));
    }
}

/* ---- netfront's side of the handshake ---- */

static void connect_vif(unsigned int i)
{
    struct vif *v = &vifs[i];
    char path[128], val[96];

    front_key(path, sizeof(path), "device/vif/", i, "backend");
    if (front_xs_read(path, v->backend, sizeof(v->backend)))
        front_fail("reading device/vif/N/backend (has the guest that many vifs?)", i);
    front_key(path, sizeof(path), "device/vif/", i, "mac");
    if (front_xs_read(path, val, sizeof(val)) || strlen(val) != 17)
        front_fail("reading the MAC", i);
    for (unsigned int b = 0; b < 6; b++)
        v->mac[b] = (uint8_t)(front_hex(val[b * 3]) * 16 + front_hex(val[b * 3 + 1]));
    wait_state(v->backend, XenbusStateInitWait);

    struct netif_tx_sring *txs = (struct netif_tx_sring *)tx_pages[i];
    struct netif_rx_sring *rxs = (struct netif_rx_sring *)rx_pages[i];
    SHARED_RING_INIT(txs);
    SHARED_RING_INIT(rxs);
    FRONT_RING_INIT(&v->tx, txs, PAGE_SIZE);
    FRONT_RING_INIT(&v->rx, rxs, PAGE_SIZE);
    grant_ref_t tx_ref = front_grant(txs, false), rx_ref = front_grant(rxs, false);

    v->port = front_alloc_port();

    static const char *const names[] = { "tx-ring-ref", "rx-ring-ref", "event-channel",
                                         "request-rx-copy", "feature-rx-notify" };
    unsigned long values[] = { tx_ref, rx_ref, v->port, 1, 1 };
    for (unsigned int k = 0; k < 5; k++) {
        front_key(path, sizeof(path), "device/vif/", i, names[k]);
        front_xs_write_u(path, values[k]);
    }
    front_key(path, sizeof(path), "device/vif/", i, "state");
    front_xs_write(path, "4"); /* Connected, as netfront goes straight there */
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
    front_notify(v->port); /* always: netback must look now */
}

/* Waits up to ms for n responses; prints and returns how many came. */
static unsigned int collect(struct vif *v, unsigned int n, uint64_t ms, const char *what,
                            int *statuses)
{
    uint64_t deadline = front_now_ns() + ms * NS_PER_MS;
    unsigned int got = 0;
    while (got < n && front_now_ns() < deadline) {
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
            front_wait_event(v->port, 20);
    }
    char line[160] = "";
    for (unsigned int k = 0; k < got; k++) {
        front_append(line, sizeof(line), " ");
        if (statuses[k] < 0) {
            front_append(line, sizeof(line), "-");
            front_append_u(line, sizeof(line), (unsigned long)-statuses[k]);
        } else {
            front_append_u(line, sizeof(line), (unsigned long)statuses[k]);
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
    grant_ref_t bogus = front_grant_gfn(0xfffff, 0, true); /* far beyond the guest's memory */

    make_frame(v, 60);
    put_request(v, front_unused_ref() + 20, 0, 60, 0, 1); /* never granted */
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
    front_notify(v->port);
    collect(v, 1, 2000, "vif3 producer 1000 ahead", st);
}

int guest_main_entry(const struct hvm_start_info *si)
{
    (void)si;
    unsigned int n = (unsigned int)guest_arg_u64("vifs", MAX_VIFS);
    if (n > MAX_VIFS)
        n = MAX_VIFS;
    front_init("netfront-hostile");
    guest_printf("netfront-hostile: started, %u vifs\n", n);

    for (unsigned int i = 0; i < n; i++)
        connect_vif(i);
    grant_ref_t packet_ref = front_grant(packet_page, true);
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
    front_idle();
}
