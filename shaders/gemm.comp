#version 450
#extension GL_GOOGLE_include_directive : require
//! variants: xh yh xh_yh wh xh_wh wh_yh xh_wh_yh q8 xh_q8 q8_yh xh_q8_yh q4 xh_q4 q4_yh xh_q4_yh
//! variants: q41 xh_q41 q41_yh xh_q41_yh q50 xh_q50 q50_yh xh_q50_yh q51 xh_q51 q51_yh xh_q51_yh q2k xh_q2k q2k_yh xh_q2k_yh q3k xh_q3k q3k_yh xh_q3k_yh q4k xh_q4k q4k_yh xh_q4k_yh q5k xh_q5k q5k_yh xh_q5k_yh q6k xh_q6k q6k_yh xh_q6k_yh iq4nl xh_iq4nl iq4nl_yh xh_iq4nl_yh iq4xs xh_iq4xs iq4xs_yh xh_iq4xs_yh
//! packed-f16
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
    // chunks of 32 values: (a, b) per chunk half from the block's scales, then raw * a + b
    uint row_bytes = p.K / WQ_QK * WQ_BYTES;
    uint wrow[RN];
    [[unroll]] for (uint j = 0u; j < RN; j++) wrow[j] = p.w_off + min(n_first + j, p.N - 1u) * row_bytes;
    for (uint k0 = 0u; k0 < p.K; k0 += 32u) {
        uint boff = k0 / WQ_QK * WQ_BYTES, c = k0 % WQ_QK / 32u;
        vec4 wp[RN];
        [[unroll]] for (uint j = 0u; j < RN; j++) wp[j] = wq_params(wrow[j] + boff, c);
        [[unroll]] for (uint i = 0u; i < 32u; i += 4u) {
            vec4 xv[RM];
            [[unroll]] for (uint r = 0u; r < RM; r++) xv[r] = load_x4(xrow[r] + k0 + i);
            [[unroll]] for (uint j = 0u; j < RN; j++) {
                vec2 ab = i < 16u ? wp[j].xy : wp[j].zw;
                vec4 wv = wq_raw4(wrow[j] + boff, c, i) * ab.x + ab.y;
                [[unroll]] for (uint r = 0u; r < RM; r++) acc[r * RN + j] += dot(xv[r], wv);
            }
        }
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
            float wv = W_AT(wrow[j] + k);
            [[unroll]] for (uint r = 0u; r < RM; r++) acc[r * RN + j] += X_AT(xrow[r] + k) * wv;
        }
#endif

    [[unroll]] for (uint r = 0u; r < RM; r++)
        [[unroll]] for (uint j = 0u; j < RN; j++)
            if (m_first + r < p.M && n_first + j < p.N) store_y(m_first + r, n_first + j, acc[r * RN + j]);
}
