"""Voice round trip: interview sentences spoken by a voice, transcribed, scored by word error rate.

``python -m evals.voice`` prints the table (own Piper voice and espeak-ng, with and without the
stage prompt). The tests use the same sentences and WER. Sentences: technical vocabulary a
candidate says in each stage, no numbers (number formatting is not what is being measured).
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from interviewer.voice.piper_voice import PiperTTS

SENTENCES_FILE = Path(__file__).with_name("voice_sentences.tsv")


def load_sentences(path: Path = SENTENCES_FILE) -> list[tuple[str, str | None, str]]:
    """(stage, problem id or None, sentence) per line of the TSV."""
    out: list[tuple[str, str | None, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            stage, problem, sentence = line.split("\t")
            out.append((stage, None if problem == "-" else problem, sentence))
    return out


SENTENCES = load_sentences()


def normalize(text: str, vocabulary: frozenset[str] = frozenset()) -> list[str]:
    """Lower-case words without punctuation. Spelling variants that are not recognition errors
    count as the reference's form: a hyphenated compound the reference writes closed
    ("down-sample" / "downsample"), and British -ise/-is- spellings of its -ize words."""
    words: list[str] = []
    for raw in re.sub(r"[^a-z0-9'\-/ ]+", " ", text.lower()).split():
        joined = re.sub(r"[-/']", "", raw)
        if ("-" in raw or "/" in raw) and joined not in vocabulary:
            parts = [p for p in re.split(r"[-/]", raw) if p]
        else:
            parts = [joined if ("-" in raw or "/" in raw) else raw]
        for w in parts:
            american = re.sub(r"is(e|ed|es|ing|ation|ations)$", r"iz\1", w)
            words.append(american if american in vocabulary else w)
    return words


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(edit distance in words, reference length)."""
    ref = normalize(reference)
    hyp = normalize(hypothesis, frozenset(ref))
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1], len(ref)


def wer(pairs: Sequence[tuple[str, str]]) -> float:
    errors = total = 0
    for ref, hyp in pairs:
        e, n = word_errors(ref, hyp)
        errors += e
        total += n
    return errors / total if total else 0.0


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


def espeak_samples(text: str) -> np.ndarray:
    """16 kHz float32 speech from Debian's espeak-ng (an independent, robotic voice)."""
    from interviewer.voice.audio import decode_file

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "s.wav"
        subprocess.run(
            ["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(out), text],
            check=True,
            capture_output=True,
            timeout=60,
        )
        return decode_file(out)


@functools.lru_cache(maxsize=1)
def _steady_voice() -> PiperTTS:
    """Our own voice without Piper's per-call sampling of prosody and timing, so a measured
    word error rate is a property of the recogniser, not of one draw of the voice."""
    return PiperTTS(noise_scale=0.0, noise_w_scale=0.0)


def piper_samples(text: str) -> np.ndarray:
    from interviewer.voice.audio import resample

    samples, rate = _steady_voice().synthesize(text)
    return resample(samples.astype(np.float32) / 32768.0, rate)


def round_trip(
    voice: Callable[[str], np.ndarray],
    sentences: Sequence[tuple[str, str | None, str]] = SENTENCES,
) -> dict[str, Any]:
    """WER with and without the stage prompt for one voice, plus the recognizer's RTF."""
    from interviewer.voice import transcribe

    audio = [voice(s) for _, _, s in sentences]
    out: dict[str, Any] = {"sentences": len(sentences), "words": 0}
    for label in ("no_prompt", "stage_prompt"):
        pairs, compute, seconds = [], 0.0, 0.0
        for (stage, problem, ref), samples in zip(sentences, audio, strict=True):
            tr = (
                transcribe(samples, stage, problem=problem)
                if label == "stage_prompt"
                else transcribe(samples, prompt="")
            )
            pairs.append((ref, tr.text))
            compute += tr.seconds
            seconds += tr.audio_seconds
        out[f"wer_{label}"] = round(wer(pairs), 4)
        out[f"rtf_{label}"] = round(compute / seconds, 4) if seconds else None
        out[f"pairs_{label}"] = pairs
    out["words"] = sum(len(normalize(s)) for _, _, s in sentences)
    return out


REPLY = (
    "Thanks, that is a clear objective. Let me push on one thing: how would you collect labels "
    "when chargebacks arrive weeks after the payment? Walk me through the pipeline."
)


def voice_bench(quick: bool = False) -> dict[str, Any]:
    """``interviewer bench`` voice figures: model load seconds, and compute seconds per second
    of audio for speech (an interviewer reply) and recognition (a ~30 s spoken answer)."""
    from interviewer.voice import LOAD_SECONDS, get_stt, get_tts, speak, transcribe

    get_tts()
    get_stt()
    out: dict[str, Any] = {
        "tts_load_s": round(LOAD_SECONDS.get("tts", 0.0), 3),
        "stt_load_s": round(LOAD_SECONDS.get("stt", 0.0), 3),
    }
    reps = 1 if quick else 3
    compute = audio = 0.0
    for _ in range(reps):
        sp = speak(REPLY)
        compute, audio = compute + sp.seconds, audio + sp.audio_seconds
    out["tts_rtf"] = round(compute / audio, 4)
    chosen = SENTENCES[6:14]  # eight data/features sentences, ~30 s with short pauses
    gap = np.zeros(8000, dtype=np.float32)
    answer = np.concatenate([x for _, _, s in chosen for x in (piper_samples(s), gap)])
    compute = audio = 0.0
    pairs = []
    for _ in range(max(1, reps - 1)):
        tr = transcribe(answer, "data", problem="fraud-detection")
        compute, audio = compute + tr.seconds, audio + tr.audio_seconds
        pairs.append((" ".join(s for *_, s in chosen), tr.text))
    out["stt_rtf"] = round(compute / audio, 4)
    out["stt_audio_s"] = round(audio / max(1, reps - 1), 1)
    out["stt_bench_wer"] = round(wer(pairs), 4)
    return out


def main() -> int:
    from interviewer.runtime import configure_offline

    configure_offline()
    t0 = time.perf_counter()
    voices: list[tuple[str, Callable[[str], np.ndarray]]] = [("piper (own voice)", piper_samples)]
    if espeak_available():
        voices.append(("espeak-ng", espeak_samples))
    print(f"{'voice':<20} {'WER no prompt':>14} {'WER stage prompt':>17} {'stt_rtf':>8}")
    for name, fn in voices:
        r = round_trip(fn)
        print(
            f"{name:<20} {r['wer_no_prompt']:>14.1%} {r['wer_stage_prompt']:>17.1%} "
            f"{r['rtf_stage_prompt']:>8.3f}"
        )
        for (ref, a), (_, b) in zip(r["pairs_no_prompt"], r["pairs_stage_prompt"], strict=True):
            if word_errors(ref, a)[0] or word_errors(ref, b)[0]:
                print(f"    ref:    {ref}\n    plain:  {a}\n    prompt: {b}")
    print(f"({len(SENTENCES)} sentences; {time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
