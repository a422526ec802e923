/* TEMPORARY: replaced by the event channel implementation. */
#include <asm/vlapic.h>
#include <basalt/domain.h>
#include <basalt/lib.h>
#include <basalt/event.h>
#include <basalt/pv_console.h>
#include <basalt/sched.h>

int evtchn_upcall_vector(struct vcpu *v) { return -1; }
bool vcpu_event_pending(struct vcpu *v) { return vlapic_has_pending(v) || v->arch.nmi_pending; }
long sched_poll(struct vcpu *v, uint64_t arg) { return -ENOSYS; }
void vcpu_singleshot_fired(void *data) {}
void vcpu_periodic_fired(void *data) {}
void domain_release_resources(struct domain *d) {}
int pv_console_setup(struct domain *d, gfn_t gfn) { return 0; }
void hvm_vioapic_eoi(struct domain *d, uint8_t vector) {}
bool pv_console_is_local(struct domain *d) { return false; }
void pv_console_input(struct domain *d, char c) {}
void console_input_notify_dom0(struct domain *d) {}
