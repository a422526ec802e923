/* console_io: write to (and, for Dom0, read from) the hypervisor's console. */
#include <basalt/domain.h>
#include <basalt/guest_access.h>
#include <basalt/guest_console.h>
#include <basalt/hypercall.h>
#include <basalt/lib.h>
#include <xen/xen.h>

#define CHUNK 256

long do_console_io(struct vcpu *v, uint64_t cmd, uint64_t count, uint64_t buf, uint64_t a4, uint64_t a5)
{
    char tmp[CHUNK];
    switch (cmd) {
    case CONSOLEIO_write: {
        uint64_t done = 0;
        count = (uint32_t)count;
        /* All or nothing: a bad buffer prints no partial garbage. */
        if (guest_range_check(v, buf, count, false))
            return -EFAULT;
        while (done < count) {
            size_t n = MIN(count - done, (uint64_t)CHUNK);
            if (copy_from_guest(v, tmp, buf + done, n))
                return -EFAULT;
            guest_console_write(v->dom, tmp, n);
            done += n;
        }
        return 0;
    }
    case CONSOLEIO_read: {
        if (console_input_owner() != v->dom || !v->dom->is_privileged)
            return 0;
        size_t n = console_input_read(tmp, MIN((uint64_t)(uint32_t)count, (uint64_t)CHUNK));
        if (n && copy_to_guest(v, buf, tmp, n))
            return -EFAULT;
        return (long)n;
    }
    default:
        return -ENOSYS;
    }
}
