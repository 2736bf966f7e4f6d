"""`llmcc report`: what llmcc changed in this project, and on what evidence.

    llmcc report [--all] [--html FILE]

Reads the local cache (cache.open_cache): every accepted rewrite (an Entry) whose source file is
under the working directory, or every one with --all, with its function, source file, proposer,
speedup and how it was measured, the verification evidence, and gcc's assembly next to the
accepted one; then the rejected attempts (the cache's attempt logs) grouped by reason.

Markdown goes to stdout; --html writes one self-contained HTML file (inline CSS, no scripts, no
external resources). Everything in an entry may come from a model and is treated as hostile text:
escaped in HTML, fenced with a fence longer than any backtick run in Markdown.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import difflib
import html
import json
import os
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from cache import Cache, Entry, EntryError
from gcc_wrapper.compile.files import write_atomic
from gcc_wrapper.tools.metrics import median


@dataclass(frozen=True)
class Attempt:
    """One candidate tried for a function (a line of the cache's attempt log)."""

    key: str
    function: str
    source: str
    proposer: str
    outcome: str  # accepted | rejected | slower | error
    reason: str
    speedup: float | None
    time: float

    @property
    def reason_group(self) -> str:
        """What attempts are grouped by: the outcome and the reason's first clause (the check
        that decided), without the details that differ per attempt."""
        if self.outcome == "slower":  # its reason is the measured ratio: one group for all of them
            return "slower: not faster by the threshold"
        head = re.split(r"[:(\n]", self.reason, maxsplit=1)[0].strip() or "no reason given"
        return f"{self.outcome}: {head}"


HOT_SHARE = 0.05  # functions with at least this share of the profile each get a line, whatever became of them


@dataclass(frozen=True)
class HotFunction:
    """A function the profile says takes time, and what llmcc did about it."""

    name: str
    share: float
    states: int  # calls of it recorded from the workload
    status: str  # accepted | no-faster | rejected | queued | not tried
    detail: str  # the evidence, or the one reason it could not be optimized and what would help


@dataclass(frozen=True)
class Contents:
    """What a report shows."""

    scope: str  # the directory, or "the whole cache"
    cache_root: str
    entries: tuple[Entry, ...]
    attempts: tuple[Attempt, ...]  # not accepted ones, in scope
    unattributed: int = 0  # not accepted attempts whose record names no source: shown only with --all
    hot: tuple[HotFunction, ...] = ()  # the profile's hot functions, each with what became of it
    profile: str = ""  # the profile they come from (its command), "" without one
    # key -> "dispatch: x86-64-v3 (this host), baseline fallback", for rewrites that dispatch on the CPU
    dispatch: dict[str, str] = field(default_factory=dict)

    def rejected_by_reason(self) -> list[tuple[str, list[Attempt]]]:
        groups: dict[str, list[Attempt]] = defaultdict(list)
        for a in self.attempts:
            groups[a.reason_group].append(a)
        return sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))


def read_entries(cache: Cache) -> list[Entry]:
    """Every intact function entry in the local store, newest first. Read straight from the files
    (read-only: a report neither refreshes recency nor counts hits); unreadable ones are skipped."""
    out = []
    for kind, _key, dirent in cache.files():
        if kind != "fn":
            continue
        try:
            out.append(Entry.from_bytes(Path(dirent.path).read_bytes()))
        except (OSError, EntryError):
            continue
    return sorted(out, key=lambda e: (-e.created, e.function))


def read_attempts(cache: Cache, entries: Sequence[Entry]) -> list[Attempt]:
    """Every line of every attempt log under ROOT/attempts/ab/cdef....jsonl. The function and
    source come from the record, else from the accepted entry with the same key."""
    by_key = {e.key: e for e in entries}
    root = cache.root / "attempts"
    out: list[Attempt] = []
    if not root.is_dir():
        return out
    for path in sorted(root.glob("??/*.jsonl")):
        key = path.parent.name + path.name.removesuffix(".jsonl")
        known = by_key.get(key)
        for rec in cache.attempts(key):
            speedup = rec.get("speedup")
            out.append(
                Attempt(
                    key=key,
                    function=str(rec.get("function") or (known.function if known else "?")),
                    source=str(rec.get("source") or (known.source if known else "")),
                    proposer=str(rec.get("proposer", "")),
                    outcome=str(rec.get("outcome", "error")),
                    reason=str(rec.get("reason", "")),
                    speedup=float(speedup) if isinstance(speedup, (int, float)) else None,
                    time=float(rec.get("time", 0.0)) if isinstance(rec.get("time"), (int, float)) else 0.0,
                )
            )
    return out


def under(source: str, root: Path) -> bool:
    """Whether a recorded source path lies under root (resolved)."""
    if not source:
        return False
    try:
        return Path(source).resolve().is_relative_to(root)
    except (OSError, ValueError):
        return False


def _hot(
    cache: Cache, scope: Path | None, entries: Sequence[Entry], attempts: Sequence[Attempt]
) -> tuple[list[HotFunction], str]:
    """Every function with at least HOT_SHARE of the newest related profile, with its outcome: no
    hot function is left out silently."""
    from gcc_wrapper.optimize import hot, worklist
    from gcc_wrapper.optimize.states import store

    where = str(scope) if scope is not None else os.getcwd()
    profiles = hot._related_profiles(cache.root, where)
    if not profiles:
        return [], ""
    prof = profiles[0]
    shares = {str(k): float(v) for k, v in dict(prof.get("functions", {})).items()}
    rec = None
    if prof.get("states"):
        try:
            rec = store.load(store.states_dir(cache.root) / str(prof["states"]))
        except store.StoreError:
            rec = None
    note = str(dict(prof.get("arguments") or {}).get("note", ""))
    queued = {q.name: q for q in worklist.items(cache.root)}
    rows = []
    for name, share in sorted(shares.items(), key=lambda kv: -kv[1]):
        if share < HOT_SHARE:
            break
        f = rec.functions.get(name) if rec is not None else None
        nstates = f.states if f is not None else 0
        mine = [e for e in entries if e.function == name]
        tried = [a for a in attempts if a.function == name]
        if mine:
            e = mine[0]
            v = e.verification
            passed = {
                str(c.get("name"))
                for c in v.get("checks", [])
                if isinstance(c, dict)
                and c.get("passed")
                and not str(c.get("detail", "")).startswith(("not run", "not testable", "not replayable"))
            }
            evidence = [
                f"{v['states_tried']} recorded calls" if v.get("states_tried") else "",
                f"{v['inputs_tried']} generated inputs" if v.get("inputs_tried") else "",
                "the workload's outputs" if "workload" in passed else "",
                "the project's tests" if "tests" in passed else "",
            ]
            rows.append(
                HotFunction(
                    name,
                    share,
                    nstates,
                    "accepted",
                    f"{_speedup(e)} ({e.proposer}); verified on {' and '.join(x for x in evidence if x) or '?'}"
                    + (f"; {_measured(e.measurement)}" if e.measurement else ""),
                )
            )
        elif name in queued:  # waiting for `llmcc optimize`: what was tried so far is no verdict
            so_far = f" ({len(tried)} tried so far)" if tried else ""
            rows.append(
                HotFunction(
                    name, share, nstates, "queued", f"{queued[name].reason}{so_far}; `llmcc optimize` works the queue"
                )
            )
        elif tried:
            faster = [a for a in tried if a.outcome == "slower"]
            verified = [a for a in tried if a.outcome in ("slower", "accepted")]
            if faster:
                best = max((a.speedup for a in faster if a.speedup is not None), default=None)
                rows.append(
                    HotFunction(
                        name,
                        share,
                        nstates,
                        "no-faster",
                        f"{len(tried)} tried, {len(verified)} correct, none faster"
                        + (f" (best x{best:.3f})" if best is not None else ""),
                    )
                )
            else:
                reasons = sorted({a.reason_group for a in tried})
                rows.append(
                    HotFunction(
                        name,
                        share,
                        nstates,
                        "rejected" if any(a.outcome == "rejected" for a in tried) else "error",
                        f"{len(tried)} tried: {'; '.join(reasons)[:200]}",
                    )
                )
        else:
            why = "no compile of its file with the optimizer on since the profile (rebuild with LLMCC_MODE=sync, or queue and `llmcc optimize`)"
            if f is None and rec is not None:
                why = "not a function of the program itself (a system library's, or stripped): nothing llmcc compiles"
            rows.append(HotFunction(name, share, nstates, "not tried", why))
    for i, r in enumerate(rows):
        if r.states == 0 and r.status not in ("accepted",):
            hint = note if note.startswith("states not recorded") else "no calls of it recorded"
            rows[i] = HotFunction(r.name, r.share, 0, r.status, f"{r.detail}; {hint}")
    return rows, " ".join(prof.get("command", []))


def collect(cache: Cache, scope: Path | None, cfg: Any = None) -> Contents:
    """Entries and non-accepted attempts whose source is under scope (None: all of them). cfg
    (Config) names the compiler whose libgcc says which body of a dispatching rewrite runs here."""
    entries = read_entries(cache)
    attempts = [a for a in read_attempts(cache, entries) if a.outcome != "accepted"]
    all_attempts = list(attempts)
    unattributed = 0
    if scope is not None:
        root = scope.resolve()
        entries = [e for e in entries if under(e.source, root)]
        unattributed = sum(1 for a in attempts if not a.source)
        attempts = [a for a in attempts if under(a.source, root)]
    hot_rows, command = _hot(cache, scope, read_entries(cache) if scope is None else entries, all_attempts)
    from gcc_wrapper.optimize import dispatch as isa_dispatch

    dispatch = {e.key: isa_dispatch.describe(e.asm, cfg) or "" for e in entries if isa_dispatch.mentions(e.asm)}
    return Contents(
        scope=str(scope) if scope is not None else "the whole cache",
        cache_root=str(cache.root),
        entries=tuple(entries),
        attempts=tuple(attempts),
        unattributed=unattributed,
        hot=tuple(hot_rows),
        profile=command,
        dispatch=dispatch,
    )


def _unattributed_note(c: Contents) -> str:
    if not c.unattributed:
        return ""
    return (
        f" {c.unattributed} other attempt(s) in the cache name no source file, so they cannot be placed in "
        "this project: `llmcc report --all` shows them."
    )


# ---------------------------------------------------------------- pieces shared by both formats


def _display_path(source: str, scope: str) -> str:
    try:
        return os.path.relpath(source, scope) if os.path.isabs(scope) else source
    except ValueError:
        return source


def _speedup(e: Entry) -> str:
    return f"{e.speedup:.3f}×" if e.speedup is not None else "not measured"


def _measured(m: dict[str, Any]) -> str:
    if not m:
        return "no measurement recorded"
    spread = m.get("spread") or []
    parts = [str(m.get("method", "unknown method")), f"{m.get('rounds', '?')} rounds"]
    if len(spread) == 2:
        parts.append(f"per-round ratios {spread[0]:.3f}–{spread[1]:.3f}")
    base, cand = m.get("baseline") or [], m.get("candidate") or []
    if base and cand:
        parts.append(f"median CPU {median(base) * 1e3:.3f} ms → {median(cand) * 1e3:.3f} ms")
    whole = m.get("program")
    if isinstance(whole, dict) and isinstance(whole.get("speedup"), (int, float)):
        parts.append(f"confirmed at program level x{whole['speedup']:.3f} ({whole.get('method', '?')})")
    return ", ".join(parts)


def _checks(v: dict[str, Any]) -> list[tuple[str, bool, str]]:
    return [
        (str(c.get("name", "?")), bool(c.get("passed")), str(c.get("detail", "")))
        for c in v.get("checks", [])
        if isinstance(c, dict)
    ]


def _when(t: float) -> str:
    return _dt.datetime.fromtimestamp(t, _dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


# ---------------------------------------------------------------- Markdown


def _fence(text: str, info: str = "") -> str:
    """A code fence that the text cannot close: longer than any backtick run inside it."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{info}\n{text.rstrip()}\n{ticks}"


def _md_cell(text: str) -> str:
    """One line of text that cannot end a table cell or start a block of its own."""
    return " ".join(text.replace("|", "\\|").split())


def render_markdown(c: Contents) -> str:
    lines = [
        "# llmcc report",
        "",
        f"Scope: {c.scope} (cache {c.cache_root}). {len(c.entries)} accepted rewrite(s), "
        f"{len(c.attempts)} attempt(s) not accepted." + _unattributed_note(c),
    ]
    if c.hot:
        lines += [
            "",
            f"## Hot functions (at least {HOT_SHARE:.0%} of the profile of `{_md_cell(c.profile)}`)",
            "",
            "| function | share | recorded calls | outcome | evidence or reason |",
            "| --- | ---: | ---: | --- | --- |",
        ]
        for h in c.hot:
            lines.append(f"| `{_md_cell(h.name)}` | {h.share:.1%} | {h.states} | {h.status} | {_md_cell(h.detail)} |")
    if c.entries:
        lines += ["", "| function | source | speedup | proposer |", "| --- | --- | ---: | --- |"]
        for e in c.entries:
            lines.append(
                f"| `{_md_cell(e.function)}` | {_md_cell(_display_path(e.source, c.scope))} | "
                f"{_speedup(e)} | {_md_cell(e.proposer)} |"
            )
    for e in c.entries:
        v = e.verification
        lines += [
            "",
            f"## `{e.function}` in {_display_path(e.source, c.scope)}: {_speedup(e)}",
            "",
            f"- proposer: {_md_cell(e.proposer)}; accepted {_when(e.created)} by llmcc {e.llmcc_version}; key `{e.key}`",
            *([f"- {c.dispatch[e.key]}"] if e.key in c.dispatch else []),
            f"- measured: {_measured(e.measurement)}",
            f"- verification: {_md_cell(str(v.get('verdict', '?')))} — {_md_cell(str(v.get('reason', '')))}"
            + (f" ({v['inputs_tried']} inputs tried)" if v.get("inputs_tried") else "")
            + (f" ({v['states_tried']} recorded calls tried)" if v.get("states_tried") else ""),
        ]
        lines += [
            f"  - {'✓' if ok else '✗'} {_md_cell(name)}" + (f": {_md_cell(detail)}" if detail else "")
            for name, ok, detail in _checks(v)
        ]
        diff = difflib.unified_diff(
            e.baseline_asm.splitlines(), e.asm.splitlines(), "gcc -O3", f"accepted ({e.proposer})", lineterm=""
        )
        lines += ["", _fence("\n".join(diff), "diff")]
    groups = c.rejected_by_reason()
    if groups:
        lines += [
            "",
            "## Attempts not accepted, by reason",
            "",
            "| reason | attempts | functions | proposers | example |",
            "| --- | ---: | --- | --- | --- |",
        ]
        for reason, atts in groups:
            funcs = sorted({a.function for a in atts})
            props = sorted({a.proposer for a in atts})
            lines.append(
                f"| {_md_cell(reason)} | {len(atts)} | {_md_cell(', '.join(funcs[:5]))}"
                f"{' …' if len(funcs) > 5 else ''} | {_md_cell(', '.join(props[:3]))}"
                f"{' …' if len(props) > 3 else ''} | {_md_cell(atts[0].reason[:160])} |"
            )
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- HTML

_CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em; color: #222; }
h1, h2 { font-weight: 600; } h2 { margin-top: 2em; border-bottom: 1px solid #ddd; }
code, pre, table.diff { font-family: ui-monospace, monospace; font-size: 12px; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { border: 1px solid #ddd; padding: 2px 6px; text-align: left; vertical-align: top; }
td.num { text-align: right; }
.ok { color: #060; } .bad { color: #a00; }
table.diff td { border: none; padding: 0 4px; white-space: pre; }
table.diff th { background: #eee; }
.diff_header { background: #f4f4f4; color: #888; text-align: right; }
.diff_next { display: none; }
.diff_add { background: #dfd; } .diff_chg { background: #ffa; } .diff_sub { background: #fdd; }
"""


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _diff_table(e: Entry) -> str:
    table = difflib.HtmlDiff(tabsize=8, wrapcolumn=80).make_table(
        e.baseline_asm.splitlines(), e.asm.splitlines(), "gcc -O3", f"accepted ({_e(e.proposer)})"
    )
    # HtmlDiff emits legacy attributes and navigation links; keep the table, drop the links so the
    # page is plain, valid and has nothing that points anywhere.
    table = re.sub(r"<a [^>]*>(.*?)</a>", r"\1", table)
    return table.replace(' nowrap="nowrap"', "").replace(' cellspacing="0" cellpadding="0" rules="groups" ', "")


def render_html(c: Contents) -> str:
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        "<title>llmcc report</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<h1>llmcc report</h1>",
        f"<p>Scope: {_e(c.scope)} (cache {_e(c.cache_root)}). {len(c.entries)} accepted rewrite(s), "
        f"{len(c.attempts)} attempt(s) not accepted.{_e(_unattributed_note(c))}</p>",
    ]
    if c.hot:
        out.append(f"<h2>Hot functions (at least {HOT_SHARE:.0%} of the profile of <code>{_e(c.profile)}</code>)</h2>")
        out.append(
            "<table><thead><tr><th>function</th><th>share</th><th>recorded calls</th><th>outcome</th>"
            "<th>evidence or reason</th></tr></thead><tbody>"
        )
        for h in c.hot:
            out.append(
                f'<tr><td><code>{_e(h.name)}</code></td><td class="num">{h.share:.1%}</td>'
                f'<td class="num">{h.states}</td><td>{_e(h.status)}</td><td>{_e(h.detail)}</td></tr>'
            )
        out.append("</tbody></table>")
    if c.entries:
        out.append(
            "<table><thead><tr><th>function</th><th>source</th><th>speedup</th><th>proposer</th></tr></thead><tbody>"
        )
        for e in c.entries:
            out.append(
                f"<tr><td><code>{_e(e.function)}</code></td><td>{_e(_display_path(e.source, c.scope))}</td>"
                f'<td class="num">{_e(_speedup(e))}</td><td>{_e(e.proposer)}</td></tr>'
            )
        out.append("</tbody></table>")
    for e in c.entries:
        v = e.verification
        out += [
            f"<h2><code>{_e(e.function)}</code> in {_e(_display_path(e.source, c.scope))}: {_e(_speedup(e))}</h2>",
            "<ul>",
            f"<li>proposer: {_e(e.proposer)}; accepted {_e(_when(e.created))} by llmcc {_e(e.llmcc_version)}; "
            f"key <code>{_e(e.key)}</code></li>",
            *([f"<li>{_e(c.dispatch[e.key])}</li>"] if e.key in c.dispatch else []),
            f"<li>measured: {_e(_measured(e.measurement))}</li>",
            f"<li>verification: {_e(v.get('verdict', '?'))} — {_e(v.get('reason', ''))}"
            + (f" ({_e(v['inputs_tried'])} inputs tried)" if v.get("inputs_tried") else "")
            + (f" ({_e(v['states_tried'])} recorded calls tried)" if v.get("states_tried") else ""),
        ]
        checks = _checks(v)
        if checks:
            out.append("<ul>")
            for name, ok, detail in checks:
                mark = '<span class="ok">✓</span>' if ok else '<span class="bad">✗</span>'
                out.append(f"<li>{mark} {_e(name)}{': ' + _e(detail) if detail else ''}</li>")
            out.append("</ul>")
        out += ["</li>", "</ul>", _diff_table(e)]
    groups = c.rejected_by_reason()
    if groups:
        out.append("<h2>Attempts not accepted, by reason</h2>")
        out.append(
            "<table><thead><tr><th>reason</th><th>attempts</th><th>functions</th><th>proposers</th>"
            "<th>example</th></tr></thead><tbody>"
        )
        for reason, atts in groups:
            funcs = sorted({a.function for a in atts})
            props = sorted({a.proposer for a in atts})
            out.append(
                f'<tr><td>{_e(reason)}</td><td class="num">{len(atts)}</td><td>{_e(", ".join(funcs))}</td>'
                f"<td>{_e(', '.join(props))}</td><td>{_e(atts[0].reason[:300])}</td></tr>"
            )
        out.append("</tbody></table>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- command line


def main(argv: Sequence[str]) -> int:
    ap = argparse.ArgumentParser(
        prog="llmcc report",
        description="What llmcc changed in this project, "
        "and on what evidence: accepted rewrites and rejected attempts.",
    )
    ap.add_argument("--all", action="store_true", help="the whole cache, not only sources under this directory")
    ap.add_argument("--html", metavar="FILE", help="write a self-contained HTML report to FILE")
    ap.add_argument("--json", action="store_true", help="the accepted entries and attempts as JSON on stdout")
    args = ap.parse_args(list(argv))

    from cache import open_cache
    from gcc_wrapper.compile import config

    try:
        cfg = config.load()
    except config.ConfigError as e:
        print(f"llmcc report: {e}", file=sys.stderr)
        return 2
    contents = collect(open_cache(cfg), None if args.all else Path.cwd(), cfg)
    if args.html:
        dest = Path(args.html)
        try:
            write_atomic(dest, render_html(contents))
        except OSError as e:
            print(f"llmcc report: cannot write {dest}: {e.strerror or e}", file=sys.stderr)
            return 1
        print(
            f"llmcc report: wrote {dest} ({len(contents.entries)} rewrites, {len(contents.attempts)} "
            "attempts not accepted)",
            file=sys.stderr,
        )
        return 0
    if args.json:
        from dataclasses import asdict

        print(
            json.dumps(
                {
                    "scope": contents.scope,
                    "entries": [asdict(e) for e in contents.entries],
                    "attempts": [asdict(a) for a in contents.attempts],
                    "dispatch": contents.dispatch,
                    "hot": [asdict(h) for h in contents.hot],
                },
                indent=1,
            )
        )
        return 0
    sys.stdout.write(render_markdown(contents))
    return 0
