"""Times a small training step in Debian's PyTorch with OpenBLAS's default and shortest thread wait.

The benchmark's PyTorch worker sets OPENBLAS_THREAD_TIMEOUT=4 so that its idle OpenBLAS threads do
not busy-wait on the cores our side runs on (bench/README.md, "How it measures"). This checks that
PyTorch alone is not slowed by it: four 64-256-64 GELU blocks on 4160 rows of 64 (the tiny preset's
widths at batch 64), forward, backward and AdamW, median of 250 steps after 50 of warm-up, each
setting in a fresh process, alternating.

    /usr/bin/python3 bench/openblas_wait.py [ROUNDS]
"""
import os
import subprocess
import sys
import time


def step_median_ms():
    import torch

    torch.set_num_threads(int(os.environ.get("THREADS", "2")))
    torch.manual_seed(0)
    blocks = [
        torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.GELU(), torch.nn.Linear(256, 64))
        for _ in range(4)
    ]
    model = torch.nn.Sequential(*blocks)
    x = torch.randn(64 * 65, 64)
    opt = torch.optim.AdamW(model.parameters())
    times = []
    for _ in range(300):
        t = time.perf_counter()
        model(x).pow(2).mean().backward()
        opt.step()
        opt.zero_grad()
        times.append(time.perf_counter() - t)
    times = sorted(times[50:])
    return times[len(times) // 2] * 1e3


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(f"{step_median_ms():.2f}")
        sys.exit(0)
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    for r in range(rounds):
        for wait in (None, "4"):
            env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE", OPENBLAS_CORETYPE="SkylakeX")
            env.setdefault("OPENBLAS_NUM_THREADS", env.get("THREADS", "2"))
            env.pop("OPENBLAS_THREAD_TIMEOUT", None)
            if wait:
                env["OPENBLAS_THREAD_TIMEOUT"] = wait
            out = subprocess.run(
                [sys.executable, __file__, "--child"], env=env, capture_output=True, text=True,
                check=True,
            ).stdout.strip()
            print(f"round {r + 1}, OPENBLAS_THREAD_TIMEOUT={wait or 'default'}: median {out} ms")
