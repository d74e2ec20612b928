"""Writes the parity and checkpoint-reader fixtures under tests/reference/fixtures/.

    OPENBLAS_NUM_THREADS=2 /usr/bin/python3 tests/reference/make_fixtures.py [--out DIR]

Everything is seeded; see README.md in this folder for what each file holds.
"""

import argparse
import io
import json
import math
import os
import sys
import zipfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vlmo_reference as ref  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CLS, SEP, PAD = 2, 3, 0
TEXT_LENGTHS = [12, 7, 4]  # one unpadded text, two padded ones (max_text_len 12)


def config_a() -> ref.VlmoConfig:
    """Relative positions, layer scale 0.1, VL layers; NLVR2 checkpoint with 3 token types."""
    return ref.VlmoConfig(
        hidden=32, heads=4, layers=3, vl_start=1, mlp_ratio=4, patch=8, image_size=32,
        max_text_len=12, max_text_len_of_initckpt=16, vocab_size=100, relative_position=True,
        layer_scale=0.1, token_types=3, vqa_labels=10, index_buffers=True,
    )


def config_b() -> ref.VlmoConfig:
    """Absolute positions, no layer scale (base_plus-like); checkpoint with 2 token types."""
    return ref.VlmoConfig(
        hidden=32, heads=4, layers=3, vl_start=1, mlp_ratio=4, patch=8, image_size=32,
        max_text_len=12, max_text_len_of_initckpt=16, vocab_size=100, relative_position=False,
        layer_scale=None, token_types=2, vqa_labels=10, index_buffers=False,
    )


def randomise(model: ref.Vlmo, gen: torch.Generator) -> None:
    """Non-trivial weights: N(0, 0.2) everywhere, LayerNorm weights ~1, gammas ~0.1."""
    norm_weights = {f"{n}.weight" for n, m in model.named_modules() if isinstance(m, torch.nn.LayerNorm)}
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=gen)
            if "gamma_" in name:
                p.copy_(0.1 + 0.02 * noise)
            elif name in norm_weights:
                p.copy_(1.0 + 0.2 * noise)
            elif name == "relative_position_bias_table":
                p.copy_(0.5 * noise)
            elif name in ("logit_scale", "logit_vl_scale"):
                p.copy_(math.log(1 / 0.07) + 0.3 * noise)
            else:
                p.copy_(0.2 * noise)


def make_inputs(cfg: ref.VlmoConfig, image_size: int, gen: torch.Generator):
    B = len(TEXT_LENGTHS)
    ids = torch.full((B, cfg.max_text_len), PAD, dtype=torch.long)
    masks = torch.zeros((B, cfg.max_text_len), dtype=torch.long)
    for b, n in enumerate(TEXT_LENGTHS):
        ids[b, 0] = CLS
        ids[b, 1 : n - 1] = torch.randint(5, cfg.vocab_size, (n - 2,), generator=gen)
        ids[b, n - 1] = SEP
        masks[b, :n] = 1
    # Pixels on a 1/128 grid so that pixels_to_images is exact in any float32 arithmetic.
    pixels = torch.randint(0, 256, (B, 3, image_size, image_size), generator=gen, dtype=torch.uint8)
    pixels_1 = torch.randint(0, 256, (B, 3, image_size, image_size), generator=gen,
                             dtype=torch.uint8)
    return ids, masks, pixels, pixels_1


def pixels_to_images(pixels: torch.Tensor) -> torch.Tensor:
    """uint8 (B, 3, S, S) to the model input (pixels - 128) / 128, exact in float32."""
    return (pixels.float() - 128) / 128


@torch.no_grad()
def expected_outputs(model: ref.Vlmo, ids, masks, pixels, pixels_1, full: bool,
                     image_only: bool = False) -> dict:
    images, images_1 = pixels_to_images(pixels), pixels_to_images(pixels_1)
    img = model.infer_image(images)
    out = {
        "text_ids": ids,
        "text_masks": masks,
        "image_pixels": pixels,
        "image_pixels_1": pixels_1,
        "image_itc": img["itc"],
        "image_itc_vl": img["itc_vl"],
    }
    if not image_only:
        txt = model.infer_text(ids, masks)
        pair = model.infer(ids, masks, images)
        nl = model.nlvr2(ids, masks, images, images_1)
        out.update({
            "text_itc": txt["itc"],
            "text_itc_vl": txt["itc_vl"],
            "itc_logits": model.logit_scale.exp() * img["itc"] @ txt["itc"].t(),
            "itc_vl_logits": model.logit_vl_scale.exp() * img["itc_vl"] @ txt["itc_vl"].t(),
            "pooled": pair["pooled"],
            "itm_logits": model.itm_score(pair["pooled"]),
            "mlm_logits": model.mlm_score(pair["text_feats"]),
            "vqa_logits": model.vqa_classifier(pair["pooled"]),
            "nlvr2_pooled_1": nl["pooled_1"],
            "nlvr2_pooled_2": nl["pooled_2"],
            "nlvr2_logits": nl["logits"],
            "token_type_embeddings": model.token_type_embeddings.weight,
        })
    if full:
        out.update({
            "image_embeds": img["embeds"],
            "image_feats": img["feats"],
            "image_vl_feats": img["vl_feats"],
            "text_embeds": txt["embeds"],
            "text_feats": txt["feats"],
            "text_vl_feats": txt["vl_feats"],
            "pair_feats": pair["feats"],
        })
    if model.relative_position_bias_table is not None:
        out["relative_position_bias_table"] = model.relative_position_bias_table
        for key in ref.INDEX_KEYS:
            out[key] = getattr(model, key)
    else:
        out["pos_embed"] = model.transformer.pos_embed
    return {k: v.detach().clone().contiguous() for k, v in out.items()}


def describe(tensors: dict) -> dict:
    return {k: {"dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape)}
            for k, v in tensors.items()}


def sizes_for(cfg: ref.VlmoConfig, image_size: int) -> ref.VlmoConfig:
    d = cfg.to_dict()
    d["image_size"] = image_size
    return ref.VlmoConfig(**d)


def build_model_fixtures(name: str, cfg: ref.VlmoConfig, seed: int, run_sizes, out_dir: str,
                         nlvr2_token_types: int, image_only=()) -> dict:
    gen = torch.Generator().manual_seed(seed)
    model = ref.Vlmo(cfg).eval()
    randomise(model, gen)
    if cfg.token_types == 2 and nlvr2_token_types == 3:
        nlvr2_note = "NLVR2 runs use token_type_embeddings expanded to 3 rows, row 2 copied from row 1"
    else:
        nlvr2_note = "NLVR2 runs use the checkpoint's 3 token type rows (row 2 differs from row 1)"
    state = model.state_dict()
    ckpt_file = f"{name}.pt"
    torch.save(state, os.path.join(out_dir, ckpt_file))

    cases = []
    for size in run_sizes:
        run_cfg = sizes_for(cfg, size)
        run_cfg.token_types = nlvr2_token_types
        run_model = ref.Vlmo(run_cfg).eval()
        ckpt = torch.load(os.path.join(out_dir, ckpt_file))
        ref.load_into(run_model, ckpt)
        igen = torch.Generator().manual_seed(seed * 100 + size)
        ids, masks, pixels, pixels_1 = make_inputs(cfg, size, igen)
        io_tensors = expected_outputs(run_model, ids, masks, pixels, pixels_1,
                                      full=size == cfg.image_size, image_only=size in image_only)
        case_name = name if size == cfg.image_size else f"{name}_res{size}"
        io_file = f"{case_name}_io.pt"
        torch.save(io_tensors, os.path.join(out_dir, io_file))
        case = {
            "name": case_name,
            "image_size": size,
            "io": io_file,
            "text_lengths": TEXT_LENGTHS,
            "image_token_type": 1,
            "images": "images = (image_pixels.float() - 128) / 128, likewise images_1",
            "outputs": "image-only ITC embeddings" if size in image_only else "all heads",
            "nlvr2": nlvr2_note,
            "tensors": describe(io_tensors),
        }
        if size != cfg.image_size and cfg.relative_position:
            src = 2 * cfg.window - 1
            dst = 2 * run_cfg.window - 1
            case["relative_table_interpolation"] = {
                "src_grid": src,
                "dst_grid": dst,
                "q": ref.geometric_ratio(src // 2, dst // 2),
                "source_positions": ref.source_positions(src, dst),
                "target_positions": [float(v) for v in range(-(dst // 2), dst // 2 + 1)],
            }
            try:
                table = ckpt["relative_position_bias_table"]
                rows = run_model.relative_position_bias_table.shape[0]
                via_scipy = ref.interpolate_relative_table_scipy(table, rows, run_cfg.window)
                ours = ref.interpolate_relative_table(table, rows, run_cfg.window)
                case["relative_table_interpolation"]["max_abs_diff_vs_scipy_interp2d"] = float(
                    (via_scipy - ours).abs().max())
            except ImportError:
                pass
        if size != cfg.image_size and not cfg.relative_position:
            case["pos_embed_interpolation"] = "bicubic, align_corners=False, cls row kept"
        cases.append(case)

    doc = {
        "config": cfg.to_dict(),
        "derived": {
            "window": cfg.window,
            "num_patches": cfg.num_patches,
            "special_tokens": {"cls": CLS, "sep": SEP, "pad": PAD},
            "transformer_layernorm_eps": ref.TRANSFORMER_LN_EPS,
            "bert_layernorm_eps": ref.BERT_LN_EPS,
            "classifier_layernorm_eps": 1e-5,
        },
        "checkpoint": ckpt_file,
        "checkpoint_tensors": describe(state),
        "cases": cases,
    }
    if cfg.relative_position:
        layout = ref.relative_position_layout(cfg)
        doc["derived"]["num_relative_distance"] = layout["num_relative_distance"]
        doc["derived"]["all_num_relative_distance"] = layout["all_num_relative_distance"]
    with open(os.path.join(out_dir, f"{name}.json"), "w") as f:
        json.dump(doc, f, indent=1)
    return doc


# ------------------------------------------------------------------------------------------------
# Reader fixtures
# ------------------------------------------------------------------------------------------------


def values_of(t: torch.Tensor):
    flat = t.reshape(-1)
    if t.dtype.is_floating_point:
        vals = []
        for v in flat.float().tolist():
            if math.isinf(v):
                vals.append("inf" if v > 0 else "-inf")
            elif v == 0 and math.copysign(1.0, v) < 0:
                vals.append("-0.0")
            else:
                vals.append(v)
        return vals
    return [int(v) for v in flat.tolist()]


def expected_entry(t: torch.Tensor) -> dict:
    return {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape),
            "values": values_of(t.contiguous())}


def rewrite_zip(src: str, dst: str, change) -> None:
    """Copies a zip record by record; change(name, data) returns new bytes or None to drop."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            data = change(info.filename, zin.read(info.filename))
            if data is not None:
                zout.writestr(info.filename, data)


def build_reader_fixtures(out_dir: str) -> dict:
    gen = torch.Generator().manual_seed(7)
    base = {
        "layer.weight": torch.randn(3, 4, generator=gen),
        "layer.bias": torch.randn(4, generator=gen),
        "scalar": torch.tensor(1.5),
        "empty": torch.zeros(0, 3),
        "position_ids": torch.arange(5).expand((1, -1)),
    }
    expected = {}

    def save(name, obj, entries):
        torch.save(obj, os.path.join(out_dir, name))
        expected[name] = {k: expected_entry(v) for k, v in entries.items()}

    save("reader_fp32.pt", base, base)

    half_special = torch.tensor([0.0, -0.0, 1.0, -2.5, 65504.0, 6e-8, float("inf"), float("-inf")])
    fp16 = {k: (v.half() if v.is_floating_point() else v) for k, v in base.items()}
    fp16["special"] = half_special.half()
    save("reader_fp16.pt", fp16, fp16)

    bf16_special = torch.tensor([0.0, -0.0, 1.0, -2.5, 3.3895314e38, 9.2e-41, float("inf"),
                                 float("-inf")])
    bf16 = {k: (v.bfloat16() if v.is_floating_point() else v) for k, v in base.items()}
    bf16["special"] = bf16_special.bfloat16()
    save("reader_bf16.pt", bf16, bf16)

    grid = torch.randn(4, 6, generator=gen)
    other = torch.randn(10, generator=gen)
    views = {
        "whole": grid,
        "transposed": grid.t(),  # strides (1, 6)
        "slice": grid[1:3, 2:5],  # storage offset 8, strides (6, 1)
        "row": grid[2],  # offset 12, shares the storage of "whole"
        "column": grid[:, 1],  # stride 6
        "broadcast": torch.randn(1, 3, generator=gen).expand(4, 3),  # stride 0
        "tail": other[4:],  # offset 4 into a second storage
        "other": other,
    }
    save("reader_views.pt", views, views)

    dtypes = {
        "f64": torch.tensor([1.0 / 3.0, -2.0, 1e-3], dtype=torch.float64),
        "i32": torch.tensor([-7, 0, 2147483647], dtype=torch.int32),
        "i16": torch.tensor([-300, 12], dtype=torch.int16),
        "i8": torch.tensor([-128, 127], dtype=torch.int8),
        "u8": torch.tensor([0, 255], dtype=torch.uint8),
        "flag": torch.tensor([True, False, True]),
    }
    save("reader_dtypes.pt", dtypes, dtypes)  # expected floats are float32, bools 0/1

    save("reader_wrapped_state_dict.pt",
         {"state_dict": base, "epoch": 3, "hyper_parameters": {"lr": 1e-4, "name": "vlmo"}}, base)
    save("reader_wrapped_model.pt", {"model": base, "args": [1, 2, 3]}, base)
    save("reader_wrapped_module.pt",
         {"module": {"module." + k: v for k, v in base.items()}, "global_steps": 10}, base)

    with open(os.path.join(out_dir, "reader_expected.json"), "w") as f:
        json.dump(expected, f, indent=1)

    # --- bad inputs ---
    small = {"w": torch.randn(4, 4, generator=gen), "b": torch.randn(4, generator=gen)}
    good = os.path.join(out_dir, "bad_source.tmp")
    torch.save(small, good)
    with open(os.path.join(out_dir, "bad_not_zip.pt"), "w") as f:
        f.write("this is a text file, not a checkpoint\n")
    with zipfile.ZipFile(os.path.join(out_dir, "bad_no_data_pkl.pt"), "w") as z:
        z.writestr("archive/readme.txt", "a zip archive without data.pkl\n")
    rewrite_zip(good, os.path.join(out_dir, "bad_short_storage.pt"),
                lambda n, d: d[:32] if n.endswith("/data/0") else d)
    rewrite_zip(good, os.path.join(out_dir, "bad_missing_record.pt"),
                lambda n, d: None if n.endswith("/data/1") else d)
    rewrite_zip(good, os.path.join(out_dir, "bad_corrupt_pickle.pt"),
                lambda n, d: d[:20] + b"\xff\xfe\xfd" * 8 + d[44:] if n.endswith("data.pkl")
                else d)
    # A byte flipped inside a storage record without fixing the zip's CRC.
    with open(good, "rb") as f:
        raw = bytearray(f.read())
    with zipfile.ZipFile(good) as z:
        info = next(i for i in z.infolist() if i.filename.endswith("/data/0"))
    start = info.header_offset + 30 + len(info.filename.encode()) + len(
        _local_extra(raw, info.header_offset))
    raw[start + 5] ^= 0x40
    with open(os.path.join(out_dir, "bad_crc.pt"), "wb") as f:
        f.write(raw)
    # A storage declaring 8 elements (and holding 8) under a 4x4 view.
    def declare_eight(name, data):
        if name.endswith("data.pkl"):
            pattern = b"X\x03\x00\x00\x00cpuq\x06K\x10t"  # ..., 'cpu', 16)
            assert data.count(pattern) == 1, "unexpected pickle layout"
            return data.replace(pattern, pattern[:-2] + b"\x08t")
        return data[:32] if name.endswith("/data/0") else data

    rewrite_zip(good, os.path.join(out_dir, "bad_view_out_of_bounds.pt"), declare_eight)
    os.remove(good)
    torch.save({"ok": torch.ones(2), "complex.weight": torch.ones(2, 2, dtype=torch.complex64)},
               os.path.join(out_dir, "bad_unsupported_dtype.pt"))
    torch.save({"ok": torch.ones(2)}, os.path.join(out_dir, "bad_legacy.pt"),
               _use_new_zipfile_serialization=False)
    torch.save([torch.ones(2), 3], os.path.join(out_dir, "bad_not_state_dict.pt"))
    torch.save({"w": torch.ones(2), "step": 7}, os.path.join(out_dir, "bad_non_tensor_value.pt"))
    return expected


def _local_extra(raw: bytearray, header_offset: int) -> bytes:
    name_len = int.from_bytes(raw[header_offset + 26: header_offset + 28], "little")
    extra_len = int.from_bytes(raw[header_offset + 28: header_offset + 30], "little")
    start = header_offset + 30 + name_len
    return bytes(raw[start: start + extra_len])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=os.path.join(HERE, "fixtures"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(0)
    torch.set_num_threads(1)
    build_model_fixtures("vlmo_a", config_a(), seed=1, run_sizes=[32, 48, 40], out_dir=args.out,
                         nlvr2_token_types=3, image_only=(40,))
    build_model_fixtures("vlmo_b", config_b(), seed=2, run_sizes=[32, 48], out_dir=args.out,
                         nlvr2_token_types=3)
    build_reader_fixtures(args.out)
    total = sum(os.path.getsize(os.path.join(args.out, f)) for f in os.listdir(args.out))
    print(f"wrote {len(os.listdir(args.out))} files, {total} bytes, to {args.out}")


if __name__ == "__main__":
    main()
