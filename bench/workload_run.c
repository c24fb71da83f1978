/* workload_run.c: wl_run(), a window's two streams driven into a sink's callbacks. */
#include "workload.h"

static int run_answers(const wl_gen *g, wl_window w, const wl_sink *k)
{
    wl_stream *s;
    int rc = wl_stream_open(g, w, &s);
    if (rc != 0)
        return rc;
    wl_event ev;
    while (rc == 0 && wl_stream_next(s, &ev) != WL_EV_END) {
        if (ev.kind == WL_EV_TEST && k->on_test)
            rc = k->on_test(k->ctx, ev.test);
        else if (ev.kind == WL_EV_ANSWER && k->on_answer)
            rc = k->on_answer(k->ctx, &ev.answer);
    }
    if (rc == 0)
        rc = wl_stream_error(s);
    wl_stream_close(s);
    return rc;
}

static int run_interactions(const wl_gen *g, wl_window w, const wl_sink *k)
{
    wl_ix_stream *s;
    int rc = wl_ix_stream_open(g, w, &s);
    if (rc != 0)
        return rc;
    wl_interaction ix;
    while (rc == 0 && wl_ix_stream_next(s, &ix))
        rc = k->on_interaction(k->ctx, &ix);
    wl_ix_stream_close(s);
    return rc;
}

int wl_run(const wl_gen *g, wl_window w, const wl_sink *sink)
{
    int rc = 0;
    if (sink->on_test || sink->on_answer)
        rc = run_answers(g, w, sink);
    if (rc == 0 && sink->on_interaction)
        rc = run_interactions(g, w, sink);
    return rc;
}
