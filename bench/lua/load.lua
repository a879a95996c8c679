-- One wrk load: method, headers and body from the environment, results as JSON to BENCH_OUT.
--
-- BENCH_METHOD   GET or POST
-- BENCH_TOKEN    bearer token, optional
-- BENCH_BODY     JSON body, optional; "{n}" becomes a per-request counter, "{u}" the counter
--                modulo BENCH_USERS (to spread log-ins over several accounts)
-- BENCH_OUT      where done() writes the result

local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

local body_template = os.getenv("BENCH_BODY") or ""
local dynamic = body_template:find("{n}", 1, true) or body_template:find("{u}", 1, true)
local users = tonumber(os.getenv("BENCH_USERS") or "1")

wrk.method = os.getenv("BENCH_METHOD") or "GET"
local token = os.getenv("BENCH_TOKEN") or ""
if token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
if body_template ~= "" then
  wrk.headers["Content-Type"] = "application/json"
  wrk.body = body_template
end

function init(args)
  counter = 0
  statuses = {}
  samples = {}
end

if dynamic then
  function request()
    counter = counter + 1
    local n = tostring(thread_id * 10000000 + counter)
    local body = body_template:gsub("{n}", n):gsub("{u}", tostring(counter % users))
    return wrk.format(nil, nil, nil, body)
  end
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status >= 300 and samples[status] == nil then
    samples[status] = string.sub(body or "", 1, 300)
  end
end

local function quote(text)
  text = text:gsub('[%c"\\]', function(c)
    return string.format("\\u%04x", c:byte())
  end)
  return '"' .. text .. '"'
end

function done(summary, latency, requests)
  local counts, bodies = {}, {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + count
    end
    for status, body in pairs(thread:get("samples")) do
      bodies[status] = body
    end
  end
  local status_parts, sample_parts = {}, {}
  for status, count in pairs(counts) do
    table.insert(status_parts, string.format('"%d": %d', status, count))
  end
  for status, body in pairs(bodies) do
    table.insert(sample_parts, string.format('"%d": %s', status, quote(body)))
  end
  local e = summary.errors
  local out = io.open(os.getenv("BENCH_OUT"), "w")
  out:write(string.format(
    '{"duration_us": %d, "requests": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"min": %d, "mean": %.1f, "p50": %d, "p90": %d, "p99": %d, "max": %d}, ' ..
    '"statuses": {%s}, "samples": {%s}}\n',
    summary.duration, summary.requests, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max,
    table.concat(status_parts, ", "), table.concat(sample_parts, ", ")))
  out:close()
end
