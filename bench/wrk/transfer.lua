-- wrk script for the time-bank transfer benchmark (bench/timebank_bench.py).
--
-- POST /api/v1/timebank/transfers: a gift of 1 unit from one bench account to the next one in
-- a ring (the bench scheme lets anyone receive gifts), as a worker in scope, each with an
-- Idempotency-Key. About one request in ten is a client retry of an earlier key of the same
-- thread (same body): the server must answer 200 with the existing transfer and move nothing.
--
--   WRK_TOKEN     bearer token (required)
--   WRK_ACCOUNTS  comma-separated account ids of the ring (required)
--   WRK_RUN       a prefix that makes keys unique per run

local token = os.getenv("WRK_TOKEN")
if token == nil or token == "" then
  error("WRK_TOKEN is not set")
end
local accounts = {}
for id in string.gmatch(os.getenv("WRK_ACCOUNTS") or "", "%d+") do
  table.insert(accounts, id)
end
if #accounts < 2 then
  error("WRK_ACCOUNTS needs at least two account ids")
end
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

function request()
  sent = sent + 1
  local n = sent
  if sent > 20 and math.random() < 0.1 then
    n = math.random(1, sent - 1)
  end
  local i = ((n * 7 + tid * 13) % #accounts) + 1
  local j = (i % #accounts) + 1
  local key = string.format("%s-%d-%d", run, tid, n)
  local body = string.format(
    '{"kind":"gift","source":%s,"target":%s,"amount":1,"memo":"bench %s"}',
    accounts[i], accounts[j], key
  )
  return wrk.format("POST", "/api/v1/timebank/transfers", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
    ["Idempotency-Key"] = key,
  }, body)
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
