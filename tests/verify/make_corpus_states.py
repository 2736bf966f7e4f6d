"""Corpus cases decided on recorded states (the check `states`): functions whose arguments are
structs with pointer members or callbacks, which generated inputs do not model, so only the calls
a real workload makes can test them. Each case has a main.c: the program whose run records the
function's calls (test_verify_corpus.py builds src.c and main.c together, records, verifies).

make_corpus.py imports this and writes these cases with their main.c and, in case.json,
"workload": the program's arguments."""

TABLE = """struct node { int key; struct node *next; double w; };
struct table { struct node **buckets; int n; long hits; };
extern long lookups;
"""
LOOKUP = (
    TABLE
    + """long lookups;
long lookup(struct table *t, int key)
{
    struct node *p = t->buckets[(unsigned)key % t->n];
    lookups++;
    for (; p; p = p->next)
        if (p->key == key) { t->hits++; return (long)(p->w * 2); }
    return -1;
}
"""
)
LOOKUP_MAIN = (
    "#include <stdio.h>\n#include <stdlib.h>\n"
    + TABLE
    + """long lookup(struct table *t, int key);
int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 2000, rounds = argc > 2 ? atoi(argv[2]) : 2000000;
    struct table t = { calloc(97, sizeof(struct node *)), 97, 0 };
    for (int i = 0; i < n; i++) {
        struct node *e = malloc(sizeof *e);
        e->key = i * 7; e->w = i * 0.5; e->next = t.buckets[(unsigned)e->key % 97];
        t.buckets[(unsigned)e->key % 97] = e;
    }
    long s = 0;
    for (int r = 0; r < rounds; r++) s += lookup(&t, (r * 13) % (n * 7 + 5));
    printf("%ld %ld %ld\\n", s, t.hits, lookups);
    return 0;
}
"""
)
FOLD = """int fold(int (*f)(int), const int *a, int n)
{
    int s = 0;
    for (int i = 0; i < n; i++) s += f(a[i]) ^ i;
    return s;
}
"""
FOLD_MAIN = """#include <stdio.h>
#include <stdlib.h>
int fold(int (*f)(int), const int *a, int n);
static int sq(int x) { return x * x; }
static int tri(int x) { return x * (x + 1) / 2; }
int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 200000;
    int arr[256];
    for (int i = 0; i < 256; i++) arr[i] = i * 3 - 100;
    int (*fs[2])(int) = { sq, tri };
    long s = 0;
    for (int r = 0; r < rounds; r++) s += fold(fs[r & 1], arr, 64 + r % 192);
    printf("%ld\\n", s);
    return 0;
}
"""


def _edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def add(case_states, gcc_text) -> None:
    """case_states(name, src, main, args, fn, cand, verdict, check, note)"""
    base = gcc_text(LOOKUP, "lookup")
    args = ["60", "20000000"]  # 60 keys in 97 buckets: hits, misses and empty buckets all happen
    case_states(
        "states_lookup_counts_twice",
        LOOKUP,
        LOOKUP_MAIN,
        args,
        "lookup",
        _edit(base, "addq\t$1, 16(%rdi)", "addq\t$2, 16(%rdi)"),
        "reject",
        "states",
        "counts a hit twice in the caller's table (struct with pointer members: no generated inputs)",
    )
    case_states(
        "states_lookup_writes_a_node_back",
        LOOKUP,
        LOOKUP_MAIN,
        args,
        "lookup",
        _edit(base, "\tcmpl\t%esi, (%rdx)\n", "\taddl\t$1, (%rdx)\n\tsubl\t$1, (%rdx)\n\tcmpl\t%esi, (%rdx)\n"),
        "reject",
        "states",
        "writes each node's key and restores it: memory the call only reads",
    )
    case_states(
        "states_lookup_reads_ahead",
        LOOKUP,
        LOOKUP_MAIN,
        args,
        "lookup",
        _edit(base, "\tcmpl\t%esi, (%rdx)\n", "\tmovq\t8(%rdx), %r8\n\tmovl\t(%r8), %r9d\n\tcmpl\t%esi, (%rdx)\n"),
        "reject",
        "states",
        "loads the next node's key before checking there is one: NULL at the end of a chain",
    )
    case_states(
        "states_lookup_missing_key",
        LOOKUP,
        LOOKUP_MAIN,
        args,
        "lookup",
        _edit(base, "movq\t$-1, %rax", "movq\t$-2, %rax"),
        "reject",
        "states",
        "answers -2 for a key that is not there: only the workload's misses show it",
    )
    case_states(
        "states_lookup_forgets_the_global",
        LOOKUP,
        LOOKUP_MAIN,
        args,
        "lookup",
        _edit(base, "\taddq\t$1, lookups(%rip)\n", ""),
        "reject",
        "states",
        "does not count the lookup in the global",
    )
    case_states(
        "states_lookup_o2",
        LOOKUP,
        LOOKUP_MAIN,
        args,
        "lookup",
        gcc_text(LOOKUP, "lookup", ("-O2",)),
        "accept",
        "coverage",
        "gcc -O2, verified on the workload's calls alone (every block ran on them)",
    )
    case_states(
        "states_lookup_o1",
        LOOKUP,
        LOOKUP_MAIN,
        args,
        "lookup",
        gcc_text(LOOKUP, "lookup", ("-O1",)),
        "accept",
        "coverage",
        "gcc -O1",
    )
    case_states(
        "states_fold_o1",
        FOLD,
        FOLD_MAIN,
        ["200000"],
        "fold",
        gcc_text(FOLD, "fold", ("-O1",)),
        "accept",
        "coverage",
        "gcc -O1 of a function calling its callback argument",
    )
