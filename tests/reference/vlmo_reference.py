"""A compact PyTorch reference of the VLMo forward pass, its heads and its checkpoint surgery.

Written from docs/vlmo-reference.md and the reference implementation (microsoft/unilm, folder
vlmo/): parameter names equal the reference's state-dict keys, the relative position index layout
is the reference's, and the resolution change on load follows the reference's loader (BEiT's
geometric-progression + bicubic spline scheme for the relative table, bicubic interpolation for
the absolute position embedding). Needs only torch (no timm, transformers or scipy).

Dimension letters in shape comments: B batch, T tokens, D hidden, H heads, L layers,
V vocabulary, Nt text length (max_text_len), Ni image tokens (patches + 1).
"""

import math
from dataclasses import asdict, dataclass
from typing import Dict, List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

TRANSFORMER_LN_EPS = 1e-6
BERT_LN_EPS = 1e-12


@dataclass
class VlmoConfig:
    """The numbers that define one VLMo model."""

    hidden: int = 768
    heads: int = 12
    layers: int = 12
    vl_start: int = 10  # index of the first layer with the vision-language expert
    mlp_ratio: int = 4
    patch: int = 16
    image_size: int = 224
    max_text_len: int = 40
    max_text_len_of_initckpt: int = 196
    vocab_size: int = 30522
    relative_position: bool = True  # False: absolute pos_embed (base_plus)
    layer_scale: Optional[float] = 0.1  # None: no gamma_1 / gamma_2 (base_plus)
    token_types: int = 2  # 3 for NLVR2
    vqa_labels: int = 3129
    index_buffers: bool = True  # official relative-position checkpoints carry the index tensors

    @property
    def window(self) -> int:
        return self.image_size // self.patch

    @property
    def num_patches(self) -> int:
        return self.window * self.window

    def to_dict(self) -> dict:
        return asdict(self)


# ------------------------------------------------------------------------------------------------
# Multiway Transformer
# ------------------------------------------------------------------------------------------------


class Mlp(nn.Module):
    """One feed-forward expert: fc1, exact GELU, fc2."""

    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class Attention(nn.Module):
    """Shared self-attention: qkv without bias plus q_bias and v_bias (k has none)."""

    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.q_bias = nn.Parameter(torch.zeros(dim))
        self.v_bias = nn.Parameter(torch.zeros(dim))
        self.qkv = nn.Linear(dim, dim * 3, bias=False)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x, mask, rel_bias):
        B, T, D = x.shape
        bias = torch.cat((self.q_bias, torch.zeros_like(self.v_bias), self.v_bias))
        qkv = F.linear(x, self.qkv.weight, bias)  # (B, T, 3D)
        qkv = qkv.reshape(B, T, 3, self.heads, D // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]  # (B, H, T, D/H)
        attn = (q * self.scale).float() @ k.float().transpose(-2, -1)  # (B, H, T, T)
        if rel_bias is not None:
            attn = attn + rel_bias.unsqueeze(0)  # rel_bias (H, T, T)
        if mask is not None:
            attn = attn.masked_fill(~mask.bool()[:, None, None, :], float("-inf"))
        attn = attn.softmax(dim=-1).type_as(x)
        x = (attn @ v).transpose(1, 2).reshape(B, T, D)  # (B, T, D)
        return self.proj(x)


class Block(nn.Module):
    """Pre-LN Multiway block: shared attention, then the expert chosen by the mode."""

    def __init__(self, cfg: VlmoConfig, with_vl: bool):
        super().__init__()
        D = cfg.hidden
        if cfg.layer_scale is not None:
            self.gamma_1 = nn.Parameter(cfg.layer_scale * torch.ones(D))
            self.gamma_2 = nn.Parameter(cfg.layer_scale * torch.ones(D))
        else:
            self.gamma_1 = None
            self.gamma_2 = None
        self.norm1 = nn.LayerNorm(D, eps=TRANSFORMER_LN_EPS)
        self.attn = Attention(D, cfg.heads)
        self.norm2_text = nn.LayerNorm(D, eps=TRANSFORMER_LN_EPS)
        self.norm2_imag = nn.LayerNorm(D, eps=TRANSFORMER_LN_EPS)
        self.mlp_text = Mlp(D, D * cfg.mlp_ratio)
        self.mlp_imag = Mlp(D, D * cfg.mlp_ratio)
        if with_vl:
            self.mlp_vl = Mlp(D, D * cfg.mlp_ratio)
            self.norm2_vl = nn.LayerNorm(D, eps=TRANSFORMER_LN_EPS)
        else:
            self.mlp_vl = None
            self.norm2_vl = None
        self.max_text_len = cfg.max_text_len

    def _scale(self, gamma, y):
        return y if gamma is None else gamma * y

    def forward(self, x, mask, mode: str, rel_bias):
        x = x + self._scale(self.gamma_1, self.attn(self.norm1(x), mask, rel_bias))
        if mode == "image":
            x = x + self._scale(self.gamma_2, self.mlp_imag(self.norm2_imag(x)))
        elif mode == "text":
            x = x + self._scale(self.gamma_2, self.mlp_text(self.norm2_text(x)))
        elif self.mlp_vl is None:  # pair mode below the VL start: split at max_text_len
            xt, xi = x[:, : self.max_text_len], x[:, self.max_text_len :]
            xt = xt + self._scale(self.gamma_2, self.mlp_text(self.norm2_text(xt)))
            xi = xi + self._scale(self.gamma_2, self.mlp_imag(self.norm2_imag(xi)))
            x = torch.cat([xt, xi], dim=1)
        else:  # "vl" on a block that has the vision-language expert
            x = x + self._scale(self.gamma_2, self.mlp_vl(self.norm2_vl(x)))
        return x


class PatchEmbed(nn.Module):
    def __init__(self, cfg: VlmoConfig):
        super().__init__()
        self.proj = nn.Conv2d(3, cfg.hidden, kernel_size=cfg.patch, stride=cfg.patch)

    def forward(self, x):
        return self.proj(x)  # (B, D, W, W)


class MultiwayTransformer(nn.Module):
    def __init__(self, cfg: VlmoConfig):
        super().__init__()
        D = cfg.hidden
        self.cls_token = nn.Parameter(torch.zeros(1, 1, D))
        if cfg.relative_position:
            self.pos_embed = None
        else:
            self.pos_embed = nn.Parameter(torch.zeros(1, cfg.num_patches + 1, D))
        self.patch_embed = PatchEmbed(cfg)
        self.blocks = nn.ModuleList([Block(cfg, i >= cfg.vl_start) for i in range(cfg.layers)])
        self.norm = nn.LayerNorm(D, eps=TRANSFORMER_LN_EPS)

    def visual_embed(self, images):
        x = self.patch_embed(images).flatten(2).transpose(1, 2)  # (B, W*W, D)
        x = torch.cat((self.cls_token.expand(x.shape[0], -1, -1), x), dim=1)  # (B, Ni, D)
        if self.pos_embed is not None:
            x = x + self.pos_embed
        return x


# ------------------------------------------------------------------------------------------------
# Text embeddings and heads
# ------------------------------------------------------------------------------------------------


class BertEmbeddings(nn.Module):
    """HF BertEmbeddings for token type 0; positions are added only in the absolute variant."""

    def __init__(self, cfg: VlmoConfig):
        super().__init__()
        D = cfg.hidden
        self.absolute = not cfg.relative_position
        self.register_buffer("position_ids", torch.arange(cfg.max_text_len).expand((1, -1)))
        self.word_embeddings = nn.Embedding(cfg.vocab_size, D)
        self.position_embeddings = nn.Embedding(cfg.max_text_len, D)
        self.token_type_embeddings = nn.Embedding(2, D)
        self.LayerNorm = nn.LayerNorm(D, eps=BERT_LN_EPS)

    def forward(self, ids):
        T = ids.shape[1]
        x = self.word_embeddings(ids) + self.token_type_embeddings(torch.zeros_like(ids))
        if self.absolute:
            x = x + self.position_embeddings(self.position_ids[:, :T])
        return self.LayerNorm(x)  # (B, T, D)


class Pooler(nn.Module):
    def __init__(self, D):
        super().__init__()
        self.dense = nn.Linear(D, D)

    def forward(self, x):
        return torch.tanh(self.dense(x[:, 0]))  # (B, D)


class LinearHead(nn.Module):
    """A head holding one linear layer named fc (ITM with bias, ITC projections without)."""

    def __init__(self, D, out, bias):
        super().__init__()
        self.fc = nn.Linear(D, out, bias=bias)

    def forward(self, x):
        return self.fc(x)


class MlmTransform(nn.Module):
    def __init__(self, D):
        super().__init__()
        self.dense = nn.Linear(D, D)
        self.LayerNorm = nn.LayerNorm(D, eps=BERT_LN_EPS)

    def forward(self, x):
        return self.LayerNorm(F.gelu(self.dense(x)))


class MlmHead(nn.Module):
    def __init__(self, D, V):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(V))
        self.transform = MlmTransform(D)
        self.decoder = nn.Linear(D, V, bias=False)

    def forward(self, x):
        return self.decoder(self.transform(x)) + self.bias  # (B, T, V)


def classifier(d_in: int, d_hidden: int, d_out: int) -> nn.Sequential:
    """VQA / NLVR2 head: Linear, LayerNorm (eps 1e-5), GELU, Linear."""
    return nn.Sequential(
        nn.Linear(d_in, d_hidden), nn.LayerNorm(d_hidden), nn.GELU(), nn.Linear(d_hidden, d_out)
    )


# ------------------------------------------------------------------------------------------------
# Relative position index (exactly the reference's build_relative_position_embed)
# ------------------------------------------------------------------------------------------------


def relative_position_layout(cfg: VlmoConfig) -> Dict[str, object]:
    """Row counts of the shared table and the three index tensors of the reference.

    Table rows: (2W-1)^2 image distances, then image cls-to-token, token-to-cls, cls-to-cls
    (num_relative_distance = (2W-1)^2 + 3), then text-to-image, image-to-text, then
    2 * max_text_len_of_initckpt - 3 text distances, and text cls-to-token, token-to-cls,
    cls-to-cls as the last three rows.
    """
    W = cfg.window
    num_rel = (2 * W - 1) * (2 * W - 1) + 3
    all_rel = num_rel + 2 * cfg.max_text_len_of_initckpt + 2

    coords = torch.stack(torch.meshgrid([torch.arange(W), torch.arange(W)], indexing="ij"))
    flat = torch.flatten(coords, 1)  # (2, W*W)
    rel = (flat[:, :, None] - flat[:, None, :]).permute(1, 2, 0).contiguous()  # (W*W, W*W, 2)
    rel[:, :, 0] += W - 1
    rel[:, :, 1] += W - 1
    rel[:, :, 0] *= 2 * W - 1
    image_index = torch.zeros((W * W + 1,) * 2, dtype=rel.dtype)
    image_index[1:, 1:] = rel.sum(-1)
    image_index[0, 0:] = num_rel - 3
    image_index[0:, 0] = num_rel - 2
    image_index[0, 0] = num_rel - 1

    Nt = cfg.max_text_len
    pos = torch.arange(Nt - 1)
    text_rel = pos.unsqueeze(-2) - pos.unsqueeze(-1)  # [i, j] = j - i
    text_rel = text_rel - int(2 - cfg.max_text_len_of_initckpt)
    text_rel += num_rel + 2
    text_index = torch.zeros((Nt, Nt), dtype=rel.dtype)
    text_index[1:, 1:] = text_rel
    text_index[0, 0:] = all_rel - 3
    text_index[0:, 0] = all_rel - 2
    text_index[0, 0] = all_rel - 1

    Ni = W * W + 1
    text2imag = torch.ones(Nt, Ni) * num_rel  # float, as in the reference
    imag2text = torch.ones(Ni, Nt) * (num_rel + 1)
    pair_index = torch.cat(
        (torch.cat((text_index, text2imag), 1), torch.cat((imag2text, image_index), 1)), 0
    )  # float32 by type promotion, as in the reference's checkpoints
    return {
        "num_relative_distance": num_rel,
        "all_num_relative_distance": all_rel,
        "relative_position_index": image_index,
        "text_relative_position_index": text_index,
        "text_imag_relative_position_index": pair_index,
    }


# ------------------------------------------------------------------------------------------------
# The model
# ------------------------------------------------------------------------------------------------


class Vlmo(nn.Module):
    """VLMo with every head; parameter names are the reference's state-dict keys."""

    def __init__(self, cfg: VlmoConfig):
        super().__init__()
        if not 1 <= cfg.vl_start <= cfg.layers:
            raise ValueError("vl_start must be in [1, layers]")
        self.cfg = cfg
        D = cfg.hidden
        self.transformer = MultiwayTransformer(cfg)
        if cfg.relative_position:
            layout = relative_position_layout(cfg)
            self.relative_position_bias_table = nn.Parameter(
                torch.zeros(layout["all_num_relative_distance"], cfg.heads * cfg.layers)
            )
            for name in (
                "relative_position_index",
                "text_relative_position_index",
                "text_imag_relative_position_index",
            ):
                self.register_buffer(name, layout[name], persistent=cfg.index_buffers)
        else:
            self.relative_position_bias_table = None
            self.relative_position_index = None
            self.text_relative_position_index = None
            self.text_imag_relative_position_index = None
        self.text_embeddings = BertEmbeddings(cfg)
        self.token_type_embeddings = nn.Embedding(cfg.token_types, D)
        self.pooler = Pooler(D)
        self.mlm_score = MlmHead(D, cfg.vocab_size)
        self.itm_score = LinearHead(D, 2, bias=True)
        self.itc_text_proj = LinearHead(D, D, bias=False)
        self.itc_image_proj = LinearHead(D, D, bias=False)
        self.itc_vl_text_proj = LinearHead(D, D, bias=False)
        self.itc_vl_image_proj = LinearHead(D, D, bias=False)
        self.logit_scale = nn.Parameter(torch.ones([]) * math.log(1 / 0.07))
        self.logit_vl_scale = nn.Parameter(torch.ones([]) * math.log(1 / 0.07))
        self.vqa_classifier = classifier(D, 2 * D, cfg.vqa_labels)
        self.nlvr2_classifier = classifier(2 * D, 2 * D, 2)

    # -- relative position bias -----------------------------------------------------------------

    def rel_pos_bias(self, index) -> List[Optional[torch.Tensor]]:
        """Per-layer bias (H, T, T) gathered from the shared table; layer i uses columns iH..iH+H-1."""
        if self.relative_position_bias_table is None:
            return [None] * self.cfg.layers
        bias = F.embedding(index.long(), self.relative_position_bias_table)  # (T, T, H*L)
        bias = bias.permute(2, 0, 1).contiguous()  # (H*L, T, T)
        return list(torch.chunk(bias, self.cfg.layers, dim=0))

    # -- embeddings -----------------------------------------------------------------------------

    def image_embeds(self, images, token_type: int = 1):
        x = self.transformer.visual_embed(images)  # (B, Ni, D)
        return x + self.token_type_embeddings.weight[token_type]

    def text_embeds(self, ids):
        return self.text_embeddings(ids) + self.token_type_embeddings.weight[0]  # (B, Nt, D)

    # -- the three modes ------------------------------------------------------------------------

    def _single_modality(self, x, mask, mode, index):
        """Runs all layers with one expert, and the VL path from the state entering vl_start."""
        biases = self.rel_pos_bias(index)
        hidden = []
        for i, blk in enumerate(self.transformer.blocks):
            x = blk(x, mask, mode, biases[i])
            hidden.append(x)
        vl = hidden[self.cfg.vl_start - 1]
        for i in range(self.cfg.vl_start, self.cfg.layers):
            vl = self.transformer.blocks[i](vl, mask, "vl", biases[i])
        return self.transformer.norm(x), self.transformer.norm(vl)

    def infer_image(self, images, token_type: int = 1) -> Dict[str, torch.Tensor]:
        """Image-only pass (vision expert) plus the VL path; ITC embeddings normalised."""
        x = self.image_embeds(images, token_type)
        mask = torch.ones(x.shape[0], x.shape[1], dtype=torch.long, device=x.device)
        feats, vl_feats = self._single_modality(x, mask, "image", self.relative_position_index)
        cls = self.itc_image_proj(feats[:, 0])
        vl_cls = self.itc_vl_image_proj(vl_feats[:, 0])
        return {
            "embeds": x,
            "feats": feats,
            "vl_feats": vl_feats,
            "itc": cls / cls.norm(dim=-1, keepdim=True),
            "itc_vl": vl_cls / vl_cls.norm(dim=-1, keepdim=True),
        }

    def infer_text(self, ids, mask) -> Dict[str, torch.Tensor]:
        """Text-only pass (language expert) plus the VL path; ITC embeddings normalised."""
        x = self.text_embeds(ids)
        feats, vl_feats = self._single_modality(
            x, mask, "text", self.text_relative_position_index
        )
        cls = self.itc_text_proj(feats[:, 0])
        vl_cls = self.itc_vl_text_proj(vl_feats[:, 0])
        return {
            "embeds": x,
            "feats": feats,
            "vl_feats": vl_feats,
            "itc": cls / cls.norm(dim=-1, keepdim=True),
            "itc_vl": vl_cls / vl_cls.norm(dim=-1, keepdim=True),
        }

    def infer(self, ids, mask, images, image_token_type: int = 1) -> Dict[str, torch.Tensor]:
        """Pair pass: text (padded to max_text_len) then image; split experts, then VL expert."""
        if ids.shape[1] != self.cfg.max_text_len:
            raise ValueError("pair mode needs text padded to max_text_len")
        t = self.text_embeds(ids)  # (B, Nt, D)
        v = self.image_embeds(images, image_token_type)  # (B, Ni, D)
        x = torch.cat([t, v], dim=1)  # (B, Nt+Ni, D)
        ones = torch.ones(v.shape[0], v.shape[1], dtype=mask.dtype, device=mask.device)
        masks = torch.cat([mask, ones], dim=1)
        biases = self.rel_pos_bias(self.text_imag_relative_position_index)
        for i, blk in enumerate(self.transformer.blocks):
            x = blk(x, masks, "vl", biases[i])
        x = self.transformer.norm(x)
        return {
            "feats": x,
            "text_feats": x[:, : t.shape[1]],
            "image_feats": x[:, t.shape[1] :],
            "pooled": self.pooler(x),  # (B, D), from the text CLS
        }

    # -- heads ------------------------------------------------------------------------------------

    def itm_logits(self, ids, mask, images):
        return self.itm_score(self.infer(ids, mask, images)["pooled"])  # (B, 2)

    def mlm_logits(self, ids, mask, images):
        return self.mlm_score(self.infer(ids, mask, images)["text_feats"])  # (B, Nt, V)

    def vqa_logits(self, ids, mask, images):
        return self.vqa_classifier(self.infer(ids, mask, images)["pooled"])  # (B, vqa_labels)

    def nlvr2(self, ids, mask, images_0, images_1):
        p1 = self.infer(ids, mask, images_0, image_token_type=1)["pooled"]
        p2 = self.infer(ids, mask, images_1, image_token_type=2)["pooled"]
        return {
            "pooled_1": p1,
            "pooled_2": p2,
            "logits": self.nlvr2_classifier(torch.cat([p1, p2], dim=-1)),  # (B, 2)
        }


# ------------------------------------------------------------------------------------------------
# Checkpoint surgery of the reference loader
# ------------------------------------------------------------------------------------------------


def unwrap_state_dict(ckpt: dict) -> dict:
    """The reference's unwrapping: state_dict, module (strip 'module.'), model, else as is."""
    for key in ("state_dict", "module", "model"):
        if key in ckpt:
            sd = ckpt[key]
            if key == "module":
                sd = {(k[len("module.") :] if k.startswith("module.") else k): v for k, v in sd.items()}
            return sd
    return ckpt


def interpolate_pos_embed(pos_embed: torch.Tensor, num_patches: int) -> torch.Tensor:
    """Bicubic (align_corners=False) resize of the patch part of pos_embed; cls row kept."""
    D = pos_embed.shape[-1]
    extra = 1
    orig = int((pos_embed.shape[-2] - extra) ** 0.5)
    new = int(num_patches**0.5)
    if orig == new:
        return pos_embed
    tokens = pos_embed[:, extra:].reshape(-1, orig, orig, D).permute(0, 3, 1, 2)
    tokens = F.interpolate(tokens, size=(new, new), mode="bicubic", align_corners=False)
    tokens = tokens.permute(0, 2, 3, 1).flatten(1, 2)
    return torch.cat((pos_embed[:, :extra], tokens), dim=1)


def geometric_ratio(src_half: int, dst_half: int) -> float:
    """The reference's bisection for q with 1 + q + ... + q^(src_half-1) ~ dst_half, q in [1.01, 1.5]."""

    def gp(a, r, n):
        return a * (1.0 - r**n) / (1.0 - r)

    left, right = 1.01, 1.5
    q = None
    while right - left > 1e-6:
        q = (left + right) / 2.0
        if gp(1, q, src_half) > dst_half:
            right = q
        else:
            left = q
    return q


def source_positions(src_size: int, dst_size: int) -> List[float]:
    """Where the source table's rows sit on the destination's integer grid (symmetric around 0)."""
    q = geometric_ratio(src_size // 2, dst_size // 2)
    dis = []
    cur = 1
    for i in range(src_size // 2):
        dis.append(cur)
        cur += q ** (i + 1)
    return [-d for d in reversed(dis)] + [0] + dis


def not_a_knot_spline_matrix(x: List[float], t: List[float]) -> torch.Tensor:
    """Matrix M (len(t), len(x)) with M @ y = the not-a-knot cubic spline through (x, y) at t.

    Evaluation points outside [x[0], x[-1]] are clamped to the ends, as FITPACK's bisplev does
    (scipy interp2d(kind='cubic') on a rectangular grid is FITPACK regrid with s=0, whose
    interior knots x[2..n-3] make it the not-a-knot interpolating spline).
    """
    x = torch.tensor(x, dtype=torch.float64)
    n = x.numel()
    h = x[1:] - x[:-1]
    # Unknowns: second derivatives m_0..m_{n-1}. Interior rows: continuity of the first derivative.
    A = torch.zeros(n, n, dtype=torch.float64)
    R = torch.zeros(n, n, dtype=torch.float64)  # right-hand side as a linear map of y
    for i in range(1, n - 1):
        A[i, i - 1] = h[i - 1] / 6
        A[i, i] = (h[i - 1] + h[i]) / 3
        A[i, i + 1] = h[i] / 6
        R[i, i - 1] = 1 / h[i - 1]
        R[i, i] = -1 / h[i - 1] - 1 / h[i]
        R[i, i + 1] = 1 / h[i]
    # Not-a-knot: the third derivative is continuous at x[1] and x[n-2].
    A[0, 0], A[0, 1], A[0, 2] = h[1], -(h[0] + h[1]), h[0]
    A[n - 1, n - 3], A[n - 1, n - 2], A[n - 1, n - 1] = h[n - 2], -(h[n - 3] + h[n - 2]), h[n - 3]
    S = torch.linalg.solve(A, R)  # m = S @ y
    M = torch.zeros(len(t), n, dtype=torch.float64)
    eye = torch.eye(n, dtype=torch.float64)
    for r, tv in enumerate(t):
        tv = min(max(float(tv), float(x[0])), float(x[-1]))
        k = int(torch.searchsorted(x, torch.tensor(tv, dtype=torch.float64), right=True)) - 1
        k = min(max(k, 0), n - 2)
        hk = float(h[k])
        a = (float(x[k + 1]) - tv) / hk
        b = (tv - float(x[k])) / hk
        M[r] = (
            a * eye[k]
            + b * eye[k + 1]
            + ((a**3 - a) * S[k] + (b**3 - b) * S[k + 1]) * hk * hk / 6
        )
    return M


def interpolate_relative_table(
    table: torch.Tensor, dst_rows: int, dst_window: int
) -> torch.Tensor:
    """The reference's resize of the shared relative table to a model with dst_rows rows.

    The last (dst_rows - (2*dst_window-1)^2) rows (image cls rows, text-image rows and text rows)
    are kept; the (2W-1)x(2W-1) image distance grid of every column is resampled: source rows are
    placed at geometric-progression positions, destination rows at integers -t..t, and a 2D
    cubic spline through the source grid is evaluated there.
    """
    src_rows, cols = table.shape
    extra = dst_rows - (2 * dst_window - 1) ** 2
    src_size = int((src_rows - extra) ** 0.5)
    dst_size = int((dst_rows - extra) ** 0.5)
    if src_size == dst_size:
        return table
    extra_rows = table[-extra:, :]
    grid = table[:-extra, :]
    x = source_positions(src_size, dst_size)
    t = dst_size // 2.0
    dx = torch.arange(-t, t + 0.1, 1.0, dtype=torch.float64).tolist()
    M = not_a_knot_spline_matrix(x, dx)  # (dst_size, src_size)
    out = []
    for c in range(cols):
        z = grid[:, c].reshape(src_size, src_size).double()
        out.append((M @ z @ M.T).float().reshape(-1, 1))
    return torch.cat((torch.cat(out, dim=-1), extra_rows), dim=0)


def interpolate_relative_table_scipy(table, dst_rows, dst_window):
    """The same resize through scipy's interp2d, exactly as the reference calls it (for checks)."""
    import numpy as np
    from scipy import interpolate

    src_rows, cols = table.shape
    extra = dst_rows - (2 * dst_window - 1) ** 2
    src_size = int((src_rows - extra) ** 0.5)
    dst_size = int((dst_rows - extra) ** 0.5)
    extra_rows = table[-extra:, :]
    grid = table[:-extra, :]
    x = source_positions(src_size, dst_size)
    t = dst_size // 2.0
    dx = np.arange(-t, t + 0.1, 1.0)
    out = []
    for c in range(cols):
        z = grid[:, c].view(src_size, src_size).float().numpy()
        f = interpolate.interp2d(x, x, z, kind="cubic")
        out.append(torch.Tensor(f(dx, dx)).contiguous().view(-1, 1))
    return torch.cat((torch.cat(out, dim=-1), extra_rows), dim=0)


INDEX_KEYS = (
    "relative_position_index",
    "text_relative_position_index",
    "text_imag_relative_position_index",
)


def adapt_state_dict(model: Vlmo, sd: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """The reference loader's changes: pos_embed and relative table to the model's resolution,
    checkpoint index tensors replaced by the model's own, and the NLVR2 third token type row."""
    sd = dict(sd)
    cfg = model.cfg
    if "transformer.pos_embed" in sd:
        sd["transformer.pos_embed"] = interpolate_pos_embed(
            sd["transformer.pos_embed"], cfg.num_patches
        )
    if "relative_position_bias_table" in sd:
        dst_rows = model.relative_position_bias_table.shape[0]
        sd["relative_position_bias_table"] = interpolate_relative_table(
            sd["relative_position_bias_table"], dst_rows, cfg.window
        )
    for key in INDEX_KEYS:
        if key in sd:
            sd[key] = getattr(model, key)
    tt = sd.get("token_type_embeddings.weight")
    if tt is not None and tt.shape[0] == 2 and cfg.token_types == 3:
        sd["token_type_embeddings.weight"] = torch.cat([tt, tt[1:2]], dim=0)
    return sd


def load_into(model: Vlmo, ckpt: dict) -> Vlmo:
    """Loads a checkpoint the way the reference does at a possibly different resolution."""
    sd = adapt_state_dict(model, unwrap_state_dict(ckpt))
    model.load_state_dict(sd, strict=True)
    return model
