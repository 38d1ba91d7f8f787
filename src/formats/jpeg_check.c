/* A JPEG marker-segment validator, run before any byte reaches stb_image.
 *
 * Why: Debian 12's stb_image (v2.27) trusts a DHT segment's 16 code counts;
 * when they add up to more than 256, stbi__build_huffman writes past
 * huffman.size[257] and the DHT loop past values[256] (nothings/stb#1289,
 * fixed upstream in 2.28). stbi_info alone is enough to reach it. So every
 * segment the decoder will parse is checked here first: the whole marker
 * structure, including the DHT/DQT/DRI segments that progressive files put
 * between scans, must be well formed, or the file is refused. */
#include "formats.h"

#include <stdio.h>
#include <string.h>

static unsigned be16(const uint8_t *p) { return (unsigned)p[0] << 8 | p[1]; }

static int bad(char *why, size_t n, const char *msg, size_t at) {
    snprintf(why, n, "%s at byte %zu", msg, at);
    return 0;
}

/* One DHT segment body: tables of (class/id, 16 counts, sum(counts) symbols). */
static int check_dht(const uint8_t *p, size_t len, size_t at, char *why, size_t wn) {
    size_t i = 0;
    while (i < len) {
        if (len - i < 17) return bad(why, wn, "truncated Huffman table", at + i);
        unsigned tc = p[i] >> 4, th = p[i] & 15, sum = 0;
        if (tc > 1 || th > 3) return bad(why, wn, "bad Huffman table class or id", at + i);
        for (int k = 1; k <= 16; k++) sum += p[i + k];
        if (sum > 256) return bad(why, wn, "Huffman table with more than 256 codes", at + i);
        if (len - i - 17 < sum) return bad(why, wn, "Huffman table longer than its segment", at + i);
        if (tc == 0) /* DC symbols are bit counts: the decoder indexes tables of 16 with them */
            for (unsigned k = 0; k < sum; k++)
                if (p[i + 17 + k] > 15) return bad(why, wn, "DC Huffman symbol above 15", at + i + 17 + k);
        i += 17 + sum;
    }
    return 1;
}

static int check_dqt(const uint8_t *p, size_t len, size_t at, char *why, size_t wn) {
    size_t i = 0;
    while (i < len) {
        unsigned pq = p[i] >> 4, tq = p[i] & 15;
        if (pq > 1 || tq > 3) return bad(why, wn, "bad quantization table precision or id", at + i);
        size_t sz = 1 + 64 * (pq ? 2 : 1);
        if (len - i < sz) return bad(why, wn, "quantization table longer than its segment", at + i);
        i += sz;
    }
    return 1;
}

int vkattn__jpeg_check(const uint8_t *p, size_t n, char *why, size_t why_size) {
    size_t i = 1;
    while (i < n && p[i] == 0xFF) i++; /* fill bytes before SOI: stb skips them too (fuzz finding) */
    if (n < 4 || p[0] != 0xFF || i >= n || p[i] != 0xD8) return bad(why, why_size, "no JPEG start-of-image marker", 0);
    i++;
    int in_scan = 0;
    while (i < n) {
        if (p[i] != 0xFF) {
            if (!in_scan) return bad(why, why_size, "expected a marker", i);
            i++; /* entropy-coded data */
            continue;
        }
        while (i + 1 < n && p[i + 1] == 0xFF) i++; /* fill bytes */
        if (i + 1 >= n) break;
        unsigned m = p[i + 1];
        if (in_scan && (m == 0x00 || (m >= 0xD0 && m <= 0xD7))) { /* stuffed 0xFF, restart marker */
            i += 2;
            continue;
        }
        if (m == 0xD9) return 1; /* end of image: stb stops here */
        if (m == 0x00 || m == 0xD8 || (m >= 0xD0 && m <= 0xD7) || m == 0x01)
            return bad(why, why_size, "unexpected marker", i);
        if (n - i < 4) return bad(why, why_size, "truncated marker segment", i);
        size_t len = be16(p + i + 2);
        if (len < 2 || len > n - i - 2) return bad(why, why_size, "marker segment longer than the file", i);
        const uint8_t *body = p + i + 4;
        size_t blen = len - 2, at = i + 4;
        int ok = 1;
        if (m == 0xC4) ok = check_dht(body, blen, at, why, why_size);
        else if (m == 0xDB) ok = check_dqt(body, blen, at, why, why_size);
        else if (m == 0xDD && blen != 2) ok = bad(why, why_size, "bad restart-interval segment", i);
        else if (m == 0xDA) { /* start of scan: 1..4 components, then entropy-coded data */
            if (blen < 1 || body[0] < 1 || body[0] > 4 || blen != 4u + 2u * body[0])
                ok = bad(why, why_size, "bad start-of-scan segment", i);
            in_scan = 1;
        } else if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) { /* start of frame */
            if (blen < 6 || body[5] < 1 || blen != 6u + 3u * body[5]) ok = bad(why, why_size, "bad start-of-frame segment", i);
        }
        if (!ok) return 0;
        i += 2 + len;
    }
    /* no end-of-image marker: stb reads a truncated scan as zeros, which is safe */
    return 1;
}
