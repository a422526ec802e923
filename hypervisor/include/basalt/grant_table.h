/*
 * Grant tables, version 1: a domain's table of pages it lets other domains
 * access (struct grant_entry_v1 from the ABI), kept in hypervisor frames
 * that the guest maps into its physical address space.
 */
#ifndef BASALT_GRANT_TABLE_H
#define BASALT_GRANT_TABLE_H

#include <basalt/spinlock.h>
#include <basalt/types.h>
#include <xen/grant_table.h>

struct domain;
struct vcpu;

#define GRANT_MAX_FRAMES 64 /* 32768 v1 entries */

struct grant_mapping;
struct grant_pins;

struct grant_table {
    spinlock_t lock;               /* frames, nr_frames, pins: the table as granter */
    unsigned int nr_frames;        /* allocated so far */
    unsigned int max_frames;
    void *frames[GRANT_MAX_FRAMES];
    struct grant_pins *pins;       /* per ref: how often others have it mapped */
    /* Under the domain's physmap_lock: */
    gfn_t frame_gfn[GRANT_MAX_FRAMES]; /* where the guest mapped each, or INVALID_GFN */
    struct grant_mapping *maps;    /* maptrack: this domain's mappings of others' grants */
    unsigned int nr_maps;
};

/* A grant mapping taken out of the maptrack with its p2m entry: the pin on
 * the granter's entry and page is dropped after the flush. */
struct grant_unmapped {
    bool valid;
    bool readonly;
    domid_t granter;
    grant_ref_t ref;
    mfn_t mfn;
};

int grant_table_init(struct domain *d);
void grant_table_destroy(struct domain *d);
/* Hypervisor address of frame idx, allocating it if needed (NULL past max). */
void *grant_table_frame(struct domain *d, unsigned int idx);
/* XENMAPSPACE_grant_table: show frame idx at gfn. */
int grant_table_map_frame(struct domain *d, unsigned int idx, gfn_t gfn);
/* Map, unmap and copy of other domains' grants (grant_map.c). */
long grant_map_op(struct vcpu *v, uint64_t cmd, uint64_t arg, uint64_t count);
/* Drops every mapping d holds of other domains' grants (teardown). */
void grant_maps_release(struct domain *d);
/* With d's physmap_lock held, after the p2m entry at gfn mapping mfn as a
 * grant went: takes its mapping out of the maptrack, into *out. */
void grant_mapping_detach(struct domain *d, gfn_t gfn, mfn_t mfn, struct grant_unmapped *out);
/* Unpins what grant_mapping_detach took out (no lock held, after the flush). */
void grant_unmapped_release(struct grant_unmapped *g);
/* With d's physmap_lock held: the special page mfn at gfn went; if it was a
 * grant frame there, the frame is no longer mapped anywhere. */
void grant_table_frame_unmapped(struct domain *d, gfn_t gfn, mfn_t mfn);
/* The builder fills reserved entries (0 = console, 1 = xenstore). */
int grant_table_seed(struct domain *d, unsigned int ref, domid_t backend, gfn_t gfn);

#endif
