"""Strip the boilerplate that web-scraped guides carry: menus, sign-up and webinar forms, cookie
banners, bylines and author bios, "Reading Time", share buttons and repeated marketing blocks.

Three signals, from cheap to structural:

1. lines matching a call-to-action / navigation pattern (short lines only, so prose that
   happens to mention "subscribers" survives);
2. lines that repeat within a file or across files (marketing blocks are pasted several times;
   real content rarely repeats verbatim) — short section labels such as "Running Example" are
   kept because they carry structure;
3. a trailing block where most of the text is junk is cut as a whole, which also removes the
   unflagged course blurbs sitting between the flagged lines of an ad footer.

HTML goes through BeautifulSoup first (nav/header/footer/script/style/form/aside dropped) and
comes out as Markdown-ish text, so headings survive for chunking.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

_CTA_PATTERNS = [
    # Patterns are anchored or phrased narrowly: "time zone", "login location", "registration
    # date" and "phone number" are real features in ML guides and must survive.
    r"\bsubscribe (now|today|to (our|the) (newsletter|channel|blog))\b|^subscribe\b",
    r"\bunsubscribe\b|\bnewsletter\b|\bwebinar\b",
    r"\bsign[ -]?up (now|today|for (free|our|the))\b|^sign[ -]?(up|in)\b|^log[ -]?in$",
    r"\bregister (for|now|today|here)\b|\bregistration (completed|form|closes|is open)\b",
    r"\b(we use|accept( all)?|manage|allow) cookies\b|\bcookie (policy|settings|preferences)\b",
    r"\baccept all\b|\bprivacy policy\b|\bterms (of|and) (service|use|conditions)\b",
    r"\ball rights reserved\b|©|^copyright\b",
    r"\breading time\b|\b\d+\s*min(ute)?s?\s+read\b",
    r"\bshare (this|on|via)\b|\bfollow us\b|\bclick here\b|\bread more\b|\bback to top\b",
    r"\bskip to (main )?content\b|\btable of contents\b|\b(previous|next) (post|article)\b",
    r"\brelated (posts|articles|reading)\b|\byou (may|might) also like\b",
    r"\bleave a (comment|reply)\b|^advertisement$|^sponsored\b",
    r"\bloading(_icon|\.\.\.|…)|^loading$",
    r"\benter (your )?(details|email|name)\b|^(select|choose|book) (a |your )?(date|slot)$",
    r"^time ?slots?$|^time ?zone:(\s*[\w/]+)?$|\b(start|begin) (your |a )?free trial\b",
    r"^get started\b|\benroll (now|today)\b",
    r"\bdownload (our|your|the) (free )?(pdf|guide|e-?book|checklist|cheat ?sheet)\b|\byour pdf\b",
    r"\bconsultation\b|\bprogram advisor\b|\bsee you there\b|\bslot blocked\b|\bfast filling\b",
    r"\bcourses? recommended\b|\bselect a course\b|\b\d[\d,]*\+? (tech )?professionals\b",
    r"\baverage (salary )?hike\b|\blpa\b|\bget your resume\b|\bmax size\b",
    r"\* ?required\b|\binvalid (phone|email)\b|\b(your|tech) career\b",
    r"^(authored|written|published|posted) (&|and|by)(\s|$)|\babout the author\b",
    # an author bio: "Jane Doe, senior content specialist with 6+ years of experience ..."
    r"\b(specialist|writer|author|editor|content creator)\b.*\byears of experience\b",
    r"^(home|menu|close|open menu|toggle navigation|share|tweet)$",
    r"^((facebook|twitter|x|linkedin|whatsapp|reddit|pinterest|email)[\s|·•,/]*){2,}$",
    r"^(days?|hrs?|hours?|mins?|minutes?|secs?|seconds?)$",
]
_CTA = re.compile("|".join(f"(?:{p})" for p in _CTA_PATTERNS), re.IGNORECASE)
# A bare byline ("By Jane Doe"); case-sensitive so "By default the model ..." survives.
_BYLINE = re.compile(r"^[Bb]y\s+[A-Z][a-z'’.-]+(\s+[A-Z][a-z'’.-]*){1,3}$")
_CTA_MAX_WORDS = 25
_NOISE = re.compile(r"[\d\s:.,/-]+")  # countdown digits, stray colons, page numbers
_MD_HEADING = re.compile(r"^#{1,6}\s+\S")
_FENCE = re.compile(r"^\s*(```|~~~)")
_STAGE_COMMENT = re.compile(r"^\s*<!--\s*stage\s*:", re.IGNORECASE)
_REPEAT_MIN_WORDS = 6
_TAIL_JUNK_SHARE = 0.5
_TAIL_MIN_JUNK_LINES = 3


@dataclass(frozen=True)
class Cleaned:
    text: str
    removed_lines: int


def line_key(line: str) -> str:
    """Normalised form for spotting repeats: lower case, letters and digits only."""
    return " ".join(re.findall(r"\w+", line.lower()))


def _content_lines(text: str) -> Iterable[str]:
    """Lines outside code fences that cleaning may judge (not headings or stage tags)."""
    in_fence = False
    for line in text.split("\n"):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence or _MD_HEADING.match(line) or _STAGE_COMMENT.match(line):
            continue
        if line.strip():
            yield line


def cross_file_repeats(texts: Iterable[str]) -> set[str]:
    """Keys of lines (long enough to be marketing rather than a label) found in 2+ files."""
    per_file: Counter[str] = Counter()
    for text in texts:
        keys = {line_key(ln) for ln in _content_lines(text)}
        per_file.update(k for k in keys if len(k.split()) >= _REPEAT_MIN_WORDS)
    return {k for k, n in per_file.items() if n >= 2}


def is_cta(line: str) -> bool:
    s = line.strip().lstrip("|#>*-•· ").strip()
    if not s:
        return False
    if _NOISE.fullmatch(s):
        return True
    if _BYLINE.match(s):
        return True
    return len(s.split()) <= _CTA_MAX_WORDS and bool(_CTA.search(s))


def clean_text(text: str, shared_repeats: set[str] | frozenset[str] = frozenset()) -> Cleaned:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    protected = [False] * len(lines)
    in_fence = False
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            protected[i] = True
            in_fence = not in_fence
        elif in_fence or _MD_HEADING.match(line) or _STAGE_COMMENT.match(line):
            protected[i] = True

    keys = [line_key(ln) for ln in lines]
    counts = Counter(k for k, p, ln in zip(keys, protected, lines, strict=True) if not p and k)
    junk = [False] * len(lines)
    seen: set[str] = set()
    for i, line in enumerate(lines):
        if protected[i] or not line.strip():
            continue
        key = keys[i]
        words = len(key.split())
        repeated = words >= _REPEAT_MIN_WORDS and (counts[key] >= 2 or key in shared_repeats)
        # A long, finished sentence that repeats is content quoted twice: keep its first copy.
        sentence_like = words >= 15 and line.rstrip().endswith((".", "!", "?", '"', "”"))
        if is_cta(line) or (repeated and not (sentence_like and key not in seen)):
            junk[i] = True
        seen.add(key)

    cut = _tail_cut(lines, junk, protected)
    kept = [ln for i, ln in enumerate(lines[:cut]) if not junk[i]]
    removed = sum(junk[:cut]) + sum(1 for ln in lines[cut:] if ln.strip())
    return Cleaned(_squeeze_blank_lines("\n".join(kept)), removed)


def _tail_cut(lines: list[str], junk: list[bool], protected: list[bool]) -> int:
    """Index from which the rest of the document is mostly junk (by characters), else len."""
    total = sum(len(ln.strip()) for ln in lines)
    suffix_chars = suffix_junk = junk_lines = 0
    cut = len(lines)
    before = total
    for i in range(len(lines) - 1, -1, -1):
        n = len(lines[i].strip())
        before -= n
        if protected[i] and _MD_HEADING.match(lines[i]) and i < cut:
            break  # never cut through a real Markdown section: the tail must be heading-free
        suffix_chars += n
        if junk[i]:
            suffix_junk += n
            junk_lines += 1
            # only a tail: at least half of the document must stay before the cut
            if (
                before >= total / 2
                and junk_lines >= _TAIL_MIN_JUNK_LINES
                and suffix_junk >= _TAIL_JUNK_SHARE * suffix_chars
            ):
                cut = i
    return cut


def _squeeze_blank_lines(text: str) -> str:
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


# --- HTML -----------------------------------------------------------------------------------

_DROP_TAGS = [
    "script",
    "style",
    "nav",
    "header",
    "footer",
    "form",
    "aside",
    "noscript",
    "iframe",
    "svg",
    "button",
    "input",
    "select",
    "textarea",
    "template",
    "dialog",
]
_BOILER_ATTR = re.compile(
    r"cookie|consent|banner|newsletter|subscribe|sign-?up|share|social|author|byline|sidebar|"
    r"breadcrumb|menu|navbar|related|comment|popup|modal|advert|promo|\bcta\b|reading-time",
    re.IGNORECASE,
)
_BLOCK_TAGS = {
    "p",
    "div",
    "section",
    "article",
    "main",
    "ul",
    "ol",
    "li",
    "table",
    "tr",
    "blockquote",
    "dl",
    "dt",
    "dd",
    "figure",
    "figcaption",
    "br",
    "hr",
    "body",
}


def html_to_markdown(html: str) -> str:
    """Readable Markdown-ish text of an HTML page: headings as '#', list items as '- '."""
    from bs4 import BeautifulSoup, Comment, NavigableString, Tag

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(_DROP_TAGS):
        tag.decompose()
    for tag in soup.find_all(True):
        if not isinstance(tag, Tag) or tag.attrs is None or tag.name in ("html", "body"):
            continue
        attrs = " ".join([tag.get("id") or "", *(tag.get("class") or [])])  # type: ignore[list-item]
        if attrs.strip() and _BOILER_ATTR.search(attrs):
            tag.decompose()

    out: list[str] = []
    buf: list[str] = []

    def flush(prefix: str = "") -> None:
        text = re.sub(r"\s+", " ", "".join(buf)).strip()
        buf.clear()
        if text:
            out.append(prefix + text)

    def walk(node: Tag, prefix: str = "") -> None:
        for child in node.children:
            if isinstance(child, Comment):
                if _STAGE_COMMENT.match(f"<!--{child}-->"):
                    flush(prefix)
                    out.append(f"<!--{child}-->")
            elif isinstance(child, NavigableString):
                buf.append(str(child))
            elif isinstance(child, Tag):
                name = child.name.lower()
                if re.fullmatch(r"h[1-6]", name):
                    flush(prefix)
                    title = re.sub(r"\s+", " ", child.get_text(" ")).strip()
                    if title:
                        out.append("#" * int(name[1]) + " " + title)
                elif name == "pre":
                    flush(prefix)
                    out.append("```\n" + child.get_text().strip("\n") + "\n```")
                elif name == "li":
                    flush(prefix)
                    walk(child, "- ")
                    flush("- ")
                elif name in _BLOCK_TAGS:
                    flush(prefix)
                    walk(child, prefix)
                    flush(prefix)
                else:
                    walk(child, prefix)

    root = soup.find("article") or soup.find("main") or soup.body or soup
    if isinstance(root, Tag):
        walk(root)
    flush()
    has_h1 = any(line.startswith("# ") for line in out)
    title_tag = soup.find("title")
    if not has_h1 and isinstance(title_tag, Tag) and title_tag.get_text(strip=True):
        out.insert(0, "# " + title_tag.get_text(" ", strip=True))
    return "\n\n".join(out) + "\n"
