"""`llmcc report` over a real cache: accepted rewrites with their evidence and a diff of gcc's
assembly and the accepted one, rejected attempts grouped by reason, Markdown and HTML."""

from __future__ import annotations

import html.parser
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from cache import Cache, Entry

SRC = """\
int dot(const int *a, const int *b, int n) {
    int s = 0;
    for (int i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}
"""

HOSTILE = "</pre><script>alert(1)</script>```\n<img src=http://evil.example/x.png>"


def gcc_s(src: Path, *flags: str) -> str:
    return subprocess.run(["gcc", *flags, "-S", "-o", "-", str(src)], check=True, capture_output=True, text=True).stdout


def key(n: int) -> str:
    return f"{n:064x}"


@pytest.fixture
def project(tmp_path: Path, cache_dir: Path) -> tuple[Path, Path]:
    """A project with one accepted rewrite and attempts, and an outside one with another rewrite."""
    proj = tmp_path / "proj"
    (proj / "src").mkdir(parents=True)
    src = proj / "src" / "dot.c"
    src.write_text(SRC)
    other = tmp_path / "elsewhere.c"
    other.write_text(SRC.replace("dot", "other_dot"))
    cache = Cache(cache_dir)
    base, cand = gcc_s(src, "-O3"), gcc_s(src, "-O2", "-funroll-loops")
    assert base != cand
    verification = {
        "verdict": "accept",
        "reason": "all checks passed",
        "counterexample": "",
        "inputs_tried": 1200,
        "checks": [
            {"name": "static.assemble", "passed": True, "detail": ""},
            {"name": "difftest", "passed": True, "detail": "1200 inputs, same results"},
            {"name": "tests", "passed": True, "detail": "make check"},
        ],
    }
    measurement = {
        "method": "function-harness cpu-time",
        "baseline": [0.010, 0.011, 0.012],
        "candidate": [0.008, 0.008, 0.009],
        "speedup": 1.3125,
        "spread": [1.25, 1.375],
        "rounds": 3,
    }
    cache.put_function(
        Entry(
            key(1),
            "dot",
            str(src),
            cand,
            base,
            "embedded:-O2 -funroll-loops",
            verification,
            measurement,
            time.time(),
            "0.1.0",
        )
    )
    cache.put_function(
        Entry(
            key(2),
            "other_dot",
            str(other),
            cand + HOSTILE,
            base,
            "llm:model" + HOSTILE,
            verification,
            measurement,
            time.time(),
            "0.1.0",
        )
    )
    for i in range(3):
        cache.record_attempt(
            key(1),
            {
                "function": "dot",
                "source": str(src),
                "proposer": "llm:model",
                "outcome": "rejected",
                "reason": f"difftest: dot({i}) returned 3, expected 2",
            },
        )
    cache.record_attempt(
        key(1),
        {
            "function": "dot",
            "source": str(src),
            "proposer": "embedded:-Os",
            "outcome": "slower",
            "reason": "speedup 0.91 below threshold",
        },
    )
    cache.record_attempt(
        key(1),
        {
            "function": "dot",
            "source": str(src),
            "proposer": "embedded:-O2 -funroll-loops",
            "outcome": "accepted",
            "reason": "",
            "speedup": 1.31,
        },
    )
    cache.record_attempt(
        key(2),
        {
            "function": "other_dot",
            "source": str(other),
            "proposer": "llm:model",
            "outcome": "error",
            "reason": "static.assemble: junk",
        },
    )
    cache.record_attempt(
        key(3), {"function": "nowhere", "proposer": "llm:model", "outcome": "rejected", "reason": "difftest: differs"}
    )  # names no source
    cache.close()
    return proj, cache_dir


def run_report(llmcc_bin, llmcc_env, cwd, *args):
    p = subprocess.run(
        [str(llmcc_bin), "report", *args], cwd=cwd, env=llmcc_env, capture_output=True, text=True, timeout=60
    )
    assert p.returncode == 0, p.stderr
    return p


def test_markdown_for_the_project_in_the_working_directory(project, llmcc_bin, llmcc_env):
    proj, _ = project
    md = run_report(llmcc_bin, llmcc_env, proj).stdout
    assert "1 accepted rewrite(s), 4 attempt(s) not accepted. 1 other attempt(s) in the cache name no source" in md
    assert "## `dot` in src/dot.c: 1.312×" in md
    assert "other_dot" not in md  # outside the project
    assert "embedded:-O2 -funroll-loops" in md
    assert "function-harness cpu-time, 3 rounds, per-round ratios 1.250–1.375" in md
    assert "median CPU 11.000 ms → 8.000 ms" in md
    assert "verification: accept — all checks passed (1200 inputs tried)" in md
    assert "✓ difftest: 1200 inputs, same results" in md
    assert "--- gcc -O3" in md and "+++ accepted (embedded:-O2 -funroll-loops)" in md
    # rejected attempts grouped by the deciding check, biggest group first
    rows = [line for line in md.splitlines() if line.startswith("| rejected") or line.startswith("| slower")]
    assert rows[0].startswith("| rejected: difftest | 3 | dot | llm:model |")  # not 4: `nowhere` is elsewhere
    assert rows[1].startswith("| slower: not faster by the threshold | 1 | dot | embedded:-Os | speedup 0.91 below")
    # the accepted attempt is not listed among the rejected ones
    assert "| accepted" not in md


def test_all_covers_the_whole_cache_and_fences_hostile_text(project, llmcc_bin, llmcc_env):
    proj, _ = project
    md = run_report(llmcc_bin, llmcc_env, proj, "--all").stdout
    assert "2 accepted rewrite(s), 6 attempt(s) not accepted." in md and "name no source" not in md
    assert "`other_dot`" in md and "| error: static.assemble | 1 | other_dot |" in md
    # the injected ``` cannot close the diff's fence: every diff opens with a longer fence
    assert "````diff" in md


class StrictHTML(html.parser.HTMLParser):
    """Balanced tags, no scripts, nothing loaded from anywhere."""

    VOID = {"meta", "br", "hr", "img", "link", "input", "col", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []
        self.doctype = False

    def handle_decl(self, decl):
        self.doctype = decl.lower() == "doctype html"

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "link", "iframe", "object", "embed", "img"):
            self.errors.append(f"<{tag}> present")
        for name, value in attrs:
            if name in ("src", "href", "srcset", "action") or name.startswith("on"):
                self.errors.append(f"<{tag} {name}={value!r}>")
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def test_html_is_self_contained_valid_and_escapes_hostile_text(project, llmcc_bin, llmcc_env, tmp_path):
    proj, _ = project
    out = tmp_path / "report.html"
    run_report(llmcc_bin, llmcc_env, proj, "--all", "--html", str(out))
    page = out.read_text()
    v = StrictHTML()
    v.feed(page)
    v.close()
    assert v.doctype and not v.errors and not v.stack, (v.errors, v.stack)
    text = "".join(v.text)
    assert "evil.example" in text  # shown, as text
    assert "<script>alert(1)</script>" in text  # as text, not as a tag (the parser saw no <script>)
    assert "dot" in text and "1.312×" in text and "gcc -O3" in text
    assert 'class="diff_add"' in page or 'class="diff_chg"' in page  # the side-by-side diff is there
    assert "static.assemble" in text
    assert not list(tmp_path.glob(".report.html.*.tmp"))
    chromium = shutil.which("chromium")
    if chromium:  # a real browser renders it (optional: not installed by the Makefile)
        png = tmp_path / "shot.png"
        subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                f"--screenshot={png}",
                "--window-size=1200,900",
                out.as_uri(),
            ],
            capture_output=True,
            timeout=120,
        )
        assert png.exists() and png.stat().st_size > 10_000


def test_empty_cache_says_so(tmp_path, llmcc_bin, llmcc_env):
    md = run_report(llmcc_bin, llmcc_env, tmp_path).stdout
    assert "0 accepted rewrite(s), 0 attempt(s) not accepted" in md


def test_unwritable_html_destination_is_a_clear_error(project, llmcc_bin, llmcc_env, tmp_path):
    proj, _ = project
    p = subprocess.run(
        [str(llmcc_bin), "report", "--html", str(tmp_path / "no" / "such" / "dir" / "r.html")],
        cwd=proj,
        env=llmcc_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert p.returncode == 1 and "cannot write" in p.stderr and p.stdout == ""


def test_json_lists_entries_and_attempts(project, llmcc_bin, llmcc_env):
    import json

    proj, _ = project
    data = json.loads(run_report(llmcc_bin, llmcc_env, proj, "--json").stdout)
    assert [e["function"] for e in data["entries"]] == ["dot"]
    assert data["entries"][0]["measurement"]["speedup"] == 1.3125
    assert sorted(a["outcome"] for a in data["attempts"]) == ["rejected", "rejected", "rejected", "slower"]
