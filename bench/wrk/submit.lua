-- wrk script for the request-submission benchmark (bench/requests_bench.py).
--
-- POST /api/v1/requests as a resident, each with an Idempotency-Key. About one request in ten
-- is a client retry: it re-sends an earlier key of the same thread with the same body, so the
-- server must answer with the existing request (200) and create nothing. New keys answer 201.
-- After the run the harness compares the rows in the database with the number of 201s.
--
--   WRK_TOKEN    bearer token (required)
--   WRK_REGION   community code, WRK_CATEGORY request category code
--   WRK_RUN      a prefix that makes keys unique per run (warm-up and measured run differ)

local token = os.getenv("WRK_TOKEN")
if token == nil or token == "" then
  error("WRK_TOKEN is not set")
end
local region = os.getenv("WRK_REGION") or "330481001007"
local category = os.getenv("WRK_CATEGORY") or "daily_care"
local run = os.getenv("WRK_RUN") or "run"

local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("tid", next_id)
  table.insert(threads, thread)
end

sent = 0
non2xx = 0
statuses = {}

local function body_for(key)
  return string.format(
    '{"region":"%s","category":"%s","description":"压测诉求 %s","urgency":"normal"}',
    region, category, key
  )
end

function request()
  sent = sent + 1
  local n = sent
  if sent > 20 and math.random() < 0.1 then
    n = math.random(1, sent - 1)  -- a retry of an earlier key (or a key never sent: new)
  end
  local key = string.format("%s-%d-%d", run, tid, n)
  return wrk.format("POST", "/api/v1/requests", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
    ["Idempotency-Key"] = key,
  }, body_for(key))
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

local function json_object(tbl)
  local keys = {}
  for key in pairs(tbl) do table.insert(keys, key) end
  table.sort(keys)
  local parts = {}
  for _, key in ipairs(keys) do
    table.insert(parts, string.format('"%s":%d', key, tbl[key]))
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

function done(summary, latency, requests)
  local total_non2xx = 0
  local all_statuses = {}
  for _, thread in ipairs(threads) do
    total_non2xx = total_non2xx + thread:get("non2xx")
    for key, count in pairs(thread:get("statuses")) do
      all_statuses[key] = (all_statuses[key] or 0) + count
    end
  end
  local errors = summary.errors
  io.write(string.format(
    "BENCH_RESULT {\"requests\":%d,\"duration_us\":%d,\"bytes\":%d,\"non2xx\":%d,"
      .. "\"statuses\":%s,\"socket_errors\":{\"connect\":%d,\"read\":%d,\"write\":%d,"
      .. "\"timeout\":%d},\"p95_ms\":%.2f}\n",
    summary.requests, summary.duration, summary.bytes, total_non2xx,
    json_object(all_statuses), errors.connect, errors.read, errors.write, errors.timeout,
    latency:percentile(95) / 1000
  ))
end
