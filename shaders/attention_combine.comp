#version 450
#extension GL_GOOGLE_include_directive : require
//! variants: f16
//! packed-f16
// Merges decode's split-K partials: one workgroup per query row, one invocation
// per output feature. o = sum_s acc_s * 2^(m_s - M) / sum_s l_s * 2^(m_s - M),
// M = max_s m_s; a row with no visible key (all l_s = 0) gets zeros.
#include "common.glsl"

layout(local_size_x_id = 0) in; // = DV
layout(std430, binding = 0) readonly buffer Part { float part[]; };
layout(std430, binding = 1) WO buffer Ob { TS obuf[]; };
layout(push_constant) uniform P {
    uvec4 o_st;
    uint o_off, Lq, Hq, nsplit, rows;
} p;

void main() {
    uint row = flat_group(), c = gl_LocalInvocationID.x, dv = gl_WorkGroupSize.x;
    if (row >= p.rows) return;
    uint base = row * p.nsplit * (dv + 2);
    float mx = -1.7014117e38;
    for (uint s = 0; s < p.nsplit; s++) mx = max(mx, part[base + s * (dv + 2)]);
    float l = 0.0, a = 0.0;
    for (uint s = 0; s < p.nsplit; s++) {
        uint e = base + s * (dv + 2);
        float w = exp2(part[e] - mx);
        l += part[e + 1] * w;
        a += part[e + 2 + c] * w;
    }
    uint i = row % p.Lq, bh = row / p.Lq, h = bh % p.Hq, b = bh / p.Hq;
    float y = l > 0.0 ? a / l : 0.0;
    ST(obuf, p.o_off + b * p.o_st.x + h * p.o_st.y + i * p.o_st.z + c * p.o_st.w, clamp(y, -F16_MAX, F16_MAX));
}
