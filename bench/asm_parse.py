"""How long gcc_wrapper.compile.asm takes on big assembly files (it runs on every compile).

    .venv/bin/python bench/asm_parse.py [--functions N] [--repeat R]

Generates a C file with N varied functions (switch tables, string and floating constants, loops,
cold paths), compiles it with gcc -O3 and -O3 -g, and prints for each: lines, then the median
milliseconds (and min-max over R repeats) per 1000 lines for parse(), for parse() plus
normalized() of every function (what a compile does to compute cache keys), and for text() of
every function; then milliseconds for one Unit.replace (what a cache hit costs). Times are CPU time of this process (the machine is shared; wall time would
measure the neighbours).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gcc_wrapper.compile import asm

TEMPLATE = r"""
int sw_{i}(unsigned k) {{
    switch (k) {{ case 0: return {i}; case 1: return 7; case 2: return 99; case 3: return 12;
    case 4: return 8; case 5: return 61; case 6: return 23; default: return -{i}; }}
}}
const char *str_{i}(int k) {{ switch (k) {{ case 0: return "a{i}"; case 1: return "b{i}";
    case 2: return "c{i}"; case 3: return "d{i}"; case 4: return "e{i}"; case 5: return "f";
    default: return "g{i}"; }} }}
double fp_{i}(double x) {{ return x * {i}.25 + x * x * 0.5 - 1.0 / (x + {i}.0); }}
long loop_{i}(const int *a, int n) {{
    long s = 0;
    for (int j = 0; j < n; j++) {{
        if (__builtin_expect(a[j] == {i}, 0)) {{ __builtin_printf("hit %d\n", j); __builtin_abort(); }}
        s += (long)a[j] * {i};
    }}
    return s;
}}
"""


def generate(n: int, d: Path) -> Path:
    src = d / "big.c"
    src.write_text("".join(TEMPLATE.format(i=i) for i in range(n)))
    return src


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.process_time()
        fn()
        out.append(time.process_time() - t)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--functions", type=int, default=120, help="C functions x4 in the generated file")
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--json", action="store_true", help="also print the figures as one JSON line (make bench)")
    args = ap.parse_args()
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        src = generate(args.functions, Path(tmp))
        for flags in (["-O3"], ["-O3", "-g"]):
            text = subprocess.run(
                ["gcc", "-S", "-o", "-", *flags, str(src)], check=True, capture_output=True, text=True
            ).stdout
            kl = text.count("\n") / 1000
            unit = asm.parse(text)
            assert unit.render() == text

            def keys(text: str = text) -> None:
                for f in asm.parse(text).functions.values():
                    f.normalized()

            def texts(text: str = text) -> None:
                for f in asm.parse(text).functions.values():
                    f.text()

            name = sorted(unit.functions)[len(unit.functions) // 2]
            rewrite = unit.functions[name].text()

            def replace(unit: asm.Unit = unit, name: str = name, rewrite: str = rewrite) -> None:
                unit.replace(name, rewrite)

            print(f"gcc {' '.join(flags)}: {kl * 1000:.0f} lines, {len(unit.functions)} functions")
            for what, fn in (
                ("parse", lambda text=text: asm.parse(text)),
                ("parse+normalized", keys),
                ("parse+text", texts),
            ):
                ms = [t * 1000 / kl for t in timed(fn, args.repeat)]
                figures[f"{what} ms/1k lines ({' '.join(flags)})"] = round(statistics.median(ms), 3)
                print(
                    f"  {what:18s} {statistics.median(ms):7.2f} CPU ms/1k lines "
                    f"(min {min(ms):.2f}, max {max(ms):.2f}, {args.repeat} runs)"
                )
            ms = [t * 1000 for t in timed(replace, args.repeat)]
            figures[f"replace one ms ({kl * 1000:.0f} lines, {' '.join(flags)})"] = round(statistics.median(ms), 3)
            print(
                f"  {'replace one':18s} {statistics.median(ms):7.2f} CPU ms per call "
                f"(min {min(ms):.2f}, max {max(ms):.2f}; re-parses the unit)"
            )
    if args.json:
        import json

        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
