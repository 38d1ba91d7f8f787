/* JPEG files that Debian's stb_image 2.27 would mis-handle are refused before
 * decoding (src/formats/jpeg_check.c); valid files still load; no mutation of a
 * valid file crashes (this test runs under ASan + UBSan in scripts/test.sh). */
#include "harness.h"

#include <string.h>

typedef struct { uint8_t b[8192]; size_t n; } buf;

/* Offset of the first marker m (0xFF m) at or after `from`, walking segments; 0 if none. */
static size_t find_marker(const buf *j, unsigned m, size_t from) {
    for (size_t i = from; i + 3 < j->n;) {
        if (j->b[i] != 0xFF) return 0;
        if (j->b[i + 1] == m) return i;
        if (j->b[i + 1] == 0xDA) return 0; /* entropy-coded data follows */
        i += 2 + ((size_t)j->b[i + 2] << 8 | j->b[i + 3]);
    }
    return 0;
}

/* Loads bytes; expects `want` and, for refusals, `phrase` in the message. */
static void expect(const uint8_t *p, size_t n, vkattn_status want, const char *phrase, const char *what) {
    vkattn_image im;
    vkattn_status st = vkattn_image_load_memory(p, n, &im);
    const char *msg = vkattn_context_error(NULL);
    CHECK(st == want, "%s: got %s (%s), expected %s", what, vkattn_status_string(st), msg, vkattn_status_string(want));
    if (st != VKATTN_OK && phrase) CHECK(strstr(msg, phrase) != NULL, "%s: message '%s' lacks '%s'", what, msg, phrase);
    if (st != VKATTN_OK) CHECK(im.rgb == NULL, "%s: failed load left data", what);
    vkattn_image_free(&im);
}

int main(void) {
    /* a valid baseline JPEG: a 24 x 16 gradient (r = 10x, g = 15y, b = 128) that stb_image_write wrote
     * at quality 95 (committed: the writer itself trips UBSan with an int left shift) */
    static buf jpg;
    FILE *in = fopen("data/gradient_24x16.jpg", "rb");
    CHECK(in != NULL, "tests/data/gradient_24x16.jpg missing");
    if (!in) return th_finish(NULL);
    jpg.n = fread(jpg.b, 1, sizeof jpg.b, in);
    fclose(in);
    vkattn_image im;
    CHECK(vkattn_image_load_memory(jpg.b, jpg.n, &im) == VKATTN_OK, "valid JPEG: %s", vkattn_context_error(NULL));
    if (im.rgb) {
        CHECK(im.width == 24 && im.height == 16, "size %d x %d", im.width, im.height);
        float r = im.rgb[(8 * 24 + 20) * 3] * 255, g = im.rgb[(8 * 24 + 20) * 3 + 1] * 255;
        CHECK(r > 185 && r < 215 && g > 105 && g < 135, "pixel (20, 8) = %g, %g, expected about 200, 120", r, g);
    }
    vkattn_image_free(&im);

    /* the 9-byte file: a DHT whose code counts add up to 276 */
    const uint8_t dht9[] = {0xff, 0xd8, 0xff, 0xc4, 0x00, 0x15, 0x01, 0xff, 0x15};
    expect(dht9, sizeof dht9, VKATTN_ERROR_FORMAT, "corrupt JPEG", "9-byte DHT");
    /* the same behind 0xFF fill bytes before SOI, which stb skips (fuzz finding, tests/fuzz/crashes/image) */
    const uint8_t dht_fill[] = {0xff, 0xff, 0xff, 0xd8, 0xff, 0xc4, 0x00, 0x15, 0x01, 0xff, 0x15};
    expect(dht_fill, sizeof dht_fill, VKATTN_ERROR_FORMAT, "corrupt JPEG", "DHT after fill bytes");
    /* the same through a file path (stbi_info was the way in) */
    FILE *f = fopen("host_jpeg_dht9.jpg", "wb");
    CHECK(f && fwrite(dht9, 1, sizeof dht9, f) == sizeof dht9, "write temp file");
    if (f) fclose(f);
    CHECK(vkattn_image_load("host_jpeg_dht9.jpg", &im) == VKATTN_ERROR_FORMAT, "9-byte file by path: %s",
          vkattn_context_error(NULL));
    remove("host_jpeg_dht9.jpg");

    /* a complete DHT with 16 x 255 codes and all its symbols present */
    static uint8_t big[4 + 17 + 16 * 255 + 2];
    size_t bl = 0;
    big[bl++] = 0xff, big[bl++] = 0xd8, big[bl++] = 0xff, big[bl++] = 0xc4;
    size_t seglen = 2 + 17 + 16 * 255;
    big[bl++] = (uint8_t)(seglen >> 8), big[bl++] = (uint8_t)seglen, big[bl++] = 0x10;
    for (int k = 0; k < 16; k++) big[bl++] = 255;
    bl += 16 * 255;
    expect(big, bl, VKATTN_ERROR_FORMAT, "more than 256 codes", "4080-code DHT");

    size_t dht = find_marker(&jpg, 0xC4, 2), dqt = find_marker(&jpg, 0xDB, 2), sos = find_marker(&jpg, 0xDA, 2);
    CHECK(dht && dqt, "the written JPEG has no DHT or DQT");
    if (dht && dqt) {
        static buf m;
        /* counts of the first table raised past 256 in place */
        m = jpg;
        m.b[dht + 5 + 8] = 250;
        expect(m.b, m.n, VKATTN_ERROR_FORMAT, "corrupt JPEG", "DHT counts > 256");
        /* a DC table whose symbol is a bit count above 15 */
        m = jpg;
        CHECK((m.b[dht + 4] >> 4) == 0, "first table is not DC");
        m.b[dht + 4 + 17] = 200;
        expect(m.b, m.n, VKATTN_ERROR_FORMAT, "DC Huffman symbol", "DC symbol 200");
        /* a quantization table with precision 2 */
        m = jpg;
        m.b[dqt + 4] = 0x20;
        expect(m.b, m.n, VKATTN_ERROR_FORMAT, "quantization table", "DQT precision 2");
        /* a segment length beyond the end of the file */
        m = jpg;
        m.b[dht + 2] = 0xff;
        expect(m.b, m.n, VKATTN_ERROR_FORMAT, "longer than the file", "DHT length past EOF");
    }
    /* a bad DHT after the scan, where progressive files keep their tables */
    if (jpg.n > 2 && jpg.b[jpg.n - 2] == 0xFF && jpg.b[jpg.n - 1] == 0xD9) {
        static buf m;
        m = jpg;
        m.n -= 2;
        memcpy(m.b + m.n, dht9 + 2, 7);
        m.n += 7;
        for (int k = 0; k < 14; k++) m.b[m.n++] = 0xff;
        m.b[m.n++] = 0xff, m.b[m.n++] = 0xd9;
        expect(m.b, m.n, VKATTN_ERROR_FORMAT, "corrupt JPEG", "bad DHT after the scan");
    } else {
        CHECK(0, "the written JPEG does not end with EOI");
    }
    CHECK(sos != 0, "no SOS found");

    /* every truncation and 3000 seeded byte mutations: refused or decoded, never a crash */
    for (size_t n = 0; n < jpg.n; n++) {
        vkattn_status st = vkattn_image_load_memory(jpg.b, n, &im);
        CHECK(st == VKATTN_OK || st == VKATTN_ERROR_FORMAT, "truncated at %zu: %s", n, vkattn_status_string(st));
        vkattn_image_free(&im);
    }
    th_seed(12);
    static buf m;
    for (int t = 0; t < 3000; t++) {
        m = jpg;
        int flips = 1 + t % 4;
        for (int k = 0; k < flips; k++) {
            size_t at = 2 + (size_t)th_uniform(0, (float)(jpg.n - 2));
            if (at >= jpg.n) at = jpg.n - 1;
            m.b[at] = (uint8_t)th_uniform(0, 256);
        }
        vkattn_status st = vkattn_image_load_memory(m.b, m.n, &im);
        CHECK(st == VKATTN_OK || st == VKATTN_ERROR_FORMAT || st == VKATTN_ERROR_TOO_LARGE, "mutation %d: %s", t,
              vkattn_status_string(st));
        vkattn_image_free(&im);
    }
    return th_finish(NULL);
}
