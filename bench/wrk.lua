-- wrk script for bench/run.py.
--
-- Reads: wrk sends its one static request (URL and -H headers from the command line); this
-- script only adds done(), which prints one machine-readable line for run.py.
--
-- Posts: when BENCH_POST is set ("townhall" or "isso"), request() builds a POST whose comment
-- is new text each time: 10 to 120 words (about 400 characters on average, near the 430 of
-- the C3 reader comments) drawn by a per-thread generator seeded from BENCH_SEED
-- (run.py gives every wrk run another seed), so no post is a near-duplicate of an earlier one
-- and the moderation models see a different comment every time. Townhall posts also carry a
-- distinct X-Forwarded-For (the server trusts 127.0.0.1 as a proxy), so the per-address write
-- limit runs on every post and never trips. BENCH_PATH, BENCH_SITE, BENCH_URL and BENCH_ORIGIN
-- say where to post.

local kind = os.getenv("BENCH_POST")
local seed = tonumber(os.getenv("BENCH_SEED") or "0")

local words = {
  "council", "budget", "school", "bridge", "vote", "mayor", "river", "housing", "transit",
  "library", "park", "tax", "report", "meeting", "plan", "zoning", "traffic", "police",
  "water", "energy", "museum", "market", "festival", "harbour", "station", "clinic",
  "the", "a", "and", "of", "to", "in", "is", "was", "for", "on", "that", "with", "they",
  "residents", "asked", "why", "repairs", "delayed", "again", "while", "said", "would",
  "published", "next", "week", "changes", "need", "another", "public", "hearing", "before",
  "anyone", "can", "say", "what", "costs", "city", "parks", "departments", "I", "think",
  "we", "should", "not", "more", "money", "buses", "night", "late", "kids", "street",
}

tid = 0 -- a global: setup() below sets it in each thread's own Lua state
local counter = 0

local created = 0
function setup(thread)
  created = created + 1
  thread:set("tid", created)
end

function init(args)
  math.randomseed(seed * 1000 + tid)
end

local function text(n)
  local count = math.random(10, 120)
  local parts = {}
  for i = 1, count do
    parts[i] = words[math.random(#words)]
  end
  return "Comment " .. n .. ": " .. table.concat(parts, " ") .. "."
end

if kind ~= nil then
  local path = os.getenv("BENCH_PATH")
  local site = os.getenv("BENCH_SITE") or ""
  local url = os.getenv("BENCH_URL") or ""
  local origin = os.getenv("BENCH_ORIGIN")

  function request()
    counter = counter + 1
    local n = (seed % 1000) * 100000000 + tid * 10000000 + counter
    local headers = { ["Content-Type"] = "application/json" }
    if origin then
      headers["Origin"] = origin
    end
    local body
    if kind == "townhall" then
      headers["X-Forwarded-For"] = string.format(
        "10.%d.%d.%d", (seed % 100) * 2 + tid, math.floor(counter / 256) % 256, counter % 256)
      body = string.format('{"site":"%s","url":"%s","body":"%s","author_name":"Reader %d"}',
        site, url, text(n), n % 997)
    else
      body = string.format('{"text":"%s","author":"Reader %d","title":"Bench story"}', text(n), n % 997)
    end
    return wrk.format("POST", path, headers, body)
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"mean_us":%.1f,"p50_us":%d,"p90_us":%d,'
      .. '"p99_us":%d,"max_us":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, summary.duration, summary.bytes, latency.mean,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
