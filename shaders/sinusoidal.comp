#version 450
#extension GL_GOOGLE_include_directive : require
//! variants: f16
//! packed-f16
// Sinusoidal positional encoding (Vaswani et al. 2017) over y [.., L, D]:
// PE[p, 2i] = sin(p / 10000^(2i/D)), PE[p, 2i+1] = cos(same), p = offset + l;
// y = PE, or y = x + PE.
#include "common.glsl"
#include "index.glsl"
#include "mathf.glsl"

layout(local_size_x_id = 0) in;
layout(std430, binding = 0) readonly buffer X { TS x[]; };
layout(std430, binding = 1) WO buffer Y { TS y[]; };
layout(push_constant) uniform P {
    uvec4 shape; // [.., .., L, D]
    uvec4 xs, ys;
    uint x_off, y_off, n, has_x;
    int offset;
    float c_hi, c_lo; // -2 log2(10000) / D, split (mathf.glsl inv_freq)
} p;

void main() {
    uint i = flat_group() * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
    if (i >= p.n) return;
    uvec4 idx = unflatten4(i, p.shape);
    vec2 sc = sincos_acc(float(p.offset + int(idx.z)) * inv_freq(idx.w / 2u, p.c_hi, p.c_lo));
    float v = (idx.w & 1u) != 0u ? sc.y : sc.x;
    if (p.has_x != 0u) v += LD(x, p.x_off + offset4(idx, p.xs));
#ifdef VARIANT_F16
    v = clamp(v, -F16_MAX, F16_MAX);
#endif
    ST(y, p.y_off + offset4(idx, p.ys), v);
}
