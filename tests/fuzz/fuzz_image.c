/* Image decoding from memory (JPEG segment validation, then stb_image: PNG, JPEG, BMP), then a resize and
 * the CHW normalisation on what decoded. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    vkattn_image img, small;
    if (vkattn_image_load_memory(data, size, &img)) return 0;
    FUZZ_CHECK(img.width > 0 && img.height > 0 && img.rgb);
    if (vkattn_image_resize(&img, 7, 5, &small) == VKATTN_OK) {
        static const float mean[3] = {0.5f, 0.5f, 0.5f}, sd[3] = {0.25f, 0.25f, 0.25f};
        float chw[3 * 7 * 5];
        FUZZ_CHECK(vkattn_image_to_chw(&small, mean, sd, chw) == VKATTN_OK);
        vkattn_image_free(&small);
    }
    vkattn_image_free(&img);
    return 0;
}
