#version 450
#extension GL_GOOGLE_include_directive : require
//! variants: f16 sg f16_sg
//! packed-f16
// Softmax over the last dimension, one workgroup per row: max, sum of
// exp(x - max), then the normalized values. -inf entries give 0; a row that is
// all -inf gives all zeros (not NaN). Rows of any length (vocabularies).
#if defined(VARIANT_F16_SG)
#define VARIANT_F16 1
#endif
#if defined(VT_SG)
#define USE_SUBGROUP 1
#endif
#include "common.glsl"

layout(local_size_x_id = 0) in;
layout(std430, binding = 0) readonly buffer X { TS x[]; };
layout(std430, binding = 1) WO buffer Y { TS y[]; };
layout(push_constant) uniform P {
    uvec4 shape; // [d0, d1, d2, D]
    uvec4 xs, ys;
    uint x_off, y_off, rows;
    uint row0; // first row of this dispatch (rows run in chunks when tensors exceed one binding)
} p;

#include "index.glsl"
#include "reduce.glsl"

void main() {
    uint row = p.row0 + flat_group();
    if (row >= p.rows) return;
    uint xb = p.x_off + row_offset(row, p.shape, p.xs), yb = p.y_off + row_offset(row, p.shape, p.ys);
    uint D = p.shape.w, t = gl_LocalInvocationID.x, WG = gl_WorkGroupSize.x;

    float m = NEG_INF;
    for (uint i = t; i < D; i += WG) m = max(m, LD(x, xb + i * p.xs.w));
    m = wg_max(m);
    if (m == NEG_INF) { // every entry masked
        for (uint i = t; i < D; i += WG) ST(y, yb + i * p.ys.w, 0.0);
        return;
    }
    float s = 0.0;
    for (uint i = t; i < D; i += WG) s += exp(LD(x, xb + i * p.xs.w) - m);
    float inv = 1.0 / wg_sum(s);
    for (uint i = t; i < D; i += WG) ST(y, yb + i * p.ys.w, exp(LD(x, xb + i * p.xs.w) - m) * inv);
}
