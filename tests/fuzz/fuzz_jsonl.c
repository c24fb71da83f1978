/* fuzz_jsonl: `quizstore import` of JSON Lines files, from the bytes of the file to rows
 * applied to a store (see fuzz_import.h for the input layout and what aborts). */
#include "fuzz_import.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_import_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fz_import_one(data, size, FORMAT_JSONL);
}
