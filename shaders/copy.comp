#version 450
#extension GL_GOOGLE_include_directive : require
//! variants: f16 f32_f16 f16_f32
// dst[i] = src[i] over a 4-D index space with arbitrary element strides on both
// sides; converts between f32 and f16 in the mixed variants.
#if defined(VARIANT_F32_F16) || defined(VARIANT_F16_F32)
#extension GL_EXT_shader_16bit_storage : require
#endif
#include "common.glsl"

#if defined(VARIANT_F32_F16)
#define SRC_T float
#define DST_T float16_t
#elif defined(VARIANT_F16_F32)
#define SRC_T float16_t
#define DST_T float
#else
#define SRC_T T
#define DST_T T
#endif

layout(local_size_x_id = 0) in;
layout(std430, binding = 0) readonly buffer Src { SRC_T src[]; };
layout(std430, binding = 1) writeonly buffer Dst { DST_T dst[]; };
layout(push_constant) uniform P {
    uvec4 shape;        // outermost first
    uvec4 src_stride;
    uvec4 dst_stride;
    uint src_off, dst_off, n;
} p;

void main() {
    uint i = flat_group() * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
    if (i >= p.n) return;
    uint i3 = i % p.shape.w, r = i / p.shape.w;
    uint i2 = r % p.shape.z; r /= p.shape.z;
    uint i1 = r % p.shape.y, i0 = r / p.shape.y;
    uvec4 idx = uvec4(i0, i1, i2, i3);
    float v = float(src[p.src_off + idx.x * p.src_stride.x + idx.y * p.src_stride.y +
                        idx.z * p.src_stride.z + idx.w * p.src_stride.w]);
#if defined(VARIANT_F32_F16)
    v = clamp(v, -F16_MAX, F16_MAX);
#endif
    dst[p.dst_off + idx.x * p.dst_stride.x + idx.y * p.dst_stride.y + idx.z * p.dst_stride.z + idx.w * p.dst_stride.w] =
        DST_T(v);
}
