/* Placeholder until the trained demo model is embedded here (scripts/train_demo.py): no model. */
#include "demo_model.h"

const void *demo_model_data(size_t *size) {
    if (size) *size = 0;
    return NULL;
}
