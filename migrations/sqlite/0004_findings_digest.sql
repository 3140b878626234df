-- A keyed digest of a document's findings as detected (category, rule, span, span MAC,
-- confidence; not review states), so a rescan whose scan gives the same findings can tell
-- without reading them. NULL for documents stored before it: their first rescan reads them.
ALTER TABLE documents ADD COLUMN findings_digest TEXT;
