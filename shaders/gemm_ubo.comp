#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#extension GL_KHR_shader_subgroup_ballot : require
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
//! variants: xh yh xh_yh wh xh_wh wh_yh xh_wh_yh
// gemm_ks's K split (lane l on the E-element pieces l, l + SG, ... of K; subgroupAdd at the end)
// with W read through a uniform buffer: one dispatch per slice of W rows that fits in
// maxUniformBufferRange (at most 64 KiB). For llvmpipe at M > 1: it loads a storage buffer
// lane by lane, component by component, each behind a branch, but fetches a uniform buffer at
// per-lane offsets with one vector gather per component. f32 or f16 W, K % 4 == 0 (f16 W:
// K % 8 == 0), x rows 4-element aligned (VEC4) and 16-byte aligned W rows: the host checks.
#define GEMM_INT64 1
#define W_UBO 1
#include "common.glsl"
#include "linear.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint RM = 8;
layout(constant_id = 2) const uint RN = 16;
// constant_id 3: VEC4 (linear.glsl), always true here
// Test only ($VKATTN_TEST_IDLE_LANES): odd lanes sit out, so CPU drivers run partial subgroups.
layout(constant_id = 99) const bool IDLE_LANES = false;
// The bound slice: 64 KiB at most (the host binds maxUniformBufferRange or less and reads within it).
layout(std140, binding = 1) uniform WU { uvec4 wu[4096]; };

// E: elements of W per 16-byte fetch, the K piece of a lane per step
#ifdef W_F16
const uint E = 8u;
#else
const uint E = 4u;
#endif

void main() {
    if (IDLE_LANES && (gl_SubgroupInvocationID & 1u) == 1u) return;
    uvec4 on = subgroupBallot(true);
    uint lane = subgroupBallotExclusiveBitCount(on), SG = subgroupBallotBitCount(on);
    uint n_first = (gl_WorkGroupID.x * gl_NumSubgroups + gl_SubgroupID) * RN;
    uint m_first = (gl_WorkGroupID.z * gl_NumWorkGroups.y + gl_WorkGroupID.y) * RM;
    if (m_first >= p.M || n_first >= p.N) return; // the same for the whole subgroup

    uint xrow[RM];
    [[unroll]] for (uint r = 0u; r < RM; r++) xrow[r] = p.x_off + min(m_first + r, p.M - 1u) * p.K;
    uint wrow[RN];
    [[unroll]] for (uint j = 0u; j < RN; j++) wrow[j] = p.w_off + min(n_first + j, p.N - 1u) * p.K;
    float acc[RM * RN];
    [[unroll]] for (uint i = 0u; i < RM * RN; i++) acc[i] = 0.0;
    for (uint k = E * lane; k < p.K; k += E * SG) {
        vec4 xv[RM];
        [[unroll]] for (uint r = 0u; r < RM; r++) xv[r] = load_x4(xrow[r] + k);
#ifdef W_F16
        vec4 xw[RM];
        [[unroll]] for (uint r = 0u; r < RM; r++) xw[r] = load_x4(xrow[r] + k + 4u);
#endif
        [[unroll]] for (uint j = 0u; j < RN; j++) {
            uvec4 q = wu[(wrow[j] + k) / E];
#ifdef W_F16
            vec4 wv = vec4(unpackHalf2x16(q.x), unpackHalf2x16(q.y)), ww = vec4(unpackHalf2x16(q.z), unpackHalf2x16(q.w));
            [[unroll]] for (uint r = 0u; r < RM; r++) acc[r * RN + j] += dot(xv[r], wv) + dot(xw[r], ww);
#else
            vec4 wv = uintBitsToFloat(q);
            [[unroll]] for (uint r = 0u; r < RM; r++) acc[r * RN + j] += dot(xv[r], wv);
#endif
        }
    }
    // Active lane i % SG stores output i of the block.
    [[unroll]] for (uint i = 0u; i < RM * RN; i++) {
        float v = subgroupAdd(acc[i]);
        uint m = m_first + i / RN, n = n_first + i % RN;
        if (lane == i % SG && m < p.M && n < p.N) store_y(m, n, v);
    }
}
