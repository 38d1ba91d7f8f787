/* vkattn info: devices and capabilities, as a table or JSON. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static void print_json_string(const char *s) {
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20) printf("\\u%04x", *s);
        else putchar(*s);
    }
    putchar('"');
}

static const char *vendor_name(uint32_t id) {
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

static void print_table(const vkattn_device_info *d, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) {
        const vkattn_device_info *x = &d[i];
        printf("device %u: %s\n", x->index, x->name);
        printf("  %-28s %s (0x%04x), %s\n", "vendor, type", vendor_name(x->vendor_id), x->vendor_id,
               vkattn_device_type_string(x->type));
        printf("  %-28s %s %s\n", "driver", x->driver_name[0] ? x->driver_name : "?", x->driver_info);
        printf("  %-28s %u.%u.%u\n", "Vulkan API", (x->api_version >> 22), ((x->api_version >> 12) & 0x3ff),
               (x->api_version & 0xfff));
        printf("  %-28s %u (min %u, max %u; size control %s)\n", "subgroup size", x->subgroup_size, x->subgroup_min,
               x->subgroup_max, x->subgroup_size_control ? "yes" : "no");
        printf("  %-28s %s\n", "subgroup arithmetic", x->subgroup_arithmetic ? "yes" : "no");
        printf("  %-28s fp16 arith %s, 16-bit storage %s, 8-bit storage %s, int8 %s\n", "types",
               x->fp16_arithmetic ? "yes" : "no", x->storage16 ? "yes" : "no", x->storage8 ? "yes" : "no",
               x->int8_arithmetic ? "yes" : "no");
        printf("  %-28s int8 dot %s, cooperative matrix %s, timestamps %s\n", "", x->int8_dot ? "yes" : "no",
               x->cooperative_matrix ? "yes" : "no", x->timestamps ? "yes" : "no");
        printf("  %-28s %u bytes\n", "shared memory", x->shared_memory_bytes);
        printf("  %-28s %u invocations, size %u x %u x %u\n", "max workgroup", x->max_workgroup_invocations,
               x->max_workgroup_size[0], x->max_workgroup_size[1], x->max_workgroup_size[2]);
        printf("  %-28s %.0f MiB\n", "maxStorageBufferRange", MIB(x->max_storage_buffer_range));
        printf("  %-28s %.0f MiB (buffer %.0f MiB)\n", "maxMemoryAllocationSize", MIB(x->max_allocation_size),
               MIB(x->max_buffer_size));
        printf("  %-28s %.0f MiB device-local, %.0f MiB of it host-visible (%s memory)\n", "memory",
               MIB(x->device_local_bytes), MIB(x->host_visible_device_local_bytes), x->unified_memory ? "unified" : "discrete");
        printf("  %-28s %u\n", "compute units", x->compute_units);
    }
}

static void print_json(const vkattn_device_info *d, uint32_t n) {
    printf("[\n");
    for (uint32_t i = 0; i < n; i++) {
        const vkattn_device_info *x = &d[i];
        printf("  {\"index\": %u, \"name\": ", x->index);
        print_json_string(x->name);
        printf(", \"type\": \"%s\", \"vendor_id\": %u, \"vendor\": \"%s\", \"device_id\": %u, \"driver\": ",
               vkattn_device_type_string(x->type), x->vendor_id, vendor_name(x->vendor_id), x->device_id);
        print_json_string(x->driver_name);
        printf(", \"driver_info\": ");
        print_json_string(x->driver_info);
        printf(", \"api_version\": \"%u.%u.%u\", \"driver_version\": %u,\n", (x->api_version >> 22),
               ((x->api_version >> 12) & 0x3ff), (x->api_version & 0xfff), x->driver_version);
        printf("   \"subgroup_size\": %u, \"subgroup_min\": %u, \"subgroup_max\": %u, \"subgroup_size_control\": %s, "
               "\"subgroup_arithmetic\": %s,\n",
               x->subgroup_size, x->subgroup_min, x->subgroup_max, x->subgroup_size_control ? "true" : "false",
               x->subgroup_arithmetic ? "true" : "false");
        printf("   \"fp16_arithmetic\": %s, \"storage16\": %s, \"storage8\": %s, \"int8_arithmetic\": %s, \"int8_dot\": %s, "
               "\"cooperative_matrix\": %s, \"timestamps\": %s,\n",
               x->fp16_arithmetic ? "true" : "false", x->storage16 ? "true" : "false", x->storage8 ? "true" : "false",
               x->int8_arithmetic ? "true" : "false", x->int8_dot ? "true" : "false", x->cooperative_matrix ? "true" : "false",
               x->timestamps ? "true" : "false");
        printf("   \"shared_memory_bytes\": %u, \"max_workgroup_invocations\": %u, \"max_workgroup_size\": [%u, %u, %u], "
               "\"max_storage_buffer_range\": %llu, \"max_allocation_size\": %llu, \"max_buffer_size\": %llu,\n",
               x->shared_memory_bytes, x->max_workgroup_invocations, x->max_workgroup_size[0], x->max_workgroup_size[1],
               x->max_workgroup_size[2], (unsigned long long)x->max_storage_buffer_range,
               (unsigned long long)x->max_allocation_size, (unsigned long long)x->max_buffer_size);
        printf("   \"device_local_bytes\": %llu, \"host_visible_device_local_bytes\": %llu, \"unified_memory\": %s, "
               "\"compute_units\": %u}%s\n",
               (unsigned long long)x->device_local_bytes, (unsigned long long)x->host_visible_device_local_bytes,
               x->unified_memory ? "true" : "false", x->compute_units, i + 1 < n ? "," : "");
    }
    printf("]\n");
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
    if (json) print_json(d, n);
    else print_table(d, n);
    free(d);
    return 0;
}
