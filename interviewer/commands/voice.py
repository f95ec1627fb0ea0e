"""``interviewer voice transcribe FILE...`` and ``interviewer voice say TEXT --out FILE.wav``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "voice",
        help="speech to text and the interviewer's voice, offline",
        description="Offline speech: transcribe spoken answers, or speak as the interviewer.",
    )
    vsub = p.add_subparsers(dest="voice_command", metavar="ACTION")
    t = vsub.add_parser(
        "transcribe",
        help="speech to text (WAV, FLAC, OGG, MP3, WebM...)",
        description="Transcribe audio files offline (Whisper tiny.en). Silence gives empty "
        "text; a file that is not audio exits 2.",
    )
    t.add_argument("files", nargs="+", metavar="FILE", help="audio files")
    t.add_argument("--stage", help="bias recognition toward this stage's vocabulary")
    t.add_argument("--problem", help="…and this problem's (a problem id)")
    t.add_argument("--json", action="store_true", help="print JSON (one object per file)")
    t.set_defaults(func=run_transcribe)
    s = vsub.add_parser(
        "say",
        help="speak TEXT as the interviewer into a WAV file",
        description="Synthesize the interviewer's voice offline (Piper) into a WAV file.",
    )
    s.add_argument("text", metavar="TEXT", help="what to say ('-' reads standard input)")
    s.add_argument("--out", required=True, metavar="FILE.wav", help="where to write the WAV")
    s.add_argument("--json", action="store_true", help="print JSON timing")
    s.set_defaults(func=run_say)
    p.set_defaults(func=lambda _args: p.print_help() or 0)


def run_transcribe(args: argparse.Namespace) -> int:
    from interviewer.voice import transcribe
    from interviewer.voice.audio import decode_file
    from interviewer.voice.vocabulary import stage_prompt

    prompt = stage_prompt(args.stage, args.problem) if (args.stage or args.problem) else ""
    if args.problem and not args.stage:
        from interviewer.errors import UserInputError

        raise UserInputError("--problem needs --stage (the vocabulary is per stage)")
    # Decode every file first: a bad file fails the command before any work is printed.
    samples = [decode_file(f) for f in args.files]
    results = []
    for f, audio in zip(args.files, samples, strict=True):
        tr = transcribe(audio, prompt=prompt)
        results.append(tr.to_dict(file=f))
        if args.json:
            print(json.dumps(results[-1], ensure_ascii=False), flush=True)
        else:
            print(f"{f}\t{tr.text}", flush=True)
    return 0


def run_say(args: argparse.Namespace) -> int:
    from pathlib import Path

    from interviewer.errors import UserInputError
    from interviewer.voice import speak

    text = sys.stdin.read() if args.text == "-" else args.text
    if not text.strip():
        raise UserInputError("nothing to say: TEXT is empty")
    out = Path(args.out)
    if out.is_dir():
        raise UserInputError(f"--out {str(out)!r} is a directory; give a file name like say.wav")
    speech = speak(text)
    try:
        speech.write_wav(out)
    except OSError as exc:
        raise UserInputError(f"cannot write {str(out)!r}: {exc.strerror or exc}") from None
    info = {
        "out": str(out),
        "audio_seconds": round(speech.audio_seconds, 3),
        "seconds": round(speech.seconds, 3),
        "sample_rate": speech.sample_rate,
    }
    print(
        json.dumps(info) if args.json else f"wrote {out} ({speech.audio_seconds:.1f} s of speech)"
    )
    return 0
