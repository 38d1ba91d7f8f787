// Shared by every shader. Storage type T is float, or float16_t in *_f16
// variants (16-bit storage only: all arithmetic stays in f32).
#extension GL_EXT_control_flow_attributes : enable

#if defined(VARIANT_F16)
#extension GL_EXT_shader_16bit_storage : require
#define T float16_t
#define T4 f16vec4
#else
#define T float
#define T4 vec4
#endif

// Flat workgroup index for grids spread over x and y (see vkattn__grid_1d).
uint flat_group() { return gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x; }

// Largest finite f16, for clamping before a store into f16 storage.
const float F16_MAX = 65504.0;
