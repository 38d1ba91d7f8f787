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
    remove(png);
    remove(ovl);
    return th_finish(NULL);
}
