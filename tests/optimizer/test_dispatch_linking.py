"""Where a dispatched function links and which body runs: executables (PIE or not, static,
static-pie), shared libraries (linked and dlopen'ed), code that runs before libgcc's constructor,
and a link without libgcc.

The function is composed by dispatch.compose from gcc's own texts of `which()`, whose body says
which level it was compiled for (the feature macros), so a run shows which body ran."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gcc_wrapper.compile import asm
from gcc_wrapper.optimize import dispatch

WHICH = """
int which(int x) {
#if defined(__AVX512F__)
  return 400 + x;
#elif defined(__AVX2__)
  return 300 + x;
#elif defined(__SSE4_2__)
  return 200 + x;
#else
  return 100 + x;
#endif
}
"""
BODY = {"x86-64": 100, "x86-64-v2": 200, "x86-64-v3": 300, "x86-64-v4": 400}

MAIN = r"""
#include <stdio.h>
int which(int);
static void early(void) { printf("preinit %d\n", which(0)); }
__attribute__((section(".preinit_array"), used)) static void (*pre)(void) = early;
__attribute__((constructor(101))) static void c101(void) { printf("ctor101 %d\n", which(0)); }
__attribute__((constructor)) static void ctor(void) { printf("ctor %d\n", which(0)); }
int main(void) { printf("main %d\n", which(0)); return 0; }
"""


def _texts(tmp: Path, extra: tuple[str, ...]) -> tuple[str, dict[str, str]]:
    src = tmp / "which.c"
    src.write_text(WHICH)

    def text(flags: tuple[str, ...]) -> str:
        out = subprocess.run(
            ["gcc", "-O2", *extra, *flags, "-S", "-o", "-", str(src)], capture_output=True, text=True, check=True
        ).stdout
        return asm.parse(out).functions["which"].text()

    return text(()), {lvl: text((f"-march={lvl}",)) for lvl in dispatch.LEVELS}


def _object(tmp: Path, name: str, extra: tuple[str, ...] = ()) -> Path:
    t = dispatch.template("gcc")
    assert not isinstance(t, str), t
    base, bodies = _texts(tmp, extra)
    s = tmp / f"{name}.s"
    s.write_text(dispatch.compose("which", base, bodies, t) + '\t.section\t.note.GNU-stack,"",@progbits\n')
    o = tmp / f"{name}.o"
    subprocess.run(["gcc", "-c", str(s), "-o", str(o)], check=True)
    return o


@pytest.fixture(scope="module")
def top() -> int:
    here = dispatch.host("gcc")
    assert not isinstance(here, str), here
    return BODY[here.top(dispatch.LEVELS)]


@pytest.mark.parametrize("mode", ["-no-pie", "-pie", "-static", "-static-pie", "-shared-libgcc", "-static-libgcc"])
def test_executables_run_the_best_body_after_libgccs_constructor_and_the_baseline_before(tmp_path, top, mode):
    obj = _object(tmp_path, "which")
    main = tmp_path / "main.c"
    main.write_text(MAIN)
    exe = tmp_path / "prog"
    subprocess.run(["gcc", mode, "-O2", "-o", str(exe), str(main), str(obj)], check=True)
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.split("\n")
    # .preinit_array and a priority-101 constructor linked before libgcc's run first: the CPU model
    # is still zero there, and the baseline body runs
    assert out[:4] == ["preinit 100", "ctor101 100", f"ctor {top}", f"main {top}"]


def test_shared_library_linked_and_dlopened(tmp_path, top):
    obj = _object(tmp_path, "which_pic", ("-fPIC",))
    lib = tmp_path / "libwhich.so"
    subprocess.run(["gcc", "-shared", "-o", str(lib), str(obj)], check=True)
    dyn = subprocess.run(
        ["readelf", "-d", "-r", "--dyn-syms", str(lib)], capture_output=True, text=True, check=True
    ).stdout
    assert "TEXTREL" not in dyn and "__cpu_features2" not in dyn  # its own hidden copy, no relocation against it
    user = tmp_path / "user.c"
    user.write_text('#include <stdio.h>\nint which(int);\nint main(void) { printf("%d\\n", which(5)); return 0; }\n')
    linked = tmp_path / "linked"
    subprocess.run(
        ["gcc", "-o", str(linked), str(user), f"-L{tmp_path}", "-lwhich", f"-Wl,-rpath,{tmp_path}"], check=True
    )
    assert subprocess.run([str(linked)], capture_output=True, text=True, check=True).stdout == f"{top + 5}\n"
    opener = tmp_path / "opener.c"
    opener.write_text(
        "#include <dlfcn.h>\n#include <stdio.h>\nint main(int c, char **v) { (void)c;"
        " void *h = dlopen(v[1], RTLD_NOW); if (!h) { puts(dlerror()); return 1; }"
        ' int (*f)(int) = (int (*)(int))dlsym(h, "which"); printf("%d\\n", f(7)); return 0; }\n'
    )
    exe = tmp_path / "opener"
    subprocess.run(["gcc", "-o", str(exe), str(opener), "-ldl"], check=True)
    assert subprocess.run([str(exe), str(lib)], capture_output=True, text=True, check=True).stdout == f"{top + 7}\n"


def test_a_link_without_libgcc_fails_loudly(tmp_path):
    obj = _object(tmp_path, "which")
    main = tmp_path / "main.c"
    main.write_text("int which(int);\nint main(void) { return which(0) == 0; }\n")
    r = subprocess.run(
        ["gcc", "-nodefaultlibs", "-o", str(tmp_path / "prog"), str(main), str(obj), "-lc"],
        capture_output=True,
        text=True,
    )
    assert r.returncode != 0
    assert "__cpu_features2" in r.stderr
