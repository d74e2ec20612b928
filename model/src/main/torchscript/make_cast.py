"""Writes the TorchScript cast that mixed precision (dev.vlmo.model.nn.Autocast) runs.

DJL's own type conversion (NDArray.toType) runs outside autograd, so a gradient stops at it. A
scripted `x.to(dtype)` called through DJL in training mode is recorded like any other operation:
its backward pass converts the gradient back. The dtype comes from a second tensor, so one module
serves fp32 -> fp16/bf16 and back. DJL gives the result to the first argument's manager, so an
activation's copy is freed with the activation's other temporaries.

Run with Debian's python3-torch (1.13; the file loads in DJL's libtorch 2.x):
    /usr/bin/python3 model/src/main/torchscript/make_cast.py
"""
import pathlib

import torch


class Cast(torch.nn.Module):
    def forward(self, x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        return x.to(like.dtype)


class ToBfloat16(torch.nn.Module):
    """DJL 0.36 cannot make a bfloat16 array itself: this makes the `like` for bf16 casts."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.to(torch.bfloat16)


out = pathlib.Path(__file__).resolve().parents[1] / "resources/dev/vlmo/model/nn"
for name, module in (("cast.pt", Cast()), ("bfloat16.pt", ToBfloat16())):
    torch.jit.script(module).save(str(out / name))
    print("wrote", out / name)
