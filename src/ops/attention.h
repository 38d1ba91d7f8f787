/* Internal to the attention op: the validated problem shared by the 3-pass
 * (attention_3pass.c) and the fused flash / decode (attention.c) implementations. */
#ifndef VKATTN_OPS_ATTENTION_H
#define VKATTN_OPS_ATTENTION_H

#include "../core/core.h"

#include <stdio.h>
#include <string.h>

enum { ATTN_CAUSAL = 1, ATTN_MASK = 2, ATTN_KVLEN = 4, ATTN_WINDOW_SHIFT = 8 };

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
} attn_problem;

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

#endif
