/* safetensors: open a file (header JSON, dtypes, shapes, offsets, overlaps), list and find every tensor,
 * decode it to f32 and to i32. */
#include "fuzz.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    vkattn_safetensors *st;
    if (vkattn_safetensors_open(fuzz_write_file("fuzz.safetensors", data, size), &st)) return 0;
    for (uint32_t i = 0, n = vkattn_safetensors_count(st); i < n; i++) {
        vkattn_st_tensor t, u;
        FUZZ_CHECK(vkattn_safetensors_at(st, i, &t) == VKATTN_OK);
        FUZZ_CHECK(vkattn_safetensors_find(st, t.name, &u) == VKATTN_OK && u.data == t.data);
        FUZZ_CHECK(t.ndim <= VKATTN_MAX_DIMS && t.bytes <= size);
        uint64_t numel = 1;
        for (uint32_t d = 0; d < t.ndim; d++) numel *= (uint64_t)t.shape[d];
        FUZZ_CHECK(vkattn_dtype_bytes(t.dtype, numel) == t.bytes);
        if (numel > (1u << 20)) continue;
        float *f = malloc(numel * sizeof *f + 1);
        int32_t *k = malloc(numel * sizeof *k + 1);
        if (f && k) {
            vkattn_st_tensor_read_f32(&t, f, numel);
            vkattn_st_tensor_read_i32(&t, k, numel);
            FUZZ_CHECK(vkattn_st_tensor_read_f32(&t, f, numel + 1) != VKATTN_OK); /* wrong count */
        }
        free(f), free(k);
    }
    vkattn_safetensors_close(st);
    return 0;
}
