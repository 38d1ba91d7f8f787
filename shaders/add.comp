#version 450
#extension GL_GOOGLE_include_directive : require
//! variants: f16
//! packed-f16
// y = a + b (or a * b) with b broadcast: b's strides are 0 along the dims it
// lacks or has as 1. b is f32 or f16 packed words (a bias, a position table).
#include "common.glsl"
#include "index.glsl"
#include "packed.glsl"

layout(local_size_x_id = 0) in;
layout(std430, binding = 0) readonly buffer A { TS a[]; };
layout(std430, binding = 1) readonly buffer B { uint b[]; };
layout(std430, binding = 2) WO buffer Y { TS y[]; };
layout(push_constant) uniform P {
    uvec4 shape;
    uvec4 as_, bs, ys;
    uint a_off, b_off, y_off, n;
    uint flags; // 1: b is f16, 2: multiply
} p;

void main() {
    uint i = flat_group() * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
    if (i >= p.n) return;
    uvec4 idx = unflatten4(i, p.shape);
    float av = LD(a, p.a_off + offset4(idx, p.as_));
    float bv = LOAD_PACKED(b, p.b_off + offset4(idx, p.bs), (p.flags & 1u) != 0u);
    float v = (p.flags & 2u) != 0u ? av * bv : av + bv;
#ifdef VARIANT_F16
    v = clamp(v, -F16_MAX, F16_MAX);
#endif
    ST(y, p.y_off + offset4(idx, p.ys), v);
}
