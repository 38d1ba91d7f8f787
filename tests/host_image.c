/* Images and attention-map PNGs: write, read back, check pixels; errors. */
#include "harness.h"

#include <math.h>
#include <string.h>

static int count_color(const vkattn_image *im, float r, float g, float b) {
    int n = 0;
    for (int i = 0; i < im->width * im->height; i++)
        if (fabsf(im->rgb[i * 3] - r) < 1.5f / 255 && fabsf(im->rgb[i * 3 + 1] - g) < 1.5f / 255 &&
            fabsf(im->rgb[i * 3 + 2] - b) < 1.5f / 255)
            n++;
    return n;
}

int main(void) {
    const char *png = "host_image_map.png", *ovl = "host_image_overlay.png";
    /* 3 x 4 map: one maximal cell, the rest zero */
    float p[12] = {0};
    p[5] = 0.9f;
    const char *rows[3] = {"The", "cat", "sat"}, *cols[4] = {"<s>", "The", "cat", "caf\xc3\xa9"};
    CHECK(vkattn_attnmap_png(png, p, 3, 4, rows, cols, "layer 0 head 1") == VKATTN_OK, "%s", vkattn_context_error(NULL));
    vkattn_image im;
    CHECK(vkattn_image_load(png, &im) == VKATTN_OK, "%s", vkattn_context_error(NULL));
    if (im.rgb) {
        int hot = count_color(&im, 253 / 255.f, 231 / 255.f, 37 / 255.f), cold = count_color(&im, 68 / 255.f, 1 / 255.f, 84 / 255.f);
        /* cells are 32 px: one hot cell, eleven cold ones (the colour bar adds a few rows of each) */
        CHECK(hot >= 32 * 32 && hot < 2 * 32 * 32, "hot pixels %d", hot);
        CHECK(cold >= 11 * 32 * 32 && cold < 12 * 32 * 32, "cold pixels %d", cold);
        CHECK(count_color(&im, 0, 0, 0) > 50, "no label text drawn");
        CHECK(im.width > 4 * 32 && im.height > 3 * 32, "size %d x %d", im.width, im.height);
    }
    vkattn_image_free(&im);

    /* overlay: weight in the top-left patch only -> top-left pixels carry the hot colour */
    vkattn_image base = {64, 64, th_alloc(64 * 64 * 3)};
    for (int i = 0; i < 64 * 64 * 3; i++) base.rgb[i] = 0.5f;
    float w[4] = {1, 0, 0, 0};
    CHECK(vkattn_attnmap_overlay_png(ovl, &base, w, 2, 2, NULL) == VKATTN_OK, "%s", vkattn_context_error(NULL));
    CHECK(vkattn_image_load(ovl, &im) == VKATTN_OK, "%s", vkattn_context_error(NULL));
    if (im.rgb) {
        const float *tl = im.rgb, *br = im.rgb + (63 * 64 + 63) * 3;
        CHECK(tl[0] > br[0] + 0.3f && tl[1] > br[1] + 0.3f, "overlay: top-left %g,%g bottom-right %g,%g", tl[0], tl[1], br[0], br[1]);
    }
    vkattn_image_free(&im);

    /* resize + normalise a constant image: exactly zero after (x - 0.5) / 0.5 */
    vkattn_image small;
    CHECK(vkattn_image_resize(&base, 7, 5, &small) == VKATTN_OK, "%s", vkattn_context_error(NULL));
    float chw[3 * 35], mean[3] = {0.5f, 0.5f, 0.5f}, sd[3] = {0.5f, 0.25f, 0.5f};
    CHECK(vkattn_image_to_chw(&small, mean, sd, chw) == VKATTN_OK, "to_chw");
    float worst = 0;
    for (int i = 0; i < 105; i++) worst = fmaxf(worst, fabsf(chw[i]));
    CHECK(worst < 1e-5f, "normalised constant image off by %g", worst);
    sd[1] = 0;
    CHECK(vkattn_image_to_chw(&small, mean, sd, chw) == VKATTN_ERROR_INVALID_ARGUMENT, "std 0 accepted");
    vkattn_image_free(&small);
    free(base.rgb);

    /* errors */
    CHECK(vkattn_image_load("/nonexistent/x.png", &im) == VKATTN_ERROR_IO, "missing file: %s", vkattn_context_error(NULL));
    CHECK(vkattn_image_load("CMakeLists.txt", &im) == VKATTN_ERROR_FORMAT, "text file: %s", vkattn_context_error(NULL));
    CHECK(im.rgb == NULL, "failed load left data");
    CHECK(vkattn_attnmap_png(png, p, 0, 4, NULL, NULL, NULL) == VKATTN_ERROR_INVALID_ARGUMENT, "0 rows accepted");

    /* too many pixels: refused from the header, before decoding, saying so (stb alone says "not of any known
     * type" for PNGs over its own limit: 20000 x 20000) */
    static const uint8_t png_head[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
                                       0, 0, 0x23, 0x28, 0, 0, 0x23, 0x28, 8, 2, 0, 0, 0}; /* 9000 x 9000 RGB */
    uint8_t hdr[64];
    memcpy(hdr, png_head, sizeof png_head);
    const struct { uint32_t w, h; vkattn_status want; } sizes[] = {
        {9000, 9000, VKATTN_ERROR_TOO_LARGE}, {20000, 20000, VKATTN_ERROR_TOO_LARGE}, {0xffffffffu, 2, VKATTN_ERROR_TOO_LARGE},
        {8192, 8192, VKATTN_ERROR_FORMAT}}; /* at the limit: read on, and this header-only file is corrupt */
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        for (int k = 0; k < 4; k++) hdr[16 + k] = (uint8_t)(sizes[i].w >> (24 - 8 * k)), hdr[20 + k] = (uint8_t)(sizes[i].h >> (24 - 8 * k));
        vkattn_status st = vkattn_image_load_memory(hdr, sizeof png_head, &im);
        const char *msg = vkattn_context_error(NULL);
        CHECK(st == sizes[i].want, "PNG %u x %u: %s: %s", sizes[i].w, sizes[i].h, vkattn_status_string(st), msg);
        if (sizes[i].want == VKATTN_ERROR_TOO_LARGE)
            CHECK(strstr(msg, "too large") && strstr(msg, "limit of 64 Mpixel"), "PNG %u x %u: message: %s", sizes[i].w, sizes[i].h, msg);
    }
    /* BMP, bottom-up and top-down (negative height) */
    memset(hdr, 0, sizeof hdr);
    hdr[0] = 'B', hdr[1] = 'M', hdr[14] = 40;
    const int32_t bmp_h[] = {10000, -10000};
    for (int i = 0; i < 2; i++) {
        uint32_t bw = 10000, bh = (uint32_t)bmp_h[i];
        for (int k = 0; k < 4; k++) hdr[18 + k] = (uint8_t)(bw >> 8 * k), hdr[22 + k] = (uint8_t)(bh >> 8 * k);
        vkattn_status st = vkattn_image_load_memory(hdr, sizeof hdr, &im);
        CHECK(st == VKATTN_ERROR_TOO_LARGE && strstr(vkattn_context_error(NULL), "10000 x 10000"), "BMP height %d: %s: %s",
              bmp_h[i], vkattn_status_string(st), vkattn_context_error(NULL));
    }
    remove(png);
    remove(ovl);
    return th_finish(NULL);
}
