#version 450
#extension GL_GOOGLE_include_directive : require
//! variants: f16
//! packed-f16
// Rotary position embedding on a 4-D view [B, L, H, D] or [B, H, L, D]. One
// invocation per rotated pair (NeoX: (i, i + R/2), GPT-J: (2i, 2i + 1), i < R/2)
// or per passed-through element d >= R (skipped when rotating in place).
// Pair i at position p turns by p * inv_freq(i): theta^(-2i/R) computed
// accurately here, or read from a table (scaled variants).
#include "common.glsl"
#include "index.glsl"
#include "mathf.glsl"
#include "packed.glsl"

layout(local_size_x_id = 0) in;
layout(std430, binding = 0) readonly buffer X { TS x[]; }; // TS, LD, ST, WO: common.glsl
layout(std430, binding = 1) WO buffer Y { TS y[]; };
layout(std430, binding = 2) readonly buffer Pos { int pos[]; };
layout(std430, binding = 3) readonly buffer F { uint freq[]; };
layout(push_constant) uniform P {
    uvec4 shape; // [B, S1, S2, D]
    uvec4 xs, ys;
    uint x_off, y_off, n, units;         // units per row: half pairs + passed-through dims
    uint half_rot, pos_off, pos_bstride, pos_lstride;
    uint flags;                          // 1 GPT-J, 2 tokens on dim 2, 4 positions, 8 freq table, 16 table f16
    int offset;
    float c_hi, c_lo;                    // -2 log2(theta) / R, split (mathf.glsl inv_freq)
    uint f_off, f_stride;
} p;

void main() {
    uint i = flat_group() * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
    if (i >= p.n) return;
    uint u = i % p.units, row = i / p.units;
    uvec4 idx = unflatten4(row * p.shape.w, p.shape); // idx.w = 0
    uint xb = p.x_off + offset4(idx, p.xs), yb = p.y_off + offset4(idx, p.ys);
    uint rot = 2u * p.half_rot;
    if (u >= p.half_rot) { // pass-through dims
        uint d = rot + (u - p.half_rot);
        ST(y, yb + d * p.ys.w, LD(x, xb + d * p.xs.w));
        return;
    }
    bool gptj = (p.flags & 1u) != 0u;
    uint l = (p.flags & 2u) != 0u ? idx.z : idx.y, b = idx.x;
    int ps = (p.flags & 4u) != 0u ? pos[p.pos_off + b * p.pos_bstride + l * p.pos_lstride] : int(l);
    float f = (p.flags & 8u) != 0u ? LOAD_PACKED(freq, p.f_off + u * p.f_stride, (p.flags & 16u) != 0u)
                                   : inv_freq(u, p.c_hi, p.c_lo);
    vec2 sc = sincos_acc(float(p.offset + ps) * f);
    uint d0 = gptj ? 2u * u : u, d1 = gptj ? 2u * u + 1u : u + p.half_rot;
    float a = LD(x, xb + d0 * p.xs.w), c = LD(x, xb + d1 * p.xs.w);
    float ra = a * sc.y - c * sc.x, rc = c * sc.y + a * sc.x;
#ifdef VARIANT_F16
    ra = clamp(ra, -F16_MAX, F16_MAX);
    rc = clamp(rc, -F16_MAX, F16_MAX);
#endif
    ST(y, yb + d0 * p.ys.w, ra);
    ST(y, yb + d1 * p.ys.w, rc);
}
