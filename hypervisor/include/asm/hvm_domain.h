/*
 * What an HVM domain has beyond a PVH one: the platform devices the
 * hypervisor emulates itself (8259 PIC pair, 8254 PIT, MC146818 RTC/CMOS,
 * ACPI PM timer, the port 0xE9 console, the 0xCF8 latch), the interrupt
 * lines between them and the virtual IOAPIC, and the ioreq servers that
 * hand every other access to a device model. Reached as d->arch.hvm, NULL
 * for PVH domains and Dom0 (is_hvm_domain()).
 */
#ifndef ASM_HVM_DOMAIN_H
#define ASM_HVM_DOMAIN_H

#include <asm/hvm_ioreq.h>
#include <basalt/spinlock.h>
#include <basalt/timer.h>
#include <basalt/types.h>

struct domain;
struct vcpu;

#define HVM_NR_GSIS        48 /* pins of the virtual IOAPIC */
#define HVM_NR_ISA_IRQS    16
#define HVM_NR_PCI_DEVS    32 /* devices on bus 0 that may raise INTx */
#define HVM_IOAPIC_BASE    0xfec00000ULL
#define HVM_IOAPIC_ID      1
#define HVM_SCI_IRQ        9
#define HVM_RTC_IRQ        8
#define HVM_PM_BASE_OLD    0x1f40 /* PM1a_STS/EN and the timer at +8, until ... */
#define HVM_PM_BASE_NEW    0xb000 /* ... HVM_PARAM_ACPI_IOPORTS_LOCATION = 1 */

/* One 8259; [0] is the master, [1] the slave on its IRQ 2. */
struct vpic {
    uint8_t irr, imr, isr;
    uint8_t elcr;             /* 1 = level-triggered */
    uint8_t irq_base;         /* ICW2 */
    uint8_t priority_add;     /* the lowest-priority IRQ is priority_add - 1 */
    uint8_t init_state;       /* 0 ready; else ICW step in bits 0-1, ICW4 wanted bit 2, single bit 3 */
    bool auto_eoi, rotate_on_auto_eoi, special_fully_nested, special_mask, poll, readsel_isr;
    bool int_output;
    bool is_master;
};

/* One counter of the 8254. Times are system time in ns. */
struct vpit_channel {
    uint16_t reload;          /* count written (0 = 65536) */
    uint8_t mode;             /* 0-5 */
    uint8_t rw_mode;          /* 1 LSB, 2 MSB, 3 LSB then MSB */
    bool bcd;
    bool write_msb_next, read_msb_next;
    uint8_t write_lsb;        /* first byte of a two-byte write */
    bool latched;             /* a latch command froze `latch` */
    uint16_t latch;
    bool status_latched;
    uint8_t status;
    bool null_count;
    uint64_t start_ns;        /* when counting began (after the count was written) */
    bool gate;
    bool counting;            /* a count has been written in this mode */
};

struct vpit {
    spinlock_t lock;
    struct vpit_channel ch[3];
    bool speaker_data;        /* port 0x61 bit 1 */
    struct timer timer;       /* channel 0's interrupt */
    uint64_t next_irq_ns;
    struct domain *d;
};

struct vrtc {
    spinlock_t lock;
    uint8_t cmos[128];
    uint8_t index;            /* port 0x70, without the NMI bit */
    int64_t offset_sec;       /* guest time - host wall time, from writes to the clock */
    struct timer periodic;    /* PIE: the rate of register A */
    struct timer second;      /* UIE and AIE: once a second */
    uint64_t period_ns;
    struct domain *d;
};

struct pmtimer {
    spinlock_t lock;
    uint16_t base;            /* HVM_PM_BASE_OLD or _NEW */
    uint16_t status, enable;  /* PM1a_STS, PM1a_EN */
    uint64_t start_ns;        /* the counter is 0 here */
    uint32_t last_msb;        /* bit 31 of the counter when TMR_STS was last brought up to date */
    struct timer overflow;    /* sets TMR_STS when bit 31 flips, while TMR_EN */
    struct domain *d;
};

/* How the event-channel upcall reaches vCPU 0 when it is not a vector. */
enum hvm_callback_type { HVM_CALLBACK_NONE, HVM_CALLBACK_GSI, HVM_CALLBACK_PCI_INTX, HVM_CALLBACK_VECTOR };

struct hvm_irq {
    uint8_t gsi_assert_count[HVM_NR_GSIS];
    uint64_t pci_intx[2];                /* bit dev * 4 + intx: asserted by the device model */
    uint16_t isa_irq;                    /* bit n: ISA IRQ n asserted */
    uint8_t pci_link_assert_count[4];
    uint8_t pci_link_route[4];           /* ISA IRQ of each PCI link, 0 = none */
    enum hvm_callback_type callback_type;
    uint32_t callback_gsi;
    uint8_t callback_dev, callback_intx;
    bool callback_asserted;
};

struct hvm_domain {
    /* The interrupt lines, both PICs and the virtual IOAPIC's pin levels'
     * sources; taken before a vIOAPIC's lock, never inside a device's. */
    spinlock_t irq_lock;
    struct hvm_irq irq;
    struct vpic vpic[2];
    struct vpit pit;
    struct vrtc rtc;
    struct pmtimer pm;
    uint32_t cf8;             /* the last dword written to port 0xCF8 */
    struct hvm_ioreq ioreq;
    bool mapcache_invalidate; /* memory was given back: tell the device models */
};

/* Creation and teardown of the HVM part (arch_domain_create). */
int hvm_domain_init(struct domain *d);
void hvm_domain_destroy(struct domain *d);

/* Interrupt lines (hvm/irq.c). Levels: true = asserted. */
void hvm_isa_irq_set_level(struct domain *d, unsigned int isa_irq, bool level);
/* A pulse: an edge for the PIC and the IOAPIC's edge-triggered pins. */
void hvm_isa_irq_pulse(struct domain *d, unsigned int isa_irq);
int hvm_pci_intx_set_level(struct domain *d, unsigned int dev, unsigned int intx, bool level);
int hvm_pci_link_route(struct domain *d, unsigned int link, unsigned int isa_irq);
/* An MSI a device model raises (DMOP inject_msi): address and data as the
 * device writes them. */
int hvm_inject_msi(struct domain *d, uint64_t addr, uint32_t data);
/* HVM_PARAM_CALLBACK_IRQ was set: how the upcall reaches vCPU 0. */
int hvm_set_callback_via(struct domain *d, uint64_t via);
/* vCPU 0's evtchn_upcall_pending may have changed: drive the callback line. */
void hvm_sync_callback_line(struct vcpu *v);
/* The PIC's vector for v if one is ready to be taken now, else -1; and
 * taking it (INTA). */
bool hvm_pic_pending(struct vcpu *v);
int hvm_pic_ack(struct vcpu *v);

/* Platform devices. */
int vpic_ports_init(struct domain *d);
int vpit_init(struct domain *d);
void vpit_destroy(struct domain *d);
int vrtc_init(struct domain *d);
void vrtc_destroy(struct domain *d);
int pmtimer_init(struct domain *d);
void pmtimer_destroy(struct domain *d);
/* HVM_PARAM_ACPI_IOPORTS_LOCATION: 0 = 0x1F40, 1 = 0xB000. */
int pmtimer_set_location(struct domain *d, uint64_t where);
int hvm_misc_ports_init(struct domain *d);

#endif
