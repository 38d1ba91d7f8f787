/* Internal to the attention op: the validated problem shared by the 3-pass
 * (attention_3pass.c), the fused flash / decode (attention.c) and the GPU-shaped flash
 * (attention_flash_tiles.c) implementations. */
#ifndef VKATTN_OPS_ATTENTION_H
#define VKATTN_OPS_ATTENTION_H

#include "../core/core.h"

#include <stdio.h>
#include <string.h>

enum { ATTN_CAUSAL = 1, ATTN_MASK = 2, ATTN_KVLEN = 4, ATTN_WINDOW_SHIFT = 8 };

/* $VKATTN_ATTN_KV: how the fused kernels read K and V. AUTO (unset or empty): by device type;
 * shared / direct: flash's K/V tiles in shared memory or straight from the buffer; tiles: the
 * GPU-shaped kernels (attention_flash_tiles.comp, attention_decode_lanes.comp) on any device. */
enum { ATTN_KV_AUTO, ATTN_KV_SHARED, ATTN_KV_DIRECT, ATTN_KV_TILES };

/* ATTN_KV_* for a value of $VKATTN_ATTN_KV, -1 for an unknown one. */
static inline int attn_kv_parse(const char *s) {
    if (!s || !*s) return ATTN_KV_AUTO;
    return !strcmp(s, "shared") ? ATTN_KV_SHARED : !strcmp(s, "direct") ? ATTN_KV_DIRECT : !strcmp(s, "tiles") ? ATTN_KV_TILES : -1;
}

/* A float as the uint32 bits a float specialization constant takes. */
static inline uint32_t vkattn__f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

typedef struct attn_problem {
    vkattn_context *ctx;
    const vkattn_tensor *q, *k, *v, *mask, *kv_len;
    vkattn_tensor *o, *probs;
    uint32_t B, Hq, Hkv, Lq, Lk, D, Dv;
    float scale;
    float softcap;    /* score soft-capping, 0 = none (a spec constant of the shaders) */
    int causal, f16;
    int packed;       /* f16 without 16-bit storage: the shaders' "_pk" variants (packed words) */
    uint32_t m_st[4]; /* mask strides batch, head, query, key (0 = broadcast) */
    uint32_t flags;   /* ATTN_*, sliding window << ATTN_WINDOW_SHIFT */
    int kv;           /* ATTN_KV_* ($VKATTN_ATTN_KV) */
} attn_problem;

typedef struct {
    uint32_t q_st[4], k_st[4], v_st[4], o_st[4], m_st[4];
    uint32_t q_off, k_off, v_off, o_off;
    uint32_t m_off, Lq, Lk, heads;
    float scale;
    uint32_t flags, kv_off, aux;
} attn_push; /* matches shaders/attention.glsl's push block */
/* exactly the 128 bytes every device guarantees: a new field needs another field to go */
_Static_assert(sizeof(attn_push) <= VKATTN__MAX_PUSH, "attention push constants exceed 128 bytes");

/* The push constants of the fused shaders for a problem (aux = 0). */
void attn_fill_push(const attn_problem *a, attn_push *p);
/* The bindings every fused shader takes: q, k, v, out, mask, kv_len (absent ones bound to q,
 * never read). */
void attn_fused_args(const attn_problem *a, vkattn_tensor *out, vkattn__dispatch *d);
/* K and V readable as 4-vectors: contiguous feature rows, every offset a multiple of 4. */
uint32_t attn_vec4_kv(const attn_problem *a);

/* "<base>[<f16 part>][_pk]": the shader variant for the problem's storage. */
static inline const char *attn_shader(char *buf, size_t n, const attn_problem *a, const char *base, const char *f16) {
    snprintf(buf, n, "%s%s%s", base, a->f16 ? f16 : "", a->packed ? "_pk" : "");
    return buf;
}

/* Decode's combine pass runs one workgroup of Dv invocations per output row. */
static inline int attn_decode_fits(const vkattn_device_info *info, uint32_t Dv) {
    return Dv <= info->max_workgroup_invocations && (!info->max_workgroup_size[0] || Dv <= info->max_workgroup_size[0]);
}

/* The implementation for a problem (pure: tests drive it with real devices' infos). AUTO:
 * 3-pass when probabilities are wanted, split-K decode for a few queries over >= 256 keys
 * where its combine pass fits the device, flash otherwise. */
static inline vkattn_attn_impl attn_choose(const vkattn_device_info *info, vkattn_attn_impl impl, int probs, uint32_t Lq,
                                           uint32_t Lk, uint32_t Dv) {
    if (impl != VKATTN_ATTN_AUTO) return impl;
    if (probs) return VKATTN_ATTN_3PASS;
    return Lq <= 8 && Lk >= 256 && attn_decode_fits(info, Dv) ? VKATTN_ATTN_DECODE : VKATTN_ATTN_FLASH;
}

/* The GPU-shaped split-K decode (attention_decode_lanes.c): workgroup size, keys per shared
 * K/V tile, query rows per workgroup and the shared memory that takes. */
typedef struct attn_lanes_plan {
    uint32_t wg, bc, rows, shared_bytes;
} attn_lanes_plan;

/* Whether decode takes the lanes kernel (1) or the per-invocation one (0) for head dims D / Dv
 * and a KV group of group_rows query rows, and its shape. GPU device types take it unless
 * kv == ATTN_KV_DIRECT, any device with ATTN_KV_TILES; only where it fits the device's workgroup
 * and shared-memory limits. Pure: tests drive it with real devices' infos. */
int attn_decode_lanes_pick(const vkattn_device_info *info, int kv, uint32_t D, uint32_t Dv, uint32_t group_rows,
                           attn_lanes_plan *plan);

/* Keys per split for the lanes kernel: a few workgroups per execution unit, at least 64 keys
 * (2 tiles) a split, at most max_per. */
uint32_t attn_decode_lanes_keys(const attn_problem *a, const attn_lanes_plan *plan, uint32_t max_per);

/* Records the lanes kernel: decode's partials (per keys a split) into part. */
vkattn_status attn_decode_lanes(const attn_problem *a, const attn_lanes_plan *plan, vkattn_tensor *part, uint32_t per);

/* Strides of a 4-D tensor as the shaders take them. */
static inline void attn_strides(const vkattn_tensor *t, uint32_t st[4]) {
    for (int i = 0; i < 4; i++) st[i] = (uint32_t)t->strides[i];
}

/* How 3-pass processes the scores: chunks of ns (batch, head) slices x rows query rows,
 * nslots chunk slots of slot_bytes in a scratch ring of scratch_bytes (0 with probs). */
typedef struct attn_3pass_plan {
    uint32_t ns, rows;
    uint64_t align, slot_bytes, nslots, scratch_bytes;
} attn_3pass_plan;

/* Fails (VKATTN_ERROR_TOO_LARGE) when one row of scores exceeds a binding. */
vkattn_status attn_3pass_layout(const attn_problem *a, attn_3pass_plan *plan);

/* Records 3-pass attention (QK^T, masked softmax, PV) for a validated problem. */
vkattn_status attn_3pass(const attn_problem *a);

/* The shape of GPU-shaped flash (attention_flash_tiles.comp): br query rows per workgroup,
 * lanes invocations per row (each holds D / lanes of q and Dv / lanes of the output), bc keys
 * per shared-memory tile, wg = br * lanes invocations, shared_bytes of shared memory. */
typedef struct attn_tiles_plan {
    uint32_t br, bc, lanes, wg, shared_bytes;
} attn_tiles_plan;

/* The tile shape for head dims D, Dv on a device (pure: tests drive it with real devices'
 * infos); 0 when none fits its shared memory and workgroup limits. */
int attn_tiles_pick(const vkattn_device_info *info, uint32_t D, uint32_t Dv, attn_tiles_plan *plan);

/* Whether flash takes the GPU-shaped kernel by default: GPUs (discrete, integrated, virtual)
 * where a tile fits; CPU drivers and unknown devices keep attention_flash. */
static inline int attn_tiles_default(const vkattn_device_info *info, uint32_t D, uint32_t Dv) {
    attn_tiles_plan t;
    return vkattn__is_gpu(info) && attn_tiles_pick(info, D, Dv, &t);
}

/* Records GPU-shaped flash (attention_flash_tiles.c) for a validated problem. */
vkattn_status attn_flash_tiles(const attn_problem *a, const attn_tiles_plan *plan);

#endif
