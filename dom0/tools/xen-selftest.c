/*
 * xen-selftest: checks from Dom0 user space that the stock Linux Xen drivers
 * work on this hypervisor: a privcmd hypercall, an interdomain event channel,
 * a grant mapping, grant copies (gntdev's GNTTABOP_copy, as QEMU's qdisk moves
 * every byte) and a foreign-memory mapping. The other side is a DomU
 * running guests/peer.c, whose numbers the test harness passes on the command
 * line (there is no xenstore to look them up in).
 *
 * Each check prints one "selftest: ..." line; any failure prints
 * "selftest: <check> FAILED: ..." on stderr and exits 1.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <xencall.h>
#include <xenevtchn.h>
#include <xenforeignmemory.h>
#include <xengnttab.h>
#include <xen/grant_table.h>
#include <xen/xen.h>
#include <xen/version.h>

#define PAGE_SIZE 4096
#define EVTCHN_TIMEOUT_MS 10000
#define BIND_EVENT_WAIT_MS 2000
#define GRANT_MARK "written!" /* guests/peer.c looks for exactly these 8 bytes */

static void usage(void)
{
    fprintf(stderr,
            "usage: xen-selftest hypercall\n"
            "       xen-selftest evtchn DOMID PORT [COUNT]\n"
            "       xen-selftest grant DOMID GREF [write]\n"
            "       xen-selftest copy DOMID GREF\n"
            "       xen-selftest foreign DOMID GFN\n"
            "       xen-selftest all DOMID PORT GREF FOREIGN_GFN\n");
    exit(2);
}

/* Reports a failed check; errno is the library's (it sets errno on failure). */
static int failed(const char *check, const char *fmt, ...)
{
    int err = errno;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "selftest: %s FAILED: ", check);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, ": %s\n", err ? strerror(err) : "no error code");
    return 1;
}

/* Decimal or 0x-prefixed hex, the whole string, within max. */
static unsigned long parse_num(const char *s, const char *what, unsigned long max)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 0);
    if (errno || end == s || *end || v > max || s[0] == '-') {
        fprintf(stderr, "xen-selftest: bad %s '%s'\n", what, s);
        exit(2);
    }
    return v;
}

/* The page's text up to its first NUL, quoted and escaped so garbage shows as such. */
static void print_page_text(const char *check, const volatile uint8_t *page)
{
    printf("selftest: %s ok \"", check);
    for (size_t i = 0; i < 80 && page[i]; i++) {
        uint8_t c = page[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
            putchar(c);
        else
            printf("\\x%02x", c);
    }
    printf("\"\n");
}

static int check_hypercall(void)
{
    xencall_handle *xc = xencall_open(NULL, 0);
    if (!xc)
        return failed("hypercall", "xencall_open (/dev/xen/privcmd; is xen-privcmd loaded?)");
    /* XENVER_version takes no buffer, so no hypercall-safe memory is needed. */
    int ver = xencall2(xc, __HYPERVISOR_xen_version, XENVER_version, 0);
    int rc = ver < 0 ? failed("hypercall", "xen_version(XENVER_version)") : 0;
    if (!rc)
        printf("selftest: hypercall xen_version=%d.%d\n", ver >> 16, ver & 0xffff);
    xencall_close(xc);
    return rc;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until local_port fires, up to timeout_ms; 0 or -1 (errno set). */
static int wait_event(xenevtchn_handle *xce, evtchn_port_t local_port, int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        struct pollfd pfd = { .fd = xenevtchn_fd(xce), .events = POLLIN };
        int n = poll(&pfd, 1, (int)left);
        if (n < 0 && errno != EINTR)
            return -1;
        if (n <= 0)
            continue;
        xenevtchn_port_or_error_t port = xenevtchn_pending(xce);
        if (port < 0)
            return -1;
        /* The driver masked the port when it delivered it; let the next one in. */
        if (xenevtchn_unmask(xce, (evtchn_port_t)port) < 0)
            return -1;
        if ((evtchn_port_t)port == local_port)
            return 0;
    }
}

static int check_evtchn(uint32_t domid, evtchn_port_t remote_port, unsigned long count)
{
    xenevtchn_handle *xce = xenevtchn_open(NULL, 0);
    if (!xce)
        return failed("evtchn", "xenevtchn_open (/dev/xen/evtchn; is xen-evtchn loaded?)");
    int rc = 0;
    xenevtchn_port_or_error_t local = xenevtchn_bind_interdomain(xce, domid, remote_port);
    if (local < 0) {
        rc = failed("evtchn", "bind_interdomain to domain %" PRIu32 " port %u", domid, remote_port);
        goto out;
    }
    /* Binding raises the new port once, as Xen does (a send before the bind
     * is not lost): take that event first, or round 1 would count it and
     * the next notification could merge with the first at the peer. */
    if (wait_event(xce, (evtchn_port_t)local, BIND_EVENT_WAIT_MS) < 0 && errno != ETIMEDOUT) {
        rc = failed("evtchn", "waiting for the bind event on local port %d", local);
        goto out;
    }
    for (unsigned long i = 1; i <= count; i++) {
        if (xenevtchn_notify(xce, (evtchn_port_t)local) < 0) {
            rc = failed("evtchn", "notify local port %d (round %lu)", local, i);
            goto out;
        }
        if (wait_event(xce, (evtchn_port_t)local, EVTCHN_TIMEOUT_MS) < 0) {
            rc = failed("evtchn", "no event back on local port %d within %d s (round %lu)", local,
                        EVTCHN_TIMEOUT_MS / 1000, i);
            goto out;
        }
        printf("selftest: evtchn round %lu ok\n", i);
    }
    printf("selftest: evtchn ok local_port=%d\n", local);
out:
    /* Closing the handle unbinds the port (the peer's end goes back to unbound). */
    xenevtchn_close(xce);
    return rc;
}

static int check_grant(uint32_t domid, uint32_t gref, int write)
{
    xengnttab_handle *xgt = xengnttab_open(NULL, 0);
    if (!xgt)
        return failed("grant", "xengnttab_open (/dev/xen/gntdev; is xen-gntdev loaded?)");
    int rc = 0;
    volatile uint8_t *page = xengnttab_map_grant_ref(xgt, domid, gref, write ? PROT_READ | PROT_WRITE : PROT_READ);
    if (!page) {
        rc = failed("grant", "map grant ref %" PRIu32 " of domain %" PRIu32 " %s", gref, domid,
                    write ? "read-write" : "read-only");
        goto out;
    }
    /* Print what the peer put there before we overwrite it. */
    print_page_text("grant", page);
    if (write)
        memcpy((void *)page, GRANT_MARK, strlen(GRANT_MARK));
    if (xengnttab_unmap(xgt, (void *)page, 1) < 0)
        rc = failed("grant", "unmap grant ref %" PRIu32, gref);
out:
    xengnttab_close(xgt);
    return rc;
}

/* Segments in one grant-copy call: more than gntdev's batch of 16 hypercall
 * ops, so the copy takes several hypercalls. */
#define COPY_SEGMENTS 24
#define COPY_CHUNK 160
#define COPY_MARK "copied by dom0"
#define COPY_MARK_OFFSET 2048

/*
 * Grant copies as qdisk does them (xengnttab_grant_copy: gntdev's
 * IOCTL_GNTDEV_GRANT_COPY, GNTTABOP_copy with our side as DOMID_SELF frames):
 * the whole page read, then COPY_SEGMENTS small reads into a local buffer that
 * straddles a page boundary (gntdev splits those into two ops), one of them
 * of a grant the peer never made (only that segment may fail), then a write
 * that a second read must see.
 */
static int check_copy(uint32_t domid, uint32_t gref)
{
    xengnttab_handle *xgt = xengnttab_open(NULL, 0);
    if (!xgt)
        return failed("copy", "xengnttab_open (/dev/xen/gntdev; is xen-gntdev loaded?)");
    int rc = 0;
    uint8_t *buf = mmap(NULL, 3 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                        -1, 0);
    if (buf == MAP_FAILED) {
        xengnttab_close(xgt);
        return failed("copy", "mmap");
    }
    uint8_t *page = buf, *strad = buf + 2 * PAGE_SIZE - COPY_CHUNK / 2;
    xengnttab_grant_copy_segment_t seg[COPY_SEGMENTS];
    memset(seg, 0, sizeof(seg));
    seg[0].flags = GNTCOPY_source_gref;
    seg[0].source.foreign.domid = domid;
    seg[0].source.foreign.ref = gref;
    seg[0].dest.virt = page;
    seg[0].len = PAGE_SIZE;
    if (xengnttab_grant_copy(xgt, 1, seg) || seg[0].status != GNTST_okay) {
        rc = failed("copy", "read of grant %" PRIu32 " (status %d)", gref, seg[0].status);
        goto out;
    }

    const unsigned bad = COPY_SEGMENTS / 2;
    for (unsigned i = 0; i < COPY_SEGMENTS; i++) {
        seg[i] = (xengnttab_grant_copy_segment_t){
            .flags = GNTCOPY_source_gref,
            .source.foreign = { .domid = domid, .ref = i == bad ? gref + 1 : gref,
                                .offset = (uint16_t)(i * COPY_CHUNK) },
            .dest.virt = strad,
            .len = COPY_CHUNK,
        };
        if (i == bad)
            seg[i].dest.virt = buf + PAGE_SIZE;
        memset(strad, 0xee, COPY_CHUNK);
        if (i == bad)
            continue;
        /* One segment at a time into the same straddling buffer would hide
         * which one went wrong: give each its own pass. */
        if (xengnttab_grant_copy(xgt, 1, &seg[i]) || seg[i].status != GNTST_okay ||
            memcmp(strad, page + i * COPY_CHUNK, COPY_CHUNK)) {
            rc = failed("copy", "segment %u across a page boundary (status %d)", i, seg[i].status);
            goto out;
        }
    }
    /* All at once: 24 segments, one of them bad, in two hypercall batches. */
    for (unsigned i = 0; i < COPY_SEGMENTS; i++)
        seg[i].status = 99;
    if (xengnttab_grant_copy(xgt, COPY_SEGMENTS, seg)) {
        rc = failed("copy", "%d segments in one call", COPY_SEGMENTS);
        goto out;
    }
    for (unsigned i = 0; i < COPY_SEGMENTS; i++)
        if ((i == bad) != (seg[i].status != GNTST_okay)) {
            errno = 0;
            rc = failed("copy", "segment %u of %d has status %d", i, COPY_SEGMENTS, seg[i].status);
            goto out;
        }

    /* A write, and a read that sees it. */
    memcpy(buf + PAGE_SIZE, COPY_MARK, sizeof(COPY_MARK));
    seg[0] = (xengnttab_grant_copy_segment_t){
        .flags = GNTCOPY_dest_gref,
        .source.virt = buf + PAGE_SIZE,
        .dest.foreign = { .domid = domid, .ref = gref, .offset = COPY_MARK_OFFSET },
        .len = sizeof(COPY_MARK),
    };
    seg[1] = (xengnttab_grant_copy_segment_t){
        .flags = GNTCOPY_source_gref,
        .source.foreign = { .domid = domid, .ref = gref },
        .dest.virt = page,
        .len = PAGE_SIZE,
    };
    if (xengnttab_grant_copy(xgt, 1, &seg[0]) || seg[0].status != GNTST_okay ||
        xengnttab_grant_copy(xgt, 1, &seg[1]) || seg[1].status != GNTST_okay ||
        memcmp(page + COPY_MARK_OFFSET, COPY_MARK, sizeof(COPY_MARK))) {
        rc = failed("copy", "write to grant %" PRIu32 " and read back", gref);
        goto out;
    }
    printf("selftest: copy segments=%d bad-segment-status=%d\n", COPY_SEGMENTS, seg[bad].status);
    print_page_text("copy", page);
out:
    munmap(buf, 3 * PAGE_SIZE);
    xengnttab_close(xgt);
    return rc;
}

static int check_foreign(uint32_t domid, xen_pfn_t gfn)
{
    xenforeignmemory_handle *fm = xenforeignmemory_open(NULL, 0);
    if (!fm)
        return failed("foreign", "xenforeignmemory_open (/dev/xen/privcmd; is xen-privcmd loaded?)");
    int rc = 0, err = 0;
    volatile uint8_t *page = xenforeignmemory_map(fm, domid, PROT_READ, 1, &gfn, &err);
    /* With an err array the call may "succeed" with the page itself failed. */
    if (!page || err) {
        if (err)
            errno = err;
        rc = failed("foreign", "map gfn 0x%" PRIx64 " of domain %" PRIu32, (uint64_t)gfn, domid);
        if (page)
            xenforeignmemory_unmap(fm, (void *)page, 1);
        goto out;
    }
    print_page_text("foreign", page);
    if (xenforeignmemory_unmap(fm, (void *)page, 1) < 0)
        rc = failed("foreign", "unmap gfn 0x%" PRIx64, (uint64_t)gfn);
out:
    xenforeignmemory_close(fm);
    return rc;
}

int main(int argc, char **argv)
{
    /* One line at a time, even when the harness reads through a pipe. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2)
        usage();
    const char *cmd = argv[1];
    int n = argc - 2;
    char **a = argv + 2;

    if (!strcmp(cmd, "hypercall") && n == 0)
        return check_hypercall();
    if (!strcmp(cmd, "evtchn") && (n == 2 || n == 3))
        return check_evtchn(parse_num(a[0], "DOMID", DOMID_FIRST_RESERVED - 1),
                            parse_num(a[1], "PORT", UINT32_MAX),
                            n == 3 ? parse_num(a[2], "COUNT", 1000000) : 3);
    if (!strcmp(cmd, "grant") && (n == 2 || (n == 3 && !strcmp(a[2], "write"))))
        return check_grant(parse_num(a[0], "DOMID", DOMID_FIRST_RESERVED - 1),
                           parse_num(a[1], "GREF", UINT32_MAX), n == 3);
    if (!strcmp(cmd, "copy") && n == 2)
        return check_copy(parse_num(a[0], "DOMID", DOMID_FIRST_RESERVED - 1),
                          parse_num(a[1], "GREF", UINT32_MAX - 1));
    if (!strcmp(cmd, "foreign") && n == 2)
        return check_foreign(parse_num(a[0], "DOMID", DOMID_FIRST_RESERVED - 1),
                             parse_num(a[1], "GFN", ULONG_MAX));
    if (!strcmp(cmd, "all") && n == 4) {
        uint32_t domid = parse_num(a[0], "DOMID", DOMID_FIRST_RESERVED - 1);
        evtchn_port_t port = parse_num(a[1], "PORT", UINT32_MAX);
        uint32_t gref = parse_num(a[2], "GREF", UINT32_MAX);
        xen_pfn_t gfn = parse_num(a[3], "FOREIGN_GFN", ULONG_MAX);
        /* The grant write comes before the events, so the peer sees it when they wake it. */
        if (check_hypercall() || check_grant(domid, gref, 1) || check_copy(domid, gref) ||
            check_foreign(domid, gfn) || check_evtchn(domid, port, 3))
            return 1;
        printf("selftest: all ok\n");
        return 0;
    }
    usage();
}
