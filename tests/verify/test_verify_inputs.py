"""Property-based tests of the input generators, the register images and the comparison."""

from __future__ import annotations

import math
import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from gcc_wrapper.optimize.source import CType, Param, Prototype
from gcc_wrapper.optimize.verify import inputs
from gcc_wrapper.optimize.verify.inputs import REGION_CAP, Arg, Signature

INT_TYPES = [(s, sg) for s in (1, 2, 4, 8) for sg in (True, False)]


INT = CType("int", 4, "int", signed=True)


def proto(params, ret=INT):
    return Prototype("f", ret, tuple(Param(n, t) for n, t in params), False, False, "")


def ptr(kind, size, signed=False, const=False, restrict=False):
    return CType("pointer", 8, "p", restrict=restrict, pointee=CType(kind, size, kind, signed=signed, const=const))


signatures = st.sampled_from(
    [
        proto([("a", ptr("int", 4, True, const=True)), ("n", CType("int", 4, "int", signed=True))]),
        proto(
            [("dst", ptr("int", 4, True)), ("src", ptr("int", 4, True, const=True)), ("len", CType("int", 8, "size_t"))]
        ),
        proto([("a", ptr("double", 8)), ("b", ptr("double", 8, restrict=True)), ("n", CType("int", 4, "unsigned"))]),
        proto([("s", ptr("int", 1, True, const=True)), ("c", CType("int", 1, "char", signed=True))]),
        proto(
            [
                ("x", CType("double", 8, "double")),
                ("y", CType("float", 4, "float")),
                ("k", CType("int", 2, "short", signed=True)),
                ("b", CType("bool", 1, "_Bool")),
            ]
        ),
        proto(
            [("p", ptr("int", 2, False)), ("q", ptr("int", 2, False)), ("count", CType("int", 4, "int", signed=True))]
        ),
    ]
)


@settings(max_examples=60, deadline=None)
@given(signatures, st.integers(0, 2**32))
def test_inputs_fit_the_prototype(p, seed):
    sig = inputs.signature(p)
    xs = inputs.generate(sig, 80, seed)
    assert len(xs) == 80
    for x in xs:
        assert len(x.values) == len(sig.args)
        for i, (a, v) in enumerate(zip(sig.args, x.values)):
            if a.kind in ("int", "bool"):
                lo, hi = inputs.int_range(a.size, a.signed)
                assert lo <= v <= hi
                if a.kind == "bool":
                    assert v in (0, 1)
            elif a.kind in ("buffer", "string") and v is not None:
                region, off = v
                r = x.regions[region]
                if r.lazy:  # a length at its type's limit: reserved, not generated
                    assert r.content == b"" and off == 0 and r.lazy == x.values[a.length] * a.size
                    continue
                assert 0 <= off <= len(r.content) <= REGION_CAP
                assert off % a.size == 0
                if r.placement >= 0:
                    assert r.placement + len(r.content) <= REGION_CAP and r.placement % a.size == 0
                if a.kind == "string":
                    assert r.content.endswith(b"\0") and r.content.count(b"\0") == 1
                elif a.length is not None:
                    n = max(0, x.values[a.length])
                    assert len(r.content) - off >= n * a.size  # room for every element the length promises
        # pointers share memory only when neither is restrict and the element types match
        used = [(a, v[0]) for a, v in zip(sig.args, x.values) if a.kind == "buffer" and v is not None]
        for k, (a, ra) in enumerate(used):
            for b, rb in used[k + 1 :]:
                if ra == rb:
                    assert not (a.restrict or b.restrict) and (a.elem, a.size) == (b.elem, b.size)


@given(signatures, st.integers(0, 2**32))
@settings(max_examples=20, deadline=None)
def test_generation_is_deterministic(p, seed):
    sig = inputs.signature(p)
    assert inputs.generate(sig, 30, seed) == inputs.generate(sig, 30, seed)
    data = inputs.encode(sig, inputs.generate(sig, 30, seed), ndet=5, base_timeout=0.1, cand_factor=2, cand_min=0.01)
    assert data == inputs.encode(
        sig, inputs.generate(sig, 30, seed), ndet=5, base_timeout=0.1, cand_factor=2, cand_min=0.01
    )
    assert data.startswith(b"LLMCIN2\0")


def test_edge_values_come_first():
    sig = inputs.signature(proto([("x", CType("int", 4, "int", signed=True)), ("d", CType("double", 8, "double"))]))
    xs = inputs.generate(sig, 200)
    xsv = [x.values[0] for x in xs]
    for v in (0, 1, -1, 2**31 - 1, -(2**31)):
        assert v in xsv
    bits = {inputs.float_bits("double", x.values[1]) for x in xs}
    for special in (0.0, -0.0, math.inf, -math.inf):
        assert inputs.float_bits("double", special) in bits
    assert any(math.isnan(struct.unpack("<d", struct.pack("<Q", b))[0]) for b in bits)
    assert 1 in bits  # the smallest denormal


@given(st.sampled_from(INT_TYPES), st.integers(-(2**63), 2**64 - 1), st.integers(0, 2**64 - 1))
def test_register_image(t, v, garbage):
    size, signed = t
    lo, hi = inputs.int_range(size, signed)
    v = lo + (v - lo) % (hi - lo + 1)
    img = inputs.register_image(Arg("x", "int", size, signed), v, garbage)
    assert 0 <= img < 2**64
    low = img & ((1 << (8 * size)) - 1)
    assert low == v & ((1 << (8 * size)) - 1)
    if size < 4:  # extended to 32 bits as callers do
        ext = img & 0xFFFFFFFF
        want = (v & 0xFFFFFFFF) if signed else v
        assert ext == want & 0xFFFFFFFF
    if size <= 4:  # the upper half is the caller's garbage
        assert img >> 32 == garbage >> 32


@given(st.floats(allow_nan=True), st.floats(allow_nan=True), st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1))
def test_float_comparison_is_bitwise(a, b, ga, gb):
    sig = Signature("f", (), "double", 8)
    ba, bb = inputs.float_bits("double", a), inputs.float_bits("double", b)
    same = inputs.same_result(sig, (ga, ba), (gb, bb))  # rax holds garbage for a double return
    assert same == (ba == bb)
    if a == 0.0 and b == 0.0 and math.copysign(1, a) != math.copysign(1, b):
        assert not same  # 0.0 and -0.0 differ


@given(st.sampled_from(INT_TYPES), st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1))
def test_int_comparison_uses_the_meaningful_width(t, x, y):
    size, signed = t
    sig = Signature("f", (), "int", size, signed)
    mask = (1 << (8 * size)) - 1
    assert inputs.same_result(sig, (x, 0), (y, 123)) == ((x & mask) == (y & mask))
    assert inputs.same_result(sig, (x, 0), ((x & mask) | (y & ~mask & (2**64 - 1)), 0))


def test_untestable_prototypes():
    for p, why in [
        (Prototype("f", CType("int", 4, "int"), (), True, False, ""), "variadic"),
        (proto([("cb", CType("funcptr", 8, "void (*)(void)"))]), "unknown type"),
        (proto([("s", CType("struct", 0, "struct s"))]), "by value"),
        (proto([("pp", CType("pointer", 8, "int **", pointee=CType("pointer", 8, "int *")))]), "pointer to"),
        (proto([(f"a{i}", CType("int", 4, "int")) for i in range(7)]), "stack"),
    ]:
        try:
            inputs.signature(p)
        except inputs.Untestable as e:
            assert why in str(e)
        else:
            raise AssertionError(f"{why}: should not be testable")


def test_struct_elements_respect_members():
    from gcc_wrapper.optimize.source import Field, Layout

    layout = Layout(
        16,
        8,
        (Field("n", 0, "int", 2, True, 1), Field("ok", 2, "bool", 1, False, 3), Field("d", 8, "double", 8, False, 1)),
    )
    pt = CType("struct", 16, "struct s", layout=layout)
    sig = inputs.signature(
        proto([("s", CType("pointer", 8, "struct s *", pointee=pt)), ("n", CType("int", 4, "int", signed=True))])
    )
    assert sig.args[0].elem == "struct" and sig.args[0].size == 16
    for x in inputs.generate(sig, 300, 5):
        if x.values[0] is None:
            continue
        region, off = x.values[0]
        data = x.regions[region].content[off:]
        assert len(data) % 16 == 0
        for k in range(0, len(data), 16):
            e = data[k : k + 16]
            assert set(e[2:5]) <= {0, 1}  # _Bool members are 0 or 1
            assert e[5:8] == b"\0\0\0"  # padding is zero
        assert inputs.describe_input(sig, x).startswith("f(s=[")


def test_length_like_names():
    for name in ("n", "len", "size", "count", "nbytes", "src_len", "num", "buf_size", "x_n", "N"):
        assert inputs.LENGTH_NAME.search(name), name
    for name in ("x", "min", "sign", "mean", "column", "value", "shift"):
        assert not inputs.LENGTH_NAME.search(name), name


def test_declared_array_length_sizes_the_buffer():
    arr = CType("pointer", 8, "double [16]", pointee=CType("double", 8, "double"), count=16)
    sig = inputs.signature(proto([("out", arr), ("n", INT)]))
    assert sig.args[0].length is None and sig.args[0].count == 16  # n does not size a declared array
    for x in inputs.generate(sig, 50, 3):
        if x.values[0] is None:
            continue
        region, off = x.values[0]
        assert len(x.regions[region].content) - off == 16 * 8


def test_nan_is_shown_with_sign_and_bits():
    assert inputs._fmt_scalar("double", 8, False, 0xFFF8000000000000) == "-nan(0xfff8000000000000)"
    assert inputs._fmt_scalar("float", 4, False, 0x7FC00001) == "nan(0x7fc00001)"
    assert inputs._fmt_scalar("double", 8, False, inputs.float_bits("double", -0.0)) == "-0.0"


def test_pointers_are_null_in_some_inputs():
    sig = inputs.signature(proto([("a", ptr("int", 4, True, const=True)), ("n", INT)]))
    xs = inputs.generate(sig, 300, 2)
    nulls = [x for x in xs if x.values[0] is None]
    assert nulls and any(x.values[1] == 0 for x in nulls) and any(x.values[1] != 0 for x in nulls)
    assert "a=NULL" in inputs.describe_input(sig, nulls[0])


def test_regions_are_const_when_every_pointer_into_them_is():
    sig = inputs.signature(proto([("dst", ptr("int", 4, True)), ("src", ptr("int", 4, True, const=True)), ("n", INT)]))
    seen_shared = seen_alone = False
    for x in inputs.generate(sig, 1200, 4):
        d, s = x.values[0], x.values[1]
        if d is None or s is None:
            continue
        if d[0] == s[0]:  # shared with the writable dst: must stay writable
            assert not x.regions[d[0]].const
            seen_shared = True
        else:
            assert x.regions[s[0]].const and not x.regions[d[0]].const
            seen_alone = True
    assert seen_shared and seen_alone


def test_lengths_at_the_limits_of_their_types():
    size_t = CType("int", 8, "size_t")
    sig = inputs.signature(proto([("a", ptr("int", 4, True, const=True)), ("n", INT)]))
    assert 2**31 - 1 in inputs.huge_lengths(sig, 1) and all(v <= 2**31 - 1 for v in inputs.huge_lengths(sig, 1))
    sig = inputs.signature(proto([("a", ptr("double", 8, const=True)), ("n", size_t)]))
    big = inputs.huge_lengths(sig, 1)
    assert any(v > 2**32 for v in big) and all(v * 8 <= inputs.LAZY_MAX_BUFFER for v in big)
    sig = inputs.signature(proto([("a", ptr("int", 2, False)), ("n", CType("int", 2, "unsigned short"))]))
    assert 65535 in inputs.huge_lengths(sig, 1)
    xs = inputs.generate(sig, 200, 1)
    lazy = [x for x in xs if x.values[0] is not None and x.regions[x.values[0][0]].lazy]
    assert {x.values[1] for x in lazy} >= set(inputs.huge_lengths(sig, 1))
    for x in lazy:
        r = x.regions[x.values[0][0]]
        assert r.content == b"" and r.lazy == 2 * x.values[1] and r.ramp == ("int", 2, False)
    assert inputs.lazy_span(xs) >= max(2 * x.values[1] for x in lazy) + 2 * inputs.PAGE
    # buffers of structs have no ramp: no such lengths
    from gcc_wrapper.optimize.source import Field, Layout

    st = CType(
        "struct",
        8,
        "struct s",
        layout=Layout(8, 4, (Field("x", 0, "int", 4, True, 1), Field("y", 4, "int", 4, True, 1))),
    )
    sig = inputs.signature(proto([("p", CType("pointer", 8, "struct s *", pointee=st)), ("n", size_t)]))
    assert inputs.huge_lengths(sig, 1) == []


def test_callback_shapes():
    from gcc_wrapper.optimize.source import FuncType

    vp = CType("pointer", 8, "const void *", pointee=CType("void", 0, "void", const=True))
    ip = CType("pointer", 8, "const int *", pointee=CType("int", 4, "int", signed=True, const=True))
    cmp = CType("funcptr", 8, "int (*)(const void *, const void *)", func=FuncType(INT, (vp, vp), False))
    sig = inputs.signature(proto([("a", ptr("int", 4, True)), ("n", INT), ("cmp", cmp)]))
    cb = sig.args[2].callback
    assert sig.args[2].kind == "callback" and sig.args[2].reg == 2
    assert cb.comparator and [(c.kind, c.size, c.reg) for c in cb.args] == [("pointer", 1, 0), ("pointer", 1, 1)]
    f = CType(
        "funcptr",
        8,
        "double (*)(double, const int *, float)",
        func=FuncType(
            CType("double", 8, "double"), (CType("double", 8, "double"), ip, CType("float", 4, "float")), False
        ),
    )
    cb = inputs.signature(proto([("f", f)])).callbacks[0]
    assert not cb.comparator and cb.ret == "double"
    assert [(c.kind, c.size, c.reg) for c in cb.args] == [("double", 8, 0), ("pointer", 4, 0), ("float", 4, 1)]
    xs = inputs.generate(inputs.signature(proto([("f", f)])), 50)
    assert {x.values[0] for x in xs} == {0, None}  # its index, or NULL
    for bad, why in [
        (FuncType(ip, (), False), "returning"),
        (FuncType(INT, (INT,), True), "variadic"),
        (FuncType(INT, (CType("struct", 8, "struct s"),), False), "taking"),
    ]:
        try:
            inputs.signature(proto([("f", CType("funcptr", 8, "f", func=bad))]))
        except inputs.Untestable as e:
            assert why in str(e)
        else:
            raise AssertionError(why)
