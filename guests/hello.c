/* A well-behaved guest: console output, version query, orderly shutdown. */
#include "common/guest.h"

static void delay_ms(uint64_t ms)
{
    uint64_t khz = guest_tsc_khz();
    uint64_t end = rdtsc() + ms * khz;
    while (rdtsc() < end)
        hypercall2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
}

int guest_main_entry(const struct hvm_start_info *si)
{
    guest_init_hypercall_page();
    static const char msg[] = "hello: console_io through the hypercall page\n";
    long rc = page_hypercall3(__HYPERVISOR_console_io, CONSOLEIO_write, sizeof(msg) - 1,
                              (unsigned long)msg);
    guest_printf("hello: page write returned %ld\n", rc);

    long ver = hypercall2(__HYPERVISOR_xen_version, XENVER_version, 0);
    xen_extraversion_t extra;
    hypercall2(__HYPERVISOR_xen_version, XENVER_extraversion, (unsigned long)extra);
    extra[sizeof(extra) - 1] = '\0';
    guest_printf("hello: xen_version %ld.%ld%s\n", ver >> 16, ver & 0xffff, extra);

    uint64_t count = guest_arg_u64("count", 0), delay = guest_arg_u64("delay", 0);
    for (uint64_t i = 1; i <= count; i++) {
        guest_printf("hello: line %lu\n", i);
        if (delay)
            delay_ms(delay);
    }

    char reason[16];
    unsigned int code = SHUTDOWN_poweroff;
    if (guest_arg("reason", reason, sizeof(reason))) {
        if (!strncmp(reason, "reboot", 7))
            code = SHUTDOWN_reboot;
        else if (!strncmp(reason, "crash", 6))
            code = SHUTDOWN_crash;
    }
    guest_printf("hello: shutting down (%s)\n", code == SHUTDOWN_reboot ? "reboot" :
                                                code == SHUTDOWN_crash ? "crash" : "poweroff");
    guest_shutdown(code);
}
