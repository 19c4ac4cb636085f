"""How well the voice channel hears: word error rate and spoken-intent accuracy.

    PYTHONPATH=$PWD .venvs/rasa/bin/python -m tests.voice.evaluate [--model PATH]

Runs in the Rasa environment (the engines live there) and reports, for each
speech-to-text engine, configured as in credentials.yml:

1. WER on the real recordings in ../shared/eval/external/speech/ against
   their transcripts (README section 4 of that folder). Before comparing,
   both sides are lower-cased, punctuation is dropped, numbers up to 99 are
   written as words and "Mr." is "mister" (Whisper writes "10 of clubs",
   the references "ten of clubs").
2. WER on ERP questions and commands synthesised with espeak-ng in two
   voices (tests/voice/spoken_*.csv), compared after the channel's own
   normalisation (connectors/voice/spoken.py): what matters is the text the
   NLU receives, so "P O twenty twenty five dash forty two" and Whisper's
   "PO 2025-42" both count as PO-2025-0042.
3. Intent accuracy on the spoken read questions (held-out examples, never
   trained on, said aloud): transcript → normalisation → the trained model's
   NLU, next to the accuracy on the same questions typed.

Writes var/voice/eval-<time>.json and prints a table.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from connectors.voice.audio import Audio, decode
from connectors.voice.engines import STT_ENGINES, SpeechToText
from connectors.voice.spoken import DIGITS, TEENS, TENS, normalise
from tests.voice.speech import VOICES, pcm_wav, synthesise

ROOT = Path(__file__).resolve().parents[2]
SHARED_SPEECH = ROOT.parent / "shared" / "eval" / "external" / "speech"
HERE = Path(__file__).resolve().parent
MAX_SECONDS = 30


@dataclass(frozen=True)
class Clip:
    name: str
    audio: Audio
    reference: str
    intent: str | None = None


# --- word error rate ---------------------------------------------------------------

_SMALL = [*DIGITS, *TEENS]  # zero … nineteen
_TENS = list(TENS)
_ABBREVIATIONS = {"mr": "mister", "mrs": "missus", "dr": "doctor"}


def _number_words(number: int) -> str:
    if number < 20:
        return _SMALL[number]
    tens, units = divmod(number, 10)
    return _TENS[tens - 2] + ("" if not units else " " + _SMALL[units])


def clip_words(text: str) -> list[str]:
    """Words of a recording's transcript or reference, for WER (see the module docstring)."""
    words = re.sub(r"[^\w\s']", " ", text.lower()).split()
    out: list[str] = []
    for word in words:
        if word.isdigit() and int(word) < 100:
            out.extend(_number_words(int(word)).split())
        else:
            out.append(_ABBREVIATIONS.get(word, word))
    return out


def command_words(text: str) -> list[str]:
    """Words of an ERP command after the channel's normalisation; references stay one word."""
    text = normalise(text).lower()
    return re.sub(r"(?<![\w])[^\w\s]+|[^\w\s]+(?![\w])", " ", text).split()


def edit_distance(reference: list[str], hypothesis: list[str]) -> int:
    row = list(range(len(hypothesis) + 1))
    for i, ref_word in enumerate(reference, 1):
        previous, row[0] = row[:], i
        for j, hyp_word in enumerate(hypothesis, 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word))
    return row[-1]


def wer(pairs: list[tuple[list[str], list[str]]]) -> float:
    """Corpus WER: all edits over all reference words."""
    words = sum(len(reference) for reference, _ in pairs)
    return sum(edit_distance(r, h) for r, h in pairs) / max(words, 1)


# --- material ----------------------------------------------------------------------


def shared_clips(folder: Path = SHARED_SPEECH) -> list[Clip]:
    """The 15 real recordings, decoded as the channel decodes uploads."""
    clips = []
    with open(folder / "transcripts.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            data = (folder / row["file"]).read_bytes()
            if row["file"].endswith(".raw"):  # headerless PCM: the channel needs a container
                data = pcm_wav(data, int(row["sample_rate_hz"]))
            clips.append(Clip(row["file"], decode(data, MAX_SECONDS), row["text"]))
    return clips


def spoken_rows(name: str) -> list[dict[str, str]]:
    with open(HERE / name, newline="") as handle:
        return list(csv.DictReader(handle))


def synthesised_clips(name: str, voices: tuple[str, ...] = VOICES) -> list[Clip]:
    return [
        Clip(
            f"{voice}: {row['spoken']}",
            decode(synthesise(row["spoken"], voice), MAX_SECONDS),
            row["spoken"],
            row["intent"],
        )
        for voice in voices
        for row in spoken_rows(name)
    ]


# --- engines -----------------------------------------------------------------------


def configured_options(engine: str) -> dict[str, Any]:
    """The engine's options from credentials.yml (what the server runs), if it is configured."""
    credentials = yaml.safe_load((ROOT / "credentials.yml").read_text())
    voice = credentials.get("connectors.voice.VoiceInput") or {}
    options = dict(voice.get("speech_to_text") or {})
    options.pop("fallback", None)
    return options if options.pop("engine", None) == engine else {}


def load_engine(name: str) -> SpeechToText:
    engine = STT_ENGINES[name](**configured_options(name))
    engine.load()
    return engine


def transcribe(engine: SpeechToText, clips: list[Clip]) -> list[dict[str, Any]]:
    results = []
    for clip in clips:
        started = time.perf_counter()
        heard = engine.transcribe(clip.audio)
        results.append(
            {
                "clip": clip.name,
                "reference": clip.reference,
                "heard": heard,
                "seconds": round(time.perf_counter() - started, 3),
                "audio_seconds": round(clip.audio.seconds, 2),
                "intent": clip.intent,
            }
        )
    return results


def clip_wer(results: list[dict[str, Any]]) -> float:
    return wer([(clip_words(r["reference"]), clip_words(r["heard"])) for r in results])


def command_wer(results: list[dict[str, Any]]) -> float:
    return wer([(command_words(r["reference"]), command_words(r["heard"])) for r in results])


# --- intents -----------------------------------------------------------------------


class Parser:
    """The trained model's NLU, in-process (what /model/parse answers)."""

    def __init__(self, model: Path) -> None:
        from nlu_models.evaluation.common import Parser as ModelParser

        self.model = ModelParser(str(model))

    def intent(self, text: str) -> str:
        if not text.strip():
            return "(nothing heard)"
        return self.model.parse(text)["intent"]["name"]


def intent_accuracy(parser: Parser, texts: list[str], intents: list[str]) -> dict[str, Any]:
    predicted = [parser.intent(normalise(text)) for text in texts]
    correct = sum(p == i for p, i in zip(predicted, intents, strict=True))
    wrong = [
        {"text": t, "expected": i, "predicted": p}
        for t, i, p in zip(texts, intents, predicted, strict=True)
        if p != i
    ]
    return {"accuracy": round(correct / len(intents), 3), "n": len(intents), "wrong": wrong}


# --- the report --------------------------------------------------------------------


def evaluate(engines: list[str], model: Path | None) -> dict[str, Any]:
    clips = shared_clips()
    questions = synthesised_clips("spoken_questions.csv")
    commands = synthesised_clips("spoken_commands.csv")
    parser = Parser(model) if model else None
    report: dict[str, Any] = {
        "when": datetime.now().isoformat(timespec="seconds"),
        "voices": list(VOICES),
        "model": str(model) if model else None,
        "engines": {},
    }
    if parser:
        report["typed_intent"] = intent_accuracy(
            parser,
            [row["spoken"] for row in spoken_rows("spoken_questions.csv")],
            [row["intent"] for row in spoken_rows("spoken_questions.csv")],
        )
    for name in engines:
        started = time.perf_counter()
        engine = load_engine(name)
        load_seconds = time.perf_counter() - started
        shared = transcribe(engine, clips)
        asked = transcribe(engine, questions)
        commanded = transcribe(engine, commands)
        spoken = asked + commanded
        entry: dict[str, Any] = {
            "options": configured_options(name),
            "load_seconds": round(load_seconds, 2),
            "shared_clips": {"wer": round(clip_wer(shared), 3), "n": len(shared)},
            "synthesised": {
                "wer": round(command_wer(spoken), 3),
                "n": len(spoken),
                "questions_wer": round(command_wer(asked), 3),
                "commands_wer": round(command_wer(commanded), 3),
                "per_voice": {
                    voice: round(command_wer([r for r in spoken if r["clip"].startswith(voice)]), 3)
                    for voice in VOICES
                },
            },
            "seconds_per_clip": round(
                sum(r["seconds"] for r in shared + spoken) / len(shared + spoken), 3
            ),
            "transcripts": shared + spoken,
        }
        if parser:
            entry["spoken_intent"] = intent_accuracy(
                parser, [r["heard"] for r in asked], [r["intent"] for r in asked]
            )
        report["engines"][name] = entry
    return report


def print_table(report: dict[str, Any]) -> None:
    print(f"\n{'engine':<16}{'WER real clips':>16}{'WER synthesised':>17}{'spoken intent':>15}")
    for name, entry in report["engines"].items():
        intent = entry.get("spoken_intent", {}).get("accuracy", "-")
        print(
            f"{name:<16}{entry['shared_clips']['wer']:>16}{entry['synthesised']['wer']:>17}"
            f"{intent:>15}"
        )
    if "typed_intent" in report:
        print(f"{'(typed)':<16}{'':>16}{'':>17}{report['typed_intent']['accuracy']:>15}")
    for name, entry in report["engines"].items():
        synthesised = entry["synthesised"]
        voices = ", ".join(f"{v} {w}" for v, w in synthesised["per_voice"].items())
        print(
            f"{name}: {entry['shared_clips']['n']} real clips; {synthesised['n']} synthesised "
            f"(questions {synthesised['questions_wer']}, commands {synthesised['commands_wer']}; "
            f"{voices}); {entry['seconds_per_clip']} s per clip; loaded in "
            f"{entry['load_seconds']} s"
        )


def default_model() -> Path | None:
    import os

    from bot.config import load_settings
    from bot.training import model_path

    if os.environ.get("ERP_TEST_MODEL"):
        return Path(os.environ["ERP_TEST_MODEL"])
    path = model_path(load_settings())
    return path if path.exists() else None


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--model", type=Path, help="a trained model (default: ERP_TEST_MODEL or the current one)"
    )
    parser.add_argument("--engines", default=",".join(STT_ENGINES))
    args = parser.parse_args()
    model = args.model or default_model()
    if model is None:
        print("No trained model: spoken-intent accuracy is skipped (train, or pass --model).")
    report = evaluate(args.engines.split(","), model)
    out = ROOT / "var" / "voice" / f"eval-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print_table(report)
    print(f"\nReport: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
