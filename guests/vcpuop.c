/*
 * VCPUOP_initialise, _up, _down and _is_up as Xen defines them, from a guest
 * with 3 vCPUs (vcpus=3): a vCPU never started cannot be brought up; one
 * initialised in long mode starts at VCPUOP_up and stops at VCPUOP_down,
 * whoever calls it, and carries on where it stopped; a vCPU can take
 * itself down; vCPU 0 brings vCPU 1 up and down storm=N times while vCPU 1
 * blocks and wakes, and vCPU 2 takes vCPU 1 down too. Prints
 * "vcpuop: NAME ok" or "vcpuop: NAME FAILED (...)" for each check and
 * "vcpuop: checks passed N/M"; then, with vCPUs 1 and 2 down, vCPU 0 takes
 * itself down: the last vCPU going down powers the domain off.
 */
#include "common/guest.h"
#include <xen/errno.h>
#include <xen/hvm/hvm_vcpu.h>

#define EINVAL XEN_EINVAL
#define ENOENT XEN_ENOENT
#define EEXIST XEN_EEXIST
#define EFAULT XEN_EFAULT

#define PAGE_SIZE 4096
#define STACK_SIZE 8192
#define RFLAGS_FIXED 0x2UL

static uint8_t shinfo_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t ap_stacks[3][STACK_SIZE] __attribute__((aligned(16)));
static volatile uint64_t counter[3];       /* each AP counts while it runs */
static volatile uint64_t self_down_rc[3];  /* what VCPUOP_down(self) returned, +1 */
static volatile bool go_down[3], poll_storm[3], storm_over, storm_over_seen;
static volatile uint64_t downs_by_2;
static int checks, failures;
static uint64_t tsc_khz;

static void check(const char *name, bool ok, long a, long b)
{
    checks++;
    if (ok) {
        guest_printf("vcpuop: %s ok\n", name);
    } else {
        failures++;
        guest_printf("vcpuop: %s FAILED (%ld, %ld)\n", name, a, b);
    }
}

static long vcpu_op(int cmd, unsigned int vcpu, void *arg)
{
    return hypercall3(__HYPERVISOR_vcpu_op, (unsigned long)cmd, vcpu, (unsigned long)arg);
}

static long is_up(unsigned int vcpu)
{
    return vcpu_op(VCPUOP_is_up, vcpu, 0);
}

static void yield(void)
{
    hypercall2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
}

/* How long a vCPU may wait for another to run: generous, as QEMU's vCPU
 * threads may get no host CPU for seconds on a loaded machine; waits that
 * succeed end early. */
#define PATIENCE_MS 30000

static uint64_t ms_to_tsc(uint64_t ms)
{
    return ms * tsc_khz;
}

/* Waits (yielding) up to ms for cond(arg); returns whether it held. */
static bool wait_for(bool (*cond)(unsigned int), unsigned int arg, uint64_t ms)
{
    uint64_t end = rdtsc() + ms_to_tsc(ms);
    while (!cond(arg)) {
        if (rdtsc() > end)
            return false;
        yield();
    }
    return true;
}

static bool counting(unsigned int vcpu)
{
    uint64_t c = counter[vcpu];
    uint64_t end = rdtsc() + ms_to_tsc(5);
    while (rdtsc() < end)
        if (counter[vcpu] != c)
            return true;
    return false;
}

static bool stopped(unsigned int vcpu)
{
    /* Down is asynchronous: give the kick time to land, then it must stay still. */
    uint64_t end = rdtsc() + ms_to_tsc(20);
    while (rdtsc() < end)
        yield();
    uint64_t c = counter[vcpu];
    end = rdtsc() + ms_to_tsc(100);
    while (rdtsc() < end)
        yield();
    return counter[vcpu] == c;
}

static bool is_down(unsigned int vcpu)
{
    return is_up(vcpu) == 0;
}

/* System time from vCPU 0's pvclock (shared_info is mapped). */
static uint64_t now_ns(void)
{
    return guest_pvclock_ns(&((struct shared_info *)shinfo_page)->vcpu_info[0].time);
}

/* The APs: count; take themselves down when told; block in short polls
 * during the storm; vCPU 2 takes vCPU 1 down over and over meanwhile. */
void ap_main(uint64_t id) __attribute__((noreturn));
void ap_main(uint64_t id)
{
    for (;;) {
        counter[id]++;
        if (go_down[id]) {
            go_down[id] = false;
            long rc = vcpu_op(VCPUOP_down, (unsigned int)id, 0);
            self_down_rc[id] = (uint64_t)(rc + 1);
        }
        if (poll_storm[id] && id == 1) {
            struct sched_poll p = { .nr_ports = 0, .timeout = now_ns() + 50000 };
            hypercall2(__HYPERVISOR_sched_op, SCHEDOP_poll, (unsigned long)&p);
        }
        if (poll_storm[id] && id == 2) {
            if (storm_over) {
                storm_over_seen = true; /* no down from vCPU 2 after this */
                poll_storm[2] = false;
            } else {
                vcpu_op(VCPUOP_down, 1, 0);
                downs_by_2++;
            }
        }
    }
}

static struct vcpu_hvm_context long_mode_context(unsigned int id)
{
    uint64_t cr0, cr3, cr4;
    __asm__ volatile("mov %%cr0, %0; mov %%cr3, %1; mov %%cr4, %2" : "=r"(cr0), "=r"(cr3), "=r"(cr4));
    struct vcpu_hvm_context c = { .mode = VCPU_HVM_MODE_64B };
    c.cpu_regs.x86_64 = (struct vcpu_hvm_x86_64){
        .rip = (uint64_t)(uintptr_t)ap_main,
        .rsp = (uint64_t)(uintptr_t)(ap_stacks[id] + STACK_SIZE - 8), /* as after a call */
        .rdi = id,
        .rflags = RFLAGS_FIXED, /* interrupts off: the APs take no events */
        .cr0 = cr0, .cr3 = cr3, .cr4 = cr4,
        .efer = 0x500, /* LME, LMA */
    };
    return c;
}

static void bad_contexts(void)
{
    struct vcpu_hvm_context c = long_mode_context(1);
    c.mode = 7;
    long rc = vcpu_op(VCPUOP_initialise, 1, &c);
    check("initialise with an unknown mode is refused", rc == -EINVAL, rc, -EINVAL);
    c = long_mode_context(1);
    c.cpu_regs.x86_64.cr0 &= ~(1UL << 31);
    rc = vcpu_op(VCPUOP_initialise, 1, &c);
    check("initialise in long mode without paging is refused", rc == -EINVAL, rc, -EINVAL);
    c = long_mode_context(1);
    c.cpu_regs.x86_64.rip = 0x0000800000000000UL;
    rc = vcpu_op(VCPUOP_initialise, 1, &c);
    check("initialise at a non-canonical RIP is refused", rc == -EINVAL, rc, -EINVAL);
    c = long_mode_context(1);
    c.cpu_regs.x86_64.cr4 |= 1UL << 13; /* VMXE: not an AMD CPU's */
    rc = vcpu_op(VCPUOP_initialise, 1, &c);
    check("initialise with a CR4 bit the CPU lacks is refused", rc == -EINVAL, rc, -EINVAL);
    c = (struct vcpu_hvm_context){ .mode = VCPU_HVM_MODE_32B };
    c.cpu_regs.x86_32.cs_ar = 0x093; /* a data segment in CS */
    c.cpu_regs.x86_32.ss_ar = 0x093;
    c.cpu_regs.x86_32.tr_ar = 0x08b;
    rc = vcpu_op(VCPUOP_initialise, 1, &c);
    check("initialise in 32-bit mode with a data segment in CS is refused", rc == -EINVAL, rc, -EINVAL);
    rc = vcpu_op(VCPUOP_initialise, 1, (void *)0x7ffffff000UL);
    check("initialise from an unmapped address is -EFAULT", rc == -EFAULT, rc, -EFAULT);
    check("... and vCPU 1 is still down and cannot be brought up", is_up(1) == 0 && vcpu_op(VCPUOP_up, 1, 0) == -EINVAL,
          is_up(1), 0);
}

/* Only vCPU 0 brings vCPU 1 up: once it has taken it down, vCPU 1 must
 * stay down, whatever it was doing (blocking in a poll, waking from one)
 * and whoever else takes it down meanwhile. Returns the rounds in which
 * it came back by itself. */
static uint64_t storm(uint64_t rounds)
{
    uint64_t came_back = 0;
    poll_storm[1] = poll_storm[2] = true;
    for (uint64_t i = 0; i < rounds; i++) {
        vcpu_op(VCPUOP_down, 1, 0);
        uint64_t end = rdtsc() + tsc_khz / 5; /* 200 us: it polls 50 us at a time */
        while (rdtsc() < end)
            if (is_up(1) != 0) {
                came_back++;
                break;
            }
        if (i & 1)
            yield();
        vcpu_op(VCPUOP_up, 1, 0);
    }
    storm_over = true;
    /* vCPU 2's last down may still be on its way: up only after it. */
    uint64_t end = rdtsc() + ms_to_tsc(PATIENCE_MS);
    while (!storm_over_seen && rdtsc() < end)
        yield();
    vcpu_op(VCPUOP_up, 1, 0);
    return came_back;
}

int guest_main_entry(const struct hvm_start_info *si)
{
    tsc_khz = guest_tsc_khz();
    struct xen_add_to_physmap a = { .domid = DOMID_SELF, .space = XENMAPSPACE_shared_info, .idx = 0,
                                    .gpfn = (uint64_t)(uintptr_t)shinfo_page >> 12 };
    if (hypercall2(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, (unsigned long)&a)) {
        guest_printf("vcpuop: cannot map shared_info\n");
        return 1;
    }
    if (is_up(2) < 0) {
        guest_printf("vcpuop: needs 3 vCPUs\n");
        return 1;
    }

    check("vCPU 0 is up, vCPUs 1 and 2 (never started) are down", is_up(0) == 1 && is_up(1) == 0 && is_up(2) == 0,
          is_up(1), is_up(2));
    check("is_up of a vCPU the domain does not have is -ENOENT", is_up(3) == -ENOENT, is_up(3), -ENOENT);
    long rc = vcpu_op(VCPUOP_up, 1, 0);
    check("up of a vCPU never initialised is -EINVAL", rc == -EINVAL, rc, -EINVAL);
    rc = vcpu_op(VCPUOP_down, 1, 0);
    check("down of a vCPU that is down already is 0, and it stays down", rc == 0 && is_up(1) == 0, rc, is_up(1));
    bad_contexts();

    struct vcpu_hvm_context c = long_mode_context(1);
    rc = vcpu_op(VCPUOP_initialise, 1, &c);
    check("initialise vCPU 1 in long mode", rc == 0, rc, 0);
    check("... leaves it down, and it does not run", is_up(1) == 0 && stopped(1) && counter[1] == 0, is_up(1),
          (long)counter[1]);
    rc = vcpu_op(VCPUOP_initialise, 1, &c);
    check("a second initialise is -EEXIST", rc == -EEXIST, rc, -EEXIST);
    c = long_mode_context(0);
    rc = vcpu_op(VCPUOP_initialise, 0, &c);
    check("initialise of the running caller is -EEXIST", rc == -EEXIST, rc, -EEXIST);

    rc = vcpu_op(VCPUOP_up, 1, 0);
    check("up of vCPU 1 starts it where initialise put it", rc == 0 && is_up(1) == 1 && wait_for(counting, 1, PATIENCE_MS),
          rc, is_up(1));
    rc = vcpu_op(VCPUOP_up, 1, 0);
    check("up of a running vCPU is 0 and changes nothing", rc == 0 && is_up(1) == 1 && wait_for(counting, 1, PATIENCE_MS),
          rc, is_up(1));

    rc = vcpu_op(VCPUOP_down, 1, 0);
    check("down of vCPU 1 from vCPU 0 stops it", rc == 0 && is_up(1) == 0 && stopped(1), rc, (long)counter[1]);
    uint64_t before = counter[1];
    rc = vcpu_op(VCPUOP_up, 1, 0);
    check("up brings it back where it stopped", rc == 0 && wait_for(counting, 1, PATIENCE_MS) && counter[1] > before, rc,
          (long)counter[1]);

    go_down[1] = true;
    check("vCPU 1 takes itself down", wait_for(is_down, 1, PATIENCE_MS) && stopped(1), is_up(1), (long)counter[1]);
    check("... and is still inside its VCPUOP_down", self_down_rc[1] == 0, (long)self_down_rc[1], 0);
    rc = vcpu_op(VCPUOP_up, 1, 0);
    check("up: its VCPUOP_down returns 0 and it runs on", rc == 0 && wait_for(counting, 1, PATIENCE_MS) &&
          self_down_rc[1] == 1, rc, (long)self_down_rc[1]);

    c = long_mode_context(2);
    rc = vcpu_op(VCPUOP_initialise, 2, &c);
    long up2 = rc ? rc : vcpu_op(VCPUOP_up, 2, 0);
    check("vCPU 2 initialised and up", up2 == 0 && wait_for(counting, 2, PATIENCE_MS), rc, up2);
    uint64_t rounds = guest_arg_u64("storm", 2000);
    uint64_t came_back = storm(rounds);
    check("in a storm of downs and ups (vCPU 1 polling, vCPU 2 downing it too) a down vCPU stays down",
          came_back == 0, (long)came_back, (long)rounds);
    check("... and after it vCPU 1 runs", wait_for(counting, 1, PATIENCE_MS), (long)counter[1], 0);
    guest_printf("vcpuop: storm: %lu rounds, %lu downs by vCPU 2\n", rounds, downs_by_2);
    poll_storm[1] = false;

    go_down[2] = true;
    rc = vcpu_op(VCPUOP_down, 1, 0);
    check("vCPUs 1 and 2 down, the domain still runs", rc == 0 && wait_for(is_down, 2, PATIENCE_MS) && is_up(1) == 0 &&
          stopped(1) && stopped(2), is_up(1), is_up(2));

    guest_printf("vcpuop: checks passed %d/%d\n", checks - failures, checks);
    /* The last vCPU going down powers the domain off. */
    vcpu_op(VCPUOP_down, 0, 0);
    guest_printf("vcpuop: still running after the last vCPU went down\n");
    return 1;
}
