/* sized.c: the structs that carry their size (quizstore.h, "Structs that grow"). */
#include <string.h>
#include "engine.h"

/* No struct of the header comes near this: a larger size is a field left unset, and
 * reading that far would run past the application's struct. */
#define SIZE_MAX_PLAUSIBLE (64 * 1024)

/* The size an application gave a struct: 0 stands for the first layout, which is
 * still the one this library knows. When a field is added, 0 and the sizes under the
 * new one must keep meaning the first layout's @p known of today. */
static int given_size(const void *given, size_t known, const char *type, size_t *size)
{
    uint32_t size_field;
    memcpy(&size_field, given, sizeof size_field);
    *size = size_field ? size_field : known;
    if (*size < known)
        return eng_fail(QS_INVALID, "%s.size %zu is under its first layout's %zu bytes",
                        type, *size, known);
    if (*size > SIZE_MAX_PLAUSIBLE)
        return eng_fail(QS_INVALID, "%s.size %zu is no struct's size: set it to sizeof the "
                        "struct, or zero the struct", type, *size);
    return 0;
}

int eng_sized_in(const void *given, size_t known, void *copy, const char *type)
{
    size_t size;
    int rc = given_size(given, known, type, &size);
    if (rc)
        return rc;
    const unsigned char *bytes = given;
    for (size_t i = known; i < size; i++)
        if (bytes[i])
            return eng_fail(QS_INVALID, "%s sets a field at byte %zu that library %d.%d.%d "
                            "does not have (it knows %zu bytes)", type, i, QS_VERSION_MAJOR,
                            QS_VERSION_MINOR, QS_VERSION_PATCH, known);
    memcpy(copy, given, known);
    memset(copy, 0, sizeof(uint32_t));   /* the library's own copies carry no size */
    return 0;
}

int eng_sized_out(void *out, const void *full, size_t known, const char *type)
{
    size_t size;
    int rc = given_size(out, known, type, &size);
    if (rc)
        return rc;
    uint32_t size_field;
    memcpy(&size_field, out, sizeof size_field);
    memcpy(out, full, known);
    memcpy(out, &size_field, sizeof size_field);
    return 0;
}

int eng_sized_fits(const void *out, size_t known, const char *type)
{
    size_t size;
    return given_size(out, known, type, &size);
}
