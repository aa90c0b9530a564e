-- wrk script: single-record upserts into source "people" (the generator's single-source layout),
-- each a new record that is resolved against everything already in the store. Half of them
-- repeat a generated person's e-mail and name (they join an existing profile), half are new.
local key = os.getenv("AURUM_KEY") or ""
local counter = 0
local first = {"Olivia", "James", "Amelia", "Robert", "Isla", "William", "Ava", "Thomas", "Mia", "George"}
local last = {"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Wright"}

function init(args)
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
    wrk.headers["Authorization"] = "Bearer " .. key
    wrk.path = "/v1/sources/people/records"
end

function request()
    counter = counter + 1
    local n = counter
    local f = first[(n % #first) + 1]
    local l = last[(math.floor(n / #first) % #last) + 1]
    local body = string.format(
        '[{"id":"lat-%d","first_name":"%s","last_name":"%s","dob":"19%02d-%02d-%02d",' ..
        '"email":"%s.%s%d@example.com","postcode":"SW1A %dAA"}]',
        n, f, l, 50 + n % 50, 1 + n % 12, 1 + n % 28, string.lower(f), string.lower(l),
        n % 2 == 0 and n or 1, n % 10)
    return wrk.format(nil, nil, nil, body)
end
