/* Internal interfaces of the chat-template engine: a Jinja2 subset that renders Hugging Face chat templates
 * as transformers does (trim_blocks, lstrip_blocks, loop controls, Python value semantics). Host-only C,
 * no Vulkan. Not installed.
 *
 *   jinja_parse.c     lexer (whitespace control, trim/lstrip) and recursive-descent parser -> AST
 *   jinja_eval.c      values, scopes, statement execution and expression evaluation, limits
 *   jinja_builtins.c  filters, tests, globals, str/dict methods, Python repr/str and JSON output
 *   jinja_json.c      JSON text -> values (messages, extra variables) with Python's int/float split
 *   chat.c            the public API (vkattn_chat_*), built-in templates
 *
 * Everything one render allocates lives in one arena, freed at once. Limits (arena bytes, output bytes,
 * evaluation steps, nesting depth) make hostile templates fail with VKATTN_ERROR_TOO_LARGE, never hang. */
#ifndef VKATTN_JINJA_H
#define VKATTN_JINJA_H

#include "base/base.h"
#include "vkattn.h"

#include <stddef.h>
#include <stdint.h>

#define JJ_MAX_ARENA (64u << 20)   /* bytes one render may allocate */
#define JJ_MAX_OUTPUT (16u << 20)  /* bytes of rendered text */
#define JJ_MAX_STEPS 20000000u     /* evaluated nodes */
#define JJ_MAX_DEPTH 200           /* parser and evaluator nesting (expressions, blocks, macro calls) */

/* ---- arena ---- */
typedef struct jj_chunk jj_chunk;
typedef struct jj_arena {
    jj_chunk *head;
    size_t used, limit;
    int failed; /* limit reached or malloc failed */
} jj_arena;
void *jj_alloc(jj_arena *a, size_t n); /* zeroed; NULL when over the limit */
void jj_arena_free(jj_arena *a);

typedef struct jj_str {
    const char *p;
    size_t n;
} jj_str;

/* ---- values ---- */
typedef enum jj_type {
    JV_UNDEF = 0, JV_NONE, JV_BOOL, JV_INT, JV_FLOAT, JV_STR, JV_LIST, JV_TUPLE, JV_DICT, JV_NS, JV_FUNC
} jj_type;

typedef struct jj_list jj_list;
typedef struct jj_dict jj_dict;
typedef struct jj_func jj_func;

typedef struct jj_val {
    jj_type t;
    union {
        int b;
        int64_t i;
        double f;
        jj_str s;       /* JV_STR; JV_UNDEF: the name that was undefined (for messages) */
        jj_list *l;     /* JV_LIST, JV_TUPLE */
        jj_dict *d;     /* JV_DICT, JV_NS */
        jj_func *fn;
    } u;
} jj_val;

struct jj_list {
    size_t n, cap;
    jj_val *v;
};
struct jj_dict {
    size_t n, cap;
    jj_str *k;
    jj_val *v;
};

/* ---- AST ---- */
typedef enum jj_kind {
    /* statements */
    JS_TEXT, JS_OUT, JS_IF, JS_FOR, JS_SET, JS_SETBLOCK, JS_MACRO, JS_BREAK, JS_CONTINUE, JS_BLOCK,
    /* expressions */
    JE_LIT, JE_NAME, JE_LIST, JE_TUPLE, JE_DICT, JE_ATTR, JE_ITEM, JE_SLICE, JE_CALL, JE_FILTER, JE_TEST,
    JE_BIN, JE_NOT, JE_NEG, JE_POS, JE_AND, JE_OR, JE_CMP, JE_COND, JE_CONCAT
} jj_kind;

typedef enum jj_op {
    JO_ADD = 1, JO_SUB, JO_MUL, JO_DIV, JO_FDIV, JO_MOD, JO_POW,
    JO_EQ, JO_NE, JO_LT, JO_LE, JO_GT, JO_GE, JO_IN, JO_NOTIN
} jj_op;

typedef struct jj_node jj_node;
struct jj_node {
    jj_kind k;
    int line;
    int op;            /* JE_BIN: jj_op; JE_TEST: negated; JS_FOR: recursive */
    jj_str s;          /* text, name, attribute, filter/test name; JS_SET with attr: the namespace name */
    jj_str attr;       /* JS_SET ns.attr target */
    jj_val lit;        /* JE_LIT */
    jj_node *a, *b, *c;
    jj_node *body, *alt;       /* statement lists (linked by next) */
    jj_node **args;            /* call/filter/test args, list/tuple items, dict keys+values interleaved,
                                * slice start/stop/step, JE_CMP operands */
    jj_str *kw;                /* per arg: keyword name (n == 0: positional); macro params */
    int *ops;                  /* JE_CMP: the n_args - 1 operators */
    jj_str *names;             /* JS_FOR / JS_SET targets */
    int n_args, n_names;
    jj_node *next;
};

typedef struct jj_template {
    jj_arena arena;
    jj_node *root;
} jj_template;

/* Parses src (NUL not required: len bytes). On failure returns a status with the message set
 * ("chat template line N: ..."). */
vkattn_status jj_parse(const char *src, size_t len, jj_template *out);
void jj_template_free(jj_template *t);

/* ---- rendering ---- */
typedef struct jj_buf {
    char *p;
    size_t n, cap, limit;
    int failed;
} jj_buf;
int jj_buf_put(jj_buf *b, const char *s, size_t n); /* 0 on success */

typedef struct jj_var {
    const char *name;
    jj_val val;
} jj_var;

/* Renders with the given global variables (copied into the render's scope). *out is malloc'ed,
 * NUL-terminated; *out_len its length. */
vkattn_status jj_render(const jj_template *t, jj_arena *arena, const jj_var *vars, size_t n_vars, char **out,
                        size_t *out_len);

/* ---- interpreter state shared by eval and builtins ---- */
typedef struct jj_scope jj_scope;
typedef struct jj_vm {
    jj_arena *A;
    jj_scope *scope, *root;
    uint64_t steps;
    int depth;
    vkattn_status st;  /* first error */
    int line;          /* line of the node being evaluated */
} jj_vm;

typedef struct jj_args {
    int n;
    jj_val *v;
    jj_str *kw;    /* n == 0: positional */
} jj_args;

typedef enum jj_fkind { JF_GLOBAL, JF_METHOD, JF_MACRO } jj_fkind;
struct jj_func {
    jj_fkind kind;
    jj_str name;
    jj_val self;          /* JF_METHOD */
    const jj_node *macro; /* JF_MACRO */
};

/* Sets the first error (printf-style, prefixed with the line) and returns an undefined value. */
jj_val jj_err(jj_vm *vm, vkattn_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static inline jj_val jj_undef(void) { jj_val v = {JV_UNDEF, {0}}; return v; }
static inline jj_val jj_none(void) { jj_val v = {JV_NONE, {0}}; return v; }
static inline jj_val jj_bool(int b) { jj_val v = {JV_BOOL, {.b = !!b}}; return v; }
static inline jj_val jj_int(int64_t i) { jj_val v = {JV_INT, {.i = i}}; return v; }
static inline jj_val jj_float(double f) { jj_val v = {JV_FLOAT, {.f = f}}; return v; }
static inline jj_val jj_strv(const char *p, size_t n) { jj_val v = {JV_STR, {.s = {p, n}}}; return v; }

jj_val jj_str_dup(jj_vm *vm, const char *p, size_t n);
jj_list *jj_list_new(jj_arena *A, size_t cap);
int jj_list_push(jj_arena *A, jj_list *l, jj_val v);
jj_dict *jj_dict_new(jj_arena *A, size_t cap);
int jj_dict_set(jj_arena *A, jj_dict *d, jj_str k, jj_val v);
jj_val *jj_dict_get(const jj_dict *d, const char *k, size_t n);
int jj_str_eq(jj_str a, const char *b);

int jj_truthy(jj_val v);
int jj_equal(jj_val a, jj_val b);
/* Python's ordering: -1 / 0 / 1, or -2 with an error set (types that do not order). */
int jj_compare(jj_vm *vm, jj_val a, jj_val b);
/* needle in hay: 1 / 0, or -1 with an error set. */
int jj_contains(jj_vm *vm, jj_val hay, jj_val needle);
const char *jj_type_name(jj_val v);
/* Raises "'name' is undefined" for an undefined value. */
jj_val jj_undefined_error(jj_vm *vm, jj_val v);
jj_val jj_oom(jj_vm *vm);
/* Python str() / repr() of v appended to b; 0 on success (a non-serialisable value sets vm's error). */
int jj_write_str(jj_vm *vm, jj_buf *b, jj_val v);
int jj_write_repr(jj_vm *vm, jj_buf *b, jj_val v);
/* str(v) as a string value in the arena. */
jj_val jj_to_str(jj_vm *vm, jj_val v);
/* json.dumps(v, ensure_ascii=False, indent=indent (< 0: None)); 0 on success. */
int jj_write_json(jj_vm *vm, jj_buf *b, jj_val v, int indent, int sort_keys);
/* Iterable -> list of items (strings: characters, dicts: keys); NULL with an error set otherwise. */
jj_list *jj_iter(jj_vm *vm, jj_val v);
/* Calls a function value (global, method or macro) with args. */
jj_val jj_call(jj_vm *vm, jj_val fn, const jj_args *args);
jj_val jj_filter(jj_vm *vm, jj_str name, jj_val in, const jj_args *args);
/* Test result 0/1, or -1 with an error set. */
int jj_test(jj_vm *vm, jj_str name, jj_val in, const jj_args *args);
/* obj.name: dict item, else a method, else undefined. */
jj_val jj_getattr(jj_vm *vm, jj_val obj, jj_str name);
/* obj[key]: item (index, key, slice handled by the caller), else attribute. */
jj_val jj_getitem(jj_vm *vm, jj_val obj, jj_val key);
/* A global function value, or undefined when no global has that name. */
jj_val jj_global(jj_str name);
/* Renders a macro call (in jinja_eval.c). */
jj_val jj_call_macro(jj_vm *vm, const jj_node *m, const jj_args *args);
/* UTF-8 code points of s: count, and byte offset of the i-th code point (i <= count). */
size_t jj_utf8_len(jj_str s);
size_t jj_utf8_offset(jj_str s, size_t i);

/* JSON text -> value (objects keep key order; integers without fraction/exponent stay ints). */
vkattn_status jj_json_parse(jj_arena *A, const char *text, size_t len, jj_val *out, const char *what);

#endif
