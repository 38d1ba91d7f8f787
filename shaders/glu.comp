#version 450
#extension GL_GOOGLE_include_directive : require
//! variants: f16
//! packed-f16
// Gated units: y = act(gate) * up (SwiGLU: silu, GeGLU: gelu). gate and up are
// separate views, so a packed [.., 2F] projection output is two offset views.
#include "common.glsl"
#include "act.glsl"
#include "index.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint OP = 1;
layout(std430, binding = 0) readonly buffer G { TS g[]; };
layout(std430, binding = 1) readonly buffer U { TS u[]; };
layout(std430, binding = 2) WO buffer Y { TS y[]; };
layout(push_constant) uniform P {
    uvec4 shape;
    uvec4 gs, us, ys;
    uint g_off, u_off, y_off, n;
} p;

void main() {
    uint i = flat_group() * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
    if (i >= p.n) return;
    uvec4 idx = unflatten4(i, p.shape);
    float gv = LD(g, p.g_off + offset4(idx, p.gs));
    float uv = LD(u, p.u_off + offset4(idx, p.us));
    float v = activate(OP, gv, 1.0) * uv;
#ifdef VARIANT_F16
    v = clamp(v, -F16_MAX, F16_MAX);
#endif
    ST(y, p.y_off + offset4(idx, p.ys), v);
}
