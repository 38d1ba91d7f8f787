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

/* Pixel budget of one decoded image: decoding holds about 15 bytes per pixel (8-bit RGB, then float RGB). */
#define IMAGE_MAX_PIXELS (64ll << 20)

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

/* Dimensions from a PNG (IHDR) or BMP header, read here because stb's own size limits fail with its
 * last-tried format's "not of any known type". 0 when neither. */
static int header_dims(const uint8_t *d, size_t n, int64_t *w, int64_t *h) {
    if (n >= 24 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0 && memcmp(d + 12, "IHDR", 4) == 0) {
        *w = be32(d + 16), *h = be32(d + 20);
        return 1;
    }
    if (n >= 26 && d[0] == 'B' && d[1] == 'M' && vkattn__le32(d + 14) >= 40) { /* BITMAPINFOHEADER or later */
        *w = (int32_t)vkattn__le32(d + 18), *h = (int32_t)vkattn__le32(d + 22);
        *w = *w < 0 ? -*w : *w, *h = *h < 0 ? -*h : *h; /* negative height: top-down rows */
        return 1;
    }
    return 0;
}

static vkattn_status too_large(const char *name, int64_t w, int64_t h) {
    return vkattn__fail(NULL, VKATTN_ERROR_TOO_LARGE,
                        "%s: the image is too large: %lld x %lld = %.1f Mpixel, more than the limit of %lld Mpixel; scale it down first", name, (long long)w, (long long)h, (double)w * (double)h / (1 << 20), IMAGE_MAX_PIXELS >> 20);
}

/* Decodes `n` bytes; `name` labels messages. JPEG segments are validated before stb sees them. */
static vkattn_status image_decode(const uint8_t *data, size_t n, const char *name, vkattn_image *out) {
    char why[128];
    if (n > INT32_MAX)
        return vkattn__fail(NULL, VKATTN_ERROR_TOO_LARGE, "%s: %zu bytes is too large for the image decoder (limit 2 GiB)", name, n);
    /* stb takes any file starting with 0xFF as a JPEG candidate (it skips 0xFF fill bytes before SOI) */
    if (n >= 1 && data[0] == 0xFF && !vkattn__jpeg_check(data, n, why, sizeof why))
        return vkattn__fail(NULL, VKATTN_ERROR_FORMAT, "%s: corrupt JPEG (%s); refused before decoding", name, why);
    int64_t hw, hh;
    /* unsigned: PNG dimensions reach 2^32 - 1 each (fuzz finding: the int64 product overflowed) */
    if (header_dims(data, n, &hw, &hh) && (uint64_t)hw * (uint64_t)hh > IMAGE_MAX_PIXELS) return too_large(name, hw, hh);
    int w, h, c;
    if (!stbi_info_from_memory(data, (int)n, &w, &h, &c))
        return vkattn__fail(NULL, VKATTN_ERROR_FORMAT, "%s: not a readable image (%s); PNG, JPEG and BMP work", name,
                            stbi_failure_reason());
    if ((int64_t)w * h > IMAGE_MAX_PIXELS) return too_large(name, w, h);
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
