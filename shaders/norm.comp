#version 450
#extension GL_GOOGLE_include_directive : require
//! variants: f16 sg f16_sg
//! packed-f16
// LayerNorm / RMSNorm over the last dimension; one workgroup per row.
// LayerNorm takes the mean first, then the centred second moment (two passes
// over the row: stable where E[x^2] - E[x]^2 cancels). Spec constant 1 selects
// RMSNorm (no centring). Weight and bias are f32 or f16 packed words.
#if defined(VARIANT_F16_SG)
#define VARIANT_F16 1
#endif
#if defined(VT_SG)
#define USE_SUBGROUP 1
#endif
#include "common.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint RMS = 0;

layout(std430, binding = 0) readonly buffer X { TS x[]; }; // TS, LD, ST, WO: common.glsl
layout(std430, binding = 1) WO buffer Y { TS y[]; };
layout(std430, binding = 2) readonly buffer W { uint w[]; };
layout(std430, binding = 3) readonly buffer B { uint b[]; };
layout(push_constant) uniform P {
    uvec4 shape;   // [d0, d1, d2, D]: rows = d0 d1 d2
    uvec4 xs, ys;  // element strides
    uint x_off, y_off, w_off, b_off;
    uint w_stride, b_stride, flags, rows; // flags: 1 weight, 2 bias, 4 weight f16, 8 bias f16
    float eps;
    uint row0; // first row of this dispatch (rows run in chunks when tensors exceed one binding)
} p;

#include "index.glsl"
#include "reduce.glsl"
#include "packed.glsl"

void main() {
    uint row = p.row0 + flat_group();
    if (row >= p.rows) return; // whole workgroup: barriers stay uniform
    uint xb = p.x_off + row_offset(row, p.shape, p.xs), yb = p.y_off + row_offset(row, p.shape, p.ys);
    uint D = p.shape.w, t = gl_LocalInvocationID.x, WG = gl_WorkGroupSize.x;

    float mean = 0.0;
    if (RMS == 0) {
        float s = 0.0;
        for (uint i = t; i < D; i += WG) s += LD(x, xb + i * p.xs.w);
        mean = wg_sum(s) / float(D);
    }
    float q = 0.0;
    for (uint i = t; i < D; i += WG) {
        float v = LD(x, xb + i * p.xs.w) - mean;
        q += v * v;
    }
    float inv = inversesqrt(wg_sum(q) / float(D) + p.eps);

    bool has_w = (p.flags & 1u) != 0u, has_b = (p.flags & 2u) != 0u;
    bool w16 = (p.flags & 4u) != 0u, b16 = (p.flags & 8u) != 0u;
    for (uint i = t; i < D; i += WG) {
        float v = (LD(x, xb + i * p.xs.w) - mean) * inv;
        if (has_w) v *= LOAD_PACKED(w, p.w_off + i * p.w_stride, w16);
        if (has_b) v += LOAD_PACKED(b, p.b_off + i * p.b_stride, b16);
#ifdef VARIANT_F16
        v = clamp(v, -F16_MAX, F16_MAX);
#endif
        ST(y, yb + i * p.ys.w, v);
    }
}
