#!/bin/sh
# Tests re-imports that would change what questions hang on: a topic moved to another
# system (its questions move with it).
#
#   sh tests/tools/reimport_test.sh PATH/TO/quizstore
. "$(dirname "$0")/lib/check.sh"


# csv NAME LINE...: writes the lines to $WORK/NAME.
csv() {
    file=$WORK/$1
    shift
    printf '%s\n' "$@" >"$file"
}

# ---- a topic moved to another system -----------------------------------------------------

STORE=$WORK/store
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
