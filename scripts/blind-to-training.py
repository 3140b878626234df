#!/usr/bin/env python3
"""Converts a scored blind batch (eval/blind/batch-NN/snippets.jsonl) into training sentences
(training/sentences/blind-NN.jsonl) for the learned model.

A multi-line item (a résumé excerpt, a PDF-damaged page) is split at line breaks, and each
line is labelled with the categories whose evidence lies in it: a heading line such as
学歴・職歴 is not a disclosure because a line below it is. Lines an evidence spans are kept
together. My Number labels are dropped (the model does not score them).

    python3 scripts/blind-to-training.py 12 13
"""
import json
import sys

GENRES = [
    (("SNS", "投稿", "ブログ", "相談", "Q&A", "知恵袋", "掲示板", "チャット", "記事"), "post"),
    (("面接", "メモ"), "interview"),
    (("職務",), "shokumu"),
    (("送付", "添え"), "cover_letter"),
]


def genre(section):
    for words, name in GENRES:
        if any(w in section for w in words):
            return name
    return "resume_field"


def pieces(text, labels):
    """(piece, categories) for each group of lines, evidence never cut."""
    spans = []
    for lab in labels:
        at = text.find(lab["evidence"])
        if at >= 0:
            spans.append((at, at + len(lab["evidence"]), lab["category"]))
    breaks = [i for i, c in enumerate(text) if c == "\n" and not any(s < i < e for s, e, _ in spans)]
    out, start = [], 0
    for b in breaks + [len(text)]:
        piece = text[start:b]
        cats = {c for s, e, c in spans if start <= s < b}
        if piece.strip():
            out.append((piece.strip(), cats))
        start = b + 1
    return out


def main():
    for n in sys.argv[1:]:
        rows = []
        with open(f"eval/blind/batch-{n}/snippets.jsonl", encoding="utf-8") as f:
            items = [json.loads(line) for line in f if line.strip()]
        for item in items:
            g = genre(item.get("section", ""))
            parts = pieces(item["text"], item["labels"]) if "\n" in item["text"].strip() else [
                (item["text"], {lab["category"] for lab in item["labels"]})]
            for text, cats in parts:
                cats = sorted(c for c in cats if c != "my_number")
                if cats:
                    kind = "positive"
                elif item["kind"] == "negative":
                    kind = "negative"
                else:
                    kind = "hard_negative"
                rows.append(json.dumps({"text": text, "labels": cats, "genre": g, "kind": kind}, ensure_ascii=False))
        with open(f"training/sentences/blind-{n}.jsonl", "w", encoding="utf-8") as f:
            f.write("\n".join(rows) + "\n")
        print(f"batch {n}: {len(items)} items -> {len(rows)} sentences", file=sys.stderr)


if __name__ == "__main__":
    main()
