// Accurate f32 math for positional encodings, independent of the driver's
// builtins (Vulkan only promises 2^-11 absolute error for sin/cos on [-pi, pi]
// and nothing useful for large arguments): Cody-Waite range reduction plus
// Cephes minimax polynomials, about 1 ulp. Angles up to ~1e5 rad reduce exactly.

// 2^x, Cephes exp2f polynomial on [-0.5, 0.5] (relative error ~2e-7).
float exp2_poly(float f) {
    float p = 1.535336188319500e-4;
    p = p * f + 1.339887440266574e-3;
    p = p * f + 9.618437357674640e-3;
    p = p * f + 5.550332471162809e-2;
    p = p * f + 2.402264791363012e-1;
    p = p * f + 6.931472028550421e-1;
    return 1.0 + f * p;
}

// theta^(-2i/d) for pair i, given c = -2 log2(theta) / d split on the host
// into c_hi (12 significant bits: i * c_hi is exact for i < 2048) + c_lo.
float inv_freq(uint i, float c_hi, float c_lo) {
    float e_hi = float(i) * c_hi;
    float n = round(e_hi);
    float f = (e_hi - n) + float(i) * c_lo;
    return ldexp(exp2_poly(f), int(n));
}

// sin and cos of x: x - k pi/2 with pi/2 in three 8-bit pieces (k * piece is
// exact for k < 2^16) and a tail, then the quadrant's polynomials on [-pi/4, pi/4].
vec2 sincos_acc(float x) {
    precise float k = round(x * 0.63661977236758134);
    precise float r = x - k * 1.5703125;
    r = r - k * 4.825592041015625e-4;
    r = r - k * 1.2665987014770508e-6;
    r = r - k * 9.92093629470503e-10;
    float z = r * r;
    float s = r + r * z * ((-1.9515295891e-4 * z + 8.3321608736e-3) * z - 1.6666654611e-1);
    float c = 1.0 - 0.5 * z + z * z * ((2.443315711809948e-5 * z - 1.388731625493765e-3) * z + 4.166664568298827e-2);
    int q = int(k) & 3;
    if (q == 0) return vec2(s, c);
    if (q == 1) return vec2(c, -s);
    if (q == 2) return vec2(-s, -c);
    return vec2(-c, s);
}
