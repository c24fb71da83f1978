/* import_apply.c: a row of an import applied by its kind (import_bank.c,
 * import_activity.c, import_answers.c). */
#include "cli.h"
#include "import.h"

outcome apply_row(import_kind kind, apply_ctx *ac)
{
    switch (kind) {
    case K_SUBJECTS:
    case K_SYSTEMS:
    case K_TOPICS: return apply_taxon(kind, ac);
    case K_QUESTIONS: return apply_question(ac);
    case K_USERS: return apply_user(ac);
    case K_TESTS: return apply_test(ac);
    case K_ANSWERS: return apply_answer(ac);
    case K_INTERACTIONS: return apply_interaction(ac);
    case K_COUNT: break;
    }
    row_fail(ac->row, "unknown kind");
    return OUT_REJECTED;
}
