"""Prompt templates and reading answers back: pure functions, no server."""

from __future__ import annotations

import pytest

from gcc_wrapper.optimize.candidate import Candidate, Check, Context, Feedback, Measurement, Verdict
from gcc_wrapper.optimize.propose import prompts

CTX = Context(
    name="dot",
    source_path="/nonexistent/dot.c",
    cflags=("-O3",),
    baseline_asm="\t.globl\tdot\n\t.type\tdot, @function\ndot:\n\tmovl\t$1, %eax\n\tret\n\t.size\tdot, .-dot\n",
    isa="x86-64-v3",
)


def test_every_template_placeholder_is_filled():
    t = prompts.load()
    msgs = prompts.messages(CTX, [], c_source="int dot(void) { return 1; }", prototype="int dot(void)", t=t)
    assert [m["role"] for m in msgs] == ["system", "user"]
    user = msgs[1]["content"]
    assert "{{" not in user and "}}" not in user
    assert "```c\nint dot(void) { return 1; }\n```" in user
    assert "```assembly\n\t.globl\tdot" in user
    assert "$1, %eax" in user  # AT&T immediates pass through untouched
    assert "AVX2" in user and "System V" in user and "`dot`" in user


def test_unknown_isa_names_the_march_value():
    assert "-march=znver3" in prompts.isa_text("znver3")
    assert "SSE2" in prompts.isa_text("x86-64")


def test_render_refuses_a_missing_value():
    with pytest.raises(KeyError, match="needs"):
        prompts.render("{{name}} {{missing}}", {"name": "x"})


def test_no_c_source_leaves_the_section_out():
    user = prompts.messages(CTX, [], c_source="", prototype="")[1]["content"]
    assert "```c" not in user and "(not available)" in user


def test_refinement_shows_candidate_result_and_history():
    bad = Feedback(
        Candidate("dot:\n\tmovl $2, %eax\n\tret\n", "llm:m"),
        Verdict(
            "reject",
            "differs from gcc",
            (Check("static.assemble", True), Check("difftest", False, "returned 2, expected 1")),
            "dot()",
        ),
    )
    prose = Feedback(Candidate("Sure! Here is", "llm:m", meta={"error": "not assembly", "detail": "no block"}))
    good = Feedback(
        Candidate("dot:\n\tmovl $1, %eax\n\tret\n", "llm:m"),
        Verdict("accept", "ok"),
        Measurement("function-harness cpu-time", (2.0,), (1.0,), 1.5, (1.4, 1.6), 5),
    )
    user = prompts.messages(CTX, [bad, prose, good], c_source="", prototype="int dot(void)")[1]["content"]
    assert "```assembly\ndot:\n\tmovl $1, %eax" in user
    assert "1.50x the speed of gcc -O3" in user and "1.40-1.60" in user
    assert "failed check difftest: returned 2, expected 1" in user and "counterexample: dot()" in user
    assert "unusable reply (not assembly)" in user


def test_build_drops_history_then_c_source_then_gives_up():
    fb = [Feedback(Candidate("x" * 3000, "llm:m"), note="n1"), Feedback(Candidate("dot:\n\tret\n", "llm:m"), note="n2")]
    c_source = "int dot(void) { return 1; }\n" + "/* padding */\n" * 200
    full = prompts.build(CTX, fb, c_source=c_source, prototype="", max_tokens=512, max_model_len=None)
    assert full is not None and full.dropped == () and full.max_tokens == 512
    size = sum(len(m["content"]) for m in full.messages) // 3
    roomy = prompts.build(CTX, fb, c_source=c_source, prototype="", max_tokens=512, max_model_len=size + 2000)
    assert roomy is not None and roomy.dropped == () and roomy.max_tokens <= 512
    small = prompts.build(CTX, fb, c_source=c_source, prototype="", max_tokens=4096, max_model_len=size)
    assert small is not None and "c_source" in small.dropped
    assert "padding" not in small.messages[1]["content"]
    assert small.max_tokens >= prompts.reply_need(CTX)
    assert prompts.build(CTX, fb, c_source=c_source, prototype="", max_tokens=4096, max_model_len=300) is None


@pytest.mark.parametrize(
    "reply, finish, want_error",
    [
        ("Here you go:\n```assembly\ndot:\n\tret\n```\n", "stop", ""),
        ("```asm\ndot:\n\tret\n```", "stop", ""),
        ("```\ndot:\n\tret\n```", "stop", ""),
        ("```c\nint dot(void);\n```\n```assembly\ndot:\n\tret\n```", "stop", ""),
        ("I cannot make this faster; gcc's code is optimal.", "stop", "not assembly"),
        ("```python\nprint(1)\n```", "stop", "not assembly"),
        ("```assembly\ndot:\n\tret\n", "stop", "truncated"),
        ("```assembly\ndot:\n\tret\n```", "length", "truncated"),
        ("```assembly\n\n```", "stop", "not assembly"),
    ],
)
def test_extract_assembly(reply, finish, want_error):
    got = prompts.extract_assembly(reply, finish)
    assert got.error == want_error
    if not want_error:
        assert got.asm == "dot:\n\tret\n"
    else:
        assert got.asm is None and got.detail
