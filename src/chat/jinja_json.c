/* Chat templates: JSON text (messages, extra variables) -> template values, as Python's json.loads
 * gives them to transformers: objects keep key order, numbers without a fraction or exponent stay ints,
 * \u escapes (with surrogate pairs) become UTF-8. Depth is bounded; any malformation is an error that
 * says where. */
#include "jinja.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

typedef struct jp {
    jj_arena *A;
    const char *s;
    size_t n, i;
    const char *what;
    vkattn_status st;
} jp;

static int jfail(jp *p, const char *msg) {
    if (!p->st) p->st = vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "%s: %s at byte %zu", p->what, msg, p->i);
    return -1;
}

static void ws(jp *p) {
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r')) p->i++;
}

static int hex4(jp *p, uint32_t *out) {
    if (p->i + 4 > p->n) return jfail(p, "truncated \\u escape");
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) {
        char c = p->s[p->i++];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return jfail(p, "bad \\u escape");
        v = v * 16 + (uint32_t)d;
    }
    *out = v;
    return 0;
}

static int string(jp *p, jj_str *out) {
    p->i++; /* opening quote */
    size_t start = p->i, esc = 0;
    while (p->i < p->n && p->s[p->i] != '"') {
        if ((unsigned char)p->s[p->i] < 0x20) return jfail(p, "control character in a string");
        if (p->s[p->i] == '\\') esc = 1, p->i++;
        p->i++;
    }
    if (p->i >= p->n) return jfail(p, "unterminated string");
    size_t end = p->i++;
    if (!esc) {
        *out = (jj_str){p->s + start, end - start};
        return 0;
    }
    char *d = jj_alloc(p->A, end - start + 1);
    if (!d) return jfail(p, "out of memory");
    size_t k = 0;
    for (p->i = start; p->i < end;) {
        char c = p->s[p->i++];
        if (c != '\\') {
            d[k++] = c;
            continue;
        }
        c = p->s[p->i++];
        uint32_t cp;
        switch (c) {
        case '"': case '\\': case '/': d[k++] = c; continue;
        case 'n': d[k++] = '\n'; continue;
        case 't': d[k++] = '\t'; continue;
        case 'r': d[k++] = '\r'; continue;
        case 'b': d[k++] = '\b'; continue;
        case 'f': d[k++] = '\f'; continue;
        case 'u':
            if (hex4(p, &cp)) return -1;
            if (cp >= 0xD800 && cp <= 0xDBFF && p->i + 6 <= end && p->s[p->i] == '\\' && p->s[p->i + 1] == 'u') {
                uint32_t lo;
                size_t save = p->i;
                p->i += 2;
                if (hex4(p, &lo)) return -1;
                if (lo >= 0xDC00 && lo <= 0xDFFF) cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                else p->i = save;
            }
            if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD; /* a lone surrogate cannot be UTF-8 */
            if (cp < 0x80) d[k++] = (char)cp;
            else if (cp < 0x800) d[k++] = (char)(0xC0 | cp >> 6), d[k++] = (char)(0x80 | (cp & 63));
            else if (cp < 0x10000) d[k++] = (char)(0xE0 | cp >> 12), d[k++] = (char)(0x80 | (cp >> 6 & 63)), d[k++] = (char)(0x80 | (cp & 63));
            else d[k++] = (char)(0xF0 | cp >> 18), d[k++] = (char)(0x80 | (cp >> 12 & 63)), d[k++] = (char)(0x80 | (cp >> 6 & 63)), d[k++] = (char)(0x80 | (cp & 63));
            continue;
        default: return jfail(p, "bad escape in a string");
        }
    }
    p->i = end + 1;
    *out = (jj_str){d, k};
    return 0;
}

static int value(jp *p, jj_val *out, int depth) {
    if (depth > JJ_MAX_DEPTH) return jfail(p, "nested too deep");
    ws(p);
    if (p->i >= p->n) return jfail(p, "unexpected end");
    char c = p->s[p->i];
    if (c == '"') {
        jj_str s;
        if (string(p, &s)) return -1;
        *out = jj_strv(s.p, s.n);
        return 0;
    }
    if (c == '[') {
        p->i++;
        jj_list *l = jj_list_new(p->A, 0);
        if (!l) return jfail(p, "out of memory");
        ws(p);
        if (p->i < p->n && p->s[p->i] == ']') p->i++;
        else
            for (;;) {
                jj_val v;
                if (value(p, &v, depth + 1)) return -1;
                if (jj_list_push(p->A, l, v)) return jfail(p, "out of memory");
                ws(p);
                if (p->i < p->n && p->s[p->i] == ',') { p->i++; continue; }
                if (p->i < p->n && p->s[p->i] == ']') { p->i++; break; }
                return jfail(p, "expected ',' or ']'");
            }
        out->t = JV_LIST;
        out->u.l = l;
        return 0;
    }
    if (c == '{') {
        p->i++;
        jj_dict *d = jj_dict_new(p->A, 0);
        if (!d) return jfail(p, "out of memory");
        ws(p);
        if (p->i < p->n && p->s[p->i] == '}') p->i++;
        else
            for (;;) {
                jj_str k;
                jj_val v;
                ws(p);
                if (p->i >= p->n || p->s[p->i] != '"') return jfail(p, "expected a string key");
                if (string(p, &k)) return -1;
                ws(p);
                if (p->i >= p->n || p->s[p->i] != ':') return jfail(p, "expected ':'");
                p->i++;
                if (value(p, &v, depth + 1)) return -1;
                if (jj_dict_set(p->A, d, k, v)) return jfail(p, "out of memory");
                ws(p);
                if (p->i < p->n && p->s[p->i] == ',') { p->i++; continue; }
                if (p->i < p->n && p->s[p->i] == '}') { p->i++; break; }
                return jfail(p, "expected ',' or '}'");
            }
        out->t = JV_DICT;
        out->u.d = d;
        return 0;
    }
    static const struct { const char *w; jj_type t; int b; } words[] = {
        {"true", JV_BOOL, 1}, {"false", JV_BOOL, 0}, {"null", JV_NONE, 0}};
    for (int k = 0; k < 3; k++) {
        size_t len = strlen(words[k].w);
        if (p->n - p->i >= len && memcmp(p->s + p->i, words[k].w, len) == 0) {
            p->i += len;
            *out = words[k].t == JV_BOOL ? jj_bool(words[k].b) : jj_none();
            return 0;
        }
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        size_t start = p->i;
        int is_float = 0;
        if (p->s[p->i] == '-') p->i++;
        while (p->i < p->n) {
            char d = p->s[p->i];
            if (d == '.' || d == 'e' || d == 'E') is_float = 1;
            else if (!((d >= '0' && d <= '9') || ((d == '+' || d == '-') && is_float))) break;
            p->i++;
        }
        char buf[64];
        size_t len = p->i - start;
        if (len >= sizeof buf) return jfail(p, "number too long");
        memcpy(buf, p->s + start, len);
        buf[len] = 0;
        char *end;
        if (!is_float) {
            long long v = strtoll(buf, &end, 10);
            if (*end == 0 && !(len > 18 && (v == LLONG_MAX || v == LLONG_MIN))) {
                *out = jj_int(v);
                return 0;
            }
        }
        double f = strtod(buf, &end);
        if (*end) return jfail(p, "bad number");
        *out = jj_float(f);
        return 0;
    }
    return jfail(p, "unexpected character");
}

vkattn_status jj_json_parse(jj_arena *A, const char *text, size_t len, jj_val *out, const char *what) {
    jp p = {.A = A, .s = text, .n = len, .what = what};
    if (value(&p, out, 0)) return p.st;
    ws(&p);
    if (p.i != p.n) {
        jfail(&p, "trailing characters");
        return p.st;
    }
    return VKATTN_OK;
}
