// 4-D index helpers for the strided elementwise shaders (shape outermost first).
uvec4 unflatten4(uint i, uvec4 shape) {
    uint i3 = i % shape.w, r = i / shape.w;
    uint i2 = r % shape.z;
    r /= shape.z;
    return uvec4(r / shape.y, r % shape.y, i2, i3);
}

uint offset4(uvec4 idx, uvec4 stride) { return idx.x * stride.x + idx.y * stride.y + idx.z * stride.z + idx.w * stride.w; }

// Offset of the start of row `row` of a 4-D view whose rows are the last dim
// (rows enumerate the leading three dims).
uint row_offset(uint row, uvec4 shape, uvec4 stride) {
    uint i2 = row % shape.z, r = row / shape.z;
    return (r / shape.y) * stride.x + (r % shape.y) * stride.y + i2 * stride.z;
}
