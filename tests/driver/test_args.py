"""Command-line classification (args.parse), without running anything."""

from __future__ import annotations

import pytest

from gcc_wrapper.compile import args


@pytest.mark.parametrize(
    "argv,reason",
    [
        (["-o", "prog", "a.o", "b.o"], "no C source"),
        (["-E", "a.c"], "option -E"),
        (["-M", "a.c"], "option -M"),
        (["-c", "a.c", "-flto"], "option -flto"),
        (["-c", "a.c", "-flto=auto"], "option -flto=auto"),
        (["-c", "a.cpp"], "not a C source: a.cpp"),
        (["-c", "a.s"], "not a C source: a.s"),
        (["-c", "-x", "c++", "a.c"], "-x c++"),
        (["-c", "-"], "stdin input"),
        (["-c", "a.c", "--coverage"], "option --coverage"),
        (["-c", "a.c", "-fprofile-generate"], "option -fprofile-generate"),
        (["-c", "a.c", "-save-temps"], "option -save-temps"),
        (["-c", "a.c", "-fstack-usage"], "option -fstack-usage"),
        (["-c", "a.c", "-gsplit-dwarf"], "option -gsplit-dwarf"),
        (["-c", "a.c", "-frobnicate-the-thing-unknown", "-Xfoo"], "unknown option -Xfoo"),
        (["-c", "a.c", "b.o"], "linker input under -c: b.o"),
        (["-c", "a.c", "b.c", "-o", "x.o"], "-o with several sources"),
        (["-c", "a.c", "-o", "-"], "output to stdout"),
        (["-x", "c", "a.c", "-o", "prog"], "-x while linking"),
        (["a.c", "-MD", "-o", "prog"], "dependency file while linking"),
        (["-c", "a.c", "-MF", "x.d"], "dependency options without -MD/-MMD"),
        (["@/nonexistent/rsp"], "response file: /nonexistent/rsp: No such file or directory"),
        (["--version"], "option --version"),
        (["-print-file-name=libc.so"], "option -print-file-name=libc.so"),
        (["-c", "a.c", "-I"], "missing argument to -I"),
    ],
)
def test_passthrough_reasons(argv, reason):
    inv = args.parse(argv)
    assert (inv.kind, inv.reason) == ("passthrough", reason)
    assert inv.argv == tuple(argv)


def test_compile_words():
    argv = [
        "-DX=1",
        "-Iinc",
        "-O2",
        "-g",
        "-fPIC",
        "-march=haswell",
        "-Wall",
        "-std=gnu11",
        "-Wa,--noexecstack",
        "-c",
        "src/a.c",
        "-o",
        "obj/a.o",
        "-MMD",
        "-MP",
        "-lm",
        "-ffast-math",
    ]
    inv = args.parse(argv)
    assert inv.kind == "compile" and inv.stage == "c"
    assert inv.sources == ("src/a.c",) and inv.output == "obj/a.o"
    assert inv.compile_flags == (
        "-DX=1",
        "-Iinc",
        "-O2",
        "-g",
        "-fPIC",
        "-march=haswell",
        "-Wall",
        "-std=gnu11",
        "-Wa,--noexecstack",
        "-lm",
        "-ffast-math",
        "-O3",
    )
    # the code rule: -O (overridden by the forced level), -f, -m, -std; not -D/-I/-W/-g/-l/-Wa
    assert inv.code_flags == ("-fPIC", "-march=haswell", "-std=gnu11", "-ffast-math", "-O3")
    assert inv.asm_flags == ("-g", "-march=haswell", "-Wa,--noexecstack")
    assert inv.isa == "haswell"
    assert inv.output_for("src/a.c") == "obj/a.o"
    assert inv.dep_args_for("src/a.c") == ["-MMD", "-MP", "-MF", "obj/a.d", "-MQ", "obj/a.o"]


def test_opt_keep_and_other_levels():
    assert args.parse(["-O1", "-c", "a.c"], opt="keep").code_flags == ("-O1",)
    assert args.parse(["-O1", "-c", "a.c"], opt="O2").compile_flags == ("-O1", "-O2")
    assert args.parse(["-c", "a.c"]).isa == "x86-64"


def test_not_code_flags():
    inv = args.parse(
        [
            "-c",
            "a.c",
            "-fdiagnostics-color=always",
            "-fmax-errors=3",
            "-fdebug-prefix-map=/a=/b",
            "-fno-ident",
            "-fverbose-asm",
            "-w",
            "-pedantic",
        ]
    )
    assert inv.code_flags == ("-O3",)


def test_default_outputs_and_deps():
    inv = args.parse(["-c", "dir/x.y.c", "other.c", "-MD"])
    assert inv.output_for("dir/x.y.c") == "x.y.o"
    assert inv.dep_args_for("dir/x.y.c") == ["-MD", "-MF", "x.y.d", "-MQ", "x.y.o"]
    s = args.parse(["-S", "x.c", "-MD", "-MT", "t", "-MQ", "q$"])
    assert s.output_for("x.c") == "x.s"
    assert s.dep_args_for("x.c") == ["-MD", "-MF", "x.d", "-MT", "t", "-MQ", "q$"]


def test_link_stage_positions():
    inv = args.parse(["-O2", "-o", "prog", "main.c", "util.o", "k.c", "-lm"])
    assert inv.stage == "link" and inv.sources == ("main.c", "k.c")
    assert [inv.link_args[i] for i in inv.source_positions] == ["main.c", "k.c"]
    assert inv.output_for("main.c") == "main.o"


def test_x_c_forces_c():
    inv = args.parse(["-x", "c", "prog.txt", "-x", "none", "b.c", "-c"])
    assert inv.sources == ("prog.txt", "b.c") and inv.forced_c == frozenset({"prog.txt"})


def test_response_file_quoting(tmp_path):
    rsp = tmp_path / "r"
    inner = tmp_path / "inner"
    inner.write_text("-DNESTED")
    rsp.write_text(f'-c \'a b.c\' "-DQ=\\"s\\"" back\\ slash.c @{inner}\n')
    inv = args.parse([f"@{rsp}"])
    assert inv.kind == "compile"
    assert inv.sources == ("a b.c", "back slash.c")
    assert inv.compile_flags == ('-DQ="s"', "-DNESTED", "-O3")


def test_separate_values_are_not_inputs():
    inv = args.parse(
        [
            "--sysroot",
            "/",
            "-c",
            "a.c",
            "--param",
            "max-unroll-times=2",
            "-B",
            "/usr/bin/",
            "-include",
            "x.h",
            "-Xassembler",
            "--noexecstack",
        ]
    )
    assert inv.kind == "compile" and inv.sources == ("a.c",)
    assert inv.code_flags == ("--param", "max-unroll-times=2", "-O3")
    assert inv.asm_flags == ("--sysroot", "/", "-B", "/usr/bin/", "-Xassembler", "--noexecstack")


def test_the_option_table_is_what_parse_reads():
    """Every option the table (options.py) marks pass-through passes the line through; every
    option it says takes an argument takes the next word (and passes through without one); the
    preprocessor-only ones are left out of a TU's code words with their values."""
    from gcc_wrapper.compile import options

    for w in options.PASS_EXACT:
        inv = args.parse(["-c", "a.c", w, *(["x"] if w in options.TAKES_ARG else [])])
        assert inv.kind == "passthrough" and w in inv.reason, w
    for w in sorted(options.TAKES_ARG):
        assert args.parse(["-c", "a.c", w]).reason == f"missing argument to {w}"
        inv = args.parse([w, "b.c", "-c", "a.c"]) if w not in ("-o", "-x") else None
        if inv is not None and inv.kind == "compile":
            assert inv.sources == ("a.c",), w  # b.c was the option's value, not an input
    flags = ("-I", "inc", "-DX=1", "-include", "h.h", "-O2", "-fPIC", "-isystem", "sys", "-iquoteq")
    assert options.code_words(flags) == ["-O2", "-fPIC"]
    assert options.cpp_words(("-c", "-o", "x.o", "-MD", "-MF", "x.d", "-MTx", "-DX", "-pipe")) == ["-DX"]
