/* Attention maps as PNG: a heat map of probabilities with token labels on
 * both axes (text drawn with stb_easy_font's quads), or a patch-weight
 * overlay on an image (ViT: the CLS token's attention over the patches). */
#include "core/core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/stb_warnings.h"
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>
#include <stb_easy_font.h>
#pragma GCC diagnostic pop
#pragma GCC diagnostic ignored "-Wunused-function" /* stb declares statics it may not define */

typedef struct {
    int w, h;
    uint8_t *px; /* RGB */
} canvas;

static void put(canvas *c, int x, int y, const uint8_t rgb[3]) {
    if (x < 0 || y < 0 || x >= c->w || y >= c->h) return;
    memcpy(c->px + ((size_t)y * c->w + x) * 3, rgb, 3);
}

static void rect(canvas *c, int x0, int y0, int x1, int y1, const uint8_t rgb[3]) {
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) put(c, x, y, rgb);
}

/* Viridis, 9 anchors, linearly interpolated: perceptually ordered, colour-blind safe. */
static void colormap(float t, uint8_t out[3]) {
    static const uint8_t v[9][3] = {{68, 1, 84},    {71, 44, 122},  {59, 81, 139},  {44, 113, 142}, {33, 144, 141},
                                    {39, 173, 129}, {92, 200, 99},  {170, 220, 50}, {253, 231, 37}};
    if (!(t > 0)) t = 0;
    if (t > 1) t = 1;
    float f = t * 8;
    int i = (int)f;
    if (i > 7) i = 7;
    float a = f - i;
    for (int k = 0; k < 3; k++) out[k] = (uint8_t)lrintf(v[i][k] * (1 - a) + v[i + 1][k] * a);
}

/* ASCII only, at most 18 characters: what stb_easy_font can draw, short enough for an axis. */
static void label_text(const char *in, char *out, size_t n) {
    size_t j = 0;
    for (size_t i = 0; in && in[i] && j + 1 < n; i++) {
        unsigned char ch = (unsigned char)in[i];
        if (ch >= 0x80) {
            while ((in[i + 1] & 0xc0) == 0x80) i++; /* one '?' per UTF-8 character */
            out[j++] = '?';
        } else {
            out[j++] = ch < 0x20 ? ' ' : (char)ch;
        }
    }
    out[j] = '\0';
    if (j == n - 1 && n > 4) out[j - 1] = '~';
}

/* Draws text with its top-left at (x, y); vertical = reads bottom-to-top, ending at (x, y). */
static void text(canvas *c, int x, int y, const char *s, int scale, int vertical, const uint8_t rgb[3]) {
    static char vbuf[64 * 1024];
    char tmp[64];
    label_text(s, tmp, 20);
    int quads = stb_easy_font_print(0, 0, tmp, NULL, vbuf, sizeof vbuf);
    for (int q = 0; q < quads; q++) {
        const float *v0 = (const float *)(vbuf + q * 64), *v2 = (const float *)(vbuf + q * 64 + 32);
        int x0 = (int)v0[0] * scale, y0 = (int)v0[1] * scale, x1 = (int)v2[0] * scale, y1 = (int)v2[1] * scale;
        if (vertical) rect(c, x + y0, y - x1, x + y1, y - x0, rgb);
        else rect(c, x + x0, y + y0, x + x1, y + y1, rgb);
    }
}

static int text_width(const char *s, int scale) {
    char tmp[64];
    label_text(s, tmp, 20);
    return stb_easy_font_width(tmp) * scale;
}

static vkattn_status save(canvas *c, const char *path) {
    int ok = stbi_write_png(path, c->w, c->h, 3, c->px, c->w * 3);
    free(c->px);
    return ok ? VKATTN_OK : vkattn__fail(NULL, VKATTN_ERROR_IO, "%s: cannot write the PNG", path);
}

vkattn_status vkattn_attnmap_png(const char *path, const float *probs, int rows, int cols, const char *const *row_labels,
                                 const char *const *col_labels, const char *title) {
    if (!path || !probs || rows <= 0 || cols <= 0 || rows > 4096 || cols > 4096)
        return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "attnmap_png: need a path, probabilities and 1..4096 rows/cols");
    int big = rows > cols ? rows : cols;
    int cell = 800 / big;
    if (cell > 32) cell = 32;
    if (cell < 1) cell = 1;
    int scale = cell >= 14 ? 2 : 1;
    int show_labels = cell >= 7;
    int left = 8, top = 8 + (title ? 12 * 2 : 0);
    for (int i = 0; show_labels && row_labels && i < rows; i++) {
        int w = text_width(row_labels[i], scale);
        if (w + 16 > left) left = w + 16;
    }
    int col_h = 0;
    for (int j = 0; show_labels && col_labels && j < cols; j++) {
        int w = text_width(col_labels[j], scale);
        if (w > col_h) col_h = w;
    }
    top += col_h + 8;
    canvas c = {left + cols * cell + 70, top + rows * cell + 16, NULL};
    c.px = malloc((size_t)c.w * c.h * 3);
    if (!c.px) return vkattn__fail(NULL, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    memset(c.px, 255, (size_t)c.w * c.h * 3);
    const uint8_t black[3] = {0, 0, 0};
    float maxp = 0;
    for (size_t i = 0; i < (size_t)rows * cols; i++)
        if (isfinite(probs[i]) && probs[i] > maxp) maxp = probs[i];
    if (maxp <= 0) maxp = 1;
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) {
            uint8_t rgb[3];
            colormap(probs[(size_t)i * cols + j] / maxp, rgb);
            rect(&c, left + j * cell, top + i * cell, left + (j + 1) * cell, top + (i + 1) * cell, rgb);
        }
    if (title) text(&c, 8, 6, title, 2, 0, black);
    for (int i = 0; show_labels && row_labels && i < rows; i++)
        text(&c, left - 8 - text_width(row_labels[i], scale), top + i * cell + (cell - 7 * scale) / 2, row_labels[i], scale, 0,
             black);
    for (int j = 0; show_labels && col_labels && j < cols; j++)
        text(&c, left + j * cell + (cell - 7 * scale) / 2, top - 6, col_labels[j], scale, 1, black);
    /* colour bar: 0 at the bottom, the map's maximum at the top */
    int bx = left + cols * cell + 16, bh = rows * cell;
    for (int y = 0; y < bh; y++) {
        uint8_t rgb[3];
        colormap(1.0f - (float)y / (bh > 1 ? bh - 1 : 1), rgb);
        rect(&c, bx, top + y, bx + 14, top + y + 1, rgb);
    }
    char num[32];
    snprintf(num, sizeof num, "%.2f", maxp);
    text(&c, bx + 18, top, num, 1, 0, black);
    text(&c, bx + 18, top + bh - 7, "0", 1, 0, black);
    return save(&c, path);
}

vkattn_status vkattn_attnmap_overlay_png(const char *path, const vkattn_image *img, const float *weights, int grid_h,
                                         int grid_w, const char *title) {
    if (!path || !img || !img->rgb || !weights || grid_h <= 0 || grid_w <= 0)
        return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "attnmap_overlay_png: NULL argument or empty grid");
    int top = title ? 24 : 0;
    canvas c = {img->width, img->height + top, NULL};
    c.px = malloc((size_t)c.w * c.h * 3);
    if (!c.px) return vkattn__fail(NULL, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    memset(c.px, 255, (size_t)c.w * c.h * 3);
    float maxw = 0;
    for (int i = 0; i < grid_h * grid_w; i++)
        if (isfinite(weights[i]) && weights[i] > maxw) maxw = weights[i];
    if (maxw <= 0) maxw = 1;
    for (int y = 0; y < img->height; y++)
        for (int x = 0; x < img->width; x++) {
            /* bilinear sample of the patch grid at this pixel's centre */
            float gy = ((y + 0.5f) * grid_h / img->height) - 0.5f, gx = ((x + 0.5f) * grid_w / img->width) - 0.5f;
            int y0 = (int)floorf(gy), x0 = (int)floorf(gx);
            float fy = gy - y0, fx = gx - x0, w = 0;
            for (int dy = 0; dy < 2; dy++)
                for (int dx = 0; dx < 2; dx++) {
                    int yy = y0 + dy < 0 ? 0 : y0 + dy >= grid_h ? grid_h - 1 : y0 + dy;
                    int xx = x0 + dx < 0 ? 0 : x0 + dx >= grid_w ? grid_w - 1 : x0 + dx;
                    w += weights[yy * grid_w + xx] * (dy ? fy : 1 - fy) * (dx ? fx : 1 - fx);
                }
            uint8_t heat[3], rgb[3];
            colormap(w / maxw, heat);
            const float *p = img->rgb + ((size_t)y * img->width + x) * 3;
            for (int k = 0; k < 3; k++) rgb[k] = (uint8_t)lrintf(fminf(255.0f, 0.45f * p[k] * 255.0f + 0.55f * heat[k]));
            put(&c, x, y + top, rgb);
        }
    const uint8_t black[3] = {0, 0, 0};
    if (title) text(&c, 6, 4, title, 2, 0, black);
    return save(&c, path);
}
