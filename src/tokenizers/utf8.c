/* UTF-8 decoding and encoding, the code point classes the BPE pre-tokenizers need, and GPT-2's
 * byte <-> unicode mapping.
 *
 * Classes come from a generated table (unicode_table.h, ~800 ranges, Unicode 14.0 via Python's
 * unicodedata): letter = general category L*, number = N*, space = the White_Space property, everything
 * else (marks, punctuation, symbols, controls, unassigned) is "other". Approximation: code points assigned
 * after Unicode 14.0 count as "other"; llama.cpp's own table is a newer Unicode version. */
#include "tokenizer.h"

#include "unicode_table.h"

int vkattn__utf8_next(const uint8_t *s, size_t n, uint32_t *cp) {
    uint8_t b = s[0];
    if (b < 0x80) {
        *cp = b;
        return 1;
    }
    int len;
    uint32_t c;
    uint8_t lo = 0x80, hi = 0xBF; /* allowed range of the second byte (Table 3-7) */
    if (b >= 0xC2 && b <= 0xDF) {
        len = 2;
        c = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) {
        len = 3;
        c = b & 0x0F;
        if (b == 0xE0) lo = 0xA0;      /* no overlongs */
        else if (b == 0xED) hi = 0x9F; /* no surrogates */
    } else if (b >= 0xF0 && b <= 0xF4) {
        len = 4;
        c = b & 0x07;
        if (b == 0xF0) lo = 0x90;      /* no overlongs */
        else if (b == 0xF4) hi = 0x8F; /* <= U+10FFFF */
    } else {
        return -1; /* continuation byte, C0, C1, F5..FF */
    }
    for (int i = 1; i < len; i++) {
        if ((size_t)i >= n) return 0;
        uint8_t x = s[i];
        if (x < lo || x > hi) return -i;
        lo = 0x80;
        hi = 0xBF;
        c = c << 6 | (x & 0x3F);
    }
    *cp = c;
    return len;
}

size_t vkattn__utf8_put(uint32_t cp, char out[4]) {
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

int vkattn__unicode_class(uint32_t cp) {
    size_t lo = 0, hi = sizeof vkattn__unicode_ranges / sizeof vkattn__unicode_ranges[0];
    while (lo < hi) { /* first range whose last >= cp */
        size_t mid = (lo + hi) / 2;
        if ((vkattn__unicode_ranges[mid][1] & 0xFFFFFF) < cp) lo = mid + 1;
        else hi = mid;
    }
    if (lo < sizeof vkattn__unicode_ranges / sizeof vkattn__unicode_ranges[0] && vkattn__unicode_ranges[lo][0] <= cp)
        return (int)(vkattn__unicode_ranges[lo][1] >> 24);
    return VKATTN__CLS_OTHER;
}

/* Bytes GPT-2 keeps as themselves: '!'..'~', U+00A1..U+00AC, U+00AE..U+00FF. */
static int printable(unsigned b) { return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE; }

uint32_t vkattn__byte_to_cp(uint8_t b) {
    /* the 68 others get U+0100.. in byte order: 0x00..0x20, 0x7F..0xA0, 0xAD */
    if (printable(b)) return b;
    if (b <= 0x20) return 256u + b;
    if (b <= 0xA0) return 256u + 33 + (b - 0x7Fu);
    return 256u + 67; /* 0xAD */
}

int vkattn__cp_to_byte(uint32_t cp) {
    if (cp < 256) return printable(cp) ? (int)cp : -1;
    uint32_t n = cp - 256;
    if (n < 33) return (int)n;
    if (n < 67) return (int)(0x7F + n - 33);
    return n == 67 ? 0xAD : -1;
}
