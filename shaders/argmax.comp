#version 450
#extension GL_GOOGLE_include_directive : require
//! variants: f16 sg f16_sg
//! packed-f16
// Index of the largest entry of each row (ties: the lowest index), one
// workgroup per row: each invocation keeps its best (key, index) over a
// strided sweep, then the workgroup takes the max key and the min index
// among the holders of that key.
#if defined(VARIANT_F16_SG)
#define VARIANT_F16 1
#endif
#if defined(VT_SG)
#define USE_SUBGROUP 1
#endif
#include "common.glsl"

layout(local_size_x_id = 0) in;
layout(std430, binding = 0) readonly buffer X { TS x[]; };
layout(std430, binding = 1) writeonly buffer I { int idx[]; };
layout(push_constant) uniform P {
    uvec4 shape; // [d0, d1, d2, V]
    uvec4 xs;
    uint x_off, i_off, rows;
    uint row0; // first row of this dispatch (rows run in chunks when tensors exceed one binding)
} p;

#include "index.glsl"
#include "reduce.glsl"
#include "select.glsl"

void main() {
    uint row = p.row0 + flat_group();
    if (row >= p.rows) return;
    uint xb = p.x_off + row_offset(row, p.shape, p.xs), t = gl_LocalInvocationID.x;
    uint best = 0u, at = 0xffffffffu;
    for (uint i = t; i < p.shape.w; i += gl_WorkGroupSize.x) {
        uint k = float_key(LD(x, xb + i * p.xs.w));
        if (k > best) { // every real key is > 0; strictly greater: indices rise, so ties keep the first
            best = k;
            at = i;
        }
    }
    uint top = wg_max_u(best);
    uint first = wg_min_u(best == top ? at : 0xffffffffu);
    if (t == 0u) idx[p.i_off + row] = int(first);
}
