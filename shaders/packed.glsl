// Parameters (norm weight/bias, the broadcast operand of add, RoPE
// frequencies) may be f32 or f16 whatever the activations' type: they are
// bound as uint words and decoded here, which needs no 16-bit storage.
float load_packed_f16(uint word, uint idx) {
    vec2 h = unpackHalf2x16(word);
    return (idx & 1u) != 0u ? h.y : h.x;
}
#define LOAD_PACKED(BUF, IDX, IS_F16) \
    ((IS_F16) ? load_packed_f16(BUF[(IDX) >> 1], (IDX)) : uintBitsToFloat(BUF[IDX]))
