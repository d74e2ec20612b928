"""The PyTorch side of the benchmark: the same workloads as the Java harness, run by Debian's torch.

The model is tests/reference/vlmo_reference.py (the reference's parameter names and forward
pass); this file adds what training needs and the reference module leaves out: the masked image
modelling head and mask token, the single-modality passes without the VL path, the stage losses
(MIM on normalised pixels, MLM, ITC + VL-ITC + hard-negative ITM + MLM) and AdamW with the same
parameter groups as the Java engine.

It is started by the Java harness (dev.vlmo.bench.Bench) as a worker that reads one command per
line on stdin and answers one line on stdout, so that both sides run interleaved in one
invocation on the same machine:

    prepare KEY=VALUE ...   build the model and inputs of a workload (see Workload.java), or the
                            loader workload's DataLoader (kind=load: torchvision and Pillow)
    run                     one timed repetition; answers "ok seconds=S check=X"
    matmul N                one fp32 N x N x N product; answers "ok seconds=S"
    release                 drop the workload
    quit

Every answer line starts with "ok" or "error". Memory: "ok" answers of run carry rss_peak
(VmHWM in bytes, reset when a workload is prepared).

Dimension letters: B batch, Nt text tokens, Ni image tokens (patches + 1), D hidden, V vocabulary.
"""

import math
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference"))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import vlmo_reference as ref  # noqa: E402


# ------------------------------------------------------------------------------------------------
# model additions
# ------------------------------------------------------------------------------------------------


def build_model(a):
    cfg = ref.VlmoConfig(
        hidden=int(a["hidden"]),
        heads=int(a["heads"]),
        layers=int(a["layers"]),
        vl_start=int(a["layers"]) - int(a["vlLayers"]),
        mlp_ratio=int(float(a["mlpRatio"])),
        patch=int(a["patch"]),
        image_size=int(a["imageSize"]),
        max_text_len=int(a["maxTextLen"]),
        max_text_len_of_initckpt=int(a["maxTextLenOfInitCkpt"]),
        vocab_size=int(a["vocab"]),
        relative_position=a["relative"] == "true",
        layer_scale=float(a["layerScale"]) if float(a["layerScale"]) > 0 else None,
        vqa_labels=1,
    )
    model = ref.Vlmo(cfg)
    D = cfg.hidden
    targets = int(a.get("mimTargets", "0"))
    if targets > 0:
        model.mim_head = nn.Linear(D, targets)
        model.mim_mask_token = nn.Parameter(torch.zeros(1, 1, D))
    return model


def visual_embed(model, images, patch_mask=None):
    """Patch embedding, masked patches replaced by the mask token, CLS, token type 1."""
    t = model.transformer
    x = t.patch_embed(images).flatten(2).transpose(1, 2)  # (B, W*W, D)
    if patch_mask is not None:
        m = patch_mask.unsqueeze(-1).type_as(x)  # (B, W*W, 1)
        x = x * (1 - m) + m * model.mim_mask_token
    x = torch.cat((t.cls_token.expand(x.shape[0], -1, -1), x), dim=1)  # (B, Ni, D)
    if t.pos_embed is not None:
        x = x + t.pos_embed
    return x + model.token_type_embeddings.weight[1]


def single_modality(model, x, mask, mode, index):
    """All layers with one expert, no VL path (stages 1 and 2, dual-encoder inference)."""
    biases = model.rel_pos_bias(index)
    for i, blk in enumerate(model.transformer.blocks):
        x = blk(x, mask, mode, biases[i])
    return model.transformer.norm(x)


def image_only(model, images, patch_mask=None):
    x = visual_embed(model, images, patch_mask)
    mask = torch.ones(x.shape[0], x.shape[1], dtype=torch.long, device=x.device)
    return single_modality(model, x, mask, "image", model.relative_position_index)


def text_only(model, ids, mask):
    x = model.text_embeds(ids)
    return single_modality(model, x, mask, "text", model.text_relative_position_index)


def normalise(v):
    return v / v.norm(dim=-1, keepdim=True)


# ------------------------------------------------------------------------------------------------
# objectives
# ------------------------------------------------------------------------------------------------


def pixel_targets(images, patch):
    """Each patch's pixels (channel last), normalised within the patch: (B, W*W, 3 P^2)."""
    B, C, S, _ = images.shape
    g = S // patch
    x = images.reshape(B, C, g, patch, g, patch).permute(0, 2, 4, 3, 5, 1).reshape(B, g * g, -1)
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / (var + 1e-6).sqrt()


def mim_loss(model, d):
    """The head at the masked patches only (BEiT's x[bool_masked_pos]), as the Java side."""
    h = image_only(model, d["images"], d["patch_mask"])
    m = d["patch_mask"].bool()  # (B, W*W)
    pred = model.mim_head(h[:, 1:][m])  # (M, 3 P^2)
    target = pixel_targets(d["images"], model.cfg.patch)[m]
    return ((pred - target) ** 2).sum() / max(pred.numel(), 1)  # 0 when nothing is masked


def mlm_loss(model, d):
    h = text_only(model, d["mlm_ids"], d["mask"])
    logits = model.mlm_score(h)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), d["mlm_labels"].reshape(-1))


def contrastive(img, txt, log_scale):
    i2t = log_scale.exp() * img @ txt.t()  # (B, B)
    truth = torch.arange(img.shape[0], device=img.device)
    return (F.cross_entropy(i2t, truth) + F.cross_entropy(i2t.t(), truth)) / 2, i2t


def hard_negatives(sim):
    """One negative column per row, drawn from softmax(row) with the diagonal zeroed."""
    w = F.softmax(sim.float(), dim=1)
    w.fill_diagonal_(0)
    w = w + 1e-12 * (w.sum(1, keepdim=True) == 0)
    return torch.multinomial(w, 1).squeeze(1)


def vl_loss(model, d, mlm_weight):
    images, ids, mask = d["images"], d["ids"], d["mask"]
    ii = model.infer_image(images)
    ti = model.infer_text(ids, mask)
    itc, i2t = contrastive(ii["itc"], ti["itc"], model.logit_scale)
    vl_itc, _ = contrastive(ii["itc_vl"], ti["itc_vl"], model.logit_vl_scale)
    itc = (itc + vl_itc) / 2
    with torch.no_grad():
        neg_img = hard_negatives(i2t.t())  # per text, an image
        neg_txt = hard_negatives(i2t)  # per image, a text
    ids3 = torch.cat([ids, ids, ids[neg_txt]])
    mask3 = torch.cat([mask, mask, mask[neg_txt]])
    img3 = torch.cat([images, images[neg_img], images])
    pooled = model.infer(ids3, mask3, img3)["pooled"]
    B = ids.shape[0]
    labels = torch.zeros(3 * B, dtype=torch.long, device=ids.device)
    labels[:B] = 1
    itm = F.cross_entropy(model.itm_score(pooled), labels)
    feats = model.infer(d["mlm_ids"], mask, images)["text_feats"]
    logits = model.mlm_score(feats)
    mlm = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), d["mlm_labels"].reshape(-1))
    return itc + itm + mlm_weight * mlm


# ------------------------------------------------------------------------------------------------
# workloads
# ------------------------------------------------------------------------------------------------


def inputs(model, B, a):
    """Random inputs of the workload's shapes, as the Java harness makes them."""
    cfg = model.cfg
    g = torch.Generator().manual_seed(int(a.get("seed", "7")))
    S, Nt = cfg.image_size, cfg.max_text_len
    lengths = torch.randint(Nt // 2, Nt + 1, (B,), generator=g)
    pos = torch.arange(Nt).expand(B, Nt)
    mask = (pos < lengths[:, None]).long()  # (B, Nt)
    ids = torch.randint(5, cfg.vocab_size, (B, Nt), generator=g) * mask
    ids[:, 0] = 2
    picked = (torch.rand(B, Nt, generator=g) < 0.15) & (mask == 1) & (pos > 0)
    labels = torch.where(picked, ids, torch.full_like(ids, -100))
    mlm_ids = torch.where(picked, torch.full_like(ids, 4), ids)
    patches = cfg.num_patches
    return {
        "images": torch.rand(B, 3, S, S, generator=g) * 2 - 1,
        "patch_mask": torch.rand(B, patches, generator=g) < float(a.get("maskRatio", "0.4")),
        "ids": ids,
        "mask": mask,
        "mlm_ids": mlm_ids,
        "mlm_labels": labels,
    }


def fp32_layer_norm(mod):
    def forward(x):
        return F.layer_norm(x.float(), mod.normalized_shape, mod.weight, mod.bias, mod.eps)

    return forward


# ------------------------------------------------------------------------------------------------
# the loader workload (no model)
# ------------------------------------------------------------------------------------------------


class JpegCaptions(torch.utils.data.Dataset):
    """The Java side's JPEGs (bytes held in memory) and captions: image tensor, ids, labels."""

    def __init__(self, folder, size, max_len):
        import io

        from PIL import Image
        from torchvision import transforms as T

        names = sorted(f for f in os.listdir(folder) if f.endswith(".jpg"))
        self.blobs = [open(os.path.join(folder, f), "rb").read() for f in names]
        with open(os.path.join(folder, "captions.txt")) as f:
            self.captions = f.read().splitlines()
        with open(os.path.join(folder, "vocab.txt")) as f:
            tokens = f.read().splitlines()
        self.ids = {t: i for i, t in enumerate(tokens)}
        self.unk, self.pad = self.ids["[UNK]"], self.ids["[PAD]"]
        self.cls, self.sep, self.mask = self.ids["[CLS]"], self.ids["[SEP]"], self.ids["[MASK]"]
        self.vocab = len(tokens)
        self.max_len = max_len
        self.open = lambda b: Image.open(io.BytesIO(b)).convert("RGB")
        bicubic = T.InterpolationMode.BICUBIC
        self.transform = T.Compose([
            T.RandomResizedCrop(size, scale=(0.5, 1.0), interpolation=bicubic),
            T.RandomHorizontalFlip(),
            T.RandAugment(2, 7),
            T.ToTensor(),
            T.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
        ])

    def __len__(self):
        return len(self.blobs)

    def __getitem__(self, i):
        image = self.transform(self.open(self.blobs[i]))
        words = self.captions[i].lower().split()[: self.max_len - 2]
        ids = torch.full((self.max_len,), self.pad, dtype=torch.long)
        real = [self.cls] + [self.ids.get(w, self.unk) for w in words] + [self.sep]
        ids[: len(real)] = torch.tensor(real)
        # MLM as BERT: 15% of the words, of those 80% [MASK], 10% a random token, 10% kept
        labels = torch.full_like(ids, -100)
        chosen = torch.zeros(self.max_len, dtype=torch.bool)
        chosen[1 : len(real) - 1] = torch.rand(len(real) - 2) < 0.15
        labels[chosen] = ids[chosen]
        draw = torch.rand(self.max_len)
        masked = ids.clone()
        masked[chosen & (draw < 0.8)] = self.mask
        swap = chosen & (draw >= 0.8) & (draw < 0.9)
        masked[swap] = torch.randint(self.vocab, (int(swap.sum()),))
        return image, masked, ids != self.pad, labels


class LoaderWorkload:
    """One repetition: one pass of a DataLoader over the JPEGs, as many worker processes as the
    Java side's loader threads (kept between passes, as its threads are)."""

    def __init__(self, a):
        import warnings

        try:
            import torchvision  # noqa: F401
            import PIL  # noqa: F401
        except ImportError as e:
            raise RuntimeError(
                "the loader workload needs torchvision and Pillow for this python: on Debian"
                " apt-get install python3-torchvision python3-pil (%s)" % e
            )
        warnings.filterwarnings("ignore", category=UserWarning, module="torchvision")
        data = JpegCaptions(a["files"], int(a["imageSize"]), int(a["maxTextLen"]))
        self.loader = torch.utils.data.DataLoader(
            data,
            batch_size=int(a["batch"]),
            shuffle=True,
            num_workers=int(a["workers"]),
            persistent_workers=True,
        )

    def run(self):
        n = 0
        for images, _, _, _ in self.loader:
            n += images.shape[0]
        return float(n)


class Workload:
    def __init__(self, a):
        self.a = a
        self.kind = a["kind"]
        torch.manual_seed(int(a.get("seed", "7")))
        # BENCH_DEVICE=cuda (the harness's --gpu) runs this side on the GPU too; the inputs are
        # drawn on the CPU, so both devices see the same values
        self.device = torch.device(os.environ.get("BENCH_DEVICE", "cpu"))
        self.model = build_model(a).to(self.device)
        self.B = int(a["batch"])
        self.data = {k: v.to(self.device) for k, v in inputs(self.model, self.B, a).items()}
        if self.kind.startswith("train"):
            self.model.train()
            trainable = set(a["trainable"].split(","))
            decays = set(a["decays"].split(",")) if a.get("decays") else set()
            named = dict(self.model.named_parameters())
            missing = trainable - set(named)
            if missing:
                raise ValueError("trainable names unknown to the PyTorch model: %s" % sorted(missing)[:5])
            for n, p in named.items():
                p.requires_grad_(n in trainable)
            groups = [
                {"params": [named[n] for n in named if n in trainable and n in decays], "weight_decay": float(a["weightDecay"])},
                {"params": [named[n] for n in named if n in trainable and n not in decays], "weight_decay": 0.0},
            ]
            self.params = [named[n] for n in named if n in trainable]
            self.opt = torch.optim.AdamW(
                groups, lr=float(a["lr"]), betas=(float(a["beta1"]), float(a["beta2"])), eps=1e-8
            )
            self.clip = float(a.get("clip", "0"))
            # the Java side's precision(BF16/FP16): torch.autocast around the forward pass
            self.amp = a.get("amp", "FP32")
            if self.amp == "FP16" and self.device.type == "cpu":
                raise ValueError(
                    "torch %s's CPU autocast runs bfloat16 only: use --precision BF16 on the CPU"
                    % torch.__version__
                )
            if self.amp == "BF16" and self.device.type == "cpu":
                # torch 1.13's CPU autocast leaves layer_norm out of its fp32 list, so a bf16
                # input meets fp32 weights and fails; norms run in fp32 (as on our side)
                for mod in self.model.modules():
                    if isinstance(mod, nn.LayerNorm):
                        mod.forward = fp32_layer_norm(mod)
        else:
            self.model.eval()
            for p in self.model.parameters():
                p.requires_grad_(False)

    def run(self):
        d, m = self.data, self.model
        k = self.kind
        if k.startswith("train"):
            self.opt.zero_grad(set_to_none=False)
            half = torch.float16 if self.amp == "FP16" else torch.bfloat16
            with torch.autocast(self.device.type, dtype=half, enabled=self.amp != "FP32"):
                if k == "train-mim":
                    loss = mim_loss(m, d)
                elif k == "train-mlm":
                    loss = mlm_loss(m, d)
                else:
                    loss = vl_loss(m, d, float(self.a["mlmWeight"]))
            loss.backward()
            # the Java engine computes the global gradient norm every step (and clips with it)
            norm = torch.nn.utils.clip_grad_norm_(
                self.params, self.clip if self.clip > 0 else float("inf")
            )
            if torch.isfinite(norm):
                self.opt.step()
            return float(loss)
        with torch.no_grad():
            if k == "infer-image":
                out = normalise(m.itc_image_proj(image_only(m, d["images"])[:, 0]))
            elif k == "infer-text":
                out = normalise(m.itc_text_proj(text_only(m, d["ids"], d["mask"])[:, 0]))
            elif k == "infer-pair":
                out = m.itm_score(m.infer(d["ids"], d["mask"], d["images"])["pooled"])
            elif k == "retrieve-dual":
                img = normalise(m.itc_image_proj(image_only(m, d["images"])[:, 0]))
                txt = normalise(m.itc_text_proj(text_only(m, d["ids"], d["mask"])[:, 0]))
                out = img @ txt.t()  # (N, M)
            elif k == "retrieve-fusion":
                N = self.B
                scores = []
                chunk = int(self.a.get("chunk", "64"))
                rows = torch.arange(N, device=self.device).repeat_interleave(N)  # image of each pair
                cols = torch.arange(N, device=self.device).repeat(N)  # text of each pair
                for s in range(0, N * N, chunk):
                    r, c = rows[s : s + chunk], cols[s : s + chunk]
                    pooled = m.infer(d["ids"][c], d["mask"][c], d["images"][r])["pooled"]
                    scores.append(m.itm_score(pooled)[:, 1])
                out = torch.cat(scores).reshape(N, N)
            else:
                raise ValueError("unknown workload kind " + k)
            return float(out.float().sum())


# ------------------------------------------------------------------------------------------------
# the line protocol
# ------------------------------------------------------------------------------------------------


def reset_peak_rss():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def peak_rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return -1


def main():
    threads = int(os.environ.get("BENCH_THREADS", "2"))
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    device = os.environ.get("BENCH_DEVICE", "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        print("error --gpu: torch %s here has no CUDA or sees no GPU; pass --python with a CUDA"
              " build of torch" % torch.__version__, flush=True)
        return
    name = torch.cuda.get_device_name(0) if device == "cuda" else "cpu"
    print("ok torch=%s threads=%d blas=%s device=%s" % (torch.__version__, torch.get_num_threads(),
          "mkl" if torch.backends.mkl.is_available() else "openblas", name.replace(" ", "_")), flush=True)
    w = None
    mats = {}
    for line in sys.stdin:
        parts = line.split()
        if not parts:
            continue
        cmd = parts[0]
        try:
            if cmd == "prepare":
                w = None
                reset_peak_rss()
                a = dict(p.split("=", 1) for p in parts[1:])
                w = LoaderWorkload(a) if a["kind"] == "load" else Workload(a)
                print("ok", flush=True)
            elif cmd == "run":
                t0 = time.perf_counter()
                check = w.run()
                dt = time.perf_counter() - t0
                print("ok seconds=%.6f check=%.6g rss_peak=%d" % (dt, check, peak_rss()), flush=True)
            elif cmd == "matmul":
                n = int(parts[1])
                if n not in mats:
                    mats.clear()
                    g = torch.Generator().manual_seed(1)
                    dev = torch.device(os.environ.get("BENCH_DEVICE", "cpu"))
                    mats[n] = tuple(torch.randn(n, n, generator=g).to(dev) for _ in range(2))
                a, b = mats[n]
                t0 = time.perf_counter()
                c = a @ b
                if c.is_cuda:
                    torch.cuda.synchronize()  # the product runs asynchronously on a GPU
                dt = time.perf_counter() - t0
                print("ok seconds=%.6f check=%.6g" % (dt, float(c[0, 0])), flush=True)
            elif cmd == "release":
                w = None
                print("ok", flush=True)
            elif cmd == "quit":
                print("ok", flush=True)
                return
            else:
                print("error unknown command " + cmd, flush=True)
        except Exception as e:  # report, keep serving; the trace goes to the worker's log
            traceback.print_exc(file=sys.stderr)
            msg = ("%s: %s" % (type(e).__name__, e)).replace("\n", " ")
            print("error " + msg, flush=True)


if __name__ == "__main__":
    main()
