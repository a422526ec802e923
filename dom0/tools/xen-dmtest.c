/*
 * xen-dmtest: the smallest device model, to check an HVM domain's ioreq
 * path end to end with the stock Linux drivers and Debian's libraries
 * (libxendevicemodel for dm_op, privcmd's resource mapping for the ioreq
 * page, event channels bound to the vCPUs' ports). It serves the guest
 * guests/hvm/hvmcheck runs with mode=dm:
 *   ports 0x600-0x603  read 0x12345678 (narrower reads: its low bytes);
 *   ports 0x604-0x607  a 32-bit scratch register: reads give what was written;
 *   MMIO 0xfe000000-0xfe000fff  a page of memory, zero at first;
 * including REP string requests whose data is a guest-physical buffer
 * (data_is_ptr), which it reads and writes through foreign mappings.
 * Writing HANG_UP to the scratch register is the guest's last request: it
 * is left unanswered and the server destroyed while the vCPU waits for it
 * (the vCPU must carry on without an answer).
 * It runs until then, until the domain is gone (checked when a second
 * passes with no request) or SECONDS pass,
 * then prints "dmtest: answered N requests (P port, M memory, S string)".
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <xendevicemodel.h>
#include <xenevtchn.h>
#include <xenforeignmemory.h>
#include <xen/xen.h>
#include <xen/hvm/dm_op.h>
#include <xen/hvm/ioreq.h>
#include <xen/memory.h>

#define PAGE_SIZE 4096
#define PORT_CONST 0x600
#define PORT_SCRATCH 0x604
#define MMIO_BASE 0xfe000000ULL
#define MAX_VCPUS 64
#define HANG_UP 0xdead0001u

static xenforeignmemory_handle *fmem;
static domid_t domid;
static uint32_t scratch;
static uint8_t mmio_page[PAGE_SIZE];
static unsigned long n_port, n_mmio, n_string;
static int hung_up;

static void die(const char *fmt, ...)
{
    int err = errno;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "dmtest: FAILED: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, ": %s\n", err ? strerror(err) : "no error code");
    exit(1);
}

/* One element of a string request's guest buffer, through a foreign
 * mapping of its page (an element never straddles pages: the hypervisor
 * splits runs at page ends). */
static int guest_copy(uint64_t gpa, void *buf, unsigned int size, int write)
{
    xen_pfn_t gfn = gpa >> 12;
    int err = 0;
    uint8_t *p = xenforeignmemory_map(fmem, domid, PROT_READ | PROT_WRITE, 1, &gfn, &err);
    if (!p || err)
        return -1;
    if ((gpa & (PAGE_SIZE - 1)) + size > PAGE_SIZE)
        size = PAGE_SIZE - (gpa & (PAGE_SIZE - 1));
    if (write)
        memcpy(p + (gpa & (PAGE_SIZE - 1)), buf, size);
    else
        memcpy(buf, p + (gpa & (PAGE_SIZE - 1)), size);
    xenforeignmemory_unmap(fmem, p, 1);
    return 0;
}

static uint64_t device_read(const ioreq_t *r, uint64_t addr)
{
    uint64_t v = 0;
    if (r->type == IOREQ_TYPE_PIO) {
        if (addr >= PORT_SCRATCH && addr < PORT_SCRATCH + 4)
            v = scratch >> (8 * (addr - PORT_SCRATCH));
        else
            v = 0x12345678u >> (8 * (addr - PORT_CONST));
    } else {
        uint64_t off = addr - MMIO_BASE;
        if (off < PAGE_SIZE)
            memcpy(&v, mmio_page + off, r->size <= PAGE_SIZE - off ? r->size : PAGE_SIZE - off);
    }
    return r->size >= 8 ? v : v & ((1ULL << (8 * r->size)) - 1);
}

static void device_write(const ioreq_t *r, uint64_t addr, uint64_t v)
{
    if (r->type == IOREQ_TYPE_PIO) {
        if (addr == PORT_SCRATCH)
            scratch = (uint32_t)v;
    } else {
        uint64_t off = addr - MMIO_BASE;
        if (off < PAGE_SIZE)
            memcpy(mmio_page + off, &v, r->size <= PAGE_SIZE - off ? r->size : PAGE_SIZE - off);
    }
}

/* Carries out one request; its answer (a read's value) goes into r->data. */
static void serve(ioreq_t *r)
{
    if (r->type != IOREQ_TYPE_PIO && r->type != IOREQ_TYPE_COPY)
        return; /* INVALIDATE and the like: nothing cached here */
    if (r->size == 0 || r->size > 8)
        return;
    if (r->type == IOREQ_TYPE_PIO)
        n_port++;
    else
        n_mmio++;
    if (!r->data_is_ptr) {
        if (r->type == IOREQ_TYPE_PIO && r->addr == PORT_SCRATCH && r->dir == IOREQ_WRITE && r->data == HANG_UP) {
            hung_up = 1;
            return;
        }
        if (r->dir == IOREQ_READ)
            r->data = device_read(r, r->addr);
        else
            device_write(r, r->addr, r->data);
        return;
    }
    n_string++;
    int64_t step = r->df ? -(int64_t)r->size : (int64_t)r->size;
    for (uint32_t i = 0; i < r->count; i++) {
        uint64_t addr = r->type == IOREQ_TYPE_PIO ? r->addr : r->addr + (uint64_t)((int64_t)i * step);
        uint64_t gpa = r->data + (uint64_t)((int64_t)i * step);
        uint64_t v = 0;
        if (r->dir == IOREQ_READ) {
            v = device_read(r, addr);
            if (guest_copy(gpa, &v, r->size, 1))
                break;
        } else {
            if (guest_copy(gpa, &v, r->size, 0))
                break;
            device_write(r, addr, v);
        }
    }
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: xen-dmtest DOMID SECONDS\n");
        return 2;
    }
    domid = (domid_t)strtoul(argv[1], NULL, 0);
    unsigned int seconds = (unsigned int)strtoul(argv[2], NULL, 0);

    xendevicemodel_handle *dm = xendevicemodel_open(NULL, 0);
    xenevtchn_handle *xce = xenevtchn_open(NULL, 0);
    fmem = xenforeignmemory_open(NULL, 0);
    if (!dm || !xce || !fmem)
        die("opening privcmd and evtchn");
    unsigned int nr_vcpus;
    if (xendevicemodel_nr_vcpus(dm, domid, &nr_vcpus) || !nr_vcpus || nr_vcpus > MAX_VCPUS)
        die("nr_vcpus of domain %u", domid);
    ioservid_t id;
    if (xendevicemodel_create_ioreq_server(dm, domid, 0 /* no buffered ring */, &id))
        die("create_ioreq_server");
    void *page_addr = NULL;
    xenforeignmemory_resource_handle *res = xenforeignmemory_map_resource(
        fmem, domid, XENMEM_resource_ioreq_server, id, XENMEM_resource_ioreq_server_frame_ioreq(0), 1, &page_addr,
        PROT_READ | PROT_WRITE, 0);
    if (!res)
        die("mapping the ioreq page (XENMEM_acquire_resource)");
    shared_iopage_t *page = page_addr;
    if (xendevicemodel_map_io_range_to_ioreq_server(dm, domid, id, 0, PORT_CONST, PORT_SCRATCH + 3) ||
        xendevicemodel_map_io_range_to_ioreq_server(dm, domid, id, 1, MMIO_BASE, MMIO_BASE + PAGE_SIZE - 1))
        die("map_io_range_to_ioreq_server");
    if (xendevicemodel_set_ioreq_server_state(dm, domid, id, 1))
        die("set_ioreq_server_state");
    evtchn_port_t local[MAX_VCPUS];
    for (unsigned int i = 0; i < nr_vcpus; i++) {
        int p = xenevtchn_bind_interdomain(xce, domid, page->vcpu_ioreq[i].vp_eport);
        if (p < 0)
            die("binding vCPU %u's ioreq channel (port %u)", i, page->vcpu_ioreq[i].vp_eport);
        local[i] = (evtchn_port_t)p;
    }
    printf("dmtest: serving domain %u: server %u, %u vCPUs\n", domid, id, nr_vcpus);
    fflush(stdout);

    time_t end = time(NULL) + seconds;
    while (time(NULL) < end && !hung_up) {
        struct pollfd pfd = { .fd = xenevtchn_fd(xce), .events = POLLIN };
        if (poll(&pfd, 1, 1000) < 0)
            die("poll");
        if (!(pfd.revents & POLLIN)) {
            unsigned int n;
            if (xendevicemodel_nr_vcpus(dm, domid, &n))
                break; /* the domain is gone */
            continue;
        }
        xenevtchn_port_or_error_t port = xenevtchn_pending(xce);
        if (port < 0)
            break; /* the domain went: its ports closed */
        xenevtchn_unmask(xce, (evtchn_port_t)port);
        for (unsigned int i = 0; i < nr_vcpus; i++) {
            ioreq_t *r = &page->vcpu_ioreq[i];
            if (local[i] != (evtchn_port_t)port || r->state != STATE_IOREQ_READY)
                continue;
            __atomic_thread_fence(__ATOMIC_ACQUIRE);
            r->state = STATE_IOREQ_INPROCESS;
            serve(r);
            if (hung_up)
                break;
            __atomic_thread_fence(__ATOMIC_RELEASE);
            r->state = STATE_IORESP_READY;
            xenevtchn_notify(xce, local[i]);
        }
    }
    if (hung_up) {
        /* The vCPU waits for this one: the server goes from under it. */
        sleep(1);
        if (xendevicemodel_destroy_ioreq_server(dm, domid, id))
            die("destroy_ioreq_server");
        printf("dmtest: hung up: server destroyed while a vCPU waited for it\n");
    }
    printf("dmtest: answered %lu requests (%lu port, %lu memory, %lu string)\n", n_port + n_mmio, n_port, n_mmio,
           n_string);
    /* The domain may be gone already, or the server destroyed above. */
    if (!hung_up)
        xendevicemodel_destroy_ioreq_server(dm, domid, id);
    xenforeignmemory_unmap_resource(fmem, res);
    return 0;
}
