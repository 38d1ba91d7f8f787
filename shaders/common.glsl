// Shared by every shader. Storage type T is float, or float16_t in *_f16
// variants (16-bit storage only: all arithmetic stays in f32). *_f16_pk variants keep
// f16 tensors as packed 32-bit words instead (devices without 16-bit storage,
// packed.glsl); kernels that have them access T buffers only through the macros below.
#extension GL_EXT_control_flow_attributes : enable

#if defined(VT_F16) && defined(VT_PK) // f16_pk, f16_sg_pk, f32_f16_pk, ...
#define VARIANT_F16 1
#define F16_PACKED 1
#endif
#if defined(VARIANT_F16) && !defined(F16_PACKED)
#extension GL_EXT_shader_16bit_storage : require
#endif
#if defined(VARIANT_F16)
#define T float16_t
#define T4 f16vec4
#else
#define T float
#define T4 vec4
#endif

#include "packed.glsl"
// TS / TS4: the element types T and T4 buffers are declared with; LD(buf, i): element i as
// float; LD4(buf4, i): elements i .. i + 3 (i % 4 == 0) of a TS4 view; ST(buf, i, v) stores v
// (already clamped to the f16 range); WO: "writeonly", except for packed outputs, whose
// stores read the word they write half of.
#ifdef F16_PACKED
#define TS uint
#define TS4 uvec2
#define LD(BUF, I) LOAD_H(BUF, I)
#define LD4(BUF, I) unpack_h4(BUF[(I) >> 2])
#define ST(BUF, I, V) STORE_H(BUF, I, V)
#define WO
#else
#define TS T
#define TS4 T4
#define LD(BUF, I) float(BUF[I])
#define LD4(BUF, I) vec4(BUF[(I) >> 2])
#define ST(BUF, I, V) BUF[I] = T(V)
#define WO writeonly
#endif

// Flat workgroup index for grids spread over x and y (see vkattn__grid_1d).
uint flat_group() { return gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x; }

// Largest finite f16, for clamping before a store into f16 storage.
const float F16_MAX = 65504.0;
