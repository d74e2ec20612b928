"""Runs the upstream VLMo code (microsoft/unilm, vlmo/) next to vlmo_reference.py and compares.

    OPENBLAS_NUM_THREADS=2 /usr/bin/python3 tests/reference/check_against_upstream.py [GIT_DIR]

GIT_DIR is a clone (bare is fine) of microsoft/unilm (required).
The upstream files are read with `git show` and executed, not copied: multiway_transformer.py is
imported with small stand-ins for its timm / pytorch_lightning imports, and the methods
build_relative_position_embed, get_rel_pos_bias, infer, infer_text and infer_image are taken from
vlmo_module.py and bound to an object that holds the reference model's weights. The text
embeddings, token type embeddings and heads are the ones of vlmo_reference.py (upstream uses HF
BertEmbeddings, which is not installed here). Exits non-zero on any mismatch.
"""

import ast
import os
import subprocess
import sys
import textwrap
import types

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures  # noqa: E402
import vlmo_reference as ref  # noqa: E402


def git_show(git_dir: str, path: str) -> str:
    return subprocess.check_output(["git", "-C", git_dir, "show", f"HEAD:{path}"], text=True)


def install_stand_ins():
    """Minimal modules for the upstream imports that are not installed (no behaviour used)."""

    def module(name, **attrs):
        m = types.ModuleType(name)
        m.__dict__.update(attrs)
        sys.modules[name] = m
        return m

    def to_2tuple(x):
        return x if isinstance(x, tuple) else (x, x)

    module("timm")
    module("timm.models")
    module("timm.models.layers", DropPath=lambda p: nn.Identity(), to_2tuple=to_2tuple,
           trunc_normal_=lambda t, std=1.0: nn.init.normal_(t, std=std))
    module("timm.models.registry", register_model=lambda f: f)
    module("pytorch_lightning")
    module("pytorch_lightning.utilities")
    module("pytorch_lightning.utilities.distributed", rank_zero_info=lambda *a, **k: None)


def upstream_transformer_module(git_dir: str):
    src = git_show(git_dir, "vlmo/vlmo/modules/multiway_transformer.py")
    mod = types.ModuleType("upstream_multiway_transformer")
    exec(compile(src, "multiway_transformer.py", "exec"), mod.__dict__)
    return mod


def upstream_functions(src: str) -> dict:
    """Module-level helpers of vlmo_module.py (interpolate_pos_embed and friends)."""
    ns = {"torch": torch, "print": lambda *a, **k: None}
    for node in ast.parse(src).body:
        if isinstance(node, ast.FunctionDef):
            exec(compile(ast.get_source_segment(src, node), node.name, "exec"), ns)
    return {k: v for k, v in ns.items() if callable(v) and k not in ("torch", "print")}


def upstream_methods(git_dir: str, names):
    src = git_show(git_dir, "vlmo/vlmo/modules/vlmo_module.py")
    tree = ast.parse(src)
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "VLMo")
    import numpy as np
    from scipy import interpolate

    ns = {"torch": torch, "nn": nn, "F": F, "np": np, "interpolate": interpolate,
          "rank_zero_info": lambda *a, **k: None,
          "convert_to_textpt_ckpt": None, "convert_deepspeed_ckpt": None,
          "interpolate_pos_embed": None}
    ns.update(upstream_functions(src))
    out = {}
    for fn in cls.body:
        if isinstance(fn, ast.FunctionDef) and fn.name in names:
            code = textwrap.dedent(" " * fn.col_offset + ast.get_source_segment(src, fn))
            # CPU tensors report device -1, which .to() rejects; the call only moves devices.
            code = code.replace(".to(device=img.get_device())", "")
            exec(compile(code, f"vlmo_module.{fn.name}", "exec"), ns)
            out[fn.name] = ns[fn.name]
    return out


def close(name, a, b, tol=1e-5):
    diff = (a - b).abs().max().item()
    status = "ok" if diff <= tol else "MISMATCH"
    print(f"{status:8s} {name:40s} max abs diff {diff:.3g}")
    return diff <= tol


def check(git_dir: str, cfg: ref.VlmoConfig, seed: int) -> bool:
    torch.manual_seed(seed)
    ours = ref.Vlmo(cfg).eval()
    make_fixtures.randomise(ours, torch.Generator().manual_seed(seed))

    up = upstream_transformer_module(git_dir)
    config = {"loss_names": {"textmlm": 0}, "max_text_len": cfg.max_text_len,
              "drop_path_rate": 0.0, "max_text_len_of_initckpt": cfg.max_text_len_of_initckpt}
    transformer = up.MultiWayTransformer(
        img_size=cfg.image_size, patch_size=cfg.patch, embed_dim=cfg.hidden, depth=cfg.layers,
        num_heads=cfg.heads, mlp_ratio=cfg.mlp_ratio, qkv_bias=True,
        vlffn_start_layer_index=cfg.vl_start, use_abs_pos_emb=not cfg.relative_position,
        need_relative_position_embed=cfg.relative_position,
        layer_scale_init_values=cfg.layer_scale, config=config,
        norm_layer=lambda d: nn.LayerNorm(d, eps=1e-6)).eval()
    sd = {k[len("transformer."):]: v for k, v in ours.state_dict().items()
          if k.startswith("transformer.")}
    transformer.load_state_dict(sd, strict=True)

    methods = upstream_methods(git_dir, {"build_relative_position_embed", "get_rel_pos_bias",
                                         "infer", "infer_text", "infer_image"})
    Upstream = type("Upstream", (), methods)
    u = Upstream()
    u.transformer = transformer
    u.img_size, u.patch_size = cfg.image_size, cfg.patch
    u.num_layers, u.vlffn_start_layer_index = cfg.layers, cfg.vl_start
    u.build_relative_position_embed(config)
    ok = True
    if cfg.relative_position:
        for key in ref.INDEX_KEYS:
            mine, theirs = getattr(ours, key), getattr(u, key)
            same = torch.equal(mine, theirs) and mine.dtype == theirs.dtype
            print(f"{'ok' if same else 'MISMATCH':8s} {key} (dtype {theirs.dtype})")
            ok &= same
        u.relative_position_bias_table = ours.relative_position_bias_table
    u.text_embeddings = ours.text_embeddings
    u.token_type_embeddings = ours.token_type_embeddings
    u.pooler = ours.pooler
    for head in ("itc_text_proj", "itc_image_proj", "itc_vl_text_proj", "itc_vl_image_proj"):
        setattr(u, head, getattr(ours, head))

    ids, masks, pixels, pixels_1 = make_fixtures.make_inputs(
        cfg, cfg.image_size, torch.Generator().manual_seed(seed))
    images, images_1 = make_fixtures.pixels_to_images(pixels), make_fixtures.pixels_to_images(
        pixels_1)
    batch = {"text_ids": ids, "text_labels": ids, "text_masks": masks, "image": [images],
             "image_0": [images], "image_1": [images_1]}
    with torch.no_grad():
        ui, oi = u.infer_image({"image": [images]}), ours.infer_image(images)
        ok &= close("image itc", ui["cls_feats"], oi["itc"])
        ok &= close("image itc_vl", ui["cls_vlffn_feats"], oi["itc_vl"])
        ok &= close("image feats", ui["image_feats"], oi["feats"])
        ut, ot = u.infer_text(batch), ours.infer_text(ids, masks)
        ok &= close("text itc", ut["cls_feats"], ot["itc"])
        ok &= close("text itc_vl", ut["cls_vlffn_feats"], ot["itc_vl"])
        ok &= close("text feats", ut["text_feats"], ot["feats"])
        up_pair, our_pair = u.infer(batch), ours.infer(ids, masks, images)
        ok &= close("pair feats", torch.cat([up_pair["text_feats"], up_pair["image_feats"]], 1),
                    our_pair["feats"])
        ok &= close("pair pooled", up_pair["cls_feats"], our_pair["pooled"])
        if cfg.token_types == 3:
            u2 = u.infer(batch, image_token_type_idx=2)
            o2 = ours.infer(ids, masks, images_1, image_token_type=2)
            ok &= close("pair pooled, token type 2 (image_1)", u2["cls_feats"], o2["pooled"])
    return ok & check_resolution_change(git_dir, cfg, ours, up, config)


def check_resolution_change(git_dir, cfg, ours, up, config, new_size=48) -> bool:
    """Upstream load_pretrained_weight at another image size against ref.adapt_state_dict."""
    import tempfile

    path = os.path.join(tempfile.mkdtemp(), "ckpt.pt")
    torch.save(ours.state_dict(), path)
    run_cfg = make_fixtures.sizes_for(cfg, new_size)
    target = ref.Vlmo(run_cfg)
    transformer = up.MultiWayTransformer(
        img_size=new_size, patch_size=cfg.patch, embed_dim=cfg.hidden, depth=cfg.layers,
        num_heads=cfg.heads, mlp_ratio=cfg.mlp_ratio, qkv_bias=True,
        vlffn_start_layer_index=cfg.vl_start, use_abs_pos_emb=not cfg.relative_position,
        need_relative_position_embed=cfg.relative_position,
        layer_scale_init_values=cfg.layer_scale, config=config)
    methods = upstream_methods(git_dir, {"load_pretrained_weight", "build_relative_position_embed"})
    methods["__module__"] = "upstream"
    Upstream = type("UpstreamLoader", (), methods)
    u = Upstream()
    u.transformer = transformer
    u.img_size, u.patch_size, u.num_layers = new_size, cfg.patch, cfg.layers
    u.build_relative_position_embed(config)
    u.hparams = types.SimpleNamespace(config=dict(
        config, load_path=path, test_only=False, loss_names={"textmlm": 0}))
    captured = {}
    u.load_state_dict = lambda sd, strict: captured.update(sd) or ([], [])
    u.load_pretrained_weight()
    mine = ref.adapt_state_dict(target, torch.load(path))
    ok = True
    for key in ("relative_position_bias_table", "transformer.pos_embed"):
        if key in mine:
            ok &= close(f"{key} at {new_size}", captured[key], mine[key], tol=0.0)
    return ok


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: check_against_upstream.py GIT_DIR (a clone of microsoft/unilm)")
    git_dir = sys.argv[1]
    torch.set_num_threads(1)
    install_stand_ins()
    ok = True
    for name, cfg, seed in (("a", make_fixtures.config_a(), 1), ("b", make_fixtures.config_b(), 2)):
        print(f"config {name}")
        ok &= check(git_dir, cfg, seed)
    print("all match" if ok else "MISMATCHES")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
