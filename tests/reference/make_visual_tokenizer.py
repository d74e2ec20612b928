"""Writes a TorchScript visual tokenizer for the tests of MimTarget.Tokens.

The tokenizer maps normalised images (B, 3, S, S) to one token per patch (B, (S/P)^2), as BEiT's
dVAE tokenizer does, but by a rule a test can recompute: a patch's token has bit c set when the
mean of channel c over the patch is positive (8 tokens). Run with Debian's python3-torch:

    /usr/bin/python3 tests/reference/make_visual_tokenizer.py [OUT.pt]
"""

import sys

import torch


class SignTokenizer(torch.nn.Module):
    def __init__(self, patch: int):
        super().__init__()
        self.patch = patch

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        b = images.shape[0]
        g = images.shape[2] // self.patch
        means = images.reshape(b, 3, g, self.patch, g, self.patch).mean(dim=(3, 5))  # (B, 3, g, g)
        bits = (means > 0).long()
        ids = bits[:, 0] + 2 * bits[:, 1] + 4 * bits[:, 2]  # (B, g, g), row by row
        return ids.reshape(b, g * g)


def main() -> None:
    out = sys.argv[1] if len(sys.argv) > 1 else "dsl/src/test/resources/visual-tokenizer-sign8-p8.pt"
    module = torch.jit.script(SignTokenizer(8))
    x = torch.zeros(1, 3, 32, 32)
    x[0, 0, :8, :8] = 1.0  # the top-left patch is red-positive: token 1, the rest 0
    ids = module(x)
    assert ids.shape == (1, 16) and ids[0, 0].item() == 1 and ids[0, 1:].sum().item() == 0
    module.save(out)
    print("wrote", out)


if __name__ == "__main__":
    main()
