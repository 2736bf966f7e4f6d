"""One model of a C signature: a declaration read on its own (source.parse_declaration, what the
timing harness has in Context.prototype) is the same source.Prototype as the function read from
its file (source.prototype), and the harness's view (measure.signature) is derived from it."""

from __future__ import annotations

import pytest

from gcc_wrapper.optimize import dwarf, measure, source

SRC = r"""
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

static inline uint64_t mix(const uint64_t *restrict k, size_t n, double w)
{
    uint64_t h = 0;
    for (size_t i = 0; i < n; i++) h = h * 31 + k[i] * (uint64_t)w;
    return h;
}

char *scan(const char *s, unsigned long int n, int8_t c, bool stop)
{
    for (unsigned long i = 0; i < n; i++) if (s[i] == c || (stop && !s[i])) return (char *)s + i;
    return NULL;
}

float shade(float *restrict px, const unsigned char *mask, ptrdiff_t d, ssize_t s, short int h, long long ll)
{
    float t = 0;
    for (ptrdiff_t i = 0; i < d; i++) t += px[i] * mask[i] + (float)(s ^ h ^ ll);
    return t;
}

void touch(void *p, int16_t v)
{
    *(int16_t *)p = v;
}

void nothing(void)
{
}

struct point { int x, y; };
int walk(const struct point *p, int n, int (*step)(int))
{
    int s = 0;
    for (int i = 0; i < n; i++) s += step(p[i].x - p[i].y);
    return s;
}

int sum(int n, ...)
{
    return n;
}
"""

DRIVEN = ("mix", "scan", "shade", "touch", "nothing")


@pytest.fixture(scope="module")
def c_file(tmp_path_factory):
    d = tmp_path_factory.mktemp("signature")
    (d / "f.c").write_text(SRC)
    return d / "f.c"


@pytest.mark.parametrize("name", [*DRIVEN, "sum"])
def test_a_declaration_reads_as_its_definition_does(c_file, name):
    from_file = source.prototype(str(c_file), name)
    assert source.parse_declaration(from_file.text, name) == from_file
    assert source.parse_declaration(from_file.text + ";", name) == from_file


def test_the_harness_view_is_the_same_from_the_file_and_from_the_declaration(c_file):
    for name in DRIVEN:
        p = source.prototype(str(c_file), name)
        assert measure.signature(p) == measure.parse_prototype(p.text, name), name
    sig = measure.parse_prototype(source.prototype(str(c_file), "shade").text, "shade")
    assert sig.ret == "float" and sig.ret_kind == "float"
    assert [(p.name, p.kind, p.scalar, p.size, p.signed, p.const) for p in sig.params] == [
        ("px", "ptr", "float", 4, False, False),
        ("mask", "ptr", "int", 1, False, True),
        ("d", "int", "int", 8, True, False),
        ("s", "int", "int", 8, True, False),
        ("h", "int", "int", 2, True, False),
        ("ll", "int", "int", 8, True, False),
    ]
    touch = measure.parse_prototype("void touch(void *p, int16_t v)", "touch")
    assert touch.params[0] == measure.Param("unsigned char", "ptr", "int", 1, False, False, "p")
    scan = measure.parse_prototype(source.prototype(str(c_file), "scan").text, "scan")
    assert scan.ret_kind == "ptr" and scan.params[3].ctype == "_Bool" and scan.params[3].scalar == "bool"


def test_gcc_debugging_information_gives_the_same_harness_view(c_file):
    """The prototype reader's fallback (DWARF, for GNU C pycparser cannot read) spells types as gcc
    names them ("long unsigned int"): its text drives the harness all the same."""
    for name in DRIVEN:
        from_dwarf = measure.parse_prototype(dwarf.prototype(str(c_file), name).text, name)
        from_source = measure.signature(source.prototype(str(c_file), name))
        assert [(p.kind, p.scalar, p.size, p.signed, p.const) for p in from_dwarf.params] == [
            (p.kind, p.scalar, p.size, p.signed, p.const) for p in from_source.params
        ], name
        assert from_dwarf.ret_kind == from_source.ret_kind


def test_what_the_harness_cannot_drive_is_refused_from_the_file_as_from_the_text(c_file):
    for name, why in (("walk", "pointer to 'struct point'"), ("sum", "variadic")):
        p = source.prototype(str(c_file), name)
        with pytest.raises(measure.MeasureError, match=why):
            measure.signature(p)
        with pytest.raises(measure.MeasureError, match=why):
            measure.parse_prototype(p.text, name)


@pytest.mark.parametrize(
    "proto, why",
    [
        ("u32 f(const u8 *p, u32 n)", "unknown type name 'u32'"),  # a type of the user's headers
        ("int f(enum color c)", "parameter type not supported"),
        ("int f(long double x)", "parameter type not supported"),
        ("__int128 f(int x)", "return type not supported"),
        ("struct s f(int x)", "return type not supported"),
        ("int f(struct s v)", "parameter type not supported"),
        ("char **f(int x)", "pointer to pointer"),
        ("int f(int m[][4])", "pointer to pointer"),
        ("int f(int (**cb)(int))", r"pointer to .int \(\*\)\(int\). not supported"),
        ("int f(a, b)", "parameter type not supported"),
        ("int g(int x)", "cannot read the prototype of f"),
        ("int f(int x", "cannot read the prototype of f"),
    ],
)
def test_more_unsupported_prototypes_say_why(proto, why):
    with pytest.raises(measure.MeasureError, match=why):
        measure.parse_prototype(proto, "f")


def test_gnu_spellings_in_a_declaration():
    sig = measure.parse_prototype(
        "static __inline__ unsigned long __attribute__((hot, aligned(16))) f(const unsigned char *__restrict__ p,"
        ' /* the length */ unsigned n) __asm__("g");',
        "f",
    )
    assert sig.ret == "unsigned long"
    assert [(p.kind, p.ctype, p.const, p.name) for p in sig.params] == [
        ("ptr", "unsigned char", True, "p"),
        ("int", "unsigned", False, "n"),
    ]
