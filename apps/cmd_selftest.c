/* vkattn selftest: what to run first on a new GPU. Prints the device, its driver and the choices
 * vkattn makes for it (features used, fallbacks, memory placement, GEMM kernels, subgroup
 * requirements), then runs every kernel family against the C references (selftest.c): one line
 * per check, exit status 0 only when every check passes. --json writes the whole report to
 * stdout for a bug report (the lines then go to stderr). */
#include "cli.h"
#include "selftest.h"

#include "bench_report.h" /* bench_now_ms */

#include <stdlib.h>
#include <string.h>

/* VkMemoryPropertyFlagBits (the CLI does not include Vulkan headers). */
static const char *memory_flags(uint32_t f, char *buf, size_t n) {
    static const struct { uint32_t bit; const char *name; } names[] = {
        {0x1, "device-local"}, {0x2, "host-visible"}, {0x4, "host-coherent"}, {0x8, "host-cached"},
        {0x10, "lazily-allocated"}, {0x20, "protected"}, {0x40, "device-coherent-AMD"}, {0x80, "device-uncached-AMD"},
    };
    size_t k = 0;
    buf[0] = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (f & names[i].bit) k += (size_t)snprintf(buf + k, k < n ? n - k : 0, "%s%s", k ? ", " : "", names[i].name);
    if (!k) snprintf(buf, n, "none");
    return buf;
}

/* The choices vkattn made for the device, in words. */
static void print_plan(FILE *f, const vkattn_device_info *x, const vkattn_context_plan *p) {
    char a[256], b[256];
    fprintf(f, "choices for this device:\n");
    fprintf(f, "  %-28s %s\n", "f16 tensors",
            x->storage16 ? "yes (16-bit storage): f16 activations, weights and KV cache"
                         : "no 16-bit storage: f16 tensors as packed 32-bit words (_pk kernels), same memory");
    if (p->subgroup_planned)
        fprintf(f, "  %-28s planned for %u lanes; pipelines %s\n", "subgroup kernels", p->subgroup_planned,
                p->subgroup_required ? (p->full_subgroups ? "require that size with full subgroups" : "require that size")
                                     : "leave the size to the driver (the kernels stride by the lanes that are active)");
    else
        fprintf(f, "  %-28s %s\n", "subgroup kernels", "none: shared-memory reductions (no subgroup arithmetic)");
    fprintf(f, "  %-28s 1 row (token generation): %s; 2-8 rows: %s; 64 rows (prefill): %s%s\n", "GEMM kernel", p->gemm_m1,
            p->gemm_few, p->gemm_mn, getenv("VKATTN_GEMM") && *getenv("VKATTN_GEMM") ? " (forced by $VKATTN_GEMM)" : "");
    fprintf(f, "  %-28s flash for prefill; split-K decode for <= 8 queries over >= 256 keys with Dv <= %u (%s)\n", "attention",
            x->max_workgroup_size[0] < x->max_workgroup_invocations ? x->max_workgroup_size[0] : x->max_workgroup_invocations,
            x->type == VKATTN_DEVICE_CPU || x->type == VKATTN_DEVICE_OTHER ? "a split per invocation"
                                                                             : "a workgroup per split, lanes across D");
    fprintf(f, "  %-28s type %u (%s), %s\n", "tensor memory", p->tensor_memory_type, memory_flags(p->tensor_memory_flags, a, sizeof a),
            p->unified_memory ? "mapped: uploads and downloads are a memcpy" : "device-local: copies through staging");
    if (!p->unified_memory)
        fprintf(f, "  %-28s type %u (%s)\n", "staging memory", p->staging_memory_type,
                memory_flags(p->staging_memory_flags, b, sizeof b));
    fprintf(f, "  %-28s %.0f MiB, suballocated\n", "allocation blocks", (double)p->block_bytes / 1048576.0);
    fprintf(f, "  %-28s int8 arithmetic, int8 dot product, 8-bit storage, cooperative matrix (enabled where present, "
               "no kernel yet)\n", "not used yet");
    if (p->test_idle_lanes) fprintf(f, "  %-28s $VKATTN_TEST_IDLE_LANES: subgroup kernels idle their odd lanes\n", "test knob");
    if (p->test_device_type)
        fprintf(f, "  %-28s $VKATTN_TEST_DEVICE_TYPE: planned as a %s device\n", "test knob", p->test_device_type);
}

static void json_plan(FILE *f, const vkattn_context_plan *p) {
    fprintf(f, "{\"tensor_memory_type\": %u, \"tensor_memory_flags\": %u, \"staging_memory_type\": %u, "
               "\"staging_memory_flags\": %u, \"unified_memory\": %s, \"block_bytes\": %llu, ",
            p->tensor_memory_type, p->tensor_memory_flags, p->staging_memory_type, p->staging_memory_flags,
            p->unified_memory ? "true" : "false", (unsigned long long)p->block_bytes);
    fprintf(f, "\"gemm_m1\": \"%s\", \"gemm_few\": \"%s\", \"gemm_mn\": \"%s\", \"gemm_ks_available\": %s, "
               "\"subgroup_planned\": %u, \"subgroup_required\": %u, \"full_subgroups\": %s, \"test_idle_lanes\": %s, "
               "\"test_device_type\": \"%s\"}",
            p->gemm_m1, p->gemm_few, p->gemm_mn, p->gemm_ks_available ? "true" : "false", p->subgroup_planned, p->subgroup_required,
            p->full_subgroups ? "true" : "false", p->test_idle_lanes ? "true" : "false",
            p->test_device_type ? p->test_device_type : "");
}

static void json_number(FILE *f, double v) {
    if (v != v || v > 1e300 || v < -1e300) fprintf(f, "null");
    else fprintf(f, "%.4g", v);
}

static void json_report(FILE *f, const vkattn_device_info *x, const vkattn_context_plan *p, const st_run *r, double seconds,
                        uint32_t nval, const char *first) {
    static const char *const status[] = {"PASS", "FAIL", "SKIP"};
    fprintf(f, "{\"vkattn\": \"%d.%d.%d\", \"result\": \"%s\", \"passed\": %zu, \"failed\": %zu, \"skipped\": %zu, "
               "\"seconds\": %.2f,\n \"device\": ",
            VKATTN_VERSION_MAJOR, VKATTN_VERSION_MINOR, VKATTN_VERSION_PATCH, r->failed ? "FAIL" : "PASS", r->passed,
            r->failed, r->skipped, seconds);
    cli_device_json(f, x);
    fprintf(f, ",\n \"validation_messages\": %u, \"validation_first\": ", nval);
    cli_json_string(f, nval ? first : "");
    fprintf(f, ",\n \"plan\": ");
    json_plan(f, p);
    fprintf(f, ",\n \"checks\": [\n");
    for (size_t i = 0; i < r->n; i++) {
        const st_result *c = &r->results[i];
        fprintf(f, "  {\"name\": ");
        cli_json_string(f, c->name);
        fprintf(f, ", \"status\": \"%s\", \"max_abs\": ", status[c->status]);
        json_number(f, c->max_abs);
        fprintf(f, ", \"rel\": ");
        json_number(f, c->rel);
        fprintf(f, ", \"tol\": ");
        json_number(f, c->tol);
        fprintf(f, ", \"ms\": %.2f, \"message\": ", c->ms);
        cli_json_string(f, c->message);
        fprintf(f, "}%s\n", i + 1 < r->n ? "," : "");
    }
    fprintf(f, " ]}\n");
}

int cmd_selftest(int argc, char **argv) {
    const char *device = NULL, *filter = NULL;
    int json = 0, quick = 0, validation = 0;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            printf("usage: vkattn selftest [--device D] [--json] [--quick] [--filter TEXT] [--validation]\n\n"
                   "Checks every kernel family on one device against the C references (double accumulation):\n"
                   "linear with every weight type and GEMM kernel (GEMV and GEMM), attention (3-pass, flash,\n"
                   "decode; causal, masks, GQA, f16), multi-head attention, norms, softmax, RoPE, activations,\n"
                   "embedding, argmax/top-k, FFN, GRU and LSTM. Prints the device, the features and fallbacks\n"
                   "vkattn uses on it and one line per check; exit status 0 only when every check passes.\n"
                   "  --device D     index, type (discrete|integrated|virtual|cpu) or name substring\n"
                   "  --json         the whole report as JSON on stdout (attach it to a bug report); lines go to stderr\n"
                   "  --quick        only the GEMM and attention kernels the device uses (not every kernel forced)\n"
                   "  --filter TEXT  only the checks whose name contains TEXT (e.g. \"attention flash\", \"w q4_K\")\n"
                   "  --validation   with VK_LAYER_KHRONOS_validation (needs the layer); any message fails\n");
            return 0;
        }
        if (!strcmp(argv[i], "--json")) json = 1;
        else if (!strcmp(argv[i], "--quick")) quick = 1;
        else if (!strcmp(argv[i], "--validation")) validation = 1;
        else if (!strcmp(argv[i], "--device") && i + 1 < argc) device = argv[++i];
        else if (!strcmp(argv[i], "--filter") && i + 1 < argc) filter = argv[++i];
        else {
            fprintf(stderr, "vkattn selftest: unknown option %s (see --help)\n", argv[i]);
            return 2;
        }
    }
    FILE *out = json ? stderr : stdout;
    vkattn_context_desc desc = {.device = device, .validation = validation};
    vkattn_context *ctx = NULL;
    vkattn_status st = vkattn_context_create(&desc, &ctx);
    if (st != VKATTN_OK) return cli_fail("creating the context (vkattn info lists the devices)", st, NULL);
    const vkattn_device_info *info = vkattn_context_device(ctx);
    vkattn_context_plan plan;
    vkattn_context_get_plan(ctx, &plan);
    fprintf(out, "vkattn %d.%d.%d selftest\n", VKATTN_VERSION_MAJOR, VKATTN_VERSION_MINOR, VKATTN_VERSION_PATCH);
    cli_device_table(out, info);
    print_plan(out, info, &plan);
    fprintf(out, "checks (error = max |got - ref| relative to max |ref|, against tol):\n");

    st_run run = {.quick = quick, .out = out, .filter = filter, .corrupt = getenv("VKATTN_SELFTEST_CORRUPT")};
    if (run.corrupt && !*run.corrupt) run.corrupt = NULL;
    const double t0 = bench_now_ms();
    st_run_all(&run, ctx);
    if (filter && !run.n) {
        fprintf(stderr, "vkattn selftest: no check name contains \"%s\" (the names are those printed without --filter)\n", filter);
        vkattn_context_destroy(ctx);
        return 2;
    }
    char first[1024];
    uint32_t nval = vkattn_context_validation_messages(ctx, first, sizeof first);
    if (nval) { /* a validation message is a failure like a wrong number */
        fprintf(out, "FAIL  %-62s %u message(s); first: %s\n", "validation layer", nval, first);
        run.failed++;
    }
    const double seconds = (bench_now_ms() - t0) / 1000.0;
    fprintf(out, "%zu passed, %zu failed, %zu skipped in %.1f s on %s (%s)%s\n", run.passed, run.failed, run.skipped, seconds,
            info->name, info->driver_name, run.failed ? ": FAIL (report it with `vkattn selftest --json`)" : ": PASS");
    if (json) json_report(stdout, info, &plan, &run, seconds, nval, first);
    vkattn_context_destroy(ctx);
    free(run.results);
    return run.failed ? 1 : 0;
}
