/* Images in: stb_image decodes (PNG, JPEG, BMP, ...), stb_image_resize scales,
 * then per-channel normalisation as a Hugging Face image preprocessor does. */
#include "formats.h"

#include <stdlib.h>
#include <string.h>

#include "core/stb_warnings.h"
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_FAILURE_USERMSG
/* Only the formats people feed a vision model: fewer stb decoders, less attack surface
 * (Debian's stb_image 2.27 has known memory-safety bugs in its GIF and JPEG readers). */
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STBI_NO_STDIO
#include <stb_image.h>
#define STB_IMAGE_RESIZE_STATIC
#define STB_IMAGE_RESIZE_IMPLEMENTATION
/* stb's internal asserts abort debug builds on benign float rounding for some ratios (e.g. 61x45 -> 32x32:
 * "total < 1.1f", nothings/stb#1449); the coefficients are normalised right after, so the output is fine */
#define STBIR_ASSERT(x) ((void)0)
#include <stb_image_resize.h>
#pragma GCC diagnostic pop
#pragma GCC diagnostic ignored "-Wunused-function" /* stb declares statics it may not define */

/* Decodes `n` bytes; `name` labels messages. JPEG segments are validated before stb sees them. */
static vkattn_status image_decode(const uint8_t *data, size_t n, const char *name, vkattn_image *out) {
    char why[128];
    if (n > INT32_MAX)
        return vkattn__fail(NULL, VKATTN_ERROR_TOO_LARGE, "%s: %zu bytes is too large for the image decoder (limit 2 GiB)", name, n);
    if (n >= 2 && data[0] == 0xFF && data[1] == 0xD8 && !vkattn__jpeg_check(data, n, why, sizeof why))
        return vkattn__fail(NULL, VKATTN_ERROR_FORMAT, "%s: corrupt JPEG (%s); refused before decoding", name, why);
    int w, h, c;
    if (!stbi_info_from_memory(data, (int)n, &w, &h, &c))
        return vkattn__fail(NULL, VKATTN_ERROR_FORMAT, "%s: not a readable image (%s); PNG, JPEG and BMP work", name,
                            stbi_failure_reason());
    if ((int64_t)w * h > 64ll * 1024 * 1024)
        return vkattn__fail(NULL, VKATTN_ERROR_TOO_LARGE, "%s: %d x %d pixels is too large (limit 64 Mpixel)", name, w, h);
    uint8_t *px = stbi_load_from_memory(data, (int)n, &w, &h, &c, 3);
    if (!px) return vkattn__fail(NULL, VKATTN_ERROR_FORMAT, "%s: decoding failed: %s", name, stbi_failure_reason());
    float *rgb = malloc((size_t)w * h * 3 * sizeof *rgb);
    if (!rgb) {
        stbi_image_free(px);
        return vkattn__fail(NULL, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    }
    for (size_t i = 0; i < (size_t)w * h * 3; i++) rgb[i] = px[i] / 255.0f;
    stbi_image_free(px);
    out->width = w;
    out->height = h;
    out->rgb = rgb;
    return VKATTN_OK;
}

vkattn_status vkattn_image_load(const char *path, vkattn_image *out) {
    if (!out) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "image_load: out is NULL");
    memset(out, 0, sizeof *out);
    if (!path) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "image_load: path is NULL");
    vkattn__mapped m;
    vkattn_status st = vkattn__map_file(path, &m);
    if (st != VKATTN_OK) return st;
    st = image_decode(m.data, (size_t)m.size, path, out);
    vkattn__unmap_file(&m);
    return st;
}

vkattn_status vkattn_image_load_memory(const void *data, size_t size, vkattn_image *out) {
    if (!out) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "image_load_memory: out is NULL");
    memset(out, 0, sizeof *out);
    if (!data && size) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "image_load_memory: data is NULL");
    return image_decode(data, size, "image", out);
}

void vkattn_image_free(vkattn_image *img) {
    if (!img) return;
    free(img->rgb);
    memset(img, 0, sizeof *img);
}

vkattn_status vkattn_image_resize(const vkattn_image *img, int width, int height, vkattn_image *out) {
    if (!img || !img->rgb || !out || width <= 0 || height <= 0 || width > 16384 || height > 16384)
        return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "image_resize: bad image or size %d x %d", width, height);
    memset(out, 0, sizeof *out);
    float *rgb = malloc((size_t)width * height * 3 * sizeof *rgb);
    if (!rgb) return vkattn__fail(NULL, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    /* triangle filter = bilinear, what ViT's preprocessor (resample=2) asks for; clamp edges */
    if (!stbir_resize_float_generic(img->rgb, img->width, img->height, 0, rgb, width, height, 0, 3, STBIR_ALPHA_CHANNEL_NONE,
                                    0, STBIR_EDGE_CLAMP, STBIR_FILTER_TRIANGLE, STBIR_COLORSPACE_LINEAR, NULL)) {
        free(rgb);
        return vkattn__fail(NULL, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "image_resize failed");
    }
    out->width = width;
    out->height = height;
    out->rgb = rgb;
    return VKATTN_OK;
}

vkattn_status vkattn_image_to_chw(const vkattn_image *img, const float mean[3], const float std[3], float *out) {
    if (!img || !img->rgb || !mean || !std || !out)
        return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "image_to_chw: NULL argument");
    for (int c = 0; c < 3; c++)
        if (!(std[c] > 0)) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "image_to_chw: std[%d] must be > 0", c);
    size_t hw = (size_t)img->width * img->height;
    for (int c = 0; c < 3; c++)
        for (size_t i = 0; i < hw; i++) out[c * hw + i] = (img->rgb[i * 3 + c] - mean[c]) / std[c];
    return VKATTN_OK;
}
