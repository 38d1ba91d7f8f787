#version 450
#extension GL_GOOGLE_include_directive : require
//! variants: f16
//! packed-f16
// y = act(x) elementwise over a 4-D index space, any strides on both sides;
// spec constant 1 picks the activation (act.glsl: relu, silu, gelu erf/tanh, scale).
#include "common.glsl"
#include "act.glsl"
#include "index.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint OP = 0;
layout(std430, binding = 0) readonly buffer X { TS x[]; };
layout(std430, binding = 1) WO buffer Y { TS y[]; };
layout(push_constant) uniform P {
    uvec4 shape;
    uvec4 xs, ys;
    uint x_off, y_off, n;
    float alpha;
} p;

void main() {
    uint i = flat_group() * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
    if (i >= p.n) return;
    uvec4 idx = unflatten4(i, p.shape);
    float v = activate(OP, LD(x, p.x_off + offset4(idx, p.xs)), p.alpha);
#ifdef VARIANT_F16
    v = clamp(v, -F16_MAX, F16_MAX);
#endif
    ST(y, p.y_off + offset4(idx, p.ys), v);
}
