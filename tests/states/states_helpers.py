"""A small real program for the recorded-states tests, and helpers to build, record and verify.

The program keeps a hash table of nodes (structs with pointer members) on its stack, looks keys
up in it (`lookup`: reads the nodes, writes the table's hit counter in its caller's frame and a
global), folds an array through a callback chosen at run time (`fold`), and logs with write()
(`logit`, a call that makes a system call: never recorded). Its output is its checksum."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from gcc_wrapper.compile import asm
from gcc_wrapper.optimize.candidate import Context

PROGRAM = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct node { int key; struct node *next; double w; };
struct table { struct node **buckets; int n; long hits; };
long lookups;

__attribute__((noinline)) long lookup(struct table *t, int key)
{
    struct node *p = t->buckets[(unsigned)key % t->n];
    lookups++;
    for (; p; p = p->next)
        if (p->key == key) { t->hits++; return (long)(p->w * 2); }
    return -1;
}

static int sq(int x) { return x * x; }
static int tri(int x) { return x * (x + 1) / 2; }
__attribute__((noinline)) int fold(int (*f)(int), const int *a, int n)
{
    int s = 0;
    for (int i = 0; i < n; i++) s += f(a[i]) ^ i;
    return s;
}

__attribute__((noinline)) void logit(int r)
{
    char buf[32];
    int k = snprintf(buf, sizeof buf, "r=%d\n", r);
    if (write(2, buf, k) < 0) exit(3);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 2000, rounds = argc > 2 ? atoi(argv[2]) : 300000;
    struct table t = { calloc(97, sizeof(struct node *)), 97, 0 };
    for (int i = 0; i < n; i++) {
        struct node *e = malloc(sizeof *e);
        e->key = i * 7; e->w = i * 0.5; e->next = t.buckets[(unsigned)e->key % 97];
        t.buckets[(unsigned)e->key % 97] = e;
    }
    int arr[256];
    for (int i = 0; i < 256; i++) arr[i] = i * 3 - 100;
    int (*fs[2])(int) = { sq, tri };
    long s = 0;
    for (int r = 0; r < rounds; r++) {
        s += lookup(&t, (r * 13) % (n * 7 + 5));
        if (r % 500 == 0) s += fold(fs[(r / 500) & 1], arr, 64 + r % 192);
        if (r % 100000 == 0) logit(r);
    }
    printf("%ld %ld %ld\n", s, t.hits, lookups);
    return 0;
}
"""


def build(d: Path, flags: tuple[str, ...] = ("-O3",)) -> Path:
    (d / "prog.c").write_text(PROGRAM)
    subprocess.run(["gcc", *flags, "-o", "prog", "prog.c"], cwd=d, check=True)
    return d / "prog"


def unit(d: Path, flags: tuple[str, ...] = ("-O3",), src: str = "prog.c") -> str:
    return subprocess.run(
        ["gcc", *flags, "-S", "-o", "-", src], cwd=d, capture_output=True, text=True, check=True
    ).stdout


def context(d: Path, name: str, rec=None, src: str = "prog.c", prototype: str = "") -> Context:
    u = unit(d, src=src)
    return Context(
        name,
        str(d / src),
        ("-O3",),
        asm.parse(u).functions[name].text(),
        u,
        cwd=str(d),
        prototype=prototype,
        states=str(rec.dir) if rec is not None else "",
    )


def variant(d: Path, name: str, flags: tuple[str, ...], src: str = "prog.c") -> str:
    """gcc's own code for `name` under other flags: a correct rewrite."""
    return asm.parse(unit(d, flags, src)).functions[name].text()


def assembled(text: str, work: Path) -> Path:
    """The candidate assembled (the replay's input; the static checks are verify()'s business)."""
    from gcc_wrapper.optimize.verify import static

    assert static.assemble(text, work / "cand.o", None) is None
    return work / "cand.o"


def replayed(ctx: Context, text: str, rec):
    from gcc_wrapper.optimize.states import replay

    with tempfile.TemporaryDirectory() as w:
        return replay.check(ctx, assembled(text, Path(w)), rec)
