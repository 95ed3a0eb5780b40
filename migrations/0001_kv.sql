-- The store's ordered keyspace (see src/store/kv/keys.rs): one row per key.
-- BYTEA compares byte by byte, shorter first on a tie, which is the order
-- the store's keys are designed for; the primary key is that order's index.
-- Values are the store's own encoding (src/store/kv/codec.rs), clients' text
-- sealed (src/store/kv/seal.rs).
CREATE TABLE IF NOT EXISTS kv (
    key BYTEA PRIMARY KEY,
    value BYTEA NOT NULL
);
