/* Host-only: half/bfloat16 conversions (exhaustive over f16), dtype sizes,
 * status strings, context-less errors. */
#include "harness.h"
#include "core/core.h"

#include <math.h>
#include <string.h>

int main(void) {
    /* every finite f16 survives f16 -> f32 -> f16 exactly */
    int bad = 0;
    for (uint32_t h = 0; h < 0x10000; h++) {
        if ((h & 0x7c00) == 0x7c00) continue;
        float f = vkattn__f16_to_f32((uint16_t)h);
        if (vkattn__f32_to_f16(f) != h) bad++;
    }
    CHECK(bad == 0, "%d f16 values do not round-trip", bad);
    CHECK(vkattn__f16_to_f32(0x3c00) == 1.0f, "f16 1.0");
    CHECK(vkattn__f16_to_f32(0x7bff) == 65504.0f, "f16 max");
    CHECK(vkattn__f32_to_f16(1e6f) == 0x7c00, "overflow -> inf");
    CHECK(vkattn__f32_to_f16(1.0f + 1.0f / 2048) == 0x3c00, "round to nearest even (tie down)");
    CHECK(vkattn__f32_to_f16(1.0f + 3.0f / 2048) == 0x3c02, "round to nearest even (tie up)");
    CHECK(vkattn__f16_to_f32(0x0001) == ldexpf(1, -24), "smallest subnormal");
    CHECK(vkattn__bf16_to_f32(vkattn__f32_to_bf16(3.140625f)) == 3.140625f, "bf16 exact value");
    CHECK(isnan(vkattn__bf16_to_f32(vkattn__f32_to_bf16(NAN))), "bf16 nan");

    CHECK(vkattn_dtype_bytes(VKATTN_Q8_0, 64) == 68, "q8_0 size");
    CHECK(vkattn_dtype_bytes(VKATTN_Q4_0, 64) == 36, "q4_0 size");
    CHECK(vkattn_dtype_bytes(VKATTN_F16, 3) == 6, "f16 size");
    CHECK(strcmp(vkattn_status_string(VKATTN_ERROR_TOO_LARGE), "VKATTN_ERROR_TOO_LARGE") == 0, "status string");

    vkattn_context *ctx = (vkattn_context *)1;
    CHECK(vkattn_context_create(NULL, NULL) == VKATTN_ERROR_INVALID_ARGUMENT, "NULL out");
    CHECK(strstr(vkattn_context_error(NULL), "out is NULL") != NULL, "thread error: %s", vkattn_context_error(NULL));
    (void)ctx;
    vkattn_context_destroy(NULL);
    return th_finish(NULL);
}
