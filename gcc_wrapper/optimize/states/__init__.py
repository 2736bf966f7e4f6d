"""Recorded states: hot functions verified and timed on what the real program gives them.

    record.record(cmd, cwd, names, cache_root) -> Recording    run the workload under the
        recorder (recorder.c, ptrace) and keep, for some calls of each function, the state the call
        started from and what it left: llmcc profile does this after the profiled run
    store.find(cache_root, cwd, name) -> Recording | None       the newest related recording
        that has states of `name`
    replay.check(ctx, cand_obj, recording) -> replay.Outcome    gcc's version and the candidate
        on every recorded state (replayer.c), compared (verification)
    replay.time(ctx, cand, recording, rounds) -> Measurement    both timed on the same states

After STOKE's testcases (machine states recorded at a function's entry from real runs) and its
sandbox that replays them. Why and what it cannot cover: docs/verification.md, "Recorded states".
"""
