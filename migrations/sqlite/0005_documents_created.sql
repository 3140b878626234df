-- Rescans batch documents in the order they were stored (a batch's rows then share pages);
-- this index gives that order without sorting every document at each rescan's start.
CREATE INDEX documents_created ON documents(created_at, id);
