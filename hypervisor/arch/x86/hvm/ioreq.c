/*
 * Ioreq servers (asm/hvm_ioreq.h): the device models of an HVM domain.
 *
 * A server has a synchronous ioreq page (one 32-byte slot per vCPU) and,
 * if asked for, a buffered ring page; both are pool pages of the guest's
 * domain that are not in its p2m, so the guest never sees them. The device
 * model maps them with XENMEM_acquire_resource (frame 0 the ring, 1 the
 * page), which takes a page reference per mapping: a page outlives the
 * server, or the domain, until the last mapping goes. Each vCPU has its own
 * event channel to the device model, and the ring one more; they are ports
 * of the guest's domain that the hypervisor listens on (evtchn_alloc_xen).
 *
 * The protocol is Xen's: the vCPU fills its slot, sets IOREQ_READY and
 * notifies; the device model answers IORESP_READY and notifies back; the
 * vCPU, off its CPU meanwhile, takes the answer and sets the slot free. A
 * device model that never answers leaves that vCPU waiting, nothing else:
 * destroying the domain does not need the answer.
 *
 * Locks: the domain's ioreq lock over the table and the servers, taken
 * before event-channel locks (a send happens under it, so a port is never
 * notified after its server closed it).
 */
/* The ABI headers keep the device model's interfaces (HVM_IOREQSRV_*)
 * in their tools-only part; that part sets the interface version itself
 * (to the latest, which the build asks for anyway). */
#undef __XEN_INTERFACE_VERSION__
#define __XEN_TOOLS__ 1

#include <asm/hvm_domain.h>
#include <asm/hvm_vendor.h>
#include <basalt/domain.h>
#include <basalt/event.h>
#include <basalt/lib.h>
#include <basalt/mm.h>
#include <xen/hvm/hvm_op.h>

static struct hvm_ioreq *ioreqs(struct domain *d) { return &d->arch.hvm->ioreq; }

/* A zeroed pool page owned by d, outside its p2m and its accounting. */
static mfn_t page_new(struct domain *d)
{
    mfn_t mfn = alloc_pages(ZONE_POOL, 0);
    if (mfn == INVALID_MFN)
        return mfn;
    memset(mfn_to_virt(mfn), 0, PAGE_SIZE);
    mfn_to_page(mfn)->owner = d->id;
    mfn_to_page(mfn)->refs = 0;
    return mfn;
}

static void server_free(struct domain *d, struct ioreq_server *s)
{
    if (s->vcpu_port)
        for (unsigned int i = 0; i < d->max_vcpus; i++)
            if (s->vcpu_port[i])
                evtchn_close_xen(d, s->vcpu_port[i]);
    if (s->buf_port)
        evtchn_close_xen(d, s->buf_port);
    if (s->ioreq_mfn != INVALID_MFN)
        page_release(s->ioreq_mfn); /* freed now, or with the last mapping */
    if (s->buf_mfn != INVALID_MFN)
        page_release(s->buf_mfn);
    xfree(s->vcpu_port);
    xfree(s);
}

int ioreq_server_create(struct domain *d, domid_t emulator, uint8_t bufioreq, ioservid_t *id)
{
    if (bufioreq > HVM_IOREQSRV_BUFIOREQ_ATOMIC)
        return -EINVAL;
    struct ioreq_server *s = xnew(struct ioreq_server);
    if (!s)
        return -ENOMEM;
    s->emulator = emulator;
    s->bufioreq_handling = bufioreq;
    s->ioreq_mfn = s->buf_mfn = INVALID_MFN;
    s->vcpu_port = xzalloc(d->max_vcpus * sizeof(*s->vcpu_port));
    int rc = s->vcpu_port ? 0 : -ENOMEM;
    if (!rc && (s->ioreq_mfn = page_new(d)) == INVALID_MFN)
        rc = -ENOMEM;
    if (!rc && bufioreq && (s->buf_mfn = page_new(d)) == INVALID_MFN)
        rc = -ENOMEM;
    for (unsigned int i = 0; i < d->max_vcpus && !rc; i++) {
        int port = evtchn_alloc_xen(d, i, emulator);
        if (port < 0)
            rc = port;
        else
            s->vcpu_port[i] = (uint32_t)port;
    }
    if (!rc && bufioreq) {
        int port = evtchn_alloc_xen(d, 0, emulator);
        if (port < 0)
            rc = port;
        else
            s->buf_port = (uint32_t)port;
    }
    if (!rc) {
        rc = -ENOSPC;
        uint64_t flags = spin_lock_irqsave(&ioreqs(d)->lock);
        for (unsigned int i = 0; i < HVM_MAX_IOREQ_SERVERS; i++) {
            if (!ioreqs(d)->server[i]) {
                ioreqs(d)->server[i] = s;
                *id = (ioservid_t)i;
                rc = 0;
                break;
            }
        }
        spin_unlock_irqrestore(&ioreqs(d)->lock, flags);
    }
    if (rc)
        server_free(d, s);
    return rc;
}

/* Server id, if caller may act on it (only its creator may); with the lock. */
static struct ioreq_server *server_locked(struct domain *d, domid_t caller, ioservid_t id, int *rc)
{
    ASSERT_LOCKED(&ioreqs(d)->lock);
    struct ioreq_server *s = id < HVM_MAX_IOREQ_SERVERS ? ioreqs(d)->server[id] : NULL;
    *rc = !s ? -ENOENT : s->emulator != caller ? -EPERM : 0;
    return *rc ? NULL : s;
}

int ioreq_server_info(struct domain *d, domid_t caller, ioservid_t id, uint32_t *buf_port)
{
    int rc;
    uint64_t flags = spin_lock_irqsave(&ioreqs(d)->lock);
    struct ioreq_server *s = server_locked(d, caller, id, &rc);
    if (s)
        *buf_port = s->buf_port;
    spin_unlock_irqrestore(&ioreqs(d)->lock, flags);
    return rc;
}

/* Range sets: sorted, disjoint, inclusive. */

static bool ranges_overlap(const struct ioreq_range *r, unsigned int n, uint64_t start, uint64_t end)
{
    for (unsigned int i = 0; i < n; i++)
        if (r[i].start <= end && start <= r[i].end)
            return true;
    return false;
}

static bool ranges_contain(const struct ioreq_range *r, unsigned int n, uint64_t start, uint64_t end)
{
    for (unsigned int i = 0; i < n; i++)
        if (r[i].start <= start && end <= r[i].end)
            return true;
    return false;
}

/* Adds [start, end] (overlapping nothing), merging with neighbours. */
static int ranges_add(struct ioreq_range *r, unsigned int *n, uint64_t start, uint64_t end)
{
    unsigned int i = 0;
    while (i < *n && r[i].end < start)
        i++;
    bool join_prev = i > 0 && r[i - 1].end + 1 == start && r[i - 1].end != ~0ULL;
    bool join_next = i < *n && end + 1 == r[i].start && end != ~0ULL;
    if (join_prev && join_next) {
        r[i - 1].end = r[i].end;
        memmove(&r[i], &r[i + 1], (*n - i - 1) * sizeof(*r));
        (*n)--;
    } else if (join_prev) {
        r[i - 1].end = end;
    } else if (join_next) {
        r[i].start = start;
    } else {
        if (*n == HVM_MAX_IO_RANGES)
            return -ENOSPC;
        memmove(&r[i + 1], &r[i], (*n - i) * sizeof(*r));
        r[i] = (struct ioreq_range){ start, end };
        (*n)++;
    }
    return 0;
}

/* Removes [start, end], which one range contains; may split it. */
static int ranges_remove(struct ioreq_range *r, unsigned int *n, uint64_t start, uint64_t end)
{
    unsigned int i = 0;
    while (i < *n && !(r[i].start <= start && end <= r[i].end))
        i++;
    if (i == *n)
        return -ENOENT;
    struct ioreq_range old = r[i];
    bool left = old.start < start, right = end < old.end;
    if (left && right) {
        if (*n == HVM_MAX_IO_RANGES)
            return -ENOSPC;
        memmove(&r[i + 1], &r[i], (*n - i) * sizeof(*r));
        (*n)++;
        r[i] = (struct ioreq_range){ old.start, start - 1 };
        r[i + 1] = (struct ioreq_range){ end + 1, old.end };
    } else if (left) {
        r[i].end = start - 1;
    } else if (right) {
        r[i].start = end + 1;
    } else {
        memmove(&r[i], &r[i + 1], (*n - i - 1) * sizeof(*r));
        (*n)--;
    }
    return 0;
}

int ioreq_server_map_range(struct domain *d, domid_t caller, ioservid_t id, uint32_t type, uint64_t start,
                           uint64_t end, bool map)
{
    if (start > end)
        return -EINVAL;
    if (type >= HVM_IO_RANGE_TYPES)
        return -EINVAL;
    int rc;
    uint64_t flags = spin_lock_irqsave(&ioreqs(d)->lock);
    struct ioreq_server *s = server_locked(d, caller, id, &rc);
    if (s) {
        struct ioreq_range *r = s->ranges[type];
        unsigned int *n = &s->nr_ranges[type];
        if (map)
            rc = ranges_overlap(r, *n, start, end) ? -EEXIST : ranges_add(r, n, start, end);
        else
            rc = ranges_remove(r, n, start, end);
    }
    spin_unlock_irqrestore(&ioreqs(d)->lock, flags);
    return rc;
}

/* Enabling publishes each vCPU's channel in its slot, as Xen does. */
int ioreq_server_set_state(struct domain *d, domid_t caller, ioservid_t id, bool enabled)
{
    int rc;
    uint64_t flags = spin_lock_irqsave(&ioreqs(d)->lock);
    struct ioreq_server *s = server_locked(d, caller, id, &rc);
    if (s && enabled && !s->enabled) {
        shared_iopage_t *page = mfn_to_virt(s->ioreq_mfn);
        for (unsigned int i = 0; i < d->max_vcpus; i++)
            WRITE_ONCE(page->vcpu_ioreq[i].vp_eport, s->vcpu_port[i]);
    }
    if (s)
        s->enabled = enabled;
    spin_unlock_irqrestore(&ioreqs(d)->lock, flags);
    return rc;
}

/* Under the lock: the server is leaving; vCPUs waiting on it get no answer. */
static struct ioreq_server *detach_locked(struct domain *d, unsigned int id)
{
    struct ioreq_server *s = ioreqs(d)->server[id];
    ioreqs(d)->server[id] = NULL;
    for (unsigned int i = 0; i < d->max_vcpus; i++) {
        struct vcpu *v = d->vcpus[i];
        if (v && READ_ONCE(v->arch.io.waiting) && v->arch.io.server == id && !v->arch.io.server_gone) {
            WRITE_ONCE(v->arch.io.server_gone, true);
            hvm_vcpu_kick(v);
        }
    }
    return s;
}

int ioreq_server_destroy(struct domain *d, domid_t caller, ioservid_t id)
{
    int rc;
    uint64_t flags = spin_lock_irqsave(&ioreqs(d)->lock);
    struct ioreq_server *s = server_locked(d, caller, id, &rc);
    if (s)
        detach_locked(d, id);
    spin_unlock_irqrestore(&ioreqs(d)->lock, flags);
    if (s)
        server_free(d, s);
    return rc;
}

int ioreq_server_frame(struct domain *d, domid_t caller, ioservid_t id, unsigned int idx, mfn_t *mfn)
{
    int rc;
    uint64_t flags = spin_lock_irqsave(&ioreqs(d)->lock);
    struct ioreq_server *s = server_locked(d, caller, id, &rc);
    if (s) {
        *mfn = idx == 0 ? s->buf_mfn : idx == 1 ? s->ioreq_mfn : INVALID_MFN;
        if (*mfn == INVALID_MFN)
            rc = -EINVAL;
        else
            page_get(*mfn); /* the caller's mapping's */
    }
    spin_unlock_irqrestore(&ioreqs(d)->lock, flags);
    return rc;
}

void hvm_ioreq_destroy_all(struct domain *d)
{
    for (unsigned int id = 0; id < HVM_MAX_IOREQ_SERVERS; id++) {
        uint64_t flags = spin_lock_irqsave(&ioreqs(d)->lock);
        struct ioreq_server *s = ioreqs(d)->server[id] ? detach_locked(d, id) : NULL;
        spin_unlock_irqrestore(&ioreqs(d)->lock, flags);
        if (s)
            server_free(d, s);
    }
}

/* The exit side */

int ioreq_select(struct domain *d, uint8_t type, uint64_t addr, uint64_t size)
{
    unsigned int rtype = type == IOREQ_TYPE_PIO ? XEN_DMOP_IO_RANGE_PORT
                         : type == IOREQ_TYPE_COPY ? XEN_DMOP_IO_RANGE_MEMORY : XEN_DMOP_IO_RANGE_PCI;
    uint64_t start = rtype == XEN_DMOP_IO_RANGE_PCI ? addr >> 32 : addr;
    uint64_t end = rtype == XEN_DMOP_IO_RANGE_PCI ? start : addr + size - 1;
    if (end < start)
        return -1;
    int found = -1;
    uint64_t flags = spin_lock_irqsave(&ioreqs(d)->lock);
    for (unsigned int i = 0; i < HVM_MAX_IOREQ_SERVERS && found < 0; i++) {
        struct ioreq_server *s = ioreqs(d)->server[i];
        if (s && s->enabled && ranges_contain(s->ranges[rtype], s->nr_ranges[rtype], start, end))
            found = (int)i;
    }
    spin_unlock_irqrestore(&ioreqs(d)->lock, flags);
    return found;
}

static ioreq_t *slot_of(mfn_t page, const struct vcpu *v)
{
    return &((shared_iopage_t *)mfn_to_virt(page))->vcpu_ioreq[v->id];
}

/* The state is a bit-field the device model writes: read its byte once. */
static uint8_t slot_state(const ioreq_t *slot)
{
    return *(const volatile uint8_t *)((const uint8_t *)slot + offsetof(ioreq_t, type) - 1) & 0xf;
}

_Static_assert(sizeof(ioreq_t) == 32 && offsetof(ioreq_t, type) == 31, "ioreq_t layout");
_Static_assert(MAX_VCPUS_PER_DOMAIN * sizeof(ioreq_t) <= PAGE_SIZE, "every vCPU's slot is in the ioreq page");

int ioreq_send(struct vcpu *v, int id, const ioreq_t *p)
{
    struct domain *d = v->dom;
    struct hvm_vcpu_io *io = &v->arch.io;
    int rc = -ENOENT;
    uint64_t flags = spin_lock_irqsave(&ioreqs(d)->lock);
    struct ioreq_server *s = id >= 0 && id < HVM_MAX_IOREQ_SERVERS ? ioreqs(d)->server[id] : NULL;
    if (s && s->enabled) {
        ioreq_t *slot = slot_of(s->ioreq_mfn, v);
        uint8_t state = slot_state(slot);
        if (state != STATE_IOREQ_NONE) {
            rc = -EIO; /* the device model put something there: it is broken */
        } else {
            ioreq_t r = *p;
            r.state = STATE_IOREQ_NONE;
            r.vp_eport = s->vcpu_port[v->id];
            *slot = r;
            __atomic_thread_fence(__ATOMIC_RELEASE);
            slot->state = STATE_IOREQ_READY;
            page_get(s->ioreq_mfn);
            io->page = s->ioreq_mfn;
            io->server = (uint16_t)id;
            io->port = s->vcpu_port[v->id];
            io->server_gone = false;
            WRITE_ONCE(io->waiting, true);
            evtchn_send(d, io->port);
            rc = 0;
        }
    }
    spin_unlock_irqrestore(&ioreqs(d)->lock, flags);
    return rc;
}

bool ioreq_send_buffered(struct domain *d, int id, const ioreq_t *p)
{
    if (p->addr > 0xfffff || p->data_is_ptr || p->count != 1 || p->dir != IOREQ_WRITE)
        return false;
    unsigned int size_code = p->size == 1 ? 0 : p->size == 2 ? 1 : p->size == 4 ? 2 : p->size == 8 ? 3 : 4;
    if (size_code == 4)
        return false;
    unsigned int slots = size_code == 3 ? 2 : 1; /* 8 bytes take two */
    bool sent = false;
    uint64_t flags = spin_lock_irqsave(&ioreqs(d)->lock);
    struct ioreq_server *s = id >= 0 && id < HVM_MAX_IOREQ_SERVERS ? ioreqs(d)->server[id] : NULL;
    if (s && s->enabled && s->buf_mfn != INVALID_MFN) {
        buffered_iopage_t *pg = mfn_to_virt(s->buf_mfn);
        /* The pointers are shared with the device model: read once, trust nothing. */
        uint32_t wp = READ_ONCE(pg->write_pointer), rp = READ_ONCE(pg->read_pointer);
        if (wp - rp <= IOREQ_BUFFER_SLOT_NUM - slots) {
            buf_ioreq_t b = { .type = p->type, .dir = IOREQ_WRITE, .size = size_code & 3,
                              .addr = (uint32_t)p->addr & 0xfffff, .data = (uint32_t)p->data };
            pg->buf_ioreq[wp % IOREQ_BUFFER_SLOT_NUM] = b;
            if (slots == 2) {
                b.data = (uint32_t)(p->data >> 32);
                pg->buf_ioreq[(wp + 1) % IOREQ_BUFFER_SLOT_NUM] = b;
            }
            __atomic_thread_fence(__ATOMIC_RELEASE);
            WRITE_ONCE(pg->write_pointer, wp + slots);
            /* With BUFIOREQ_ATOMIC both pointers move back together when the
             * reader has gone a whole ring round (they never overflow). */
            for (unsigned int tries = 0; s->bufioreq_handling == HVM_IOREQSRV_BUFIOREQ_ATOMIC && tries < 8; tries++) {
                uint64_t old = __atomic_load_n((uint64_t *)pg, __ATOMIC_ACQUIRE);
                uint32_t r = (uint32_t)old, w = (uint32_t)(old >> 32);
                if (r < IOREQ_BUFFER_SLOT_NUM)
                    break;
                uint32_t k = r / IOREQ_BUFFER_SLOT_NUM * IOREQ_BUFFER_SLOT_NUM;
                uint64_t new = (uint64_t)(w - k) << 32 | (r - k);
                if (__atomic_compare_exchange_n((uint64_t *)pg, &old, new, false, __ATOMIC_ACQ_REL,
                                                __ATOMIC_ACQUIRE))
                    break;
            }
            evtchn_send(d, s->buf_port);
            sent = true;
        }
    }
    spin_unlock_irqrestore(&ioreqs(d)->lock, flags);
    return sent;
}

bool ioreq_answered(struct vcpu *v)
{
    struct hvm_vcpu_io *io = &v->arch.io;
    if (!READ_ONCE(io->waiting))
        return true;
    if (READ_ONCE(io->server_gone))
        return true;
    return slot_state(slot_of(io->page, v)) == STATE_IORESP_READY;
}

uint64_t ioreq_take_answer(struct vcpu *v)
{
    struct hvm_vcpu_io *io = &v->arch.io;
    uint64_t data = ~0ULL; /* nobody answers: as for a device nobody claims */
    if (!io->server_gone) {
        ioreq_t *slot = slot_of(io->page, v);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        data = READ_ONCE(slot->data);
        slot->state = STATE_IOREQ_NONE;
    }
    page_put(io->page);
    io->page = INVALID_MFN;
    io->server_gone = false;
    WRITE_ONCE(io->waiting, false);
    return data;
}

bool ioreq_send_invalidate(struct vcpu *v)
{
    struct hvm_vcpu_io *io = &v->arch.io;
    for (uint8_t left; (left = __atomic_load_n(&io->invalidate, __ATOMIC_RELAXED));) {
        int id = __builtin_ctz(left);
        __atomic_and_fetch(&io->invalidate, (uint8_t)~(1u << id), __ATOMIC_RELAXED);
        ioreq_t p = { .type = IOREQ_TYPE_INVALIDATE, .size = 4, .count = 1, .dir = IOREQ_WRITE, .data = ~0ULL };
        if (ioreq_send(v, id, &p) == 0)
            return true;
    }
    return false;
}

void arch_domain_memory_released(struct domain *d)
{
    if (!is_hvm_domain(d))
        return;
    uint8_t mask = 0;
    uint64_t flags = spin_lock_irqsave(&ioreqs(d)->lock);
    for (unsigned int i = 0; i < HVM_MAX_IOREQ_SERVERS; i++)
        if (ioreqs(d)->server[i] && ioreqs(d)->server[i]->enabled)
            mask |= (uint8_t)(1u << i);
    spin_unlock_irqrestore(&ioreqs(d)->lock, flags);
    if (!mask)
        return;
    /* The guest's own vCPU tells them before it runs on; if the memory was
     * taken from outside, every vCPU does. */
    struct vcpu *cur = current_vcpu();
    for (unsigned int i = 0; i < d->max_vcpus; i++) {
        struct vcpu *v = d->vcpus[i];
        if (v && (!cur || cur->dom != d || v == cur))
            __atomic_or_fetch(&v->arch.io.invalidate, mask, __ATOMIC_RELAXED);
    }
}
