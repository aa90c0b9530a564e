/*
 * The built-in nickname table. Each line is one group of interchangeable given names; the first
 * is the formal form. Written for Aurum from common English-language usage; extend it by adding
 * lines (a group needs at least two names).
 */
#include "resolve/nickname.h"

#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"

static const char *const groups[] = {
    "abigail abby abbie gail",
    "abraham abe bram",
    "adam ad",
    "adrian adie",
    "agnes aggie nessa",
    "alan al allan allen alun",
    "albert al bert bertie",
    "alexander alex al alec sandy sasha xander lex",
    "alexandra alex alexa sandra sandy sasha lexi",
    "alfred al alf alfie fred",
    "alice ally allie alicia",
    "alison ali",
    "amanda mandy manda",
    "andrew andy drew andie",
    "angela angie",
    "anne ann annie anna nan nancy hannah",
    "anthony tony ant",
    "antonia toni",
    "arnold arnie",
    "arthur art artie",
    "barbara barb barbie babs",
    "barnaby barney",
    "beatrice bea trixie",
    "benjamin ben benny benji",
    "bernard bernie barney",
    "bradley brad",
    "brian bri bryan",
    "bridget biddy bridie",
    "caroline carol carrie caz",
    "catherine kate katie kathy cathy cat kathryn katherine kathleen kitty katy kath",
    "charles charlie chuck chas chaz carl",
    "charlotte lottie charlie lotte",
    "christine chris chrissy tina kristine christina",
    "christopher chris kit topher",
    "clarence clare",
    "clifford cliff",
    "cornelius neil connie",
    "cynthia cindy",
    "daniel dan danny",
    "david dave davey davy",
    "deborah debbie deb debra",
    "dennis denny",
    "derek del",
    "dominic dom",
    "donald don donnie",
    "dorothy dot dottie dolly",
    "douglas doug",
    "edmund ed eddie ned",
    "edward ed eddie ted teddy ned",
    "edwin ed eddie",
    "eleanor ellie nell nora elle",
    "elizabeth liz lizzie beth betty bess bessie eliza libby lisa elisabeth",
    "emily em emmy millie",
    "emma em emmy",
    "eugene gene",
    "frances fran frankie fanny",
    "francis frank frankie fran",
    "franklin frank",
    "frederick fred freddie freddy fritz",
    "gabriel gabe gab",
    "gabrielle gabby gabi",
    "geoffrey geoff jeff jeffrey",
    "gerald gerry jerry",
    "gilbert gil bert",
    "gillian gill jill",
    "gregory greg",
    "gwendolyn gwen wendy",
    "harold hal harry",
    "harriet hattie",
    "helen nell ellen lena",
    "henry harry hank hal",
    "herbert herb bert",
    "howard howie",
    "isaac ike zac",
    "isabel isabella izzy bella belle isobel",
    "jacob jake jack",
    "jacqueline jackie jacqui",
    "james jim jimmy jamie jem",
    "jane janey jenny",
    "janet jan",
    "jennifer jen jenny jenni",
    "jessica jess jessie",
    "joanna jo joanne joan",
    "john jack johnny jon jonny",
    "jonathan jon jonny nathan",
    "joseph joe joey jo",
    "josephine jo josie",
    "joshua josh",
    "judith judy jude",
    "julia jules julie",
    "katrina kat trina",
    "kenneth ken kenny",
    "kimberly kim",
    "lawrence larry laurie lawrie laurence",
    "leonard len lenny leo",
    "leslie les",
    "lewis lew lou louis",
    "louise lou lulu louisa",
    "lucas luke",
    "luke lucas",
    "madeline maddie maddy madeleine",
    "margaret maggie meg peggy marge margie greta daisy rita madge",
    "martin marty",
    "mary molly polly mae mamie maria",
    "matilda tilly matty",
    "matthew matt matty",
    "melissa mel missy lissa",
    "michael mike mick mickey mikey",
    "michelle shelly",
    "mitchell mitch",
    "mohammed muhammad mohamed mo",
    "natalie nat",
    "nathaniel nat nate nathan",
    "nicholas nick nicky nico",
    "nicola nicky nikki",
    "oliver ollie",
    "olivia liv livvy ollie",
    "oswald ozzy oz",
    "pamela pam",
    "patricia pat patty trish tricia",
    "patrick pat paddy",
    "penelope penny",
    "peter pete",
    "philip phil pip phillip",
    "rachel rae",
    "raymond ray",
    "rebecca becky becca",
    "reginald reg reggie",
    "richard rick ricky dick rich richie",
    "robert bob bobby rob robbie bert",
    "roberta bobbie",
    "rodney rod",
    "ronald ron ronnie",
    "rosemary rose rosie",
    "samantha sam sammy",
    "samuel sam sammy",
    "sarah sally sadie sara",
    "sebastian seb",
    "stephen steve stevie steven",
    "stuart stu stewart",
    "susan sue susie suzy",
    "suzanne sue suzy",
    "terence terry",
    "theodore theo ted teddy",
    "theresa teresa tess tessa terri",
    "thomas tom tommy",
    "timothy tim timmy",
    "tobias toby",
    "valerie val",
    "victoria vicky tori",
    "vincent vince vinny",
    "walter walt wally",
    "william will bill billy liam willy",
    "winifred winnie freda",
    "zachary zach zack",
};

typedef struct entry {
    const char *name; /* points into a copy of its group line */
    uint16_t group;   /* 1-based line number */
} entry;

struct au_nick {
    entry *e;    /* sorted by name, then group */
    size_t n;    /* entries */
    char **copy; /* one writable copy per line, split on spaces */
    int ngroups;
    long npairs;
};

static int entry_cmp(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (int)x->group - (int)y->group;
}

au_rc au_nick_new(au_nick **out)
{
    au_rc rc = AU_ERR_NOMEM;
    size_t ng = sizeof groups / sizeof groups[0];
    au_nick *t = au_calloc(1, sizeof *t);
    if (!t)
        goto out;
    t->ngroups = (int)ng;
    t->copy = au_calloc(ng, sizeof(char *));
    size_t cap = 0;
    for (size_t g = 0; g < ng; g++)
        cap += strlen(groups[g]) / 2 + 1;
    t->e = au_calloc(cap, sizeof(entry));
    if (!t->copy || !t->e)
        goto out;
    for (size_t g = 0; g < ng; g++) {
        if (!(t->copy[g] = au_strdup(groups[g])))
            goto out;
        char *save = NULL;
        long k = 0;
        for (char *w = strtok_r(t->copy[g], " ", &save); w; w = strtok_r(NULL, " ", &save)) {
            t->e[t->n].name = w;
            t->e[t->n++].group = (uint16_t)(g + 1);
            k++;
        }
        t->npairs += k * (k - 1) / 2;
    }
    qsort(t->e, t->n, sizeof(entry), entry_cmp);
    rc = AU_OK;
out:
    if (rc) {
        au_nick_free(t);
        t = NULL;
    }
    *out = t;
    return rc;
}

void au_nick_free(au_nick *t)
{
    if (!t)
        return;
    if (t->copy)
        for (int g = 0; g < t->ngroups; g++)
            au_free(t->copy[g]);
    au_free(t->copy);
    au_free(t->e);
    au_free(t);
}

int au_nick_groups(const au_nick *t, const char *name, uint16_t *out, int max)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(t->e[mid].name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    int k = 0;
    for (; lo < t->n && k < max && strcmp(t->e[lo].name, name) == 0; lo++)
        out[k++] = t->e[lo].group;
    return k;
}

int au_nick_same(const au_nick *t, const char *a, const char *b)
{
    uint16_t ga[AU_NICK_MAX_GROUPS], gb[AU_NICK_MAX_GROUPS];
    if (strcmp(a, b) == 0)
        return 0;
    int na = au_nick_groups(t, a, ga, AU_NICK_MAX_GROUPS);
    int nb = au_nick_groups(t, b, gb, AU_NICK_MAX_GROUPS);
    for (int i = 0; i < na; i++)
        for (int j = 0; j < nb; j++)
            if (ga[i] == gb[j])
                return 1;
    return 0;
}

int au_nick_group_count(const au_nick *t)
{
    return t->ngroups;
}

long au_nick_pair_count(const au_nick *t)
{
    return t->npairs;
}
