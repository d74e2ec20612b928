"""Checks a checkpoint written by another implementation (the Java writer) with torch.load.

    /usr/bin/python3 tests/reference/check_checkpoint.py WRITTEN.pt EXPECTED.pt [--model CONFIG.json]

WRITTEN.pt must load with torch.load and hold the same keys, in the same order, with the same
dtypes, shapes and bit-identical values as the state dict in EXPECTED.pt (unwrapped the way the
reference loader unwraps; float64 values are compared after rounding to float32, the precision the
Java side holds them in). With --model, WRITTEN.pt is also loaded (strict) into the reference
model of that fixture configuration (as the fixtures do: the reference loader's adaptations, then
a strict load) and must reproduce the expected outputs of its first case.
Prints one line per problem and exits 1 if there is any; prints "identical N tensors" otherwise.
"""

import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures  # noqa: E402
import vlmo_reference as ref  # noqa: E402


def compare(written: dict, expected: dict) -> list:
    problems = []
    if list(written.keys()) != list(expected.keys()):
        problems.append(f"keys differ: {list(written.keys())} vs {list(expected.keys())}")
    for key, e in expected.items():
        w = written.get(key)
        if w is None:
            continue
        if not isinstance(w, torch.Tensor):
            problems.append(f"{key}: not a tensor ({type(w).__name__})")
            continue
        e = e.contiguous()
        if e.dtype == torch.float64:
            e = e.float().double()  # the Java side holds float64 values as float32
        if w.dtype != e.dtype or w.shape != e.shape:
            problems.append(f"{key}: {w.dtype} {list(w.shape)} vs {e.dtype} {list(e.shape)}")
        elif w.numel() and not torch.equal(
            w.contiguous().view(-1).view(torch.uint8) if w.dtype != torch.bool else w,
            e.view(-1).view(torch.uint8) if e.dtype != torch.bool else e,
        ):
            problems.append(f"{key}: values differ")
    return problems


def check_model(written_sd: dict, config_json: str) -> list:
    with open(config_json) as f:
        doc = json.load(f)
    cfg = ref.VlmoConfig(**doc["config"])
    cfg.token_types = 3  # the fixtures' NLVR2 runs use three token types
    case = doc["cases"][0]
    model = ref.Vlmo(cfg).eval()
    ref.load_into(model, written_sd)  # strict, after the reference loader's adaptations
    io = torch.load(os.path.join(os.path.dirname(config_json), case["io"]))
    out = make_fixtures.expected_outputs(model, io["text_ids"], io["text_masks"],
                                         io["image_pixels"], io["image_pixels_1"], full=False)
    problems = []
    for key, value in out.items():
        if key in io and value.is_floating_point():
            # the fixtures' outputs were computed on another machine: its BLAS may sum in
            # another order, which moves fp32 results in their last bits (1e-6 of a logit of 7)
            diff = (value - io[key]).abs().max().item()
            if not torch.allclose(value, io[key], rtol=1e-5, atol=1e-5):
                problems.append(f"model output {key} differs by {diff}")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("written")
    parser.add_argument("expected")
    parser.add_argument("--model")
    args = parser.parse_args()
    torch.set_num_threads(1)
    written = torch.load(args.written)
    expected = ref.unwrap_state_dict(torch.load(args.expected))
    problems = compare(written, expected)
    if args.model and not problems:
        problems += check_model(written, args.model)
    for p in problems:
        print(p)
    if problems:
        sys.exit(1)
    print(f"identical {len(expected)} tensors" + (", model outputs match" if args.model else ""))


if __name__ == "__main__":
    main()
