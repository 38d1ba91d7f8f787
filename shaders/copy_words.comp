#version 450
#extension GL_GOOGLE_include_directive : require
//! variants: w64
// dst[i] = src[i] over 16-byte units of two contiguous tensors of one dtype (vkattn_copy's
// fast path). w64: the units are read and written as two 64-bit words instead of four 32-bit
// ones (fewer loaded components, which is what CPU drivers pay for).
#if defined(VARIANT_W64)
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
#define U u64vec2
#else
#define U uvec4
#endif
#include "common.glsl"

layout(local_size_x_id = 0) in;
layout(std430, binding = 0) readonly buffer Src { U src[]; };
layout(std430, binding = 1) writeonly buffer Dst { U dst[]; };
layout(push_constant) uniform P {
    uint src_off, dst_off, n; // 16-byte units
} p;

void main() {
    uint i = flat_group() * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
    if (i < p.n) dst[p.dst_off + i] = src[p.src_off + i];
}
