#version 450
#extension GL_GOOGLE_include_directive : require
//! variants: f16
//! packed-f16
// One time step of a GRU (spec constant LSTM = 0) or LSTM (1) layer, PyTorch's
// nn.GRU / nn.LSTM equations and gate order (GRU r, z, n; LSTM i, f, g, o).
// gi holds x_t W_ih^T + b_ih for every step (one GEMM before the loop); this
// kernel adds h_{t-1} W_hh^T + b_hh and applies the gates. Invocation (b, j)
// owns hidden unit j of batch row b; the workgroup (one b, WG units) streams
// h_{t-1} through shared memory in chunks of WG. h_t goes to y[b, t]; the
// LSTM cell state stays in an f32 buffer updated in place.
// PASS = 1 runs once per layer call before the steps: W_hh (f32 or f16) ->
// f32 W_hh^T [H, G*H], so that neighbouring invocations (units j, j + 1) read
// neighbouring weights in every step (coalesced on GPUs, vector loads on CPUs).
#include "common.glsl"
#include "packed.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint LSTM = 0;
layout(constant_id = 2) const uint W16 = 0; // weight_hh is f16 (PASS 1)
layout(constant_id = 3) const uint PASS = 0;

layout(std430, binding = 0) readonly buffer GI { float gi[]; };
layout(std430, binding = 1) readonly buffer W { uint whh[]; };
layout(std430, binding = 2) readonly buffer BH { uint bhh[]; };
layout(std430, binding = 3) readonly buffer HS { TS hsrc[]; };
layout(std430, binding = 4) WO buffer Y { TS y[]; };
layout(std430, binding = 5) buffer CS { float cst[]; };
layout(std430, binding = 6) readonly buffer C0 { TS c0[]; };
layout(std430, binding = 7) WO buffer CN { TS cn[]; };
layout(std430, binding = 8) buffer WT { float wt[]; }; // W_hh^T, f32
layout(push_constant) uniform P {
    uint H, hs_off, hs_bstride, y_off;
    uint y_bstride, gi_off, gi_bstride, w_off;
    uint b_off, c0_off, cn_off, flags;
} p;

// flags
const uint HAS_H = 1u, C_FROM_C0 = 2u, C_FROM_STATE = 4u, HAS_CN = 16u, B16 = 64u, HAS_B = 128u;

shared float hs[gl_WorkGroupSize.x];

float sigm(float v) { return 1.0 / (1.0 + exp(-v)); }
// tanh without inf / inf: sign(v) (1 - e) / (1 + e), e = exp(-2|v|)
float tanh_safe(float v) {
    float e = exp(-2.0 * abs(v));
    return sign(v) * (1.0 - e) / (1.0 + e);
}

void transpose_weights(uint G) {
    uint i = flat_group() * gl_WorkGroupSize.x + gl_LocalInvocationID.x, H = p.H;
    if (i >= G * H * H) return;
    wt[(i % H) * G * H + i / H] = LOAD_PACKED(whh, p.w_off + i, W16 != 0u);
}

void main() {
    const uint G = LSTM != 0u ? 4u : 3u, WG = gl_WorkGroupSize.x;
    if (PASS == 1u) {
        transpose_weights(G);
        return;
    }
    uint b = gl_WorkGroupID.y, lid = gl_LocalInvocationID.x, j = gl_WorkGroupID.x * WG + lid, H = p.H;
    bool live = j < H, has_h = (p.flags & HAS_H) != 0u;
    uint hb = p.hs_off + b * p.hs_bstride;
    float acc[4] = float[4](0.0, 0.0, 0.0, 0.0);
    for (uint k0 = 0u; k0 < H; k0 += WG) { // all invocations: barriers stay uniform
        uint k = k0 + lid;
        hs[lid] = k < H && has_h ? LD(hsrc, hb + k) : 0.0;
        barrier();
        if (live && has_h) {
            uint kn = min(WG, H - k0);
            for (uint g = 0u; g < G; g++) {
                uint at = k0 * G * H + g * H + j;
                float s = 0.0;
                for (uint kk = 0u; kk < kn; kk++, at += G * H) s += wt[at] * hs[kk];
                acc[g] += s;
            }
        }
        barrier();
    }
    if (!live) return;
    float pre[4];
    uint gb = p.gi_off + b * p.gi_bstride + j;
    for (uint g = 0u; g < G; g++) {
        float bias = (p.flags & HAS_B) != 0u ? LOAD_PACKED(bhh, p.b_off + g * H + j, (p.flags & B16) != 0u) : 0.0;
        acc[g] += bias;         // h W_hh^T + b_hh
        pre[g] = gi[gb + g * H]; // x W_ih^T + b_ih
    }
    float h;
    if (LSTM == 0u) {
        float r = sigm(pre[0] + acc[0]), z = sigm(pre[1] + acc[1]);
        float n = tanh_safe(pre[2] + r * acc[2]);
        float hp = has_h ? LD(hsrc, hb + j) : 0.0;
        h = (1.0 - z) * n + z * hp;
    } else {
        float ig = sigm(pre[0] + acc[0]), fg = sigm(pre[1] + acc[1]);
        float gg = tanh_safe(pre[2] + acc[2]), og = sigm(pre[3] + acc[3]);
        float cp = (p.flags & C_FROM_C0) != 0u ? LD(c0, p.c0_off + b * H + j)
                   : (p.flags & C_FROM_STATE) != 0u ? cst[b * H + j] : 0.0;
        float c = fg * cp + ig * gg;
        cst[b * H + j] = c;
#ifdef VARIANT_F16
        if ((p.flags & HAS_CN) != 0u) ST(cn, p.cn_off + b * H + j, clamp(c, -F16_MAX, F16_MAX));
#else
        if ((p.flags & HAS_CN) != 0u) ST(cn, p.cn_off + b * H + j, c);
#endif
        h = og * tanh_safe(c);
    }
    ST(y, p.y_off + b * p.y_bstride + j, h);
}
