#version 450
#extension GL_GOOGLE_include_directive : require
//! variants: f16 f32_f16 f16_f32
//! packed-f16
// dst[i] = src[i] over a 4-D index space with arbitrary element strides on both
// sides; converts between f32 and f16 in the mixed variants. *_pk: the f16 side(s) as
// packed words (no 16-bit storage; packed.glsl).
#if (defined(VARIANT_F32_F16) || defined(VARIANT_F16_F32)) && !defined(VT_PK)
#extension GL_EXT_shader_16bit_storage : require
#endif
#include "common.glsl"

#if defined(VT_F32) && defined(VT_F16) // a mixed variant: which side is f16
#if defined(VARIANT_F32_F16) || defined(VARIANT_F32_F16_PK)
#define DST_H 1
#else
#define SRC_H 1
#endif
#elif defined(VT_F16)
#define SRC_H 1
#define DST_H 1
#endif
#if defined(VT_PK)
#define H_T uint
#define H_LD(BUF, I) LOAD_H(BUF, I)
#define H_ST(BUF, I, V) STORE_H(BUF, I, V)
#define DST_WO
#else
#define H_T float16_t
#define H_LD(BUF, I) float(BUF[I])
#define H_ST(BUF, I, V) BUF[I] = float16_t(V)
#define DST_WO writeonly
#endif
#ifdef SRC_H
#define SRC_T H_T
#define SRC_LD H_LD
#else
#define SRC_T float
#define SRC_LD(BUF, I) BUF[I]
#endif
#ifdef DST_H
#define DST_T H_T
#define DST_ST H_ST
#else
#define DST_T float
#define DST_ST(BUF, I, V) BUF[I] = (V)
#endif

layout(local_size_x_id = 0) in;
layout(std430, binding = 0) readonly buffer Src { SRC_T src[]; };
layout(std430, binding = 1) DST_WO buffer Dst { DST_T dst[]; };
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
    float v = SRC_LD(src, p.src_off + idx.x * p.src_stride.x + idx.y * p.src_stride.y +
                              idx.z * p.src_stride.z + idx.w * p.src_stride.w);
#if defined(DST_H) && !defined(SRC_H)
    v = clamp(v, -F16_MAX, F16_MAX);
#endif
    DST_ST(dst, p.dst_off + idx.x * p.dst_stride.x + idx.y * p.dst_stride.y + idx.z * p.dst_stride.z + idx.w * p.dst_stride.w,
           v);
}
