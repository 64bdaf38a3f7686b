-- Operators' copy: when it was taken.
create table ops_meta as
select cast($exported_at as timestamp) as exported_at
