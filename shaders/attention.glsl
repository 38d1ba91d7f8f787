// Shared by attention_flash.comp and attention_decode.comp: bindings, the push
// block (mirrored by attn_push in src/ops/attention.h), and the fused inner loop
// that runs an online softmax for RB query rows over a range of keys.
//
// Math: logits are kept in the log2 domain (q pre-scaled by scale*log2(e), the
// mask multiplied by log2(e)) so the softmax uses exp2. The running max starts
// at -FLT_MAX/2, not -inf: a block whose keys are all masked (-inf) then gives
// exp2(-inf) = 0 and alpha = 1, never inf - inf; a row that saw no key keeps
// l == 0 and is written as zeros.

#include "act.glsl"

const uint FLAG_CAUSAL = 1u, FLAG_MASK = 2u, FLAG_KVLEN = 4u; // flags >> 8: sliding window (0 = none)
const float LOG2E = 1.4426950408889634;
const float NEG_BIG = -1.7014117e38; // -FLT_MAX / 2
const float NEG_INF = -1.0 / 0.0; // folded to -inf by the compiler

// q, k, v (and the output) through common.glsl's TS / LD / ST: f32, f16 or packed f16 words.
layout(std430, binding = 0) readonly buffer Qb { TS qbuf[]; };
layout(std430, binding = 1) readonly buffer Kb { TS kbuf[]; };
layout(std430, binding = 2) readonly buffer Vb { TS vbuf[]; };
// The same K and V as 4-vectors, for the direct path when every key row is 4-aligned
// and contiguous (VEC4 = 1): one load per 4 features.
layout(std430, binding = 1) readonly buffer Kb4 { TS4 kbuf4[]; };
layout(std430, binding = 2) readonly buffer Vb4 { TS4 vbuf4[]; };
layout(std430, binding = 4) readonly buffer Mb { float mbuf[]; };
layout(std430, binding = 5) readonly buffer KLb { int kvlen[]; };

layout(push_constant) uniform P {
    uvec4 q_st, k_st, v_st, o_st; // element strides: batch, head, position, feature
    uvec4 m_st;                   // mask strides: batch, head, query, key (0 = broadcast)
    uint q_off, k_off, v_off, o_off;
    uint m_off, Lq, Lk, heads;    // heads = Hq | (Hq / Hkv) << 16
    float scale;
    uint flags, kv_off, aux;      // aux: decode's keys per split
} p;

// Keys visible to batch b (kv_len) and, when causal, the bottom-right alignment
// shift: query i sees keys j <= i + Lk - Lq.
int batch_keys(uint b) {
    return (p.flags & FLAG_KVLEN) != 0 ? clamp(kvlen[p.kv_off + b], 0, int(p.Lk)) : int(p.Lk);
}
int row_limit(int klen, uint i) { // one past the last key query i sees
    return (p.flags & FLAG_CAUSAL) != 0 ? min(klen, int(i) + int(p.Lk) - int(p.Lq) + 1) : klen;
}
// The first key query i sees: with a sliding window of W, keys j > i + Lk - Lq - W.
int row_first(uint i) {
    uint w = p.flags >> 8;
    return w != 0u ? max(0, int(i) + int(p.Lk) - int(p.Lq) - int(w) + 1) : 0;
}

// Score soft-capping (Gemma 2): cap * tanh(s / cap) on the scaled score; in the log2 domain
// of the scores here, with cap' = cap * log2(e).
float soft_cap(float s) {
    if (SOFTCAP <= 0.0) return s;
    float c = SOFTCAP * LOG2E;
    return c * tanh_stable(s / c);
}

// Kernels with their own per-row state (attention_decode_lanes.comp, attention_flash_tiles.comp)
// stop here.
#ifndef ATTN_NO_ROW_STATE

// lavapipe (llvmpipe, Mesa 22) ends every loop of an invocation once the shader has run
// 65535 loop iterations in total (LP_MAX_TGSI_LOOP_ITERATIONS, shared by all loops): a walk
// over 16k keys with a loop over D inside silently stops after a few hundred keys. The
// direct path below therefore unrolls everything inside the key walk, which itself takes
// one iteration per BK keys; the host keeps (keys / BK) well under the limit.

// Per-invocation state of RB query rows.
float qr[RB][D];
float acc[RB][DV];
float mrow[RB], lrow[RB];
int lim[RB];          // one past the last visible key of each row
int first[RB];        // the first visible key of each row (sliding window)
uint mbase[RB];       // mask offset of each row

void rows_init() {
    [[unroll]] for (uint r = 0; r < RB; r++) {
        mrow[r] = NEG_BIG;
        lrow[r] = 0.0;
        [[unroll]] for (uint c = 0; c < DV; c++) acc[r][c] = 0.0;
    }
}

void row_load(uint r, uint b, uint h, uint i, int klen) {
    float s = p.scale * LOG2E;
    uint base = p.q_off + b * p.q_st.x + h * p.q_st.y + i * p.q_st.z;
    [[unroll]] for (uint c = 0; c < D; c++) qr[r][c] = LD(qbuf, base + c * p.q_st.w) * s;
    lim[r] = row_limit(klen, i);
    first[r] = row_first(i);
    mbase[r] = p.m_off + b * p.m_st.x + h * p.m_st.y + i * p.m_st.z;
}

// Writes row r of the output normalized (zeros when no key was visible).
// `o` is the output buffer, at index base + c * stride.
#define ROW_STORE(obuf, r, base, stride)                                            \
    {                                                                              \
        float inv = lrow[r] > 0.0 ? 1.0 / lrow[r] : 0.0;                          \
        [[unroll]] for (uint c = 0; c < DV; c++) {                                \
            ST(obuf, (base) + c * (stride), clamp(acc[r][c] * inv, -F16_MAX, F16_MAX)); \
        }                                                                          \
    }

// Scores of key jj of a step (position jpos, loaded from row jload) for the RB rows, from
// dot[r]: -inf outside a row's visible keys [first, lim), soft-capped, plus the additive mask.
#define SCORES(jj, jpos, jload)                                                    \
    [[unroll]] for (uint r = 0; r < RB; r++) {                                     \
        s[r][jj] = NEG_INF;                                                        \
        if (int(jpos) < lim[r] && int(jpos) >= first[r]) {                         \
            s[r][jj] = soft_cap(dot[r]);                                           \
            if ((p.flags & FLAG_MASK) != 0) s[r][jj] += mbuf[mbase[r] + (jload) * p.m_st.w] * LOG2E; \
        }                                                                          \
    }

// Online-softmax update of row r with the step's scores s[r][0..BK): new running max,
// al[r] = the factor the old sum and accumulator are scaled by, s -> exp2(s - max).
#define ONLINE_SOFTMAX(r)                                                          \
    {                                                                              \
        float mx = mrow[r];                                                        \
        [[unroll]] for (uint jj = 0; jj < BK; jj++) mx = max(mx, s[r][jj]);        \
        al[r] = exp2(mrow[r] - mx);                                                \
        mrow[r] = mx;                                                              \
        lrow[r] *= al[r];                                                          \
        [[unroll]] for (uint jj = 0; jj < BK; jj++) {                              \
            s[r][jj] = exp2(s[r][jj] - mx);                                        \
            lrow[r] += s[r][jj];                                                   \
        }                                                                          \
    }

// One tile: keys [kb, kb + BK) (only those < kend are read). key_at / val_at
// fetch element c of key j (from shared memory or straight from the buffer).
#define ATTEND_TILE(kb, kend, key_at, val_at)                                       \
    {                                                                              \
        float s[RB][BK], al[RB];                                                   \
        for (uint jj = 0; jj < BK; jj++) {                              \
            uint j = (kb) + jj;                                                    \
            float dot[RB];                                                         \
            [[unroll]] for (uint r = 0; r < RB; r++) dot[r] = 0.0;                 \
            if (int(j) < (kend)) {                                                 \
                for (uint c = 0; c < D; c++) {                          \
                    float kc = key_at(jj, j, c);                                   \
                    [[unroll]] for (uint r = 0; r < RB; r++) dot[r] += qr[r][c] * kc; \
                }                                                                  \
            }                                                                      \
            SCORES(jj, j, j)                                                       \
        }                                                                          \
        [[unroll]] for (uint r = 0; r < RB; r++) {                                 \
            ONLINE_SOFTMAX(r)                                                      \
            for (uint c = 0; c < DV; c++) acc[r][c] *= al[r];                      \
        }                                                                          \
        for (uint jj = 0; jj < BK; jj++) {                              \
            uint j = (kb) + jj;                                                    \
            if (int(j) < (kend)) {                                                 \
                for (uint c = 0; c < DV; c++) {                         \
                    float vc = val_at(jj, j, c);                                   \
                    [[unroll]] for (uint r = 0; r < RB; r++) acc[r][c] += s[r][jj] * vc; \
                }                                                                  \
            }                                                                      \
        }                                                                          \
    }

// The direct path (CPU drivers): keys [k0, kend) read straight from the buffer, BK keys a
// step with an online-softmax update per step and everything inside a step unrolled (see
// the loop limit above), so the only loop runs (kend - k0) / BK times. kend should be
// uniform across the workgroup: then the key loads are the same address for every lane
// (one load, broadcast) and each serves RB rows. Keys at or past a row's lim[r] score -inf;
// loads past the end are clamped to the last key.
#define ATTEND_DIRECT(k0, kend, key_at, val_at)                                     \
    for (uint kb = (k0); int(kb) < (kend); kb += BK) {                             \
        float s[RB][BK], al[RB];                                                   \
        [[unroll]] for (uint jj = 0; jj < BK; jj++) {                              \
            uint j = min(kb + jj, uint(kend) - 1u);                                \
            float dot[RB];                                                         \
            [[unroll]] for (uint r = 0; r < RB; r++) dot[r] = 0.0;                 \
            if (VEC4 != 0) {                                                       \
                [[unroll]] for (uint c = 0; c < D; c += 4) {                       \
                    vec4 kc = LD4(kbuf4, kbase + j * p.k_st.z + c);                \
                    [[unroll]] for (uint r = 0; r < RB; r++)                       \
                        dot[r] += qr[r][c] * kc.x + qr[r][c + 1] * kc.y + qr[r][c + 2] * kc.z + qr[r][c + 3] * kc.w; \
                }                                                                  \
            } else {                                                               \
                [[unroll]] for (uint c = 0; c < D; c++) {                          \
                    float kc = key_at(jj, j, c);                                   \
                    [[unroll]] for (uint r = 0; r < RB; r++) dot[r] += qr[r][c] * kc; \
                }                                                                  \
            }                                                                      \
            SCORES(jj, kb + jj, j)                                                 \
        }                                                                          \
        [[unroll]] for (uint r = 0; r < RB; r++) ONLINE_SOFTMAX(r)                 \
        [[unroll]] for (uint r = 0; r < RB; r++)                                   \
            [[unroll]] for (uint c = 0; c < DV; c++) acc[r][c] *= al[r];           \
        [[unroll]] for (uint jj = 0; jj < BK; jj++) {                              \
            uint j = min(kb + jj, uint(kend) - 1u);                                \
            if (VEC4 != 0) {                                                       \
                [[unroll]] for (uint c = 0; c < DV; c += 4) {                      \
                    vec4 vc = LD4(vbuf4, vbase + j * p.v_st.z + c);                \
                    [[unroll]] for (uint r = 0; r < RB; r++) {                     \
                        acc[r][c] += s[r][jj] * vc.x;                              \
                        acc[r][c + 1] += s[r][jj] * vc.y;                          \
                        acc[r][c + 2] += s[r][jj] * vc.z;                          \
                        acc[r][c + 3] += s[r][jj] * vc.w;                          \
                    }                                                              \
                }                                                                  \
            } else {                                                               \
                [[unroll]] for (uint c = 0; c < DV; c++) {                         \
                    float vc = val_at(jj, j, c);                                   \
                    [[unroll]] for (uint r = 0; r < RB; r++) acc[r][c] += s[r][jj] * vc; \
                }                                                                  \
            }                                                                      \
        }                                                                          \
    }
#endif // ATTN_NO_ROW_STATE
