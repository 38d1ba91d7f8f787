/* 3-pass attention: S = scale * Q K^T (f32), masked row softmax in place, O = P V.
 * Records shaders/attention_gemm.comp (both products) and attention_softmax.comp.
 *
 * The scores are processed in chunks: whole (batch, head) slices when a slice fits
 * a storage-buffer binding (maxStorageBufferRange), else query-row chunks of one
 * slice. The chunks go into a scratch buffer of at most max(one binding, a quarter
 * of device memory) used as a ring (or straight into the caller's probs tensor):
 * a fill of chunks is recorded as all its QK dispatches, then all softmaxes, then
 * all PVs, and the automatic barriers order the ring's reuse. */
#include "attention.h"

#include <string.h>

typedef struct {
    uint32_t a_st[4], b_st[4], c_st[4];
    uint32_t a_off, b_off, c_off;
    uint32_t M, N, K;
    uint32_t row0, s0, heads;
    float scale;
    int32_t shift;
    uint32_t pv;
} gemm_push; /* matches shaders/attention_gemm.comp */

typedef struct {
    uint32_t m_st[4];
    uint32_t m_off, s_off, M, Lk;
    uint32_t Lq, row0, s0, Hq;
    int32_t shift;
    uint32_t flags, kv_off;
} softmax_push; /* matches shaders/attention_softmax.comp */

typedef struct {
    uint32_t s0, ns, row0, M;       /* slices [s0, s0 + ns), rows [row0, row0 + M) */
    const vkattn_tensor *buf;       /* scratch or probs */
    uint64_t byte_offset, size;     /* binding */
    uint32_t s_off;                 /* element offset of the chunk inside the binding */
} chunk;

static uint64_t align_down(uint64_t x, uint64_t a) { return x / a * a; }
static uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

static vkattn_status record_gemm(const attn_problem *a, const chunk *c, int pv) {
    vkattn_context *ctx = a->ctx;
    const vkattn_device_info *info = &ctx->info;
    uint32_t tx = info->max_workgroup_invocations >= 256 ? 16 : 8, tm = 4;
    gemm_push p = {.M = c->M, .row0 = c->row0, .s0 = c->s0, .heads = a->Hq | (a->Hq / a->Hkv) << 16,
                   .shift = a->causal ? (int32_t)a->Lk - (int32_t)a->Lq : 1 << 30, .pv = (uint32_t)pv};
    /* scores of the chunk: element (s, i, j) at s_off + ((s - s0) * M + i - row0) * Lk + j, written as
     * off + b*st.x + h*st.y + i*st.z + j*st.w with unsigned wrap-around absorbing the negative part */
    uint32_t sst[4] = {a->Hq * c->M * a->Lk, c->M * a->Lk, a->Lk, 1};
    uint32_t soff = c->s_off - c->s0 * c->M * a->Lk - c->row0 * a->Lk;
    vkattn__arg sarg = {c->buf, pv ? VKATTN__READ : VKATTN__WRITE, c->byte_offset, c->size};
    char shader[48];
    if (!pv) {
        attn_strides(a->q, p.a_st);
        attn_strides(a->k, p.b_st);
        memcpy(p.c_st, sst, sizeof sst);
        p.a_off = (uint32_t)a->q->offset;
        p.b_off = (uint32_t)a->k->offset;
        p.c_off = soff;
        p.N = a->Lk;
        p.K = a->D;
        p.scale = a->scale;
        attn_shader(shader, sizeof shader, a, "attention_gemm", "_qk16");
    } else {
        uint32_t vst[4];
        attn_strides(a->v, vst);
        memcpy(p.a_st, sst, sizeof sst);
        p.b_st[0] = vst[0], p.b_st[1] = vst[1], p.b_st[2] = vst[3], p.b_st[3] = vst[2]; /* B = V^T */
        attn_strides(a->o, p.c_st);
        p.a_off = soff;
        p.b_off = (uint32_t)a->v->offset;
        p.c_off = (uint32_t)a->o->offset;
        p.N = a->Dv;
        p.K = a->Lk;
        p.scale = 1.0f;
        attn_shader(shader, sizeof shader, a, "attention_gemm", "_pv16");
    }
    vkattn__dispatch d = {.shader = shader, .label = pv ? "attention_pv" : "attention_qk",
                          .spec = {tx, tx, tm, tm, 16}, .n_spec = 5, .push = &p, .push_size = sizeof p, .n_args = 3};
    if (!pv) {
        d.args[0] = (vkattn__arg){a->q, VKATTN__READ, 0, 0};
        d.args[1] = (vkattn__arg){a->k, VKATTN__READ, 0, 0};
        d.args[2] = sarg;
    } else {
        d.args[0] = sarg;
        d.args[1] = (vkattn__arg){a->v, VKATTN__READ, 0, 0};
        d.args[2] = (vkattn__arg){a->o, VKATTN__WRITE, 0, 0};
    }
    d.groups[0] = vkattn__div_up(p.N, tx * tm);
    d.groups[1] = vkattn__div_up(c->M, tx * tm);
    d.groups[2] = c->ns;
    return vkattn__record(ctx, &d);
}

static vkattn_status record_softmax(const attn_problem *a, const chunk *c) {
    vkattn_context *ctx = a->ctx;
    /* CPU drivers: one invocation per row, no barriers; GPUs: 64 invocations share a row */
    int cpu = ctx->info.type == VKATTN_DEVICE_CPU;
    uint32_t wg = ctx->info.max_workgroup_invocations < 64 ? ctx->info.max_workgroup_invocations : 64;
    uint32_t tpr = cpu ? 1 : wg;
    softmax_push p = {.m_off = a->mask ? (uint32_t)a->mask->offset : 0, .s_off = c->s_off, .M = c->M, .Lk = a->Lk,
                      .Lq = a->Lq, .row0 = c->row0, .s0 = c->s0, .Hq = a->Hq,
                      .shift = (int32_t)a->Lk - (int32_t)a->Lq, .flags = a->flags,
                      .kv_off = a->kv_len ? (uint32_t)a->kv_len->offset : 0};
    memcpy(p.m_st, a->m_st, sizeof p.m_st);
    vkattn__dispatch d = {.shader = "attention_softmax", .spec = {wg, tpr, vkattn__f32_bits(a->softcap)}, .n_spec = 3, .push = &p, .push_size = sizeof p,
                          .args = {{c->buf, VKATTN__RW, c->byte_offset, c->size},
                                   {a->mask ? a->mask : a->q, VKATTN__READ, 0, 0},
                                   {a->kv_len ? a->kv_len : a->q, VKATTN__READ, 0, 0}},
                          .n_args = 3};
    d.groups[0] = vkattn__div_up(c->M, wg / tpr);
    d.groups[1] = 1;
    d.groups[2] = c->ns;
    return vkattn__record(ctx, &d);
}

vkattn_status attn_3pass_layout(const attn_problem *a, attn_3pass_plan *l) {
    vkattn_context *ctx = a->ctx;
    const vkattn_device_info *info = &ctx->info;
    memset(l, 0, sizeof *l);
    l->align = info->min_storage_offset_alignment ? info->min_storage_offset_alignment : 4;
    uint64_t row_bytes = (uint64_t)a->Lk * 4, slice_bytes = row_bytes * a->Lq;
    uint64_t slices = (uint64_t)a->B * a->Hq, total = slice_bytes * slices;
    uint64_t cap = align_down(info->max_storage_buffer_range, 4) - l->align; /* one binding, misalignment included */
    if (row_bytes > cap)
        return vkattn__fail(ctx, VKATTN_ERROR_TOO_LARGE,
                            "attention (3-pass): one row of %u scores exceeds the device's maxStorageBufferRange "
                            "(%.1f MiB); use the flash implementation", a->Lk, info->max_storage_buffer_range / 1048576.0);
    /* chunk shape: whole slices when one fits a binding, else rows of one slice */
    l->ns = 1, l->rows = a->Lq;
    if (slice_bytes <= cap) {
        uint64_t n = cap / slice_bytes;
        if (n > slices) n = slices;
        if (n > info->max_workgroup_count[2]) n = info->max_workgroup_count[2];
        l->ns = (uint32_t)n;
    } else {
        l->rows = (uint32_t)(cap / row_bytes);
    }
    uint64_t chunk_bytes = (uint64_t)l->ns * l->rows * row_bytes;
    l->slot_bytes = align_up(chunk_bytes, l->align);
    l->nslots = 1;
    if (!a->probs) {
        uint64_t budget = info->device_local_bytes / 4;
        if (budget > info->max_allocation_size) budget = info->max_allocation_size;
        if (budget < l->slot_bytes) budget = l->slot_bytes;
        uint64_t need = align_up(total, l->align); /* enough slots for everything, if that fits the budget */
        l->nslots = (need < budget ? need : budget) / l->slot_bytes;
        if (l->nslots < 1) l->nslots = 1;
        if (l->nslots > 64) l->nslots = 64;
        l->scratch_bytes = l->nslots * l->slot_bytes;
    }
    return VKATTN_OK;
}

vkattn_status attn_3pass(const attn_problem *a) {
    vkattn_context *ctx = a->ctx;
    attn_3pass_plan l;
    vkattn_status st = attn_3pass_layout(a, &l);
    if (st) return st;
    uint64_t row_bytes = (uint64_t)a->Lk * 4, slices = (uint64_t)a->B * a->Hq;
    uint64_t align = l.align, slot_bytes = l.slot_bytes, nslots = l.nslots;
    uint32_t ns = l.ns, rows = l.rows;
    vkattn_tensor *scratch = NULL;
    if (!a->probs) {
        int64_t shape[1] = {(int64_t)(l.scratch_bytes / 4)};
        if ((st = vkattn__scratch(ctx, VKATTN_F32, 1, shape, &scratch))) return st;
    }

    /* enumerate chunks a fill (nslots of them) at a time */
    uint32_t per_slice = vkattn__div_up(a->Lq, rows), nchunks = (uint32_t)(ns > 1 || per_slice == 1
                                                                             ? vkattn__div_up(slices, ns)
                                                                             : slices * per_slice);
    chunk fill[64];
    if (nslots > 64) nslots = 64; /* probs: chunks in place, a fill of 64 at a time */
    for (uint32_t c0 = 0; c0 < nchunks; c0 += (uint32_t)nslots) {
        uint32_t nf = nchunks - c0 < nslots ? nchunks - c0 : (uint32_t)nslots;
        for (uint32_t f = 0; f < nf; f++) {
            uint32_t ci = c0 + f;
            chunk *c = &fill[f];
            if (per_slice == 1) {
                c->s0 = ci * ns;
                c->ns = (uint32_t)(slices - c->s0 < ns ? slices - c->s0 : ns);
                c->row0 = 0;
                c->M = a->Lq;
            } else {
                c->s0 = ci / per_slice;
                c->ns = 1;
                c->row0 = ci % per_slice * rows;
                c->M = a->Lq - c->row0 < rows ? a->Lq - c->row0 : rows;
            }
            uint64_t bytes = (uint64_t)c->ns * c->M * row_bytes;
            if (a->probs) {
                uint64_t at = (a->probs->offset + ((uint64_t)c->s0 * a->Lq + c->row0) * a->Lk) * 4;
                c->buf = a->probs;
                c->byte_offset = align_down(at, align);
                c->s_off = (uint32_t)((at - c->byte_offset) / 4);
                c->size = at + bytes - c->byte_offset;
            } else {
                c->buf = scratch;
                c->byte_offset = f * slot_bytes;
                c->size = bytes;
                c->s_off = 0;
            }
        }
        for (uint32_t f = 0; f < nf; f++)
            if ((st = record_gemm(a, &fill[f], 0))) return st;
        for (uint32_t f = 0; f < nf; f++)
            if ((st = record_softmax(a, &fill[f]))) return st;
        for (uint32_t f = 0; f < nf; f++)
            if ((st = record_gemm(a, &fill[f], 1))) return st;
    }
    return VKATTN_OK;
}
