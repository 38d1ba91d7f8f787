/* Chat templates: what a template can call. Filters and tests as Jinja2 3.1 defines them, the globals
 * transformers adds (raise_exception, strftime_now) beside range/namespace/dict, the str and dict methods
 * templates use (strip, split, startswith, items, get, ...), Python's str()/repr() and transformers' tojson
 * (json.dumps with ensure_ascii=False). Case mapping (upper, lower, title) covers ASCII only. */
#include "jinja.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ARG(i) (args->n > (i) && !(args->kw && args->kw[i].n) ? args->v[i] : jj_undef())

/* keyword argument `name`, or positional `pos`, or undefined */
static jj_val arg(const jj_args *args, int pos, const char *name) {
    for (int i = 0; i < args->n; i++)
        if (args->kw && args->kw[i].n && jj_str_eq(args->kw[i], name)) return args->v[i];
    int k = 0;
    for (int i = 0; i < args->n; i++) {
        if (args->kw && args->kw[i].n) continue;
        if (k++ == pos) return args->v[i];
    }
    return jj_undef();
}

static int given(jj_val v) { return v.t != JV_UNDEF; }

/* ---- str / repr ---- */

static void float_repr(double f, char *out, size_t cap) {
    if (isnan(f)) { snprintf(out, cap, "nan"); return; }
    if (isinf(f)) { snprintf(out, cap, f < 0 ? "-inf" : "inf"); return; }
    char tmp[40];
    int prec = 1;
    for (; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec - 1, f);
        if (strtod(tmp, NULL) == f) break;
    }
    /* tmp = [-]d.ddde[+-]XX: digits and exponent */
    char digits[24];
    int nd = 0, neg = tmp[0] == '-';
    const char *q = tmp + neg;
    for (; *q && *q != 'e'; q++)
        if (*q != '.') digits[nd++] = *q;
    int e = atoi(q + 1);
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    digits[nd] = 0;
    char *o = out;
    size_t left = cap;
#define PUT(...) do { int w_ = snprintf(o, left, __VA_ARGS__); if (w_ < 0 || (size_t)w_ >= left) return; o += w_; left -= (size_t)w_; } while (0)
    if (neg) PUT("-");
    if (e < -4 || e >= 16) {
        PUT("%c", digits[0]);
        if (nd > 1) PUT(".%s", digits + 1);
        PUT("e%c%02d", e < 0 ? '-' : '+', e < 0 ? -e : e);
    } else if (e >= 0) {
        for (int i = 0; i <= e; i++) PUT("%c", i < nd ? digits[i] : '0');
        PUT(".");
        if (nd > e + 1) PUT("%s", digits + e + 1);
        else PUT("0");
    } else {
        PUT("0.");
        for (int i = 0; i < -e - 1; i++) PUT("0");
        PUT("%s", digits);
    }
#undef PUT
}

/* One UTF-8 sequence at s (n bytes left): its code point and length (invalid bytes: themselves, 1). */
static uint32_t utf8_cp(const char *s, size_t n, size_t *len) {
    const unsigned char *u = (const unsigned char *)s;
    int k = u[0] < 0x80 ? 1 : (u[0] >> 5) == 6 ? 2 : (u[0] >> 4) == 14 ? 3 : (u[0] >> 3) == 30 ? 4 : 0;
    if (k == 0 || (size_t)k > n) {
        *len = 1;
        return u[0];
    }
    uint32_t cp = k == 1 ? u[0] : u[0] & (0x7F >> k);
    for (int i = 1; i < k; i++) {
        if ((u[i] & 0xC0) != 0x80) {
            *len = 1;
            return u[0];
        }
        cp = cp << 6 | (u[i] & 63);
    }
    *len = (size_t)k;
    return cp;
}

static int py_isspace(uint32_t c) {
    return (c >= 9 && c <= 13) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

static int py_isprintable(uint32_t c) {
    if (c < 0x20 || c == 0x7F) return 0;
    if (c < 0x7F) return 1;
    if (c <= 0xA0 || c == 0xAD || c == 0x1680 || (c >= 0x2000 && c <= 0x200F) || (c >= 0x2028 && c <= 0x202F) ||
        (c >= 0x205F && c <= 0x206F) || c == 0x3000 || c == 0xFEFF || (c >= 0xD800 && c <= 0xF8FF) ||
        (c >= 0xFFF9 && c <= 0xFFFB) || c >= 0xF0000)
        return 0;
    return 1;
}

static int write_repr_str(jj_buf *b, jj_str s) {
    int has_sq = memchr(s.p, '\'', s.n) != NULL, has_dq = memchr(s.p, '"', s.n) != NULL;
    char q = has_sq && !has_dq ? '"' : '\'';
    jj_buf_put(b, &q, 1);
    for (size_t i = 0; i < s.n;) {
        size_t len;
        uint32_t c = utf8_cp(s.p + i, s.n - i, &len);
        char esc[16];
        if (c == (uint32_t)q || c == '\\') snprintf(esc, sizeof esc, "\\%c", (char)c);
        else if (c == '\n') snprintf(esc, sizeof esc, "\\n");
        else if (c == '\r') snprintf(esc, sizeof esc, "\\r");
        else if (c == '\t') snprintf(esc, sizeof esc, "\\t");
        else if (py_isprintable(c)) {
            jj_buf_put(b, s.p + i, len);
            i += len;
            continue;
        } else if (c < 0x100) snprintf(esc, sizeof esc, "\\x%02x", c);
        else if (c < 0x10000) snprintf(esc, sizeof esc, "\\u%04x", c);
        else snprintf(esc, sizeof esc, "\\U%08x", c);
        jj_buf_put(b, esc, strlen(esc));
        i += len;
    }
    return jj_buf_put(b, &q, 1);
}

static int write_scalar(jj_vm *vm, jj_buf *b, jj_val v, int repr) {
    char tmp[48];
    switch (v.t) {
    case JV_UNDEF: return 0;
    case JV_NONE: return jj_buf_put(b, "None", 4);
    case JV_BOOL: return v.u.b ? jj_buf_put(b, "True", 4) : jj_buf_put(b, "False", 5);
    case JV_INT: snprintf(tmp, sizeof tmp, "%lld", (long long)v.u.i); return jj_buf_put(b, tmp, strlen(tmp));
    case JV_FLOAT: float_repr(v.u.f, tmp, sizeof tmp); return jj_buf_put(b, tmp, strlen(tmp));
    case JV_STR: return repr ? write_repr_str(b, v.u.s) : jj_buf_put(b, v.u.s.p, v.u.s.n);
    case JV_LIST: case JV_TUPLE: {
        jj_buf_put(b, v.t == JV_LIST ? "[" : "(", 1);
        for (size_t i = 0; i < v.u.l->n; i++) {
            if (i) jj_buf_put(b, ", ", 2);
            if (jj_write_repr(vm, b, v.u.l->v[i])) return -1;
        }
        if (v.t == JV_TUPLE && v.u.l->n == 1) jj_buf_put(b, ",", 1);
        return jj_buf_put(b, v.t == JV_LIST ? "]" : ")", 1);
    }
    case JV_DICT: case JV_NS: {
        if (v.t == JV_NS) jj_buf_put(b, "<Namespace ", 11);
        jj_buf_put(b, "{", 1);
        for (size_t i = 0; i < v.u.d->n; i++) {
            if (i) jj_buf_put(b, ", ", 2);
            write_repr_str(b, v.u.d->k[i]);
            jj_buf_put(b, ": ", 2);
            if (jj_write_repr(vm, b, v.u.d->v[i])) return -1;
        }
        jj_buf_put(b, "}", 1);
        return v.t == JV_NS ? jj_buf_put(b, ">", 1) : 0;
    }
    case JV_FUNC:
        snprintf(tmp, sizeof tmp, "<function %.*s>", (int)(v.u.fn->name.n < 30 ? v.u.fn->name.n : 30), v.u.fn->name.p);
        return jj_buf_put(b, tmp, strlen(tmp));
    }
    return 0;
}

int jj_write_str(jj_vm *vm, jj_buf *b, jj_val v) { return write_scalar(vm, b, v, 0); }

int jj_write_repr(jj_vm *vm, jj_buf *b, jj_val v) {
    if (v.t == JV_UNDEF) return 0; /* repr of Undefined inside containers cannot come from JSON input */
    return write_scalar(vm, b, v, 1);
}

static jj_val buf_to_val(jj_vm *vm, jj_buf *b) {
    jj_val r = b->failed ? jj_err(vm, VKATTN_ERROR_TOO_LARGE, "string too long") : jj_str_dup(vm, b->p ? b->p : "", b->n);
    free(b->p);
    return r;
}

jj_val jj_to_str(jj_vm *vm, jj_val v) {
    if (v.t == JV_STR) return v;
    if (v.t == JV_UNDEF) return jj_strv("", 0);
    jj_buf b = {.limit = JJ_MAX_OUTPUT};
    if (jj_write_str(vm, &b, v)) {
        free(b.p);
        return jj_undef();
    }
    return buf_to_val(vm, &b);
}

/* ---- JSON ---- */

static void json_str(jj_buf *b, jj_str s) {
    jj_buf_put(b, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        const char *esc = NULL;
        char tmp[8];
        if (c == '"') esc = "\\\"";
        else if (c == '\\') esc = "\\\\";
        else if (c == '\n') esc = "\\n";
        else if (c == '\r') esc = "\\r";
        else if (c == '\t') esc = "\\t";
        else if (c == '\b') esc = "\\b";
        else if (c == '\f') esc = "\\f";
        else if (c < 0x20) {
            snprintf(tmp, sizeof tmp, "\\u%04x", c);
            esc = tmp;
        }
        if (!esc) continue;
        jj_buf_put(b, s.p + run, i - run);
        jj_buf_put(b, esc, strlen(esc));
        run = i + 1;
    }
    jj_buf_put(b, s.p + run, s.n - run);
    jj_buf_put(b, "\"", 1);
}

static int json_val(jj_vm *vm, jj_buf *b, jj_val v, int indent, int sort_keys, int level) {
    if (level > JJ_MAX_DEPTH) {
        jj_err(vm, VKATTN_ERROR_TOO_LARGE, "tojson: nested too deep");
        return -1;
    }
    char tmp[48];
    switch (v.t) {
    case JV_UNDEF:
        jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "tojson: Object of type Undefined is not JSON serializable");
        return -1;
    case JV_NONE: return jj_buf_put(b, "null", 4);
    case JV_BOOL: return v.u.b ? jj_buf_put(b, "true", 4) : jj_buf_put(b, "false", 5);
    case JV_INT: return jj_write_str(vm, b, v);
    case JV_FLOAT:
        if (isnan(v.u.f)) return jj_buf_put(b, "NaN", 3);
        if (isinf(v.u.f)) return v.u.f < 0 ? jj_buf_put(b, "-Infinity", 9) : jj_buf_put(b, "Infinity", 8);
        float_repr(v.u.f, tmp, sizeof tmp);
        return jj_buf_put(b, tmp, strlen(tmp));
    case JV_STR: json_str(b, v.u.s); return 0;
    case JV_LIST: case JV_TUPLE: case JV_DICT: case JV_NS: {
        int is_list = v.t == JV_LIST || v.t == JV_TUPLE;
        size_t n = is_list ? v.u.l->n : v.u.d->n;
        if (v.t == JV_NS) {
            jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "tojson: Object of type Namespace is not JSON serializable");
            return -1;
        }
        if (n == 0) return jj_buf_put(b, is_list ? "[]" : "{}", 2);
        size_t *order = NULL;
        if (!is_list) {
            order = jj_alloc(vm->A, n * sizeof *order);
            if (!order) return jj_oom(vm), -1;
            for (size_t i = 0; i < n; i++) order[i] = i;
            for (size_t i = 1; sort_keys && i < n; i++) /* insertion sort by key */
                for (size_t j = i; j > 0; j--) {
                    jj_str x = v.u.d->k[order[j - 1]], y = v.u.d->k[order[j]];
                    size_t m = x.n < y.n ? x.n : y.n;
                    int c = m ? memcmp(x.p, y.p, m) : 0;
                    if (c < 0 || (c == 0 && x.n <= y.n)) break;
                    size_t t = order[j];
                    order[j] = order[j - 1];
                    order[j - 1] = t;
                }
        }
        jj_buf_put(b, is_list ? "[" : "{", 1);
        for (size_t i = 0; i < n; i++) {
            if (i) jj_buf_put(b, indent >= 0 ? "," : ", ", indent >= 0 ? 1 : 2);
            if (indent >= 0) {
                jj_buf_put(b, "\n", 1);
                for (int k = 0; k < (level + 1) * indent; k++) jj_buf_put(b, " ", 1);
            }
            if (!is_list) {
                json_str(b, v.u.d->k[order[i]]);
                jj_buf_put(b, ": ", 2);
            }
            if (json_val(vm, b, is_list ? v.u.l->v[i] : v.u.d->v[order[i]], indent, sort_keys, level + 1)) return -1;
        }
        if (indent >= 0) {
            jj_buf_put(b, "\n", 1);
            for (int k = 0; k < level * indent; k++) jj_buf_put(b, " ", 1);
        }
        return jj_buf_put(b, is_list ? "]" : "}", 1);
    }
    case JV_FUNC:
        jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "tojson: a function is not JSON serializable");
        return -1;
    }
    return 0;
}

int jj_write_json(jj_vm *vm, jj_buf *b, jj_val v, int indent, int sort_keys) {
    return json_val(vm, b, v, indent, sort_keys, 0);
}

/* ---- attributes, items, methods ---- */

static const char *const str_methods[] = {"strip", "lstrip", "rstrip", "split", "rsplit", "startswith", "endswith",
                                          "upper", "lower", "title", "capitalize", "replace", "find", "rfind", "count",
                                          "join", "isdigit", "isspace", "isalpha", "isalnum", "isupper", "islower",
                                          "splitlines", NULL};
static const char *const dict_methods[] = {"items", "keys", "values", "get", NULL};

static jj_val method(jj_vm *vm, jj_val self, jj_str name, const char *const *names) {
    for (int i = 0; names[i]; i++)
        if (jj_str_eq(name, names[i])) {
            jj_func *f = jj_alloc(vm->A, sizeof *f);
            if (!f) return jj_oom(vm);
            f->kind = JF_METHOD;
            f->name = name;
            f->self = self;
            jj_val v = {JV_FUNC, {.fn = f}};
            return v;
        }
    jj_val u = {JV_UNDEF, {.s = name}};
    return u;
}

jj_val jj_getattr(jj_vm *vm, jj_val obj, jj_str name) {
    if (obj.t == JV_DICT || obj.t == JV_NS) {
        jj_val *v = jj_dict_get(obj.u.d, name.p, name.n);
        if (v) return *v;
        if (obj.t == JV_DICT) return method(vm, obj, name, dict_methods);
    }
    if (obj.t == JV_STR) return method(vm, obj, name, str_methods);
    jj_val u = {JV_UNDEF, {.s = name}};
    return u;
}

jj_val jj_getitem(jj_vm *vm, jj_val obj, jj_val key) {
    if ((obj.t == JV_LIST || obj.t == JV_TUPLE || obj.t == JV_STR) && (key.t == JV_INT || key.t == JV_BOOL)) {
        int64_t i = key.t == JV_INT ? key.u.i : key.u.b;
        int64_t n = obj.t == JV_STR ? (int64_t)jj_utf8_len(obj.u.s) : (int64_t)obj.u.l->n;
        if (i < 0) i += n;
        if (i < 0 || i >= n) return jj_undef();
        if (obj.t != JV_STR) return obj.u.l->v[i];
        size_t a = jj_utf8_offset(obj.u.s, (size_t)i), b = jj_utf8_offset(obj.u.s, (size_t)i + 1);
        return jj_strv(obj.u.s.p + a, b - a);
    }
    if ((obj.t == JV_DICT || obj.t == JV_NS) && key.t == JV_STR) {
        jj_val *v = jj_dict_get(obj.u.d, key.u.s.p, key.u.s.n);
        if (v) return *v;
    }
    if (key.t == JV_STR) return jj_getattr(vm, obj, key.u.s);
    return jj_undef();
}

/* chars set for strip: NULL = whitespace */
static int in_set(uint32_t c, jj_str *chars) {
    if (!chars) return py_isspace(c);
    for (size_t i = 0; i < chars->n;) {
        size_t len;
        if (utf8_cp(chars->p + i, chars->n - i, &len) == c) return 1;
        i += len;
    }
    return 0;
}

static jj_str strip(jj_str s, jj_str *chars, int left, int right) {
    size_t a = 0, b = s.n;
    while (left && a < b) {
        size_t len;
        uint32_t c = utf8_cp(s.p + a, b - a, &len);
        if (!in_set(c, chars)) break;
        a += len;
    }
    while (right && b > a) {
        size_t k = b - 1;
        while (k > a && ((unsigned char)s.p[k] & 0xC0) == 0x80) k--;
        size_t len;
        uint32_t c = utf8_cp(s.p + k, b - k, &len);
        if (k + len != b) len = 1, k = b - 1, c = (unsigned char)s.p[k];
        if (!in_set(c, chars)) break;
        b = k;
    }
    return (jj_str){s.p + a, b - a};
}

static jj_val map_case(jj_vm *vm, jj_str s, int mode) { /* 0 lower, 1 upper, 2 capitalize, 3 title (Jinja's) */
    jj_val r = jj_str_dup(vm, s.p, s.n);
    if (vm->st) return r;
    char *d = (char *)r.u.s.p;
    int word_start = 1;
    for (size_t i = 0; i < s.n; i++) {
        char c = d[i];
        int up = mode == 1 || (mode == 2 && i == 0) || (mode == 3 && word_start);
        if (up && c >= 'a' && c <= 'z') d[i] = (char)(c - 32);
        if (!up && c >= 'A' && c <= 'Z') d[i] = (char)(c + 32);
        if (mode == 3) word_start = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '-' || c == '(' || c == '{' || c == '[' || c == '<' || c == '\f' || c == '\v';
    }
    return r;
}

static jj_val replace(jj_vm *vm, jj_str s, jj_str old, jj_str new_, int64_t count) {
    jj_buf b = {.limit = JJ_MAX_OUTPUT};
    size_t i = 0, run = 0;
    int64_t done = 0;
    if (old.n == 0) { /* Python inserts new_ between characters */
        for (; i <= s.n && (count < 0 || done < count); done++) {
            jj_buf_put(&b, s.p + run, i - run);
            jj_buf_put(&b, new_.p, new_.n);
            run = i;
            if (i == s.n) break;
            size_t len;
            utf8_cp(s.p + i, s.n - i, &len);
            i += len;
        }
        jj_buf_put(&b, s.p + run, s.n - run);
        return buf_to_val(vm, &b);
    }
    while (i + old.n <= s.n && (count < 0 || done < count)) {
        if (memcmp(s.p + i, old.p, old.n) == 0) {
            jj_buf_put(&b, s.p + run, i - run);
            jj_buf_put(&b, new_.p, new_.n);
            i += old.n;
            run = i;
            done++;
        } else i++;
    }
    jj_buf_put(&b, s.p + run, s.n - run);
    return buf_to_val(vm, &b);
}

static jj_val split(jj_vm *vm, jj_str s, jj_val sep, int64_t maxsplit, int from_right) {
    jj_list *l = jj_list_new(vm->A, 4);
    if (!l) return jj_oom(vm);
    jj_val r = {JV_LIST, {.l = l}};
    if (sep.t == JV_STR) {
        if (sep.u.s.n == 0) return jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "split: empty separator");
        jj_str p = sep.u.s;
        if (!from_right) {
            size_t start = 0, i = 0;
            while (i + p.n <= s.n && (maxsplit < 0 || (int64_t)l->n < maxsplit)) {
                if (memcmp(s.p + i, p.p, p.n) == 0) {
                    if (jj_list_push(vm->A, l, jj_strv(s.p + start, i - start))) return jj_oom(vm);
                    i += p.n;
                    start = i;
                } else i++;
            }
            if (jj_list_push(vm->A, l, jj_strv(s.p + start, s.n - start))) return jj_oom(vm);
            return r;
        }
        /* rsplit: collect from the right, then reverse */
        size_t end = s.n;
        int64_t done = 0;
        size_t i = s.n >= p.n ? s.n - p.n + 1 : 0;
        while (i-- > 0 && (maxsplit < 0 || done < maxsplit)) {
            if (i + p.n <= end && memcmp(s.p + i, p.p, p.n) == 0) {
                if (jj_list_push(vm->A, l, jj_strv(s.p + i + p.n, end - i - p.n))) return jj_oom(vm);
                end = i;
                done++;
            }
        }
        if (jj_list_push(vm->A, l, jj_strv(s.p, end))) return jj_oom(vm);
        for (size_t a = 0, b = l->n - 1; a < b; a++, b--) {
            jj_val t = l->v[a];
            l->v[a] = l->v[b];
            l->v[b] = t;
        }
        return r;
    }
    /* whitespace split: runs of whitespace, no empty strings */
    size_t i = 0;
    while (i < s.n) {
        size_t len;
        while (i < s.n && py_isspace(utf8_cp(s.p + i, s.n - i, &len))) i += len;
        if (i >= s.n) break;
        size_t start = i;
        if (maxsplit >= 0 && (int64_t)l->n >= maxsplit) {
            jj_str rest = strip((jj_str){s.p + start, s.n - start}, NULL, 0, 1);
            if (jj_list_push(vm->A, l, jj_strv(rest.p, rest.n))) return jj_oom(vm);
            break;
        }
        while (i < s.n && !py_isspace(utf8_cp(s.p + i, s.n - i, &len))) i += len;
        if (jj_list_push(vm->A, l, jj_strv(s.p + start, i - start))) return jj_oom(vm);
    }
    return r;
}

static int affix(jj_str s, jj_val x, int end) {
    if (x.t == JV_TUPLE || x.t == JV_LIST) {
        for (size_t i = 0; i < x.u.l->n; i++)
            if (affix(s, x.u.l->v[i], end)) return 1;
        return 0;
    }
    if (x.t != JV_STR || x.u.s.n > s.n) return 0;
    return memcmp(s.p + (end ? s.n - x.u.s.n : 0), x.u.s.p, x.u.s.n) == 0;
}

static jj_val join(jj_vm *vm, jj_val items, jj_str sep, jj_val attribute);

static jj_val str_method(jj_vm *vm, jj_str self, jj_str name, const jj_args *args) {
    jj_val a0 = ARG(0), a1 = ARG(1);
    if (jj_str_eq(name, "strip") || jj_str_eq(name, "lstrip") || jj_str_eq(name, "rstrip")) {
        if (given(a0) && a0.t != JV_NONE && a0.t != JV_STR) return jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "strip arg must be None or str");
        jj_str chars = a0.t == JV_STR ? a0.u.s : (jj_str){0};
        jj_str r = strip(self, a0.t == JV_STR ? &chars : NULL, name.p[0] != 'r', name.p[0] != 'l');
        return jj_strv(r.p, r.n);
    }
    if (jj_str_eq(name, "split") || jj_str_eq(name, "rsplit")) {
        jj_val sep = arg(args, 0, "sep"), mx = arg(args, 1, "maxsplit");
        if (given(sep) && sep.t != JV_NONE && sep.t != JV_STR) return jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "split: sep must be a string");
        return split(vm, self, sep, mx.t == JV_INT ? mx.u.i : -1, name.p[0] == 'r');
    }
    if (jj_str_eq(name, "startswith") || jj_str_eq(name, "endswith")) return jj_bool(affix(self, a0, name.p[0] == 'e'));
    if (jj_str_eq(name, "upper")) return map_case(vm, self, 1);
    if (jj_str_eq(name, "lower")) return map_case(vm, self, 0);
    if (jj_str_eq(name, "capitalize")) return map_case(vm, self, 2);
    if (jj_str_eq(name, "title")) return map_case(vm, self, 3);
    if (jj_str_eq(name, "replace")) {
        if (a0.t != JV_STR || a1.t != JV_STR) return jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "replace() takes two strings");
        jj_val c = ARG(2);
        return replace(vm, self, a0.u.s, a1.u.s, c.t == JV_INT ? c.u.i : -1);
    }
    if (jj_str_eq(name, "find") || jj_str_eq(name, "rfind") || jj_str_eq(name, "count")) {
        if (a0.t != JV_STR) return jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "%.*s() needs a string", (int)name.n, name.p);
        jj_str p = a0.u.s;
        int64_t found = -1, count = 0;
        for (size_t i = 0; i + p.n <= self.n;) {
            if (memcmp(self.p + i, p.p, p.n) == 0) {
                if (found < 0 || name.p[0] == 'r') found = (int64_t)jj_utf8_len((jj_str){self.p, i});
                count++;
                if (name.p[0] == 'f') break;
                i += p.n ? p.n : 1;
            } else i++;
        }
        if (jj_str_eq(name, "count")) return jj_int(p.n ? count : (int64_t)jj_utf8_len(self) + 1);
        return jj_int(found);
    }
    if (jj_str_eq(name, "join")) return join(vm, a0, self, jj_undef());
    if (jj_str_eq(name, "splitlines")) {
        jj_list *l = jj_list_new(vm->A, 4);
        if (!l) return jj_oom(vm);
        size_t start = 0;
        for (size_t i = 0; i < self.n; i++) {
            char c = self.p[i];
            if (c == '\n' || c == '\r' || c == '\v' || c == '\f') {
                if (jj_list_push(vm->A, l, jj_strv(self.p + start, i - start))) return jj_oom(vm);
                if (c == '\r' && i + 1 < self.n && self.p[i + 1] == '\n') i++;
                start = i + 1;
            }
        }
        if (start < self.n && jj_list_push(vm->A, l, jj_strv(self.p + start, self.n - start))) return jj_oom(vm);
        jj_val r = {JV_LIST, {.l = l}};
        return r;
    }
    /* is* predicates (ASCII classes; whitespace as Python) */
    if (self.n == 0) return jj_bool(0);
    int all = 1, cased = 0, any_upper = 0, any_lower = 0;
    for (size_t i = 0; i < self.n;) {
        size_t len;
        uint32_t c = utf8_cp(self.p + i, self.n - i, &len);
        i += len;
        int d = c >= '0' && c <= '9', al = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
        any_upper |= c >= 'A' && c <= 'Z';
        any_lower |= c >= 'a' && c <= 'z';
        cased |= (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
        if (jj_str_eq(name, "isdigit")) all &= d;
        else if (jj_str_eq(name, "isspace")) all &= py_isspace(c);
        else if (jj_str_eq(name, "isalpha")) all &= al;
        else if (jj_str_eq(name, "isalnum")) all &= al || d;
    }
    if (jj_str_eq(name, "isupper")) return jj_bool(cased && !any_lower);
    if (jj_str_eq(name, "islower")) return jj_bool(cased && !any_upper);
    return jj_bool(all);
}

static jj_val pairs(jj_vm *vm, jj_dict *d) {
    jj_list *l = jj_list_new(vm->A, d->n);
    if (!l) return jj_oom(vm);
    for (size_t i = 0; i < d->n; i++) {
        jj_list *t = jj_list_new(vm->A, 2);
        if (!t) return jj_oom(vm);
        t->v[0] = jj_strv(d->k[i].p, d->k[i].n);
        t->v[1] = d->v[i];
        t->n = 2;
        l->v[l->n].t = JV_TUPLE;
        l->v[l->n++].u.l = t;
    }
    jj_val r = {JV_LIST, {.l = l}};
    return r;
}

static jj_val dict_method(jj_vm *vm, jj_dict *d, jj_str name, const jj_args *args) {
    if (jj_str_eq(name, "items")) return pairs(vm, d);
    if (jj_str_eq(name, "get")) {
        jj_val k = ARG(0);
        jj_val *v = k.t == JV_STR ? jj_dict_get(d, k.u.s.p, k.u.s.n) : NULL;
        if (v) return *v;
        return args->n > 1 ? ARG(1) : jj_none();
    }
    jj_list *l = jj_list_new(vm->A, d->n);
    if (!l) return jj_oom(vm);
    for (size_t i = 0; i < d->n; i++) l->v[i] = jj_str_eq(name, "keys") ? jj_strv(d->k[i].p, d->k[i].n) : d->v[i];
    l->n = d->n;
    jj_val r = {JV_LIST, {.l = l}};
    return r;
}

/* ---- globals ---- */

jj_val jj_global(jj_str name) {
    /* immutable descriptors shared by every render and thread (never written through) */
    static const jj_func fns[] = {{JF_GLOBAL, {"range", 5}, {0}, NULL}, {JF_GLOBAL, {"namespace", 9}, {0}, NULL},
                                  {JF_GLOBAL, {"dict", 4}, {0}, NULL}, {JF_GLOBAL, {"raise_exception", 15}, {0}, NULL},
                                  {JF_GLOBAL, {"strftime_now", 12}, {0}, NULL}};
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
        if (name.n == fns[i].name.n && memcmp(name.p, fns[i].name.p, name.n) == 0) {
            jj_val v = {JV_FUNC, {.fn = (jj_func *)&fns[i]}};
            return v;
        }
    return jj_undef();
}

static jj_val call_global(jj_vm *vm, jj_str name, const jj_args *args) {
    if (jj_str_eq(name, "raise_exception")) {
        jj_val m = jj_to_str(vm, ARG(0));
        if (vm->st) return m;
        return jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "raise_exception: %.*s", (int)m.u.s.n, m.u.s.p);
    }
    if (jj_str_eq(name, "range")) {
        int64_t v[3] = {0, 0, 1};
        int n = 0;
        for (int i = 0; i < args->n; i++) {
            jj_val a = args->v[i];
            if ((a.t != JV_INT && a.t != JV_BOOL) || n == 3)
                return jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "range() takes up to 3 integers");
            v[n++] = a.t == JV_INT ? a.u.i : a.u.b;
        }
        if (n == 0) return jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "range() needs an argument");
        int64_t start = n == 1 ? 0 : v[0], stop = n == 1 ? v[0] : v[1], step = n == 3 ? v[2] : 1;
        if (step == 0) return jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "range() step must not be zero");
        double count = ceil(((double)stop - (double)start) / (double)step);
        if (count > 1e6) return jj_err(vm, VKATTN_ERROR_TOO_LARGE, "range() of more than a million items");
        jj_list *l = jj_list_new(vm->A, count > 0 ? (size_t)count : 0);
        if (!l) return jj_oom(vm);
        for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) l->v[l->n++] = jj_int(i);
        jj_val r = {JV_LIST, {.l = l}};
        return r;
    }
    if (jj_str_eq(name, "namespace") || jj_str_eq(name, "dict")) {
        jj_dict *d = jj_dict_new(vm->A, (size_t)args->n);
        if (!d) return jj_oom(vm);
        for (int i = 0; i < args->n; i++) {
            if (args->kw && args->kw[i].n) {
                if (jj_dict_set(vm->A, d, args->kw[i], args->v[i])) return jj_oom(vm);
            } else if (args->v[i].t == JV_DICT || args->v[i].t == JV_NS) {
                jj_dict *s = args->v[i].u.d;
                for (size_t j = 0; j < s->n; j++)
                    if (jj_dict_set(vm->A, d, s->k[j], s->v[j])) return jj_oom(vm);
            } else return jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "%.*s() takes keyword arguments or a dict", (int)name.n, name.p);
        }
        jj_val r = {name.p[0] == 'n' ? JV_NS : JV_DICT, {.d = d}};
        return r;
    }
    /* strftime_now(format): local time, as transformers' */
    jj_val f = ARG(0);
    if (f.t != JV_STR) return jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "strftime_now() needs a format string");
    char fmt[256], out[512];
    snprintf(fmt, sizeof fmt, "%.*s", (int)(f.u.s.n < 255 ? f.u.s.n : 255), f.u.s.p);
    time_t now = time(NULL);
    struct tm tmv;
    localtime_r(&now, &tmv);
    size_t n = strftime(out, sizeof out, fmt, &tmv);
    return jj_str_dup(vm, out, n);
}

jj_val jj_call(jj_vm *vm, jj_val fn, const jj_args *args) {
    if (fn.t != JV_FUNC) return jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "'%s' object is not callable", jj_type_name(fn));
    jj_func *f = fn.u.fn;
    switch (f->kind) {
    case JF_GLOBAL: return call_global(vm, f->name, args);
    case JF_MACRO: return jj_call_macro(vm, f->macro, args);
    case JF_METHOD:
        if (f->self.t == JV_STR) return str_method(vm, f->self.u.s, f->name, args);
        return dict_method(vm, f->self.u.d, f->name, args);
    }
    return jj_undef();
}

/* ---- filters ---- */

static jj_val join(jj_vm *vm, jj_val items, jj_str sep, jj_val attribute) {
    jj_list *l = jj_iter(vm, items);
    if (!l) return jj_undef();
    jj_buf b = {.limit = JJ_MAX_OUTPUT};
    for (size_t i = 0; i < l->n; i++) {
        if (i) jj_buf_put(&b, sep.p, sep.n);
        jj_val v = l->v[i];
        if (attribute.t == JV_STR) v = jj_getitem(vm, v, attribute);
        if (jj_write_str(vm, &b, v)) break;
    }
    if (vm->st) {
        free(b.p);
        return jj_undef();
    }
    return buf_to_val(vm, &b);
}

static int64_t length(jj_vm *vm, jj_val v) {
    switch (v.t) {
    case JV_STR: return (int64_t)jj_utf8_len(v.u.s);
    case JV_LIST: case JV_TUPLE: return (int64_t)v.u.l->n;
    case JV_DICT: case JV_NS: return (int64_t)v.u.d->n;
    case JV_UNDEF: return 0;
    default: jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "object of type '%s' has no len()", jj_type_name(v)); return -1;
    }
}

static jj_val list_val(jj_list *l) {
    jj_val r = {JV_LIST, {.l = l}};
    return r;
}

/* sort key comparison: strings case-insensitively unless case_sensitive */
static int sort_cmp(jj_vm *vm, jj_val a, jj_val b, int case_sensitive) {
    if (!case_sensitive && a.t == JV_STR && b.t == JV_STR) {
        size_t n = a.u.s.n < b.u.s.n ? a.u.s.n : b.u.s.n;
        for (size_t i = 0; i < n; i++) {
            int x = (unsigned char)a.u.s.p[i], y = (unsigned char)b.u.s.p[i];
            if (x >= 'A' && x <= 'Z') x += 32;
            if (y >= 'A' && y <= 'Z') y += 32;
            if (x != y) return x < y ? -1 : 1;
        }
        return a.u.s.n < b.u.s.n ? -1 : a.u.s.n > b.u.s.n;
    }
    return jj_compare(vm, a, b);
}

static jj_val sort_list(jj_vm *vm, jj_val in, int reverse, int case_sensitive, jj_val attribute) {
    jj_list *src = jj_iter(vm, in);
    if (!src) return jj_undef();
    jj_list *l = jj_list_new(vm->A, src->n);
    jj_val *keys = jj_alloc(vm->A, (src->n + 1) * sizeof *keys);
    if (!l || !keys) return jj_oom(vm);
    for (size_t i = 0; i < src->n; i++) { /* stable insertion sort */
        jj_val v = src->v[i], k = attribute.t == JV_STR ? jj_getitem(vm, v, attribute) : v;
        size_t j = l->n;
        while (j > 0) {
            int c = sort_cmp(vm, keys[j - 1], k, case_sensitive);
            if (c == -2) return jj_undef();
            if (reverse ? c >= 0 : c <= 0) break;
            l->v[j] = l->v[j - 1];
            keys[j] = keys[j - 1];
            j--;
        }
        l->v[j] = v;
        keys[j] = k;
        l->n++;
    }
    return list_val(l);
}

/* select / reject / selectattr / rejectattr */
static jj_val select_items(jj_vm *vm, jj_val in, const jj_args *args, int use_attr, int keep) {
    jj_list *src = jj_iter(vm, in);
    if (!src) return jj_undef();
    int first = use_attr ? 1 : 0;
    jj_val attr = use_attr ? ARG(0) : jj_undef();
    jj_val test = ARG(first);
    if (use_attr && attr.t != JV_STR) return jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "selectattr needs an attribute name");
    if (given(test) && test.t != JV_STR) return jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "select: the test name must be a string");
    jj_args targs = {args->n > first + 1 ? args->n - first - 1 : 0, args->v + first + 1, args->kw ? args->kw + first + 1 : NULL};
    jj_list *l = jj_list_new(vm->A, src->n);
    if (!l) return jj_oom(vm);
    for (size_t i = 0; i < src->n; i++) {
        jj_val v = use_attr ? jj_getitem(vm, src->v[i], attr) : src->v[i];
        if (vm->st) return jj_undef();
        int r = given(test) ? jj_test(vm, test.u.s, v, &targs) : jj_truthy(v);
        if (r < 0) return jj_undef();
        if (r == keep) l->v[l->n++] = src->v[i];
    }
    return list_val(l);
}

static jj_val html_escape(jj_vm *vm, jj_val in) {
    jj_val s = jj_to_str(vm, in);
    if (vm->st) return s;
    jj_buf b = {.limit = JJ_MAX_OUTPUT};
    for (size_t i = 0; i < s.u.s.n; i++) {
        char c = s.u.s.p[i];
        const char *e = c == '&' ? "&amp;" : c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '"' ? "&#34;" : c == '\'' ? "&#39;" : NULL;
        if (e) jj_buf_put(&b, e, strlen(e));
        else jj_buf_put(&b, &c, 1);
    }
    return buf_to_val(vm, &b);
}

static jj_val indent(jj_vm *vm, jj_val in, const jj_args *args) {
    jj_val w = arg(args, 0, "width"), first = arg(args, 1, "first"), blank = arg(args, 2, "blank");
    jj_val s = jj_to_str(vm, in);
    if (vm->st) return s;
    jj_str ind = {"    ", 4};
    char spaces[256];
    if (w.t == JV_STR) ind = w.u.s;
    else if (w.t == JV_INT) {
        int64_t k = w.u.i < 0 ? 0 : w.u.i > 255 ? 255 : w.u.i;
        memset(spaces, ' ', (size_t)k);
        ind = (jj_str){spaces, (size_t)k};
    }
    jj_buf b = {.limit = JJ_MAX_OUTPUT};
    if (jj_truthy(first)) jj_buf_put(&b, ind.p, ind.n);
    /* lines of s + "\n" (splitlines), joined with "\n" + indent on non-blank lines */
    size_t start = 0, line = 0;
    const char *p = s.u.s.p;
    size_t n = s.u.s.n;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && p[i] != '\n') continue;
        if (i == n && start == n && line > 0) break;
        jj_str ln = {p + start, i - start};
        if (line > 0) {
            jj_buf_put(&b, "\n", 1);
            if (ln.n || jj_truthy(blank)) jj_buf_put(&b, ind.p, ind.n);
        }
        jj_buf_put(&b, ln.p, ln.n);
        line++;
        start = i + 1;
    }
    return buf_to_val(vm, &b);
}

jj_val jj_filter(jj_vm *vm, jj_str name, jj_val in, const jj_args *args) {
#define IS(x) jj_str_eq(name, x)
    if (IS("default") || IS("d")) {
        jj_val def = arg(args, 0, "default_value");
        int boolean = jj_truthy(arg(args, 1, "boolean"));
        if (in.t == JV_UNDEF || (boolean && !jj_truthy(in))) return given(def) ? def : jj_strv("", 0);
        return in;
    }
    if (IS("length") || IS("count")) {
        int64_t n = length(vm, in);
        return n < 0 ? jj_undef() : jj_int(n);
    }
    if (IS("tojson")) {
        jj_val ind = arg(args, 0, "indent"), sk = arg(args, 3, "sort_keys");
        if (given(ind) && ind.t != JV_NONE && ind.t != JV_INT) return jj_err(vm, VKATTN_ERROR_UNSUPPORTED, "tojson: indent must be an integer");
        jj_buf b = {.limit = JJ_MAX_OUTPUT};
        if (jj_write_json(vm, &b, in, ind.t == JV_INT ? (int)(ind.u.i < 0 ? 0 : ind.u.i > 64 ? 64 : ind.u.i) : -1, jj_truthy(sk))) {
            free(b.p);
            return jj_undef();
        }
        return buf_to_val(vm, &b);
    }
    if (IS("list")) {
        jj_list *l = jj_iter(vm, in);
        if (!l) return jj_undef();
        jj_list *c = jj_list_new(vm->A, l->n);
        if (!c) return jj_oom(vm);
        if (l->n) memcpy(c->v, l->v, l->n * sizeof *c->v);
        c->n = l->n;
        return list_val(c);
    }
    if (IS("items")) {
        if (in.t == JV_UNDEF) return list_val(jj_list_new(vm->A, 0));
        if (in.t != JV_DICT) return jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "items: expected a mapping");
        return pairs(vm, in.u.d);
    }
    if (IS("first") || IS("last")) {
        jj_list *l = jj_iter(vm, in);
        if (!l) return jj_undef();
        return l->n ? l->v[IS("first") ? 0 : l->n - 1] : jj_undef();
    }
    if (IS("join")) {
        jj_val sep = arg(args, 0, "d");
        jj_val s = given(sep) ? jj_to_str(vm, sep) : jj_strv("", 0);
        return join(vm, in, s.u.s, arg(args, 1, "attribute"));
    }
    if (IS("reverse")) {
        if (in.t == JV_STR) {
            jj_list *l = jj_iter(vm, in);
            if (!l) return jj_undef();
            jj_val r = jj_str_dup(vm, in.u.s.p, in.u.s.n);
            if (vm->st) return r;
            char *d = (char *)r.u.s.p;
            for (size_t i = l->n, o = 0; i-- > 0;) memcpy(d + o, l->v[i].u.s.p, l->v[i].u.s.n), o += l->v[i].u.s.n;
            return r;
        }
        jj_list *l = jj_iter(vm, in);
        if (!l) return jj_undef();
        jj_list *c = jj_list_new(vm->A, l->n);
        if (!c) return jj_oom(vm);
        for (size_t i = 0; i < l->n; i++) c->v[i] = l->v[l->n - 1 - i];
        c->n = l->n;
        return list_val(c);
    }
    if (IS("sort"))
        return sort_list(vm, in, jj_truthy(arg(args, 0, "reverse")), jj_truthy(arg(args, 1, "case_sensitive")),
                         arg(args, 2, "attribute"));
    if (IS("dictsort")) {
        if (in.t != JV_DICT) return jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "dictsort: expected a mapping");
        jj_val p = pairs(vm, in.u.d);
        if (vm->st) return p;
        return sort_list(vm, p, jj_truthy(arg(args, 2, "reverse")), jj_truthy(arg(args, 0, "case_sensitive")), jj_int(0));
    }
    if (IS("unique")) {
        jj_list *l = jj_iter(vm, in);
        if (!l) return jj_undef();
        jj_list *c = jj_list_new(vm->A, l->n);
        if (!c) return jj_oom(vm);
        int cs = jj_truthy(arg(args, 0, "case_sensitive"));
        for (size_t i = 0; i < l->n; i++) {
            int dup = 0;
            for (size_t j = 0; j < c->n && !dup; j++)
                dup = cs || l->v[i].t != JV_STR || c->v[j].t != JV_STR ? jj_equal(c->v[j], l->v[i]) : sort_cmp(vm, c->v[j], l->v[i], 0) == 0;
            if (!dup) c->v[c->n++] = l->v[i];
        }
        return list_val(c);
    }
    if (IS("select")) return select_items(vm, in, args, 0, 1);
    if (IS("reject")) return select_items(vm, in, args, 0, 0);
    if (IS("selectattr")) return select_items(vm, in, args, 1, 1);
    if (IS("rejectattr")) return select_items(vm, in, args, 1, 0);
    if (IS("map")) {
        jj_list *l = jj_iter(vm, in);
        if (!l) return jj_undef();
        jj_list *c = jj_list_new(vm->A, l->n);
        if (!c) return jj_oom(vm);
        jj_val attr = arg(args, 99, "attribute"), def = arg(args, 99, "default");
        jj_val fname = ARG(0);
        if (attr.t != JV_STR && fname.t != JV_STR) return jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "map needs a filter name or attribute=");
        jj_args fargs = {args->n > 1 ? args->n - 1 : 0, args->v + 1, args->kw ? args->kw + 1 : NULL};
        for (size_t i = 0; i < l->n && !vm->st; i++) {
            jj_val v;
            if (attr.t == JV_STR) {
                v = jj_getitem(vm, l->v[i], attr);
                if (v.t == JV_UNDEF && given(def)) v = def;
            } else v = jj_filter(vm, fname.u.s, l->v[i], &fargs);
            c->v[c->n++] = v;
        }
        return vm->st ? jj_undef() : list_val(c);
    }
    if (IS("attr")) {
        jj_val a = ARG(0);
        return a.t == JV_STR ? jj_getattr(vm, in, a.u.s) : jj_undef();
    }
    if (IS("min") || IS("max") || IS("sum")) {
        jj_list *l = jj_iter(vm, in);
        if (!l) return jj_undef();
        jj_val attr = arg(args, IS("sum") ? 0 : 1, "attribute");
        if (IS("sum")) {
            jj_val acc = arg(args, 1, "start");
            if (!given(acc)) acc = jj_int(0);
            for (size_t i = 0; i < l->n && !vm->st; i++) {
                jj_val v = attr.t == JV_STR ? jj_getitem(vm, l->v[i], attr) : l->v[i];
                if (!(v.t == JV_INT || v.t == JV_FLOAT || v.t == JV_BOOL) || !(acc.t == JV_INT || acc.t == JV_FLOAT))
                    return jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "sum: not a number");
                if (acc.t == JV_FLOAT || v.t == JV_FLOAT)
                    acc = jj_float((acc.t == JV_FLOAT ? acc.u.f : (double)acc.u.i) + (v.t == JV_FLOAT ? v.u.f : v.t == JV_INT ? (double)v.u.i : v.u.b));
                else if (__builtin_add_overflow(acc.u.i, v.t == JV_INT ? v.u.i : v.u.b, &acc.u.i))
                    return jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "sum: integer overflow");
            }
            return acc;
        }
        if (!l->n) return jj_undef();
        jj_val best = l->v[0];
        int cs = jj_truthy(arg(args, 0, "case_sensitive"));
        for (size_t i = 1; i < l->n; i++) {
            jj_val a = attr.t == JV_STR ? jj_getitem(vm, l->v[i], attr) : l->v[i];
            jj_val b = attr.t == JV_STR ? jj_getitem(vm, best, attr) : best;
            int c = sort_cmp(vm, a, b, cs);
            if (c == -2) return jj_undef();
            if (IS("min") ? c < 0 : c > 0) best = l->v[i];
        }
        return best;
    }
    if (IS("string")) return jj_to_str(vm, in);
    if (IS("safe")) return in.t == JV_STR ? in : jj_to_str(vm, in);
    if (IS("escape") || IS("e") || IS("forceescape")) return html_escape(vm, in);
    if (IS("indent")) return indent(vm, in, args);
    if (IS("int") || IS("float")) {
        jj_val def = arg(args, 0, "default");
        if (in.t == JV_INT || in.t == JV_BOOL) return IS("int") ? jj_int(in.t == JV_INT ? in.u.i : in.u.b) : jj_float(in.t == JV_INT ? (double)in.u.i : in.u.b);
        if (in.t == JV_FLOAT) {
            if (IS("float")) return in;
            if (!isfinite(in.u.f) || fabs(in.u.f) >= 9.2e18) return jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "int: out of range");
            return jj_int((int64_t)in.u.f);
        }
        if (in.t == JV_STR) {
            char tmp[64];
            jj_str s = strip(in.u.s, NULL, 1, 1);
            if (s.n && s.n < sizeof tmp) {
                memcpy(tmp, s.p, s.n);
                tmp[s.n] = 0;
                char *end;
                if (IS("int")) {
                    long long v = strtoll(tmp, &end, 10);
                    if (*end == 0) return jj_int(v);
                    double f = strtod(tmp, &end);
                    if (*end == 0 && fabs(f) < 9.2e18) return jj_int((int64_t)f);
                } else {
                    double f = strtod(tmp, &end);
                    if (*end == 0) return jj_float(f);
                }
            }
        }
        return given(def) ? def : IS("int") ? jj_int(0) : jj_float(0);
    }
    if (IS("abs")) {
        if (in.t == JV_INT) return in.u.i == INT64_MIN ? jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "abs: overflow") : jj_int(in.u.i < 0 ? -in.u.i : in.u.i);
        if (in.t == JV_FLOAT) return jj_float(fabs(in.u.f));
        if (in.t == JV_BOOL) return jj_int(in.u.b);
        return jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "abs: not a number");
    }
    if (IS("round")) {
        jj_val prec = arg(args, 0, "precision"), meth = arg(args, 1, "method");
        double x = in.t == JV_FLOAT ? in.u.f : in.t == JV_INT ? (double)in.u.i : in.t == JV_BOOL ? in.u.b : NAN;
        if (isnan(x) && in.t != JV_FLOAT) return jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "round: not a number");
        double m = pow(10, prec.t == JV_INT ? (double)prec.u.i : 0), y = x * m;
        if (meth.t == JV_STR && jj_str_eq(meth.u.s, "floor")) y = floor(y);
        else if (meth.t == JV_STR && jj_str_eq(meth.u.s, "ceil")) y = ceil(y);
        else y = nearbyint(y);
        return jj_float(y / m);
    }
    if (IS("trim") || IS("strip")) {
        jj_val s = jj_to_str(vm, in), chars = arg(args, 0, "chars");
        if (vm->st) return s;
        jj_str cs = chars.t == JV_STR ? chars.u.s : (jj_str){0};
        jj_str r = strip(s.u.s, chars.t == JV_STR ? &cs : NULL, 1, 1);
        return jj_strv(r.p, r.n);
    }
    if (IS("upper") || IS("lower") || IS("capitalize") || IS("title")) {
        jj_val s = jj_to_str(vm, in);
        if (vm->st) return s;
        return map_case(vm, s.u.s, IS("lower") ? 0 : IS("upper") ? 1 : IS("capitalize") ? 2 : 3);
    }
    if (IS("replace")) {
        jj_val s = jj_to_str(vm, in), o = jj_to_str(vm, ARG(0)), w = jj_to_str(vm, ARG(1)), c = arg(args, 2, "count");
        if (vm->st) return s;
        return replace(vm, s.u.s, o.u.s, w.u.s, c.t == JV_INT ? c.u.i : -1);
    }
    if (IS("wordcount")) {
        jj_val s = jj_to_str(vm, in);
        if (vm->st) return s;
        jj_val w = split(vm, s.u.s, jj_none(), -1, 0);
        return vm->st ? w : jj_int((int64_t)w.u.l->n);
    }
    if (IS("center")) {
        jj_val s = jj_to_str(vm, in), w = arg(args, 0, "width");
        if (vm->st) return s;
        int64_t width = w.t == JV_INT ? w.u.i : 80, len = (int64_t)jj_utf8_len(s.u.s);
        if (width <= len) return s;
        if (width > 4096) return jj_err(vm, VKATTN_ERROR_TOO_LARGE, "center: width too large");
        int64_t pad = width - len, left = pad / 2 + (pad & width & 1);
        jj_buf b = {.limit = JJ_MAX_OUTPUT};
        for (int64_t i = 0; i < left; i++) jj_buf_put(&b, " ", 1);
        jj_buf_put(&b, s.u.s.p, s.u.s.n);
        for (int64_t i = 0; i < pad - left; i++) jj_buf_put(&b, " ", 1);
        return buf_to_val(vm, &b);
    }
    return jj_err(vm, VKATTN_ERROR_UNSUPPORTED, "no filter named '%.*s'", (int)name.n, name.p);
#undef IS
}

/* ---- tests ---- */

int jj_test(jj_vm *vm, jj_str name, jj_val v, const jj_args *args) {
#define IS(x) jj_str_eq(name, x)
    jj_val a = ARG(0);
    if (IS("defined")) return v.t != JV_UNDEF;
    if (IS("undefined")) return v.t == JV_UNDEF;
    if (IS("none")) return v.t == JV_NONE;
    if (IS("boolean")) return v.t == JV_BOOL;
    if (IS("true")) return v.t == JV_BOOL && v.u.b;
    if (IS("false")) return v.t == JV_BOOL && !v.u.b;
    if (IS("string")) return v.t == JV_STR;
    if (IS("number")) return v.t == JV_INT || v.t == JV_FLOAT || v.t == JV_BOOL;
    if (IS("integer")) return v.t == JV_INT;
    if (IS("float")) return v.t == JV_FLOAT;
    if (IS("mapping")) return v.t == JV_DICT;
    if (IS("iterable")) return v.t == JV_STR || v.t == JV_LIST || v.t == JV_TUPLE || v.t == JV_DICT || v.t == JV_UNDEF;
    if (IS("sequence")) return v.t == JV_STR || v.t == JV_LIST || v.t == JV_TUPLE || v.t == JV_DICT;
    if (IS("callable")) return v.t == JV_FUNC;
    if (IS("eq") || IS("equalto") || IS("==")) return jj_equal(v, a);
    if (IS("ne") || IS("!=")) return !jj_equal(v, a);
    if (IS("sameas")) return v.t == a.t && (v.t == JV_NONE || v.t == JV_UNDEF || (v.t == JV_BOOL && v.u.b == a.u.b) || jj_equal(v, a));
    if (IS("in")) return jj_contains(vm, a, v);
    if (IS("lt") || IS("lessthan") || IS("<") || IS("le") || IS("<=") || IS("gt") || IS("greaterthan") || IS(">") ||
        IS("ge") || IS(">=")) {
        int c = jj_compare(vm, v, a);
        if (c == -2) return -1;
        if (IS("lt") || IS("lessthan") || IS("<")) return c < 0;
        if (IS("le") || IS("<=")) return c <= 0;
        if (IS("gt") || IS("greaterthan") || IS(">")) return c > 0;
        return c >= 0;
    }
    if (IS("odd") || IS("even") || IS("divisibleby")) {
        if (v.t != JV_INT && v.t != JV_BOOL) return jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "%.*s: not an integer", (int)name.n, name.p), -1;
        int64_t x = v.t == JV_INT ? v.u.i : v.u.b;
        if (IS("odd")) return x % 2 != 0;
        if (IS("even")) return x % 2 == 0;
        if (a.t != JV_INT || a.u.i == 0) return jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "divisibleby needs a non-zero integer"), -1;
        return a.u.i == -1 || x % a.u.i == 0;
    }
    if (IS("lower") || IS("upper")) {
        if (v.t != JV_STR) return 0;
        jj_args none = {0};
        jj_val r = str_method(vm, v.u.s, (jj_str){IS("lower") ? "islower" : "isupper", 7}, &none);
        return r.t == JV_BOOL && r.u.b;
    }
    jj_err(vm, VKATTN_ERROR_UNSUPPORTED, "no test named '%.*s'", (int)name.n, name.p);
    return -1;
#undef IS
}
