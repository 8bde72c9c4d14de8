-- Florilège schema, version 1 (SQLite). Keep in step with migrations/postgres.
-- Times are UTC, written by the application (never by SQL defaults).
-- JSON values (tags, languages, avatars, crawl state) are stored as TEXT.

-- The federation ---------------------------------------------------------

CREATE TABLE instances (
    id INTEGER PRIMARY KEY,
    host TEXT NOT NULL UNIQUE,                  -- "video.example" or "127.0.0.1:4001"
    base_url TEXT NOT NULL,                     -- "https://video.example"
    status TEXT NOT NULL DEFAULT 'pending',     -- pending|approved|paused|rejected|blocked|dead
    origin TEXT NOT NULL DEFAULT 'cli',         -- cli|import|submission|following|demo
    discovered_from INTEGER REFERENCES instances(id) ON DELETE SET NULL,
    software TEXT,
    version TEXT,
    name TEXT,
    short_description TEXT,
    description TEXT,
    languages TEXT NOT NULL DEFAULT '[]',
    categories TEXT NOT NULL DEFAULT '[]',
    is_nsfw BOOLEAN NOT NULL DEFAULT FALSE,
    nsfw_policy TEXT,                           -- display|blur|do_not_list
    signup_allowed BOOLEAN,
    total_users INTEGER,
    total_local_videos INTEGER,
    total_local_video_views INTEGER,
    health_score INTEGER NOT NULL DEFAULT 50,   -- 0..100, like the JoinPeerTube index
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    last_error_at TIMESTAMP,
    last_success_at TIMESTAMP,
    next_crawl_at TIMESTAMP,
    last_full_sweep_at TIMESTAMP,
    crawl_state TEXT NOT NULL DEFAULT '{}',     -- crawler-owned cursors
    lease_owner TEXT,                           -- crawl worker holding the instance
    lease_expires_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX instances_status_next_crawl ON instances (status, next_crawl_at);

CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    instance_id INTEGER NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
    remote_id INTEGER,
    name TEXT NOT NULL,                         -- preferredUsername, unique on its host
    host TEXT NOT NULL,
    display_name TEXT NOT NULL DEFAULT '',
    description TEXT,
    url TEXT NOT NULL,
    avatars TEXT NOT NULL DEFAULT '[]',
    followers_count INTEGER NOT NULL DEFAULT 0,
    remote_created_at TIMESTAMP,
    first_seen_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP,
    UNIQUE (instance_id, name)
);

CREATE TABLE channels (
    id INTEGER PRIMARY KEY,
    instance_id INTEGER NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
    account_id INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
    remote_id INTEGER,
    name TEXT NOT NULL,
    host TEXT NOT NULL,
    display_name TEXT NOT NULL DEFAULT '',
    description TEXT,
    support TEXT,
    url TEXT NOT NULL,
    avatars TEXT NOT NULL DEFAULT '[]',
    banners TEXT NOT NULL DEFAULT '[]',
    followers_count INTEGER NOT NULL DEFAULT 0,
    videos_count INTEGER,
    remote_created_at TIMESTAMP,
    remote_updated_at TIMESTAMP,
    details_fetched_at TIMESTAMP,
    first_seen_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP,
    UNIQUE (instance_id, name)
);
CREATE INDEX channels_account ON channels (account_id);

CREATE TABLE videos (
    id INTEGER PRIMARY KEY,
    instance_id INTEGER NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
    account_id INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
    channel_id INTEGER REFERENCES channels(id) ON DELETE SET NULL,
    remote_id INTEGER,
    uuid TEXT NOT NULL UNIQUE,
    short_uuid TEXT,
    url TEXT NOT NULL,
    name TEXT NOT NULL,
    truncated_description TEXT,
    description TEXT,
    support TEXT,
    tags TEXT NOT NULL DEFAULT '[]',
    category_id INTEGER,
    category_label TEXT,
    licence_id INTEGER,
    licence_label TEXT,
    language_id TEXT,
    language_label TEXT,
    privacy_id INTEGER NOT NULL DEFAULT 1,
    nsfw BOOLEAN NOT NULL DEFAULT FALSE,
    nsfw_flags INTEGER NOT NULL DEFAULT 0,
    nsfw_summary TEXT,
    is_live BOOLEAN NOT NULL DEFAULT FALSE,
    duration INTEGER NOT NULL DEFAULT 0,        -- seconds
    aspect_ratio REAL,
    views INTEGER NOT NULL DEFAULT 0,
    likes INTEGER NOT NULL DEFAULT 0,
    dislikes INTEGER NOT NULL DEFAULT 0,
    comments INTEGER NOT NULL DEFAULT 0,
    thumbnail_path TEXT,
    preview_path TEXT,
    embed_path TEXT,
    published_at TIMESTAMP NOT NULL,
    originally_published_at TIMESTAMP,
    remote_created_at TIMESTAMP,
    remote_updated_at TIMESTAMP,
    details_fetched_at TIMESTAMP,               -- NULL: list item only, details wanted
    first_seen_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP,                       -- soft deletion (gone from its instance)
    updated_at TIMESTAMP NOT NULL               -- last local change
);
CREATE INDEX videos_instance_published ON videos (instance_id, published_at);
CREATE INDEX videos_instance_seen ON videos (instance_id, last_seen_at);
CREATE INDEX videos_channel ON videos (channel_id);
CREATE INDEX videos_account ON videos (account_id);
CREATE INDEX videos_short_uuid ON videos (short_uuid);

CREATE TABLE playlists (
    id INTEGER PRIMARY KEY,
    instance_id INTEGER NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
    account_id INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
    channel_id INTEGER REFERENCES channels(id) ON DELETE SET NULL,
    remote_id INTEGER,
    uuid TEXT NOT NULL UNIQUE,
    short_uuid TEXT,
    url TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    privacy_id INTEGER NOT NULL DEFAULT 1,
    playlist_type INTEGER NOT NULL DEFAULT 1,   -- 1 regular, 2 watch later
    videos_length INTEGER NOT NULL DEFAULT 0,
    thumbnail_path TEXT,
    embed_path TEXT,
    remote_created_at TIMESTAMP,
    remote_updated_at TIMESTAMP,
    first_seen_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
CREATE INDEX playlists_instance ON playlists (instance_id);
CREATE INDEX playlists_channel ON playlists (channel_id);

-- Thumbnails and avatars cached locally, so public pages never load them
-- from instances.
CREATE TABLE cached_images (
    id INTEGER PRIMARY KEY,
    source_url TEXT NOT NULL UNIQUE,
    sha256 TEXT,
    content_type TEXT,
    bytes INTEGER NOT NULL DEFAULT 0,
    width INTEGER,
    height INTEGER,
    fetched_at TIMESTAMP,
    last_used_at TIMESTAMP NOT NULL,
    failure TEXT
);
CREATE INDEX cached_images_last_used ON cached_images (last_used_at);

-- Crawling ----------------------------------------------------------------

CREATE TABLE crawl_runs (
    id INTEGER PRIMARY KEY,
    instance_id INTEGER NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,                         -- identity|incremental|sweep|details|channels
    worker TEXT,
    status TEXT NOT NULL DEFAULT 'running',     -- running|succeeded|failed|interrupted
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    requests INTEGER NOT NULL DEFAULT 0,
    pages INTEGER NOT NULL DEFAULT 0,
    videos_new INTEGER NOT NULL DEFAULT 0,
    videos_updated INTEGER NOT NULL DEFAULT 0,
    videos_deleted INTEGER NOT NULL DEFAULT 0,
    items_skipped INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    latency_ms_total INTEGER NOT NULL DEFAULT 0,
    error TEXT
);
CREATE INDEX crawl_runs_instance_started ON crawl_runs (instance_id, started_at);

-- The change feed read by indexers. On SQLite writers are serialised, so
-- the id alone orders commits; txid stays 0. On PostgreSQL txid is the
-- writing transaction's id and readers only read below the oldest running
-- transaction (see store::feed).
CREATE TABLE change_feed (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    txid INTEGER NOT NULL DEFAULT 0,
    entity TEXT NOT NULL,                       -- video|channel|playlist|account|instance
    entity_id INTEGER NOT NULL,
    changed_at TIMESTAMP NOT NULL
);
CREATE INDEX change_feed_cursor ON change_feed (txid, id);

CREATE TABLE feed_cursors (
    consumer TEXT PRIMARY KEY,                  -- one per index replica
    txid INTEGER NOT NULL DEFAULT 0,
    feed_id INTEGER NOT NULL DEFAULT 0,
    updated_at TIMESTAMP NOT NULL
);

-- Editorial ----------------------------------------------------------------

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'editor',        -- admin|editor
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    last_sign_in_at TIMESTAMP
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,                -- SHA-256 of the cookie value
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP,
    ip TEXT,
    user_agent TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE sign_in_failures (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL,
    ip TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX sign_in_failures_username ON sign_in_failures (username, at);
CREATE INDEX sign_in_failures_ip ON sign_in_failures (ip, at);

CREATE TABLE themes (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    position INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE selections (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL DEFAULT '',              -- Markdown
    language TEXT,
    status TEXT NOT NULL DEFAULT 'draft',       -- draft|review|published|archived
    featured BOOLEAN NOT NULL DEFAULT FALSE,
    cover_video_id INTEGER REFERENCES videos(id) ON DELETE SET NULL,
    publish_at TIMESTAMP,                       -- scheduled publication
    published_at TIMESTAMP,
    version INTEGER NOT NULL DEFAULT 1,         -- optimistic concurrency
    created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    updated_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX selections_status_published ON selections (status, published_at);

CREATE TABLE selection_themes (
    selection_id INTEGER NOT NULL REFERENCES selections(id) ON DELETE CASCADE,
    theme_id INTEGER NOT NULL REFERENCES themes(id) ON DELETE CASCADE,
    PRIMARY KEY (selection_id, theme_id)
);
CREATE INDEX selection_themes_theme ON selection_themes (theme_id);

CREATE TABLE selection_items (
    id INTEGER PRIMARY KEY,
    selection_id INTEGER NOT NULL REFERENCES selections(id) ON DELETE CASCADE,
    video_id INTEGER NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    last_known_title TEXT NOT NULL,
    added_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    added_at TIMESTAMP NOT NULL,
    UNIQUE (selection_id, video_id)
);
CREATE INDEX selection_items_video ON selection_items (video_id);

CREATE TABLE selection_revisions (
    id INTEGER PRIMARY KEY,
    selection_id INTEGER NOT NULL REFERENCES selections(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    snapshot TEXT NOT NULL,                     -- JSON of the selection and its items
    author_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (selection_id, version)
);

-- Moderation and submissions ----------------------------------------------

CREATE TABLE blocks (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,                         -- instance|account|channel|video
    target TEXT NOT NULL,                       -- host, name@host, uuid
    reason TEXT NOT NULL DEFAULT '',
    source TEXT,                                -- NULL: manual; else a blocklist URL
    created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (kind, target)
);

CREATE TABLE blocklist_sources (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    last_synced_at TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE instance_submissions (
    id INTEGER PRIMARY KEY,
    host TEXT NOT NULL,
    base_url TEXT NOT NULL,
    contact TEXT,
    message TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'pending',     -- pending|approved|rejected
    check_passed BOOLEAN NOT NULL DEFAULT FALSE,
    check_result TEXT NOT NULL DEFAULT '{}',    -- JSON: each check and its readable outcome
    status_token TEXT NOT NULL UNIQUE,          -- the submitter's private status link
    reason TEXT,
    instance_id INTEGER REFERENCES instances(id) ON DELETE SET NULL,
    reviewed_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    reviewed_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX instance_submissions_status ON instance_submissions (status, created_at);

CREATE TABLE removal_requests (
    id INTEGER PRIMARY KEY,
    target_kind TEXT NOT NULL,                  -- video|channel|instance
    target TEXT NOT NULL,
    requester TEXT,
    reason TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'open',        -- open|accepted|refused
    answer TEXT,
    handled_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    handled_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX removal_requests_status ON removal_requests (status, created_at);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TIMESTAMP NOT NULL,
    user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    action TEXT NOT NULL,                       -- e.g. selection.publish, block.add
    target_kind TEXT NOT NULL,
    target TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_user ON audit_log (user_id, at);

-- Editable texts and policies (about page, NSFW policy, ...).
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
