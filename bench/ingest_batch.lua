-- wrk script: each request upserts a batch of BATCH new person records into source "people".
-- Record ids are unique per thread and request so every record is an insert.
local batch = tonumber(os.getenv("BATCH") or "100")
local key = os.getenv("AURUM_KEY") or ""
-- Several wrk processes writing to one store (bench/nodes.sh) keep their ids apart.
local prefix = os.getenv("ID_PREFIX") or "t"
local counter = 0
local thread_id = 0
-- Enough distinct names that blocks look like real customer data (a handful of names repeated
-- over every record would make every record a candidate of every other).
local first = {"Olivia", "James", "Amelia", "Robert", "Isla", "William", "Ava", "Thomas", "Mia",
    "George", "Grace", "Oliver", "Freya", "Harry", "Lily", "Jack", "Emily", "Noah", "Sophie", "Leo",
    "Ella", "Arthur", "Poppy", "Oscar", "Evie", "Henry", "Chloe", "Alfie", "Ruby", "Charlie",
    "Daisy", "Jacob", "Alice", "Theo", "Rosie", "Archie", "Florence", "Isaac", "Sienna", "Edward"}
local last = {"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
    "Patel", "Wright", "Robinson", "Wood", "Thompson", "Evans", "Walker", "White", "Roberts",
    "Green", "Hall", "Thomas", "Clarke", "Jackson", "Hughes", "Edwards", "Lewis", "Harris",
    "Martin", "Turner", "Cooper", "Hill", "Ward", "Morris", "Moore", "Clark", "Lee", "King",
    "Baker", "Harrison", "Morgan", "Allen"}
local streets = {"High Street", "Station Road", "Church Lane", "Mill Road", "Park Avenue",
    "Victoria Road", "Green Lane", "Manor Road", "Kings Road", "Queens Road"}

function setup(thread)
    thread:set("tid", thread_id)
    thread_id = thread_id + 1
end

function init(args)
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
    wrk.headers["Authorization"] = "Bearer " .. key
    wrk.path = "/v1/sources/people/records"
end

function request()
    local parts = {}
    for i = 1, batch do
        counter = counter + 1
        local n = counter
        local f = first[(n % #first) + 1]
        local l = last[(math.floor(n / #first) % #last) + 1]
        local street = streets[(math.floor(n / 7) % #streets) + 1]
        parts[i] = string.format(
            '{"id":"%s%d-%d","first_name":"%s","last_name":"%s","dob":"19%02d-%02d-%02d",' ..
            '"email":"%s.%s%d@example.com","phone":"+44 7700 9%05d","address":"%d %s",' ..
            '"city":"Leeds","postcode":"LS1 %dAB"}',
            prefix, tid, n, f, l, n % 90 + 10, n % 12 + 1, n % 28 + 1, f, l, n, n % 100000, n % 300 + 1, street,
            n % 9 + 1)
    end
    return wrk.format(nil, nil, nil, "[" .. table.concat(parts, ",") .. "]")
end
