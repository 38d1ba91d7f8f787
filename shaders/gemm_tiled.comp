#version 450
#extension GL_GOOGLE_include_directive : require
//! variants: xh yh xh_yh wh xh_wh wh_yh xh_wh_yh q8 xh_q8 q8_yh xh_q8_yh q4 xh_q4 q4_yh xh_q4_yh
//! variants: q41 xh_q41 q41_yh xh_q41_yh q50 xh_q50 q50_yh xh_q50_yh q51 xh_q51 q51_yh xh_q51_yh q2k xh_q2k q2k_yh xh_q2k_yh q3k xh_q3k q3k_yh xh_q3k_yh q4k xh_q4k q4k_yh xh_q4k_yh q5k xh_q5k q5k_yh xh_q5k_yh q6k xh_q6k q6k_yh xh_q6k_yh iq4nl xh_iq4nl iq4nl_yh xh_iq4nl_yh iq4xs xh_iq4xs iq4xs_yh xh_iq4xs_yh
//! packed-f16
// GEMM tiled in shared memory with register blocking, for GPUs (M > 8). A workgroup computes a
// BM x BN tile of y (BM rows of x by BN rows of W); for every BK-wide slice of K it stages that
// slice of x and of W in shared memory (GGUF blocks dequantized on the way), then each
// invocation accumulates a TM x TN register block from it. Invocation (i, j) of the
// (BM / TM) x (BN / TN) grid owns rows i + r BM / TM and columns j + c BN / TN of the tile, so
// neighbouring invocations read neighbouring shared words and store neighbouring outputs.
// Rows past M or N and columns past K are staged as zeros: any M, N, K. The host picks the
// sizes from the device type and its shared memory and invocation limits (src/ops/linear.c).
#include "common.glsl"
#include "linear.glsl"

layout(local_size_x_id = 0) in; // = (BM / TM) * (BN / TN)
layout(constant_id = 1) const uint TM = 4;
layout(constant_id = 2) const uint TN = 4;
// constant_id 3: VEC4 (linear.glsl); K % 4 == 0 and 4-element aligned rows
layout(constant_id = 4) const uint BM = 64;
layout(constant_id = 5) const uint BN = 64;
layout(constant_id = 6) const uint BK = 16; // a multiple of 4

// The tiles are k-major (tile[k][m]: a k step reads one contiguous row). f16 x or W is staged as
// f16, two consecutive k per 32-bit word (packHalf2x16: exact, half the shared memory, and no
// shaderFloat16 needed); f32 and dequantized blocks as f32. Each invocation stages 4 consecutive
// k of one row, BK / 4 invocations per row, so neighbouring invocations write words Q x (row
// length) apart (Q = 4 words per quad in f32, 2 in f16): rows padded so that those land in
// different banks of 32 (NVIDIA, AMD), where unpadded 64- and 128-wide rows put a warp's stores
// 4-way (f16: 2-way) on the same banks. PAD_Q = (128 / (BK Q)) mod (32 / Q) words.
#ifdef X_F16
#define X_PACKED 1
const uint X_QUAD_WORDS = 2u;
#else
const uint X_QUAD_WORDS = 4u;
#endif
#if defined(W_F16) && !defined(W_QUANT)
#define W_PACKED 1
const uint W_QUAD_WORDS = 2u;
#else
const uint W_QUAD_WORDS = 4u;
#endif
const uint SX = BM + 128u / (BK * X_QUAD_WORDS) % (32u / X_QUAD_WORDS); // row length of the x tile, in words
const uint SW = BN + 128u / (BK * W_QUAD_WORDS) % (32u / W_QUAD_WORDS);
#ifdef X_PACKED
shared uint xt[BK / 2u * SX];
#define X_PAIR(k2, m) unpackHalf2x16(xt[(k2) * SX + (m)])
#else
shared float xt[BK * SX];
#define X_PAIR(k2, m) vec2(xt[2u * (k2) * SX + (m)], xt[(2u * (k2) + 1u) * SX + (m)])
#endif
#ifdef W_PACKED
shared uint wt[BK / 2u * SW];
#define W_PAIR(k2, n) unpackHalf2x16(wt[(k2) * SW + (n)])
#else
shared float wt[BK * SW];
#define W_PAIR(k2, n) vec2(wt[2u * (k2) * SW + (n)], wt[(2u * (k2) + 1u) * SW + (n)])
#endif

// Stores the quad v (k = kk .. kk + 3, kk % 4 == 0) of tile row m.
void stage_x(uint kk, uint m, vec4 v) {
#ifdef X_PACKED
    xt[kk / 2u * SX + m] = packHalf2x16(v.xy);
    xt[(kk / 2u + 1u) * SX + m] = packHalf2x16(v.zw);
#else
    [[unroll]] for (uint e = 0u; e < 4u; e++) xt[(kk + e) * SX + m] = v[e];
#endif
}
void stage_w(uint kk, uint n, vec4 v) {
#ifdef W_PACKED
    wt[kk / 2u * SW + n] = packHalf2x16(v.xy);
    wt[(kk / 2u + 1u) * SW + n] = packHalf2x16(v.zw);
#else
    [[unroll]] for (uint e = 0u; e < 4u; e++) wt[(kk + e) * SW + n] = v[e];
#endif
}

void main() {
    uint WG = gl_WorkGroupSize.x, GM = BM / TM, GN = BN / TN;
    uint lid = gl_LocalInvocationID.x;
    uint n_tile = gl_WorkGroupID.x * BN;
    uint m_tile = (gl_WorkGroupID.z * gl_NumWorkGroups.y + gl_WorkGroupID.y) * BM;
    if (m_tile >= p.M) return; // uniform over the workgroup (the z overhang)
    uint ti = lid / GN, tj = lid % GN;

    float acc[TM * TN];
    [[unroll]] for (uint i = 0u; i < TM * TN; i++) acc[i] = 0.0;
#ifdef W_QUANT
    uint row_bytes = p.K / WQ_QK * WQ_BYTES;
#endif

    for (uint k0 = 0u; k0 < p.K; k0 += BK) {
        // Stage x[m_tile .. + BM, k0 .. + BK] in quads of 4 consecutive k.
        for (uint q = lid; q < BM * BK / 4u; q += WG) {
            uint m = q / (BK / 4u), kk = q % (BK / 4u) * 4u;
            uint gm = m_tile + m, k = k0 + kk;
            vec4 v = vec4(0.0);
            if (gm < p.M && k < p.K) {
                uint i = p.x_off + gm * p.K + k;
                if (VEC4 || k + 4u <= p.K) v = load_x4(i);
                else
                    for (uint e = 0u; e < p.K - k; e++) v[e] = X_AT(i + e);
            }
            stage_x(kk, m, v);
        }
        // Stage W[n_tile .. + BN, k0 .. + BK]; block types: K % WQ_QK == 0, so a quad lies in one block.
        for (uint q = lid; q < BN * BK / 4u; q += WG) {
            uint n = q / (BK / 4u), kk = q % (BK / 4u) * 4u;
            uint gn = n_tile + n, k = k0 + kk;
            vec4 v = vec4(0.0);
            if (gn < p.N && k < p.K) {
#ifdef W_QUANT
                v = wq_get4(p.w_off + gn * row_bytes + k / WQ_QK * WQ_BYTES, k % WQ_QK);
#else
                uint i = p.w_off + gn * p.K + k;
                if (VEC4 || k + 4u <= p.K) v = load_w4(i);
                else
                    for (uint e = 0u; e < p.K - k; e++) v[e] = W_AT(i + e);
#endif
            }
            stage_w(kk, n, v);
        }
        barrier();

        for (uint k2 = 0u; k2 < BK / 2u; k2++) { // two k per step (one f16 word)
            vec2 a[TM], b[TN];
            [[unroll]] for (uint r = 0u; r < TM; r++) a[r] = X_PAIR(k2, ti + r * GM);
            [[unroll]] for (uint c = 0u; c < TN; c++) b[c] = W_PAIR(k2, tj + c * GN);
            [[unroll]] for (uint r = 0u; r < TM; r++)
                [[unroll]] for (uint c = 0u; c < TN; c++) acc[r * TN + c] += a[r].x * b[c].x + a[r].y * b[c].y;
        }
        barrier();
    }

    [[unroll]] for (uint r = 0u; r < TM; r++) {
        uint m = m_tile + ti + r * GM;
        [[unroll]] for (uint c = 0u; c < TN; c++) {
            uint n = n_tile + tj + c * GN;
            if (m < p.M && n < p.N) store_y(m, n, acc[r * TN + c]);
        }
    }
}
