#!/bin/sh
# Tests re-imports that would change what answers and questions hang on: a test's user
# and question list under its answers (refused; its times never go back), and a topic
# moved to another system (its questions move with it).
#
#   sh tests/tools/reimport_test.sh PATH/TO/quizstore
. "$(dirname "$0")/lib/check.sh"

STORE=$WORK/store

# csv NAME LINE...: writes the lines to $WORK/NAME.
csv() {
    file=$WORK/$1
    shift
    printf '%s\n' "$@" >"$file"
}

# ---- a test's owner and question list under its answers --------------------------------

csv questions.csv "id,difficulty,correct_option" "q1,1,0" "q2,1,1"
csv t1.csv "id,user,status,created_at,questions" \
    "t1,alice,active,2025-12-01T00:00:00Z,q1;q2"
csv answers.csv "test,question,chosen,created_at" \
    "t1,q1,0,2025-12-02T00:00:00Z" "t1,q2,0,2025-12-03T00:00:00Z"
csv t1-bob.csv "id,user,status,created_at,questions" \
    "t1,bob,active,2025-12-01T00:00:00Z,q1"
csv t1-q1.csv "id,user,status,created_at,questions" \
    "t1,alice,active,2025-12-01T00:00:00Z,q1"
csv t2.csv "id,user,status,created_at,questions" "t2,alice,active,2025-12-01T00:00:00Z,q1"
csv t2-bob.csv "id,user,status,created_at,questions" "t2,bob,active,2025-12-01T00:00:00Z,q2"

for step in questions.csv:questions t1.csv:tests answers.csv:answers; do
    expect_rc "import ${step%%:*}" 0 import -d "$STORE" -q --no-progress "${step#*:}" \
        "$WORK/${step%%:*}"
done
qs get -d "$STORE" test t1
cp "$WORK/out" "$WORK/t1-before.json"
json_is "t1: alice's, both answered, last active at the second answer" "$WORK/out" \
    '[d["user"]["ext_id"], [q["status"] for q in d["questions"]], d["last_activity_at"]]' \
    '["alice", ["answered", "answered"], 1764720000000]'

expect_rc "t1 as bob's with q1 only is rejected" 2 import -d "$STORE" -q --no-progress \
    --rejects "$WORK/rejects.csv" tests "$WORK/t1-bob.csv"
contains "the reject names the test, both users and the answers" "$WORK/rejects.csv" \
    "test 't1' belongs to user 'alice' and has 2 answers: it cannot pass to user 'bob'"
expect_rc "t1 as alice's with q1 only is rejected" 2 import -d "$STORE" -q --no-progress \
    --rejects "$WORK/rejects.csv" tests "$WORK/t1-q1.csv"
contains "the reject names the answered question" "$WORK/rejects.csv" \
    "test 't1' has an answer to question 'q2'"
expect_rc "get test t1" 0 get -d "$STORE" test t1
same_file "t1 is as it was: alice's answers, both questions, its last activity" \
    "$WORK/out" "$WORK/t1-before.json"
expect_rc "get tests alice" 0 get -d "$STORE" tests alice
json_is "alice's tests list t1" "$WORK/out" '[t["ext_id"] for t in d["tests"]]' '["t1"]'
expect_rc "bob was never made" 1 get -d "$STORE" tests bob

expect_rc "t1.csv again, its last activity older than the answers" 0 import -d "$STORE" \
    --no-progress tests "$WORK/t1.csv"
contains "t1.csv again: unchanged" "$WORK/out" " 0 updated, 1 unchanged"
expect_rc "get test t1 after t1.csv again" 0 get -d "$STORE" test t1
same_file "t1.csv again: last activity stays at the newest answer" "$WORK/out" \
    "$WORK/t1-before.json"
expect_rc "answers again" 0 import -d "$STORE" --no-progress answers "$WORK/answers.csv"
contains "answers again: duplicates" "$WORK/out" " 2 duplicate, 0 rejected"

expect_rc "import t2, unanswered" 0 import -d "$STORE" -q --no-progress tests "$WORK/t2.csv"
expect_rc "t2 passes to bob" 0 import -d "$STORE" -q --no-progress tests "$WORK/t2-bob.csv"
expect_rc "get tests bob" 0 get -d "$STORE" tests bob
json_is "bob's tests list t2" "$WORK/out" '[t["ext_id"] for t in d["tests"]]' '["t2"]'
expect_rc "get tests alice after t2 moved" 0 get -d "$STORE" tests alice
json_is "alice's tests list t1 alone" "$WORK/out" '[t["ext_id"] for t in d["tests"]]' '["t1"]'
expect_rc "check after the refused re-imports" 0 check -d "$STORE"

# ---- a topic moved to another system -----------------------------------------------------

STORE=$WORK/store3
csv q9.csv "id,system,topic,difficulty,correct_option" "q9,cardio,arr,1,0"
csv q9-neuro.csv "id,system,topic,difficulty,correct_option,stem" "q9,neuro,arr,1,0,New stem"
csv topics.csv "id,system" "arr,neuro"

# topic_rows ARGS...: runs `get questions ARGS`, which must succeed; the JSON in $WORK/out.
topic_rows() {
    expect_rc "get questions $*" 0 get -d "$STORE" questions "$@"
}

expect_rc "import q9" 0 import -d "$STORE" -q --no-progress questions "$WORK/q9.csv"
topic_rows --topic arr
json_is "before the move: q9 under arr" "$WORK/out" '[q["ext_id"] for q in d["questions"]]' \
    '["q9"]'
expect_rc "move arr under neuro" 0 import -d "$STORE" -q --no-progress topics \
    "$WORK/topics.csv"
topic_rows --topic arr
json_is "after the move: q9 still under arr" "$WORK/out" \
    '[q["ext_id"] for q in d["questions"]]' '["q9"]'
topic_rows --system neuro
json_is "after the move: q9 in neuro" "$WORK/out" '[q["ext_id"] for q in d["questions"]]' \
    '["q9"]'
topic_rows --system cardio
json_is "after the move: nothing left in cardio" "$WORK/out" \
    '[q["ext_id"] for q in d["questions"]]' '[]'
expect_rc "get question q9" 0 get -d "$STORE" question q9
json_is "q9 is in neuro, under arr" "$WORK/out" \
    '[d["system"]["ext_id"], d["topic"]["ext_id"]]' '["neuro", "arr"]'
expect_rc "pools list" 0 pools -d "$STORE" list --json
json_is "the topic pool moved to neuro" "$WORK/out" \
    '[(p["system"]["ext_id"], p["topic"]["ext_id"], p["size"]) for p in d["pools"] if p["kind"] == "topic"]' \
    '[["neuro", "arr", 1]]'
expect_rc "check after the move" 0 check -d "$STORE"
expect_rc "index verify after the move" 0 index -d "$STORE" verify
expect_rc "pools verify after the move" 0 pools -d "$STORE" verify

expect_rc "q9 with its tags and a new stem" 0 import -d "$STORE" --no-progress \
    questions "$WORK/q9-neuro.csv"
contains "q9 with its tags: updated" "$WORK/out" " 1 updated, 0 unchanged"
expect_rc "q9 with its tags again" 0 import -d "$STORE" --no-progress questions \
    "$WORK/q9-neuro.csv"
contains "q9 with its tags again: unchanged" "$WORK/out" " 0 updated, 1 unchanged"
expect_rc "q9 with the tags from before the move is rejected" 2 import -d "$STORE" -q \
    --no-progress --rejects "$WORK/rejects.csv" questions "$WORK/q9.csv"
contains "the reject names the topic and both systems" "$WORK/rejects.csv" \
    "topic 'arr' belongs to system 'neuro', not system 'cardio'"
expect_rc "check at the end" 0 check -d "$STORE"
finish
