#!/usr/bin/env bash
# make-samples.sh — regenerate the résumé fixtures in samples/ from their sources in samples/src/.
#
# The fixtures (samples/*.txt, *.docx, *.pdf) are committed, so tests and CI never need
# LibreOffice. Run this script only after adding or editing a source, then review the
# changed snapshots (see tests/samples_snapshot.rs) and commit sources, fixtures and snapshots
# together.
#
# Usage:
#   scripts/make-samples.sh            # (re)build the fixtures whose source is newer than them
#   scripts/make-samples.sh --force    # rebuild every fixture
#   scripts/make-samples.sh NAME...    # rebuild only these samples (e.g. resume_two_pages)
#
# Then refresh the snapshots:
#   INSTA_UPDATE=always cargo test --test samples_snapshot   # or: cargo insta review
#   git diff tests/snapshots/                                  # read every change
#
# Sources (all résumés are fictional, written for this project):
#   samples/src/NAME.txt   plain text. samples/NAME.txt is a copy; NAME.docx is LibreOffice's
#                          text import saved as DOCX; NAME.pdf is that DOCX exported as PDF.
#   samples/src/NAME.html  a 履歴書 laid out as HTML tables (rowspan/colspan give merged
#                          cells; <div title="header"> and <div title="footer"> become the
#                          page header and footer). NAME.docx is LibreOffice's HTML import
#                          saved as DOCX (real w:tbl with vMerge/gridSpan, header1.xml,
#                          footer1.xml); NAME.pdf is that DOCX exported as PDF; NAME.txt is
#                          that DOCX exported as UTF-8 text (one table cell per line; the page
#                          header and footer are not part of it, so keep them free of
#                          sensitive items or the formats stop agreeing).
#
# Idempotent: a sample whose three outputs are newer than its source is left alone, so
# rerunning does not churn the committed binaries (LibreOffice writes timestamps into DOCX and
# PDF, so a rebuild is never byte-identical). Requirements: LibreOffice Writer and a Japanese
# font; as root, the script installs them from Debian (libreoffice-writer-nogui,
# fonts-ipaexfont) when missing. Without an embeddable Japanese font the PDFs would have no
# Japanese text layer, which the script checks with pdftotext when available.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SRC="$ROOT/samples/src"
OUT="$ROOT/samples"

force=0
only=()
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "make-samples: unknown option $arg" >&2; exit 2 ;;
    *) only+=("$arg") ;;
  esac
done

ensure_tools() {
  local missing=()
  command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-writer-nogui)
  if ! command -v fc-list >/dev/null 2>&1 || [ -z "$(fc-list :lang=ja family 2>/dev/null)" ]; then
    missing+=(fonts-ipaexfont)
  fi
  command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "make-samples: missing ${missing[*]}; install them (apt-get install ${missing[*]}) and rerun" >&2
    exit 1
  fi
  echo "make-samples: installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# A private LibreOffice profile: no clash with a running instance, no user settings leaking in.
PROFILE="file://$WORK/profile"

soffice_run() {
  # LibreOffice reports success on stdout and some failures only by not writing the file.
  soffice -env:UserInstallation="$PROFILE" --headless --norestore "$@" >"$WORK/soffice.log" 2>&1 || {
    cat "$WORK/soffice.log" >&2
    return 1
  }
}

require_file() {
  if [ ! -s "$1" ]; then
    echo "make-samples: LibreOffice did not produce $1" >&2
    cat "$WORK/soffice.log" >&2
    exit 1
  fi
}

# up_to_date NAME SOURCE: the three outputs exist and are newer than the source.
up_to_date() {
  local name=$1 source=$2 ext
  for ext in txt docx pdf; do
    [ "$OUT/$name.$ext" -nt "$source" ] || return 1
  done
}

build_one() {
  local source=$1 name kind stage
  name=$(basename "$source")
  kind=${name##*.}
  name=${name%.*}
  stage="$WORK/$name"
  mkdir -p "$stage/txt"

  case "$kind" in
    txt)
      soffice_run --infilter="Text (encoded):UTF8,LF,," \
        --convert-to 'docx:MS Word 2007 XML' --outdir "$stage" "$source"
      cp "$source" "$stage/txt/$name.txt"
      ;;
    html)
      soffice_run --infilter="HTML (StarWriter)" \
        --convert-to 'docx:MS Word 2007 XML' --outdir "$stage" "$source"
      require_file "$stage/$name.docx"
      soffice_run --convert-to 'txt:Text (encoded):UTF8' --outdir "$stage/txt" "$stage/$name.docx"
      require_file "$stage/txt/$name.txt"
      # Drop the byte-order mark LibreOffice writes, keep LF line ends.
      sed -i '1s/^\xEF\xBB\xBF//; s/\r$//' "$stage/txt/$name.txt"
      ;;
    *)
      echo "make-samples: skipping $source (not .txt or .html)" >&2
      return 0
      ;;
  esac
  require_file "$stage/$name.docx"
  soffice_run --convert-to pdf --outdir "$stage" "$stage/$name.docx"
  require_file "$stage/$name.pdf"

  # The PDF must carry a Japanese text layer (a missing font gives tofu or nothing).
  if command -v pdftotext >/dev/null 2>&1; then
    if ! pdftotext -enc UTF-8 "$stage/$name.pdf" - | LC_ALL=C.UTF-8 grep -qP '[\x{3041}-\x{30FF}\x{4E00}-\x{9FFF}]'; then
      echo "make-samples: $name.pdf has no Japanese text layer (is a Japanese font installed?)" >&2
      exit 1
    fi
  fi

  cp "$stage/txt/$name.txt" "$OUT/$name.txt"
  cp "$stage/$name.docx" "$OUT/$name.docx"
  cp "$stage/$name.pdf" "$OUT/$name.pdf"
  local pages=""
  command -v pdfinfo >/dev/null 2>&1 && pages=" ($(pdfinfo "$OUT/$name.pdf" | awk '/^Pages:/ {print $2}') page(s))"
  echo "built samples/$name.{txt,docx,pdf}$pages"
}

shopt -s nullglob
sources=("$SRC"/*.txt "$SRC"/*.html)
[ ${#sources[@]} -gt 0 ] || { echo "make-samples: no sources in $SRC" >&2; exit 1; }

# Two sources with the same name would overwrite each other's fixtures.
dups=$(for s in "${sources[@]}"; do b=$(basename "$s"); echo "${b%.*}"; done | sort | uniq -d)
[ -z "$dups" ] || { echo "make-samples: several sources named: $dups" >&2; exit 1; }

for name in "${only[@]}"; do
  [ -f "$SRC/$name.txt" ] || [ -f "$SRC/$name.html" ] || { echo "make-samples: no source named $name in $SRC" >&2; exit 2; }
done

todo=()
for source in "${sources[@]}"; do
  base=$(basename "$source")
  name=${base%.*}
  if [ ${#only[@]} -gt 0 ]; then
    printf '%s\n' "${only[@]}" | grep -qxF "$name" || continue
  elif [ $force -eq 0 ] && up_to_date "$name" "$source"; then
    continue
  fi
  todo+=("$source")
done

# Tools are needed (and installed) only when something is to be built.
[ ${#todo[@]} -eq 0 ] || ensure_tools
built=0
for source in "${todo[@]}"; do
  build_one "$source"
  built=$((built + 1))
done
echo "make-samples: $built sample(s) built, $(( ${#sources[@]} - built )) left as they were"
