#version 450
#extension GL_GOOGLE_include_directive : require
//! variants: f16
//! packed-f16
// Flash attention shaped for GPUs (FlashAttention-2 tiles; the plan is attn_tiles_pick in
// src/ops/attention_flash_tiles.c). A workgroup takes BR query rows of one (batch, head), LANES
// invocations per row, and walks the keys in tiles of BC staged in shared memory. Lane t of a
// row holds features t, t + LANES, ... of q and of the output accumulator (D / LANES and
// DV / LANES floats instead of D + DV), so neighbouring lanes read neighbouring shared words.
// Per tile:
//   1. K tile -> shared; each lane: partial dots of its q slice with the BC keys;
//   2. partials -> shared; the V tile replaces the K tile; lane t sums the LANES partials of
//      keys t, t + LANES, ... and writes their masked, capped scores (log2 domain);
//   3. every lane of a row runs the same online-softmax update over the BC scores and
//      accumulates P V for its slice of DV.
// Shared memory: BC * max(D, DV) + BR * LANES * BC + BR * BC floats; no subgroup operations.
// Loops inside a tile run over spec constants and are unrolled: the only loop is the walk over
// the tiles (which keeps lavapipe's loop limit, see attention.glsl, out of reach). Causal: the
// walk stops at the last key the workgroup's last row sees (tiles above the diagonal are never
// loaded); sliding window: it starts at the first key the first row sees.
#include "common.glsl"

layout(local_size_x_id = 0) in; // = BR * LANES
layout(constant_id = 1) const uint D = 64;
layout(constant_id = 2) const uint DV = 64;
layout(constant_id = 3) const uint BC = 16;   // keys per tile
layout(constant_id = 4) const uint LANES = 4; // invocations per query row
layout(constant_id = 5) const uint BR = 32;   // query rows per workgroup
layout(constant_id = 7) const float SOFTCAP = 0.0; // score soft-capping (0 = none)

#define ATTN_NO_ROW_STATE
#include "attention.glsl"

layout(std430, binding = 3) WO buffer Ob { TS obuf[]; };

const uint WG = BR * LANES;
const uint DC = (D + LANES - 1) / LANES;   // q features per lane
const uint DVC = (DV + LANES - 1) / LANES; // output features per lane
const uint KW = D > DV ? D : DV;
const uint MC = (BC + LANES - 1) / LANES;  // scores per lane (step 2)

shared float skv[BC * KW];           // the K tile [BC][D], then the V tile [BC][DV]
shared float spart[BR * LANES * BC]; // partial dots [row][lane][key]
shared float sscore[BR * BC];        // scores [row][key]

void main() {
    uint Hq = p.heads & 0xffffu, group = p.heads >> 16;
    uint bh = gl_WorkGroupID.z, b = bh / Hq, h = bh % Hq, hk = h / group;
    uint lid = gl_LocalInvocationID.x, r = lid / LANES, t = lid % LANES;
    uint row0 = gl_WorkGroupID.x * BR;
    uint kbase = p.k_off + b * p.k_st.x + hk * p.k_st.y;
    uint vbase = p.v_off + b * p.v_st.x + hk * p.v_st.y;
    int klen = batch_keys(b);
    int wg_end = row_limit(klen, min(row0 + BR, p.Lq) - 1);
    uint wg_first = uint(row_first(min(row0, p.Lq - 1)));

    uint i = min(row0 + r, p.Lq - 1); // rows past Lq compute a duplicate, not stored
    int lim = row_limit(klen, i), first = row_first(i);
    uint mbase = p.m_off + b * p.m_st.x + h * p.m_st.y + i * p.m_st.z;
    float q[DC], acc[DVC];
    float qscale = p.scale * LOG2E;
    uint qbase = p.q_off + b * p.q_st.x + h * p.q_st.y + i * p.q_st.z;
    [[unroll]] for (uint n = 0; n < DC; n++) {
        uint c = t + n * LANES;
        q[n] = (D % LANES == 0 || c < D) ? LD(qbuf, qbase + c * p.q_st.w) * qscale : 0.0;
    }
    [[unroll]] for (uint n = 0; n < DVC; n++) acc[n] = 0.0;
    float mrun = NEG_BIG, lrun = 0.0;

    for (uint kb = wg_first; int(kb) < wg_end; kb += BC) {
        barrier(); // the previous tile's V and scores are consumed
        [[unroll]] for (uint n = 0; n < (BC * D + WG - 1) / WG; n++) {
            uint e = lid + n * WG, j = kb + e / D;
            if ((BC * D) % WG == 0 || e < BC * D)
                skv[e] = int(j) < wg_end ? LD(kbuf, kbase + j * p.k_st.z + (e % D) * p.k_st.w) : 0.0;
        }
        barrier();
        // 1. partial dots of this lane's q slice with the tile's keys
        float part[BC];
        [[unroll]] for (uint jj = 0; jj < BC; jj++) {
            part[jj] = 0.0;
            [[unroll]] for (uint n = 0; n < DC; n++) {
                uint c = t + n * LANES;
                if (D % LANES == 0 || c < D) part[jj] += q[n] * skv[jj * D + c];
            }
        }
        [[unroll]] for (uint jj = 0; jj < BC; jj++) spart[lid * BC + jj] = part[jj];
        barrier(); // partials visible, the K tile consumed
        // 2. the V tile, and the scores of keys t, t + LANES, ... of this row
        [[unroll]] for (uint n = 0; n < (BC * DV + WG - 1) / WG; n++) {
            uint e = lid + n * WG, j = kb + e / DV;
            if ((BC * DV) % WG == 0 || e < BC * DV)
                skv[e] = int(j) < wg_end ? LD(vbuf, vbase + j * p.v_st.z + (e % DV) * p.v_st.w) : 0.0;
        }
        [[unroll]] for (uint m = 0; m < MC; m++) {
            uint jj = t + m * LANES, j = kb + jj;
            if (BC % LANES == 0 || jj < BC) {
                float dot = 0.0;
                [[unroll]] for (uint u = 0; u < LANES; u++) dot += spart[(r * LANES + u) * BC + jj];
                float s = NEG_INF;
                if (int(j) < lim && int(j) >= first) {
                    s = soft_cap(dot);
                    if ((p.flags & FLAG_MASK) != 0) s += mbuf[mbase + j * p.m_st.w] * LOG2E;
                }
                sscore[r * BC + jj] = s;
            }
        }
        barrier();
        // 3. online softmax (the same on every lane of the row) and P V for this lane's features
        float mx = mrun;
        [[unroll]] for (uint jj = 0; jj < BC; jj++) mx = max(mx, sscore[r * BC + jj]);
        float alpha = exp2(mrun - mx);
        mrun = mx;
        lrun *= alpha;
        [[unroll]] for (uint n = 0; n < DVC; n++) acc[n] *= alpha;
        [[unroll]] for (uint jj = 0; jj < BC; jj++) {
            float pj = exp2(sscore[r * BC + jj] - mx);
            lrun += pj;
            [[unroll]] for (uint n = 0; n < DVC; n++) {
                uint c = t + n * LANES;
                if (DV % LANES == 0 || c < DV) acc[n] += pj * skv[jj * DV + c];
            }
        }
    }

    if (row0 + r < p.Lq) { // normalized; zeros when the row saw no key
        float inv = lrun > 0.0 ? 1.0 / lrun : 0.0;
        uint obase = p.o_off + b * p.o_st.x + h * p.o_st.y + (row0 + r) * p.o_st.z;
        [[unroll]] for (uint n = 0; n < DVC; n++) {
            uint c = t + n * LANES;
            if (DV % LANES == 0 || c < DV) ST(obuf, obase + c * p.o_st.w, clamp(acc[n] * inv, -F16_MAX, F16_MAX));
        }
    }
}
