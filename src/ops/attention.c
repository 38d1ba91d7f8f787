/* Scaled dot-product attention: argument checks, the choice between the three
 * implementations, and the fused ones (flash: shaders/attention_flash.comp;
 * split-K decode: attention_decode.comp + attention_combine.comp). 3-pass is in
 * attention_3pass.c. Tile and workgroup sizes come from the device's limits: CPU
 * drivers (lavapipe, SwiftShader) emulate shared memory and barriers slowly, so
 * there flash reads K/V straight from the buffer, several query rows per invocation
 * reusing each loaded key; GPUs take the GPU-shaped kernels where they fit (flash:
 * attention_flash_tiles.c, Br x Bc tiles with several lanes per row; decode:
 * attention_decode_lanes.c), else flash stages K/V tiles in shared memory here.
 * $VKATTN_ATTN_KV=shared|direct|tiles overrides that choice (tests cover each on any device). */
#include "attention.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint32_t o_st[4];
    uint32_t o_off, Lq, Hq, nsplit, rows;
} combine_push; /* matches shaders/attention_combine.comp */

void attn_fill_push(const attn_problem *a, attn_push *p) {
    memset(p, 0, sizeof *p);
    attn_strides(a->q, p->q_st);
    attn_strides(a->k, p->k_st);
    attn_strides(a->v, p->v_st);
    attn_strides(a->o, p->o_st);
    memcpy(p->m_st, a->m_st, sizeof p->m_st);
    p->q_off = (uint32_t)a->q->offset;
    p->k_off = (uint32_t)a->k->offset;
    p->v_off = (uint32_t)a->v->offset;
    p->o_off = (uint32_t)a->o->offset;
    p->m_off = a->mask ? (uint32_t)a->mask->offset : 0;
    p->Lq = a->Lq;
    p->Lk = a->Lk;
    p->heads = a->Hq | (a->Hq / a->Hkv) << 16;
    p->scale = a->scale;
    p->flags = a->flags;
    p->kv_off = a->kv_len ? (uint32_t)a->kv_len->offset : 0;
}

void attn_fused_args(const attn_problem *a, vkattn_tensor *out, vkattn__dispatch *d) {
    d->args[0] = (vkattn__arg){a->q, VKATTN__READ, 0, 0};
    d->args[1] = (vkattn__arg){a->k, VKATTN__READ, 0, 0};
    d->args[2] = (vkattn__arg){a->v, VKATTN__READ, 0, 0};
    d->args[3] = (vkattn__arg){out, VKATTN__WRITE, 0, 0};
    d->args[4] = (vkattn__arg){a->mask ? a->mask : a->q, VKATTN__READ, 0, 0};
    d->args[5] = (vkattn__arg){a->kv_len ? a->kv_len : a->q, VKATTN__READ, 0, 0};
    d->n_args = 6;
}

static int cpu_device(const vkattn_context *ctx) { return ctx->info.type == VKATTN_DEVICE_CPU; }

/* llvmpipe (lavapipe) stops a shader after 65535 loop iterations in total (see
 * shaders/attention.glsl): its kernels take the unrolled direct path, whose only loop
 * runs once per bk keys, and the host keeps that count under LOOP_BUDGET. */
#define LOOP_BUDGET 60000u
static int loop_limited(const vkattn_context *ctx) { return strstr(ctx->info.driver_name, "llvmpipe") != NULL; }

/* Rows per invocation (rb) and keys per step (bk) of the unrolled direct path: each
 * loaded key serves rb rows, but the rb * (D + Dv) floats of row state and the
 * bk * rb * (D + Dv) unrolled multiply-adds per step are kept small enough for
 * llvmpipe to compile in seconds (its compile time grows steeply past that). */
static void unrolled_shape(const attn_problem *a, uint32_t max_rb, uint32_t *rb, uint32_t *bk) {
    uint32_t w = a->D + a->Dv;
    *rb = 1;
    while (*rb * 2 <= max_rb && *rb * 2 * w <= 1024) *rb *= 2;
    *bk = 1;
    while (*bk * 2 <= 4 && *bk * 2 * *rb * w <= 1024) *bk *= 2;
}

enum { KV_DIRECT = 0, KV_SHARED = 1, KV_UNROLLED = 2 }; /* the shaders' KV_MODE */

uint32_t attn_vec4_kv(const attn_problem *a) {
    const vkattn_tensor *ts[2] = {a->k, a->v};
    if (a->D % 4 || a->Dv % 4) return 0;
    for (int t = 0; t < 2; t++) {
        if (ts[t]->strides[3] != 1 || ts[t]->offset % 4) return 0;
        for (int i = 0; i < 3; i++)
            if (ts[t]->strides[i] % 4) return 0;
    }
    return 1;
}

static vkattn_status attn_flash(const attn_problem *a) {
    vkattn_context *ctx = a->ctx;
    const vkattn_device_info *info = &ctx->info;
    attn_tiles_plan tp;
    if (a->kv == ATTN_KV_TILES || (a->kv == ATTN_KV_AUTO && attn_tiles_default(info, a->D, a->Dv))) {
        if (!attn_tiles_pick(info, a->D, a->Dv, &tp))
            return vkattn__fail(ctx, VKATTN_ERROR_UNSUPPORTED, "attention (flash): no tile for D %u, Dv %u fits the device's "
                                "%u bytes of shared memory (VKATTN_ATTN_KV=tiles); unset VKATTN_ATTN_KV", a->D, a->Dv,
                                info->shared_memory_bytes);
        /* its only loop walks the tiles (everything inside one is unrolled) */
        if (loop_limited(ctx) && vkattn__div_up(a->Lk, tp.bc) + 1 > LOOP_BUDGET)
            return vkattn__fail(ctx, VKATTN_ERROR_TOO_LARGE, "attention (flash): %u keys exceed what llvmpipe's loop limit lets "
                                "one invocation walk in tiles of %u (VKATTN_ATTN_KV=tiles); unset VKATTN_ATTN_KV", a->Lk, tp.bc);
        return attn_flash_tiles(a, &tp);
    }
    int shared = a->kv == ATTN_KV_AUTO ? !cpu_device(ctx) : a->kv != ATTN_KV_DIRECT;
    uint32_t wg, bk, rb, mode = shared ? KV_SHARED : loop_limited(ctx) ? KV_UNROLLED : KV_DIRECT;
    if (shared) {
        /* K and V tiles of bk keys in shared memory (f32) */
        wg = info->max_workgroup_invocations < 64 ? info->max_workgroup_invocations : 64;
        rb = 1;
        bk = 32;
        while (bk > 1 && (uint64_t)bk * (a->D + a->Dv) * 4 > info->shared_memory_bytes) bk /= 2;
    } else {
        /* a few SIMD widths per workgroup, rb rows per invocation share each loaded key */
        wg = info->subgroup_size ? info->subgroup_size * 2 : 16;
        if (wg > info->max_workgroup_invocations) wg = info->max_workgroup_invocations;
        rb = 2;
        bk = 16;
        if (mode == KV_UNROLLED) {
            /* rows per invocation only as many as the workgroup needs: decode and short prompts get
             * the 1-row shader, which llvmpipe compiles several times faster than the 8-row one */
            uint32_t max_rb = 1;
            while (max_rb < 8 && wg * max_rb < a->Lq) max_rb *= 2;
            unrolled_shape(a, max_rb, &rb, &bk);
        }
    }
    if (mode == KV_UNROLLED) /* the walk over the keys: Lk / bk iterations */
        while (bk < 64 && vkattn__div_up(a->Lk, bk) > LOOP_BUDGET) bk *= 2;
    /* shared tiles on llvmpipe (a test override) loop over every key and feature */
    uint64_t iters = mode == KV_UNROLLED ? vkattn__div_up(a->Lk, bk) : (uint64_t)a->Lk * (a->D + a->Dv + 4);
    if (loop_limited(ctx) && iters > LOOP_BUDGET)
        return vkattn__fail(ctx, VKATTN_ERROR_TOO_LARGE, "attention (flash): %u keys exceed what llvmpipe's loop limit "
                            "lets one invocation walk%s", a->Lk, shared ? " with shared K/V tiles (unset VKATTN_ATTN_KV)" : "");
    attn_push p;
    attn_fill_push(a, &p);
    char name[48];
    vkattn__dispatch d = {.shader = attn_shader(name, sizeof name, a, "attention_flash", "_f16"), .label = "attention_flash",
                          .spec = {wg, a->D, a->Dv, bk, rb, mode, mode == KV_UNROLLED ? attn_vec4_kv(a) : 0, vkattn__f32_bits(a->softcap)}, .n_spec = 8, .push = &p,
                          .push_size = sizeof p};
    attn_fused_args(a, a->o, &d);
    d.groups[0] = vkattn__div_up(a->Lq, wg * rb);
    d.groups[1] = 1;
    d.groups[2] = a->B * a->Hq;
    return vkattn__record(ctx, &d);
}

/* Rows per invocation and keys per step of decode (all the KV group's query rows). */
static void decode_shape(const attn_problem *a, uint32_t *rb, uint32_t *bk) {
    uint32_t rows = a->Hq / a->Hkv * a->Lq;
    *rb = rows < 4 ? rows : 4;
    *bk = 8;
    if (loop_limited(a->ctx)) unrolled_shape(a, *rb, rb, bk);
}

/* The GPU-shaped decode's plan for the problem (0: the per-invocation kernel below). */
static int decode_lanes(const attn_problem *a, attn_lanes_plan *plan) {
    return attn_decode_lanes_pick(&a->ctx->info, a->kv, a->D, a->Dv, a->Hq / a->Hkv * a->Lq, plan);
}

/* Splits of the keys for decode: enough (batch, KV head, split) work items to give
 * every execution unit a few SIMD widths of invocations, each split at least 32 keys. */
static uint32_t decode_keys_per_split(const attn_problem *a) {
    const vkattn_device_info *info = &a->ctx->info;
    attn_lanes_plan lp;
    if (decode_lanes(a, &lp)) /* its only loop runs once per tile of bc keys */
        return attn_decode_lanes_keys(a, &lp, loop_limited(a->ctx) ? LOOP_BUDGET * lp.bc : UINT32_MAX);
    uint64_t units = info->compute_units ? info->compute_units : 16;
    uint64_t lanes = info->subgroup_size ? info->subgroup_size : 32;
    uint64_t target = units * lanes * (cpu_device(a->ctx) ? 2 : 8);
    uint64_t groups = (uint64_t)a->B * a->Hkv;
    uint64_t nsplit = (target + groups - 1) / groups, max_split = (a->Lk + 31) / 32;
    if (nsplit > max_split) nsplit = max_split;
    if (nsplit < 1) nsplit = 1;
    uint32_t per = vkattn__div_up(a->Lk, (uint32_t)nsplit);
    if (loop_limited(a->ctx)) { /* a split walks its keys once per rb rows: keep that under the loop limit */
        uint32_t rb, bk;
        decode_shape(a, &rb, &bk);
        uint64_t cap = (uint64_t)LOOP_BUDGET * bk / vkattn__div_up(a->Hq / a->Hkv * a->Lq, rb);
        if (per > cap) per = (uint32_t)cap;
    }
    return per;
}

static vkattn_status attn_decode(const attn_problem *a) {
    vkattn_context *ctx = a->ctx;
    const vkattn_device_info *info = &ctx->info;
    uint32_t per = decode_keys_per_split(a), nsplit = vkattn__div_up(a->Lk, per);
    if (!attn_decode_fits(info, a->Dv))
        return vkattn__fail(ctx, VKATTN_ERROR_UNSUPPORTED, "attention (decode): Dv %u exceeds the device's workgroup limits "
                            "(%u invocations, x size %u) for the combine pass; use flash", a->Dv,
                            info->max_workgroup_invocations, info->max_workgroup_size[0]);
    int64_t shape[1] = {(int64_t)a->B * a->Hq * a->Lq * nsplit * (a->Dv + 2)};
    vkattn_tensor *part;
    vkattn_status st = vkattn__scratch(ctx, VKATTN_F32, 1, shape, &part);
    if (st) return st;
    attn_lanes_plan lanes;
    if (decode_lanes(a, &lanes)) {
        if ((st = attn_decode_lanes(a, &lanes, part, per))) return st;
    } else {
        uint32_t rb, bk;
        decode_shape(a, &rb, &bk);
        uint32_t wg = info->subgroup_size ? info->subgroup_size * 2 : 32;
        if (wg > info->max_workgroup_invocations) wg = info->max_workgroup_invocations;
        attn_push p;
        attn_fill_push(a, &p);
        p.aux = per;
        char name[48];
        vkattn__dispatch d = {.shader = attn_shader(name, sizeof name, a, "attention_decode", "_f16"), .label = "attention_decode",
                              .spec = {wg, a->D, a->Dv, bk, rb, loop_limited(ctx) ? KV_UNROLLED : KV_DIRECT,
                                       loop_limited(ctx) ? attn_vec4_kv(a) : 0, vkattn__f32_bits(a->softcap)},
                              .n_spec = 8, .push = &p, .push_size = sizeof p};
        attn_fused_args(a, part, &d);
        d.groups[0] = vkattn__div_up(nsplit, wg);
        d.groups[1] = a->Hkv;
        d.groups[2] = a->B;
        if ((st = vkattn__record(ctx, &d))) return st;
    }

    combine_push c = {.o_off = (uint32_t)a->o->offset, .Lq = a->Lq, .Hq = a->Hq, .nsplit = nsplit,
                      .rows = a->B * a->Hq * a->Lq};
    attn_strides(a->o, c.o_st);
    char cname[48];
    vkattn__dispatch e = {.shader = attn_shader(cname, sizeof cname, a, "attention_combine", "_f16"), .spec = {a->Dv}, .n_spec = 1,
                          .push = &c, .push_size = sizeof c,
                          .args = {{part, VKATTN__READ, 0, 0}, {a->o, VKATTN__WRITE, 0, 0}}, .n_args = 2};
    vkattn__grid_1d(c.rows, e.groups);
    return vkattn__record(ctx, &e);
}

/* ---- argument checks ------------------------------------------------------------------ */

#define BAD(...) vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "attention: " __VA_ARGS__)

/* Non-negative strides and every element addressable with 32-bit indices. */
static vkattn_status check_layout(vkattn_context *ctx, const vkattn_tensor *t, const char *name) {
    uint64_t last = t->offset;
    for (uint32_t i = 0; i < t->ndim; i++) {
        if (t->strides[i] < 0) return BAD("%s has a negative stride; copy it to a contiguous tensor", name);
        last += (uint64_t)(t->shape[i] - 1) * (uint64_t)t->strides[i];
    }
    if (last >= (1ull << 32))
        return vkattn__fail(ctx, VKATTN_ERROR_TOO_LARGE, "attention: %s spans more than 2^32 elements", name);
    return VKATTN_OK;
}

static vkattn_status check_mask(vkattn_context *ctx, const vkattn_tensor *m, attn_problem *a) {
    vkattn_status st;
    if ((st = vkattn__check_tensor(ctx, m, "attention", "mask")) || (st = check_layout(ctx, m, "mask"))) return st;
    if (m->dtype != VKATTN_F32) return BAD("mask must be f32 (additive, -inf allowed), is %s", vkattn_dtype_string(m->dtype));
    const int64_t *s = m->shape;
    if (m->ndim == 2 && s[0] == a->Lq && s[1] == a->Lk) {
        a->m_st[0] = a->m_st[1] = 0;
        a->m_st[2] = (uint32_t)m->strides[0];
        a->m_st[3] = (uint32_t)m->strides[1];
        return VKATTN_OK;
    }
    if (m->ndim == 4 && (s[0] == a->B || s[0] == 1) && (s[1] == a->Hq || s[1] == 1) && s[2] == a->Lq && s[3] == a->Lk) {
        for (int i = 0; i < 4; i++) a->m_st[i] = s[i] == 1 ? 0 : (uint32_t)m->strides[i];
        return VKATTN_OK;
    }
    return BAD("mask shape must be [Lq,Lk], [B,1,Lq,Lk] or [B,Hq,Lq,Lk] (= [%u,%u], [%u,1,%u,%u], [%u,%u,%u,%u])", a->Lq,
               a->Lk, a->B, a->Lq, a->Lk, a->B, a->Hq, a->Lq, a->Lk);
}

static vkattn_status check(vkattn_context *ctx, const vkattn_tensor *q, const vkattn_tensor *k, const vkattn_tensor *v,
                           vkattn_tensor *o, const vkattn_attention_desc *desc, attn_problem *a) {
    vkattn_status st;
    const vkattn_tensor *ts[4] = {q, k, v, o};
    const char *names[4] = {"q", "k", "v", "o"};
    for (int i = 0; i < 4; i++) {
        if ((st = vkattn__check_tensor(ctx, ts[i], "attention", names[i]))) return st;
        if (ts[i]->ndim != 4) return BAD("%s must be 4-D ([B,H,L,D]), has %u dimensions", names[i], ts[i]->ndim);
        if (ts[i]->dtype != VKATTN_F32 && ts[i]->dtype != VKATTN_F16)
            return BAD("%s must be f32 or f16, is %s", names[i], vkattn_dtype_string(ts[i]->dtype));
        if (ts[i]->dtype != q->dtype) return BAD("q, k, v and o must share one dtype (q %s, %s %s)",
                                                vkattn_dtype_string(q->dtype), names[i], vkattn_dtype_string(ts[i]->dtype));
        if ((st = check_layout(ctx, ts[i], names[i]))) return st;
    }
    memset(a, 0, sizeof *a);
    a->ctx = ctx;
    a->q = q, a->k = k, a->v = v, a->o = o;
    a->B = (uint32_t)q->shape[0], a->Hq = (uint32_t)q->shape[1], a->Lq = (uint32_t)q->shape[2], a->D = (uint32_t)q->shape[3];
    a->Hkv = (uint32_t)k->shape[1], a->Lk = (uint32_t)k->shape[2], a->Dv = (uint32_t)v->shape[3];
    if (k->shape[0] != a->B || v->shape[0] != a->B || o->shape[0] != a->B)
        return BAD("batch sizes differ (q %u, k %lld, v %lld, o %lld)", a->B, (long long)k->shape[0],
                   (long long)v->shape[0], (long long)o->shape[0]);
    if (k->shape[3] != a->D) return BAD("q and k head dims differ (%u vs %lld)", a->D, (long long)k->shape[3]);
    if (v->shape[1] != a->Hkv || v->shape[2] != a->Lk)
        return BAD("v must be [B,Hkv,Lk,Dv] = [%u,%u,%u,Dv], is [%lld,%lld,%lld,%lld]", a->B, a->Hkv, a->Lk,
                   (long long)v->shape[0], (long long)v->shape[1], (long long)v->shape[2], (long long)v->shape[3]);
    if (a->Hq % a->Hkv) return BAD("query heads (%u) must be a multiple of the key/value heads (%u)", a->Hq, a->Hkv);
    if (o->shape[1] != a->Hq || o->shape[2] != a->Lq || o->shape[3] != a->Dv)
        return BAD("o must be [B,Hq,Lq,Dv] = [%u,%u,%u,%u]", a->B, a->Hq, a->Lq, a->Dv);
    if (a->D > 256 || a->Dv > 256) return BAD("head dims up to 256 are supported (D %u, Dv %u)", a->D, a->Dv);
    if (a->Hq > 65535) return BAD("at most 65535 query heads (%u)", a->Hq);
    a->f16 = q->dtype == VKATTN_F16;
    a->packed = a->f16 && !ctx->info.storage16;
    if ((uint64_t)a->B * a->Hq > ctx->info.max_workgroup_count[2])
        return vkattn__fail(ctx, VKATTN_ERROR_TOO_LARGE, "attention: B*Hq = %llu exceeds the device's %u workgroups",
                            (unsigned long long)a->B * a->Hq, ctx->info.max_workgroup_count[2]);
    vkattn_attention_desc none = {0};
    if (!desc) desc = &none;
    if (!isfinite(desc->scale)) return BAD("scale is not finite");
    a->scale = desc->scale != 0 ? desc->scale : 1.0f / sqrtf((float)a->D);
    a->causal = desc->causal != 0;
    a->flags = a->causal ? ATTN_CAUSAL : 0;
    if (!(desc->softcap >= 0) || !isfinite(desc->softcap)) return BAD("softcap must be finite and >= 0 (0 = none)");
    a->softcap = desc->softcap;
    if (desc->window && desc->window < a->Lk) { /* a window of Lk or more hides nothing */
        if (desc->window >= 1u << 24)
            return vkattn__fail(ctx, VKATTN_ERROR_TOO_LARGE, "attention: a sliding window of %u keys (< Lk %u) exceeds 2^24",
                                desc->window, a->Lk);
        a->flags |= desc->window << ATTN_WINDOW_SHIFT;
    }
    if (desc->mask) {
        if ((st = check_mask(ctx, desc->mask, a))) return st;
        a->mask = desc->mask;
        a->flags |= ATTN_MASK;
    }
    if (desc->kv_len) {
        const vkattn_tensor *kl = desc->kv_len;
        if ((st = vkattn__check_tensor(ctx, kl, "attention", "kv_len"))) return st;
        if (kl->dtype != VKATTN_I32 || kl->ndim != 1 || kl->shape[0] != a->B || kl->strides[0] != 1)
            return BAD("kv_len must be a contiguous i32 [B] = [%u] tensor", a->B);
        a->kv_len = kl;
        a->flags |= ATTN_KVLEN;
    }
    if (desc->probs) {
        vkattn_tensor *pr = desc->probs;
        if ((st = vkattn__check_tensor(ctx, pr, "attention", "probs"))) return st;
        if (pr->dtype != VKATTN_F32 || pr->ndim != 4 || pr->shape[0] != a->B || pr->shape[1] != a->Hq ||
            pr->shape[2] != a->Lq || pr->shape[3] != a->Lk || !vkattn_tensor_is_contiguous(pr))
            return BAD("probs must be a contiguous f32 [B,Hq,Lq,Lk] = [%u,%u,%u,%u] tensor", a->B, a->Hq, a->Lq, a->Lk);
        if (desc->impl == VKATTN_ATTN_FLASH || desc->impl == VKATTN_ATTN_DECODE)
            return BAD("probs need the 3-pass implementation (flash and decode never materialize them); use AUTO or 3PASS");
        a->probs = pr;
    }
    if ((unsigned)desc->impl > VKATTN_ATTN_DECODE) return BAD("unknown implementation %d", (int)desc->impl);
    const char *kv = getenv("VKATTN_ATTN_KV");
    if ((a->kv = attn_kv_parse(kv)) < 0)
        return BAD("VKATTN_ATTN_KV=%s is not a known value; use shared, direct or tiles, or unset it", kv);
    return VKATTN_OK;
}

static vkattn_attn_impl choose(const attn_problem *a, const vkattn_attention_desc *desc) {
    return attn_choose(&a->ctx->info, desc ? desc->impl : VKATTN_ATTN_AUTO, a->probs != NULL, a->Lq, a->Lk, a->Dv);
}

vkattn_status vkattn_attention_get_plan(vkattn_context *ctx, const vkattn_tensor *q, const vkattn_tensor *k,
                                        const vkattn_tensor *v, vkattn_tensor *o, const vkattn_attention_desc *desc,
                                        vkattn_attention_plan *plan) {
    if (!ctx) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "attention plan: ctx is NULL");
    if (!plan) return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "attention plan: plan is NULL");
    memset(plan, 0, sizeof *plan);
    attn_problem a;
    vkattn_status st = check(ctx, q, k, v, o, desc, &a);
    if (st) return st;
    plan->impl = choose(&a, desc);
    plan->scores_bytes = (uint64_t)a.B * a.Hq * a.Lq * a.Lk * 4;
    if (plan->impl == VKATTN_ATTN_3PASS) {
        attn_3pass_plan l;
        if ((st = attn_3pass_layout(&a, &l))) return st;
        plan->scratch_bytes = l.scratch_bytes;
    } else if (plan->impl == VKATTN_ATTN_DECODE) {
        plan->decode_splits = vkattn__div_up(a.Lk, decode_keys_per_split(&a));
        plan->scratch_bytes = (uint64_t)a.B * a.Hq * a.Lq * plan->decode_splits * (a.Dv + 2) * 4;
    }
    return VKATTN_OK;
}

vkattn_status vkattn_attention(vkattn_context *ctx, const vkattn_tensor *q, const vkattn_tensor *k, const vkattn_tensor *v,
                               vkattn_tensor *o, const vkattn_attention_desc *desc) {
    if (!ctx) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "attention: ctx is NULL");
    attn_problem a;
    vkattn_status st = check(ctx, q, k, v, o, desc, &a);
    if (st) return st;
    vkattn_attn_impl impl = choose(&a, desc);
    int implicit;
    if ((st = vkattn__op_begin(ctx, &implicit))) return st;
    st = impl == VKATTN_ATTN_3PASS ? attn_3pass(&a) : impl == VKATTN_ATTN_DECODE ? attn_decode(&a) : attn_flash(&a);
    return vkattn__op_end(ctx, implicit, st);
}
