"""Answers from the company's own documents: parsing, indexing, hybrid
retrieval (Haystack) and grounded, cited answers, extractive or from a local LLM.

Knows nothing of Rasa; the action handlers call `KnowledgeService`.
"""

import os

# Offline by construction: a hub model name would hang in retries, and
# Haystack would otherwise send telemetry. Set before Haystack is imported.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
