#version 450
#extension GL_GOOGLE_include_directive : require
//! variants: f16
//! packed-f16
// Fused (flash) attention: a workgroup takes WG*RB query rows of one (batch, head)
// and walks the keys in tiles of BK with an online softmax; the Lq x Lk scores never
// leave registers. Causal: the walk stops at the last key the workgroup's last row
// sees, so tiles above the diagonal are never loaded or computed.
// KV_MODE 1 stages each K/V tile in shared memory (GPUs). CPU drivers, where shared
// memory and barriers are emulated and slow, read K/V straight from the buffer, each
// loaded key serving RB rows: with loops (0) or unrolled (2, ATTEND_DIRECT: lavapipe,
// whose loop limit the loops would hit).
#include "common.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint D = 64;
layout(constant_id = 2) const uint DV = 64;
layout(constant_id = 3) const uint BK = 16;  // keys per tile
layout(constant_id = 4) const uint RB = 1;   // query rows per invocation
layout(constant_id = 5) const uint KV_MODE = 1; // 0 direct, 1 shared, 2 direct unrolled
// 1: K and V rows are 4-aligned and contiguous (vec4 loads on the unrolled path)
layout(constant_id = 6) const uint VEC4 = 0;
layout(constant_id = 7) const float SOFTCAP = 0.0; // score soft-capping (0 = none)

#include "attention.glsl"

layout(std430, binding = 3) WO buffer Ob { TS obuf[]; };

shared float sk[KV_MODE == 1 ? BK * D : 1];
shared float sv[KV_MODE == 1 ? BK * DV : 1];

uint kbase, vbase;
#define KEY_SHARED(jj, j, c) sk[(jj) * D + (c)]
#define VAL_SHARED(jj, j, c) sv[(jj) * DV + (c)]
#define KEY_BUF(jj, j, c) LD(kbuf, kbase + (j) * p.k_st.z + (c) * p.k_st.w)
#define VAL_BUF(jj, j, c) LD(vbuf, vbase + (j) * p.v_st.z + (c) * p.v_st.w)

void main() {
    uint Hq = p.heads & 0xffffu, group = p.heads >> 16;
    uint bh = gl_WorkGroupID.z, b = bh / Hq, h = bh % Hq, hk = h / group;
    uint wg = gl_WorkGroupSize.x, lid = gl_LocalInvocationID.x;
    uint row0 = gl_WorkGroupID.x * wg * RB;
    kbase = p.k_off + b * p.k_st.x + hk * p.k_st.y;
    vbase = p.v_off + b * p.v_st.x + hk * p.v_st.y;
    int klen = batch_keys(b);
    // keys the workgroup needs: up to what its last row sees (causal tile skipping)
    int wg_end = row_limit(klen, min(row0 + wg * RB, p.Lq) - 1);
    // sliding window: the workgroup's first row sees the earliest keys; tiles before them are skipped
    uint wg_first = uint(row_first(min(row0, p.Lq - 1)));
    int my_end = 0; // keys this invocation's rows need
    rows_init();
    [[unroll]] for (uint r = 0; r < RB; r++) {
        uint i = min(row0 + r * wg + lid, p.Lq - 1); // rows past Lq compute a duplicate, not stored
        row_load(r, b, h, i, klen);
        my_end = max(my_end, lim[r]);
    }
    if (KV_MODE == 2) {
        ATTEND_DIRECT(wg_first, wg_end, KEY_BUF, VAL_BUF)
    } else {
        for (uint kb = wg_first; int(kb) < wg_end; kb += BK) {
            if (KV_MODE == 1) {
                barrier(); // the previous tile is consumed
                for (uint e = lid; e < BK * D; e += wg) {
                    uint j = kb + e / D;
                    sk[e] = int(j) < wg_end ? LD(kbuf, kbase + j * p.k_st.z + (e % D) * p.k_st.w) : 0.0;
                }
                for (uint e = lid; e < BK * DV; e += wg) {
                    uint j = kb + e / DV;
                    sv[e] = int(j) < wg_end ? LD(vbuf, vbase + j * p.v_st.z + (e % DV) * p.v_st.w) : 0.0;
                }
                barrier();
                ATTEND_TILE(kb, my_end, KEY_SHARED, VAL_SHARED)
            } else {
                ATTEND_TILE(kb, my_end, KEY_BUF, VAL_BUF)
            }
        }
    }
    [[unroll]] for (uint r = 0; r < RB; r++) {
        uint i = row0 + r * wg + lid;
        if (i < p.Lq) ROW_STORE(obuf, r, p.o_off + b * p.o_st.x + h * p.o_st.y + i * p.o_st.z, p.o_st.w)
    }
}
