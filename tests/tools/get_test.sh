#!/bin/sh
# Tests `quizstore get`: the JSON of every read on a store imported from the fixtures of
# tests/tools/data, checked against values worked out by hand from those files.
#
#   sh tests/tools/get_test.sh PATH/TO/quizstore
. "$(dirname "$0")/lib/check.sh"

STORE=$WORK/store
for kind in subjects systems topics questions users tests answers interactions; do
    for fmt in csv jsonl; do
        qs import -d "$STORE" -q --no-progress "$kind" "$DATA/$kind.$fmt"
        [ "$rc" -eq 0 ] || fail "setup: import $kind.$fmt exited $rc" "$(tail -n 3 "$WORK/err")"
    done
done

# get NAME ARGS...: runs `quizstore get ARGS`, which must succeed; the JSON is in $WORK/out.
get() {
    name=$1
    shift
    expect_rc "$name: exit 0" 0 get -d "$STORE" "$@"
}

# ---- questions --------------------------------------------------------------------------

get "question q1" question q1
json_is "question q1: texts" "$WORK/out" '[d["stem"], d["options"], d["explanation"]]' \
    '["Which rhythm is \"irregularly irregular\", and why?", ["Sinus", "Atrial fibrillation", "Flutter", "VT"], "AF: no P waves."]'
json_is "question q1: fields" "$WORK/out" \
    '[d["ext_id"], d["difficulty"], d["type"], d["active"], d["created_at"], d["correct_option"], d["subject"]["ext_id"], d["system"]["ext_id"], d["topic"]["ext_id"], d["topic"]["name"]]' \
    '["q1", 1, 1, true, 1748736000000, 1, "med", "cardio", "arr", "Arrhythmia"]'
get "question q2" question q2
json_is "question q2: multi-line stem, index key" "$WORK/out" \
    '[d["stem"], d["correct_option"], d["topic"]["name"]]' \
    '["Two-line\nstem", 0, "Heart failure, chronic"]'
get "question q3" question q3
json_is "question q3: ISO time with fraction and offset, upper-case key" "$WORK/out" \
    '[d["created_at"], d["correct_option"], d["difficulty"], d["type"], d["explanation"]]' \
    '[1748728800500, 2, 3, 2, ""]'
get "question q4" question q4
json_is "question q4: inactive" "$WORK/out" '[d["active"], d["correct_option"], d["subject"]["name"]]' \
    '[false, 3, "Surgery, general"]'
get "question q5" question q5
json_is "question q5: from JSON Lines, options array" "$WORK/out" \
    '[d["stem"], d["options"], d["explanation"], d["correct_option"], d["type"], d["topic"]["name"]]' \
    '["A wheezing child, \"tight\" chest. Next step?", ["Salbutamol", "Antibiotics", "Wait"], "Bronchodilator first.\nThen steroids.", 0, 3, "Asthma \"exacerbation\""]'
get "question q6" question q6
json_is "question q6: option0/option1 fields" "$WORK/out" \
    '[d["options"], d["correct_option"], d["created_at"], d["difficulty"]]' \
    '[["x", "y"], 1, 1751328000000, 3]'
get "question by internal id" -i question "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$WORK/out")"
json_is "question by internal id: the same question" "$WORK/out" 'd["ext_id"]' '"q6"'
expect_rc "unknown question exits 1" 1 get -d "$STORE" question nope

# ---- users and tests --------------------------------------------------------------------

get "user dave" user dave
json_is "user dave" "$WORK/out" '[d["ext_id"], d["created_at"]]' '["dave", 1738368000000]'
expect_rc "unknown user exits 1" 1 get -d "$STORE" user nobody

get "test t2" test t2
json_is "test t2: fields" "$WORK/out" \
    '[d["user"]["ext_id"], d["status"], d["mode"], d["open_list"], d["created_at"], d["last_activity_at"], d["completed_at"], d["n_questions"]]' \
    '["bob", "completed", "timed", false, 1764752400000, 1764813600000, 1764813600000, 4]'
json_is "test t2: answers" "$WORK/out" \
    '[(q["ext_id"], q["status"], q.get("correct"), q.get("chosen"), q.get("score"), q.get("time_spent_ms"), q.get("created_at")) for q in d["questions"]]' \
    '[["q1", "flagged", false, 0, 90, 40000, 1764756000000], ["q2", "skipped", false, null, null, 5000, 1764756060000], ["q3", "answered", true, 2, 70, 15000, 1764756120000], ["q4", "unanswered", null, null, null, null, null]]'
get "test t4" test t4
json_is "test t4: from JSON Lines" "$WORK/out" \
    '[d["status"], d["mode"], d["last_activity_at"], [(q["ext_id"], q["correct"], q["chosen"], q["score"]) for q in d["questions"]]]' \
    '["active", "timed", 1764896460000, [["q5", true, 0, 80], ["q6", false, 0, null]]]'

get "tests alice" tests alice
json_is "tests alice: the active test" "$WORK/out" \
    '[d["total"], [(t["ext_id"], t["status"], t["n_questions"], t["last_activity_at"]) for t in d["tests"]]]' \
    '[1, [["t1", "active", 4, 1764666000000]]]'
get "tests bob" tests bob
json_is "tests bob: completed tests are not listed" "$WORK/out" '[d["total"], d["tests"]]' '[0, []]'
get "tests carol" tests carol
json_is "tests carol: the paused test" "$WORK/out" '[(t["ext_id"], t["status"]) for t in d["tests"]]' \
    '[["t3", "paused"]]'

# ---- the product's reads ------------------------------------------------------------------

get "dashboard alice" dashboard alice --now 2025-12-10T00:00:00Z
json_is "dashboard alice: summary" "$WORK/out" \
    '[d["summary"][k] for k in ("answered", "correct", "rate_bp", "time_ms", "last_day", "streak", "best_streak")]' \
    '[3, 2, 6666, 60000, 20424, 2, 2]'
json_is "dashboard alice: days" "$WORK/out" \
    '[(r["day"], r["answers"], r["correct"], r["time_ms"]) for r in d["days"]]' \
    '[[20423, 2, 1, 50000], [20424, 1, 1, 10000]]'
get "dashboard alice, window ending on her first day" dashboard alice --now 1764590000000
json_is "dashboard alice: window ends at now" "$WORK/out" \
    '[(r["day"], r["answers"]) for r in d["days"]]' '[[20423, 2]]'
get "dashboard bob" dashboard bob --now 2026-01-01T00:00:00Z
json_is "dashboard bob: summary" "$WORK/out" \
    '[d["summary"][k] for k in ("answered", "correct", "rate_bp", "time_ms", "last_day", "streak", "best_streak")]' \
    '[3, 1, 3333, 60000, 20425, 1, 1]'
expect_rc "dashboard of an unknown user exits 1" 1 get -d "$STORE" dashboard nobody

get "progress alice" progress alice
json_is "progress alice" "$WORK/out" \
    '[(t["ext_id"], t["attempts"], t["correct"], t["rate_bp"], t["last_answered_at"]) for t in d["topics"]]' \
    '[["arr", 1, 1, 10000, 1764576000000], ["hf", 1, 0, 0, 1764576300000], ["stroke", 1, 1, 10000, 1764666000000]]'
get "progress dave" progress dave
json_is "progress dave" "$WORK/out" \
    '[(t["ext_id"], t["attempts"], t["correct"], t["rate_bp"]) for t in d["topics"]]' \
    '[["asthma", 2, 1, 5000]]'

get "history alice page 1" history alice --limit 2
json_is "history alice page 1" "$WORK/out" \
    '[(r["question_ext_id"], r["test_ext_id"], r["correct"], r["created_at"]) for r in d["rows"]]' \
    '[["q3", "t1", true, 1764666000000], ["q2", "t1", false, 1764576300000]]'
cursor=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["next"] or "")' "$WORK/out")
if [ -n "$cursor" ]; then
    pass "history alice page 1: a next cursor"
else
    fail "history alice page 1: a next cursor" "next is null after a full page"
fi
get "history alice page 2" history alice --limit 2 --cursor "$cursor"
json_is "history alice page 2: the rest, no next" "$WORK/out" \
    '[[(r["question_ext_id"], r["chosen"], r["score"], r["time_spent_ms"]) for r in d["rows"]], d["next"]]' \
    '[[["q1", 1, 50, 30000]], null]'
expect_rc "history with bob's cursor for alice exits 1" 1 get -d "$STORE" history bob \
    --limit 2 --cursor "$cursor"
expect_rc "history with a damaged cursor exits 1" 1 get -d "$STORE" history alice \
    --limit 2 --cursor "x$cursor"

get "stats q1" stats q1
json_is "stats q1" "$WORK/out" \
    '[d[k] for k in ("attempts", "correct", "users", "rate_bp", "score_sum", "time_ms_sum")]' \
    '[3, 1, 3, 3333, 150, 71000]'

get "leaderboard" leaderboard --top 10 --user carol
json_is "leaderboard: all-time order" "$WORK/out" \
    '[d["entries"], [(r["rank"], r["ext_id"], r["correct"]) for r in d["top"]]]' \
    '[4, [[1, "alice", 2], [2, "bob", 1], [3, "dave", 1], [4, "carol", 0]]]'
json_is "leaderboard: the user's rank" "$WORK/out" '[d["user"]["rank"], d["user"]["correct"]]' \
    '[4, 0]'
get "weekly leaderboard" leaderboard --week 2025-12-07T23:59:59Z --top 2
json_is "weekly leaderboard: top 2 of 4" "$WORK/out" \
    '[d["entries"], [(r["rank"], r["ext_id"], r["correct"]) for r in d["top"]]]' \
    '[4, [[1, "alice", 2], [2, "bob", 1]]]'
get "weekly leaderboard, week without answers" leaderboard --week 2025-12-08T00:00:00Z
json_is "weekly leaderboard: empty week" "$WORK/out" '[d["entries"], d["top"]]' '[0, []]'

finish
