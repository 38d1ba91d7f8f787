/* Chat templates: the lexer and parser. The lexer follows Jinja2's (lexer.py) with trim_blocks and
 * lstrip_blocks on, as Hugging Face configures it: newlines normalised to \n and one trailing newline
 * dropped, "{%-"/"-%}" strip all whitespace on that side, "+" keeps it, a block or comment tag alone on
 * its line loses the indentation before it and the newline after it. The parser is recursive descent
 * over Jinja2's precedence: or, and, not, comparisons, + -, ~, * / // %, **, unary, postfix, filters. */
#include "jinja.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena ------------------------------------------------------------------------------------- */

struct jj_chunk {
    jj_chunk *next;
    size_t size, used;
    max_align_t data[];
};

void *jj_alloc(jj_arena *a, size_t n) {
    n = (n + 15) & ~(size_t)15;
    if (a->failed || n > a->limit - a->used) {
        a->failed = 1;
        return NULL;
    }
    jj_chunk *c = a->head;
    if (!c || c->size - c->used < n) {
        size_t size = n > 65536 ? n : 65536;
        c = malloc(sizeof *c + size);
        if (!c) {
            a->failed = 1;
            return NULL;
        }
        c->next = a->head;
        c->size = size;
        c->used = 0;
        a->head = c;
    }
    void *p = (char *)c->data + c->used;
    c->used += n;
    a->used += n;
    memset(p, 0, n);
    return p;
}

void jj_arena_free(jj_arena *a) {
    for (jj_chunk *c = a->head, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    a->head = NULL;
    a->used = 0;
}

/* ---- lexer ------------------------------------------------------------------------------------- */

typedef enum tok_type { T_EOF, T_DATA, T_VAR, T_BLOCK, T_END, T_NAME, T_STR, T_INT, T_FLOAT, T_OP } tok_type;

typedef struct token {
    tok_type t;
    int line;
    jj_str s;   /* data, name, decoded string, operator */
    int64_t i;
    double f;
} token;

typedef struct parser {
    jj_arena *A;
    const char *src;
    size_t len;
    token *toks;
    size_t n_toks, cap, pos;
    int depth;
    vkattn_status st;
    char msg[256];
} parser;

static int perr(parser *p, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static int perr(parser *p, int line, const char *fmt, ...) {
    if (p->st) return -1;
    p->st = VKATTN_ERROR_FORMAT;
    int k = snprintf(p->msg, sizeof p->msg, "chat template line %d: ", line);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->msg + k, sizeof p->msg - (size_t)k, fmt, ap);
    va_end(ap);
    return -1;
}

static int push(parser *p, token t) {
    if (p->n_toks == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 256;
        token *n = realloc(p->toks, cap * sizeof *n);
        if (!n) {
            p->st = VKATTN_ERROR_OUT_OF_HOST_MEMORY;
            snprintf(p->msg, sizeof p->msg, "chat template: out of memory");
            return -1;
        }
        p->toks = n;
        p->cap = cap;
    }
    p->toks[p->n_toks++] = t;
    return 0;
}

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
static int is_name0(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int count_lines(const char *s, size_t n) {
    int k = 0;
    for (size_t i = 0; i < n; i++) k += s[i] == '\n';
    return k;
}

/* Decodes a Python string literal body (what Jinja2 does with unicode-escape). */
static int decode_string(parser *p, const char *s, size_t n, int line, jj_str *out) {
    char *d = jj_alloc(p->A, n + 1);
    if (!d) return perr(p, line, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\\' || i + 1 >= n) {
            d[k++] = s[i];
            continue;
        }
        char e = s[++i];
        uint32_t cp = 0;
        int hex = 0;
        switch (e) {
        case 'n': d[k++] = '\n'; continue;
        case 't': d[k++] = '\t'; continue;
        case 'r': d[k++] = '\r'; continue;
        case '\\': d[k++] = '\\'; continue;
        case '\'': d[k++] = '\''; continue;
        case '"': d[k++] = '"'; continue;
        case 'a': d[k++] = '\a'; continue;
        case 'b': d[k++] = '\b'; continue;
        case 'f': d[k++] = '\f'; continue;
        case 'v': d[k++] = '\v'; continue;
        case '\n': continue; /* line continuation */
        case 'x': hex = 2; break;
        case 'u': hex = 4; break;
        case 'U': hex = 8; break;
        default:
            if (e >= '0' && e <= '7') {
                int m = 0;
                while (m < 3 && i < n && s[i] >= '0' && s[i] <= '7') cp = cp * 8 + (uint32_t)(s[i++] - '0'), m++;
                i--;
                break;
            }
            d[k++] = '\\'; /* unknown escapes keep the backslash */
            d[k++] = e;
            continue;
        }
        if (hex) {
            if (i + (size_t)hex >= n) return perr(p, line, "truncated \\%c escape in a string", e);
            for (int j = 1; j <= hex; j++) {
                char c = s[i + (size_t)j];
                int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
                if (v < 0) return perr(p, line, "bad \\%c escape in a string", e);
                cp = cp * 16 + (uint32_t)v;
            }
            i += (size_t)hex;
        }
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return perr(p, line, "escape \\%c outside Unicode in a string", e);
        /* UTF-8 */
        if (cp < 0x80) d[k++] = (char)cp;
        else if (cp < 0x800) d[k++] = (char)(0xC0 | cp >> 6), d[k++] = (char)(0x80 | (cp & 63));
        else if (cp < 0x10000) d[k++] = (char)(0xE0 | cp >> 12), d[k++] = (char)(0x80 | (cp >> 6 & 63)), d[k++] = (char)(0x80 | (cp & 63));
        else d[k++] = (char)(0xF0 | cp >> 18), d[k++] = (char)(0x80 | (cp >> 12 & 63)), d[k++] = (char)(0x80 | (cp >> 6 & 63)), d[k++] = (char)(0x80 | (cp & 63));
    }
    out->p = d;
    out->n = k;
    return 0;
}

static const char *const ops3[] = {"//", "**", "==", "!=", "<=", ">=", NULL};

/* Tokens inside {{ }} / {% %} from s[*i]; stops after the closer. Returns 0, or -1 on error. */
static int lex_tag(parser *p, size_t *ip, int *line, int is_block) {
    const char *s = p->src;
    size_t i = *ip, n = p->len;
    int depth = 0;
    for (;;) {
        while (i < n && is_ws(s[i])) *line += s[i++] == '\n';
        if (i >= n) return perr(p, *line, "unclosed %s", is_block ? "{%" : "{{");
        /* the closer, unless inside brackets */
        if (depth == 0) {
            size_t j = i;
            char sign = 0;
            if (s[j] == '-' || s[j] == '+') sign = s[j++];
            if (j + 1 < n && s[j] == (is_block ? '%' : '}') && s[j + 1] == '}' && !(sign == '+' && !is_block)) {
                i = j + 2;
                if (push(p, (token){.t = T_END, .line = *line})) return -1;
                if (sign == '-') {
                    while (i < n && is_ws(s[i])) *line += s[i++] == '\n';
                } else if (is_block && sign != '+' && i < n && s[i] == '\n') { /* trim_blocks */
                    i++;
                    (*line)++;
                }
                *ip = i;
                return 0;
            }
        }
        token t = {.line = *line};
        char c = s[i];
        if (is_name0(c)) {
            size_t j = i;
            while (j < n && (is_name0(s[j]) || is_digit(s[j]))) j++;
            t.t = T_NAME;
            t.s = (jj_str){s + i, j - i};
            i = j;
        } else if (is_digit(c)) {
            size_t j = i;
            char buf[64];
            size_t k = 0;
            int is_float = 0;
            while (j < n && (is_digit(s[j]) || (s[j] == '_' && j + 1 < n && is_digit(s[j + 1])))) {
                if (s[j] != '_' && k < 63) buf[k++] = s[j];
                j++;
            }
            if (j + 1 < n && s[j] == '.' && is_digit(s[j + 1])) {
                is_float = 1;
                buf[k < 63 ? k++ : k] = '.';
                j++;
                while (j < n && (is_digit(s[j]) || s[j] == '_')) {
                    if (s[j] != '_' && k < 63) buf[k++] = s[j];
                    j++;
                }
            }
            if (j < n && (s[j] == 'e' || s[j] == 'E')) {
                size_t e = j + 1;
                if (e < n && (s[e] == '+' || s[e] == '-')) e++;
                if (e < n && is_digit(s[e])) {
                    is_float = 1;
                    while (j < e && k < 63) buf[k++] = s[j++];
                    while (j < n && is_digit(s[j])) {
                        if (k < 63) buf[k++] = s[j];
                        j++;
                    }
                }
            }
            if (k >= 63) return perr(p, *line, "number literal too long");
            buf[k] = 0;
            if (is_float) {
                t.t = T_FLOAT;
                t.f = strtod(buf, NULL);
            } else {
                t.t = T_INT;
                unsigned long long v = strtoull(buf, NULL, 10);
                if (v > INT64_MAX || k > 19) return perr(p, *line, "integer literal %s too large", buf);
                t.i = (int64_t)v;
            }
            i = j;
        } else if (c == '\'' || c == '"') {
            size_t j = i + 1;
            while (j < n && s[j] != c) j += s[j] == '\\' ? 2 : 1;
            if (j >= n) return perr(p, *line, "unterminated string");
            /* newlines inside the literal were normalised already */
            t.t = T_STR;
            if (decode_string(p, s + i + 1, j - i - 1, *line, &t.s)) return -1;
            *line += count_lines(s + i, j - i);
            i = j + 1;
        } else {
            size_t len = 1;
            for (int k = 0; ops3[k]; k++)
                if (i + 1 < n && s[i] == ops3[k][0] && s[i + 1] == ops3[k][1]) len = 2;
            if (!strchr("+-*/%~=!<>()[]{}.,:|", c) || (c == '!' && len == 1))
                return perr(p, *line, "unexpected character '%c'", c);
            if (c == '(' || c == '[' || c == '{') depth++;
            if (c == ')' || c == ']' || c == '}') depth--;
            if (depth < 0) return perr(p, *line, "unbalanced '%c'", c);
            t.t = T_OP;
            t.s = (jj_str){s + i, len};
            i += len;
        }
        if (push(p, t)) return -1;
    }
}

static int lex(parser *p) {
    const char *s = p->src;
    size_t n = p->len, i = 0;
    int line = 1, line_starting = 1;
    while (i < n) {
        /* the next tag */
        size_t j = i;
        while (j + 1 < n && !(s[j] == '{' && (s[j + 1] == '{' || s[j + 1] == '%' || s[j + 1] == '#'))) j++;
        if (j + 1 >= n) j = n;
        size_t dlen = j - i;
        if (j < n) {
            char kind = s[j + 1];
            char sign = j + 2 < n ? s[j + 2] : 0;
            if (sign == '-') {
                while (dlen > 0 && is_ws(s[i + dlen - 1])) dlen--;
            } else if (sign != '+' && kind != '{') { /* lstrip_blocks */
                size_t l = dlen;
                while (l > 0 && s[i + l - 1] != '\n') l--;
                if (l > 0 || line_starting) {
                    size_t k = l;
                    while (k < dlen && is_ws(s[i + k])) k++;
                    if (k == dlen) dlen = l;
                }
            }
        }
        if (dlen && push(p, (token){.t = T_DATA, .line = line, .s = {s + i, dlen}})) return -1;
        line += count_lines(s + i, j - i);
        if (j >= n) break;
        char kind = s[j + 1];
        i = j + 2;
        if (i < n && (s[i] == '-' || s[i] == '+')) i++;
        if (kind == '#') {
            size_t k = i;
            while (k + 1 < n && !(s[k] == '#' && s[k + 1] == '}')) k++;
            if (k + 1 >= n) return perr(p, line, "unclosed comment");
            char sign = k > i && (s[k - 1] == '-' || s[k - 1] == '+') ? s[k - 1] : 0;
            line += count_lines(s + i, k - i);
            i = k + 2;
            if (sign == '-') {
                while (i < n && is_ws(s[i])) line += s[i++] == '\n';
            } else if (sign != '+' && i < n && s[i] == '\n') {
                i++;
                line++;
            }
        } else {
            if (push(p, (token){.t = kind == '%' ? T_BLOCK : T_VAR, .line = line})) return -1;
            if (lex_tag(p, &i, &line, kind == '%')) return -1;
        }
        line_starting = i > 0 && s[i - 1] == '\n';
    }
    return push(p, (token){.t = T_EOF, .line = line});
}

/* ---- parser ------------------------------------------------------------------------------------ */

static token *cur(parser *p) { return &p->toks[p->pos]; }
static int is_op(parser *p, const char *op) {
    token *t = cur(p);
    return t->t == T_OP && t->s.n == strlen(op) && memcmp(t->s.p, op, t->s.n) == 0;
}
static int is_name(parser *p, const char *name) {
    token *t = cur(p);
    return t->t == T_NAME && jj_str_eq(t->s, name);
}
static int accept_op(parser *p, const char *op) {
    if (!is_op(p, op)) return 0;
    p->pos++;
    return 1;
}
static int expect_op(parser *p, const char *op) {
    if (accept_op(p, op)) return 0;
    return perr(p, cur(p)->line, "expected '%s'", op);
}
static int expect_end(parser *p) {
    if (cur(p)->t == T_END) {
        p->pos++;
        return 0;
    }
    return perr(p, cur(p)->line, "expected the end of the tag");
}

static jj_node *node(parser *p, jj_kind k) {
    jj_node *n = jj_alloc(p->A, sizeof *n);
    if (!n) {
        perr(p, cur(p)->line, "out of memory");
        return NULL;
    }
    n->k = k;
    n->line = cur(p)->line;
    return n;
}

typedef struct nodevec {
    jj_node **v;
    jj_str *kw;
    int n, cap;
} nodevec;

static int vec_push(parser *p, nodevec *v, jj_node *x, jj_str kw) {
    if (v->n == v->cap) {
        int cap = v->cap ? v->cap * 2 : 4;
        jj_node **nv = jj_alloc(p->A, (size_t)cap * sizeof *nv);
        jj_str *nk = jj_alloc(p->A, (size_t)cap * sizeof *nk);
        if (!nv || !nk) return perr(p, cur(p)->line, "out of memory");
        if (v->n) {
            memcpy(nv, v->v, (size_t)v->n * sizeof *nv);
            memcpy(nk, v->kw, (size_t)v->n * sizeof *nk);
        }
        v->v = nv;
        v->kw = nk;
        v->cap = cap;
    }
    v->v[v->n] = x;
    v->kw[v->n++] = kw;
    return 0;
}

static jj_node *parse_expr(parser *p);
static jj_node *parse_or(parser *p);
static jj_node *parse_unary(parser *p, int with_filter);

static int enter(parser *p) {
    if (++p->depth > JJ_MAX_DEPTH) return perr(p, cur(p)->line, "nesting deeper than %d", JJ_MAX_DEPTH);
    return 0;
}

/* ( args ) with keyword arguments; the '(' is already consumed. */
static int parse_call_args(parser *p, jj_node *n) {
    nodevec v = {0};
    while (!is_op(p, ")")) {
        jj_str kw = {0};
        token *t = cur(p);
        if (t->t == T_NAME && p->toks[p->pos + 1].t == T_OP && p->toks[p->pos + 1].s.n == 1 &&
            p->toks[p->pos + 1].s.p[0] == '=') {
            kw = t->s;
            p->pos += 2;
        }
        jj_node *a = parse_expr(p);
        if (!a || vec_push(p, &v, a, kw)) return -1;
        if (!accept_op(p, ",")) break;
    }
    if (expect_op(p, ")")) return -1;
    n->args = v.v;
    n->kw = v.kw;
    n->n_args = v.n;
    return 0;
}

static jj_node *parse_primary(parser *p) {
    token *t = cur(p);
    jj_node *n = NULL;
    if (t->t == T_NAME) {
        static const char *const lits[] = {"true", "True", "false", "False", "none", "None"};
        for (int k = 0; k < 6; k++)
            if (jj_str_eq(t->s, lits[k])) {
                if (!(n = node(p, JE_LIT))) return NULL;
                n->lit = k < 4 ? jj_bool(k < 2) : jj_none();
                p->pos++;
                return n;
            }
        if (!(n = node(p, JE_NAME))) return NULL;
        n->s = t->s;
        p->pos++;
        return n;
    }
    if (t->t == T_STR) {
        if (!(n = node(p, JE_LIT))) return NULL;
        jj_str s = t->s;
        p->pos++;
        while (cur(p)->t == T_STR) { /* adjacent literals concatenate */
            jj_str s2 = cur(p)->s;
            char *d = jj_alloc(p->A, s.n + s2.n + 1);
            if (!d) return perr(p, t->line, "out of memory"), NULL;
            memcpy(d, s.p, s.n);
            memcpy(d + s.n, s2.p, s2.n);
            s = (jj_str){d, s.n + s2.n};
            p->pos++;
        }
        n->lit = jj_strv(s.p, s.n);
        return n;
    }
    if (t->t == T_INT || t->t == T_FLOAT) {
        if (!(n = node(p, JE_LIT))) return NULL;
        n->lit = t->t == T_INT ? jj_int(t->i) : jj_float(t->f);
        p->pos++;
        return n;
    }
    if (is_op(p, "(")) {
        p->pos++;
        if (accept_op(p, ")")) return node(p, JE_TUPLE);
        jj_node *e = parse_expr(p);
        if (!e) return NULL;
        if (is_op(p, ",")) { /* a tuple */
            nodevec v = {0};
            if (vec_push(p, &v, e, (jj_str){0})) return NULL;
            while (accept_op(p, ",") && !is_op(p, ")")) {
                jj_node *x = parse_expr(p);
                if (!x || vec_push(p, &v, x, (jj_str){0})) return NULL;
            }
            if (!(n = node(p, JE_TUPLE))) return NULL;
            n->args = v.v;
            n->n_args = v.n;
            e = n;
        }
        if (expect_op(p, ")")) return NULL;
        return e;
    }
    if (is_op(p, "[") || is_op(p, "{")) {
        int dict = is_op(p, "{");
        p->pos++;
        nodevec v = {0};
        while (!is_op(p, dict ? "}" : "]")) {
            jj_node *x = parse_expr(p);
            if (!x || vec_push(p, &v, x, (jj_str){0})) return NULL;
            if (dict) {
                if (expect_op(p, ":")) return NULL;
                if (!(x = parse_expr(p)) || vec_push(p, &v, x, (jj_str){0})) return NULL;
            }
            if (!accept_op(p, ",")) break;
        }
        if (expect_op(p, dict ? "}" : "]")) return NULL;
        if (!(n = node(p, dict ? JE_DICT : JE_LIST))) return NULL;
        n->args = v.v;
        n->n_args = v.n;
        return n;
    }
    perr(p, t->line, t->t == T_END ? "expected an expression before the end of the tag" : "unexpected token '%.*s'",
         (int)t->s.n, t->s.p);
    return NULL;
}

static jj_node *parse_postfix(parser *p, jj_node *n) {
    while (n) {
        if (accept_op(p, ".")) {
            token *t = cur(p);
            jj_node *a = node(p, JE_ATTR);
            if (!a) return NULL;
            if (t->t == T_NAME) a->s = t->s;
            else if (t->t == T_INT) { /* x.0 is x[0] */
                a->k = JE_ITEM;
                if (!(a->b = node(p, JE_LIT))) return NULL;
                a->b->lit = jj_int(t->i);
            } else return perr(p, t->line, "expected an attribute name after '.'"), NULL;
            p->pos++;
            a->a = n;
            n = a;
        } else if (accept_op(p, "[")) {
            jj_node *parts[3] = {NULL, NULL, NULL};
            int colons = 0;
            for (;;) {
                if (is_op(p, ":")) {
                    if (++colons > 2) return perr(p, cur(p)->line, "too many ':' in a slice"), NULL;
                    p->pos++;
                    continue;
                }
                if (is_op(p, "]")) break;
                if (parts[colons]) return perr(p, cur(p)->line, "expected ']'"), NULL;
                if (!(parts[colons] = parse_expr(p))) return NULL;
            }
            p->pos++;
            jj_node *a = node(p, colons ? JE_SLICE : JE_ITEM);
            if (!a) return NULL;
            a->a = n;
            if (colons) {
                if (!(a->args = jj_alloc(p->A, 3 * sizeof *a->args))) return perr(p, a->line, "out of memory"), NULL;
                memcpy(a->args, parts, sizeof parts);
                a->n_args = 3;
            } else {
                if (!parts[0]) return perr(p, a->line, "empty subscript"), NULL;
                a->b = parts[0];
            }
            n = a;
        } else if (accept_op(p, "(")) {
            jj_node *a = node(p, JE_CALL);
            if (!a) return NULL;
            a->a = n;
            if (parse_call_args(p, a)) return NULL;
            n = a;
        } else break;
    }
    return n;
}

static jj_node *parse_filter_expr(parser *p, jj_node *n) {
    while (n) {
        if (accept_op(p, "|")) {
            token *t = cur(p);
            if (t->t != T_NAME) return perr(p, t->line, "expected a filter name after '|'"), NULL;
            jj_node *f = node(p, JE_FILTER);
            if (!f) return NULL;
            f->s = t->s;
            f->a = n;
            p->pos++;
            if (accept_op(p, "(") && parse_call_args(p, f)) return NULL;
            n = f;
        } else if (is_name(p, "is")) {
            p->pos++;
            jj_node *f = node(p, JE_TEST);
            if (!f) return NULL;
            if (is_name(p, "not")) {
                f->op = 1;
                p->pos++;
            }
            token *t = cur(p);
            if (t->t != T_NAME) return perr(p, t->line, "expected a test name after 'is'"), NULL;
            f->s = t->s;
            f->a = n;
            p->pos++;
            t = cur(p);
            if (accept_op(p, "(")) {
                if (parse_call_args(p, f)) return NULL;
            } else if ((t->t == T_NAME || t->t == T_STR || t->t == T_INT || t->t == T_FLOAT || is_op(p, "[") || is_op(p, "{")) &&
                       !is_name(p, "else") && !is_name(p, "or") && !is_name(p, "and") && !is_name(p, "is") &&
                       !is_name(p, "if") && !is_name(p, "in") && !is_name(p, "not")) {
                jj_node *arg = parse_postfix(p, parse_primary(p));
                if (!arg) return NULL;
                if (!(f->args = jj_alloc(p->A, sizeof *f->args)) || !(f->kw = jj_alloc(p->A, sizeof *f->kw)))
                    return perr(p, t->line, "out of memory"), NULL;
                f->args[0] = arg;
                f->n_args = 1;
            }
            n = f;
        } else if (accept_op(p, "(")) {
            jj_node *a = node(p, JE_CALL);
            if (!a) return NULL;
            a->a = n;
            if (parse_call_args(p, a)) return NULL;
            n = a;
        } else break;
    }
    return n;
}

static jj_node *parse_unary(parser *p, int with_filter) {
    if (enter(p)) return NULL;
    jj_node *n;
    if (is_op(p, "-") || is_op(p, "+")) {
        n = node(p, is_op(p, "-") ? JE_NEG : JE_POS);
        p->pos++;
        if (n && !(n->a = parse_unary(p, 0))) n = NULL;
    } else n = parse_primary(p);
    n = parse_postfix(p, n);
    if (with_filter) n = parse_filter_expr(p, n);
    p->depth--;
    return n;
}

static jj_node *binop(parser *p, jj_node *l, int op, jj_node *r) {
    if (!l || !r) return NULL;
    jj_node *n = node(p, JE_BIN);
    if (!n) return NULL;
    n->op = op;
    n->a = l;
    n->b = r;
    return n;
}

static jj_node *parse_pow(parser *p) {
    jj_node *l = parse_unary(p, 1);
    while (l && accept_op(p, "**")) l = binop(p, l, JO_POW, parse_unary(p, 1));
    return l;
}

static jj_node *parse_math2(parser *p) {
    jj_node *l = parse_pow(p);
    for (;;) {
        int op = is_op(p, "*") ? JO_MUL : is_op(p, "/") ? JO_DIV : is_op(p, "//") ? JO_FDIV : is_op(p, "%") ? JO_MOD : 0;
        if (!op || !l) return l;
        p->pos++;
        l = binop(p, l, op, parse_pow(p));
    }
}

static jj_node *parse_concat(parser *p) {
    jj_node *l = parse_math2(p);
    if (!l || !is_op(p, "~")) return l;
    nodevec v = {0};
    if (vec_push(p, &v, l, (jj_str){0})) return NULL;
    while (accept_op(p, "~")) {
        jj_node *r = parse_math2(p);
        if (!r || vec_push(p, &v, r, (jj_str){0})) return NULL;
    }
    jj_node *n = node(p, JE_CONCAT);
    if (!n) return NULL;
    n->args = v.v;
    n->n_args = v.n;
    return n;
}

static jj_node *parse_math1(parser *p) {
    jj_node *l = parse_concat(p);
    for (;;) {
        int op = is_op(p, "+") ? JO_ADD : is_op(p, "-") ? JO_SUB : 0;
        if (!op || !l) return l;
        p->pos++;
        l = binop(p, l, op, parse_concat(p));
    }
}

static jj_node *parse_compare(parser *p) {
    jj_node *l = parse_math1(p);
    if (!l) return NULL;
    nodevec v = {0};
    int ops[64], n_ops = 0;
    for (;;) {
        int op = is_op(p, "==") ? JO_EQ : is_op(p, "!=") ? JO_NE : is_op(p, "<") ? JO_LT : is_op(p, "<=") ? JO_LE
               : is_op(p, ">") ? JO_GT : is_op(p, ">=") ? JO_GE : is_name(p, "in") ? JO_IN : 0;
        if (!op && is_name(p, "not") && p->toks[p->pos + 1].t == T_NAME && jj_str_eq(p->toks[p->pos + 1].s, "in")) {
            op = JO_NOTIN;
            p->pos++;
        }
        if (!op) break;
        p->pos++;
        if (n_ops == 64) return perr(p, cur(p)->line, "too many chained comparisons"), NULL;
        if (!n_ops && vec_push(p, &v, l, (jj_str){0})) return NULL;
        jj_node *r = parse_math1(p);
        if (!r || vec_push(p, &v, r, (jj_str){0})) return NULL;
        ops[n_ops++] = op;
    }
    if (!n_ops) return l;
    jj_node *n = node(p, JE_CMP);
    if (!n || !(n->ops = jj_alloc(p->A, (size_t)n_ops * sizeof *n->ops))) return NULL;
    memcpy(n->ops, ops, (size_t)n_ops * sizeof *ops);
    n->args = v.v;
    n->n_args = v.n;
    return n;
}

static jj_node *parse_not(parser *p) {
    if (is_name(p, "not")) {
        if (enter(p)) return NULL;
        jj_node *n = node(p, JE_NOT);
        p->pos++;
        if (n && !(n->a = parse_not(p))) n = NULL;
        p->depth--;
        return n;
    }
    return parse_compare(p);
}

static jj_node *parse_and(parser *p) {
    jj_node *l = parse_not(p);
    while (l && is_name(p, "and")) {
        p->pos++;
        jj_node *n = node(p, JE_AND);
        if (!n) return NULL;
        n->a = l;
        if (!(n->b = parse_not(p))) return NULL;
        l = n;
    }
    return l;
}

static jj_node *parse_or(parser *p) {
    jj_node *l = parse_and(p);
    while (l && is_name(p, "or")) {
        p->pos++;
        jj_node *n = node(p, JE_OR);
        if (!n) return NULL;
        n->a = l;
        if (!(n->b = parse_and(p))) return NULL;
        l = n;
    }
    return l;
}

/* expression with inline if: a if cond [else b] */
static jj_node *parse_expr(parser *p) {
    if (enter(p)) return NULL;
    jj_node *l = parse_or(p);
    while (l && is_name(p, "if")) {
        p->pos++;
        jj_node *n = node(p, JE_COND);
        if (!n) return NULL;
        n->b = l;
        if (!(n->a = parse_or(p))) return NULL;
        if (is_name(p, "else")) {
            p->pos++;
            if (!(n->c = parse_expr(p))) return NULL;
        }
        l = n;
    }
    p->depth--;
    return l;
}

/* expr or a bare tuple "a, b" (for {{ }}, set values) */
static jj_node *parse_tuple(parser *p, int with_cond) {
    jj_node *e = with_cond ? parse_expr(p) : parse_or(p);
    if (!e || !is_op(p, ",")) return e;
    nodevec v = {0};
    if (vec_push(p, &v, e, (jj_str){0})) return NULL;
    while (accept_op(p, ",")) {
        if (cur(p)->t == T_END || is_name(p, "if") || is_name(p, "recursive")) break;
        jj_node *x = with_cond ? parse_expr(p) : parse_or(p);
        if (!x || vec_push(p, &v, x, (jj_str){0})) return NULL;
    }
    jj_node *n = node(p, JE_TUPLE);
    if (!n) return NULL;
    n->args = v.v;
    n->n_args = v.n;
    return n;
}

/* name[, name...] targets of for / set */
static int parse_targets(parser *p, jj_node *n) {
    jj_str names[16];
    int k = 0;
    int paren = accept_op(p, "(");
    do {
        token *t = cur(p);
        if (t->t != T_NAME) return perr(p, t->line, "expected a variable name");
        if (k == 16) return perr(p, t->line, "too many targets");
        names[k++] = t->s;
        p->pos++;
    } while (accept_op(p, ","));
    if (paren && expect_op(p, ")")) return -1;
    if (!(n->names = jj_alloc(p->A, (size_t)k * sizeof *names))) return perr(p, n->line, "out of memory");
    memcpy(n->names, names, (size_t)k * sizeof *names);
    n->n_names = k;
    return 0;
}

static jj_node *parse_body(parser *p, const char *const *ends, jj_str *which);

/* Parses {% tag ... %} (the tag name is current). */
static jj_node *parse_stmt(parser *p) {
    token *t = cur(p);
    if (t->t != T_NAME) return perr(p, t->line, "expected a tag name after {%%"), NULL;
    jj_str tag = t->s;
    int line = t->line;
    p->pos++;
    jj_node *n = NULL;
    jj_str which;
    if (jj_str_eq(tag, "if") || jj_str_eq(tag, "elif")) {
        static const char *const ends[] = {"elif", "else", "endif", NULL};
        if (!(n = node(p, JS_IF)) || !(n->a = parse_expr(p)) || expect_end(p)) return NULL;
        n->body = parse_body(p, ends, &which);
        if (p->st) return NULL;
        if (jj_str_eq(which, "elif")) {
            p->pos--; /* re-read "elif" as a nested if */
            n->alt = parse_stmt(p);
            return p->st ? NULL : n;
        }
        if (jj_str_eq(which, "else")) {
            static const char *const ends2[] = {"endif", NULL};
            if (expect_end(p)) return NULL;
            n->alt = parse_body(p, ends2, &which);
            if (p->st) return NULL;
        }
        if (expect_end(p)) return NULL;
        return n;
    }
    if (jj_str_eq(tag, "for")) {
        static const char *const ends[] = {"else", "endfor", NULL};
        if (!(n = node(p, JS_FOR)) || parse_targets(p, n)) return NULL;
        if (!is_name(p, "in")) return perr(p, cur(p)->line, "expected 'in' in for"), NULL;
        p->pos++;
        if (!(n->a = parse_tuple(p, 0))) return NULL;
        if (is_name(p, "if")) {
            p->pos++;
            if (!(n->c = parse_expr(p))) return NULL;
        }
        if (is_name(p, "recursive")) return perr(p, cur(p)->line, "recursive loops are not supported"), NULL;
        if (expect_end(p)) return NULL;
        n->body = parse_body(p, ends, &which);
        if (p->st) return NULL;
        if (jj_str_eq(which, "else")) {
            static const char *const ends2[] = {"endfor", NULL};
            if (expect_end(p)) return NULL;
            n->alt = parse_body(p, ends2, &which);
            if (p->st) return NULL;
        }
        if (expect_end(p)) return NULL;
        return n;
    }
    if (jj_str_eq(tag, "set")) {
        if (!(n = node(p, JS_SET))) return NULL;
        token *nt = cur(p);
        if (nt->t == T_NAME && p->toks[p->pos + 1].t == T_OP && jj_str_eq(p->toks[p->pos + 1].s, ".")) {
            n->s = nt->s;
            p->pos += 2;
            if (cur(p)->t != T_NAME) return perr(p, cur(p)->line, "expected an attribute name"), NULL;
            n->attr = cur(p)->s;
            p->pos++;
        } else if (parse_targets(p, n)) return NULL;
        if (accept_op(p, "=")) {
            if (!(n->a = parse_tuple(p, 1)) || expect_end(p)) return NULL;
            return n;
        }
        if (n->attr.n || n->n_names != 1) return perr(p, line, "a block set takes one variable name"), NULL;
        static const char *const ends[] = {"endset", NULL};
        n->k = JS_SETBLOCK;
        if (expect_end(p)) return NULL;
        n->body = parse_body(p, ends, &which);
        if (p->st || expect_end(p)) return NULL;
        return n;
    }
    if (jj_str_eq(tag, "macro")) {
        static const char *const ends[] = {"endmacro", NULL};
        if (!(n = node(p, JS_MACRO))) return NULL;
        if (cur(p)->t != T_NAME) return perr(p, cur(p)->line, "expected a macro name"), NULL;
        n->s = cur(p)->s;
        p->pos++;
        if (expect_op(p, "(")) return NULL;
        nodevec v = {0};
        while (!is_op(p, ")")) {
            if (cur(p)->t != T_NAME) return perr(p, cur(p)->line, "expected a parameter name"), NULL;
            jj_str name = cur(p)->s;
            p->pos++;
            jj_node *def = NULL;
            if (accept_op(p, "=") && !(def = parse_expr(p))) return NULL;
            if (vec_push(p, &v, def, name)) return NULL;
            if (!accept_op(p, ",")) break;
        }
        if (expect_op(p, ")") || expect_end(p)) return NULL;
        n->args = v.v;
        n->kw = v.kw;
        n->n_args = v.n;
        n->body = parse_body(p, ends, &which);
        if (p->st) return NULL;
        if (cur(p)->t == T_NAME) p->pos++; /* {% endmacro name %} */
        if (expect_end(p)) return NULL;
        return n;
    }
    if (jj_str_eq(tag, "break") || jj_str_eq(tag, "continue")) {
        if (!(n = node(p, jj_str_eq(tag, "break") ? JS_BREAK : JS_CONTINUE)) || expect_end(p)) return NULL;
        return n;
    }
    if (jj_str_eq(tag, "generation")) { /* transformers' assistant-mask marker: renders its body */
        static const char *const ends[] = {"endgeneration", NULL};
        if (!(n = node(p, JS_BLOCK)) || expect_end(p)) return NULL;
        n->body = parse_body(p, ends, &which);
        if (p->st || expect_end(p)) return NULL;
        return n;
    }
    perr(p, line, "unsupported tag '%.*s' (supported: if, for, set, macro, break, continue, generation)", (int)tag.n,
         tag.p);
    return NULL;
}

/* Statements until {% <one of ends> (left current, after the tag name) or EOF when ends is NULL. */
static jj_node *parse_body(parser *p, const char *const *ends, jj_str *which) {
    jj_node *head = NULL, **tail = &head;
    if (enter(p)) return NULL;
    int start_line = cur(p)->line;
    for (;;) {
        token *t = cur(p);
        jj_node *n = NULL;
        if (t->t == T_EOF) {
            if (ends) {
                int k = 0;
                while (ends[k + 1] && strncmp(ends[k], "end", 3) != 0) k++;
                perr(p, start_line, "missing {%% %s %%}", ends[k]);
            }
            break;
        }
        if (t->t == T_DATA) {
            if (!(n = node(p, JS_TEXT))) break;
            n->s = t->s;
            p->pos++;
        } else if (t->t == T_VAR) {
            p->pos++;
            if (!(n = node(p, JS_OUT)) || !(n->a = parse_tuple(p, 1)) || expect_end(p)) break;
        } else if (t->t == T_BLOCK) {
            token *name = &p->toks[p->pos + 1];
            int found = 0;
            for (int k = 0; ends && ends[k]; k++)
                if (name->t == T_NAME && jj_str_eq(name->s, ends[k])) found = 1;
            if (found) {
                *which = name->s;
                p->pos += 2;
                break;
            }
            if (name->t == T_NAME &&
                (jj_str_eq(name->s, "endif") || jj_str_eq(name->s, "endfor") || jj_str_eq(name->s, "else") ||
                 jj_str_eq(name->s, "elif") || jj_str_eq(name->s, "endset") || jj_str_eq(name->s, "endmacro") ||
                 jj_str_eq(name->s, "endgeneration"))) {
                perr(p, name->line, "unexpected {%% %.*s %%}", (int)name->s.n, name->s.p);
                break;
            }
            p->pos++;
            if (!(n = parse_stmt(p))) break;
        } else {
            perr(p, t->line, "unexpected token");
            break;
        }
        *tail = n;
        tail = &n->next;
    }
    p->depth--;
    return head;
}

vkattn_status jj_parse(const char *src, size_t len, jj_template *out) {
    memset(out, 0, sizeof *out);
    out->arena.limit = JJ_MAX_ARENA;
    parser p = {.A = &out->arena};
    /* newlines normalised to \n, one trailing newline dropped (keep_trailing_newline=False) */
    char *s = jj_alloc(&out->arena, len + 1);
    if (!s) return vkattn__fail(NULL, VKATTN_ERROR_TOO_LARGE, "chat template: %zu bytes is too large", len);
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (src[i] == '\r') {
            s[n++] = '\n';
            if (i + 1 < len && src[i + 1] == '\n') i++;
        } else s[n++] = src[i];
    }
    if (n && s[n - 1] == '\n') n--;
    p.src = s;
    p.len = n;
    if (!lex(&p)) {
        jj_str which;
        out->root = parse_body(&p, NULL, &which);
    }
    free(p.toks);
    if (p.st) {
        jj_template_free(out);
        return vkattn__fail(NULL, p.st, "%s", p.msg);
    }
    return VKATTN_OK;
}

void jj_template_free(jj_template *t) {
    if (!t) return;
    jj_arena_free(&t->arena);
    t->root = NULL;
}
