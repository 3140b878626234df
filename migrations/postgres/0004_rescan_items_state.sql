-- Whether a rescan has documents left is asked after every batch: an index answers it
-- without reading the rescan's other rows.
CREATE INDEX rescan_items_state ON rescan_items(rescan_id, state);
