#version 450
#extension GL_GOOGLE_include_directive : require
// Fills n 32-bit words with one pattern (an f32, an i32, or two packed f16).
// Word-wise, so it needs no 16-bit storage.
#include "common.glsl"

layout(local_size_x_id = 0) in;
layout(std430, binding = 0) writeonly buffer Dst { uint dst[]; };
layout(push_constant) uniform P { uint off, n, word; } p;

void main() {
    uint i = flat_group() * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
    if (i < p.n) dst[p.off + i] = p.word;
}
