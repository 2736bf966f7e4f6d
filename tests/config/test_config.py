"""Configuration precedence (env > llmcc.toml walking up > user file > default) and `llmcc config`."""

from __future__ import annotations

import json
import subprocess

import pytest

from gcc_wrapper.compile import config


def test_defaults_when_nothing_is_set(tmp_path):
    cfg = config.load(cwd=tmp_path, environ={"XDG_CONFIG_HOME": str(tmp_path / "none")})
    assert cfg.mode == "sync"
    assert cfg.budget == 60.0
    assert cfg.source("mode") == "default"


def test_precedence_env_over_project_over_user(tmp_path, monkeypatch):
    xdg = tmp_path / "xdg"
    (xdg / "llmcc").mkdir(parents=True)
    (xdg / "llmcc" / "config.toml").write_text('mode = "queue"\nbudget = 5\nhot = ["a"]\n')
    proj = tmp_path / "proj"
    sub = proj / "src" / "deep"
    sub.mkdir(parents=True)
    (proj / "llmcc.toml").write_text("budget = 7.5\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg))
    cfg = config.load(cwd=sub, environ={"XDG_CONFIG_HOME": str(xdg), "LLMCC_HOT": "f, g"})
    assert cfg.mode == "queue" and cfg.source("mode").endswith("config.toml")
    assert cfg.budget == 7.5 and cfg.source("budget") == str(proj / "llmcc.toml")
    assert cfg.hot == ["f", "g"] and cfg.source("hot") == "LLMCC_HOT"


def test_llmcc_table_is_accepted(tmp_path, monkeypatch):
    (tmp_path / "llmcc.toml").write_text("[llmcc]\nthreshold = 0.1\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "none"))
    assert config.load(cwd=tmp_path, environ={}).threshold == 0.1


@pytest.mark.parametrize(
    "text, message",
    [('budget = "soon"\n', "budget"), ("nonsense = 1\n", "unknown setting 'nonsense'"), ("mode = \n", "llmcc.toml")],
)
def test_bad_files_name_the_problem(tmp_path, monkeypatch, text, message):
    (tmp_path / "llmcc.toml").write_text(text)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "none"))
    with pytest.raises(config.ConfigError, match=message):
        config.load(cwd=tmp_path, environ={})


def test_bool_and_size_parsing(tmp_path):
    cfg = config.load(
        cwd=tmp_path, environ={"LLMCC_DISABLE": "yes", "LLMCC_MAX_SIZE": "1.5G", "XDG_CONFIG_HOME": str(tmp_path)}
    )
    assert cfg.disable is True
    assert cfg.max_size_bytes == int(1.5 * (1 << 30))
    with pytest.raises(config.ConfigError):
        config.load(cwd=tmp_path, environ={"LLMCC_DISABLE": "maybe", "XDG_CONFIG_HOME": str(tmp_path)})


def test_llmcc_config_command_shows_values_and_sources(llmcc_bin, llmcc_env, tmp_path):
    (tmp_path / "llmcc.toml").write_text("budget = 3\n")
    env = dict(llmcc_env, LLMCC_SERVER="http://127.0.0.1:9/v1", LLMCC_API_KEY="sekrit")
    out = subprocess.run([llmcc_bin, "config"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "sekrit" not in out.stdout  # secrets are never printed
    line = next(l for l in out.stdout.splitlines() if l.startswith("budget"))
    assert "3.0" in line and str(tmp_path / "llmcc.toml") in line
    js = json.loads(
        subprocess.run(
            [llmcc_bin, "config", "--json"], cwd=tmp_path, env=env, capture_output=True, text=True, check=True
        ).stdout
    )
    assert js["server"] == {"value": "http://127.0.0.1:9/v1", "source": "LLMCC_SERVER"}
    assert js["cache_dir"]["effective"] == llmcc_env["LLMCC_CACHE_DIR"]


def test_llmcc_config_reports_a_broken_file(llmcc_bin, llmcc_env, tmp_path):
    (tmp_path / "llmcc.toml").write_text("budget = [\n")
    out = subprocess.run([llmcc_bin, "config"], cwd=tmp_path, env=llmcc_env, capture_output=True, text=True)
    assert out.returncode == 2
    assert "llmcc.toml" in out.stdout + out.stderr
