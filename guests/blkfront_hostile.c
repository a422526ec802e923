/*
 * A hostile block frontend: the guest side of the domain's QEMU (qdisk),
 * breaking the blkif protocol on purpose. xl gives it two disks:
 *
 *   xvda  read-write: bad grant references (never granted, beyond the
 *         table, granted with a frame that is not RAM, granted to another
 *         domain), a read into a page granted read-only, too many
 *         segments, a segment whose first sector is past its last or
 *         whose last sector is past its page, writes and reads past the
 *         end of the disk, operations nobody defines (and BLKIF_OP_INDIRECT,
 *         which the backend does not offer). Each must get an error
 *         response and change nothing; then a valid write and read-back
 *         and a flush must still work. Last, a ring producer index 1000
 *         ahead of what the ring holds.
 *   xvdb  connected with a ring reference nobody granted: the backend
 *         must not connect it, and must go on serving xvda.
 *
 * (No read-only disk: xl refuses access=ro, which Debian's QEMU 7.2
 * cannot serve.)
 *
 * The host side (tests/integration/test_storage.py) checks the images'
 * checksums afterwards: only the valid write may have changed anything.
 * Lines start with "blkfront-hostile:"; a check prints "... refused",
 * "... works", or "... NOT refused" / "... FAILED"; the last line is
 * "blkfront-hostile: done", after which the guest idles until destroyed.
 */
#include "common/front.h"

#define xen_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define xen_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#include <xen/io/ring.h>
#include <xen/io/blkif.h>
#include <xen/io/protocols.h>

#define PAGE_SIZE FRONT_PAGE_SIZE
#define NR_VBDS 2
#define SECTOR 512
/* Where the valid write goes; test_storage.py knows it and the pattern. */
#define VALID_SECTOR 8
#define RO_PAGE_BYTE 0xaa

static uint8_t ring_pages[NR_VBDS][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t data_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t read_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t ro_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

struct vbd {
    struct blkif_front_ring ring;
    evtchn_port_t port;
    uint64_t sectors;
    char dir[32];
    char backend[96];
};
static struct vbd vbds[NR_VBDS];
static unsigned int failures;

/* Request ids are multiples of 1 << 16. A response overwrites the first
 * bytes of its slot with the id, so a stale slot that a producer far
 * ahead makes the backend read again is a read of no segments: harmless
 * and the same every run. */
static uint64_t next_id = 1 << 16;

static void verdict(const char *what, bool good, const char *good_word, const char *bad_word)
{
    guest_printf("blkfront-hostile: %s %s\n", what, good ? good_word : bad_word);
    if (!good)
        failures++;
}

static bool backend_number(const struct vbd *v, const char *name, uint64_t *out)
{
    char path[128], val[32];
    front_key(path, sizeof(path), v->backend, ~0u, name);
    if (front_xs_read(path, val, sizeof(val)) || !val[0])
        return false;
    uint64_t n = 0;
    for (const char *c = val; *c; c++) {
        if (*c < '0' || *c > '9')
            return false;
        n = n * 10 + (uint64_t)(*c - '0');
    }
    *out = n;
    return true;
}

/* Linux's blkfront order: ring, event channel and protocol, then
 * Initialised; the backend answers Connected. ring_ref overrides the
 * ring's grant (for the attack on xvdb). Returns whether it connected
 * within ms. */
static bool connect_vbd(unsigned int i, const grant_ref_t *ring_ref, uint64_t ms)
{
    struct vbd *v = &vbds[i];
    char path[128];

    v->dir[0] = '\0';
    front_append(v->dir, sizeof(v->dir), "device/vbd/");
    /* The frontend directories are named by the device number (51712 for
     * xvda, +16 per disk). */
    front_append_u(v->dir, sizeof(v->dir), 51712 + 16 * i);
    front_key(path, sizeof(path), v->dir, ~0u, "backend");
    if (front_xs_read(path, v->backend, sizeof(v->backend)))
        front_fail("reading device/vbd/N/backend (has the guest two disks?)", i);
    if (!front_wait_state(v->backend, XenbusStateInitWait, 60000))
        front_fail("waiting for the backend's InitWait", i);

    struct blkif_sring *sring = (struct blkif_sring *)ring_pages[i];
    SHARED_RING_INIT(sring);
    FRONT_RING_INIT(&v->ring, sring, PAGE_SIZE);
    grant_ref_t ref = ring_ref ? *ring_ref : front_grant(sring, false);
    v->port = front_alloc_port();

    front_key(path, sizeof(path), v->dir, ~0u, "ring-ref");
    front_xs_write_u(path, ref);
    front_key(path, sizeof(path), v->dir, ~0u, "event-channel");
    front_xs_write_u(path, v->port);
    front_key(path, sizeof(path), v->dir, ~0u, "protocol");
    front_xs_write(path, XEN_IO_PROTO_ABI_X86_64);
    front_key(path, sizeof(path), v->dir, ~0u, "state");
    front_xs_write_u(path, XenbusStateInitialised);
    if (!front_wait_state(v->backend, XenbusStateConnected, ms))
        return false;
    if (!backend_number(v, "sectors", &v->sectors))
        front_fail("reading the backend's sectors", i);
    front_xs_write_u(path, XenbusStateConnected);
    guest_printf("blkfront-hostile: %s connected to %s (%lu sectors, ring ref %u, port %u)\n",
                 v->dir, v->backend, (unsigned long)v->sectors, ref, v->port);
    return true;
}

/* ---- requests ---- */

struct seg {
    grant_ref_t gref;
    uint8_t first, last;
};

static uint64_t put(struct vbd *v, uint8_t op, uint64_t sector, unsigned int nsegs,
                    const struct seg *segs)
{
    struct blkif_request *r = RING_GET_REQUEST(&v->ring, v->ring.req_prod_pvt);
    memset(r, 0, sizeof(*r));
    r->operation = op;
    r->nr_segments = (uint8_t)nsegs;
    r->id = next_id;
    next_id += 1 << 16;
    r->sector_number = sector;
    for (unsigned int k = 0; k < nsegs && k < BLKIF_MAX_SEGMENTS_PER_REQUEST; k++) {
        r->seg[k].gref = segs[k].gref;
        r->seg[k].first_sect = segs[k].first;
        r->seg[k].last_sect = segs[k].last;
    }
    v->ring.req_prod_pvt++;
    return r->id;
}

static void push(struct vbd *v)
{
    int do_notify;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&v->ring, do_notify);
    (void)do_notify;
    front_notify(v->port); /* always: the backend must look now */
}

/* Waits up to ms for the response to id; its status, or 1 (no status
 * blkif defines) when none came. Responses come in any order. */
#define NO_RESPONSE 1
static int16_t status_of[64];
static uint64_t id_of[64];
static unsigned int nr_seen;

static int wait_response(struct vbd *v, uint64_t id, uint64_t ms)
{
    uint64_t deadline = front_now_ns() + ms * NS_PER_MS;
    for (;;) {
        for (unsigned int k = 0; k < nr_seen; k++) {
            if (id_of[k] == id) {
                int st = status_of[k];
                id_of[k] = id_of[--nr_seen];
                status_of[k] = status_of[nr_seen];
                return st;
            }
        }
        RING_IDX prod = v->ring.sring->rsp_prod;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        while (v->ring.rsp_cons != prod) {
            struct blkif_response *r = RING_GET_RESPONSE(&v->ring, v->ring.rsp_cons);
            v->ring.rsp_cons++;
            if (nr_seen < 64) {
                id_of[nr_seen] = r->id;
                status_of[nr_seen++] = r->status;
            }
        }
        v->ring.sring->rsp_event = v->ring.rsp_cons + 1;
        bool seen = false;
        for (unsigned int k = 0; k < nr_seen; k++)
            seen = seen || id_of[k] == id;
        if (seen)
            continue;
        if (front_now_ns() > deadline)
            return NO_RESPONSE;
        front_wait_event(v->port, 20);
    }
}

/* One request alone: its status. */
static int one(struct vbd *v, uint8_t op, uint64_t sector, unsigned int nsegs,
               const struct seg *segs)
{
    uint64_t id = put(v, op, sector, nsegs, segs);
    push(v);
    return wait_response(v, id, 20000);
}

static void expect_refused(struct vbd *v, const char *what, uint8_t op, uint64_t sector,
                           unsigned int nsegs, const struct seg *segs)
{
    int st = one(v, op, sector, nsegs, segs);
    if (st == NO_RESPONSE)
        guest_printf("blkfront-hostile: %s: no response\n", what);
    verdict(what, st == BLKIF_RSP_ERROR || st == BLKIF_RSP_EOPNOTSUPP, "refused", "NOT refused");
}

static uint8_t pattern_byte(unsigned int k)
{
    return (uint8_t)(k * 31 + 7);
}

static void attack_xvda(struct vbd *v)
{
    grant_ref_t data_ref = front_grant(data_page, false);
    grant_ref_t read_ref = front_grant(read_page, false);
    struct seg s;

    /* Grants that are not there. */
    s = (struct seg){ front_unused_ref() + 40, 0, 7 };
    expect_refused(v, "xvda read into a reference never granted", BLKIF_OP_READ, 0, 1, &s);
    s = (struct seg){ 0x7ffffff0, 0, 7 };
    expect_refused(v, "xvda read into a reference beyond the table", BLKIF_OP_READ, 0, 1, &s);
    s = (struct seg){ front_grant_gfn(0xfffff, 0, false), 0, 7 };
    expect_refused(v, "xvda read into a grant of a frame that is not RAM", BLKIF_OP_READ, 0, 1, &s);
    s = (struct seg){ front_grant_gfn(front_gfn_of(data_page), 7, true), 0, 7 };
    expect_refused(v, "xvda write from a page granted to another domain", BLKIF_OP_WRITE, 16, 1,
                   &s);

    /* A read into a page granted read-only must leave the page alone. */
    memset(ro_page, RO_PAGE_BYTE, PAGE_SIZE);
    s = (struct seg){ front_grant(ro_page, true), 0, 7 };
    expect_refused(v, "xvda read into a page granted read-only", BLKIF_OP_READ, 0, 1, &s);
    bool intact = true;
    for (unsigned int k = 0; k < PAGE_SIZE; k++)
        intact = intact && ro_page[k] == RO_PAGE_BYTE;
    verdict("xvda page granted read-only", intact, "unchanged", "WRITTEN");

    /* Segments the protocol does not allow. */
    struct seg many[BLKIF_MAX_SEGMENTS_PER_REQUEST];
    for (unsigned int k = 0; k < BLKIF_MAX_SEGMENTS_PER_REQUEST; k++)
        many[k] = (struct seg){ data_ref, 0, 0 };
    uint64_t id = put(v, BLKIF_OP_WRITE, 16, BLKIF_MAX_SEGMENTS_PER_REQUEST, many);
    /* nr_segments one more than the ring slot holds: the twelfth
     * segment would be read from beyond the request. */
    RING_GET_REQUEST(&v->ring, v->ring.req_prod_pvt - 1)->nr_segments =
        BLKIF_MAX_SEGMENTS_PER_REQUEST + 1;
    push(v);
    int st = wait_response(v, id, 20000);
    verdict("xvda write of 12 segments", st == BLKIF_RSP_ERROR, "refused", "NOT refused");
    s = (struct seg){ data_ref, 5, 2 };
    expect_refused(v, "xvda write whose first sector is past its last", BLKIF_OP_WRITE, 16, 1, &s);
    s = (struct seg){ data_ref, 0, 8 };
    expect_refused(v, "xvda write whose last sector is past its page", BLKIF_OP_WRITE, 16, 1, &s);

    /* Past the end of the disk. */
    s = (struct seg){ data_ref, 0, 1 };
    expect_refused(v, "xvda write across the end of the disk", BLKIF_OP_WRITE, v->sectors - 1, 1,
                   &s);
    s = (struct seg){ read_ref, 0, 7 };
    expect_refused(v, "xvda read far past the end of the disk", BLKIF_OP_READ, 1ULL << 40, 1, &s);

    /* Operations the backend does not have. */
    s = (struct seg){ data_ref, 0, 7 };
    expect_refused(v, "xvda operation 99", 99, 16, 1, &s);
    expect_refused(v, "xvda BLKIF_OP_INDIRECT (not offered)", BLKIF_OP_INDIRECT, 16, 1, &s);
    expect_refused(v, "xvda BLKIF_OP_RESERVED_1", BLKIF_OP_RESERVED_1, 16, 1, &s);

    /* The disk still works: a write, a read of it back, a flush. */
    for (unsigned int k = 0; k < PAGE_SIZE; k++)
        data_page[k] = pattern_byte(k);
    memset(read_page, 0, PAGE_SIZE);
    s = (struct seg){ data_ref, 0, 7 };
    int wst = one(v, BLKIF_OP_WRITE, VALID_SECTOR, 1, &s);
    s = (struct seg){ read_ref, 0, 7 };
    int rst = one(v, BLKIF_OP_READ, VALID_SECTOR, 1, &s);
    bool same = true;
    for (unsigned int k = 0; k < PAGE_SIZE; k++)
        same = same && read_page[k] == pattern_byte(k);
    guest_printf("blkfront-hostile: valid write status %d, read status %d\n", wst, rst);
    verdict("xvda valid write and read-back", wst == BLKIF_RSP_OKAY && rst == BLKIF_RSP_OKAY && same,
            "works", "FAILED");
    int fst = one(v, BLKIF_OP_FLUSH_DISKCACHE, 0, 0, NULL);
    verdict("xvda flush", fst == BLKIF_RSP_OKAY, "works", "FAILED");
}

static void producer_ahead(struct vbd *v)
{
    RING_IDX before = v->ring.rsp_cons;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    v->ring.sring->req_prod = v->ring.req_prod_pvt + 1000;
    front_notify(v->port);
    uint64_t deadline = front_now_ns() + 5000 * NS_PER_MS;
    while (front_now_ns() < deadline)
        front_wait_event(v->port, 100);
    /* What the backend makes of it is its business; only the rest of the
     * system must not notice. Printed for the log. */
    guest_printf("blkfront-hostile: xvda producer 1000 ahead: %u responses in 5 s\n",
                 (unsigned int)(v->ring.sring->rsp_prod - before));
}

int guest_main_entry(const struct hvm_start_info *si)
{
    (void)si;
    front_init("blkfront-hostile");
    guest_printf("blkfront-hostile: started\n");

    /* xvdb first: the backend refuses it and must still serve xvda. */
    grant_ref_t bad_ring = front_unused_ref() + 60;
    verdict("xvdb with a ring nobody granted", !connect_vbd(1, &bad_ring, 5000), "refused",
            "NOT refused");
    if (!connect_vbd(0, NULL, 60000))
        front_fail("connecting xvda", 0);

    attack_xvda(&vbds[0]);
    producer_ahead(&vbds[0]);
    guest_printf("blkfront-hostile: done, %u failures\n", failures);
    front_idle();
}
