/* The built-in demo model: models/demo.gguf assembled into read-only data by a .S file that CMake
 * generates in the build tree (.incbin), so `vkattn run` needs no model file at run time. */
#include "demo_model.h"

#include <stdint.h>

#ifdef VKATTN_HAVE_DEMO_MODEL
extern const unsigned char vkattn_demo_gguf[];
extern const uint64_t vkattn_demo_gguf_size;

const void *demo_model_data(size_t *size) {
    if (size) *size = (size_t)vkattn_demo_gguf_size;
    return vkattn_demo_gguf;
}
#else
const void *demo_model_data(size_t *size) {
    if (size) *size = 0;
    return NULL;
}
#endif
