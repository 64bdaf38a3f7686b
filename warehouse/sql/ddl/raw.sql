-- Raw store (data/raw.duckdb): written only by the ETL process.
-- Entity tables hold the current version of each record, keyed by its id. Every version ever loaded
-- (including the current one) is in the view <entity>_history (see the end of this file). Personal
-- data (phone, party_name, party_phone) lives here and nowhere else.
-- Bookkeeping columns on every entity row: row_hash (hash of the canonical values, to tell a
-- duplicate from an update), file_id and source_row (where the current version came from), run_id.
-- The id (first column) is unique per entity table, guaranteed by the loader (etl/load.py applies each
-- file set-wise: one row per id, new ids inserted, a changed record deleted and inserted again). No PRIMARY KEY: maintaining
-- its index dominated the load of large exports. Stores created with the key are migrated when opened
-- (etl.load.open_raw).

create table if not exists townships (
    township_code varchar not null,
    township_name varchar not null,
    kind varchar,
    row_hash varchar not null, file_id varchar, source_row integer, run_id varchar
);

create table if not exists homes (
    home_id varchar not null,
    home_name varchar not null,
    home_level varchar not null,      -- 区级/苏木镇街道级/嘎查村级/企业/代表工作站/立法联络站
    township_code varchar not null,
    lon double, lat double,
    opened_on date,
    row_hash varchar not null, file_id varchar, source_row integer, run_id varchar
);

create table if not exists deputies (
    deputy_id varchar not null,
    name varchar not null,
    gender varchar,
    ethnicity varchar,
    levels varchar not null,          -- canonical ';'-joined subset of 市;区;镇, e.g. '区;镇'
    township_code varchar,
    home_id varchar,
    phone varchar,                    -- personal data: raw store only
    status varchar,                   -- 正常/终止 (null counts as 正常)
    row_hash varchar not null, file_id varchar, source_row integer, run_id varchar
);

create table if not exists activities (
    activity_id varchar not null,
    home_id varchar,
    activity_date date not null,
    activity_type varchar not null,   -- 学习/议事/接待选民/视察/调研/培训/听证旁听/列席常委会/值班/述职
    title varchar,
    visitors integer,
    deputy_ids varchar,               -- ';'-separated deputy ids
    absent_deputy_ids varchar,        -- ';'-separated, absent without leave (points rule 无故缺席)
    row_hash varchar not null, file_id varchar, source_row integer, run_id varchar
);

create table if not exists suggestions (
    suggestion_id varchar not null,
    channel varchar not null,         -- 代表之家/平台/民呼我为/立法联系点/联动监督/接待岗
    deputy_id varchar,
    home_id varchar,
    township_code varchar,
    category varchar,
    title varchar not null,
    submitted_on date not null,
    handling_unit varchar,
    due_on date,
    replied_on date,
    closed_on date,
    status varchar not null,          -- 已提交/已交办/办理中/已答复/已办结/不予立案
    satisfaction varchar,             -- 满意/基本满意/不满意/未评价
    regulation varchar,
    adopted boolean,
    row_hash varchar not null, file_id varchar, source_row integer, run_id varchar
);

create table if not exists cases (
    case_id varchar not null,
    case_type varchar not null,       -- 信访代办/诉前调解
    township_code varchar,
    home_id varchar,
    deputy_id varchar,
    accepted_on date not null,
    closed_on date,
    status varchar not null,          -- 受理/办理中/已办结/不予受理
    outcome varchar,                  -- 化解成功/调解成功/调解不成/转立案/撤回/已答复
    satisfaction varchar,             -- 满意/基本满意/不满意/未回访
    party_name varchar,               -- personal data: raw store only
    party_phone varchar,              -- personal data: raw store only
    row_hash varchar not null, file_id varchar, source_row integer, run_id varchar
);

create table if not exists projects (
    project_id varchar not null,
    year integer not null,
    township_code varchar,
    name varchar not null,
    votes_for integer, votes_against integer, votes_abstain integer,
    elected boolean,
    status varchar,                   -- 实施中/已完成
    completion_pct double,
    row_hash varchar not null, file_id varchar, source_row integer, run_id varchar
);

-- Bookkeeping ------------------------------------------------------------------------------

create table if not exists etl_runs (
    run_id varchar primary key,
    started_at timestamp not null,
    finished_at timestamp,
    status varchar not null,          -- running/succeeded/failed
    trigger varchar,                  -- cli/scheduler/demo/rebuild
    run_date date not null,           -- "today" for the no-future-date rule
    files_seen integer, rows_read bigint, rows_loaded bigint, rows_updated bigint,
    rows_rejected bigint, rows_duplicate bigint,
    snapshot_version varchar,
    message varchar
);

create table if not exists etl_files (
    file_id varchar primary key,      -- content hash (sha256 hex): the same bytes are the same file
    run_id varchar not null,
    file_name varchar not null,
    file_size bigint,
    file_mtime timestamp,
    entity varchar,                   -- null when the file could not be recognised
    status varchar not null,          -- loaded/rejected (file-level)
    rows_read bigint, rows_loaded bigint, rows_updated bigint, rows_rejected bigint, rows_duplicate bigint,
    reason_code varchar, message_zh varchar, message_en varchar,
    loaded_at timestamp not null
);

-- A row-level reject (file_id, source_row, column_name) or a file-level reject (source_row null).
create table if not exists rejects (
    run_id varchar not null,
    file_id varchar,
    file_name varchar not null,
    entity varchar,
    source_row integer,               -- 1-based row number as a user sees it in the file (header row counted)
    column_name varchar,              -- the source header as written in the file, when known
    reason_code varchar not null,
    message_zh varchar not null,
    message_en varchar not null,
    raw_value varchar                 -- the offending value (never personal-data columns)
);

-- Every file a run saw, including those skipped as already loaded (etl_files keeps one row per
-- content hash; this is the per-run event log the run summary and `cockpit etl rejects` read).
create table if not exists etl_run_files (
    run_id varchar not null,
    seq integer not null,             -- order in which the run applied the file
    file_id varchar,
    file_name varchar not null,
    entity varchar,
    status varchar not null,          -- loaded/already_loaded/rejected/failed
    sheet varchar, header_row integer, encoding varchar,
    rows_read bigint, rows_new bigint, rows_updated bigint, rows_rejected bigint, rows_duplicate bigint,
    reason_code varchar, message_zh varchar, message_en varchar,
    seconds double,
    recorded_at timestamp not null
);

-- History: every version ever loaded = the superseded versions (<entity>_past, written only when a
-- record changes) + the current ones (the entity table). <entity>_history is the view over both, with
-- when each version was loaded and how it arrived (change: new/updated). Keeping the current version
-- only once halves what a first load of a large export writes.
create table if not exists townships_past as select * from townships limit 0;
create or replace view townships_history as
    select v.* exclude (file_loaded_at), v.file_loaded_at as loaded_at,
        case when row_number() over (partition by v.township_code order by v.file_loaded_at, v.source_row) = 1
             then 'new' else 'updated' end as change
    from (
        select p.*, false as is_current, f.loaded_at as file_loaded_at
        from townships_past p left join etl_files f on f.file_id = p.file_id
        union all by name
        select t.*, true as is_current, f.loaded_at as file_loaded_at
        from townships t left join etl_files f on f.file_id = t.file_id
    ) v;
create table if not exists homes_past as select * from homes limit 0;
create or replace view homes_history as
    select v.* exclude (file_loaded_at), v.file_loaded_at as loaded_at,
        case when row_number() over (partition by v.home_id order by v.file_loaded_at, v.source_row) = 1
             then 'new' else 'updated' end as change
    from (
        select p.*, false as is_current, f.loaded_at as file_loaded_at
        from homes_past p left join etl_files f on f.file_id = p.file_id
        union all by name
        select t.*, true as is_current, f.loaded_at as file_loaded_at
        from homes t left join etl_files f on f.file_id = t.file_id
    ) v;
create table if not exists deputies_past as select * from deputies limit 0;
create or replace view deputies_history as
    select v.* exclude (file_loaded_at), v.file_loaded_at as loaded_at,
        case when row_number() over (partition by v.deputy_id order by v.file_loaded_at, v.source_row) = 1
             then 'new' else 'updated' end as change
    from (
        select p.*, false as is_current, f.loaded_at as file_loaded_at
        from deputies_past p left join etl_files f on f.file_id = p.file_id
        union all by name
        select t.*, true as is_current, f.loaded_at as file_loaded_at
        from deputies t left join etl_files f on f.file_id = t.file_id
    ) v;
create table if not exists activities_past as select * from activities limit 0;
create or replace view activities_history as
    select v.* exclude (file_loaded_at), v.file_loaded_at as loaded_at,
        case when row_number() over (partition by v.activity_id order by v.file_loaded_at, v.source_row) = 1
             then 'new' else 'updated' end as change
    from (
        select p.*, false as is_current, f.loaded_at as file_loaded_at
        from activities_past p left join etl_files f on f.file_id = p.file_id
        union all by name
        select t.*, true as is_current, f.loaded_at as file_loaded_at
        from activities t left join etl_files f on f.file_id = t.file_id
    ) v;
create table if not exists suggestions_past as select * from suggestions limit 0;
create or replace view suggestions_history as
    select v.* exclude (file_loaded_at), v.file_loaded_at as loaded_at,
        case when row_number() over (partition by v.suggestion_id order by v.file_loaded_at, v.source_row) = 1
             then 'new' else 'updated' end as change
    from (
        select p.*, false as is_current, f.loaded_at as file_loaded_at
        from suggestions_past p left join etl_files f on f.file_id = p.file_id
        union all by name
        select t.*, true as is_current, f.loaded_at as file_loaded_at
        from suggestions t left join etl_files f on f.file_id = t.file_id
    ) v;
create table if not exists cases_past as select * from cases limit 0;
create or replace view cases_history as
    select v.* exclude (file_loaded_at), v.file_loaded_at as loaded_at,
        case when row_number() over (partition by v.case_id order by v.file_loaded_at, v.source_row) = 1
             then 'new' else 'updated' end as change
    from (
        select p.*, false as is_current, f.loaded_at as file_loaded_at
        from cases_past p left join etl_files f on f.file_id = p.file_id
        union all by name
        select t.*, true as is_current, f.loaded_at as file_loaded_at
        from cases t left join etl_files f on f.file_id = t.file_id
    ) v;
create table if not exists projects_past as select * from projects limit 0;
create or replace view projects_history as
    select v.* exclude (file_loaded_at), v.file_loaded_at as loaded_at,
        case when row_number() over (partition by v.project_id order by v.file_loaded_at, v.source_row) = 1
             then 'new' else 'updated' end as change
    from (
        select p.*, false as is_current, f.loaded_at as file_loaded_at
        from projects_past p left join etl_files f on f.file_id = p.file_id
        union all by name
        select t.*, true as is_current, f.loaded_at as file_loaded_at
        from projects t left join etl_files f on f.file_id = t.file_id
    ) v;
