#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#extension GL_KHR_shader_subgroup_ballot : require
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
//! variants: xh yh xh_yh wh xh_wh wh_yh xh_wh_yh q8 xh_q8 q8_yh xh_q8_yh q4 xh_q4 q4_yh xh_q4_yh
//! variants: q41 xh_q41 q41_yh xh_q41_yh q50 xh_q50 q50_yh xh_q50_yh q51 xh_q51 q51_yh xh_q51_yh q2k xh_q2k q2k_yh xh_q2k_yh q3k xh_q3k q3k_yh xh_q3k_yh q4k xh_q4k q4k_yh xh_q4k_yh q5k xh_q5k q5k_yh xh_q5k_yh q6k xh_q6k q6k_yh xh_q6k_yh iq4nl xh_iq4nl iq4nl_yh xh_iq4nl_yh iq4xs xh_iq4xs iq4xs_yh xh_iq4xs_yh
// y = x W^T (+ bias), split over K inside a subgroup: every lane of a subgroup works on the
// same RM x RN block of y, lane l on the 4-element pieces l, l + SG, l + 2 SG, ... of K (for
// block-quantized W: whole 32-value chunks), and subgroupAdd sums the lanes' partial blocks at the
// end. Every value a lane loads is used by that lane only, with no broadcasts, and lanes read
// neighbouring memory. For CPU drivers (llvmpipe: every loaded component costs a scalar load
// per lane, while arithmetic is 8 lanes wide) and for decoding (M = 1) anywhere.
#define GEMM_INT64 1
#include "common.glsl"
#include "linear.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint RM = 4;
layout(constant_id = 2) const uint RN = 4;
// constant_id 3: VEC4 (linear.glsl)
// QG: blocks are read as 64-bit words. 32-value types (qgroup64.glsl): rows are whole groups of
// 4 blocks starting 8-byte aligned (K % 128 == 0 and an aligned W; Q8_0/Q4_0 at any RM, the
// others at RM = 1). Q4_K/Q5_K/Q6_K/IQ4_XS (RM = 1): the binding starts 8-byte aligned, and the
// rows too for Q4_K/Q5_K/IQ4_XS (kquant64.glsl).
layout(constant_id = 4) const bool QG = false;
// Test only ($VKATTN_TEST_IDLE_LANES): odd lanes sit out, so CPU drivers run partial subgroups.
layout(constant_id = 99) const bool IDLE_LANES = false;
#ifdef W_QUANT
layout(std430, binding = 1) readonly buffer WQ64 { uint64_t wq64[]; };
#include "qgroup64.glsl"
#include "kquant64.glsl"
#endif

void main() {
    if (IDLE_LANES && (gl_SubgroupInvocationID & 1u) == 1u) return;
    // The K loop is strided by the lanes that are active, not by gl_SubgroupSize: subgroups may
    // be partially filled (unless the pipeline requires full ones, which the host asks for).
    uvec4 on = subgroupBallot(true);
    uint lane = subgroupBallotExclusiveBitCount(on), SG = subgroupBallotBitCount(on);
    uint n_first = (gl_WorkGroupID.x * gl_NumSubgroups + gl_SubgroupID) * RN;
    uint m_first = (gl_WorkGroupID.z * gl_NumWorkGroups.y + gl_WorkGroupID.y) * RM;
    if (m_first >= p.M || n_first >= p.N) return; // the same for the whole subgroup

    uint xrow[RM];
    [[unroll]] for (uint r = 0u; r < RM; r++) xrow[r] = p.x_off + min(m_first + r, p.M - 1u) * p.K;
    float acc[RM * RN];
    [[unroll]] for (uint i = 0u; i < RM * RN; i++) acc[i] = 0.0;

#ifdef W_QUANT
    uint row_bytes = p.K / WQ_QK * WQ_BYTES;
    uint wblk[RN];
    [[unroll]] for (uint j = 0u; j < RN; j++) wblk[j] = p.w_off + min(n_first + j, p.N - 1u) * row_bytes;
#ifdef QG32
    if (QG) {
        // groups of 4 blocks (qgroup64.glsl): per block and row of W, a dot(x, raw) + b sum(x)
        for (uint g = lane; g < p.K / 128u; g += SG) {
            [[unroll]] for (uint q = 0u; q < 4u; q++) {
                uint boff = q * WQ_BYTES, o = boff % 8u, k0 = g * 128u + q * 32u;
#ifdef QG_SUM
                float xs[RM];
                [[unroll]] for (uint r = 0u; r < RM; r++) {
                    vec4 s4 = vec4(0.0);
                    [[unroll]] for (uint i = 0u; i < 32u; i += 4u) s4 += load_x4(xrow[r] + k0 + i);
                    xs[r] = dot(s4, vec4(1.0));
                }
#endif
                [[unroll]] for (uint j = 0u; j < RN; j++) {
                    uint base = (wblk[j] + g * 4u * WQ_BYTES + boff) / 8u;
                    uint64_t w[QG_WORDS];
                    // only the words the block spans (o + WQ_BYTES bytes): the group's last block ends on its last word
                    [[unroll]] for (uint t = 0u; t < QG_WORDS; t++) {
                        w[t] = 0ul;
                        if (8u * t < o + WQ_BYTES) w[t] = wq64[base + t];
                    }
                    float dq[RM];
                    [[unroll]] for (uint r = 0u; r < RM; r++) dq[r] = 0.0;
                    [[unroll]] for (uint i = 0u; i < 32u; i += 4u) {
                        vec4 raw = qg_raw4(w, o, i);
                        [[unroll]] for (uint r = 0u; r < RM; r++) dq[r] += dot(load_x4(xrow[r] + k0 + i), raw);
                    }
                    vec2 ab = qg_params(w, o);
#ifdef QG_SUM
                    [[unroll]] for (uint r = 0u; r < RM; r++) acc[r * RN + j] += ab.x * dq[r] + ab.y * xs[r];
#else
                    [[unroll]] for (uint r = 0u; r < RM; r++) acc[r * RN + j] += ab.x * dq[r];
#endif
                }
            }
        }
    } else
#elif defined(KQ_WIDE)
    if (QG) {
        // half a super-block (128 values) per lane at a time: its words read once per row, the
        // scales decoded once per 16 values, sum(x (raw a + b)) = a dot(x, raw) + b sum(x)
        for (uint u = lane; u < p.K / 128u; u += SG) {
            uint h = u % 2u, boff = u / 2u * WQ_BYTES, k0 = u * 128u;
            vec4 xv[RM * 32u], xs[RM * 2u];
            [[unroll]] for (uint r = 0u; r < RM; r++) {
                [[unroll]] for (uint q = 0u; q < 32u; q++) xv[r * 32u + q] = load_x4(xrow[r] + k0 + 4u * q);
                [[unroll]] for (uint s = 0u; s < 8u; s++) {
                    uint q = r * 32u + 4u * s;
                    xs[r * 2u + s / 4u][s % 4u] = dot(xv[q] + xv[q + 1u] + xv[q + 2u] + xv[q + 3u], vec4(1.0));
                }
            }
            [[unroll]] for (uint j = 0u; j < RN; j++) {
                uint blk = wblk[j] + boff;
                uint64_t w[KQ_WORDS];
                kq_load(blk, h, w);
                vec4 a[2], b[2];
                kq_scales(blk, h, w, a, b);
                [[unroll]] for (uint s = 0u; s < 8u; s++) {
                    vec4 raw[4];
                    [[unroll]] for (uint i = 0u; i < 4u; i++) raw[i] = kq_raw4(w, h, s, i);
                    [[unroll]] for (uint r = 0u; r < RM; r++) {
                        uint q = r * 32u + 4u * s;
                        float dq = dot(xv[q], raw[0]) + dot(xv[q + 1u], raw[1]) + dot(xv[q + 2u], raw[2]) + dot(xv[q + 3u], raw[3]);
                        acc[r * RN + j] += a[s / 4u][s % 4u] * dq + b[s / 4u][s % 4u] * xs[r * 2u + s / 4u][s % 4u];
                    }
                }
            }
        }
    } else
#endif
    {
        // one 32-value chunk per lane (other types: always) at a time: (a, b) per chunk half, then raw * a + b
        for (uint b = lane; b < p.K / 32u; b += SG) {
            uint k0 = b * 32u, boff = k0 / WQ_QK * WQ_BYTES, c = k0 % WQ_QK / 32u;
            vec4 wp[RN];
            [[unroll]] for (uint j = 0u; j < RN; j++) wp[j] = wq_params(wblk[j] + boff, c);
            [[unroll]] for (uint i = 0u; i < 32u; i += 4u) {
                vec4 xv[RM];
                [[unroll]] for (uint r = 0u; r < RM; r++) xv[r] = load_x4(xrow[r] + k0 + i);
                [[unroll]] for (uint j = 0u; j < RN; j++) {
                    vec2 ab = i < 16u ? wp[j].xy : wp[j].zw;
                    vec4 wv = wq_raw4(wblk[j] + boff, c, i) * ab.x + ab.y;
                    [[unroll]] for (uint r = 0u; r < RM; r++) acc[r * RN + j] += dot(xv[r], wv);
                }
            }
        }
    }
#else
    uint wrow[RN];
    [[unroll]] for (uint j = 0u; j < RN; j++) wrow[j] = p.w_off + min(n_first + j, p.N - 1u) * p.K;
    uint k4 = p.K & ~3u;
    for (uint k = 4u * lane; k < k4; k += 4u * SG) {
        vec4 xv[RM];
        [[unroll]] for (uint r = 0u; r < RM; r++) xv[r] = load_x4(xrow[r] + k);
        [[unroll]] for (uint j = 0u; j < RN; j++) {
            vec4 wv = load_w4(wrow[j] + k);
            [[unroll]] for (uint r = 0u; r < RM; r++) acc[r * RN + j] += dot(xv[r], wv);
        }
    }
    for (uint k = k4 + lane; k < p.K; k += SG)
        [[unroll]] for (uint j = 0u; j < RN; j++) {
            float wv = W_AT(wrow[j] + k);
            [[unroll]] for (uint r = 0u; r < RM; r++) acc[r * RN + j] += X_AT(xrow[r] + k) * wv;
        }
#endif

    // Active lane i % SG stores output i of the block.
    [[unroll]] for (uint i = 0u; i < RM * RN; i++) {
        float v = subgroupAdd(acc[i]);
        uint m = m_first + i / RN, n = n_first + i % RN;
        if (lane == i % SG && m < p.M && n < p.N) store_y(m, n, v);
    }
}
