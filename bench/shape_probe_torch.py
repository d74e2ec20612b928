"""The PyTorch side of bench/shape-probe.jsh: a ViT the size of the tiny preset (D=64, 4 layers,
4 heads, 8-pixel patches, learned absolute positions, mean-pooled patches, LayerNorm, linear head)
trained from scratch on the same single-object shape images, with AdamW (lr 1e-3, weight decay
0.05, 10% warm-up then linear decay, batch 64) and no augmentation, as the fine-tunes there.

Run after bench/shape-probe.jsh wrote target/shape-probe/{train,test}.bin:
    OPENBLAS_NUM_THREADS=2 python3 bench/shape_probe_torch.py
"""
import sys
import time

import numpy as np
import torch
import torch.nn as nn

torch.set_num_threads(2)
ROOT = sys.argv[1] if len(sys.argv) > 1 else "target/shape-probe"


def load(split):
    b = np.fromfile(f"{ROOT}/{split}.bin", dtype=np.uint8).reshape(-1, 1 + 32 * 32 * 3)
    y = torch.tensor(b[:, 0].astype(np.int64))
    x = torch.tensor(b[:, 1:].reshape(-1, 32, 32, 3).astype(np.float32) / 255.0)
    return (x.permute(0, 3, 1, 2) - 0.5) / 0.5, y


class Block(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.norm1 = nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, h, batch_first=True)
        self.norm2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x):
        y = self.norm1(x)
        x = x + self.attn(y, y, y, need_weights=False)[0]
        return x + self.mlp(self.norm2(x))


class ViT(nn.Module):
    def __init__(self, d=64, layers=4, heads=4, patch=8, classes=4):
        super().__init__()
        self.patch = nn.Conv2d(3, d, patch, patch)
        n = (32 // patch) ** 2
        self.cls = nn.Parameter(torch.zeros(1, 1, d))
        self.pos = nn.Parameter(torch.randn(1, n + 1, d) * 0.02)
        self.blocks = nn.Sequential(*[Block(d, heads) for _ in range(layers)])
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, classes)

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(len(x), -1, -1), x], 1) + self.pos
        return self.head(self.norm(self.blocks(x)[:, 1:].mean(1)))


def train(steps, xtr, ytr, xte, yte, lr=1e-3):
    torch.manual_seed(0)
    model = ViT()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.05)
    g = torch.Generator().manual_seed(0)
    warmup = steps // 10
    for step in range(steps):
        for group in opt.param_groups:
            group["lr"] = lr * min(1.0, (step + 1) / warmup) * (1 - step / steps)
        idx = torch.randint(0, len(xtr), (64,), generator=g)
        loss = nn.functional.cross_entropy(model(xtr[idx]), ytr[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        return (model(xte).argmax(1) == yte).float().mean().item()


if __name__ == "__main__":
    xtr, ytr = load("train")
    xte, yte = load("test")
    print("| model | steps | top-1 | seconds |")
    print("|---|---|---|---|")
    for steps in (600, 2000):
        t = time.time()
        acc = train(steps, xtr, ytr, xte, yte)
        print(f"| PyTorch ViT (tiny size), from scratch | {steps} | {100 * acc:.1f} | {time.time() - t:.0f} |",
              flush=True)
