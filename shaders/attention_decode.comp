#version 450
#extension GL_GOOGLE_include_directive : require
//! variants: f16
//! packed-f16
// Split-K decode attention for few queries (Lq <= 8) over a long cache. Every
// invocation owns one split of p.aux consecutive keys of one (batch, KV head) and
// runs the online softmax for all the query rows of that KV group (Hq/Hkv heads x
// Lq queries, RB at a time, so each loaded key serves RB rows), writing unnormalized
// partials (max, sum, acc[DV]) that attention_combine.comp merges. No shared memory,
// no barriers: the parallelism comes from the splits.
#include "common.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint D = 64;
layout(constant_id = 2) const uint DV = 64;
layout(constant_id = 3) const uint BK = 8;
layout(constant_id = 4) const uint RB = 1;
layout(constant_id = 5) const uint KV_MODE = 0; // 0 loops, 2 unrolled (lavapipe's loop limit; see attention.glsl)
// 1: K and V rows are 4-aligned and contiguous (vec4 loads on the unrolled path)
layout(constant_id = 6) const uint VEC4 = 0;
layout(constant_id = 7) const float SOFTCAP = 0.0; // score soft-capping (0 = none)

#include "attention.glsl"

// partial[(row * nsplit + split) * (DV + 2) + ...] = max (log2 domain), sum, acc[DV]
layout(std430, binding = 3) writeonly buffer Part { float part[]; };

uint kbase, vbase;
#define KEY_BUF(jj, j, c) LD(kbuf, kbase + (j) * p.k_st.z + (c) * p.k_st.w)
#define VAL_BUF(jj, j, c) LD(vbuf, vbase + (j) * p.v_st.z + (c) * p.v_st.w)

void main() {
    uint Hq = p.heads & 0xffffu, group = p.heads >> 16;
    uint nsplit = (p.Lk + p.aux - 1) / p.aux;
    uint split = gl_GlobalInvocationID.x;
    if (split >= nsplit) return;
    uint hk = gl_WorkGroupID.y, b = gl_WorkGroupID.z;
    kbase = p.k_off + b * p.k_st.x + hk * p.k_st.y;
    vbase = p.v_off + b * p.v_st.x + hk * p.v_st.y;
    int klen = batch_keys(b);
    uint k0 = split * p.aux;
    int kend = min(int(k0 + p.aux), klen);
    uint rows = group * p.Lq; // the KV group's query rows: heads hk*group.., all Lq queries
    for (uint rr = 0; rr < rows; rr += RB) {
        rows_init();
        int my_end = 0, my_first = int(kend);
        [[unroll]] for (uint r = 0; r < RB; r++) {
            uint x = min(rr + r, rows - 1), h = hk * group + x / p.Lq, i = x % p.Lq;
            row_load(r, b, h, i, kend);
            my_end = max(my_end, lim[r]);
            my_first = min(my_first, first[r]);
        }
        uint kstart = uint(max(int(k0), my_first)); // keys before every row's sliding window: skipped
        if (KV_MODE == 2) {
            ATTEND_DIRECT(kstart, my_end, KEY_BUF, VAL_BUF)
        } else {
            for (uint kb = kstart; int(kb) < my_end; kb += BK) ATTEND_TILE(kb, my_end, KEY_BUF, VAL_BUF)
        }
        [[unroll]] for (uint r = 0; r < RB; r++) {
            if (rr + r >= rows) break;
            uint x = rr + r, h = hk * group + x / p.Lq, i = x % p.Lq;
            uint base = (((b * Hq + h) * p.Lq + i) * nsplit + split) * (DV + 2);
            part[base] = mrow[r];
            part[base + 1] = lrow[r];
            [[unroll]] for (uint c = 0; c < DV; c++) part[base + 2 + c] = acc[r][c];
        }
    }
}
