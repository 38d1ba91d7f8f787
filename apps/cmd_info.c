/* vkattn info: devices and capabilities, as a table or JSON. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

void cli_json_string_n(FILE *f, const char *s, size_t len) {
    fputc('"', f);
    for (size_t i = 0; i < len; i++) {
        const unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

void cli_json_string(FILE *f, const char *s) { cli_json_string_n(f, s, strlen(s)); }

const char *cli_vendor_name(uint32_t id) {
    switch (id) {
    case 0x10de: return "NVIDIA";
    case 0x1002: return "AMD";
    case 0x8086: return "Intel";
    case 0x5143: return "Qualcomm";
    case 0x13b5: return "ARM";
    case 0x1010: return "ImgTec";
    case 0x10005: return "Mesa";
    case 0x1ae0: return "Google";
    case 0x106b: return "Apple";
    default: return "other";
    }
}

#define MIB(x) ((double)(x) / 1048576.0)

void cli_device_table(FILE *f, const vkattn_device_info *x) {
    fprintf(f, "device %u: %s\n", x->index, x->name);
    fprintf(f, "  %-28s %s (0x%04x), %s\n", "vendor, type", cli_vendor_name(x->vendor_id), x->vendor_id,
           vkattn_device_type_string(x->type));
    fprintf(f, "  %-28s %s %s\n", "driver", x->driver_name[0] ? x->driver_name : "?", x->driver_info);
    fprintf(f, "  %-28s %u.%u.%u\n", "Vulkan API", (x->api_version >> 22), ((x->api_version >> 12) & 0x3ff),
           (x->api_version & 0xfff));
    fprintf(f, "  %-28s %u (min %u, max %u; size control %s)\n", "subgroup size", x->subgroup_size, x->subgroup_min,
           x->subgroup_max, x->subgroup_size_control ? "yes" : "no");
    fprintf(f, "  %-28s %s (full subgroups %s)\n", "subgroup arithmetic", x->subgroup_arithmetic ? "yes" : "no",
            x->full_subgroups ? "yes" : "no");
    fprintf(f, "  %-28s fp16 arith %s, 16-bit storage %s, 8-bit storage %s, int8 %s\n", "types",
           x->fp16_arithmetic ? "yes" : "no", x->storage16 ? "yes" : "no", x->storage8 ? "yes" : "no",
           x->int8_arithmetic ? "yes" : "no");
    char cm[48] = "no";
    if (x->cooperative_matrix) snprintf(cm, sizeof cm, "%ux%ux%u f16 -> f32", x->coopmat_m, x->coopmat_n, x->coopmat_k);
    fprintf(f, "  %-28s int8 dot %s, cooperative matrix %s, timestamps %s\n", "", x->int8_dot ? "yes" : "no", cm,
           x->timestamps ? "yes" : "no");
    fprintf(f, "  %-28s %u bytes\n", "shared memory", x->shared_memory_bytes);
    fprintf(f, "  %-28s %u invocations, size %u x %u x %u\n", "max workgroup", x->max_workgroup_invocations,
           x->max_workgroup_size[0], x->max_workgroup_size[1], x->max_workgroup_size[2]);
    fprintf(f, "  %-28s %.0f MiB\n", "maxStorageBufferRange", MIB(x->max_storage_buffer_range));
    fprintf(f, "  %-28s %.0f MiB (buffer %.0f MiB)\n", "maxMemoryAllocationSize", MIB(x->max_allocation_size),
           MIB(x->max_buffer_size));
    fprintf(f, "  %-28s %.0f MiB device-local, %.0f MiB of it host-visible (%s memory)\n", "memory",
           MIB(x->device_local_bytes), MIB(x->host_visible_device_local_bytes), x->unified_memory ? "unified" : "discrete");
    fprintf(f, "  %-28s %u storage buffers per stage, %u bytes of push constants, 64-bit integers %s\n", "limits",
            x->max_storage_buffers, x->max_push_constants, x->shader_int64 ? "yes" : "no");
    fprintf(f, "  %-28s %u\n", "compute units", x->compute_units);
}

void cli_device_json(FILE *f, const vkattn_device_info *x) {
    fprintf(f, "{\"index\": %u, \"name\": ", x->index);
    cli_json_string(f, x->name);
    fprintf(f, ", \"type\": \"%s\", \"vendor_id\": %u, \"vendor\": \"%s\", \"device_id\": %u, \"driver\": ",
           vkattn_device_type_string(x->type), x->vendor_id, cli_vendor_name(x->vendor_id), x->device_id);
    cli_json_string(f, x->driver_name);
    fprintf(f, ", \"driver_info\": ");
    cli_json_string(f, x->driver_info);
    fprintf(f, ", \"api_version\": \"%u.%u.%u\", \"driver_version\": %u,\n", (x->api_version >> 22),
           ((x->api_version >> 12) & 0x3ff), (x->api_version & 0xfff), x->driver_version);
    fprintf(f, "   \"subgroup_size\": %u, \"subgroup_min\": %u, \"subgroup_max\": %u, \"subgroup_size_control\": %s, "
           "\"subgroup_arithmetic\": %s,\n",
           x->subgroup_size, x->subgroup_min, x->subgroup_max, x->subgroup_size_control ? "true" : "false",
           x->subgroup_arithmetic ? "true" : "false");
    fprintf(f, "   \"fp16_arithmetic\": %s, \"storage16\": %s, \"storage8\": %s, \"int8_arithmetic\": %s, \"int8_dot\": %s, "
           "\"cooperative_matrix\": %s, \"coopmat_mnk\": [%u, %u, %u], \"timestamps\": %s,\n",
           x->fp16_arithmetic ? "true" : "false", x->storage16 ? "true" : "false", x->storage8 ? "true" : "false",
           x->int8_arithmetic ? "true" : "false", x->int8_dot ? "true" : "false", x->cooperative_matrix ? "true" : "false",
           x->coopmat_m, x->coopmat_n, x->coopmat_k, x->timestamps ? "true" : "false");
    fprintf(f, "   \"shared_memory_bytes\": %u, \"max_workgroup_invocations\": %u, \"max_workgroup_size\": [%u, %u, %u], "
           "\"max_storage_buffer_range\": %llu, \"max_allocation_size\": %llu, \"max_buffer_size\": %llu,\n",
           x->shared_memory_bytes, x->max_workgroup_invocations, x->max_workgroup_size[0], x->max_workgroup_size[1],
           x->max_workgroup_size[2], (unsigned long long)x->max_storage_buffer_range,
           (unsigned long long)x->max_allocation_size, (unsigned long long)x->max_buffer_size);
    fprintf(f, "   \"device_local_bytes\": %llu, \"host_visible_device_local_bytes\": %llu, \"unified_memory\": %s, "
            "\"compute_units\": %u,\n",
            (unsigned long long)x->device_local_bytes, (unsigned long long)x->host_visible_device_local_bytes,
            x->unified_memory ? "true" : "false", x->compute_units);
    fprintf(f, "   \"shader_int64\": %s, \"full_subgroups\": %s, \"max_workgroup_subgroups\": %u, \"max_storage_buffers\": %u, "
            "\"max_push_constants\": %u, \"min_storage_offset_alignment\": %llu}",
            x->shader_int64 ? "true" : "false", x->full_subgroups ? "true" : "false", x->max_workgroup_subgroups,
            x->max_storage_buffers, x->max_push_constants, (unsigned long long)x->min_storage_offset_alignment);
}

int cmd_info(int argc, char **argv) {
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            printf("usage: vkattn info [--json]\n\n"
                   "Lists every Vulkan device the loader sees with the capabilities vkattn uses.\n"
                   "  --json   machine-readable output\n"
                   "Tip: VK_ADD_DRIVER_FILES=/usr/lib/chromium/vk_swiftshader_icd.json adds SwiftShader.\n");
            return 0;
        }
        if (strcmp(argv[i], "--json") == 0) json = 1;
        else {
            fprintf(stderr, "vkattn info: unknown option %s (see --help)\n", argv[i]);
            return 2;
        }
    }
    uint32_t n = 0;
    vkattn_status st = vkattn_list_devices(NULL, 0, &n);
    if (st != VKATTN_OK) return cli_fail("listing devices", st, NULL);
    vkattn_device_info *d = calloc(n, sizeof *d);
    if (!d) return cli_fail("listing devices", VKATTN_ERROR_OUT_OF_HOST_MEMORY, NULL);
    st = vkattn_list_devices(d, n, &n);
    if (st != VKATTN_OK) {
        free(d);
        return cli_fail("listing devices", st, NULL);
    }
    if (json) printf("[\n");
    for (uint32_t i = 0; i < n; i++) {
        if (json) {
            printf("  ");
            cli_device_json(stdout, &d[i]);
            printf("%s\n", i + 1 < n ? "," : "");
        } else {
            cli_device_table(stdout, &d[i]);
        }
    }
    if (json) printf("]\n");
    free(d);
    return 0;
}
