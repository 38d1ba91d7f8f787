#version 450
#extension GL_GOOGLE_include_directive : require
//! variants: f16
//! packed-f16
// Additive attention, context: c[b,t,d] = sum_i alpha[b,t,i] h[b,i,d].
// Workgroup = a tile of d (one thread each) x ROWS decoder steps t, so every
// h element read is used ROWS times; alpha reads are uniform across the tile.
#include "common.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint ROWS = 4;

layout(std430, binding = 0) readonly buffer Alpha { float alpha[]; };
layout(std430, binding = 1) readonly buffer H { TS h[]; };
layout(std430, binding = 2) WO buffer C { TS c[]; };
layout(push_constant) uniform P {
    uint T_, Lk, Dh, _pad;
    uint al_off, al_sb, al_st, al_si;
    uint h_off, h_sb, h_si, h_sd;
    uint c_off, c_sb, c_st, c_sd;
} p;

void main() {
    uint d = gl_WorkGroupID.x * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
    uint t0 = gl_WorkGroupID.y * ROWS, b = gl_WorkGroupID.z;
    if (d >= p.Dh) return;
    uint rows = min(ROWS, p.T_ - t0);
    float acc[ROWS];
    [[unroll]] for (uint r = 0; r < ROWS; r++) acc[r] = 0.0;
    uint h_base = p.h_off + b * p.h_sb + d * p.h_sd;
    uint al_base = p.al_off + b * p.al_sb + t0 * p.al_st;
    for (uint i = 0; i < p.Lk; i++) {
        float x = LD(h, h_base + i * p.h_si);
        [[unroll]] for (uint r = 0; r < ROWS; r++)
            if (r < rows) acc[r] += alpha[al_base + r * p.al_st + i * p.al_si] * x;
    }
    for (uint r = 0; r < rows; r++) {
        float y = acc[r];
#if defined(VARIANT_F16)
        y = clamp(y, -F16_MAX, F16_MAX);
#endif
        ST(c, p.c_off + b * p.c_sb + (t0 + r) * p.c_st + d * p.c_sd, y);
    }
}
