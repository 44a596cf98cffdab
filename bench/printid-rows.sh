# shellcheck shell=bash
# printid's rows in the peers harness: `EXTRA=bench/printid-rows.sh bench/peers/run` (npm run bench does
# this). Sourced by bench/peers/run once the peers are measured, under `set -euo pipefail`, with the
# harness's OUT_DIR, BASE (the baseline peer's origin), log, die, register_pgid, run_one and unloaded_ms.
#   1. builds printid as deployed (wrangler deploy --dry-run --env eu: also the bundle-size figure),
#   2. serves that build with `wrangler dev --no-bundle --env eu --log-level warn` on a free loopback port,
#      with fresh local state (migrations applied) and fresh secrets, in its own process group,
#   3. creates a tenant and its admin through the operator API and signs in for an access token,
#   4. measures unloaded single requests, then the load rows (run_one), then the burst rows (burst.mjs),
#   5. times one Argon2id verification of the admin's stored hash inside workerd (bench/hash).
# Figures that are not rows of results.tsv go to $OUT_DIR/printid-facts.tsv and printid-burst.json.

PRINTID="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PRINTID_STATE="$OUT_DIR/printid-state"
PRINTID_FACTS="$OUT_DIR/printid-facts.tsv"

# printid's own wrangler, under printid's pinned Node 24.
pwr() { ( cd "$PRINTID" && PATH="$PRINTID/node_modules/.bin:$PATH" wrangler "$@" ); }
free_port() { node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'; }
fact() { printf '%s\t%s\n' "$1" "$2" >>"$PRINTID_FACTS"; }
json_field() { node -e 'const v = JSON.parse(require("fs").readFileSync(0, "utf8"))'"$1"'; if (v === undefined) process.exit(1); console.log(v)'; }

# start_dev <logfile> <wrangler dev args...>: `wrangler dev` of printid's wrangler under setsid, so that
# it (wrangler, workerd) is one process group, which the harness stops at its end; sets DEV_PID (= pgid).
start_dev() {
  local logf="$1"; shift
  ( cd "$PRINTID" && PATH="$PRINTID/node_modules/.bin:$PATH" exec setsid wrangler dev --ip 127.0.0.1 \
      --log-level warn --show-interactive-dev-session=false "$@" ) >"$logf" 2>&1 </dev/null &
  DEV_PID=$!
  register_pgid "$DEV_PID"
}

# wait_for <logfile> <curl args...>: until the request to the last started Worker answers 2xx (60 s at most).
wait_for() {
  local logf="$1" i; shift
  for i in $(seq 1 120); do
    curl -fsS -o /dev/null "$@" 2>/dev/null && return 0
    kill -0 "$DEV_PID" 2>/dev/null || { tail -30 "$logf" >&2; die "printid bench worker exited early (log: $logf)"; }
    sleep 0.5
  done
  tail -30 "$logf" >&2; die "printid bench worker not ready after 60 s (log: $logf)"
}

: >"$PRINTID_FACTS"

# ---------------------------------------------------------------- 1. build + fresh state
pwr deploy --dry-run --env eu --outdir "$OUT_DIR/bundle-printid" >"$OUT_DIR/bundle-printid.log" 2>&1 \
  || { tail -30 "$OUT_DIR/bundle-printid.log" >&2; die "dry-run bundle failed for printid"; }
# Every shard of the region (DB, DB_2, …, as wrangler.toml binds them): a new tenant may land on any.
for shard in $(cd "$PRINTID" && node scripts/shards.mjs eu); do
  pwr d1 migrations apply "$shard" --local --env eu --persist-to "$PRINTID_STATE" >>"$OUT_DIR/migrate-printid.log" 2>&1 \
    || { tail -30 "$OUT_DIR/migrate-printid.log" >&2; die "migrations failed for printid ($shard)"; }
done

# ---------------------------------------------------------------- 2. the Worker
# A build, not `wrangler dev` of src/: wrangler would rebuild and restart the Worker mid-run whenever
# someone saves a file under src/. Fresh secrets as --var (they override any .dev.vars).
PRINTID_PORT=$(free_port)
P="http://127.0.0.1:$PRINTID_PORT"
mapfile -t PRINTID_VARS < <(node "$PRINTID/bench/printid-vars.mjs")
VAR_ARGS=(); for v in "${PRINTID_VARS[@]}"; do VAR_ARGS+=(--var "$v"); done
OPERATOR_TOKEN=$(printf '%s\n' "${PRINTID_VARS[@]}" | sed -n 's/^OPERATOR_TOKEN://p')
start_dev "$OUT_DIR/dev-printid.log" "$OUT_DIR/bundle-printid/index.js" -c wrangler.toml --no-bundle --env eu \
  --port "$PRINTID_PORT" --inspector-port "$(free_port)" --persist-to "$PRINTID_STATE" "${VAR_ARGS[@]}"
wait_for "$OUT_DIR/dev-printid.log" "$P/health"
log "printid up at $P (wrangler dev --no-bundle --env eu, process group $DEV_PID)"

# ---------------------------------------------------------------- 3. tenant, admin, token
# Lockout at its maximum for this tenant: each sign-in holds a slot of the account while it hashes, so
# with the default policy (5) half of the 10 connections would wait for a slot. The default policy under
# the same concurrency is the burst row's (burst.mjs).
TENANT="bench$(node -p 'require("crypto").randomBytes(3).toString("hex")')"
PRINTID_PASSWORD="Bench-$(node -p 'require("crypto").randomBytes(9).toString("base64url")')"
code=$(curl -sS -o "$OUT_DIR/printid-tenant.json" -w '%{http_code}' -X POST "$P/operator/tenants" \
  -H "authorization: Bearer $OPERATOR_TOKEN" -H 'content-type: application/json' \
  -d "{\"name\":\"$TENANT\",\"displayName\":\"Bench\",\"admin\":{\"username\":\"admin\",\"email\":\"admin@$TENANT.example\",\"password\":\"$PRINTID_PASSWORD\"},\"settings\":{\"lockout\":{\"maxAttempts\":100,\"lockoutSeconds\":900}}}")
[[ "$code" == 201 ]] || { cat "$OUT_DIR/printid-tenant.json" >&2; die "printid tenant creation returned HTTP $code"; }
SIGN_IN="{\"login\":\"admin\",\"password\":\"$PRINTID_PASSWORD\",\"clientId\":\"printid-mobile\"}"
code=$(curl -sS -o "$OUT_DIR/printid-signin.json" -w '%{http_code}' -X POST "$P/t/$TENANT/sign-in" -H 'content-type: application/json' -d "$SIGN_IN")
[[ "$code" == 200 ]] || { cat "$OUT_DIR/printid-signin.json" >&2; die "printid sign-in returned HTTP $code"; }
ACCESS_TOKEN=$(json_field .access_token <"$OUT_DIR/printid-signin.json") || die "printid sign-in answered no access_token"
code=$(curl -sS -o "$OUT_DIR/printid-me.json" -w '%{http_code}' "$P/t/$TENANT/me" -H "authorization: Bearer $ACCESS_TOKEN")
[[ "$code" == 200 ]] || { cat "$OUT_DIR/printid-me.json" >&2; die "printid GET /me with the token returned HTTP $code"; }
code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$P/t/$TENANT/sign-in" -H 'content-type: application/json' \
  -d "{\"login\":\"admin\",\"password\":\"wrong password\",\"clientId\":\"printid-mobile\"}")
[[ "$code" == 401 ]] || die "printid sign-in with a wrong password returned HTTP $code, expected 401"
log "printid tenant $TENANT seeded via the operator API; sign-in / me / wrong-password checks OK"

# ---------------------------------------------------------------- 4. unloaded, load, burst
# Unloaded: median of 15 sequential requests, as the harness does for Better Auth (18 sign-ins from
# this one address: under the 60 per minute of rule H's limit).
fact signin_alone_ms "$(unloaded_ms -X POST "$P/t/$TENANT/sign-in" -H 'content-type: application/json' -d "$SIGN_IN")"
fact me_alone_ms "$(unloaded_ms "$P/t/$TENANT/me" -H "authorization: Bearer $ACCESS_TOKEN")"
fact d1_alone_ms "$(unloaded_ms "$BASE/d1")"   # the baseline /me is compared with: the harness has no such figure
run_one "printid GET /t/{tenant}/me (bearer)" "$P/t/$TENANT/me" GET "" "" "" "Bearer $ACCESS_TOKEN"
# Sign-in is rate limited per CF-Connecting-IP and tenant (rule H): every request its own address.
BENCH_FRESH_IP=1 run_one "printid POST /t/{tenant}/sign-in" "$P/t/$TENANT/sign-in" POST "$SIGN_IN"
log "printid burst: 10 connections signing in as one user, GET /me beside it"
( cd "$PRINTID" && node bench/burst.mjs --origin "$P" --operator-token "$OPERATOR_TOKEN" --me "/t/$TENANT/me" \
    --access-token "$ACCESS_TOKEN" --out "$OUT_DIR/printid-burst.json" ) || die "printid burst failed"

# ---------------------------------------------------------------- 5. hash inside workerd
PHC=$(pwr d1 execute DB --local --env eu --persist-to "$PRINTID_STATE" --json \
  --command "select password_hash as phc from users where username = 'admin' and password_hash is not null limit 1" \
  2>"$OUT_DIR/printid-phc.log" | json_field '[0].results[0].phc') || die "could not read printid's stored password hash"
HASH_PORT=$(free_port)
start_dev "$OUT_DIR/dev-printid-hash.log" -c bench/hash/wrangler.toml --port "$HASH_PORT" --inspector-port "$(free_port)"
HASH_REQUEST="{\"phc\":\"$PHC\",\"password\":\"$PRINTID_PASSWORD\",\"n\":15}"
wait_for "$OUT_DIR/dev-printid-hash.log" -X POST "http://127.0.0.1:$HASH_PORT/" -d "{\"phc\":\"$PHC\",\"password\":\"\",\"n\":1}"
curl -fsS -X POST "http://127.0.0.1:$HASH_PORT/" -d "$HASH_REQUEST" >"$OUT_DIR/printid-hash.json" || die "printid hash timing failed"
HASH_MS=$(json_field .median_verify_ms <"$OUT_DIR/printid-hash.json")
fact hash_verify_ms "$HASH_MS"
fact hash_matches "$(json_field .matches <"$OUT_DIR/printid-hash.json")"
fact hash_params "$(sed -E 's/^\$(argon2[a-z]*)\$v=[0-9]+\$([^$]*)\$.*/\1 \2/' <<<"$PHC")"
log "printid: $HASH_MS ms per Argon2id verification inside workerd"
