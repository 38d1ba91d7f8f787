#version 450
#extension GL_GOOGLE_include_directive : require
//! variants: f16
//! packed-f16
// Split-K decode attention shaped for GPUs (the split and the partials as in
// attention_decode.comp, which attention_combine.comp merges). One workgroup per
// (batch, KV head, split of p.aux keys, chunk of R query rows of the KV group). Each
// tile of BC keys of K and V is loaded once into shared memory (coalesced, vec4 loads
// when K/V rows allow, f16 converted once, zero padded to whole vec4s) and serves the
// chunk's R rows:
//   scores: lane t takes key t / L of the tile and every L-th vec4 of D from lane t % L
//     on, for all R rows (q in shared memory, the key vec4 in registers, read once); the
//     L partial dot products of a (row, key) pair are summed through shared memory;
//   values: lane t takes feature vec4s t % FL (+ FL, ...) of DV for rows t / FL (+ RG, ...),
//     runs the online softmax of those rows and accumulates p * V from the shared tile.
// Only shared-memory reductions (no subgroup operations), so any subgroup width, full or
// partial, computes the same.
#include "common.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint D = 64;
layout(constant_id = 2) const uint DV = 64;
layout(constant_id = 3) const uint BC = 16; // keys per tile; divides the workgroup size
layout(constant_id = 4) const uint R = 8;   // query rows per workgroup
// 1: K and V rows are 4-aligned and contiguous (vec4 loads)
layout(constant_id = 6) const uint VEC4 = 0;
layout(constant_id = 7) const float SOFTCAP = 0.0; // score soft-capping (0 = none)

#define ATTN_NO_ROW_STATE
#include "attention.glsl"

// partial[(row * nsplit + split) * (DV + 2) + ...] = max (log2 domain), sum, acc[DV]
layout(std430, binding = 3) writeonly buffer Part { float part[]; };

const uint WG = gl_WorkGroupSize.x;
const uint D4 = (D + 3) / 4, DV4 = (DV + 3) / 4;
const uint L = WG / BC;                    // lanes per key in the score phase
const uint FL = DV4 < WG ? DV4 : WG;       // lanes per row in the value phase
const uint RG = WG / FL;                   // rows in parallel in the value phase
const uint RL = (R + RG - 1) / RG;         // rows per lane in the value phase
const uint NF = (DV4 + FL - 1) / FL;       // feature vec4s per lane
const uint NQ = (R * D4 + WG - 1) / WG;    // q staging steps
const uint NK = (BC * D4 + WG - 1) / WG;   // K staging steps
const uint NV = (BC * DV4 + WG - 1) / WG;  // V staging steps
const uint NS = (R * BC + WG - 1) / WG;    // score-sum steps
const uint ND = (D4 + L - 1) / L;          // vec4s of D per lane

shared vec4 qs[R * D4];    // the chunk's query rows, pre-scaled, zero padded
shared vec4 ks[BC * D4];   // K tile
shared vec4 vs[BC * DV4];  // V tile
shared float red[R * WG];  // partial dot products: [row][key][lane]
shared float sc[R * BC];   // scores (log2 domain, -inf where hidden)

uint kbase, vbase, Hq, group, hk, b, x0, rows;
int klen;

// Head and query position of chunk row r (false: past the group's rows).
bool row_at(uint r, out uint h, out uint i) {
    uint x = x0 + r;
    h = hk * group + x / p.Lq;
    i = x % p.Lq;
    return r < R && x < rows;
}

vec4 load_k(uint j, uint c4) {
    if (VEC4 != 0) return LD4(kbuf4, kbase + j * p.k_st.z + c4 * 4u);
    vec4 v = vec4(0.0);
    [[unroll]] for (uint e = 0; e < 4; e++)
        if (c4 * 4u + e < D) v[e] = LD(kbuf, kbase + j * p.k_st.z + (c4 * 4u + e) * p.k_st.w);
    return v;
}

vec4 load_v(uint j, uint c4) {
    if (VEC4 != 0) return LD4(vbuf4, vbase + j * p.v_st.z + c4 * 4u);
    vec4 v = vec4(0.0);
    [[unroll]] for (uint e = 0; e < 4; e++)
        if (c4 * 4u + e < DV) v[e] = LD(vbuf, vbase + j * p.v_st.z + (c4 * 4u + e) * p.v_st.w);
    return v;
}

void main() {
    uint t = gl_LocalInvocationID.x;
    Hq = p.heads & 0xffffu;
    group = p.heads >> 16;
    rows = group * p.Lq;
    uint nsplit = (p.Lk + p.aux - 1) / p.aux, Hkv = Hq / group;
    uint split = gl_WorkGroupID.x;
    hk = gl_WorkGroupID.y % Hkv; // y = chunk * Hkv + KV head
    x0 = gl_WorkGroupID.y / Hkv * R;
    b = gl_WorkGroupID.z;
    if (split >= nsplit || x0 >= rows) return; // the whole workgroup
    kbase = p.k_off + b * p.k_st.x + hk * p.k_st.y;
    vbase = p.v_off + b * p.v_st.x + hk * p.v_st.y;
    klen = batch_keys(b);
    int k0 = int(split * p.aux), kend = min(k0 + int(p.aux), klen);

    // the keys any row of the chunk sees (uniform: every lane computes the same)
    int kstart = kend, kstop = k0;
    [[unroll]] for (uint r = 0; r < R; r++) {
        uint h, i;
        if (row_at(r, h, i)) {
            kstart = min(kstart, row_first(i));
            kstop = max(kstop, min(row_limit(klen, i), kend));
        }
    }
    kstart = max(kstart, k0);

    float qscale = p.scale * LOG2E;
    [[unroll]] for (uint n = 0; n < NQ; n++) {
        uint e = t + n * WG, r = e / D4, c4 = e % D4;
        uint h, i;
        if (e < R * D4) {
            vec4 q = vec4(0.0);
            if (row_at(r, h, i)) {
                uint base = p.q_off + b * p.q_st.x + h * p.q_st.y + i * p.q_st.z;
                [[unroll]] for (uint c = 0; c < 4; c++)
                    if (c4 * 4u + c < D) q[c] = LD(qbuf, base + (c4 * 4u + c) * p.q_st.w) * qscale;
            }
            qs[e] = q;
        }
    }

    // value-phase state: rows rg + RG * m, feature vec4s fl + FL * n
    uint fl = t % FL, rg = t / FL;
    float mrow[RL], lrow[RL];
    vec4 acc[RL][NF];
    [[unroll]] for (uint m = 0; m < RL; m++) {
        mrow[m] = NEG_BIG;
        lrow[m] = 0.0;
        [[unroll]] for (uint n = 0; n < NF; n++) acc[m][n] = vec4(0.0);
    }
    uint kj = t / L, kl = t % L; // score phase: key kj of the tile, vec4s kl + L * n

    for (int kb = kstart; kb < kstop; kb += int(BC)) {
        barrier(); // the previous tile's readers are done (and qs is written, the first time)
        [[unroll]] for (uint n = 0; n < NK; n++) {
            uint e = t + n * WG, jj = e / D4, j = uint(kb) + jj;
            if (e < BC * D4) ks[e] = int(j) < kstop ? load_k(j, e % D4) : vec4(0.0);
        }
        [[unroll]] for (uint n = 0; n < NV; n++) {
            uint e = t + n * WG, jj = e / DV4, j = uint(kb) + jj;
            if (e < BC * DV4) vs[e] = int(j) < kstop ? load_v(j, e % DV4) : vec4(0.0);
        }
        barrier();
        // partial dot products of key kj with every row over this lane's part of D
        float pd[R];
        [[unroll]] for (uint r = 0; r < R; r++) pd[r] = 0.0;
        [[unroll]] for (uint n = 0; n < ND; n++) {
            uint c4 = kl + n * L;
            if (c4 < D4) {
                vec4 kv = ks[kj * D4 + c4];
                [[unroll]] for (uint r = 0; r < R; r++) pd[r] += dot(qs[r * D4 + c4], kv);
            }
        }
        [[unroll]] for (uint r = 0; r < R; r++) red[r * WG + t] = pd[r];
        barrier();
        // scores: the L partials of each (row, key) summed, hidden keys -inf, soft-capped, masked
        [[unroll]] for (uint n = 0; n < NS; n++) {
            uint e = t + n * WG, r = e / BC, jj = e % BC, j = uint(kb) + jj;
            uint h, i;
            if (e < R * BC) {
                float s = NEG_INF;
                if (row_at(r, h, i) && int(j) < min(row_limit(klen, i), kend) && int(j) >= row_first(i)) {
                    float d = 0.0;
                    [[unroll]] for (uint l = 0; l < L; l++) d += red[(r * BC + jj) * L + l];
                    s = soft_cap(d);
                    if ((p.flags & FLAG_MASK) != 0)
                        s += mbuf[p.m_off + b * p.m_st.x + h * p.m_st.y + i * p.m_st.z + j * p.m_st.w] * LOG2E;
                }
                sc[e] = s;
            }
        }
        barrier();
        // online softmax of this lane's rows and p * V
        if (rg < RG) {
            [[unroll]] for (uint m = 0; m < RL; m++) {
                uint r = rg + m * RG;
                if (r < R) {
                    float mx = mrow[m];
                    [[unroll]] for (uint jj = 0; jj < BC; jj++) mx = max(mx, sc[r * BC + jj]);
                    float al = exp2(mrow[m] - mx);
                    mrow[m] = mx;
                    lrow[m] *= al;
                    [[unroll]] for (uint n = 0; n < NF; n++) acc[m][n] *= al;
                    [[unroll]] for (uint jj = 0; jj < BC; jj++) {
                        float pj = exp2(sc[r * BC + jj] - mx);
                        lrow[m] += pj;
                        [[unroll]] for (uint n = 0; n < NF; n++) {
                            uint c4 = fl + n * FL;
                            if (c4 < DV4) acc[m][n] += pj * vs[jj * DV4 + c4];
                        }
                    }
                }
            }
        }
    }

    if (rg < RG) {
        [[unroll]] for (uint m = 0; m < RL; m++) {
            uint r = rg + m * RG, h, i;
            if (row_at(r, h, i)) {
                uint base = (((b * Hq + h) * p.Lq + i) * nsplit + split) * (DV + 2);
                if (fl == 0) {
                    part[base] = mrow[m];
                    part[base + 1] = lrow[m];
                }
                [[unroll]] for (uint n = 0; n < NF; n++) {
                    uint c4 = fl + n * FL;
                    [[unroll]] for (uint c = 0; c < 4; c++)
                        if (c4 < DV4 && c4 * 4u + c < DV) part[base + 2 + c4 * 4u + c] = acc[m][n][c];
                }
            }
        }
    }
}
