/*
 * What the storm guest and its partner share. The partner is a second
 * domain that lives through every storm round: it grants the storm pages
 * (so the storm has grants of another domain to map), balloons one of them
 * in and out while the storm maps it, and keeps sending events to the storm
 * while the storm dies. The storm drives it through the control page.
 *
 * Grant refs the partner offers to the storm (all read-write unless noted):
 */
#ifndef STORM_PROTO_H
#define STORM_PROTO_H

#include <stdint.h>

#define REF_CONTROL 8   /* struct storm_control */
#define REF_STABLE 9    /* never ballooned: alias and concurrent-unmap attacks */
#define REF_CHURN 10    /* ballooned out and in by the partner while armed */
#define REF_PAGETABLE 11 /* read-only: a page table the hypervisor's walker must not write */

#define CONTROL_MAGIC 0x50415254u /* "PART" */

enum storm_cmd { CMD_NONE, CMD_ARM, CMD_DISARM };
enum partner_state { PARTNER_IDLE, PARTNER_ARMED };

struct storm_control {
    uint32_t magic;        /* partner: CONTROL_MAGIC once everything below is set up */
    uint32_t port;         /* partner: unbound event channel for the storm's domain */
    uint32_t rounds_done;  /* partner: disarms seen, i.e. storm rounds finished */
    uint32_t cmd;          /* storm: enum storm_cmd */
    uint32_t state;        /* partner: enum partner_state */
    uint32_t churn;        /* storm: 1 = balloon REF_CHURN (and private pages) now */
    uint32_t spam;         /* storm: 1 = send events to the storm now (also after a disarm, until it dies) */
    uint32_t churned;      /* partner: balloon-out/in cycles of REF_CHURN so far */
    uint32_t bugs;         /* partner: hypervisor misbehaviour it saw (also printed) */
};

/* The read-only page-table page maps the storm's first 2 MiB, 4 KiB pages,
 * present and writable, accessed and dirty clear: if the hypervisor's page
 * walker sets A or D in it, it wrote through a read-only grant. */
#define PT_ENTRY_FLAGS 0x3ULL

#endif
