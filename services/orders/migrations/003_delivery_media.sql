-- Delivery files uploaded to the media service, beside the public links of
-- `files`: `[{ id, name, size, contentType }]`, copied from the media replica
-- (shared/media_refs.ts) when the seller delivered, so the order shows them
-- without asking media; the download URL comes from GET /api/v1/media/{id}.
alter table deliveries add column media_files jsonb not null default '[]';
