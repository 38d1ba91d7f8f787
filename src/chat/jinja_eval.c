/* Chat templates: values, scopes and the evaluator. Python semantics where templates can see them:
 * `a or b` returns an operand, ints and floats compare equal across types, bools are ints, strings index
 * by code point, {% set %} inside a loop stays in the loop (namespace() objects carry values out). */
#include "jinja.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct jj_scope {
    jj_dict *vars;
    jj_scope *parent;
};

jj_val jj_err(jj_vm *vm, vkattn_status st, const char *fmt, ...) {
    if (!vm->st) {
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        vm->st = st;
        vkattn__fail(NULL, st, "chat template line %d: %s", vm->line, msg);
    }
    return jj_undef();
}

jj_val jj_oom(jj_vm *vm) {
    return jj_err(vm, VKATTN_ERROR_TOO_LARGE, "the template needs more than %u MiB of memory", JJ_MAX_ARENA >> 20);
}

int jj_str_eq(jj_str a, const char *b) {
    size_t n = strlen(b);
    return a.n == n && memcmp(a.p, b, n) == 0;
}

jj_val jj_str_dup(jj_vm *vm, const char *p, size_t n) {
    char *d = jj_alloc(vm->A, n + 1);
    if (!d) return jj_oom(vm);
    if (n) memcpy(d, p, n);
    return jj_strv(d, n);
}

jj_list *jj_list_new(jj_arena *A, size_t cap) {
    jj_list *l = jj_alloc(A, sizeof *l);
    if (!l) return NULL;
    if (cap && !(l->v = jj_alloc(A, cap * sizeof *l->v))) return NULL;
    l->cap = cap;
    return l;
}

int jj_list_push(jj_arena *A, jj_list *l, jj_val v) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        jj_val *nv = jj_alloc(A, cap * sizeof *nv);
        if (!nv) return -1;
        if (l->n) memcpy(nv, l->v, l->n * sizeof *nv);
        l->v = nv;
        l->cap = cap;
    }
    l->v[l->n++] = v;
    return 0;
}

jj_dict *jj_dict_new(jj_arena *A, size_t cap) {
    jj_dict *d = jj_alloc(A, sizeof *d);
    if (!d) return NULL;
    if (cap && (!(d->k = jj_alloc(A, cap * sizeof *d->k)) || !(d->v = jj_alloc(A, cap * sizeof *d->v)))) return NULL;
    d->cap = cap;
    return d;
}

jj_val *jj_dict_get(const jj_dict *d, const char *k, size_t n) {
    for (size_t i = 0; i < d->n; i++)
        if (d->k[i].n == n && memcmp(d->k[i].p, k, n) == 0) return &d->v[i];
    return NULL;
}

int jj_dict_set(jj_arena *A, jj_dict *d, jj_str k, jj_val v) {
    jj_val *e = jj_dict_get(d, k.p, k.n);
    if (e) {
        *e = v;
        return 0;
    }
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        jj_str *nk = jj_alloc(A, cap * sizeof *nk);
        jj_val *nv = jj_alloc(A, cap * sizeof *nv);
        if (!nk || !nv) return -1;
        if (d->n) {
            memcpy(nk, d->k, d->n * sizeof *nk);
            memcpy(nv, d->v, d->n * sizeof *nv);
        }
        d->k = nk;
        d->v = nv;
        d->cap = cap;
    }
    d->k[d->n] = k;
    d->v[d->n++] = v;
    return 0;
}

int jj_buf_put(jj_buf *b, const char *s, size_t n) {
    if (b->failed) return -1;
    if (n > b->limit - b->n) {
        b->failed = 1;
        return -1;
    }
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = 1;
            return -1;
        }
        b->p = p;
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
    return 0;
}

size_t jj_utf8_len(jj_str s) {
    size_t k = 0;
    for (size_t i = 0; i < s.n; i++) k += ((unsigned char)s.p[i] & 0xC0) != 0x80;
    return k;
}

size_t jj_utf8_offset(jj_str s, size_t idx) {
    size_t k = 0, i = 0;
    for (; i < s.n; i++) {
        if (((unsigned char)s.p[i] & 0xC0) != 0x80) {
            if (k == idx) return i;
            k++;
        }
    }
    return s.n;
}

int jj_truthy(jj_val v) {
    switch (v.t) {
    case JV_UNDEF: case JV_NONE: return 0;
    case JV_BOOL: return v.u.b;
    case JV_INT: return v.u.i != 0;
    case JV_FLOAT: return v.u.f != 0;
    case JV_STR: return v.u.s.n != 0;
    case JV_LIST: case JV_TUPLE: return v.u.l->n != 0;
    case JV_DICT: return v.u.d->n != 0;
    default: return 1;
    }
}

static int is_num(jj_val v) { return v.t == JV_INT || v.t == JV_FLOAT || v.t == JV_BOOL; }
static double num_f(jj_val v) { return v.t == JV_FLOAT ? v.u.f : v.t == JV_INT ? (double)v.u.i : v.u.b; }
static int64_t num_i(jj_val v) { return v.t == JV_INT ? v.u.i : v.u.b; }

int jj_equal(jj_val a, jj_val b) {
    if (is_num(a) && is_num(b)) {
        if (a.t != JV_FLOAT && b.t != JV_FLOAT) return num_i(a) == num_i(b);
        return num_f(a) == num_f(b);
    }
    if (a.t != b.t) return 0;
    switch (a.t) {
    case JV_UNDEF: case JV_NONE: return 1;
    case JV_STR: return a.u.s.n == b.u.s.n && memcmp(a.u.s.p, b.u.s.p, a.u.s.n) == 0;
    case JV_LIST: case JV_TUPLE:
        if (a.u.l->n != b.u.l->n) return 0;
        for (size_t i = 0; i < a.u.l->n; i++)
            if (!jj_equal(a.u.l->v[i], b.u.l->v[i])) return 0;
        return 1;
    case JV_DICT:
        if (a.u.d->n != b.u.d->n) return 0;
        for (size_t i = 0; i < a.u.d->n; i++) {
            jj_val *o = jj_dict_get(b.u.d, a.u.d->k[i].p, a.u.d->k[i].n);
            if (!o || !jj_equal(a.u.d->v[i], *o)) return 0;
        }
        return 1;
    default: return a.u.d == b.u.d; /* namespaces, functions: identity */
    }
}

const char *jj_type_name(jj_val v) {
    static const char *const names[] = {"undefined", "NoneType", "bool", "int", "float", "str", "list", "tuple",
                                        "dict", "Namespace", "function"};
    return names[v.t];
}

jj_val jj_undefined_error(jj_vm *vm, jj_val v) {
    if (v.u.s.n) return jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "'%.*s' is undefined", (int)v.u.s.n, v.u.s.p);
    return jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "an undefined value was used");
}

/* -1 / 0 / 1, or -2 with an error set (Python's < on numbers, strings, sequences) */
static int compare(jj_vm *vm, jj_val a, jj_val b) {
    if (is_num(a) && is_num(b)) {
        if (a.t != JV_FLOAT && b.t != JV_FLOAT) return num_i(a) < num_i(b) ? -1 : num_i(a) > num_i(b);
        double x = num_f(a), y = num_f(b);
        return x < y ? -1 : x > y;
    }
    if (a.t == JV_STR && b.t == JV_STR) {
        size_t n = a.u.s.n < b.u.s.n ? a.u.s.n : b.u.s.n;
        int c = n ? memcmp(a.u.s.p, b.u.s.p, n) : 0;
        if (c) return c < 0 ? -1 : 1;
        return a.u.s.n < b.u.s.n ? -1 : a.u.s.n > b.u.s.n;
    }
    if (a.t == b.t && (a.t == JV_LIST || a.t == JV_TUPLE)) {
        size_t n = a.u.l->n < b.u.l->n ? a.u.l->n : b.u.l->n;
        for (size_t i = 0; i < n; i++) {
            if (jj_equal(a.u.l->v[i], b.u.l->v[i])) continue;
            return compare(vm, a.u.l->v[i], b.u.l->v[i]);
        }
        return a.u.l->n < b.u.l->n ? -1 : a.u.l->n > b.u.l->n;
    }
    if (a.t == JV_UNDEF) jj_undefined_error(vm, a);
    else if (b.t == JV_UNDEF) jj_undefined_error(vm, b);
    else jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "'<' not supported between '%s' and '%s'", jj_type_name(a), jj_type_name(b));
    return -2;
}

int jj_compare(jj_vm *vm, jj_val a, jj_val b) { return compare(vm, a, b); }

/* 1 / 0, or -1 with an error set */
static int contains(jj_vm *vm, jj_val hay, jj_val needle) {
    switch (hay.t) {
    case JV_STR:
        if (needle.t != JV_STR) {
            jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "'in <string>' requires a string, not '%s'", jj_type_name(needle));
            return -1;
        }
        if (needle.u.s.n == 0) return 1;
        for (size_t i = 0; i + needle.u.s.n <= hay.u.s.n; i++)
            if (memcmp(hay.u.s.p + i, needle.u.s.p, needle.u.s.n) == 0) return 1;
        return 0;
    case JV_LIST: case JV_TUPLE:
        for (size_t i = 0; i < hay.u.l->n; i++)
            if (jj_equal(hay.u.l->v[i], needle)) return 1;
        return 0;
    case JV_DICT: case JV_NS:
        return needle.t == JV_STR && jj_dict_get(hay.u.d, needle.u.s.p, needle.u.s.n) != NULL;
    case JV_UNDEF: return 0;
    default:
        jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "argument of type '%s' is not iterable", jj_type_name(hay));
        return -1;
    }
}

int jj_contains(jj_vm *vm, jj_val hay, jj_val needle) { return contains(vm, hay, needle); }

jj_list *jj_iter(jj_vm *vm, jj_val v) {
    jj_list *l = NULL;
    switch (v.t) {
    case JV_LIST: case JV_TUPLE: return v.u.l;
    case JV_UNDEF: return jj_list_new(vm->A, 0);
    case JV_DICT: case JV_NS:
        if (!(l = jj_list_new(vm->A, v.u.d->n))) break;
        for (size_t i = 0; i < v.u.d->n; i++) l->v[i] = jj_strv(v.u.d->k[i].p, v.u.d->k[i].n);
        l->n = v.u.d->n;
        return l;
    case JV_STR: {
        size_t n = jj_utf8_len(v.u.s);
        if (!(l = jj_list_new(vm->A, n))) break;
        for (size_t i = 0, k = 0; k < n; k++) {
            size_t j = i + 1;
            while (j < v.u.s.n && ((unsigned char)v.u.s.p[j] & 0xC0) == 0x80) j++;
            l->v[k] = jj_strv(v.u.s.p + i, j - i);
            i = j;
        }
        l->n = n;
        return l;
    }
    default:
        jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "'%s' object is not iterable", jj_type_name(v));
        return NULL;
    }
    jj_oom(vm);
    return NULL;
}

/* ---- scopes ---- */

static jj_val *lookup(jj_vm *vm, jj_str name) {
    for (jj_scope *s = vm->scope; s; s = s->parent) {
        jj_val *v = jj_dict_get(s->vars, name.p, name.n);
        if (v) return v;
    }
    return NULL;
}

static int assign(jj_vm *vm, jj_str name, jj_val v) {
    if (jj_dict_set(vm->A, vm->scope->vars, name, v)) {
        jj_oom(vm);
        return -1;
    }
    return 0;
}

static jj_scope *push_scope(jj_vm *vm, jj_scope *parent) {
    jj_scope *s = jj_alloc(vm->A, sizeof *s);
    if (!s || !(s->vars = jj_dict_new(vm->A, 0))) {
        jj_oom(vm);
        return NULL;
    }
    s->parent = parent;
    return s;
}

/* ---- expressions ---- */

static jj_val eval(jj_vm *vm, const jj_node *n);

static int eval_args(jj_vm *vm, const jj_node *n, jj_args *out) {
    out->n = n->n_args;
    out->v = NULL;
    out->kw = NULL;
    if (!n->n_args) return 0;
    out->v = jj_alloc(vm->A, (size_t)n->n_args * sizeof *out->v);
    out->kw = jj_alloc(vm->A, (size_t)n->n_args * sizeof *out->kw);
    if (!out->v || !out->kw) {
        jj_oom(vm);
        return -1;
    }
    for (int i = 0; i < n->n_args; i++) {
        out->v[i] = eval(vm, n->args[i]);
        if (n->kw) out->kw[i] = n->kw[i];
        if (vm->st) return -1;
    }
    return 0;
}

static jj_val arith(jj_vm *vm, int op, jj_val a, jj_val b) {
    if (a.t == JV_UNDEF) return jj_undefined_error(vm, a);
    if (b.t == JV_UNDEF) return jj_undefined_error(vm, b);
    if (op == JO_ADD && a.t == JV_STR && b.t == JV_STR) {
        char *d = jj_alloc(vm->A, a.u.s.n + b.u.s.n + 1);
        if (!d) return jj_oom(vm);
        memcpy(d, a.u.s.p, a.u.s.n);
        memcpy(d + a.u.s.n, b.u.s.p, b.u.s.n);
        return jj_strv(d, a.u.s.n + b.u.s.n);
    }
    if (op == JO_ADD && a.t == b.t && (a.t == JV_LIST || a.t == JV_TUPLE)) {
        jj_list *l = jj_list_new(vm->A, a.u.l->n + b.u.l->n);
        if (!l) return jj_oom(vm);
        for (size_t i = 0; i < a.u.l->n; i++) l->v[l->n++] = a.u.l->v[i];
        for (size_t i = 0; i < b.u.l->n; i++) l->v[l->n++] = b.u.l->v[i];
        jj_val r = {a.t, {.l = l}};
        return r;
    }
    if (op == JO_MUL && ((a.t == JV_STR && (b.t == JV_INT || b.t == JV_BOOL)) || (b.t == JV_STR && (a.t == JV_INT || a.t == JV_BOOL)))) {
        jj_str s = a.t == JV_STR ? a.u.s : b.u.s;
        int64_t k = a.t == JV_STR ? num_i(b) : num_i(a);
        if (k <= 0 || s.n == 0) return jj_strv("", 0);
        if ((uint64_t)k > JJ_MAX_OUTPUT / s.n) return jj_err(vm, VKATTN_ERROR_TOO_LARGE, "string repetition too large");
        char *d = jj_alloc(vm->A, s.n * (size_t)k + 1);
        if (!d) return jj_oom(vm);
        for (int64_t i = 0; i < k; i++) memcpy(d + (size_t)i * s.n, s.p, s.n);
        return jj_strv(d, s.n * (size_t)k);
    }
    if (!is_num(a) || !is_num(b)) {
        static const char *const sym[] = {"", "+", "-", "*", "/", "//", "%", "**"};
        return jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "unsupported operand types for %s: '%s' and '%s'", sym[op],
                      jj_type_name(a), jj_type_name(b));
    }
    if (a.t != JV_FLOAT && b.t != JV_FLOAT && op != JO_DIV) {
        int64_t x = num_i(a), y = num_i(b), r = 0;
        int ovf = 0;
        switch (op) {
        case JO_ADD: ovf = __builtin_add_overflow(x, y, &r); break;
        case JO_SUB: ovf = __builtin_sub_overflow(x, y, &r); break;
        case JO_MUL: ovf = __builtin_mul_overflow(x, y, &r); break;
        case JO_FDIV: case JO_MOD:
            if (y == 0) return jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "integer division or modulo by zero");
            if (x == INT64_MIN && y == -1) { ovf = 1; break; }
            r = op == JO_FDIV ? x / y : x % y;
            if (op == JO_FDIV && (x % y != 0) && ((x < 0) != (y < 0))) r--;
            if (op == JO_MOD && r != 0 && ((r < 0) != (y < 0))) r += y;
            break;
        case JO_POW:
            if (y < 0) return jj_float(pow((double)x, (double)y));
            r = 1;
            for (int64_t i = 0; i < y && !ovf; i++) ovf = __builtin_mul_overflow(r, x, &r);
            break;
        }
        if (ovf) return jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "integer overflow (beyond 64 bits)");
        return jj_int(r);
    }
    double x = num_f(a), y = num_f(b);
    switch (op) {
    case JO_ADD: return jj_float(x + y);
    case JO_SUB: return jj_float(x - y);
    case JO_MUL: return jj_float(x * y);
    case JO_DIV:
        if (y == 0) return jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "division by zero");
        return jj_float(x / y);
    case JO_FDIV:
        if (y == 0) return jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "float floor division by zero");
        return jj_float(floor(x / y));
    case JO_MOD: {
        if (y == 0) return jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "float modulo");
        double r = fmod(x, y);
        if (r != 0 && ((r < 0) != (y < 0))) r += y;
        return jj_float(r);
    }
    default: return jj_float(pow(x, y));
    }
}

static int64_t clamp_index(int64_t i, int64_t n, int step_neg) {
    if (i < 0) i += n;
    if (step_neg) return i < -1 ? -1 : i > n - 1 ? n - 1 : i;
    return i < 0 ? 0 : i > n ? n : i;
}

static jj_val slice(jj_vm *vm, jj_val obj, jj_val start, jj_val stop, jj_val step) {
    int64_t st = 1;
    if (step.t != JV_UNDEF && step.t != JV_NONE) {
        if (step.t != JV_INT) return jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "slice indices must be integers");
        st = step.u.i;
        if (st == 0) return jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "slice step cannot be zero");
    }
    jj_list *items = NULL;
    if (obj.t == JV_STR) items = jj_iter(vm, obj);
    else if (obj.t == JV_LIST || obj.t == JV_TUPLE) items = obj.u.l;
    else if (obj.t == JV_UNDEF) return jj_undefined_error(vm, obj);
    else return jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "'%s' object is not subscriptable", jj_type_name(obj));
    if (!items) return jj_undef();
    int64_t n = (int64_t)items->n;
    int64_t lo, hi;
    for (int k = 0; k < 2; k++) {
        jj_val b = k ? stop : start;
        if (b.t != JV_UNDEF && b.t != JV_NONE && b.t != JV_INT)
            return jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "slice indices must be integers");
    }
    if (st > 0) {
        lo = start.t == JV_INT ? clamp_index(start.u.i, n, 0) : 0;
        hi = stop.t == JV_INT ? clamp_index(stop.u.i, n, 0) : n;
    } else {
        lo = start.t == JV_INT ? clamp_index(start.u.i, n, 1) : n - 1;
        hi = stop.t == JV_INT ? clamp_index(stop.u.i, n, 1) : -1;
    }
    jj_list *l = jj_list_new(vm->A, (size_t)n);
    if (!l) return jj_oom(vm);
    for (int64_t i = lo; st > 0 ? i < hi : i > hi; i += st) l->v[l->n++] = items->v[i];
    if (obj.t == JV_STR) {
        size_t bytes = 0;
        for (size_t i = 0; i < l->n; i++) bytes += l->v[i].u.s.n;
        char *d = jj_alloc(vm->A, bytes + 1);
        if (!d) return jj_oom(vm);
        bytes = 0;
        for (size_t i = 0; i < l->n; i++) memcpy(d + bytes, l->v[i].u.s.p, l->v[i].u.s.n), bytes += l->v[i].u.s.n;
        return jj_strv(d, bytes);
    }
    jj_val r = {obj.t, {.l = l}};
    return r;
}

static int tick(jj_vm *vm, const jj_node *n) {
    vm->line = n->line;
    if (vm->st) return -1;
    if (++vm->steps > JJ_MAX_STEPS) {
        jj_err(vm, VKATTN_ERROR_TOO_LARGE, "the template ran more than %u steps (a loop that does not end?)", JJ_MAX_STEPS);
        return -1;
    }
    if (vm->A->failed) {
        jj_oom(vm);
        return -1;
    }
    return 0;
}

static jj_val eval_inner(jj_vm *vm, const jj_node *n) {
    switch (n->k) {
    case JE_LIT: return n->lit;
    case JE_NAME: {
        jj_val *v = lookup(vm, n->s);
        if (v) return *v;
        jj_val g = jj_global(n->s);
        if (g.t != JV_UNDEF) return g;
        jj_val u = {JV_UNDEF, {.s = n->s}};
        return u;
    }
    case JE_LIST: case JE_TUPLE: {
        jj_list *l = jj_list_new(vm->A, (size_t)n->n_args);
        if (!l) return jj_oom(vm);
        for (int i = 0; i < n->n_args; i++) l->v[l->n++] = eval(vm, n->args[i]);
        jj_val r = {n->k == JE_LIST ? JV_LIST : JV_TUPLE, {.l = l}};
        return r;
    }
    case JE_DICT: {
        jj_dict *d = jj_dict_new(vm->A, (size_t)n->n_args / 2);
        if (!d) return jj_oom(vm);
        for (int i = 0; i + 1 < n->n_args && !vm->st; i += 2) {
            jj_val k = eval(vm, n->args[i]), v = eval(vm, n->args[i + 1]);
            if (vm->st) break;
            if (k.t != JV_STR) return jj_err(vm, VKATTN_ERROR_UNSUPPORTED, "dict keys other than strings are not supported");
            if (jj_dict_set(vm->A, d, k.u.s, v)) return jj_oom(vm);
        }
        jj_val r = {JV_DICT, {.d = d}};
        return r;
    }
    case JE_ATTR: {
        jj_val o = eval(vm, n->a);
        if (vm->st) return o;
        if (o.t == JV_UNDEF) return jj_undefined_error(vm, o);
        return jj_getattr(vm, o, n->s);
    }
    case JE_ITEM: {
        jj_val o = eval(vm, n->a), k = eval(vm, n->b);
        if (vm->st) return o;
        if (o.t == JV_UNDEF) return jj_undefined_error(vm, o);
        return jj_getitem(vm, o, k);
    }
    case JE_SLICE: {
        jj_val o = eval(vm, n->a), b[3];
        for (int i = 0; i < 3; i++) b[i] = n->args[i] ? eval(vm, n->args[i]) : jj_none();
        if (vm->st) return o;
        return slice(vm, o, b[0], b[1], b[2]);
    }
    case JE_CALL: {
        jj_val f = eval(vm, n->a);
        jj_args args;
        if (vm->st || eval_args(vm, n, &args)) return jj_undef();
        if (f.t == JV_UNDEF) return jj_undefined_error(vm, f);
        return jj_call(vm, f, &args);
    }
    case JE_FILTER: {
        jj_val in = eval(vm, n->a);
        jj_args args;
        if (vm->st || eval_args(vm, n, &args)) return jj_undef();
        return jj_filter(vm, n->s, in, &args);
    }
    case JE_TEST: {
        jj_val in = eval(vm, n->a);
        jj_args args;
        if (vm->st || eval_args(vm, n, &args)) return jj_undef();
        int r = jj_test(vm, n->s, in, &args);
        return r < 0 ? jj_undef() : jj_bool(n->op ? !r : r);
    }
    case JE_BIN: {
        jj_val a = eval(vm, n->a), b = eval(vm, n->b);
        if (vm->st) return a;
        return arith(vm, n->op, a, b);
    }
    case JE_NOT: {
        jj_val a = eval(vm, n->a);
        return jj_bool(!jj_truthy(a));
    }
    case JE_NEG: case JE_POS: {
        jj_val a = eval(vm, n->a);
        if (vm->st) return a;
        if (n->k == JE_POS && is_num(a)) return a.t == JV_BOOL ? jj_int(a.u.b) : a;
        if (a.t == JV_FLOAT) return jj_float(-a.u.f);
        if (a.t == JV_INT || a.t == JV_BOOL) return arith(vm, JO_SUB, jj_int(0), a);
        if (a.t == JV_UNDEF) return jj_undefined_error(vm, a);
        return jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "bad operand type for unary -: '%s'", jj_type_name(a));
    }
    case JE_AND: {
        jj_val a = eval(vm, n->a);
        return jj_truthy(a) ? eval(vm, n->b) : a;
    }
    case JE_OR: {
        jj_val a = eval(vm, n->a);
        return jj_truthy(a) ? a : eval(vm, n->b);
    }
    case JE_CMP: {
        jj_val l = eval(vm, n->args[0]);
        for (int i = 1; i < n->n_args && !vm->st; i++) {
            jj_val r = eval(vm, n->args[i]);
            if (vm->st) break;
            int op = n->ops[i - 1], res;
            if (op == JO_EQ) res = jj_equal(l, r);
            else if (op == JO_NE) res = !jj_equal(l, r);
            else if (op == JO_IN || op == JO_NOTIN) {
                res = contains(vm, r, l);
                if (res < 0) break;
                if (op == JO_NOTIN) res = !res;
            } else {
                int c = compare(vm, l, r);
                if (c == -2) break;
                res = op == JO_LT ? c < 0 : op == JO_LE ? c <= 0 : op == JO_GT ? c > 0 : c >= 0;
            }
            if (!res) return jj_bool(0);
            l = r;
        }
        return vm->st ? jj_undef() : jj_bool(1);
    }
    case JE_COND: {
        jj_val c = eval(vm, n->a);
        if (jj_truthy(c)) return eval(vm, n->b);
        return n->c ? eval(vm, n->c) : jj_undef();
    }
    case JE_CONCAT: {
        jj_buf b = {.limit = JJ_MAX_OUTPUT};
        for (int i = 0; i < n->n_args && !vm->st; i++) jj_write_str(vm, &b, eval(vm, n->args[i]));
        jj_val r = b.failed ? jj_err(vm, VKATTN_ERROR_TOO_LARGE, "string too long") : jj_str_dup(vm, b.p ? b.p : "", b.n);
        free(b.p);
        return r;
    }
    default: return jj_err(vm, VKATTN_ERROR_FORMAT, "not an expression");
    }
}

static jj_val eval(jj_vm *vm, const jj_node *n) {
    if (tick(vm, n)) return jj_undef();
    if (++vm->depth > JJ_MAX_DEPTH) {
        vm->depth--;
        return jj_err(vm, VKATTN_ERROR_TOO_LARGE, "evaluation nested deeper than %d", JJ_MAX_DEPTH);
    }
    jj_val v = eval_inner(vm, n);
    vm->depth--;
    return vm->st ? jj_undef() : v;
}

/* ---- statements ---- */

enum { FLOW_NEXT = 0, FLOW_BREAK = 1, FLOW_CONTINUE = 2, FLOW_ERROR = -1 };

static int exec_list(jj_vm *vm, const jj_node *n, jj_buf *out);

static int unpack(jj_vm *vm, jj_str *names, int n_names, jj_val v) {
    if (n_names == 1) return assign(vm, names[0], v);
    if (v.t != JV_LIST && v.t != JV_TUPLE) {
        jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "cannot unpack a '%s' into %d names", jj_type_name(v), n_names);
        return -1;
    }
    if ((int)v.u.l->n != n_names) {
        jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "cannot unpack %zu values into %d names", v.u.l->n, n_names);
        return -1;
    }
    for (int i = 0; i < n_names; i++)
        if (assign(vm, names[i], v.u.l->v[i])) return -1;
    return 0;
}

static int exec_for(jj_vm *vm, const jj_node *n, jj_buf *out) {
    jj_val seq = eval(vm, n->a);
    if (vm->st) return FLOW_ERROR;
    jj_list *items = jj_iter(vm, seq);
    if (!items) return FLOW_ERROR;
    jj_scope *saved = vm->scope, *s = push_scope(vm, saved);
    if (!s) return FLOW_ERROR;
    vm->scope = s;
    if (n->c) { /* {% for x in xs if cond %}: filter first, loop indices count the kept items */
        jj_list *kept = jj_list_new(vm->A, items->n);
        if (!kept) return jj_oom(vm), vm->scope = saved, FLOW_ERROR;
        for (size_t i = 0; i < items->n; i++) {
            if (unpack(vm, n->names, n->n_names, items->v[i])) break;
            jj_val c = eval(vm, n->c);
            if (vm->st) break;
            if (jj_truthy(c)) kept->v[kept->n++] = items->v[i];
        }
        items = kept;
    }
    int flow = vm->st ? FLOW_ERROR : FLOW_NEXT;
    static const char *const keys[] = {"index", "index0", "revindex", "revindex0", "first", "last", "length",
                                       "previtem", "nextitem", "depth", "depth0"};
    /* one loop object and one body scope, reset every iteration (a loop of a million items must not
     * allocate a million scopes): each iteration starts from the enclosing scope, so a {% set %} in the
     * body lasts one iteration, as in Jinja2 */
    jj_dict *loop = jj_dict_new(vm->A, 11);
    jj_scope *body = push_scope(vm, saved);
    if (!loop || !body) flow = FLOW_ERROR;
    for (size_t i = 0; i < items->n && flow != FLOW_ERROR; i++) {
        int64_t len = (int64_t)items->n, k = (int64_t)i;
        jj_val vals[11] = {jj_int(k + 1), jj_int(k), jj_int(len - k), jj_int(len - k - 1), jj_bool(k == 0),
                           jj_bool(k == len - 1), jj_int(len), k > 0 ? items->v[i - 1] : jj_undef(),
                           k + 1 < len ? items->v[i + 1] : jj_undef(), jj_int(1), jj_int(0)};
        for (int j = 0; j < 11; j++) {
            loop->k[j] = (jj_str){keys[j], strlen(keys[j])};
            loop->v[j] = vals[j];
        }
        loop->n = 11;
        jj_val lv = {JV_DICT, {.d = loop}};
        body->vars->n = 0;
        vm->scope = body;
        if (unpack(vm, n->names, n->n_names, items->v[i]) || assign(vm, (jj_str){"loop", 4}, lv)) {
            flow = FLOW_ERROR;
            break;
        }
        flow = exec_list(vm, n->body, out);
        if (flow == FLOW_BREAK) {
            flow = FLOW_NEXT;
            break;
        }
        if (flow == FLOW_CONTINUE) flow = FLOW_NEXT;
    }
    vm->scope = saved;
    if (flow == FLOW_NEXT && items->n == 0 && n->alt) flow = exec_list(vm, n->alt, out);
    return flow;
}

jj_val jj_call_macro(jj_vm *vm, const jj_node *m, const jj_args *args) {
    if (vm->depth > JJ_MAX_DEPTH - 8) return jj_err(vm, VKATTN_ERROR_TOO_LARGE, "macro calls nested too deep");
    jj_scope *saved = vm->scope, *s = push_scope(vm, vm->root);
    if (!s) return jj_undef();
    vm->scope = s;
    int pos = 0;
    for (int i = 0; i < args->n && !vm->st; i++) {
        if (args->kw && args->kw[i].n) {
            int found = 0;
            for (int j = 0; j < m->n_args; j++)
                if (m->kw[j].n == args->kw[i].n && memcmp(m->kw[j].p, args->kw[i].p, m->kw[j].n) == 0) found = 1;
            if (!found)
                jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "macro '%.*s' has no parameter '%.*s'", (int)m->s.n, m->s.p,
                       (int)args->kw[i].n, args->kw[i].p);
            else assign(vm, args->kw[i], args->v[i]);
        } else if (pos < m->n_args) assign(vm, m->kw[pos++], args->v[i]);
        else jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "macro '%.*s' takes %d arguments", (int)m->s.n, m->s.p, m->n_args);
    }
    for (int j = 0; j < m->n_args && !vm->st; j++)
        if (!jj_dict_get(s->vars, m->kw[j].p, m->kw[j].n)) {
            jj_val v = m->args[j] ? eval(vm, m->args[j]) : jj_undef();
            if (!m->args[j]) v.u.s = m->kw[j];
            assign(vm, m->kw[j], v);
        }
    jj_buf b = {.limit = JJ_MAX_OUTPUT};
    vm->depth += 4;
    int flow = vm->st ? FLOW_ERROR : exec_list(vm, m->body, &b);
    vm->depth -= 4;
    vm->scope = saved;
    jj_val r = jj_undef();
    if (b.failed) jj_err(vm, VKATTN_ERROR_TOO_LARGE, "macro output too long");
    else if (flow != FLOW_ERROR) r = jj_str_dup(vm, b.p ? b.p : "", b.n);
    free(b.p);
    return r;
}

static int exec_one(jj_vm *vm, const jj_node *n, jj_buf *out) {
    if (tick(vm, n)) return FLOW_ERROR;
    switch (n->k) {
    case JS_TEXT:
        if (jj_buf_put(out, n->s.p, n->s.n)) goto too_long;
        return FLOW_NEXT;
    case JS_OUT: {
        jj_val v = eval(vm, n->a);
        if (vm->st) return FLOW_ERROR;
        if (jj_write_str(vm, out, v) || out->failed) {
            if (out->failed) goto too_long;
            return FLOW_ERROR;
        }
        return FLOW_NEXT;
    }
    case JS_IF: {
        jj_val c = eval(vm, n->a);
        if (vm->st) return FLOW_ERROR;
        return exec_list(vm, jj_truthy(c) ? n->body : n->alt, out);
    }
    case JS_FOR: return exec_for(vm, n, out);
    case JS_SET: {
        jj_val v = eval(vm, n->a);
        if (vm->st) return FLOW_ERROR;
        if (n->attr.n) {
            jj_val *ns = lookup(vm, n->s);
            if (!ns || ns->t != JV_NS) {
                jj_err(vm, VKATTN_ERROR_INVALID_ARGUMENT, "cannot assign attribute on non-namespace object '%.*s'",
                       (int)n->s.n, n->s.p);
                return FLOW_ERROR;
            }
            if (jj_dict_set(vm->A, ns->u.d, n->attr, v)) return jj_oom(vm), FLOW_ERROR;
            return FLOW_NEXT;
        }
        return unpack(vm, n->names, n->n_names, v) ? FLOW_ERROR : FLOW_NEXT;
    }
    case JS_SETBLOCK: {
        jj_buf b = {.limit = JJ_MAX_OUTPUT};
        int flow = exec_list(vm, n->body, &b);
        jj_val v = flow == FLOW_ERROR || b.failed ? jj_undef() : jj_str_dup(vm, b.p ? b.p : "", b.n);
        free(b.p);
        if (b.failed) goto too_long;
        if (flow == FLOW_ERROR || vm->st) return FLOW_ERROR;
        return assign(vm, n->names[0], v) ? FLOW_ERROR : FLOW_NEXT;
    }
    case JS_MACRO: {
        jj_func *f = jj_alloc(vm->A, sizeof *f);
        if (!f) return jj_oom(vm), FLOW_ERROR;
        f->kind = JF_MACRO;
        f->name = n->s;
        f->macro = n;
        jj_val v = {JV_FUNC, {.fn = f}};
        return assign(vm, n->s, v) ? FLOW_ERROR : FLOW_NEXT;
    }
    case JS_BREAK: return FLOW_BREAK;
    case JS_CONTINUE: return FLOW_CONTINUE;
    case JS_BLOCK: return exec_list(vm, n->body, out);
    default: jj_err(vm, VKATTN_ERROR_FORMAT, "not a statement"); return FLOW_ERROR;
    }
too_long:
    jj_err(vm, VKATTN_ERROR_TOO_LARGE, "the rendered text exceeds %u MiB", JJ_MAX_OUTPUT >> 20);
    return FLOW_ERROR;
}

static int exec_list(jj_vm *vm, const jj_node *n, jj_buf *out) {
    if (++vm->depth > JJ_MAX_DEPTH) {
        vm->depth--;
        jj_err(vm, VKATTN_ERROR_TOO_LARGE, "blocks nested deeper than %d", JJ_MAX_DEPTH);
        return FLOW_ERROR;
    }
    int flow = FLOW_NEXT;
    for (; n && flow == FLOW_NEXT; n = n->next) flow = exec_one(vm, n, out);
    vm->depth--;
    return flow;
}

vkattn_status jj_render(const jj_template *t, jj_arena *arena, const jj_var *vars, size_t n_vars, char **out,
                        size_t *out_len) {
    *out = NULL;
    if (out_len) *out_len = 0;
    jj_vm vm = {.A = arena};
    vm.root = vm.scope = push_scope(&vm, NULL);
    for (size_t i = 0; i < n_vars && !vm.st; i++) assign(&vm, (jj_str){vars[i].name, strlen(vars[i].name)}, vars[i].val);
    jj_buf b = {.limit = JJ_MAX_OUTPUT};
    int flow = vm.st ? FLOW_ERROR : exec_list(&vm, t->root, &b);
    if (!vm.st && flow == FLOW_ERROR) jj_err(&vm, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of memory");
    if (!vm.st && flow != FLOW_NEXT) jj_err(&vm, VKATTN_ERROR_FORMAT, "{%% break %%} or {%% continue %%} outside a loop");
    if (!vm.st && jj_buf_put(&b, "", 0)) jj_err(&vm, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of memory");
    if (vm.st) {
        free(b.p);
        return vm.st;
    }
    *out = b.p;
    if (out_len) *out_len = b.n;
    return VKATTN_OK;
}
