#version 450
#extension GL_GOOGLE_include_directive : require
//! variants: xh yh xh_yh wh xh_wh wh_yh xh_wh_yh q8 xh_q8 q8_yh xh_q8_yh q4 xh_q4 q4_yh xh_q4_yh
// Register-blocked GEMM without shared memory: each invocation computes an
// RM x RN block of y (RM rows of x, RN consecutive rows of W), reading both
// operands straight from memory. The profile for CPU drivers and GPUs whose
// shared memory is ordinary memory (Mali), where barriers cost more than reuse.
#include "common.glsl"
#include "linear.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint RM = 4;
layout(constant_id = 2) const uint RN = 4;

void main() {
    uint n_first = (gl_WorkGroupID.x * gl_WorkGroupSize.x + gl_LocalInvocationID.x) * RN;
    uint m_first = (gl_WorkGroupID.z * gl_NumWorkGroups.y + gl_WorkGroupID.y) * RM;
    if (n_first >= p.N || m_first >= p.M) return;

    // Edge blocks clamp their loads to the last row and skip the stores.
    uint xrow[RM];
    [[unroll]] for (uint r = 0u; r < RM; r++) xrow[r] = p.x_off + min(m_first + r, p.M - 1u) * p.K;
    float acc[RM * RN];
    [[unroll]] for (uint i = 0u; i < RM * RN; i++) acc[i] = 0.0;

#ifdef W_QUANT
    uint row_bytes = p.K / 32u * W_BLOCK_BYTES;
    uint wblk[RN];
    [[unroll]] for (uint j = 0u; j < RN; j++) wblk[j] = p.w_off + min(n_first + j, p.N - 1u) * row_bytes;
    for (uint k0 = 0u; k0 < p.K; k0 += 32u) {
        float d[RN], part[RM * RN];
        [[unroll]] for (uint j = 0u; j < RN; j++) d[j] = q_scale(wblk[j]);
        [[unroll]] for (uint i = 0u; i < RM * RN; i++) part[i] = 0.0;
        [[unroll]] for (uint i = 0u; i < 32u; i += 4u) {
            vec4 xv[RM];
            [[unroll]] for (uint r = 0u; r < RM; r++) xv[r] = load_x4(xrow[r] + k0 + i);
            [[unroll]] for (uint j = 0u; j < RN; j++) {
                vec4 wv = w_block_vec4(wblk[j], i);
                [[unroll]] for (uint r = 0u; r < RM; r++) part[r * RN + j] += dot(xv[r], wv);
            }
        }
        [[unroll]] for (uint r = 0u; r < RM; r++)
            [[unroll]] for (uint j = 0u; j < RN; j++) acc[r * RN + j] += d[j] * part[r * RN + j];
        [[unroll]] for (uint j = 0u; j < RN; j++) wblk[j] += W_BLOCK_BYTES;
    }
#else
    uint wrow[RN];
    [[unroll]] for (uint j = 0u; j < RN; j++) wrow[j] = p.w_off + min(n_first + j, p.N - 1u) * p.K;
    uint k = 0u;
    for (; k + 4u <= p.K; k += 4u) {
        vec4 xv[RM];
        [[unroll]] for (uint r = 0u; r < RM; r++) xv[r] = load_x4(xrow[r] + k);
        [[unroll]] for (uint j = 0u; j < RN; j++) {
            vec4 wv = load_w4(wrow[j] + k);
            [[unroll]] for (uint r = 0u; r < RM; r++) acc[r * RN + j] += dot(xv[r], wv);
        }
    }
    for (; k < p.K; k++)
        [[unroll]] for (uint j = 0u; j < RN; j++) {
            float wv = float(ws[wrow[j] + k]);
            [[unroll]] for (uint r = 0u; r < RM; r++) acc[r * RN + j] += float(xs[xrow[r] + k]) * wv;
        }
#endif

    [[unroll]] for (uint r = 0u; r < RM; r++)
        [[unroll]] for (uint j = 0u; j < RN; j++)
            if (m_first + r < p.M && n_first + j < p.N) store_y(m_first + r, n_first + j, acc[r * RN + j]);
}
