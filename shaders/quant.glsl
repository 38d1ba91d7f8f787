// GGUF block-quantized weights, read from a uint buffer so that no 8/16-bit
// storage is needed (SwiftShader has none). Define QUANT_BUF as the uint array
// to read before including. Byte offsets below are from the binding's start.
//   Q8_0: 34 bytes = f16 scale d + int8 q[32];        value j = d * q[j]
//   Q4_0: 18 bytes = f16 scale d + uint8 qs[16];      value j = d * (nibble - 8),
//         element j < 16 in the low nibble of qs[j], j >= 16 in the high nibble of qs[j - 16]
// Blocks are only 2-byte aligned (34 and 18 bytes), so words are assembled
// from two halves when the offset is 2 mod 4.

const uint Q8_0_BYTES = 34u;
const uint Q4_0_BYTES = 18u;

// The 4 bytes at an even byte offset, little-endian.
uint q_word(uint off) {
    uint i = off >> 2;
    if ((off & 2u) == 0u) return QUANT_BUF[i];
    return (QUANT_BUF[i] >> 16) | (QUANT_BUF[i + 1u] << 16);
}

// The f16 scale of the block starting at byte `block`.
float q_scale(uint block) {
    uint w = QUANT_BUF[block >> 2];
    return unpackHalf2x16((block & 2u) != 0u ? w >> 16 : w).x;
}

// Four int8 values packed in a word, sign-extended.
vec4 q8_0_unpack(uint w) {
    return vec4(ivec4(int(w << 24), int(w << 16), int(w << 8), int(w)) >> 24);
}

// Unscaled values j..j+3 (j % 4 == 0) of the Q8_0 block at byte `block`.
vec4 q8_0_vec4(uint block, uint j) { return q8_0_unpack(q_word(block + 2u + j)); }

// Unscaled values j..j+3 (j % 4 == 0) of the Q4_0 block at byte `block`, minus the offset 8.
vec4 q4_0_vec4(uint block, uint j) {
    uint w = q_word(block + 2u + (j & 15u)) >> (j & 16u) / 4u;
    return vec4(uvec4(w, w >> 8, w >> 16, w >> 24) & 15u) - 8.0;
}

// One dequantized value (scale applied), j in 0..31.
float q8_0_get(uint block, uint j) {
    uint w = QUANT_BUF[(block + 2u + j) >> 2] >> ((block + 2u + j) & 3u) * 8u;
    return q_scale(block) * float(int(w << 24) >> 24);
}
float q4_0_get(uint block, uint j) {
    uint b = block + 2u + (j & 15u);
    uint w = QUANT_BUF[b >> 2] >> ((b & 3u) * 8u + (j & 16u) / 4u);
    return q_scale(block) * (float(w & 15u) - 8.0);
}
