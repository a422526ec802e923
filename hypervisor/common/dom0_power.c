/*
 * Dom0 powering off or rebooting means the machine does: every other domain
 * is destroyed first (and logged), then the machine is switched off or reset.
 */
#include <basalt/dom0.h>
#include <basalt/domain.h>
#include <basalt/lib.h>
#include <basalt/time.h>

void machine_power_off(void);
void machine_restart(void);

void machine_shutdown_from_dom0(bool reboot, const char *why)
{
    pr_notice("%s: stopping all domains, then %s\n", why, reboot ? "rebooting" : "powering off");
    for (unsigned int id = 1; id < MAX_DOMAINS; id++) {
        struct domain *d = domain_get((domid_t)id);
        if (!d)
            continue;
        domain_destroy(d, "machine %s", reboot ? "rebooting" : "powering off");
        domain_put(d);
    }
    /* Other CPUs' idle loops reap them; give that a moment, then go. */
    uint64_t end = now_ns() + 2 * NSEC_PER_SEC;
    for (;;) {
        domain_reap();
        bool left = false;
        for (unsigned int id = 1; id < MAX_DOMAINS; id++)
            left |= domains[id] != NULL;
        if (!left || now_ns() > end)
            break;
        __asm__ volatile("pause");
    }
    if (reboot) {
        pr_notice("rebooting\n");
        machine_restart();
    }
    pr_notice("powering off\n");
    machine_power_off();
}
