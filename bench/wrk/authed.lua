-- wrk script shared by the benchmark harness (bench/harness.py).
--
-- Sends every request with `Authorization: Bearer <token>` and counts the responses by status,
-- so the harness can report non-2xx answers next to wrk's socket errors. Everything comes from
-- the environment, which keeps the token off the command line:
--
--   WRK_TOKEN         bearer token (required)
--   WRK_METHOD        HTTP method, default GET
--   WRK_BODY          request body, optional (sent as application/json unless WRK_CONTENT_TYPE)
--   WRK_CONTENT_TYPE  content type of the body, default application/json
--
-- The path comes from the URL given to wrk. At the end one line is printed:
--   BENCH_RESULT {"requests":..., "non2xx":..., "statuses":{"200":...}, ...}

local token = os.getenv("WRK_TOKEN")
if token == nil or token == "" then
  error("WRK_TOKEN is not set")
end

wrk.method = os.getenv("WRK_METHOD") or "GET"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Accept"] = "application/json"
local body = os.getenv("WRK_BODY")
if body ~= nil and body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = os.getenv("WRK_CONTENT_TYPE") or "application/json"
end

-- Setup/done environment: one entry per wrk thread.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

-- Running environment (one per thread): counters read back in done(). No request() function:
-- wrk then builds the request once from the wrk table above.
non2xx = 0
statuses = {}

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

local function json_object(tbl)
  local keys = {}
  for key in pairs(tbl) do
    table.insert(keys, key)
  end
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
      .. "\"timeout\":%d}}\n",
    summary.requests, summary.duration, summary.bytes, total_non2xx,
    json_object(all_statuses), errors.connect, errors.read, errors.write, errors.timeout
  ))
end
