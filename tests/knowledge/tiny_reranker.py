"""A tiny cross-encoder with random weights, built on the spot.

No reranker weights ship and none may be downloaded, so the reranking tests
score with this: a one-layer BERT with one output (a relevance score) and
the MiniLM package's own WordPiece tokenizer. Its scores mean nothing; the
tests compare the pipeline's order with the order of those very scores.
"""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

from actions.knowledge.models import embedding_model_path


def build_tiny_cross_encoder(directory: Path, seed: int = 3) -> Path:
    tokenizer = AutoTokenizer.from_pretrained(embedding_model_path(), local_files_only=True)
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=512,
        num_labels=1,
        # wide random weights spread the scores, so that their order is not
        # decided by rounding
        initializer_range=0.5,
    )
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = BertForSequenceClassification(config)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def score_independently(directory: Path, query: str, texts: list[str]) -> list[float]:
    """The model's own scores for (query, text), through transformers alone."""
    tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
    model = BertForSequenceClassification.from_pretrained(directory, local_files_only=True)
    model.eval()
    encoded = tokenizer(
        [query] * len(texts), texts, padding=True, truncation=True, return_tensors="pt"
    )
    with torch.no_grad():
        return model(**encoded).logits[:, 0].tolist()
