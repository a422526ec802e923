/*
 * console_io: write to (and, for Dom0, read from) the hypervisor's console.
 *
 * A write is all or nothing (a bad buffer prints no partial garbage) and
 * bounded per call: first the whole buffer is checked, CHECK_BYTES per call,
 * then it is printed, CALL_BYTES per call; between calls the hypercall is
 * re-executed with its progress in the command's upper bits (and, while
 * printing, in the count and pointer), as Xen's continuations do. A guest
 * that fakes that progress only skips checks whose failure would have
 * stopped its own output.
 */
#include <basalt/domain.h>
#include <basalt/guest_access.h>
#include <basalt/guest_console.h>
#include <basalt/hypercall.h>
#include <basalt/lib.h>
#include <xen/xen.h>

#define CHUNK 256
#define CALL_BYTES 4096
#define CHECK_BYTES MiB(4)        /* 1024 page walks */
#define CMD_MASK 0xffu
#define CONT_CHECKED_SHIFT 8      /* how many CHECK_BYTES parts are checked */
#define CONT_PRINTING (1u << 31)  /* all of it checked: printing */

static long console_write(struct vcpu *v, uint64_t cmd, uint32_t count, uint64_t buf)
{
    char tmp[CHUNK];
    if (!(cmd & CONT_PRINTING)) {
        uint64_t checked = ((cmd & ~(uint64_t)CONT_PRINTING) >> CONT_CHECKED_SHIFT) * CHECK_BYTES;
        if (checked < count) {
            uint64_t end = MIN((uint64_t)count, checked + CHECK_BYTES);
            if (guest_range_check(v, buf + checked, end - checked, false))
                return -EFAULT;
            if (end < count)
                return hypercall_continue(v, 1, CONSOLEIO_write | (end / CHECK_BYTES) << CONT_CHECKED_SHIFT);
        }
    }
    uint32_t part = MIN(count, (uint32_t)CALL_BYTES);
    for (uint32_t done = 0; done < part;) {
        size_t n = MIN(part - done, (uint32_t)CHUNK);
        if (copy_from_guest(v, tmp, buf + done, n))
            return -EFAULT; /* changed since it was checked */
        guest_console_write(v->dom, tmp, n);
        done += n;
    }
    if (part == count)
        return 0;
    hypercall_continue(v, 2, count - part);
    hypercall_continue(v, 3, buf + part);
    return hypercall_continue(v, 1, CONSOLEIO_write | CONT_PRINTING);
}

long do_console_io(struct vcpu *v, uint64_t cmd, uint64_t count, uint64_t buf, uint64_t a4, uint64_t a5)
{
    if ((cmd & CMD_MASK) == CONSOLEIO_write)
        return console_write(v, cmd, (uint32_t)count, buf);
    if (cmd != CONSOLEIO_read)
        return -ENOSYS;
    if (console_input_owner() != v->dom || !v->dom->is_privileged)
        return 0;
    char tmp[CHUNK];
    size_t n = console_input_read(tmp, MIN((uint64_t)(uint32_t)count, (uint64_t)CHUNK));
    if (n && copy_to_guest(v, buf, tmp, n))
        return -EFAULT;
    return (long)n;
}
