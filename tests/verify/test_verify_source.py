"""source.py: prototypes and function source from pycparser on the real preprocessed source."""

from __future__ import annotations

import pytest

from gcc_wrapper.optimize import source

SRC = """\
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <math.h>
typedef struct { int x; double y; } pt;
typedef unsigned int u32;
enum color { RED, GREEN };
static int counter;
int table[16];
static inline int helper(int a) { return a * 3; }
long sum(const int *restrict a, size_t n) { long s = 0; for (size_t i = 0; i < n; i++) s += helper(a[i]) + table[i & 15]; counter++; return s; }
u32 mixed(u32 x, char c, _Bool b, float f, double d, uint8_t *p, void (*cb)(int), pt *q, int v[], enum color k, ...) { return x; }
void none(void) {}
double norm(const pt *p) { return sqrt(p->x * p->x + p->y * p->y); }
"""


@pytest.fixture
def c_file(tmp_path):
    p = tmp_path / "s.c"
    p.write_text(SRC)
    return p


def test_prototype_scalars_and_pointers(c_file):
    p = source.prototype(str(c_file), "sum", ["-O3"])
    assert p.ret.kind == "int" and p.ret.size == 8 and p.ret.signed
    a, n = p.params
    assert (a.name, a.type.kind, a.type.restrict) == ("a", "pointer", True)
    assert a.type.pointee.kind == "int" and a.type.pointee.size == 4 and a.type.pointee.const
    assert (n.name, n.type.kind, n.type.size, n.type.signed) == ("n", "int", 8, False)  # size_t through typedefs
    assert p.restrict == (True, False)
    assert not p.variadic and not p.static


def test_prototype_every_kind(c_file):
    p = source.prototype(str(c_file), "mixed", ["-O3"])
    kinds = {q.name: (q.type.kind, q.type.size, q.type.signed) for q in p.params}
    assert kinds["x"] == ("int", 4, False)
    assert kinds["c"] == ("int", 1, True)
    assert kinds["b"][:2] == ("bool", 1)
    assert kinds["f"][:2] == ("float", 4) and kinds["d"][:2] == ("double", 8)
    assert kinds["p"][0] == "pointer" and kinds["cb"][0] == "funcptr" and kinds["v"][0] == "pointer"
    assert kinds["k"][:2] == ("int", 4)
    q = next(x for x in p.params if x.name == "q")
    assert q.type.pointee.kind == "struct"
    assert p.variadic
    assert source.prototype(str(c_file), "none").params == ()


def test_function_source_brings_what_it_uses(c_file):
    text = source.function_source(str(c_file), "sum", ["-O3"])
    assert "static int counter;" in text and "int table[16];" in text
    assert "helper(int a)" in text and "long sum(" in text
    assert "mixed" not in text and "printf" not in text  # neither unrelated code nor headers
    norm = source.function_source(str(c_file), "norm", ["-O3"])
    assert "typedef struct" in norm and "double y;" in norm


def test_errors(c_file, tmp_path):
    with pytest.raises(source.SourceError, match="no function named"):
        source.prototype(str(c_file), "nope")
    with pytest.raises(source.SourceError):
        source.prototype(str(tmp_path / "missing.c"), "f")
    bad = tmp_path / "bad.c"
    bad.write_text("int f(int x) { return x +; }\n")
    with pytest.raises(source.SourceError):
        source.prototype(str(bad), "f")


def test_flags_reach_the_preprocessor(tmp_path):
    p = tmp_path / "d.c"
    p.write_text("#ifdef WIDE\nlong f(long x) { return x; }\n#else\nshort f(short x) { return x; }\n#endif\n")
    assert source.prototype(str(p), "f", ["-DWIDE", "-O3", "-c", "-o", "x.o", "-MD", "-MF", "x.d"]).ret.size == 8
    assert source.prototype(str(p), "f", []).ret.size == 2


def test_struct_layout_comes_from_gcc(tmp_path):
    p = tmp_path / "st.c"
    p.write_text(
        "typedef struct { int x; double y; } pt;\n"
        "struct seg { pt a, b; unsigned char tag[3]; _Bool on; float w[4]; };\n"
        "struct bad { int *p; };\n"
        "struct __attribute__((packed)) pk { char c; int i; };\n"
        "union u { int i; float f; };\n"
        "double f(const pt *p, struct seg *s, struct bad *b, struct pk *k, union u *v) { return p->x; }\n"
    )
    q = {x.name: x.type.pointee for x in source.prototype(str(p), "f").params}
    assert q["p"].layout.size == 16 and [(f.path, f.offset) for f in q["p"].layout.fields] == [("x", 0), ("y", 8)]
    seg = q["s"].layout
    assert seg.size == 56 and seg.align == 8
    assert [(f.path, f.offset, f.count) for f in seg.fields] == [
        ("a.x", 0, 1),
        ("a.y", 8, 1),
        ("b.x", 16, 1),
        ("b.y", 24, 1),
        ("tag", 32, 3),
        ("on", 35, 1),
        ("w", 36, 4),
    ]
    assert q["k"].layout.size == 5 and q["k"].layout.fields[1].offset == 1  # packed: gcc's layout, not a model of it
    assert q["b"].layout is None and "pointer" in q["b"].note
    assert q["v"].layout is None and "union" in q["v"].note


def test_array_parameter_length(tmp_path):
    p = tmp_path / "a.c"
    p.write_text("void mat4(double out[16], const double a[0x10], const double *b, int v[]) {}\n")
    counts = {q.name: q.type.count for q in source.prototype(str(p), "mat4").params}
    assert counts == {"out": 16, "a": 16, "b": 0, "v": 0}


def test_function_pointer_types(tmp_path):
    p = tmp_path / "fp.c"
    p.write_text(
        "typedef int cmp_t(const void *, const void *);\n"
        "typedef long (*map_p)(int, double);\n"
        "void f(int (*a)(const void *, const void *), cmp_t *b, cmp_t c, map_p d, int e(short x, ...),\n"
        "       void (*g)(void), int (**h)(int), float *(*k)(char)) {}\n"
    )
    q = {x.name: x.type for x in source.prototype(str(p), "f").params}
    for name in "abc":  # written out, through a typedef of the function type, decayed from one
        t = q[name]
        assert t.kind == "funcptr" and t.func.ret.kind == "int" and not t.func.variadic
        assert [(x.kind, x.pointee.kind, x.pointee.const) for x in t.func.params] == [("pointer", "void", True)] * 2
    d = q["d"].func  # a typedef of the pointer type
    assert (d.ret.kind, d.ret.size) == ("int", 8) and [(x.kind, x.size) for x in d.params] == [
        ("int", 4),
        ("double", 8),
    ]
    assert q["e"].func.variadic and [(x.kind, x.size, x.signed) for x in q["e"].func.params] == [("int", 2, True)]
    assert q["g"].func.ret.kind == "void" and q["g"].func.params == ()
    assert q["h"].kind == "pointer" and q["h"].pointee.kind == "other"  # a pointer to a function pointer
    assert q["k"].func.ret.kind == "pointer"
