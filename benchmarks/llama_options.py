"""llama.cpp's own speed options for the local model, side by side in one run: prefill and decode tokens/s.

Usage: python benchmarks/llama_options.py [--repeats 3] [--out benchmarks/results/llama_options.json]

Every variant reads the same real prompts (the answer prompts of the first project-set questions,
rendered as the app renders them, with an empty KV cache so the whole prompt is read) and then
decodes a fixed number of tokens greedily. Variants: the packaged Q4_K_M file as it is, the same
weights re-quantised to Q4_0 and IQ4_NL (types llama.cpp repacks at load for AVX2/AVX-512 matrix
kernels), flash attention, batch sizes and thread counts. The machine (CPU model, flags) and the
llama.cpp build are recorded; a variant that changes weights must also pass the quality check
(benchmarks/generation.py --model-path), which this script does not judge.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import statistics
import time
from pathlib import Path

from benchmarks.machine import machine

DECODE_TOKENS = 48


def requantize(src: Path, dst: Path, ftype_name: str) -> float:
    """Write `src` re-quantised to `ftype_name` (llama.cpp's quantiser, in process); seconds taken."""
    import llama_cpp

    if dst.exists():
        return 0.0
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{ftype_name}")
    params.allow_requantize = True
    t = time.perf_counter()
    tmp = dst.with_suffix(".partial")
    if llama_cpp.llama_model_quantize(str(src).encode(), str(tmp).encode(), ctypes.byref(params)) != 0:
        raise RuntimeError(f"quantising to {ftype_name} failed")
    tmp.rename(dst)
    return time.perf_counter() - t


def prompts(n: int) -> list[str]:
    """The answer prompts of the first `n` answerable project-set questions, as the app builds them."""
    from assistant.answer.chat import render_chatml
    from assistant.config import Settings
    from assistant.evaluation.dataset import load_questions
    from assistant.pipeline import Assistant

    a = Assistant(Settings(llm="extractive"))
    a.ensure_index()
    from assistant.answer.llm import LLMAnswerer

    counter = a._token_counter
    answerer = LLMAnswerer(None, "local", counter, a.settings.answer.context_tokens, a.settings.answer.llm_examples)
    out = []
    for q in [q for q in load_questions(Path("eval/questions.jsonl")) if q.answerable and not q.history][:n]:
        query = a.analyse(q.question)
        context = a.contexts.build(query, a.retriever.retrieve(query, a.settings.context.context_pool), None)
        out.append(render_chatml(answerer.messages(query, context)))
    return out


def run_variant(path: Path, texts: list[str], repeats: int, **options) -> dict:
    from llama_cpp import Llama

    t = time.perf_counter()
    llm = Llama(model_path=str(path), n_ctx=4096, verbose=False, **options)
    load_s = time.perf_counter() - t
    prefill, decode, tokens, lengths = [], [], [], []
    for _ in range(repeats):
        for text in texts:
            ids = llm.tokenize(text.encode(), add_bos=False, special=True)
            llm.reset()  # the next eval drops the cached positions: the whole prompt is read
            t = time.perf_counter()
            llm.eval(ids)
            t1 = time.perf_counter()
            out = []
            for _ in range(DECODE_TOKENS):
                tok = llm.sample(temp=0.0)
                out.append(tok)
                llm.eval([tok])
            t2 = time.perf_counter()
            prefill.append(len(ids) / (t1 - t))
            decode.append(DECODE_TOKENS / (t2 - t1))
            tokens.append(out)
            lengths.append(len(ids))
    llm.close()
    return {
        "load_s": round(load_s, 2),
        "prefill_tok_s": round(statistics.median(prefill), 1),
        "decode_tok_s": round(statistics.median(decode), 1),
        "prompt_tokens": round(statistics.mean(lengths)),
        "first_reply_tokens": tokens[0][:12],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--prompts", type=int, default=4)
    parser.add_argument("--work", type=Path, default=Path.home() / ".cache" / "tro-ly-chuyen-doi-so")
    parser.add_argument("--only", nargs="*", default=None, help="names of variants to run")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/llama_options.json"))
    args = parser.parse_args()

    import llama_cpp

    from assistant.answer.llamacpp import local_model_path
    from assistant.config import Settings

    packaged = local_model_path(Settings().answer)
    texts = prompts(args.prompts)
    quantise_s = {}
    files = {"Q4_K_M": packaged}
    for kind in ("Q4_0", "IQ4_NL"):
        files[kind] = args.work / f"{packaged.stem}-{kind.lower()}.gguf"
        quantise_s[kind] = round(requantize(packaged, files[kind], kind), 1)
    variants = {
        "Q4_K_M": ("Q4_K_M", {"n_threads": 2}),
        "Q4_K_M flash-attn": ("Q4_K_M", {"n_threads": 2, "flash_attn": True}),
        "Q4_K_M batch 128": ("Q4_K_M", {"n_threads": 2, "n_batch": 128, "n_ubatch": 128}),
        "Q4_K_M batch 1024": ("Q4_K_M", {"n_threads": 2, "n_batch": 1024, "n_ubatch": 1024}),
        "Q4_K_M 1 thread": ("Q4_K_M", {"n_threads": 1}),
        "Q4_0": ("Q4_0", {"n_threads": 2}),
        "Q4_0 flash-attn": ("Q4_0", {"n_threads": 2, "flash_attn": True}),
        "IQ4_NL": ("IQ4_NL", {"n_threads": 2}),
    }
    rows = []
    for name, (kind, options) in variants.items():
        if args.only and name not in args.only:
            continue
        row = {"variant": name, "weights": kind, **options, **run_variant(files[kind], texts, args.repeats, **options)}
        rows.append(row)
        print(f"{name:22s} prefill {row['prefill_tok_s']:6.1f} tok/s  decode {row['decode_tok_s']:5.1f} tok/s")
    result = {
        "machine": machine(),
        "llama_cpp": llama_cpp.__version__,
        "llama_cpp_build": llama_cpp.llama_print_system_info().decode().strip(),
        "quantise_s": quantise_s,
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
