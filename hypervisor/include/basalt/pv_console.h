/* The PV console ring of a boot-time domain, served by the hypervisor. */
#ifndef BASALT_PV_CONSOLE_H
#define BASALT_PV_CONSOLE_H

#include <basalt/types.h>

struct domain;

/* Sets up the console ring at gfn with an event channel to the hypervisor. */
int pv_console_setup(struct domain *d, gfn_t gfn);
/* Undoes pv_console_setup (domain teardown). */
void pv_console_release(struct domain *d);
/* True if the hypervisor serves d's console (so serial input can go to it). */
bool pv_console_is_local(struct domain *d);
/* A byte of serial input for d's console. */
void pv_console_input(struct domain *d, char c);
/* Serial input is waiting for Dom0 d: raise its VIRQ_CONSOLE. */
void console_input_notify_dom0(struct domain *d);

#endif
