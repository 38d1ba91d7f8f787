/* Strict numeric option values for every subcommand: the whole string must parse, fit the option's range,
 * and a bad value is a usage error (exit status 2) whose message names the option and the accepted range.
 * Also the sampling flags, parsed alike by run, chat and serve. */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int cli_bad_value(const char *cmd, const char *opt, const char *s, const char *expected) {
    fprintf(stderr, "vkattn %s: bad value \"%s\" for %s: expected %s\n", cmd, s, opt, expected);
    return 2;
}

/* A base-10 integer at the start of s (no leading space: strtoll would skip it); *end after it. */
static int scan_int(const char *s, char **end, long long *v) {
    if (!*s || isspace((unsigned char)*s)) return 0;
    errno = 0;
    *v = strtoll(s, end, 10);
    return *end != s && errno == 0;
}

int cli_parse_int(const char *cmd, const char *opt, const char *s, long long min, long long max, long long *out) {
    char *end;
    long long v;
    if (!scan_int(s, &end, &v) || *end || v < min || v > max) {
        char want[96];
        snprintf(want, sizeof want, "an integer from %lld to %lld", min, max);
        return cli_bad_value(cmd, opt, s, want);
    }
    *out = v;
    return 0;
}

int cli_parse_uint(const char *cmd, const char *opt, const char *s, uint32_t min, uint32_t max, uint32_t *out) {
    long long v;
    int rc = cli_parse_int(cmd, opt, s, min, max, &v);
    if (!rc) *out = (uint32_t)v;
    return rc;
}

int cli_parse_float(const char *cmd, const char *opt, const char *s, double min, double max, double *out) {
    char *end = NULL;
    errno = 0;
    double v = *s && !isspace((unsigned char)*s) ? strtod(s, &end) : NAN;
    if (!end || end == s || *end || errno || !isfinite(v) || v < min || v > max) {
        char want[96];
        snprintf(want, sizeof want, "a number from %g to %g", min, max);
        return cli_bad_value(cmd, opt, s, want);
    }
    *out = v;
    return 0;
}

int cli_check_writable(const char *cmd, const char *opt, const char *path) {
    const int existed = access(path, F_OK) == 0;
    FILE *f = fopen(path, "ab"); /* "a": never truncates what is there */
    if (!f) {
        fprintf(stderr, "vkattn %s: cannot write %s %s: %s\n", cmd, opt, path, strerror(errno));
        return 2;
    }
    fclose(f);
    if (!existed) remove(path);
    return 0;
}

int cli_parse_list(const char *cmd, const char *opt, const char *s, char sep, uint32_t min, uint32_t max, uint32_t *out,
                   uint32_t cap, uint32_t *n) {
    *n = 0;
    for (const char *p = s;; p++) {
        char *end;
        long long v;
        if (*n == cap || !scan_int(p, &end, &v) || v < min || v > max || (*end && *end != sep)) {
            if (!cmd) return 2;
            char want[128];
            if (*n == cap) snprintf(want, sizeof want, "at most %u values", cap);
            else snprintf(want, sizeof want, "integers from %u to %u separated by '%c'", min, max, sep);
            return cli_bad_value(cmd, opt, s, want);
        }
        out[(*n)++] = (uint32_t)v;
        if (!*end) return 0;
        p = end;
    }
}

/* ---- sampling ------------------------------------------------------------------------------------------------ */

void cli_sampling_init(cli_sampling *s) {
    memset(s, 0, sizeof *s);
    vkattn_sampler_desc_default(&s->d);
}

/* --seed -1 (llama.cpp's "random seed"): a different seed every run. */
static uint64_t random_seed(void) {
    struct timespec ts;
    timespec_get(&ts, TIME_UTC);
    return (uint64_t)ts.tv_sec * 1000000007ull ^ (uint64_t)ts.tv_nsec ^ (uint64_t)getpid() << 40;
}

int cli_sampling_option(const char *cmd, const char *opt, const char *v, cli_sampling *s, int *rc) {
    static const char *const names[] = {"--temp", "--top-k", "--top-p", "--min-p", "--repeat-penalty", "--repeat-last-n",
                                        "--frequency-penalty", "--presence-penalty", "--seed"};
    size_t k = 0;
    while (k < sizeof names / sizeof names[0] && strcmp(opt, names[k]) != 0) k++;
    if (k == sizeof names / sizeof names[0]) return 0;
    if (!v) {
        fprintf(stderr, "vkattn %s: %s needs a value (see --help)\n", cmd, opt);
        return *rc = 2, 1;
    }
    double f = 0;
    long long x = 0;
    vkattn_sampler_desc *d = &s->d;
    switch (k) {
    case 0: *rc = cli_parse_float(cmd, opt, v, 0, 1e6, &f), d->temperature = (float)f; break;
    case 1: *rc = cli_parse_uint(cmd, opt, v, 0, INT32_MAX, &d->top_k); break;
    case 2: *rc = cli_parse_float(cmd, opt, v, 0, 1, &f), d->top_p = (float)f; break;
    case 3: *rc = cli_parse_float(cmd, opt, v, 0, 1, &f), d->min_p = (float)f; break;
    case 4: *rc = cli_parse_float(cmd, opt, v, 0, 1e6, &f), d->repeat_penalty = (float)f; break;
    case 5:
        *rc = cli_parse_int(cmd, opt, v, -1, 1 << 24, &x);
        s->last_n_ctx = x < 0;
        d->penalty_last_n = x < 0 ? 0 : (uint32_t)x;
        break;
    case 6: *rc = cli_parse_float(cmd, opt, v, -2, 2, &f), d->frequency_penalty = (float)f; break;
    case 7: *rc = cli_parse_float(cmd, opt, v, -2, 2, &f), d->presence_penalty = (float)f; break;
    default:
        *rc = cli_parse_int(cmd, opt, v, -1, INT64_MAX, &x);
        s->seed_set = x >= 0;
        d->seed = x < 0 ? random_seed() : (uint64_t)x;
        break;
    }
    return 1;
}

vkattn_sampler_desc cli_sampling_desc(const cli_sampling *s, uint32_t n_ctx) {
    vkattn_sampler_desc d = s->d;
    if (s->last_n_ctx) d.penalty_last_n = n_ctx;
    return d;
}
