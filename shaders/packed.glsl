// f16 values in buffers bound as uint words, two halves per word (little-endian: element 2i
// in the low half of word i). Needs no 16-bit storage: parameters (norm weight/bias, the
// broadcast operand of add, RoPE frequencies) use it on every device, and the "pk" variants
// of f16 kernels use it for all their f16 tensors on devices without 16-bit storage.
#ifndef VKATTN_PACKED_GLSL
#define VKATTN_PACKED_GLSL
float load_packed_f16(uint word, uint idx) {
    vec2 h = unpackHalf2x16(word);
    return (idx & 1u) != 0u ? h.y : h.x;
}
// f16 element I of the uint-word buffer BUF, as float.
#define LOAD_H(BUF, I) load_packed_f16(BUF[(I) >> 1], (I))
// Element IDX of BUF holding f16 (IS_F16) or f32 values.
#define LOAD_PACKED(BUF, IDX, IS_F16) ((IS_F16) ? LOAD_H(BUF, IDX) : uintBitsToFloat(BUF[IDX]))
// Four f16 values from one 64-bit pair of words.
vec4 unpack_h4(uvec2 u) { return vec4(unpackHalf2x16(u.x), unpackHalf2x16(u.y)); }
// f16 bits of v. Infinities explicitly: SwiftShader's packHalf2x16 does not keep them.
uint f16_bits(float v) {
    return isinf(v) ? (v > 0.0 ? 0x7c00u : 0xfc00u) : packHalf2x16(vec2(v, 0.0)) & 0xffffu;
}
// Stores V as f16 element I of BUF (not readonly/writeonly). The other half of the word may
// belong to another invocation, so the half is replaced with two atomics on its own bits
// (clear, then set): never a lost update, and no ordering between the two writers needed.
// (Another invocation may read the word meanwhile; it uses only its own half, which no one
// else writes.)
#define STORE_H(BUF, I, V)                                                      \
    {                                                                           \
        uint sh_i_ = (I), sh_s_ = (sh_i_ & 1u) * 16u;                           \
        uint sh_h_ = f16_bits(V) << sh_s_;                                      \
        atomicAnd(BUF[sh_i_ >> 1], ~(0xffffu << sh_s_));                        \
        atomicOr(BUF[sh_i_ >> 1], sh_h_);                                       \
    }
#endif
