# test/lib/assert.sh: tiny assertions for integration tests.  Each prints
# one line; the first failure exits 1 (the caller's trap cleans up).
ASSERTS=0
q() { psql -X -Atq -v ON_ERROR_STOP=1 "$@"; }
expect_eq() {  # expect_eq WHAT EXPECTED ACTUAL
  ASSERTS=$((ASSERTS + 1))
  if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1"; echo "     expected: $2"; echo "     actual:   $3"; exit 1; fi
}
expect_match() {  # expect_match WHAT REGEX ACTUAL
  ASSERTS=$((ASSERTS + 1))
  if printf '%s' "$3" | grep -Eq -- "$2"; then echo "ok   $1"; else echo "FAIL $1"; echo "     expected to match: $2"; echo "     actual: $3"; exit 1; fi
}
# wait_sql WHAT SQL EXPECTED [SECONDS]: poll until the query returns EXPECTED.
wait_sql() {
  local what=$1 sql=$2 want=$3 secs=${4:-15} got i
  for i in $(seq $((secs * 10))); do
    got=$(q -c "$sql" 2>/dev/null)
    [ "$got" = "$want" ] && break
    sleep 0.1
  done
  expect_eq "$what" "$want" "$got"
}
