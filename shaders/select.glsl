// Order-preserving map of a float to a uint key (for argmax / top-k): larger
// float -> larger key; -0 = +0; every NaN above +inf (PyTorch ranks NaN highest).
uint float_key(float f) {
    if (isnan(f)) return 0xffffffffu;
    uint u = floatBitsToUint(f == 0.0 ? 0.0 : f);
    return (u & 0x80000000u) != 0u ? ~u : u | 0x80000000u;
}
