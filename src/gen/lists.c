/*
 * The generator's built-in lists, written for this project: first names with rough frequency
 * weights (common names far more frequent, so that term-frequency adjustments matter),
 * surnames, nickname pairs, streets, UK post towns with their landline area codes and the
 * Ofcom drama-range exchanges where one exists, e-mail domains, ticket subjects and products.
 * Weights are hand-set approximations of British frequencies, not copied from any data set.
 */
#include "gen/gen_int.h"

#include "lib/alloc.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const au_gen_wname au_gen_male[] = {
    {"John", 900},        {"David", 880},   {"Michael", 760},  {"Paul", 700},      {"James", 690},
    {"Robert", 620},      {"Peter", 600},   {"Mark", 580},     {"Richard", 560},   {"Andrew", 550},
    {"Christopher", 520}, {"Stephen", 500}, {"William", 480},  {"Thomas", 470},    {"Daniel", 440},
    {"Matthew", 420},     {"Anthony", 380}, {"Steven", 360},   {"Ian", 350},       {"Simon", 330},
    {"Gary", 310},        {"Martin", 300},  {"Kevin", 290},    {"Jonathan", 270},  {"Alan", 260},
    {"Brian", 250},       {"Philip", 240},  {"Neil", 230},     {"Edward", 220},    {"Joseph", 215},
    {"George", 210},      {"Samuel", 200},  {"Benjamin", 195}, {"Alexander", 190}, {"Charles", 185},
    {"Nicholas", 180},    {"Jack", 175},    {"Oliver", 170},   {"Harry", 165},     {"Henry", 150},
    {"Patrick", 145},     {"Timothy", 140}, {"Graham", 135},   {"Keith", 130},     {"Colin", 125},
    {"Raymond", 120},     {"Kenneth", 115}, {"Ronald", 110},   {"Donald", 100},    {"Gregory", 95},
    {"Frederick", 90},    {"Lawrence", 85}, {"Gerald", 80},    {"Leonard", 78},    {"Douglas", 76},
    {"Nathaniel", 40},    {"Adam", 160},    {"Luke", 150},     {"Ryan", 145},      {"Liam", 140},
    {"Jacob", 130},       {"Ethan", 120},   {"Noah", 115},     {"Oscar", 110},     {"Leo", 105},
    {"Charlie", 100},     {"Alfie", 95},    {"Freddie", 90},   {"Archie", 85},     {"Joshua", 140},
    {"Callum", 80},       {"Connor", 78},   {"Jamie", 90},     {"Lewis", 88},      {"Craig", 85},
    {"Scott", 83},        {"Stuart", 80},   {"Gordon", 60},    {"Malcolm", 55},    {"Hamish", 25},
    {"Gareth", 60},       {"Rhys", 55},     {"Dylan", 50},     {"Owen", 50},       {"Aidan", 40},
    {"Declan", 40},       {"Ciaran", 30},   {"Seán", 60},      {"Mohammed", 120},  {"Ahmed", 50},
    {"Ali", 45},          {"Omar", 35},     {"Hassan", 25},    {"Imran", 30},      {"Raj", 30},
    {"Sanjay", 25},       {"Arjun", 20},    {"Vikram", 15},    {"Wei", 15},        {"Hiroshi", 6},
    {"Piotr", 25},        {"Tomasz", 20},   {"Marek", 15},     {"Andrei", 12},     {"José", 70},
    {"Luis", 15},         {"Carlos", 15},   {"Mateo", 10},     {"François", 30},   {"Noël", 20},
    {"Jürgen", 15},       {"Björn", 15},    {"Stanley", 45},   {"Arthur", 70},     {"Albert", 40},
    {"Ernest", 25},       {"Dennis", 45},   {"Trevor", 50},    {"Derek", 45},      {"Roy", 40},
};
const size_t au_gen_nmale = COUNT(au_gen_male);

const au_gen_wname au_gen_female[] = {
    {"Sarah", 820},     {"Susan", 700},      {"Margaret", 620}, {"Elizabeth", 600},
    {"Helen", 580},     {"Julie", 540},      {"Karen", 520},    {"Jennifer", 480},
    {"Catherine", 460}, {"Patricia", 440},   {"Claire", 430},   {"Emma", 420},
    {"Nicola", 400},    {"Rebecca", 380},    {"Laura", 370},    {"Rachel", 360},
    {"Amanda", 340},    {"Jacqueline", 320}, {"Deborah", 300},  {"Mary", 300},
    {"Anne", 290},      {"Joanne", 280},     {"Victoria", 270}, {"Alison", 260},
    {"Christine", 250}, {"Gillian", 240},    {"Linda", 230},    {"Barbara", 220},
    {"Pamela", 200},    {"Sandra", 200},     {"Kathleen", 180}, {"Valerie", 160},
    {"Judith", 150},    {"Dorothy", 140},    {"Frances", 130},  {"Theresa", 120},
    {"Katherine", 200}, {"Jessica", 260},    {"Natalie", 220},  {"Samantha", 240},
    {"Alexandra", 160}, {"Kimberly", 90},    {"Abigail", 150},  {"Penelope", 60},
    {"Eleanor", 140},   {"Charlotte", 260},  {"Josephine", 80}, {"Caroline", 170},
    {"Olivia", 250},    {"Amelia", 220},     {"Isla", 150},     {"Ava", 160},
    {"Emily", 240},     {"Sophie", 230},     {"Grace", 180},    {"Lily", 170},
    {"Chloe", 200},     {"Ella", 150},       {"Mia", 140},      {"Poppy", 110},
    {"Hannah", 200},    {"Lucy", 210},       {"Megan", 160},    {"Holly", 130},
    {"Amy", 190},       {"Jade", 120},       {"Kirsty", 100},   {"Lauren", 150},
    {"Hayley", 110},    {"Gemma", 140},      {"Stacey", 90},    {"Donna", 100},
    {"Tracey", 110},    {"Wendy", 90},       {"Diane", 120},    {"Carol", 130},
    {"Janet", 120},     {"Maureen", 80},     {"Irene", 60},     {"Sheila", 70},
    {"Brenda", 60},     {"Joan", 90},        {"Doris", 30},     {"Edith", 30},
    {"Fiona", 110},     {"Morag", 20},       {"Eilidh", 20},    {"Siân", 70},
    {"Bethan", 30},     {"Ffion", 20},       {"Siobhan", 40},   {"Aoife", 25},
    {"Fatima", 60},     {"Aisha", 50},       {"Zainab", 25},    {"Priya", 45},
    {"Anjali", 25},     {"Mei", 15},         {"Yuki", 6},       {"Agnieszka", 20},
    {"Katarzyna", 20},  {"Magdalena", 12},   {"Zoë", 150},      {"Chloë", 60},
    {"Renée", 50},      {"Inés", 30},        {"Lucía", 40},     {"Maria", 90},
    {"Ruth", 70},       {"Ann", 80},         {"Louise", 180},   {"Michelle", 200},
};
const size_t au_gen_nfemale = COUNT(au_gen_female);

const au_gen_wname au_gen_surnames[] = {
    {"Smith", 1000},     {"Jones", 760},      {"Williams", 600},   {"Taylor", 520},
    {"Brown", 500},      {"Davies", 450},     {"Evans", 400},      {"Wilson", 380},
    {"Thomas", 360},     {"Johnson", 350},    {"Roberts", 340},    {"Robinson", 300},
    {"Thompson", 290},   {"Wright", 280},     {"Walker", 270},     {"White", 260},
    {"Edwards", 250},    {"Hughes", 245},     {"Green", 240},      {"Hall", 235},
    {"Lewis", 230},      {"Harris", 225},     {"Clarke", 220},     {"Patel", 215},
    {"Jackson", 210},    {"Wood", 205},       {"Turner", 200},     {"Martin", 195},
    {"Cooper", 190},     {"Hill", 185},       {"Ward", 180},       {"Morris", 175},
    {"Moore", 170},      {"Clark", 165},      {"Lee", 160},        {"King", 158},
    {"Baker", 155},      {"Harrison", 152},   {"Morgan", 150},     {"Allen", 148},
    {"James", 146},      {"Scott", 144},      {"Phillips", 142},   {"Watson", 140},
    {"Davis", 138},      {"Parker", 136},     {"Price", 134},      {"Bennett", 132},
    {"Young", 130},      {"Griffiths", 128},  {"Mitchell", 126},   {"Kelly", 124},
    {"Cook", 122},       {"Carter", 120},     {"Richardson", 118}, {"Bailey", 116},
    {"Collins", 114},    {"Bell", 112},       {"Shaw", 110},       {"Murphy", 108},
    {"Miller", 106},     {"Cox", 104},        {"Richards", 102},   {"Khan", 100},
    {"Marshall", 98},    {"Anderson", 97},    {"Simpson", 96},     {"Ellis", 95},
    {"Adams", 94},       {"Singh", 93},       {"Begum", 92},       {"Wilkinson", 91},
    {"Foster", 90},      {"Chapman", 89},     {"Powell", 88},      {"Webb", 87},
    {"Rogers", 86},      {"Gray", 85},        {"Mason", 84},       {"Ali", 83},
    {"Hunt", 82},        {"Hussain", 81},     {"Campbell", 80},    {"Matthews", 79},
    {"Owen", 78},        {"Palmer", 77},      {"Holmes", 76},      {"Mills", 75},
    {"Barnes", 74},      {"Knight", 73},      {"Lloyd", 72},       {"Butler", 71},
    {"Russell", 70},     {"Barker", 69},      {"Fisher", 68},      {"Stevens", 67},
    {"Jenkins", 66},     {"Murray", 65},      {"Dixon", 64},       {"Harvey", 63},
    {"Graham", 62},      {"Pearson", 61},     {"Ahmed", 60},       {"Fletcher", 59},
    {"Walsh", 58},       {"Kaur", 57},        {"Gibson", 56},      {"Howard", 55},
    {"Andrews", 54},     {"Stewart", 53},     {"Elliott", 52},     {"Reynolds", 51},
    {"Saunders", 50},    {"Payne", 50},       {"Fox", 49},         {"Ford", 49},
    {"Pearce", 48},      {"Day", 48},         {"Brooks", 47},      {"West", 47},
    {"Lawrence", 46},    {"Cole", 46},        {"Atkinson", 45},    {"Bradley", 45},
    {"Spencer", 44},     {"Gill", 44},        {"Dawson", 43},      {"Ball", 43},
    {"Burton", 42},      {"O'Brien", 42},     {"Watts", 41},       {"Rose", 41},
    {"Booth", 40},       {"Perry", 40},       {"Ryan", 39},        {"Grant", 39},
    {"Wells", 38},       {"Armstrong", 38},   {"Francis", 37},     {"Rees", 37},
    {"Hayes", 36},       {"Hart", 36},        {"Hudson", 35},      {"Newman", 35},
    {"Barrett", 34},     {"Webster", 34},     {"Hunter", 33},      {"Gregory", 33},
    {"Carr", 32},        {"Lowe", 32},        {"Page", 31},        {"Marsh", 31},
    {"Riley", 30},       {"Dunn", 30},        {"Woods", 30},       {"Parsons", 29},
    {"Berry", 29},       {"Stone", 29},       {"Reid", 28},        {"Holland", 28},
    {"Hawkins", 28},     {"Harding", 27},     {"Porter", 27},      {"Robertson", 27},
    {"Newton", 26},      {"Oliver", 26},      {"Reed", 26},        {"Kennedy", 25},
    {"Williamson", 25},  {"Bird", 25},        {"Gardner", 24},     {"Shah", 24},
    {"Dean", 24},        {"Lane", 23},        {"Cooke", 23},       {"Bates", 23},
    {"Henderson", 22},   {"Parry", 22},       {"Burgess", 22},     {"Bishop", 21},
    {"Walton", 21},      {"Burns", 21},       {"Nicholson", 20},   {"Shepherd", 20},
    {"Ross", 20},        {"Cross", 19},       {"Long", 19},        {"Freeman", 19},
    {"Warren", 18},      {"Nicholls", 18},    {"Hamilton", 18},    {"Byrne", 17},
    {"Sutton", 17},      {"McDonald", 17},    {"Yates", 16},       {"Hodgson", 16},
    {"Robson", 16},      {"Curtis", 15},      {"Hopkins", 15},     {"O'Connor", 15},
    {"Harper", 15},      {"Coleman", 14},     {"Watkins", 14},     {"Moss", 14},
    {"McCarthy", 13},    {"Chambers", 13},    {"O'Neill", 13},     {"Griffin", 13},
    {"Sharp", 12},       {"Hardy", 12},       {"Wheeler", 12},     {"Potter", 12},
    {"Osborne", 11},     {"Johnston", 11},    {"Gordon", 11},      {"Doyle", 11},
    {"Wallace", 10},     {"George", 10},      {"Jordan", 10},      {"Hutchinson", 10},
    {"Rahman", 10},      {"Sharma", 10},      {"Kumar", 10},       {"Chauhan", 8},
    {"Mistry", 8},       {"Chowdhury", 8},    {"Nowak", 9},        {"Kowalski", 8},
    {"Wiśniewska", 20},  {"Lewandowski", 6},  {"Müller", 40},      {"Schmidt", 6},
    {"Schäfer", 20},     {"Núñez", 25},       {"García", 40},      {"Fernández", 30},
    {"López", 30},       {"Martínez", 30},    {"Rossi", 6},        {"Ferrari", 4},
    {"Dubois", 5},       {"Lefèvre", 20},     {"Brontë", 10},      {"Nguyen", 8},
    {"Chen", 10},        {"Wang", 9},         {"Li", 8},           {"Zhang", 7},
    {"Tanaka", 3},       {"Kim", 6},          {"Okafor", 6},       {"Mensah", 5},
    {"Adeyemi", 5},      {"Smith-Jones", 4},  {"Lloyd-Davies", 3}, {"Fairbairn", 3},
    {"Abernethy", 3},    {"Quigley", 4},      {"Pilkington", 4},   {"Ramsbottom", 2},
    {"Higginbotham", 2}, {"Featherstone", 3}, {"Blenkinsop", 2},   {"Ackroyd", 3},
    {"Threlfall", 2},    {"Entwistle", 3},    {"Openshaw", 2},     {"Sidebottom", 2},
    {"Cartwright", 8},   {"Whitehead", 9},    {"Thornton", 9},     {"Lambert", 9},
    {"Bartlett", 8},     {"Chamberlain", 6},  {"Fitzgerald", 6},   {"Gallagher", 7},
    {"MacLeod", 5},      {"MacKenzie", 6},    {"Sinclair", 6},     {"Buchanan", 5},
    {"Drummond", 4},     {"Fraser", 8},       {"Cameron", 7},      {"Ferguson", 8},
    {"Llewellyn", 4},    {"Pritchard", 6},    {"Vaughan", 6},      {"Howells", 5},
    {"Probert", 3},      {"Bevan", 5},        {"Meredith", 4},     {"Gwynne", 2},
    {"Sheridan", 4},     {"Donnelly", 5},     {"Quinn", 6},        {"Brennan", 5},
    {"Whitfield", 4},    {"Ashworth", 4},     {"Heywood", 4},      {"Kershaw", 3},
};
const size_t au_gen_nsurnames = COUNT(au_gen_surnames);

/* Grouped by formal name so that a name's nicknames are contiguous. */
const au_gen_nick au_gen_nicks[] = {
    {"Robert", "Bob"},        {"Robert", "Rob"},      {"Robert", "Bobby"},
    {"William", "Bill"},      {"William", "Will"},    {"William", "Billy"},
    {"Elizabeth", "Liz"},     {"Elizabeth", "Beth"},  {"Elizabeth", "Lizzie"},
    {"Elizabeth", "Betty"},   {"Margaret", "Peggy"},  {"Margaret", "Maggie"},
    {"Margaret", "Meg"},      {"James", "Jim"},       {"James", "Jimmy"},
    {"John", "Jack"},         {"John", "Johnny"},     {"Richard", "Dick"},
    {"Richard", "Rick"},      {"Richard", "Richie"},  {"Edward", "Ed"},
    {"Edward", "Ted"},        {"Edward", "Eddie"},    {"Thomas", "Tom"},
    {"Thomas", "Tommy"},      {"Michael", "Mike"},    {"Michael", "Mick"},
    {"Christopher", "Chris"}, {"Christopher", "Kit"}, {"Nicholas", "Nick"},
    {"Anthony", "Tony"},      {"Andrew", "Andy"},     {"Andrew", "Drew"},
    {"Daniel", "Dan"},        {"Daniel", "Danny"},    {"David", "Dave"},
    {"Joseph", "Joe"},        {"Joseph", "Joey"},     {"Matthew", "Matt"},
    {"Stephen", "Steve"},     {"Steven", "Steve"},    {"Benjamin", "Ben"},
    {"Samuel", "Sam"},        {"Alexander", "Alex"},  {"Alexander", "Sandy"},
    {"Charles", "Charlie"},   {"Charles", "Chuck"},   {"Henry", "Harry"},
    {"Henry", "Hal"},         {"Patrick", "Pat"},     {"Peter", "Pete"},
    {"Timothy", "Tim"},       {"Jonathan", "Jon"},    {"Gregory", "Greg"},
    {"Frederick", "Fred"},    {"Lawrence", "Larry"},  {"Raymond", "Ray"},
    {"Ronald", "Ron"},        {"Donald", "Don"},      {"Kenneth", "Ken"},
    {"Gerald", "Gerry"},      {"Philip", "Phil"},     {"Leonard", "Len"},
    {"Douglas", "Doug"},      {"Nathaniel", "Nate"},  {"Joshua", "Josh"},
    {"Catherine", "Kate"},    {"Catherine", "Cathy"}, {"Katherine", "Kate"},
    {"Katherine", "Katie"},   {"Jennifer", "Jenny"},  {"Jennifer", "Jen"},
    {"Susan", "Sue"},         {"Susan", "Susie"},     {"Deborah", "Debbie"},
    {"Deborah", "Deb"},       {"Patricia", "Pat"},    {"Patricia", "Trish"},
    {"Rebecca", "Becky"},     {"Victoria", "Vicky"},  {"Alexandra", "Alex"},
    {"Samantha", "Sam"},      {"Christine", "Chris"}, {"Jacqueline", "Jackie"},
    {"Kimberly", "Kim"},      {"Abigail", "Abby"},    {"Penelope", "Penny"},
    {"Dorothy", "Dot"},       {"Eleanor", "Ellie"},   {"Eleanor", "Nell"},
    {"Charlotte", "Lottie"},  {"Josephine", "Jo"},    {"Joanne", "Jo"},
    {"Frances", "Fran"},      {"Theresa", "Tess"},    {"Judith", "Judy"},
    {"Barbara", "Babs"},      {"Pamela", "Pam"},      {"Sandra", "Sandy"},
    {"Amanda", "Mandy"},      {"Kathleen", "Kath"},   {"Valerie", "Val"},
    {"Gillian", "Gill"},      {"Jessica", "Jess"},    {"Natalie", "Nat"},
    {"Nicola", "Nicky"},      {"Alison", "Ali"},      {"Caroline", "Carrie"},
    {"Helen", "Nell"},        {"Anne", "Annie"},      {"Mary", "Molly"},
    {"Sarah", "Sally"},       {"Mohammed", "Mo"},     {"Arthur", "Art"},
};
const size_t au_gen_nnicks = COUNT(au_gen_nicks);

const char *const au_gen_streets[] = {
    "High",     "Station",   "Church",      "Park",      "Victoria",   "Green",     "Manor",
    "Kings",    "Queens",    "New",         "Mill",      "School",     "Alexandra", "York",
    "Albert",   "George",    "Windsor",     "Grange",    "Chapel",     "North",     "South",
    "West",     "East",      "Springfield", "Highfield", "Beech",      "Oak",       "Ash",
    "Elm",      "Willow",    "Cedar",       "Orchard",   "Meadow",     "Brook",     "Riverside",
    "Hillside", "Woodland",  "Cromwell",    "Nelson",    "Wellington", "Stanley",   "Clarence",
    "Balmoral", "Glebe",     "Cemetery",    "Market",    "Bridge",     "Castle",    "Priory",
    "Abbey",    "Rectory",   "Vicarage",    "Lime",      "Hawthorn",   "Rowan",     "Heather",
    "Laburnum", "Chestnut",  "Sycamore",    "Poplar",    "Holly",      "Ivy",       "Fern",
    "Moorland", "Fairfield", "Broad",       "Long",      "Back",       "Front",     "Cross",
    "Tower",    "Canal",
};
const size_t au_gen_nstreets = COUNT(au_gen_streets);

const char *const au_gen_street_types[] = {
    "Road",     "Street", "Lane",    "Avenue", "Close", "Drive", "Gardens",
    "Crescent", "Way",    "Terrace", "Grove",  "Place", "Court", "Row",
};
const size_t au_gen_nstreet_types = COUNT(au_gen_street_types);

/* Drama exchanges: Ofcom keeps these 1,000-number blocks unallocated for fiction. */
const au_gen_town au_gen_towns[] = {
    {"London", "SW", 20, "20", "79460", 900},
    {"London", "N", 22, "20", "79460", 500},
    {"London", "E", 18, "20", "79460", 500},
    {"Birmingham", "B", 40, "121", "4960", 400},
    {"Manchester", "M", 40, "161", "4960", 350},
    {"Leeds", "LS", 28, "113", "4960", 300},
    {"Sheffield", "S", 36, "114", "4960", 250},
    {"Glasgow", "G", 40, "141", "4960", 250},
    {"Liverpool", "L", 38, "151", "4960", 220},
    {"Bristol", "BS", 40, "117", "4960", 200},
    {"Edinburgh", "EH", 30, "131", "4960", 200},
    {"Nottingham", "NG", 25, "115", "4960", 150},
    {"Leicester", "LE", 19, "116", "4960", 150},
    {"Newcastle upon Tyne", "NE", 30, "191", "4980", 150},
    {"Cardiff", "CF", 24, "29", "20180", 150},
    {"Belfast", "BT", 40, "28", "90180", 150},
    {"Reading", "RG", 30, "118", "4960", 100},
    {"Coventry", "CV", 12, "24", NULL, 120},
    {"Bradford", "BD", 24, "1274", NULL, 110},
    {"Stoke-on-Trent", "ST", 21, "1782", NULL, 90},
    {"Wolverhampton", "WV", 16, "1902", NULL, 90},
    {"Plymouth", "PL", 35, "1752", NULL, 90},
    {"Southampton", "SO", 53, "23", NULL, 90},
    {"Portsmouth", "PO", 41, "23", NULL, 80},
    {"Derby", "DE", 75, "1332", NULL, 80},
    {"Hull", "HU", 20, "1482", NULL, 80},
    {"Aberdeen", "AB", 56, "1224", NULL, 70},
    {"Dundee", "DD", 11, "1382", NULL, 50},
    {"Swansea", "SA", 73, "1792", NULL, 60},
    {"York", "YO", 62, "1904", NULL, 60},
    {"Norwich", "NR", 35, "1603", NULL, 60},
    {"Exeter", "EX", 39, "1392", NULL, 50},
    {"Oxford", "OX", 49, "1865", NULL, 50},
    {"Cambridge", "CB", 25, "1223", NULL, 50},
    {"Brighton", "BN", 45, "1273", NULL, 70},
    {"Bath", "BA", 16, "1225", NULL, 30},
    {"Chester", "CH", 66, "1244", NULL, 30},
    {"Lancaster", "LA", 23, "1524", NULL, 25},
    {"Carlisle", "CA", 28, "1228", NULL, 20},
    {"Inverness", "IV", 63, "1463", NULL, 15},
    {"Truro", "TR", 27, "1872", NULL, 15},
    {"Harrogate", "HG", 5, "1423", NULL, 20},
    {"Ipswich", "IP", 33, "1473", NULL, 35},
    {"Luton", "LU", 7, "1582", NULL, 40},
    {"Milton Keynes", "MK", 46, "1908", NULL, 45},
    {"Swindon", "SN", 26, "1793", NULL, 40},
    {"Preston", "PR", 26, "1772", NULL, 40},
    {"Bolton", "BL", 9, "1204", NULL, 40},
    {"Wigan", "WN", 8, "1942", NULL, 30},
    {"Huddersfield", "HD", 9, "1484", NULL, 35},
};
const size_t au_gen_ntowns = COUNT(au_gen_towns);

const au_gen_wname au_gen_mail_domains[] = {
    {"gmail.com", 360},     {"hotmail.co.uk", 160},  {"outlook.com", 110}, {"yahoo.co.uk", 90},
    {"btinternet.com", 60}, {"icloud.com", 60},      {"hotmail.com", 50},  {"live.co.uk", 30},
    {"sky.com", 25},        {"virginmedia.com", 25}, {"talktalk.net", 15}, {"aol.com", 10},
    {"googlemail.com", 15}, {"protonmail.com", 8},   {"me.com", 8},
};
const size_t au_gen_nmail_domains = COUNT(au_gen_mail_domains);

const char *const au_gen_work_domains[] = {
    "harbourfreight-logistics.co.uk", "pennine-dental.co.uk",          "thamesvalleyhomes.co.uk",
    "greyfriars-accounting.co.uk",    "moorside-engineering.co.uk",    "kestrel-insurance.co.uk",
    "oakbridge-school.org.uk",        "riverbank-surgery.nhs.example", "bluebell-printing.co.uk",
    "northgate-council.gov.example",
};
const size_t au_gen_nwork_domains = COUNT(au_gen_work_domains);

const char *const au_gen_ticket_subjects[] = {
    "Where is my order?",
    "Item arrived damaged",
    "Wrong size delivered",
    "Refund not received",
    "Change of address",
    "Cannot log in to my account",
    "Loyalty points missing",
    "Request a copy of my invoice",
    "Please stop marketing e-mails",
    "Question about returns policy",
    "Payment taken twice",
};
const size_t au_gen_nticket_subjects = COUNT(au_gen_ticket_subjects);

const char *const au_gen_products[] = {
    "Waterproof walking jacket",
    "Trail running shoes",
    "Merino base layer",
    "Down sleeping bag",
    "Two-person tent",
    "Hiking socks (3 pack)",
    "Insulated flask",
    "Fleece gilet",
    "Rucksack 35L",
    "Head torch",
    "Gaiters",
    "Walking poles",
};
const size_t au_gen_nproducts = COUNT(au_gen_products);

static int cdf_alloc(au_gen_cdf *c, size_t n)
{
    c->cum = au_malloc(n * sizeof(uint64_t));
    c->n = n;
    return c->cum ? 0 : -1;
}

int au_gen_cdf_init(au_gen_cdf *c, const au_gen_wname *names, size_t n)
{
    if (cdf_alloc(c, n))
        return -1;
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        c->cum[i] = (sum += names[i].weight);
    return 0;
}

int au_gen_cdf_init_towns(au_gen_cdf *c)
{
    if (cdf_alloc(c, au_gen_ntowns))
        return -1;
    uint64_t sum = 0;
    for (size_t i = 0; i < au_gen_ntowns; i++)
        c->cum[i] = (sum += au_gen_towns[i].weight);
    return 0;
}

void au_gen_cdf_cleanup(au_gen_cdf *c)
{
    au_free(c->cum);
    c->cum = NULL;
    c->n = 0;
}

size_t au_gen_cdf_pick(const au_gen_cdf *c, au_gen_rng *r)
{
    uint64_t x = au_gen_next(r) % c->cum[c->n - 1];
    size_t lo = 0, hi = c->n - 1;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c->cum[mid] > x)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}
