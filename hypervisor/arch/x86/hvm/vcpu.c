/*
 * A vCPU's architectural state through the seam: the register states it
 * starts in (the PVH entry, what a STARTUP IPI leaves), exceptions to
 * deliver, and the dumps for crashes and the 'd' key.
 */
#include <asm/hvm_exits.h>
#include <asm/hvm_vendor.h>
#include <asm/x86.h>
#include <basalt/arch.h>
#include <basalt/domain.h>
#include <basalt/lib.h>

static void set_seg(struct vcpu *v, enum hvm_seg seg, uint16_t sel, uint64_t base, uint32_t limit,
                    uint16_t attr)
{
    hvm_set_segment(v, seg, &(struct hvm_segment){ .sel = sel, .attr = attr, .limit = limit, .base = base });
}

/* Flat data segments (or real-mode ones) in DS, ES, SS, FS and GS. */
static void set_data_segs(struct vcpu *v, uint16_t sel, uint32_t limit, uint16_t attr)
{
    static const enum hvm_seg data[] = { HVM_SEG_DS, HVM_SEG_ES, HVM_SEG_SS, HVM_SEG_FS, HVM_SEG_GS };
    for (unsigned int i = 0; i < ARRAY_SIZE(data); i++)
        set_seg(v, data[i], sel, 0, limit, attr);
}

static void clear_gprs(struct vcpu *v)
{
    memset(&v->arch.gprs, 0, sizeof(v->arch.gprs));
    hvm_set_gpr(v, HVM_REG_RAX, 0);
    hvm_set_gpr(v, HVM_REG_RSP, 0);
}

/* The PVH boot ABI: 32-bit flat protected mode, paging off, EBX = start info. */
void arch_vcpu_set_pvh_entry(struct vcpu *v, uint32_t entry, uint32_t start_info)
{
    set_seg(v, HVM_SEG_CS, 0x08, 0, 0xffffffff, HVM_SEG_ATTR_CODE32);
    set_data_segs(v, 0x10, 0xffffffff, HVM_SEG_ATTR_DATA32);
    set_seg(v, HVM_SEG_TR, 0x18, 0, 0x67, HVM_SEG_ATTR_TSS32);
    set_seg(v, HVM_SEG_LDTR, 0, 0, 0, 0);
    set_seg(v, HVM_SEG_GDTR, 0, 0, 0, 0);
    set_seg(v, HVM_SEG_IDTR, 0, 0, 0, 0);
    hvm_set_cr(v, 0, X86_CR0_PE | X86_CR0_ET);
    hvm_set_cr(v, 3, 0);
    hvm_set_cr(v, 4, 0);
    hvm_set_efer(v, 0);
    hvm_set_rflags(v, X86_EFLAGS_FIXED);
    hvm_set_rip(v, entry);
    clear_gprs(v);
    hvm_set_gpr(v, HVM_REG_RBX, start_info);
}

/* What a STARTUP IPI leaves: real mode at vector:0000. */
void hvm_set_real_mode_entry(struct vcpu *v, uint16_t cs_sel, uint16_t ip)
{
    set_seg(v, HVM_SEG_CS, cs_sel, (uint64_t)cs_sel << 4, 0xffff, HVM_SEG_ATTR_CODE16);
    set_data_segs(v, 0, 0xffff, HVM_SEG_ATTR_DATA16);
    set_seg(v, HVM_SEG_TR, 0, 0, 0xffff, HVM_SEG_ATTR_TSS32);
    set_seg(v, HVM_SEG_LDTR, 0, 0, 0xffff, HVM_SEG_ATTR_LDT);
    set_seg(v, HVM_SEG_GDTR, 0, 0, 0xffff, 0);
    set_seg(v, HVM_SEG_IDTR, 0, 0, 0xffff, 0);
    hvm_set_cr(v, 0, X86_CR0_ET);
    hvm_set_cr(v, 2, 0);
    hvm_set_cr(v, 3, 0);
    hvm_set_cr(v, 4, 0);
    hvm_set_efer(v, 0);
    hvm_set_rflags(v, X86_EFLAGS_FIXED);
    hvm_set_rip(v, ip);
    hvm_set_dr(v, 6, 0xffff0ff0);
    hvm_set_dr(v, 7, 0x400);
    clear_gprs(v);
    /* The reset value of EDX is the processor signature. */
    hvm_set_gpr(v, HVM_REG_RDX, cpuid(1).eax);
}

void hvm_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
    v->arch.pending_exception = (struct hvm_event){
        .valid = true, .type = HVM_EVENT_EXCEPTION, .vector = vector, .has_error = has_error, .error = error,
    };
}

void hvm_dump_guest(struct vcpu *v)
{
    const struct guest_gprs *g = &v->arch.gprs;
    struct hvm_segment cs;
    hvm_get_segment(v, HVM_SEG_CS, &cs);
    printk("(d%u) vcpu %u: rip %04x:%016lx rsp %016lx rflags %08lx cpl %u\n"
           "(d%u)   rax %016lx rbx %016lx rcx %016lx rdx %016lx\n"
           "(d%u)   rsi %016lx rdi %016lx rbp %016lx r8  %016lx\n"
           "(d%u)   cr0 %08lx cr2 %016lx cr3 %016lx cr4 %08lx efer %lx\n",
           v->dom->id, v->id, cs.sel, hvm_get_rip(v), hvm_get_gpr(v, HVM_REG_RSP), hvm_get_rflags(v),
           hvm_get_cpl(v), v->dom->id, hvm_get_gpr(v, HVM_REG_RAX), g->rbx, g->rcx, g->rdx,
           v->dom->id, g->rsi, g->rdi, g->rbp, g->r8,
           v->dom->id, hvm_get_cr(v, 0), hvm_get_cr(v, 2), hvm_get_cr(v, 3), hvm_get_cr(v, 4),
           hvm_get_efer(v));
}

void hvm_dump_exit_stats(struct vcpu *v)
{
    static const char *const names[NR_EXIT_KINDS] = {
        "intr", "vintr", "cpuid", "msr", "io", "hlt", "hypercall", "npf", "pause", "other",
    };
    struct exit_stats *st = &v->arch.stats;
    char line[256];
    int n = snprintf(line, sizeof(line), "    d%u v%u exits:", v->dom->id, v->id);
    for (int k = 0; k < NR_EXIT_KINDS; k++)
        if (st->kind[k])
            n += snprintf(line + n, sizeof(line) - n, " %s %lu", names[k], st->kind[k]);
    printk("%s\n", line);
    n = snprintf(line, sizeof(line), "      hypercalls:");
    for (int h = 0; h < 64; h++)
        if (st->hypercall[h] && n < (int)sizeof(line) - 20)
            n += snprintf(line + n, sizeof(line) - n, " %d:%lu", h, st->hypercall[h]);
    n += snprintf(line + n, sizeof(line) - n, "  ports:");
    for (int i = 0; i < 4; i++)
        if (st->io_port_top[i][1] && n < (int)sizeof(line) - 20)
            n += snprintf(line + n, sizeof(line) - n, " %#lx:%lu", st->io_port_top[i][0], st->io_port_top[i][1]);
    printk("%s\n", line);
}
